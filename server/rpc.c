/*
 * rpc.c - the completion-queue loop and the life of every call.
 *
 * One thread, the poller, drives the completion queue: every gRPC event is
 * handled there, and cheap calls (reads, proofs, Follow) are answered there
 * at once. Calls whose method is marked `offload` (signature checks, long
 * pages) are queued to a pool of worker threads, which decode, handle and
 * answer them. Why one poller: with two threads on one queue every event
 * also paid for waking the other thread, and GetEntry served 27k calls/s
 * against 49k with one (2 cores, client on the same machine).
 *
 * Each call is a pl_call with one tag per kind of event, so the event alone
 * says what happened. Unary calls go REQUEST -> handler -> (writer -> worker
 * queue -> resume) -> reply batch -> DONE. Follow streams send one message
 * at a time (SEND), park at the end of the log until the writer commits more
 * (WAKE), and learn from CLOSE that the client went away. Unknown methods arrive
 * through a few posted generic requests and are answered UNIMPLEMENTED.
 *
 * Depends on gRPC core, the services (services.c), writer.c and log.h.
 */
#include "rpc.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "status.h"
#include "wire.h"

#define PL__GENERIC_POSTED 4
#define PL__MAX_RECEIVE (64 << 20)

typedef enum {
  PL__EV_REQUEST,
  PL__EV_DONE,
  PL__EV_WAKE,
  PL__EV_SEND,
  PL__EV_CLOSE,
} pl__ev;

typedef struct {
  pl_call *call; /* NULL for the server's shutdown tag */
  pl__ev ev;
} pl__tag;

/* What belongs to one thread that runs handlers (the poller or a worker):
 * its LMDB reader, and whether a snapshot is open on it for the event being
 * handled. The thread ends the snapshot after the event, never the call:
 * once a handler has handed its call to the writer, another thread may
 * finish and free it. */
typedef struct {
  pl_reader *reader;
  int open;
} pl__worker_state;

struct pl_call {
  pl_rpc *rpc;
  const pl_method *method; /* NULL: a generic request (unknown method) */
  size_t mi;               /* index of method in rpc->methods */
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array md;
  grpc_call_details details; /* generic requests only */
  grpc_byte_buffer *payload;
  pl_arena *arena;
  pl__worker_state *worker; /* the worker handling the current event */
  char *message;     /* status message of a failing reply */
  const uint8_t *raw; /* an encoded reply (pl_call_reply_raw), or NULL */
  size_t raw_len;
  grpc_byte_buffer *reply;
  grpc_slice status_details;
  int have_details;
  int cancelled;
  pl_writer_job job;
  ProtobufCMessage *req; /* decoded on the poller already, or NULL */
  void *state; /* the handler's, from handle to resume */
  pl__tag t_request, t_done, t_wake, t_send, t_close;

  /* Follow streams only: its state is guarded by its own lock (events of
   * one stream would race if the queue ever had more than one poller), and
   * it is freed when the last outstanding operation (refs) completes. */
  pthread_mutex_t lock;
  int refs;
  uint64_t next;
  int sent_md, closed, ending, parked;
  pl_call *fnext; /* parked list link */
  pl_call *qnext; /* worker queue link */
  int resuming;   /* queued for its resume, not its handler */
  int counted;    /* matched to a client's call: counted in rpc->active */
};

typedef struct {
  pl_call *head, *tail;
} pl__queue;

struct pl_rpc {
  grpc_server *server;
  grpc_completion_queue *cq;
  pl_log *log;
  pl_writer *writer;
  /* Every method of every service, flattened: calls know theirs by index. */
  const pl_method **methods;
  char **paths; /* "/partsledger.v1.Ledger/Append" */
  size_t nmethods;
  void **handles; /* registered method handles, by method index */
  pthread_t poller;
  int nworkers;
  pthread_t *workers;
  /* Offloaded calls waiting for a worker. Their method's request is posted
   * again only when a worker takes one, so at most `posted` calls per
   * method wait here: the rest wait inside gRPC, unread. Calls back from
   * the writer wait in their own list, taken first and in order: they are
   * finishing, and the oldest has waited longest. */
  pthread_mutex_t qlock;
  pthread_cond_t qcond;
  pl__queue fresh, resumed;
  int qstop;
  atomic_int stopping;
  pl__tag shutdown_tag;
  pthread_mutex_t lock; /* guards shut_down, followers, committed */
  pthread_cond_t shut_cond;
  int shut_down;
  pl_call *followers; /* parked Follow streams */
  uint64_t committed; /* tree size of the latest commit */
  /* Calls matched to a client's call and not yet freed. A stop waits for
   * them, not for gRPC's own notice, which also waits for every client to
   * hang up: an idle client connection would hold a stop up for the whole
   * grace period. */
  atomic_int active;
  atomic_int storage_err; /* the error that failed a commit, or 0 */
  void (*storage_failed)(void *ctx, int err);
  void *ctx;
};

static void pl__post(pl_rpc *rpc, size_t mi);
static void pl__enqueue(pl_rpc *rpc, pl_call *c);

/* --- calls and replies --------------------------------------------------- */

static pl_call *pl__call_new(pl_rpc *rpc, size_t mi) {
  pl_call *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  /* The arena comes with the posted request, so a call that arrives always
   * has one: running out of memory stops a request from being posted, and
   * never strands a call half-started. */
  c->arena = pl_arena_new(0);
  if (c->arena == NULL) {
    free(c);
    return NULL;
  }
  pthread_mutex_init(&c->lock, NULL);
  c->rpc = rpc;
  c->mi = mi;
  c->method = mi < rpc->nmethods ? rpc->methods[mi] : NULL;
  grpc_metadata_array_init(&c->md);
  grpc_call_details_init(&c->details);
  pl__tag *tags[] = {&c->t_request, &c->t_done, &c->t_wake, &c->t_send, &c->t_close};
  pl__ev evs[] = {PL__EV_REQUEST, PL__EV_DONE, PL__EV_WAKE, PL__EV_SEND, PL__EV_CLOSE};
  for (size_t i = 0; i < 5; i++) {
    tags[i]->call = c;
    tags[i]->ev = evs[i];
  }
  return c;
}

static void pl__call_free(pl_call *c) {
  pl_rpc *rpc = c->rpc;
  /* The last call out wakes a stop waiting for it; the lock orders the
   * wake-up after the stop's check. */
  if (c->counted && atomic_fetch_sub(&rpc->active, 1) == 1 &&
      atomic_load(&rpc->stopping)) {
    pthread_mutex_lock(&rpc->lock);
    pthread_cond_broadcast(&rpc->shut_cond);
    pthread_mutex_unlock(&rpc->lock);
  }
  if (c->call != NULL)
    grpc_call_unref(c->call);
  grpc_metadata_array_destroy(&c->md);
  grpc_call_details_destroy(&c->details);
  if (c->payload != NULL)
    grpc_byte_buffer_destroy(c->payload);
  if (c->reply != NULL)
    grpc_byte_buffer_destroy(c->reply);
  if (c->have_details)
    grpc_slice_unref(c->status_details);
  pthread_mutex_destroy(&c->lock);
  pl_arena_free(c->arena);
  free(c);
}

/* Packs a message into a new byte buffer; NULL when out of memory. */
static grpc_byte_buffer *pl__pack(const ProtobufCMessage *m) {
  size_t len = protobuf_c_message_get_packed_size(m);
  grpc_slice s = grpc_slice_malloc(len);
  protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  return bb;
}

/* Sends the reply (a message when status is OK) and the status, and asks to
 * hear when the call is over (DONE). Returns 0 when the batch started; else
 * a unary call has been freed, and a Follow stream is left to its caller. */
static int pl__finish(pl_call *c, grpc_status_code status, const char *message,
                      const ProtobufCMessage *resp) {
  grpc_op ops[4];
  size_t n = 0;
  memset(ops, 0, sizeof(ops));
  if (status == GRPC_STATUS_OK && resp != NULL) {
    c->reply = pl__pack(resp);
  } else if (status == GRPC_STATUS_OK && c->raw != NULL) {
    grpc_slice sl = grpc_slice_from_copied_buffer((const char *)c->raw, c->raw_len);
    c->reply = grpc_raw_byte_buffer_create(&sl, 1);
    grpc_slice_unref(sl);
  }
  if (!c->sent_md) {
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    c->sent_md = 1;
  }
  if (c->reply != NULL) {
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = c->reply;
  }
  c->status_details = grpc_slice_from_copied_string(message ? message : "");
  c->have_details = 1;
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = status;
  ops[n++].data.send_status_from_server.status_details = &c->status_details;
  if (c->method == NULL || c->method->kind != PL_METHOD_FOLLOW) {
    /* Follow streams have their RECV_CLOSE posted from the start. */
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
  }
  grpc_call_error err = grpc_call_start_batch(c->call, ops, n, &c->t_done, NULL);
  if (err == GRPC_CALL_OK)
    return 0;
  fprintf(stderr, "partsledgerd: cannot send a reply (%d)\n", (int)err);
  if (c->method == NULL || c->method->kind != PL_METHOD_FOLLOW)
    pl__call_free(c);
  return -1;
}

/* Answers a handler's return code. With PL_RPC_PENDING the call belongs to
 * the writer now and must not be touched. */
static void pl__answer(pl_call *c, int rc, ProtobufCMessage *resp) {
  if (rc == PL_RPC_PENDING)
    return;
  if (rc == 0) {
    pl__finish(c, GRPC_STATUS_OK, NULL, resp);
    return;
  }
  pl__finish(c, pl_status_code(rc), c->message ? c->message : pl_strerror(rc), NULL);
}

/* Decodes the request payload into the call's arena. */
static int pl__decode(pl_call *c, ProtobufCMessage **req) {
  if (c->payload == NULL) {
    pl_call_errorf(c, "the request carries no message");
    return PL_EINVAL;
  }
  grpc_byte_buffer_reader r;
  if (!grpc_byte_buffer_reader_init(&r, c->payload)) {
    pl_call_errorf(c, "cannot read the request message");
    return PL_EINVAL;
  }
  grpc_slice s = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  const pl_method *m = c->method;
  /* Strings too: a NUL would cut one short for the handler (Health's
   * service name is the only one today). */
  const pl_wire_rules rules = {m->max_fields, 1};
  const char *why;
  size_t len = GRPC_SLICE_LENGTH(s);
  if (len > m->max_bytes) {
    grpc_slice_unref(s);
    pl_call_errorf(c, "the request is %zu bytes; %s takes at most %zu", len,
                   m->request->name, m->max_bytes);
    return PL_EINVAL;
  }
  int rc = pl_wire_check(m->request, GRPC_SLICE_START_PTR(s), len, &rules, &why);
  if (rc != 0) {
    grpc_slice_unref(s);
    if (rc == PL_ETOOBIG)
      pl_call_errorf(c, "the request %s (at most %zu for %s)", why, m->max_fields,
                     m->request->name);
    else
      pl_call_errorf(c, "the request %s", why);
    return PL_EINVAL;
  }
  *req = protobuf_c_message_unpack(m->request, pl_arena_allocator(c->arena), len,
                                   GRPC_SLICE_START_PTR(s));
  grpc_slice_unref(s);
  if (*req == NULL) {
    pl_call_errorf(c, "cannot decode the request as %s", c->method->request->name);
    return PL_EINVAL;
  }
  return 0;
}

/* --- Follow streams ------------------------------------------------------- */

static void pl__follow_end(pl_call *c, grpc_status_code status, const char *msg) {
  c->ending = 1;
  if (pl__finish(c, status, msg, NULL) == 0)
    c->refs++; /* DONE will come */
}

/* Sends the next entry, or parks the stream at the end of the log. Called
 * with c->lock held. */
static void pl__follow_pump(pl_call *c) {
  pl_rpc *rpc = c->rpc;
  if (c->closed || c->ending)
    return;
  if (atomic_load(&rpc->stopping)) {
    pl__follow_end(c, GRPC_STATUS_UNAVAILABLE, "server is shutting down");
    return;
  }
  for (;;) {
    const uint8_t *leaf;
    size_t len;
    uint8_t hash[PL_HASH_BYTES];
    pl_reader *reader = c->worker->reader;
    int rc = pl_reader_begin(reader);
    if (rc == 0)
      rc = pl_reader_leaf(reader, c->next, &leaf, &len, hash);
    if (rc == 0) {
      Partsledger__V1__EntryResponse e = PARTSLEDGER__V1__ENTRY_RESPONSE__INIT;
      e.index = c->next;
      e.leaf.data = (uint8_t *)leaf;
      e.leaf.len = len;
      e.leaf_hash.data = hash;
      e.leaf_hash.len = sizeof(hash);
      c->reply = pl__pack(&e.base);
      pl_reader_end(reader);
      grpc_op ops[2];
      size_t n = 0;
      memset(ops, 0, sizeof(ops));
      if (!c->sent_md) {
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        c->sent_md = 1;
      }
      ops[n].op = GRPC_OP_SEND_MESSAGE;
      ops[n++].data.send_message.send_message = c->reply;
      if (grpc_call_start_batch(c->call, ops, n, &c->t_send, NULL) == GRPC_CALL_OK) {
        c->refs++;
      } else {
        grpc_byte_buffer_destroy(c->reply);
        c->reply = NULL;
      }
      return;
    }
    if (rc != PL_ERANGE) {
      pl_reader_end(reader);
      pl__follow_end(c, pl_status_code(rc), pl_strerror(rc));
      return;
    }
    pl_reader_end(reader);
    /* At the end: park, unless a commit landed since our snapshot, or a
     * stop began since the check above. The stop sets the flag before it
     * takes this lock to wake parked streams, so under the lock either it
     * has not woken them yet (and will find this one) or the flag shows. */
    pthread_mutex_lock(&rpc->lock);
    if (rpc->committed > c->next) {
      pthread_mutex_unlock(&rpc->lock);
      continue;
    }
    if (atomic_load(&rpc->stopping)) {
      pthread_mutex_unlock(&rpc->lock);
      pl__follow_end(c, GRPC_STATUS_UNAVAILABLE, "server is shutting down");
      return;
    }
    c->parked = 1;
    c->refs++;
    c->fnext = rpc->followers;
    rpc->followers = c;
    pthread_mutex_unlock(&rpc->lock);
    return;
  }
}

static void pl__follow_start(pl_call *c) {
  ProtobufCMessage *m;
  int rc = pl__decode(c, &m);
  c->refs = 1; /* the RECV_CLOSE below */
  grpc_op op;
  memset(&op, 0, sizeof(op));
  op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  op.data.recv_close_on_server.cancelled = &c->cancelled;
  if (grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL) != GRPC_CALL_OK) {
    pl__call_free(c);
    return;
  }
  pthread_mutex_lock(&c->lock);
  if (rc != 0)
    pl__follow_end(c, pl_status_code(rc), c->message);
  else {
    c->next = ((Partsledger__V1__FollowRequest *)m)->start;
    pl_head head;
    pl_log_head(c->rpc->log, &head);
    if (c->next > head.size) {
      /* A follower ahead of the log holds entries this log never had. */
      pl_call_errorf(c, "start %" PRIu64 " is beyond the end of the log (%" PRIu64
                        " entries)", c->next, head.size);
      pl__follow_end(c, GRPC_STATUS_OUT_OF_RANGE, c->message);
    } else {
      pl__follow_pump(c);
    }
  }
  pthread_mutex_unlock(&c->lock);
}

static void pl__follow_event(pl_call *c, pl__ev ev, int success) {
  pthread_mutex_lock(&c->lock);
  c->refs--;
  switch (ev) {
  case PL__EV_SEND:
    grpc_byte_buffer_destroy(c->reply);
    c->reply = NULL;
    if (success) {
      c->next++;
      pl__follow_pump(c);
    }
    break;
  case PL__EV_WAKE:
    pl__follow_pump(c);
    break;
  case PL__EV_CLOSE:
    c->closed = 1;
    pthread_mutex_lock(&c->rpc->lock);
    if (c->parked) {
      pl_call **p = &c->rpc->followers;
      while (*p != c)
        p = &(*p)->fnext;
      *p = c->fnext;
      c->parked = 0;
      c->refs--;
    }
    pthread_mutex_unlock(&c->rpc->lock);
    break;
  default: /* DONE: the final status went out */
    break;
  }
  int left = c->refs;
  pthread_mutex_unlock(&c->lock);
  if (left == 0)
    pl__call_free(c);
}

/* Wakes every parked stream (after a commit, or to end them at shutdown). */
static void pl__wake_followers(pl_rpc *rpc, uint64_t committed) {
  pthread_mutex_lock(&rpc->lock);
  if (committed > rpc->committed)
    rpc->committed = committed;
  pl_call *list = rpc->followers;
  rpc->followers = NULL;
  for (pl_call *c = list; c != NULL; c = c->fnext)
    c->parked = 0;
  pthread_mutex_unlock(&rpc->lock);
  for (pl_call *c = list, *next; c != NULL; c = next) {
    next = c->fnext;
    /* An empty batch puts its tag on the queue at once: the stream resumes
     * on the poller, which owns it from here. */
    grpc_call_start_batch(c->call, NULL, 0, &c->t_wake, NULL);
  }
}

/* --- writer callbacks (on the writer thread) ------------------------------ */

/* The reply is built on a worker, ahead of calls not yet checked: the
 * poller would build the replies of a whole group one after another, and
 * finishing calls first keeps latency down. */
static void pl__writer_done(void *ctx, pl_writer_job *job) {
  pl_call *c = (pl_call *)((char *)job - offsetof(pl_call, job));
  c->resuming = 1;
  pl__enqueue(ctx, c);
}

/* A failed commit leaves LMDB's state in doubt (it may have marked the
 * environment unusable, and after a failed fdatasync the page cache no
 * longer says what reached the disk). Rather than go on in that state, the
 * server stops taking appends and asks to be stopped: a restart reopens the
 * data and checks the root against the signed head. A full map or disk
 * (PL_EFULL) is no such doubt: LMDB aborted the transaction cleanly, and
 * the server serves on. */
static void pl__writer_commit(void *ctx, const pl_head *head, int err) {
  pl_rpc *rpc = ctx;
  if (err == 0) {
    pl__wake_followers(rpc, head->size);
    return;
  }
  if (err != PL_EIO && err != PL_ECORRUPT)
    return;
  int none = 0;
  if (atomic_compare_exchange_strong(&rpc->storage_err, &none, err) &&
      rpc->storage_failed != NULL)
    rpc->storage_failed(rpc->ctx, err);
}

/* --- events --------------------------------------------------------------- */

/* Decodes, handles and answers a unary call, on the thread that runs it. */
static void pl__run(pl_call *c) {
  ProtobufCMessage *req = c->req, *resp = NULL;
  int rc = req != NULL ? 0 : pl__decode(c, &req);
  if (rc == 0)
    rc = c->method->handle(c, req, &resp);
  pl__answer(c, rc, resp);
}

static void pl__enqueue(pl_rpc *rpc, pl_call *c) {
  pthread_mutex_lock(&rpc->qlock);
  pl__queue *q = c->resuming ? &rpc->resumed : &rpc->fresh;
  c->qnext = NULL;
  if (q->tail != NULL)
    q->tail->qnext = c;
  else
    q->head = c;
  q->tail = c;
  pthread_cond_signal(&rpc->qcond);
  pthread_mutex_unlock(&rpc->qlock);
}

/* The next call for a worker, or NULL once stopped with nothing left. */
static pl_call *pl__dequeue(pl_rpc *rpc) {
  pthread_mutex_lock(&rpc->qlock);
  while (rpc->resumed.head == NULL && rpc->fresh.head == NULL && !rpc->qstop)
    pthread_cond_wait(&rpc->qcond, &rpc->qlock);
  pl__queue *q = rpc->resumed.head != NULL ? &rpc->resumed : &rpc->fresh;
  pl_call *c = q->head;
  if (c != NULL) {
    q->head = c->qnext;
    if (q->head == NULL)
      q->tail = NULL;
  }
  pthread_mutex_unlock(&rpc->qlock);
  return c;
}

static void pl__on_request(pl_call *c, int success) {
  pl_rpc *rpc = c->rpc;
  if (!success) { /* shutting down: the request was never matched */
    pl__call_free(c);
    return;
  }
  c->counted = 1;
  atomic_fetch_add(&rpc->active, 1);
  if (c->method != NULL && c->method->offload && c->method->inline_if != NULL) {
    /* A query small enough is answered here; a bad request too. */
    ProtobufCMessage *req, *resp = NULL;
    int rc = pl__decode(c, &req);
    if (rc != 0 || c->method->inline_if(req)) {
      if (!atomic_load(&rpc->stopping))
        pl__post(rpc, c->mi);
      if (rc == 0)
        rc = c->method->handle(c, req, &resp);
      pl__answer(c, rc, resp);
      return;
    }
    c->req = req;
  }
  if (c->method != NULL && c->method->offload) {
    pl__enqueue(rpc, c); /* the worker that takes it posts the next */
    return;
  }
  /* Post the next request before the work of this one. */
  if (!atomic_load(&rpc->stopping))
    pl__post(rpc, c->mi);
  if (c->method == NULL) {
    char *m = grpc_slice_to_c_string(c->details.method);
    pl_call_errorf(c, "unknown method %s", m);
    gpr_free(m);
    pl__finish(c, GRPC_STATUS_UNIMPLEMENTED, c->message, NULL);
    return;
  }
  if (c->method->kind == PL_METHOD_FOLLOW) {
    pl__follow_start(c);
    return;
  }
  pl__run(c);
}

static void pl__on_event(pl_rpc *rpc, pl__tag *t, int success,
                         pl__worker_state *ws) {
  pl_call *c = t->call;
  if (c == NULL) { /* the server's shutdown notification */
    pthread_mutex_lock(&rpc->lock);
    rpc->shut_down = 1;
    pthread_cond_broadcast(&rpc->shut_cond);
    pthread_mutex_unlock(&rpc->lock);
    return;
  }
  c->worker = ws;
  if (t->ev == PL__EV_REQUEST) {
    pl__on_request(c, success);
    return;
  }
  if (c->method != NULL && c->method->kind == PL_METHOD_FOLLOW) {
    pl__follow_event(c, t->ev, success);
    return;
  }
  pl__call_free(c); /* DONE */
}

static void pl__end_snapshot(pl__worker_state *ws) {
  if (ws->open) {
    pl_reader_end(ws->reader);
    ws->open = 0;
  }
}

static void pl__reader_or_die(pl_rpc *rpc, pl__worker_state *ws) {
  ws->open = 0;
  if (pl_reader_new(rpc->log, &ws->reader) != 0) {
    fprintf(stderr, "partsledgerd: cannot create an LMDB reader\n");
    abort();
  }
}

/* The poller: every completion-queue event, until the queue is shut down. */
static void *pl__poll(void *arg) {
  pl_rpc *rpc = arg;
  pl__worker_state ws;
  pthread_setname_np(pthread_self(), "pl-poller"); /* for top -H, perf, gdb */
  pl__reader_or_die(rpc, &ws);
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(
        rpc->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN)
      break;
    if (ev.type != GRPC_OP_COMPLETE)
      continue;
    pl__on_event(rpc, ev.tag, ev.success, &ws);
    pl__end_snapshot(&ws);
  }
  pl_reader_free(ws.reader);
  return NULL;
}

/* A worker: offloaded calls, until the queue is stopped and empty. */
static void *pl__worker(void *arg) {
  pl_rpc *rpc = arg;
  pl__worker_state ws;
  pthread_setname_np(pthread_self(), "pl-worker");
  pl__reader_or_die(rpc, &ws);
  for (;;) {
    pl_call *c = pl__dequeue(rpc);
    if (c == NULL)
      break;
    c->worker = &ws;
    if (c->resuming) {
      ProtobufCMessage *resp = NULL;
      int rc = c->method->resume(c, NULL, &resp);
      pl__answer(c, rc, resp);
    } else {
      if (!atomic_load(&rpc->stopping))
        pl__post(rpc, c->mi);
      pl__run(c);
    }
    pl__end_snapshot(&ws);
  }
  pl_reader_free(ws.reader);
  return NULL;
}

static void pl__post(pl_rpc *rpc, size_t mi) {
  pl_call *c = pl__call_new(rpc, mi);
  if (c == NULL) {
    fprintf(stderr, "partsledgerd: out of memory posting a request\n");
    return;
  }
  grpc_call_error err;
  if (c->method != NULL)
    err = grpc_server_request_registered_call(
        rpc->server, rpc->handles[mi], &c->call, &c->deadline, &c->md,
        &c->payload, rpc->cq, rpc->cq, &c->t_request);
  else
    err = grpc_server_request_call(rpc->server, &c->call, &c->details, &c->md,
                                   rpc->cq, rpc->cq, &c->t_request);
  if (err != GRPC_CALL_OK)
    pl__call_free(c);
}

/* --- for handlers --------------------------------------------------------- */

pl_arena *pl_call_arena(pl_call *c) { return c->arena; }

void *pl_call_alloc(pl_call *c, size_t n) { return pl_arena_alloc(c->arena, n ? n : 1); }

int pl_call_proof(pl_call *c, const pl_hash *proof, size_t n, ProtobufCBinaryData **out) {
  ProtobufCBinaryData *bins = pl_call_alloc(c, n * sizeof(*bins));
  if (bins == NULL)
    return PL_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    bins[i].len = PL_HASH_BYTES;
    bins[i].data = pl_arena_dup(c->arena, proof[i], PL_HASH_BYTES);
    if (bins[i].data == NULL)
      return PL_ENOMEM;
  }
  *out = bins;
  return 0;
}
pl_log *pl_call_log(pl_call *c) { return c->rpc->log; }
pl_writer_job *pl_call_job(pl_call *c) { return &c->job; }
void pl_call_set_state(pl_call *c, void *state) { c->state = state; }
void *pl_call_state(pl_call *c) { return c->state; }

pl_reader *pl_call_reader(pl_call *c, int *err) {
  pl__worker_state *ws = c->worker;
  if (!ws->open) {
    int rc = pl_reader_begin(ws->reader);
    if (rc != 0) {
      *err = rc;
      return NULL;
    }
    ws->open = 1;
  }
  return ws->reader;
}

void pl_call_reply_raw(pl_call *c, const uint8_t *bytes, size_t len) {
  c->raw = bytes;
  c->raw_len = len;
}

void pl_call_errorf(pl_call *c, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  c->message = pl_arena_dup(c->arena, buf, strlen(buf) + 1);
}

int pl_call_submit(pl_call *c, pl_writer_job *job) {
  if (atomic_load(&c->rpc->storage_err) != 0) {
    pl_call_errorf(c, "storage failed and the server is stopping; retry with the "
                      "same request_id once it is back");
    return PL_EBUSY;
  }
  int rc = pl_writer_submit(c->rpc->writer, job);
  if (rc == PL_EBUSY)
    pl_call_errorf(c, "server is shutting down; retry with the same request_id");
  else if (rc == PL_EFULL)
    pl_call_errorf(c, "write queue is full; retry with the same request_id");
  return rc;
}

/* --- start and stop -------------------------------------------------------- */

static void pl__rpc_free(pl_rpc *rpc) {
  for (size_t i = 0; rpc->paths != NULL && i < rpc->nmethods; i++)
    free(rpc->paths[i]);
  free(rpc->paths);
  free(rpc->methods);
  free(rpc->handles);
  free(rpc->workers);
  pthread_cond_destroy(&rpc->shut_cond);
  pthread_mutex_destroy(&rpc->lock);
  pthread_cond_destroy(&rpc->qcond);
  pthread_mutex_destroy(&rpc->qlock);
  free(rpc);
}

/* Lists every method of every service, with its full path. */
static int pl__methods(pl_rpc *rpc) {
  size_t n = 0;
  for (size_t s = 0; s < pl_services_count; s++)
    n += pl_services[s]->n_methods;
  rpc->methods = calloc(n, sizeof(*rpc->methods));
  rpc->paths = calloc(n, sizeof(*rpc->paths));
  rpc->handles = calloc(n, sizeof(*rpc->handles));
  if (rpc->methods == NULL || rpc->paths == NULL || rpc->handles == NULL)
    return PL_ENOMEM;
  for (size_t s = 0; s < pl_services_count; s++)
    for (size_t m = 0; m < pl_services[s]->n_methods; m++) {
      const pl_method *method = &pl_services[s]->methods[m];
      size_t len = strlen(pl_services[s]->name) + strlen(method->name) + 3;
      char *path = malloc(len);
      if (path == NULL)
        return PL_ENOMEM;
      snprintf(path, len, "/%s/%s", pl_services[s]->name, method->name);
      rpc->paths[rpc->nmethods] = path;
      rpc->methods[rpc->nmethods++] = method;
    }
  return 0;
}

int pl_rpc_bind(const pl_rpc_config *cfg, pl_log *log, pl_rpc **out, int *port) {
  pl_rpc *rpc = calloc(1, sizeof(*rpc));
  if (rpc == NULL)
    return PL_ENOMEM;
  rpc->log = log;
  rpc->storage_failed = cfg->storage_failed;
  rpc->ctx = cfg->ctx;
  rpc->nworkers = cfg->workers > 0 ? cfg->workers : 1;
  atomic_init(&rpc->storage_err, 0);
  atomic_init(&rpc->active, 0);
  pthread_mutex_init(&rpc->lock, NULL);
  pthread_cond_init(&rpc->shut_cond, NULL);
  pthread_mutex_init(&rpc->qlock, NULL);
  pthread_cond_init(&rpc->qcond, NULL);
  rpc->shutdown_tag.call = NULL;
  if (pl__methods(rpc) != 0) {
    pl__rpc_free(rpc);
    return PL_ENOMEM;
  }

  grpc_arg args[3];
  memset(args, 0, sizeof(args));
  /* A second server on the same port must fail, not share it silently. */
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = GRPC_ARG_ALLOW_REUSEPORT;
  args[0].value.integer = 0;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[1].value.integer = PL__MAX_RECEIVE;
  args[2].type = GRPC_ARG_INTEGER;
  args[2].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
  args[2].value.integer = -1;
  grpc_channel_args chargs = {3, args};

  rpc->cq = grpc_completion_queue_create_for_next(NULL);
  rpc->server = grpc_server_create(&chargs, NULL);
  grpc_server_register_completion_queue(rpc->server, rpc->cq, NULL);
  for (size_t i = 0; i < rpc->nmethods; i++)
    rpc->handles[i] = grpc_server_register_method(
        rpc->server, rpc->paths[i], NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  *port = grpc_server_add_http2_port(rpc->server, cfg->listen, creds);
  grpc_server_credentials_release(creds);
  if (*port == 0) {
    pl_rpc_unbind(rpc);
    return PL_EINVAL;
  }
  *out = rpc;
  return 0;
}

void pl_rpc_unbind(pl_rpc *rpc) {
  if (rpc == NULL)
    return;
  grpc_server_destroy(rpc->server);
  grpc_completion_queue_shutdown(rpc->cq);
  while (grpc_completion_queue_next(rpc->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
             .type != GRPC_QUEUE_SHUTDOWN)
    ;
  grpc_completion_queue_destroy(rpc->cq);
  pl__rpc_free(rpc);
}

void pl_rpc_serve(pl_rpc *rpc) {
  pl_head head;
  pl_log_head(rpc->log, &head);
  rpc->committed = head.size;
  if (pl_writer_start(rpc->log, pl__writer_done, pl__writer_commit, rpc, &rpc->writer) != 0)
    goto nomem;
  grpc_server_start(rpc->server);
  for (size_t i = 0; i < rpc->nmethods; i++)
    for (int k = 0; k < rpc->methods[i]->posted; k++)
      pl__post(rpc, i);
  for (int k = 0; k < PL__GENERIC_POSTED; k++)
    pl__post(rpc, rpc->nmethods);

  rpc->workers = calloc((size_t)rpc->nworkers, sizeof(pthread_t));
  if (rpc->workers == NULL)
    goto nomem;
  for (int i = 0; i < rpc->nworkers; i++)
    if (pthread_create(&rpc->workers[i], NULL, pl__worker, rpc) != 0)
      goto nomem;
  if (pthread_create(&rpc->poller, NULL, pl__poll, rpc) != 0)
    goto nomem;
  return;

nomem:
  /* Only reachable at start-up with no client yet: give up. */
  fprintf(stderr, "partsledgerd: out of memory or threads at start-up\n");
  abort();
}

void pl_rpc_stop(pl_rpc *rpc) {
  atomic_store(&rpc->stopping, 1);
  grpc_server_shutdown_and_notify(rpc->server, rpc->cq, &rpc->shutdown_tag);
  /* Parked streams end with UNAVAILABLE; appends in flight finish normally. */
  pl__wake_followers(rpc, 0);

  /* Calls in flight get up to 5 s to finish; then what is left is
   * cancelled, and connections still open (idle ones too) are closed. */
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  pthread_mutex_lock(&rpc->lock);
  while (!rpc->shut_down && atomic_load(&rpc->active) > 0 &&
         pthread_cond_timedwait(&rpc->shut_cond, &rpc->lock, &until) == 0)
    ;
  int done = rpc->shut_down;
  pthread_mutex_unlock(&rpc->lock);
  if (!done) {
    /* Neither a client that does not read its stream nor one that just
     * keeps its connection open may hold the exit up. */
    grpc_server_cancel_all_calls(rpc->server);
    pthread_mutex_lock(&rpc->lock);
    while (!rpc->shut_down)
      pthread_cond_wait(&rpc->shut_cond, &rpc->lock);
    pthread_mutex_unlock(&rpc->lock);
  }
  /* The writer commits what it holds and queues the replies; the workers
   * send them and finish what else is queued (appends now find the writer
   * stopped and are answered UNAVAILABLE, to be retried). */
  pl_writer_stop(rpc->writer);
  pthread_mutex_lock(&rpc->qlock);
  rpc->qstop = 1;
  pthread_cond_broadcast(&rpc->qcond);
  pthread_mutex_unlock(&rpc->qlock);
  for (int i = 0; i < rpc->nworkers; i++)
    pthread_join(rpc->workers[i], NULL);
  grpc_completion_queue_shutdown(rpc->cq);
  pthread_join(rpc->poller, NULL);
  pl_writer_free(rpc->writer);
  grpc_server_destroy(rpc->server);
  grpc_completion_queue_destroy(rpc->cq);
  pl__rpc_free(rpc);
}
