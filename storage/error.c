/*
 * error.c - names and messages of the error list in error.h.
 */
#include "error.h"

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
