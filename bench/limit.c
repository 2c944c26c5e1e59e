/*
 * limit.c - the verify-only server: the physical limit of a signed append;
 * and the do-nothing server: the gRPC limit of a query.
 *
 * The `limit` phase starts this server inside the bench, on 127.0.0.1, and
 * drives it with exactly the load of the append and batch phases. It serves
 * Append and AppendBatch, and for each request only decodes it, checks each
 * SignedEntry's signatures with pl_signed_entry_verify (the check the
 * server's workers make), and answers a well-formed reply: a running index,
 * the SHA-256 leaf hash of the Leaf the entry would become, the tree size
 * after it, and a fixed checkpoint string. Nothing is stored or synced, and
 * there is no writer. What a real append costs on top of this (the writer's
 * commit and fdatasync, the state checks, the inclusion proof of its reply)
 * is what a write phase's ratio to this limit shows.
 *
 * Its threads are partsledgerd's (server/rpc.c): one poller on the one
 * completion queue, which hands every append to a pool of worker threads
 * (as many as CPUs by default, like partsledgerd's --workers); a worker
 * posts the method's next request, decodes, verifies and starts the reply
 * batch, and the poller frees finished calls. As many requests stay posted
 * per method as in partsledgerd (64 Append, 16 AppendBatch), and a few
 * generic ones answer unknown methods UNIMPLEMENTED. The threads are named
 * lim-poller and lim-worker, so that the sampler can tell them from the
 * load generator's.
 *
 * The same server answers the query phases' limit (near, trace): each
 * method given to bench_limit_start as canned is registered with as many
 * requests posted as partsledgerd keeps for it, and every call to it is
 * answered on the poller thread, which re-posts the request and sends the
 * same ready reply bytes (a real reply of a typical size, which the phase
 * took from partsledgerd) without reading the request: no decoding, no
 * lookup, no packing, no hand-off to a worker. What a real query costs on
 * top of this (decoding, the LMDB reads, building and packing the reply) is
 * what the phase's ratio to this limit shows. partsledgerd answers the
 * measured queries on its poller too (StockNear within 100 km, TraceBatch
 * without proofs); only a larger circle would add a hand-off to a worker.
 *
 * Depends on gRPC core, protobuf-c, storage/ (pl_entry: arena, entry,
 * keys, merkle, error), never on LMDB.
 */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "entry.h"
#include "error.h"
#include "partsledger/v1/ledger.pb-c.h"

#define LIM_BATCH_MAX 1000 /* as partsledgerd */
#define LIM_GENERIC_POSTED 4
#define LIM_MAX_CANNED 8
#define LIM_ORIGIN "bench.invalid/partsledger-limit"

/* The registered methods: Append, AppendBatch, then the canned ones from
 * LIM_M_CANNED on; LIM_M_GENERIC is any other method. */
enum { LIM_M_APPEND, LIM_M_BATCH, LIM_M_CANNED, LIM_M_GENERIC = -1 };
static const struct {
  const char *path;
  int posted;
} lim_methods[] = {{BENCH_SERVICE "Append", 64}, {BENCH_SERVICE "AppendBatch", 16}};

typedef enum { LIM_EV_REQUEST, LIM_EV_DONE } lim_ev;

typedef struct lim_call lim_call;

typedef struct {
  lim_call *call; /* NULL for the server's shutdown tag */
  lim_ev ev;
} lim_tag;

struct lim_call {
  bench_limit *l;
  int m; /* LIM_M_* */
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array md;
  grpc_call_details details; /* generic requests only */
  grpc_byte_buffer *payload, *reply;
  grpc_slice status_details;
  int have_details;
  int cancelled;
  pl_arena *arena;
  lim_call *qnext;
  lim_tag t_request, t_done;
};

struct bench_limit {
  grpc_server *server;
  grpc_completion_queue *cq;
  void *handles[LIM_M_CANNED + LIM_MAX_CANNED];
  int nmethods;
  bench_canned canned[LIM_MAX_CANNED];
  pthread_t poller;
  int nworkers;
  pthread_t *workers;
  pthread_mutex_t qlock; /* the calls waiting for a worker */
  pthread_cond_t qcond;
  lim_call *head, *tail;
  int qstop;
  atomic_int stopping;
  lim_tag shutdown_tag;
  pthread_mutex_t lock; /* guards shut_down */
  pthread_cond_t shut_cond;
  int shut_down;
  atomic_uint_fast64_t next; /* the index of the next accepted entry */
  char checkpoint[320];
};

/* The gRPC status of a project error code, from the one list (error.h). */
static grpc_status_code lim_status(int err) {
  switch (err) {
  case 0:
    return GRPC_STATUS_OK;
#define LIM_STATUS(name, num, status, msg)                                     \
  case PL_##name:                                                              \
    return GRPC_STATUS_##status;
    PL_ERRNO_MAP(LIM_STATUS)
#undef LIM_STATUS
  }
  return GRPC_STATUS_INTERNAL;
}

/* ---- calls ------------------------------------------------------------------ */

static void lim_call_free(lim_call *c) {
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
  pl_arena_free(c->arena);
  free(c);
}

/* Posts a request for method m (LIM_M_GENERIC: any other method). */
static void lim_post(bench_limit *l, int m) {
  lim_call *c = calloc(1, sizeof(*c));
  if (c == NULL || (c->arena = pl_arena_new(0)) == NULL) {
    free(c);
    bench_note("limit: out of memory posting a request");
    return;
  }
  c->l = l;
  c->m = m;
  grpc_metadata_array_init(&c->md);
  grpc_call_details_init(&c->details);
  c->t_request = (lim_tag){c, LIM_EV_REQUEST};
  c->t_done = (lim_tag){c, LIM_EV_DONE};
  grpc_call_error err;
  if (m != LIM_M_GENERIC)
    err = grpc_server_request_registered_call(l->server, l->handles[m], &c->call,
                                              &c->deadline, &c->md, &c->payload, l->cq,
                                              l->cq, &c->t_request);
  else
    err = grpc_server_request_call(l->server, &c->call, &c->details, &c->md, l->cq, l->cq,
                                   &c->t_request);
  if (err != GRPC_CALL_OK)
    lim_call_free(c);
}

/* Sends c->reply (when set) and the status; DONE follows on the poller,
 * which frees the call. */
static void lim_send(lim_call *c, grpc_status_code status, const char *message) {
  grpc_op ops[4];
  size_t n = 0;
  memset(ops, 0, sizeof(ops));
  ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
  if (c->reply != NULL) {
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = c->reply;
  }
  c->status_details = grpc_slice_from_copied_string(message ? message : "");
  c->have_details = 1;
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = status;
  ops[n++].data.send_status_from_server.status_details = &c->status_details;
  ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
  if (grpc_call_start_batch(c->call, ops, n, &c->t_done, NULL) != GRPC_CALL_OK)
    lim_call_free(c);
}

/* Sends the reply (a message when status is OK) and the status. */
static void lim_finish(lim_call *c, grpc_status_code status, const char *message,
                       const ProtobufCMessage *resp) {
  if (status == GRPC_STATUS_OK && resp != NULL) {
    size_t len = protobuf_c_message_get_packed_size(resp);
    grpc_slice s = grpc_slice_malloc(len);
    protobuf_c_message_pack(resp, GRPC_SLICE_START_PTR(s));
    c->reply = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
  }
  lim_send(c, status, message);
}

/* A canned method's call: the ready bytes, as they are. */
static void lim_finish_canned(lim_call *c) {
  const bench_canned *k = &c->l->canned[c->m - LIM_M_CANNED];
  grpc_slice s = grpc_slice_from_static_buffer(k->reply, k->len);
  c->reply = grpc_raw_byte_buffer_create(&s, 1);
  lim_send(c, GRPC_STATUS_OK, NULL);
}

/* ---- what a worker does ---------------------------------------------------- */

static int64_t lim_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The leaf hash of the Leaf that `se` would become at `index`: the bytes
 * the writer would store, hashed as RFC 9162 hashes a leaf. */
static int lim_leaf_hash(pl_arena *a, uint64_t index, int64_t at_ms,
                         Partsledger__V1__SignedEntry *se, uint8_t **out) {
  Partsledger__V1__Leaf leaf = PARTSLEDGER__V1__LEAF__INIT;
  leaf.index = index;
  leaf.integrated_at_ms = at_ms;
  leaf.signed_entry = se;
  size_t len = partsledger__v1__leaf__get_packed_size(&leaf);
  uint8_t *buf = pl_arena_alloc(a, len);
  *out = pl_arena_alloc(a, PL_HASH_BYTES);
  if (buf == NULL || *out == NULL)
    return PL_ENOMEM;
  partsledger__v1__leaf__pack(&leaf, buf);
  pl_merkle_leaf_hash(buf, len, *out);
  return 0;
}

static int lim_append(lim_call *c, const uint8_t *p, size_t n, ProtobufCMessage **resp,
                      char *msg) {
  pl_arena *a = c->arena;
  Partsledger__V1__AppendRequest *req =
      partsledger__v1__append_request__unpack(pl_arena_allocator(a), n, p);
  if (req == NULL)
    return pl_fail(msg, PL_EINVAL, "cannot decode the request as an AppendRequest");
  if (req->signed_entry == NULL)
    return pl_fail(msg, PL_EINVAL, "signed_entry is required");
  int rc = pl_signed_entry_verify(req->signed_entry, msg);
  if (rc != 0)
    return rc;
  Partsledger__V1__AppendResponse *r = pl_arena_alloc(a, sizeof(*r));
  if (r == NULL)
    return pl_fail(msg, PL_ENOMEM, "out of memory");
  partsledger__v1__append_response__init(r);
  r->index = atomic_fetch_add(&c->l->next, 1);
  if (lim_leaf_hash(a, r->index, lim_now_ms(), req->signed_entry, &r->leaf_hash.data) != 0)
    return pl_fail(msg, PL_ENOMEM, "out of memory");
  r->leaf_hash.len = PL_HASH_BYTES;
  r->tree_size = r->index + 1;
  r->checkpoint = c->l->checkpoint;
  *resp = &r->base;
  return 0;
}

static int lim_append_batch(lim_call *c, const uint8_t *p, size_t n,
                            ProtobufCMessage **resp, char *msg) {
  pl_arena *a = c->arena;
  Partsledger__V1__AppendBatchRequest *req =
      partsledger__v1__append_batch_request__unpack(pl_arena_allocator(a), n, p);
  if (req == NULL)
    return pl_fail(msg, PL_EINVAL, "cannot decode the request as an AppendBatchRequest");
  size_t k = req->n_signed_entries;
  if (k == 0 || k > LIM_BATCH_MAX)
    return pl_fail(msg, PL_EINVAL, "an AppendBatch takes 1..%d entries, got %zu",
                   LIM_BATCH_MAX, k);
  Partsledger__V1__AppendBatchResponse *r = pl_arena_alloc(a, sizeof(*r));
  Partsledger__V1__AppendResult *res = pl_arena_alloc(a, k * sizeof(*res));
  Partsledger__V1__AppendResult **ptrs = pl_arena_alloc(a, k * sizeof(*ptrs));
  if (r == NULL || res == NULL || ptrs == NULL)
    return pl_fail(msg, PL_ENOMEM, "out of memory");
  partsledger__v1__append_batch_response__init(r);
  /* Every entry is checked first, then the good ones take consecutive
   * indices, as one group commit would give them. */
  size_t good = 0;
  for (size_t i = 0; i < k; i++) {
    char why[PL_MSG_MAX];
    partsledger__v1__append_result__init(&res[i]);
    ptrs[i] = &res[i];
    int rc = pl_signed_entry_verify(req->signed_entries[i], why);
    if (rc != 0) {
      res[i].code = (int32_t)lim_status(rc);
      res[i].message = pl_arena_dup(a, why, strlen(why) + 1);
    } else {
      good++;
    }
  }
  uint64_t index = atomic_fetch_add(&c->l->next, good);
  int64_t at_ms = lim_now_ms();
  for (size_t i = 0; i < k; i++) {
    if (res[i].code != 0)
      continue;
    res[i].index = index++;
    if (lim_leaf_hash(a, res[i].index, at_ms, req->signed_entries[i],
                      &res[i].leaf_hash.data) != 0)
      return pl_fail(msg, PL_ENOMEM, "out of memory");
    res[i].leaf_hash.len = PL_HASH_BYTES;
  }
  r->n_results = k;
  r->results = ptrs;
  r->checkpoint = c->l->checkpoint;
  /* With no good entry, nothing was "committed": the size seen so far. */
  r->tree_size = good > 0 ? index : atomic_load(&c->l->next);
  *resp = &r->base;
  return 0;
}

static void lim_handle(lim_call *c) {
  char msg[PL_MSG_MAX];
  ProtobufCMessage *resp = NULL;
  int rc;
  if (c->payload == NULL) {
    rc = pl_fail(msg, PL_EINVAL, "the request carries no message");
  } else {
    grpc_byte_buffer_reader rd;
    if (!grpc_byte_buffer_reader_init(&rd, c->payload)) {
      rc = pl_fail(msg, PL_EINVAL, "cannot read the request message");
    } else {
      grpc_slice s = grpc_byte_buffer_reader_readall(&rd);
      grpc_byte_buffer_reader_destroy(&rd);
      const uint8_t *p = GRPC_SLICE_START_PTR(s);
      size_t n = GRPC_SLICE_LENGTH(s);
      rc = c->m == LIM_M_APPEND ? lim_append(c, p, n, &resp, msg)
                                : lim_append_batch(c, p, n, &resp, msg);
      /* The reply is packed before the slice goes: the request's bytes
       * fields point into it. */
      lim_finish(c, lim_status(rc), rc != 0 ? msg : NULL, resp);
      grpc_slice_unref(s);
      return;
    }
  }
  lim_finish(c, lim_status(rc), msg, NULL);
}

/* ---- threads ------------------------------------------------------------------ */

static void lim_enqueue(bench_limit *l, lim_call *c) {
  pthread_mutex_lock(&l->qlock);
  c->qnext = NULL;
  if (l->tail != NULL)
    l->tail->qnext = c;
  else
    l->head = c;
  l->tail = c;
  pthread_cond_signal(&l->qcond);
  pthread_mutex_unlock(&l->qlock);
}

/* The next call for a worker, or NULL once stopped with nothing left. */
static lim_call *lim_dequeue(bench_limit *l) {
  pthread_mutex_lock(&l->qlock);
  while (l->head == NULL && !l->qstop)
    pthread_cond_wait(&l->qcond, &l->qlock);
  lim_call *c = l->head;
  if (c != NULL) {
    l->head = c->qnext;
    if (l->head == NULL)
      l->tail = NULL;
  }
  pthread_mutex_unlock(&l->qlock);
  return c;
}

static void *lim_worker(void *arg) {
  bench_limit *l = arg;
  pthread_setname_np(pthread_self(), "lim-worker");
  lim_call *c;
  while ((c = lim_dequeue(l)) != NULL) {
    /* Post the next request before the work of this one. */
    if (!atomic_load(&l->stopping))
      lim_post(l, c->m);
    lim_handle(c);
  }
  return NULL;
}

static void lim_on_event(bench_limit *l, lim_tag *t, int success) {
  lim_call *c = t->call;
  if (c == NULL) { /* the server's shutdown notification */
    pthread_mutex_lock(&l->lock);
    l->shut_down = 1;
    pthread_cond_broadcast(&l->shut_cond);
    pthread_mutex_unlock(&l->lock);
    return;
  }
  if (t->ev == LIM_EV_DONE || !success) { /* finished, or never matched */
    lim_call_free(c);
    return;
  }
  if (c->m >= LIM_M_CANNED) {
    /* Nothing to do but answer: here, as partsledgerd answers its reads
     * that are not offloaded. */
    if (!atomic_load(&l->stopping))
      lim_post(l, c->m);
    lim_finish_canned(c);
    return;
  }
  if (c->m != LIM_M_GENERIC) {
    lim_enqueue(l, c); /* the worker that takes it posts the next */
    return;
  }
  if (!atomic_load(&l->stopping))
    lim_post(l, LIM_M_GENERIC);
  lim_finish(c, GRPC_STATUS_UNIMPLEMENTED,
             "the limit server serves Append, AppendBatch and its ready replies", NULL);
}

static void *lim_poller(void *arg) {
  bench_limit *l = arg;
  pthread_setname_np(pthread_self(), "lim-poller");
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(l->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN)
      break;
    if (ev.type == GRPC_OP_COMPLETE)
      lim_on_event(l, ev.tag, ev.success);
  }
  return NULL;
}

/* ---- start and stop ------------------------------------------------------------- */

/* A checkpoint note of the usual shape and size: origin, size, root, and a
 * signature line, all fixed. */
static void lim_checkpoint(bench_limit *l) {
  uint8_t zero[4 + PL_SIGNATURE_BYTES] = {0};
  char root[48], sig[96];
  pl_base64_encode(zero, PL_HASH_BYTES, root, sizeof(root));
  pl_base64_encode(zero, sizeof(zero), sig, sizeof(sig));
  snprintf(l->checkpoint, sizeof(l->checkpoint), "%s\n0\n%s\n\n\xe2\x80\x94 %s %s\n",
           LIM_ORIGIN, root, LIM_ORIGIN, sig);
}

int bench_limit_start(int workers, const bench_canned *canned, size_t ncanned,
                      bench_limit **out, int *port) {
  if (ncanned > LIM_MAX_CANNED)
    return -1;
  bench_limit *l = calloc(1, sizeof(*l));
  if (l == NULL)
    return -1;
  l->nmethods = LIM_M_CANNED + (int)ncanned;
  if (ncanned > 0)
    memcpy(l->canned, canned, ncanned * sizeof(*canned));
  atomic_init(&l->stopping, 0);
  atomic_init(&l->next, 0);
  pthread_mutex_init(&l->qlock, NULL);
  pthread_cond_init(&l->qcond, NULL);
  pthread_mutex_init(&l->lock, NULL);
  pthread_cond_init(&l->shut_cond, NULL);
  lim_checkpoint(l);

  /* The server's own arguments (server/rpc.c). */
  grpc_arg args[3];
  memset(args, 0, sizeof(args));
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = GRPC_ARG_ALLOW_REUSEPORT;
  args[0].value.integer = 0;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[1].value.integer = 64 << 20;
  args[2].type = GRPC_ARG_INTEGER;
  args[2].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
  args[2].value.integer = -1;
  grpc_channel_args chargs = {3, args};
  l->cq = grpc_completion_queue_create_for_next(NULL);
  l->server = grpc_server_create(&chargs, NULL);
  grpc_server_register_completion_queue(l->server, l->cq, NULL);
  for (int m = 0; m < l->nmethods; m++)
    l->handles[m] = grpc_server_register_method(
        l->server, m < LIM_M_CANNED ? lim_methods[m].path : l->canned[m - LIM_M_CANNED].method,
        NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  *port = grpc_server_add_http2_port(l->server, "127.0.0.1:0", creds);
  grpc_server_credentials_release(creds);
  if (*port == 0) {
    bench_note("limit: cannot bind 127.0.0.1:0");
    grpc_server_destroy(l->server);
    grpc_completion_queue_shutdown(l->cq);
    while (grpc_completion_queue_next(l->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
      ;
    grpc_completion_queue_destroy(l->cq);
    free(l);
    return -1;
  }
  grpc_server_start(l->server);
  for (int m = 0; m < l->nmethods; m++) {
    int posted = m < LIM_M_CANNED ? lim_methods[m].posted : l->canned[m - LIM_M_CANNED].posted;
    for (int k = 0; k < (posted > 0 ? posted : 8); k++)
      lim_post(l, m);
  }
  for (int k = 0; k < LIM_GENERIC_POSTED; k++)
    lim_post(l, LIM_M_GENERIC);

  l->nworkers = workers > 0 ? workers : 1;
  l->workers = calloc((size_t)l->nworkers, sizeof(pthread_t));
  if (l->workers == NULL)
    goto fail;
  for (int i = 0; i < l->nworkers; i++)
    if (pthread_create(&l->workers[i], NULL, lim_worker, l) != 0)
      goto fail;
  if (pthread_create(&l->poller, NULL, lim_poller, l) != 0)
    goto fail;
  *out = l;
  return 0;

fail:
  /* Only at start-up, with no client yet. */
  bench_note("limit: out of memory or threads at start-up");
  exit(1);
}

uint64_t bench_limit_next(bench_limit *l) { return atomic_load(&l->next); }

void bench_limit_stop(bench_limit *l) {
  if (l == NULL)
    return;
  /* Nothing is in flight: the load ended and its channels are closed. The
   * order is partsledgerd's: stop accepting and cancel what is left, wait
   * for the notice, stop the workers, then the queue and its poller. */
  atomic_store(&l->stopping, 1);
  grpc_server_shutdown_and_notify(l->server, l->cq, &l->shutdown_tag);
  grpc_server_cancel_all_calls(l->server);
  pthread_mutex_lock(&l->lock);
  while (!l->shut_down)
    pthread_cond_wait(&l->shut_cond, &l->lock);
  pthread_mutex_unlock(&l->lock);
  pthread_mutex_lock(&l->qlock);
  l->qstop = 1;
  pthread_cond_broadcast(&l->qcond);
  pthread_mutex_unlock(&l->qlock);
  for (int i = 0; i < l->nworkers; i++)
    pthread_join(l->workers[i], NULL);
  grpc_completion_queue_shutdown(l->cq);
  pthread_join(l->poller, NULL);
  grpc_server_destroy(l->server);
  grpc_completion_queue_destroy(l->cq);
  pthread_cond_destroy(&l->shut_cond);
  pthread_mutex_destroy(&l->lock);
  pthread_cond_destroy(&l->qcond);
  pthread_mutex_destroy(&l->qlock);
  free(l->workers);
  free(l);
}
