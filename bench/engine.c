/*
 * engine.c - the load generator: any unary method of any server, driven
 * asynchronously through the gRPC core API.
 *
 * Each sender thread owns a completion queue and a set of call slots, and a
 * slot starts its next call as soon as its last one completes, so that
 * `inflight` calls are always in the air. What a call sends and what its
 * answer must be come from a bench_workload: a generator that points the
 * slot at the request's bytes (sent from a static slice, so that nothing is
 * packed or copied in the loop) and a checker that decodes the response and
 * counts what succeeded. The engine counts the rest: calls, failures by
 * gRPC status, the time from the first call sent to the last completed,
 * and the latency of every successful call.
 *
 * Also here: the channels to a server (bench_target), with the method
 * handles registered on each. Depends on gRPC core, libsodium (to seed the
 * generators' random numbers) and storage/arena.h.
 */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("partsledger-bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

uint64_t bench_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

void bench_fail(bench_tally *t, int code, uint64_t count, const char *fmt, ...) {
  t->errors += count;
  t->codes[code >= 0 && code < BENCH_STATUSES ? code : GRPC_STATUS_UNKNOWN] += count;
  if (t->first_error[0] == '\0') {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->first_error, sizeof(t->first_error), fmt, ap);
    va_end(ap);
  }
}

/* ---- channels ------------------------------------------------------------ */

void bench_target_open(bench_target *t, const char *addr, int channels, int full_stack) {
  memset(t, 0, sizeof(*t));
  /* With a local subchannel pool each channel gets a TCP connection of its
   * own; otherwise channels to one target share one. The minimal stack
   * spares the load generator, which shares the server's cores, the
   * client-side filters; every response is still checked, and the server
   * still enforces the deadlines the calls carry. */
  grpc_arg args[3];
  memset(args, 0, sizeof(args));
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[0].value.integer = 64 << 20;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
  args[1].value.integer = 1;
  args[2].type = GRPC_ARG_INTEGER;
  args[2].key = GRPC_ARG_MINIMAL_STACK;
  args[2].value.integer = !full_stack;
  grpc_channel_args chargs = {3, args};
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  t->n = channels < 1 ? 1 : channels > BENCH_MAX_THREADS ? BENCH_MAX_THREADS : channels;
  for (int c = 0; c < t->n; c++)
    t->ch[c] = grpc_channel_create(addr, creds, &chargs);
  grpc_channel_credentials_release(creds);
}

void bench_target_close(bench_target *t) {
  for (int c = 0; c < t->n; c++)
    grpc_channel_destroy(t->ch[c]);
  for (int m = 0; m < t->nmethods; m++)
    free(t->path[m]);
  memset(t, 0, sizeof(*t));
}

/* The method's slot in t, registering it on every channel the first time.
 * Called before the sender threads start. -1 when the table is full. */
static int bench_target_method(bench_target *t, const char *path) {
  for (int m = 0; m < t->nmethods; m++)
    if (strcmp(t->path[m], path) == 0)
      return m;
  if (t->nmethods == BENCH_MAX_METHODS)
    return -1;
  int m = t->nmethods;
  t->path[m] = strdup(path);
  if (t->path[m] == NULL)
    return -1;
  for (int c = 0; c < t->n; c++)
    t->handle[m][c] = grpc_channel_register_call(t->ch[c], path, NULL, NULL);
  t->nmethods++;
  return m;
}

/* ---- the sender threads --------------------------------------------------- */

typedef struct bench_sender bench_sender;

typedef struct {
  bench_sender *s;
  bench_req q;
  grpc_call *call;
  grpc_metadata_array md0, md1;
  grpc_byte_buffer *send, *recv;
  grpc_status_code status;
  grpc_slice details;
  uint64_t t0;
} bench_slot;

typedef struct {
  const bench_workload *wl;
  void *ctx;
  uint64_t start_ns, end_ns; /* no call starts at or after end_ns */
} bench_run;

struct bench_sender {
  const bench_run *run;
  pthread_t thread;
  grpc_channel *ch;
  void *method;
  grpc_completion_queue *cq;
  bench_slot *slots;
  size_t nslots;
  bench_tally tally;
  uint64_t calls, last_ns;
  uint64_t *lat; /* nanoseconds of each successful call */
  size_t nlat, cap;
};

static int bench_slot_start(bench_sender *s, bench_slot *sl) {
  const bench_run *r = s->run;
  memset(&sl->q, 0, offsetof(bench_req, buf));
  sl->q.count = 1;
  if (!r->wl->next(r->ctx, &s->tally, &sl->q))
    return 0;
  grpc_slice slice = grpc_slice_from_static_buffer(sl->q.data, sl->q.len);
  sl->send = grpc_raw_byte_buffer_create(&slice, 1);
  gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                       gpr_time_from_seconds(BENCH_DEADLINE_S, GPR_TIMESPAN));
  sl->call = grpc_channel_create_registered_call(s->ch, NULL, GRPC_PROPAGATE_DEFAULTS, s->cq,
                                                 s->method, deadline, NULL);
  sl->recv = NULL;
  sl->status = GRPC_STATUS_UNKNOWN;
  sl->details = grpc_empty_slice();
  grpc_op ops[6];
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = sl->send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &sl->md0;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &sl->recv;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &sl->md1;
  ops[5].data.recv_status_on_client.status = &sl->status;
  ops[5].data.recv_status_on_client.status_details = &sl->details;
  sl->t0 = bench_now_ns();
  grpc_call_error err = grpc_call_start_batch(sl->call, ops, 6, sl, NULL);
  if (err != GRPC_CALL_OK) {
    bench_fail(&s->tally, GRPC_STATUS_INTERNAL, sl->q.count,
               "grpc_call_start_batch: error %d", (int)err);
    grpc_call_unref(sl->call);
    sl->call = NULL;
    grpc_byte_buffer_destroy(sl->send);
    sl->send = NULL;
    return 0;
  }
  return 1;
}

static void bench_sender_keep_latency(bench_sender *s, uint64_t ns) {
  if (s->nlat == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 65536;
    uint64_t *p = realloc(s->lat, cap * sizeof(*p));
    if (p == NULL)
      return; /* the percentiles will miss a few calls, not the counts */
    s->lat = p;
    s->cap = cap;
  }
  s->lat[s->nlat++] = ns;
}

/* A call completed: check it, count it, release it. */
static void bench_slot_complete(bench_sender *s, bench_slot *sl, int success, uint64_t now) {
  const bench_run *r = s->run;
  bench_tally *t = &s->tally;
  if (!success) {
    bench_fail(t, GRPC_STATUS_INTERNAL, sl->q.count, "the call's batch failed");
  } else if (sl->status != GRPC_STATUS_OK) {
    bench_fail(t, (int)sl->status, sl->q.count, "status %d: %.*s", (int)sl->status,
               (int)GRPC_SLICE_LENGTH(sl->details),
               (const char *)GRPC_SLICE_START_PTR(sl->details));
  } else if (sl->recv == NULL) {
    bench_fail(t, GRPC_STATUS_INTERNAL, sl->q.count, "status OK without a message");
  } else {
    grpc_byte_buffer_reader rd;
    grpc_byte_buffer_reader_init(&rd, sl->recv);
    grpc_slice msg = grpc_byte_buffer_reader_readall(&rd);
    grpc_byte_buffer_reader_destroy(&rd);
    uint64_t before = t->items;
    r->wl->check(r->ctx, t, &sl->q, GRPC_SLICE_START_PTR(msg), GRPC_SLICE_LENGTH(msg));
    grpc_slice_unref(msg);
    pl_arena_reset(t->arena);
    if (t->items > before) {
      s->calls++;
      bench_sender_keep_latency(s, now - sl->t0);
    }
  }
  s->last_ns = now;
  grpc_slice_unref(sl->details);
  grpc_metadata_array_destroy(&sl->md0);
  grpc_metadata_array_destroy(&sl->md1);
  grpc_metadata_array_init(&sl->md0);
  grpc_metadata_array_init(&sl->md1);
  grpc_byte_buffer_destroy(sl->send);
  sl->send = NULL;
  if (sl->recv != NULL)
    grpc_byte_buffer_destroy(sl->recv);
  sl->recv = NULL;
  grpc_call_unref(sl->call);
  sl->call = NULL;
}

static void *bench_sender_main(void *arg) {
  bench_sender *s = arg;
  size_t active = 0;
  for (size_t i = 0; i < s->nslots; i++)
    active += (size_t)bench_slot_start(s, &s->slots[i]);
  while (active > 0) {
    grpc_event ev = grpc_completion_queue_next(
        s->cq, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(200, GPR_TIMESPAN)),
        NULL);
    if (ev.type != GRPC_OP_COMPLETE)
      continue;
    bench_slot *sl = ev.tag;
    uint64_t now = bench_now_ns();
    bench_slot_complete(s, sl, ev.success, now);
    if (now >= s->run->end_ns || !bench_slot_start(s, sl))
      active--;
  }
  return NULL;
}

static int bench_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Adds a finished sender's counts to *res and frees what it holds. */
static void bench_sender_collect(bench_sender *s, bench_result *res) {
  const bench_tally *t = &s->tally;
  res->calls += s->calls;
  res->items += t->items;
  res->errors += t->errors;
  res->checked += t->checked;
  for (int c = 0; c < BENCH_STATUSES; c++)
    res->codes[c] += t->codes[c];
  if (res->first_error[0] == '\0' && t->first_error[0] != '\0')
    snprintf(res->first_error, sizeof(res->first_error), "%s", t->first_error);
  for (size_t i = 0; i < s->nslots; i++) {
    grpc_metadata_array_destroy(&s->slots[i].md0);
    grpc_metadata_array_destroy(&s->slots[i].md1);
  }
  free(s->slots);
  free(s->lat);
  pl_arena_free(s->tally.arena);
  grpc_completion_queue_shutdown(s->cq);
  while (grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
         GRPC_QUEUE_SHUTDOWN)
    ;
  grpc_completion_queue_destroy(s->cq);
}

void bench_engine_run(bench_target *t, int threads, const bench_workload *wl, void *ctx,
                      int inflight, double secs, bench_result *res) {
  int m = bench_target_method(t, wl->method);
  if (m < 0) {
    bench_note("cannot register %s", wl->method);
    exit(1);
  }
  int nt = threads < 1 ? 1 : threads > BENCH_MAX_THREADS ? BENCH_MAX_THREADS : threads;
  if (nt > inflight)
    nt = inflight;
  bench_run run = {wl, ctx, 0, 0};
  bench_sender *s = calloc((size_t)nt, sizeof(*s));
  if (s == NULL) {
    bench_note("out of memory");
    exit(1);
  }
  for (int i = 0; i < nt; i++) {
    s[i].run = &run;
    s[i].ch = t->ch[i % t->n];
    s[i].method = t->handle[m][i % t->n];
    s[i].cq = grpc_completion_queue_create_for_next(NULL);
    s[i].nslots = (size_t)(inflight * (i + 1) / nt - inflight * i / nt);
    s[i].slots = calloc(s[i].nslots, sizeof(bench_slot));
    s[i].tally.arena = pl_arena_new(0);
    if (s[i].slots == NULL || s[i].tally.arena == NULL) {
      bench_note("out of memory");
      exit(1);
    }
    randombytes_buf(&s[i].tally.rng, sizeof(s[i].tally.rng));
    for (size_t k = 0; k < s[i].nslots; k++) {
      s[i].slots[k].s = &s[i];
      grpc_metadata_array_init(&s[i].slots[k].md0);
      grpc_metadata_array_init(&s[i].slots[k].md1);
    }
  }
  run.start_ns = bench_now_ns();
  run.end_ns = secs > 0 ? run.start_ns + (uint64_t)(secs * 1e9) : UINT64_MAX;
  for (int i = 0; i < nt; i++)
    if (pthread_create(&s[i].thread, NULL, bench_sender_main, &s[i]) != 0) {
      bench_note("cannot start a sender thread");
      exit(1);
    }
  size_t nlat = 0;
  uint64_t last = run.start_ns;
  for (int i = 0; i < nt; i++) {
    pthread_join(s[i].thread, NULL);
    nlat += s[i].nlat;
    if (s[i].last_ns > last)
      last = s[i].last_ns;
  }
  uint64_t *lat = malloc((nlat ? nlat : 1) * sizeof(*lat));
  size_t k = 0;
  for (int i = 0; i < nt; i++) {
    if (lat != NULL)
      memcpy(lat + k, s[i].lat, s[i].nlat * sizeof(*lat));
    k += s[i].nlat;
    bench_sender_collect(&s[i], res);
  }
  free(s);
  res->secs += (double)(last - run.start_ns) / 1e9;
  if (lat != NULL && nlat > 0) {
    qsort(lat, nlat, sizeof(*lat), bench_cmp_u64);
    res->p50 = (double)lat[(nlat - 1) / 2] / 1e6;
    res->p99 = (double)lat[(size_t)((double)(nlat - 1) * 0.99)] / 1e6;
    res->max = (double)lat[nlat - 1] / 1e6;
  }
  free(lat);
}
