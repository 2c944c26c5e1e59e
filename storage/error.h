/*
 * error.h - the one list of partsledger error codes.
 *
 * Every function of the project that can fail returns 0 or a negative PL_E*
 * code from this list. Each code carries the gRPC status it maps to (as the
 * bare status name, so this header needs no gRPC include) and a message for
 * people. The list generates the enum, pl_strerror() and pl_err_name() here,
 * and the status mapping in server/status.c. LMDB and libsodium codes are
 * translated where those libraries are called and never leak past.
 */
#ifndef PL_ERROR_H
#define PL_ERROR_H

/* XX(name, number, grpc status, message) */
#define PL_ERRNO_MAP(XX)                                                       \
  XX(EINVAL, 1, INVALID_ARGUMENT, "malformed or invalid argument")             \
  XX(ETOOBIG, 2, INVALID_ARGUMENT, "message too large")                        \
  XX(EBADSIG, 3, UNAUTHENTICATED, "signature does not verify")                 \
  XX(ESIGNER, 4, PERMISSION_DENIED, "signer is not an enrolled actor")         \
  XX(EREVOKED, 5, PERMISSION_DENIED, "signer has been revoked")                \
  XX(EROLE, 6, PERMISSION_DENIED, "signer's role may not write this entry")    \
  XX(ENOTFOUND, 7, NOT_FOUND, "not found")                                     \
  XX(EEXIST, 8, ALREADY_EXISTS, "already exists")                              \
  XX(ESTATE, 9, FAILED_PRECONDITION, "not allowed in the current state")       \
  XX(ERANGE, 10, OUT_OF_RANGE, "beyond the end of the log")                    \
  XX(EVERIFY, 11, FAILED_PRECONDITION, "proof or note does not verify")        \
  XX(ENOMEM, 12, RESOURCE_EXHAUSTED, "out of memory")                          \
  XX(EFULL, 13, RESOURCE_EXHAUSTED, "storage is full (map size or disk)")      \
  XX(EBUSY, 14, UNAVAILABLE, "server is shutting down")                        \
  XX(EIO, 15, INTERNAL, "storage I/O error")                                   \
  XX(ECORRUPT, 16, DATA_LOSS, "stored data is corrupt or inconsistent")        \
  XX(ECRYPTO, 17, INTERNAL, "cryptographic library failure")                   \
  XX(EKEYFILE, 18, INVALID_ARGUMENT, "key file missing or malformed")          \
  XX(ECONNECT, 19, UNAVAILABLE, "cannot reach the server")                     \
  XX(EINTERNAL, 20, INTERNAL, "internal error")                               \
  XX(ELOCKED, 21, FAILED_PRECONDITION, "data directory in use by another process") \
  XX(ETXNFULL, 22, RESOURCE_EXHAUSTED, "too much for one transaction")          \
  XX(EVALSIZE, 23, INVALID_ARGUMENT, "a key or value is too large to store")    \
  XX(EREADERS, 24, UNAVAILABLE, "too many readers at once; retry")

typedef enum {
  PL_OK = 0,
#define PL__ERR_ENUM(name, num, status, msg) PL_##name = -(num),
  PL_ERRNO_MAP(PL__ERR_ENUM)
#undef PL__ERR_ENUM
} pl_errno_t;

/* Message for a code; never NULL (unknown codes get a generic text). */
const char *pl_strerror(int err);

/* Symbolic name for a code ("EINVAL"); never NULL. */
const char *pl_err_name(int err);

/* The name of a gRPC status code by its number ("NOT_FOUND"), the way the
 * server's replies and the CLI's messages spell it; "UNKNOWN" past the list.
 * Here rather than in server/ so that clients need no gRPC header for it. */
const char *pl_status_name(int code);

#endif /* PL_ERROR_H */
