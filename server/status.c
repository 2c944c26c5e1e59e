/*
 * status.c - maps the error list of storage/error.h onto gRPC status codes.
 */
#include "status.h"

#include "error.h"

grpc_status_code pl_status_code(int err) {
  switch (err) {
  case 0:
    return GRPC_STATUS_OK;
#define PL__ERR_STATUS(name, num, status, msg)                                 \
  case PL_##name:                                                              \
    return GRPC_STATUS_##status;
    PL_ERRNO_MAP(PL__ERR_STATUS)
#undef PL__ERR_STATUS
  }
  return GRPC_STATUS_INTERNAL;
}

const char *pl_status_name(grpc_status_code code) {
  static const char *const names[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
      "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  if ((unsigned)code < sizeof(names) / sizeof(names[0]))
    return names[code];
  return "UNKNOWN";
}
