/*
 * rpc.h - the gRPC core server: one completion queue, N worker threads, the
 * services and their methods, and the state machine of each call. Private
 * to server/.
 *
 * rpc.c owns the completion-queue loop and every grpc_call_start_batch.
 * Each gRPC service is a file of its own (ledger_rpc.c, health_rpc.c, ...)
 * that exports a pl_service: its methods, each with a handler that turns
 * the request into storage calls. services.c lists them. A handler runs on
 * the poller thread, or on a worker when its method is offloaded, with the
 * call's arena and that thread's reader; it answers at once, or hands the
 * call to the writer and is resumed (on a worker) once the writer has made
 * its entries durable.
 */
#ifndef PL_RPC_H
#define PL_RPC_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "arena.h"
#include "log.h"
#include "writer.h"

typedef struct pl_rpc pl_rpc;
typedef struct pl_call pl_call;

/* What a handler returns besides 0 (answer *resp) and a PL_E* code. */
#define PL_RPC_PENDING 1

typedef int (*pl_handler_fn)(pl_call *c, const ProtobufCMessage *req,
                             ProtobufCMessage **resp);

typedef enum { PL_METHOD_UNARY, PL_METHOD_FOLLOW } pl_method_kind;

typedef struct {
  const char *name;                         /* "Append" */
  const ProtobufCMessageDescriptor *request;
  pl_method_kind kind;
  pl_handler_fn handle;                     /* unary: first pass */
  pl_handler_fn resume;                     /* after the writer, or NULL */
  int posted;                               /* requests kept posted */
  int offload;  /* run on a worker, not the poller (signatures, long pages) */
  /* For an offloaded query: decides, on the poller, from the decoded
   * request, that its work is small and bounded enough to answer there at
   * once. Handing a call to a worker costs a thread wake-up, which was 10
   * to 20 % of a short query's rate (BENCHMARKS.md); a long one must not
   * hold the poller up. NULL: always a worker. */
  int (*inline_if)(const ProtobufCMessage *req);
  /* Checked before the request is decoded, so that decoding stays within
   * a bounded multiple of what the method can legitimately take. */
  size_t max_bytes;  /* the request's size */
  size_t max_fields; /* its fields, at every depth (wire.h) */
} pl_method;

/* A gRPC service: its full name and its methods. */
typedef struct {
  const char *name; /* "partsledger.v1.Ledger" */
  const pl_method *methods;
  size_t n_methods;
} pl_service;

#define PL_SERVICE(svc_name, table)                                            \
  {.name = (svc_name), .methods = (table),                                     \
   .n_methods = sizeof(table) / sizeof((table)[0])}

/* services.c: every service the server answers, and how many. */
extern const pl_service *const pl_services[];
extern const size_t pl_services_count;

typedef struct {
  const char *listen;  /* "127.0.0.1:50051"; port 0 picks a free one */
  int workers;         /* worker threads for offloaded calls (>= 1) */
  /* Called once, on the writer thread, when a commit fails with a storage
   * error (PL_EIO, PL_ECORRUPT). From then on appends are refused; the
   * owner is expected to stop the server, so that a restart reopens the
   * data and checks it. */
  void (*storage_failed)(void *ctx, int err);
  void *ctx;
} pl_rpc_config;

/* Makes the server and binds its address; it serves nothing yet. The bound
 * port goes to *port. 0, PL_EINVAL (cannot bind), PL_ENOMEM. grpc_init()
 * must have been called. */
int pl_rpc_bind(const pl_rpc_config *cfg, pl_log *log, pl_rpc **out, int *port);

/* Starts serving a bound server: the writer, the workers and the poller. */
void pl_rpc_serve(pl_rpc *rpc);

/* Frees a server that was bound and never served. */
void pl_rpc_unbind(pl_rpc *rpc);

/* Stops accepting, finishes what is in flight (appends queued at the writer
 * are committed and answered), ends Follow streams, joins every thread. */
void pl_rpc_stop(pl_rpc *rpc);

/* --- for handlers --------------------------------------------------------- */

pl_arena *pl_call_arena(pl_call *c);
/* `n` bytes (at least one) of the call's arena, or NULL. */
void *pl_call_alloc(pl_call *c, size_t n);
/* Proof hashes copied into the call's arena as repeated bytes. */
int pl_call_proof(pl_call *c, const pl_hash *proof, size_t n, ProtobufCBinaryData **out);
pl_log *pl_call_log(pl_call *c);
/* The worker's reader, with a snapshot begun; ended by rpc.c after the
 * handler returns. NULL with PL_EIO when a snapshot cannot be had. */
pl_reader *pl_call_reader(pl_call *c, int *err);
/* Answers with these bytes (an encoded response message, in the call's
 * arena) instead of packing *resp: for replies built from rows stored
 * already encoded. The handler returns 0 with *resp NULL. */
void pl_call_reply_raw(pl_call *c, const uint8_t *bytes, size_t len);
/* Sets the status message sent with a failing return code. */
void pl_call_errorf(pl_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the call's job to the writer; on 0 the handler returns
 * PL_RPC_PENDING and `resume` runs once the job is done. */
int pl_call_submit(pl_call *c, pl_writer_job *job);
/* The job submitted by this call (for resume). */
pl_writer_job *pl_call_job(pl_call *c);
/* A handler's own state, carried from handle to resume (arena memory). */
void pl_call_set_state(pl_call *c, void *state);
void *pl_call_state(pl_call *c);

#endif /* PL_RPC_H */
