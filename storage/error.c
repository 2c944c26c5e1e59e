/*
 * error.c - names and messages of the error list in error.h.
 */
#include "error.h"

#include <stddef.h>

const char *pl_strerror(int err) {
  switch (err) {
  case PL_OK:
    return "ok";
#define PL__ERR_MSG(name, num, status, msg)                                    \
  case PL_##name:                                                              \
    return msg;
    PL_ERRNO_MAP(PL__ERR_MSG)
#undef PL__ERR_MSG
  }
  return "unknown error";
}

const char *pl_err_name(int err) {
  switch (err) {
  case PL_OK:
    return "OK";
#define PL__ERR_NAME(name, num, status, msg)                                   \
  case PL_##name:                                                              \
    return #name;
    PL_ERRNO_MAP(PL__ERR_NAME)
#undef PL__ERR_NAME
  }
  return "EUNKNOWN";
}

const char *pl_status_name(int code) {
  static const char *const names[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
      "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  if (code >= 0 && (size_t)code < sizeof(names) / sizeof(names[0]))
    return names[code];
  return "UNKNOWN";
}
