/*
 * status.h - project error codes to gRPC status codes: the one place where
 * that mapping lives (it is generated from the list in storage/error.h).
 */
#ifndef PL_STATUS_H
#define PL_STATUS_H

#include <grpc/status.h>

/* GRPC_STATUS_OK for 0, the listed status for a PL_E* code, INTERNAL else. */
grpc_status_code pl_status_code(int err);

#endif /* PL_STATUS_H */
