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
