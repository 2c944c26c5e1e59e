/*
 * main.c - partsledger-bench: measures a running partsledgerd.
 *
 * Phases (each optional, run in this order):
 *   verify  Ed25519 verifications per second on one core (machine.c);
 *   disk    what a durable commit costs on the disk under --disk-dir
 *           (machine.c);
 *   limit   the verify-only limit: the same load as append and batch against
 *           a server inside the bench that only decodes, checks signatures
 *           and answers (limit.c), while partsledgerd idles: Append when
 *           append runs, AppendBatch when batch, fill or inventory-load
 *           does (both when none of them does);
 *   append  unary Append, --inflight calls in flight;
 *   batch   AppendBatch of --batch entries, --batch-inflight calls in flight;
 *   fill    AppendBatch until the log holds --fill entries;
 *   get     GetEntry at random indices over the whole log;
 *   proof   GetInclusionProof at random indices, at the current size.
 * Those are the default (the group `core`). The inventory and repair
 * phases run only when named, alone or in a group (inventory, repair,
 * all): inventory-load, near, trace, reserve (inventory.c), warranty,
 * mixed, audit (repair.c). Each compares its rate with what it should be
 * compared with in the same run: the verify-only limit of AppendBatch, a
 * do-nothing server answering ready replies, Redis, unary Append, GetEntry.
 *
 * Every write phase signs all its entries before it starts (pool.c), so
 * signing is never inside the measured loop; how many it needs is estimated
 * from a one-second warm-up. The limit phase keeps its signed entries, and
 * the append and batch phases send those same requests. Each write phase is
 * reported as a ratio to the limit of its method, with the server's writer
 * thread's commits and page writes per entry.
 *
 * Every response is checked (workload.c); failures are counted and
 * reported, and make the exit status 1; rates count successful operations
 * only. With --server-pid the server's /proc is read too (sampler.c).
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "error.h"
#include "partsledger/v1/ledger.pb-c.h"
#include "text.h"

#define BENCH_MAX_POOL 5000000  /* entries signed for one phase, ~1 GB */
#define BENCH_FILL_CHUNK 250000 /* entries signed per fill step, ~50 MB */

const char *const bench_phase_names[PH_COUNT] = {
    "verify", "disk",    "limit", "append",   "batch",    "fill",  "get",  "proof",
    "inventory-load",    "near",  "trace",    "reserve",  "warranty", "mixed", "audit"};

/* Named groups of phases for --phases. */
static const struct {
  const char *name, *phases;
} bench_groups[] = {
    {"core", "verify,disk,limit,append,batch,fill,get,proof"},
    {"inventory", "limit,append,inventory-load,near,trace,reserve"},
    {"repair", "append,get,warranty,mixed,audit"},
    {"all", "verify,disk,limit,append,batch,fill,get,proof,inventory-load,near,trace,reserve,"
            "warranty,mixed,audit"},
};

static const char bench_usage[] =
    "usage: partsledger-bench --server HOST:PORT [--admin-key FILE] [options]\n"
    "       partsledger-bench --admin-key FILE --print-pubkey\n"
    "\n"
    "Drives a running partsledgerd and reports what it sustains.\n"
    "\n"
    "  --server HOST:PORT    the server (required)\n"
    "  --admin-key FILE      the admin's key file (64 hex characters of seed);\n"
    "                        needed by every phase but verify, disk, get, proof\n"
    "  --duration SECONDS    length of each measured phase (default 10)\n"
    "  --inflight N          calls in flight for append (and the limit's Append),\n"
    "                        get, proof, trace, warranty (GetWarrantyStatus,\n"
    "                        DeviceHistory) and audit, and chains in flight for\n"
    "                        mixed (default 64)\n"
    "  --batch N             entries per AppendBatch call (default 100)\n"
    "  --batch-inflight N    AppendBatch calls in flight (default 8)\n"
    "  --fill N              grow the log to N entries before the reads\n"
    "                        (default 1000000)\n"
    "  --phases LIST         comma list of phases and groups, run in this order:\n"
    "                        verify,disk,limit,append,batch,fill,get,proof (the\n"
    "                        group `core`, the default), inventory-load,near,\n"
    "                        trace,reserve,warranty,mixed,audit; groups:\n"
    "                        core; inventory = limit,append,inventory-load,near,\n"
    "                        trace,reserve; repair = append,get,warranty,mixed,\n"
    "                        audit; all\n"
    "  --limit-workers N     worker threads of the limit phase's verify-only\n"
    "                        server (default: CPUs online, as partsledgerd's\n"
    "                        --workers)\n"
    "  --disk-dir DIR        where the disk phase writes its scratch file: the\n"
    "                        server's data disk (default $TMPDIR, else /tmp)\n"
    "  --threads N           sender threads, each with its own completion queue\n"
    "                        (default 1)\n"
    "  --channels N          TCP connections to the server; sender thread t\n"
    "                        uses connection t mod N (default 1)\n"
    "  --full-stack          give the bench's channels gRPC's full client filter\n"
    "                        stack (default: the minimal one, which leaves out\n"
    "                        client-side filters such as deadline enforcement;\n"
    "                        ~10 us less bench CPU per unary Append here)\n"
    "  --server-pid PID      also report the server's CPU, its private memory,\n"
    "                        where each of its threads spent each phase (on a\n"
    "                        core, waiting for one, for the disk, idle), and its\n"
    "                        writer thread's page writes per entry\n"
    "  --json                print the results as one JSON object on stdout\n"
    "  --print-pubkey        print the public key of --admin-key in hex and exit\n"
    "  --help                this text\n"
    "\n"
    "The inventory and repair phases' data set (BENCHMARKS.md):\n"
    "  --sites N             sites of the inventory (default 100000)\n"
    "  --skus N              SKUs, one batch each (default 10000)\n"
    "  --stock-rows N        stock rows, spread evenly over the sites with 0-19\n"
    "                        units each, 0 being no receipt; at most sites x\n"
    "                        skus (default 1000000)\n"
    "  --trace-batches N     batches that get a hub and transfers (default 4)\n"
    "  --trace-facts N       TraceBatch page size, and transfers per trace batch\n"
    "                        (default 100)\n"
    "  --near-km KM          StockNear's radius (default 50)\n"
    "  --near-inflight N     StockNear calls in flight (default 50)\n"
    "  --reserve-clients N   reservations in flight (default 32)\n"
    "  --devices N           devices of the warranty phase (default 10000)\n"
    "  --history-devices N   of them with a 20-fact history (default 100)\n"
    "  --audit-orders N      repair orders of the audited claim's device\n"
    "                        (default 10: about 50 linked entries)\n"
    "  --max-pool N          at most N entries signed for each warm-up and each\n"
    "                        measured run of reserve and mixed (default 5000000)\n"
    "  --redis PATH          redis-server for the near phase's comparison\n"
    "                        (default: redis-server on PATH; `none`: skip it)\n"
    "  --cli PATH            partsledger, for `audit verify` (default: the one\n"
    "                        next to this binary)\n";

/* ---- setup calls, through the client library ------------------------------ */

int bench_head(bench *b, uint64_t *size, uint8_t root[PL_HASH_BYTES]) {
  pl_client *c = NULL;
  pl_arena *a = pl_arena_new(0);
  Partsledger__V1__GetCheckpointResponse *r = NULL;
  const char *msg = "out of memory";
  int rc = -1;
  if (a != NULL && pl_client_open(b->o.server, &c) == 0) {
    pl_client_set_timeout_ms(c, (int64_t)BENCH_DEADLINE_S * 1000);
    if (pl_client_get_checkpoint(c, a, &r) == 0 && r->root_hash.len == PL_HASH_BYTES) {
      *size = r->size;
      if (root != NULL)
        memcpy(root, r->root_hash.data, PL_HASH_BYTES);
      rc = 0;
    } else {
      pl_client_last_status(c, &msg);
    }
  }
  if (rc != 0)
    bench_note("GetCheckpoint failed: %s", msg);
  pl_client_close(c);
  pl_arena_free(a);
  return rc;
}

void bench_failf(bench_result *res, const char *fmt, ...) {
  res->errors++;
  if (res->first_error[0] == '\0') {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->first_error, sizeof(res->first_error), fmt, ap);
    va_end(ap);
  }
}

void bench_merge_warmup(bench_result *res, const bench_result *warm) {
  if (warm->errors == 0)
    return;
  res->errors += warm->errors;
  for (int c = 0; c < BENCH_STATUSES; c++)
    res->codes[c] += warm->codes[c];
  if (res->first_error[0] == '\0')
    snprintf(res->first_error, sizeof(res->first_error), "warm-up: %.200s", warm->first_error);
}

/* ---- writes ------------------------------------------------------------------ */

int bench_write_run(bench *b, const bench_dest *d, const bench_workload *wl, void *ctx,
                    bench_writes *w, const bench_pool *pool, size_t batch, int inflight,
                    double secs, bench_result *res, int measure) {
  size_t n = pool->n ? pool->n : 1;
  atomic_uchar *seen = calloc(n, 1), *heads = calloc(n, 1);
  int rc = seen != NULL && heads != NULL ? 0 : -1;
  if (rc == 0) {
    w->pool = pool;
    w->batch = batch ? batch : 1;
    w->seen = seen;
    w->heads = heads;
    atomic_init(&w->pos, 0);
    atomic_init(&w->commits, 0);
    if (d->limit != NULL)
      w->base = bench_limit_next(d->limit);
    else
      rc = bench_head(b, &w->base, NULL);
  }
  if (rc == 0) {
    if (!res->size_before)
      res->size_before = w->base;
    bench_mark *mk = NULL;
    bench_io io0;
    if (measure && d->limit != NULL) {
      mk = bench_mark_take(getpid(), BENCH_LIMIT_THREADS, 1);
    } else if (measure) {
      mk = bench_mark_take(b->o.server_pid, NULL, 1);
      bench_io_read(b->o.server_pid, BENCH_WRITER_THREAD, &io0);
    }
    bench_engine_run(d->t, b->o.threads, wl, ctx, inflight, secs, res);
    if (measure && d->limit == NULL) {
      bench_io io1;
      bench_io_read(b->o.server_pid, BENCH_WRITER_THREAD, &io1);
      bench_io_diff(&io0, &io1, &res->io);
    }
    if (measure)
      bench_mark_diff(mk, res);
    res->commits += atomic_load(&w->commits);
    if (atomic_load(&w->pos) >= pool->n)
      res->ran_out = 1;
  }
  free(heads);
  free(seen);
  w->seen = w->heads = NULL;
  return rc;
}

int bench_send(bench *b, const bench_dest *d, size_t batch, int inflight,
               const bench_pool *pool, double secs, bench_result *res, int measure) {
  bench_writes *w = calloc(1, sizeof(*w));
  if (w == NULL)
    return -1;
  int rc = bench_write_run(b, d, batch == 0 ? &bench_wl_append : &bench_wl_batch, w, w, pool,
                           batch, inflight, secs, res, measure);
  free(w);
  return rc;
}

int bench_call(bench *b, const char *method, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *desc, pl_arena *a, ProtobufCMessage **out,
               bench_result *res, const char *what) {
  const char *msg = "cannot open a client";
  if (b->client == NULL && pl_client_open(b->o.server, &b->client) != 0) {
    b->client = NULL;
  } else {
    pl_client_set_timeout_ms(b->client, (int64_t)BENCH_DEADLINE_S * 1000);
    if (pl_client_call(b->client, method, req, desc, a, out) == 0)
      return 0;
    pl_client_last_status(b->client, &msg);
  }
  bench_failf(res, "%s: %s", what, msg);
  return -1;
}

void bench_measure_canned(bench *b, const bench_workload *wl, void *ctx, const uint8_t *reply,
                          size_t len, int posted, int inflight, bench_result *res) {
  bench_canned canned = {wl->method, reply, len, posted};
  bench_limit *l;
  int port;
  res->ran = 1;
  if (bench_limit_start(b->o.limit_workers, &canned, 1, &l, &port) != 0) {
    bench_failf(res, "cannot start the do-nothing server");
    return;
  }
  char addr[32];
  snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
  bench_note("do-nothing server on %s answers %s with a ready reply of %zu bytes", addr,
             wl->method, len);
  bench_target t;
  bench_target_open(&t, addr, b->o.channels, b->o.full_stack);
  bench_dest d = {&t, l};
  bench_measure_query(b, &d, wl, ctx, inflight, res);
  bench_target_close(&t);
  bench_limit_stop(l);
}

/* Unary Append or AppendBatch of --batch, with the phases' load. */
static int bench_write(bench *b, const bench_dest *d, int unary, const bench_pool *pool,
                       double secs, bench_result *res, int measure) {
  return bench_send(b, d, unary ? 0 : (size_t)b->o.batch,
                    unary ? b->o.inflight : b->o.batch_inflight, pool, secs, res, measure);
}

int bench_send_ordered(bench *b, const bench_pool *pool, bench_result *res) {
  bench_dest d = {&b->server, NULL};
  size_t batch = pool->n < 1000 ? (pool->n ? pool->n : 1) : 1000;
  bench_result r;
  memset(&r, 0, sizeof(r));
  int rc = bench_send(b, &d, batch, 1, pool, 0, &r, 0);
  if (rc == 0 && (r.errors > 0 || r.items != pool->n)) {
    bench_failf(res, "setup: %" PRIu64 " of %zu entries failed: %s", r.errors + pool->n -
                r.items, pool->n, r.first_error);
    rc = -1;
  } else if (rc != 0) {
    bench_failf(res, "setup: could not send %zu entries", pool->n);
  }
  for (int c = 0; c < BENCH_STATUSES; c++)
    res->codes[c] += r.codes[c];
  return rc;
}

int bench_sign_send(bench *b, bench_todo *t, bench_result *res, const char *what) {
  bench_pool pool;
  if (bench_todo_sign(t, (int)b->cores, &pool, NULL) != 0) {
    bench_failf(res, "cannot sign %s", what);
    return -1;
  }
  int rc = bench_send_ordered(b, &pool, res);
  bench_pool_free(&pool);
  return rc;
}

/* One write phase's measurement against `d`: a one-second warm-up tells how
 * many entries it needs; they are signed, then it runs for --duration.
 * Against the limit server the signed entries are left in *kept; against
 * the server, those in *kept are sent again when there are enough of them,
 * so that both see the same requests. */
static void bench_measure_writes(bench *b, const bench_dest *d, int unary, const char *name,
                                 bench_pool *kept, bench_result *res) {
  size_t batch = unary ? 1 : (size_t)b->o.batch;
  int inflight = unary ? b->o.inflight : b->o.batch_inflight;
  int signers = (int)b->cores;
  res->ran = 1;

  bench_result warm;
  memset(&warm, 0, sizeof(warm));
  size_t wn = unary ? 30000 : 50000;
  if (wn < batch * (size_t)inflight * 4)
    wn = batch * (size_t)inflight * 4;
  bench_note("%s: warming up (%zu entries)", name, wn);
  bench_pool pool;
  if (bench_pool_make(b->admin, signers, wn, &pool, &res->sign_secs) != 0 ||
      bench_write(b, d, unary, &pool, 1.0, &warm, 0) != 0) {
    bench_pool_free(&pool);
    bench_failf(res, "warm-up could not run");
    return;
  }
  bench_pool_free(&pool);
  double rate = warm.secs > 0 ? (double)warm.items / warm.secs : 0;
  double want = rate * b->o.duration * 2.0 + (double)(batch * (size_t)inflight * 2);
  if (warm.errors > 0 || want < 1000)
    want = 1000;
  if (want > BENCH_MAX_POOL)
    want = BENCH_MAX_POOL;
  bench_merge_warmup(res, &warm);
  int reuse = d->limit == NULL && kept->n >= (size_t)want;
  bench_note("%s: warm-up %.0f entries/s, %" PRIu64 " errors%s%s; %s %.0f entries", name,
             rate, warm.errors, warm.errors ? ": " : "", warm.first_error,
             reuse ? "sending the limit phase's" : "signing", reuse ? (double)kept->n : want);
  int rc;
  if (reuse) {
    pool = *kept;
    memset(kept, 0, sizeof(*kept));
    rc = 0;
  } else {
    bench_pool_free(kept);
    rc = bench_pool_make(b->admin, signers, (size_t)want, &pool, &res->sign_secs);
  }
  if (rc != 0 || bench_write(b, d, unary, &pool, b->o.duration, res, 1) != 0)
    bench_failf(res, "%s", rc != 0 ? "cannot sign the phase's entries" : "phase could not run");
  if (d->limit != NULL) {
    *kept = pool;
    res->size_after = bench_limit_next(d->limit);
  } else {
    bench_pool_free(&pool);
    bench_head(b, &res->size_after, NULL);
  }
}

/* limit: starts the verify-only server in this process, measures Append
 * when the append phase runs and AppendBatch when batch, fill or
 * inventory-load does (both when none of them does) with their load, and
 * stops it. partsledgerd gets no call meanwhile. */
static void bench_phase_limit(bench *b, bench_result *res) {
  int want[LIM_COUNT] = {b->o.phases[PH_APPEND], b->o.phases[PH_BATCH] || b->o.phases[PH_FILL] ||
                                                     b->o.phases[PH_INVLOAD]};
  if (!want[LIM_APPEND] && !want[LIM_BATCH])
    want[LIM_APPEND] = want[LIM_BATCH] = 1;
  res->ran = 1;
  bench_limit *l;
  if (bench_limit_start(b->o.limit_workers, NULL, 0, &l, &b->limit_port) != 0) {
    bench_failf(res, "cannot start the verify-only server");
    return;
  }
  char addr[32];
  snprintf(addr, sizeof(addr), "127.0.0.1:%d", b->limit_port);
  bench_note("limit: verify-only server on %s, 1 poller and %d workers", addr,
             b->o.limit_workers);
  bench_target t;
  bench_target_open(&t, addr, b->o.channels, b->o.full_stack);
  bench_dest d = {&t, l};
  static const char *const names[LIM_COUNT] = {"limit Append", "limit AppendBatch"};
  for (int m = 0; m < LIM_COUNT; m++) {
    if (!want[m])
      continue;
    bench_result *r = &b->limit[m];
    bench_measure_writes(b, &d, m == LIM_APPEND, names[m], &b->kept[m], r);
    bench_note("%s: %.0f/s, p50 %.2f ms, p99 %.2f ms, %" PRIu64 " errors%s%s", names[m],
               bench_rate(r), r->p50, r->p99, r->errors, r->errors ? ": " : "",
               r->first_error);
    res->errors += r->errors;
    for (int c = 0; c < BENCH_STATUSES; c++)
      res->codes[c] += r->codes[c];
    if (res->first_error[0] == '\0' && r->first_error[0] != '\0')
      snprintf(res->first_error, sizeof(res->first_error), "%s: %.200s", names[m],
               r->first_error);
  }
  bench_target_close(&t);
  bench_limit_stop(l);
}

/* append and batch, against the server. */
static void bench_phase_write(bench *b, int ph, bench_result *res) {
  int m = ph == PH_APPEND ? LIM_APPEND : LIM_BATCH;
  bench_dest d = {&b->server, NULL};
  bench_measure_writes(b, &d, ph == PH_APPEND, bench_phase_names[ph], &b->kept[m], res);
  bench_pool_free(&b->kept[m]);
}

/* fill: AppendBatch until the log holds --fill entries, signing a chunk at a
 * time so that memory stays bounded; only the sending is timed. */
static void bench_phase_fill(bench *b, bench_result *res) {
  uint64_t size;
  res->ran = 1;
  bench_pool_free(&b->kept[LIM_BATCH]);
  if (bench_head(b, &size, NULL) != 0) {
    bench_failf(res, "GetCheckpoint failed");
    return;
  }
  res->size_before = res->size_after = size;
  if (size >= b->o.fill) {
    res->skipped = 1;
    snprintf(res->io.why, sizeof(res->io.why), "the phase was skipped");
    bench_note("fill: the log already holds %" PRIu64 " entries", size);
    return;
  }
  bench_dest d = {&b->server, NULL};
  bench_mark *mk = bench_mark_take(b->o.server_pid, NULL, 0);
  bench_io io0, io1;
  bench_io_read(b->o.server_pid, BENCH_WRITER_THREAD, &io0);
  while (size < b->o.fill && res->errors == 0) {
    uint64_t left = b->o.fill - size;
    size_t chunk = left < BENCH_FILL_CHUNK ? (size_t)left : BENCH_FILL_CHUNK;
    bench_note("fill: %" PRIu64 " of %" PRIu64 " entries; signing and sending %zu", size,
               b->o.fill, chunk);
    bench_pool pool;
    if (bench_pool_make(b->admin, (int)b->cores, chunk, &pool, &res->sign_secs) != 0 ||
        bench_write(b, &d, 0, &pool, 0, res, 0) != 0 || bench_head(b, &size, NULL) != 0) {
      bench_pool_free(&pool);
      bench_failf(res, "fill step could not run");
      break;
    }
    bench_pool_free(&pool);
  }
  /* The writer is idle while a chunk is signed: its counters cover the
   * sending alone. */
  bench_io_read(b->o.server_pid, BENCH_WRITER_THREAD, &io1);
  bench_io_diff(&io0, &io1, &res->io);
  res->size_after = size;
  bench_result cpu;
  memset(&cpu, 0, sizeof(cpu));
  bench_mark_diff(mk, &cpu); /* over signing and sending: only indicative */
  res->client_cpu = cpu.client_cpu;
  res->server_cpu = cpu.server_cpu;
  res->machine_cpu = cpu.machine_cpu;
  res->steal = cpu.steal;
  res->server_top = cpu.server_top;
  memcpy(res->server_top_name, cpu.server_top_name, sizeof(res->server_top_name));
}

/* ---- queries ----------------------------------------------------------------- */

/* A query phase: `wl` with `ctx`, --inflight calls for --duration, after a
 * one-second warm-up that pulls the pages the phase will touch into the
 * cache about as much as a running server would have them. */
void bench_measure_query(bench *b, const bench_dest *d, const bench_workload *wl, void *ctx,
                         int inflight, bench_result *res) {
  bench_result warm;
  memset(&warm, 0, sizeof(warm));
  res->ran = 1;
  bench_engine_run(d->t, b->o.threads, wl, ctx, inflight, 1.0, &warm);
  bench_merge_warmup(res, &warm);
  bench_mark *mk = d->limit != NULL ? bench_mark_take(getpid(), BENCH_LIMIT_THREADS, 1)
                                    : bench_mark_take(b->o.server_pid, NULL, 1);
  bench_engine_run(d->t, b->o.threads, wl, ctx, inflight, b->o.duration, res);
  bench_mark_diff(mk, res);
}

static void bench_phase_query(bench *b, const bench_workload *wl, void *ctx,
                              bench_result *res) {
  bench_dest d = {&b->server, NULL};
  bench_measure_query(b, &d, wl, ctx, b->o.inflight, res);
}

/* get and proof: random indices over the log as it is now. */
static void bench_phase_read(bench *b, int ph, bench_result *res) {
  bench_reads r;
  res->ran = 1;
  if (bench_head(b, &r.size, r.root) != 0 || r.size == 0) {
    bench_failf(res, "no log to read");
    return;
  }
  res->size_before = res->size_after = r.size;
  bench_phase_query(b, ph == PH_GET ? &bench_wl_get : &bench_wl_proof, &r, res);
}

/* ---- options ------------------------------------------------------------------- */

static int bench_parse_int(const char *name, const char *s, long long lo, long long hi,
                           long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "partsledger-bench: --%s wants an integer in %lld..%lld, not '%s'\n",
            name, lo, hi, s);
    return -1;
  }
  *out = v;
  return 0;
}

static int bench_parse_phases(const char *list, int *phases, int depth) {
  if (depth == 0)
    memset(phases, 0, PH_COUNT * sizeof(int));
  char *copy = strdup(list), *save = NULL;
  if (copy == NULL)
    return -1;
  int rc = 0;
  for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
    int found = 0;
    for (int ph = 0; ph < PH_COUNT; ph++)
      if (strcmp(t, bench_phase_names[ph]) == 0)
        phases[ph] = found = 1;
    for (size_t g = 0; depth == 0 && g < sizeof(bench_groups) / sizeof(bench_groups[0]); g++)
      if (strcmp(t, bench_groups[g].name) == 0) {
        found = 1;
        rc |= bench_parse_phases(bench_groups[g].phases, phases, 1);
      }
    if (!found) {
      fprintf(stderr, "partsledger-bench: unknown phase '%s' (see --help)\n", t);
      rc = -1;
    }
  }
  free(copy);
  return rc;
}

/* Integer options: their long name, bounds and where they go. */
static int bench_parse_number(int ch, const char *arg, bench_opts *o) {
  long long v;
  switch (ch) {
  case 'i':
    if (bench_parse_int("inflight", arg, 1, 4096, &v) != 0)
      return -1;
    o->inflight = (int)v;
    return 0;
  case 'b':
    if (bench_parse_int("batch", arg, 1, 1000, &v) != 0)
      return -1;
    o->batch = (int)v;
    return 0;
  case 'B':
    if (bench_parse_int("batch-inflight", arg, 1, 256, &v) != 0)
      return -1;
    o->batch_inflight = (int)v;
    return 0;
  case 'f':
    if (bench_parse_int("fill", arg, 0, 1000000000, &v) != 0)
      return -1;
    o->fill = (uint64_t)v;
    return 0;
  case 't':
    if (bench_parse_int("threads", arg, 1, BENCH_MAX_THREADS, &v) != 0)
      return -1;
    o->threads = (int)v;
    return 0;
  case 'c':
    if (bench_parse_int("channels", arg, 1, BENCH_MAX_THREADS, &v) != 0)
      return -1;
    o->channels = (int)v;
    return 0;
  case 'W':
    if (bench_parse_int("limit-workers", arg, 1, 64, &v) != 0)
      return -1;
    o->limit_workers = (int)v;
    return 0;
  case 'P':
    if (bench_parse_int("server-pid", arg, 1, 1 << 30, &v) != 0)
      return -1;
    o->server_pid = (long)v;
    return 0;
  case 1001:
    if (bench_parse_int("sites", arg, 1, 10000000, &v) != 0)
      return -1;
    o->sites = (uint64_t)v;
    return 0;
  case 1002:
    if (bench_parse_int("skus", arg, 1, 10000000, &v) != 0)
      return -1;
    o->skus = (uint64_t)v;
    return 0;
  case 1003:
    if (bench_parse_int("stock-rows", arg, 0, 100000000, &v) != 0)
      return -1;
    o->stock_rows = (uint64_t)v;
    return 0;
  case 1004:
    if (bench_parse_int("trace-batches", arg, 0, 1000, &v) != 0)
      return -1;
    o->trace_batches = (int)v;
    return 0;
  case 1005:
    if (bench_parse_int("trace-facts", arg, 1, 1000, &v) != 0)
      return -1;
    o->trace_facts = (int)v;
    return 0;
  case 1006:
    if (bench_parse_int("near-inflight", arg, 1, 4096, &v) != 0)
      return -1;
    o->near_inflight = (int)v;
    return 0;
  case 1007:
    if (bench_parse_int("reserve-clients", arg, 1, 4096, &v) != 0)
      return -1;
    o->reserve_clients = (int)v;
    return 0;
  case 1008:
    if (bench_parse_int("devices", arg, 1, 100000000, &v) != 0)
      return -1;
    o->devices = (uint64_t)v;
    return 0;
  case 1009:
    if (bench_parse_int("history-devices", arg, 0, 100000000, &v) != 0)
      return -1;
    o->history_devices = (int)v;
    return 0;
  case 1010:
    if (bench_parse_int("audit-orders", arg, 1, 1000, &v) != 0)
      return -1;
    o->audit_orders = (int)v;
    return 0;
  case 1011:
    if (bench_parse_int("max-pool", arg, 100, BENCH_MAX_POOL, &v) != 0)
      return -1;
    o->max_pool = (uint64_t)v;
    return 0;
  }
  return -1;
}

static int bench_parse(int argc, char **argv, bench_opts *o, int *print_pubkey) {
  static const struct option opts[] = {
      {"server", required_argument, NULL, 's'},
      {"admin-key", required_argument, NULL, 'k'},
      {"duration", required_argument, NULL, 'd'},
      {"inflight", required_argument, NULL, 'i'},
      {"batch", required_argument, NULL, 'b'},
      {"batch-inflight", required_argument, NULL, 'B'},
      {"fill", required_argument, NULL, 'f'},
      {"phases", required_argument, NULL, 'p'},
      {"threads", required_argument, NULL, 't'},
      {"channels", required_argument, NULL, 'c'},
      {"limit-workers", required_argument, NULL, 'W'},
      {"disk-dir", required_argument, NULL, 'D'},
      {"server-pid", required_argument, NULL, 'P'},
      {"json", no_argument, NULL, 'j'},
      {"full-stack", no_argument, NULL, 'F'},
      {"sites", required_argument, NULL, 1001},
      {"skus", required_argument, NULL, 1002},
      {"stock-rows", required_argument, NULL, 1003},
      {"trace-batches", required_argument, NULL, 1004},
      {"trace-facts", required_argument, NULL, 1005},
      {"near-inflight", required_argument, NULL, 1006},
      {"reserve-clients", required_argument, NULL, 1007},
      {"devices", required_argument, NULL, 1008},
      {"history-devices", required_argument, NULL, 1009},
      {"audit-orders", required_argument, NULL, 1010},
      {"max-pool", required_argument, NULL, 1011},
      {"near-km", required_argument, NULL, 1012},
      {"redis", required_argument, NULL, 1013},
      {"cli", required_argument, NULL, 1014},
      {"print-pubkey", no_argument, NULL, 'K'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int ch;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o->duration = 10;
  o->inflight = 64;
  o->batch = 100;
  o->batch_inflight = 8;
  o->threads = 1;
  o->channels = 1;
  /* partsledgerd's --workers default (server/main.c). */
  o->limit_workers = cpus >= 1 ? (int)(cpus > 64 ? 64 : cpus) : 2;
  o->fill = 1000000;
  o->disk_dir = getenv("TMPDIR") != NULL && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  o->sites = 100000;
  o->skus = 10000;
  o->stock_rows = 1000000;
  o->trace_batches = 4;
  o->trace_facts = 100;
  o->near_inflight = 50;
  o->near_km = 50;
  o->reserve_clients = 32;
  o->devices = 10000;
  o->history_devices = 100;
  o->audit_orders = 10;
  o->max_pool = BENCH_MAX_POOL;
  o->redis = "redis-server";
  for (int ph = 0; ph < PH_CORE; ph++)
    o->phases[ph] = 1;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (ch) {
    case 's':
      if (!pl_host_port_ok(optarg)) {
        fprintf(stderr, "partsledger-bench: --server wants HOST:PORT with PORT 0..65535\n");
        return -1;
      }
      o->server = optarg;
      break;
    case 'k': o->admin_key = optarg; break;
    case 'D': o->disk_dir = optarg; break;
    case 'j': o->json = 1; break;
    case 'F': o->full_stack = 1; break;
    case 'K': *print_pubkey = 1; break;
    case 'd': {
      char *end;
      errno = 0;
      o->duration = strtod(optarg, &end);
      if (errno != 0 || *end != '\0' || !(o->duration >= 0.1 && o->duration <= 3600)) {
        fprintf(stderr, "partsledger-bench: --duration wants seconds in 0.1..3600\n");
        return -1;
      }
      break;
    }
    case 'i': case 'b': case 'B': case 'f': case 't': case 'c': case 'W': case 'P':
    case 1001: case 1002: case 1003: case 1004: case 1005: case 1006: case 1007: case 1008:
    case 1009: case 1010: case 1011:
      if (bench_parse_number(ch, optarg, o) != 0)
        return -1;
      break;
    case 1012: {
      char *end;
      errno = 0;
      o->near_km = strtod(optarg, &end);
      if (errno != 0 || *end != '\0' || !(o->near_km >= 0 && o->near_km <= 20016)) {
        fprintf(stderr, "partsledger-bench: --near-km wants kilometres in 0..20016\n");
        return -1;
      }
      break;
    }
    case 1013: o->redis = optarg; break;
    case 1014: o->cli = optarg; break;
    case 'p':
      if (bench_parse_phases(optarg, o->phases, 0) != 0)
        return -1;
      break;
    case 'h':
      fputs(bench_usage, stdout);
      exit(0);
    default:
      fputs(bench_usage, stderr);
      return -1;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "partsledger-bench: unexpected argument '%s'\n", argv[optind]);
    return -1;
  }
  if (*print_pubkey) {
    if (o->admin_key == NULL) {
      fprintf(stderr, "partsledger-bench: --print-pubkey needs --admin-key\n");
      return -1;
    }
    return 0;
  }
  if (o->server == NULL) {
    fprintf(stderr, "partsledger-bench: --server is required\n%s", bench_usage);
    return -1;
  }
  if (o->stock_rows > o->sites * o->skus) {
    fprintf(stderr, "partsledger-bench: --stock-rows %" PRIu64 " is more than --sites x --skus "
                    "(%" PRIu64 "): a site holds each SKU in one row at most\n",
            o->stock_rows, o->sites * o->skus);
    return -1;
  }
  int writes = o->phases[PH_LIMIT] || o->phases[PH_APPEND] || o->phases[PH_BATCH] ||
               o->phases[PH_FILL];
  for (int ph = PH_CORE; ph < PH_COUNT; ph++)
    writes |= o->phases[ph];
  if (writes && o->admin_key == NULL) {
    fprintf(stderr, "partsledger-bench: the limit, write, inventory and repair phases need "
                    "--admin-key\n");
    return -1;
  }
  return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static void bench_run_phase(bench *b, int ph, bench_result *r) {
  switch (ph) {
  case PH_VERIFY: bench_phase_verify(b, r); break;
  case PH_DISK: bench_phase_disk(b, r); break;
  case PH_LIMIT: bench_phase_limit(b, r); break;
  case PH_APPEND:
  case PH_BATCH: bench_phase_write(b, ph, r); break;
  case PH_FILL: bench_phase_fill(b, r); break;
  case PH_INVLOAD: bench_phase_invload(b, r); break;
  case PH_NEAR: bench_phase_near(b, r); break;
  case PH_TRACE: bench_phase_trace(b, r); break;
  case PH_RESERVE: bench_phase_reserve(b, r); break;
  case PH_WARRANTY: bench_phase_warranty(b, r); break;
  case PH_MIXED: bench_phase_mixed(b, r); break;
  case PH_AUDIT: bench_phase_audit(b, r); break;
  default: bench_phase_read(b, ph, r); break;
  }
}

static void bench_note_phase(int ph, const bench_result *r) {
  if (ph == PH_VERIFY)
    bench_note("verify: %.0f/s on one core", r->verify_rate);
  else if (ph == PH_DISK && r->errors)
    bench_note("disk: %s", r->first_error);
  else if (ph == PH_DISK)
    bench_note("disk: fdatasync %.0f us, +%.1f us a scattered page, +%.1f us a "
               "contiguous one", r->disk_sync_us, r->disk_scattered_us, r->disk_contig_us);
  else if (ph == PH_LIMIT)
    bench_note("limit: done, %" PRIu64 " errors", r->errors);
  else if (bench_is_bulk(ph))
    bench_note("%s: %.0f/s, %" PRIu64 " errors%s%s", bench_phase_names[ph], bench_rate(r),
               r->errors, r->errors ? ": " : "", r->first_error);
  else
    bench_note("%s: %.0f/s, p50 %.2f ms, p99 %.2f ms, %" PRIu64 " errors%s%s",
               bench_phase_names[ph], bench_rate(r), r->p50, r->p99, r->errors,
               r->errors ? ": " : "", r->first_error);
}

int main(int argc, char **argv) {
  bench *b = calloc(1, sizeof(*b));
  int print_pubkey = 0;
  if (b == NULL)
    return 1;
  if (bench_parse(argc, argv, &b->o, &print_pubkey) != 0)
    return 2;
  if (pl_crypto_init() != 0) {
    fprintf(stderr, "partsledger-bench: cannot initialize libsodium\n");
    return 1;
  }
  b->cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (b->cores < 1)
    b->cores = 1;
  if (b->o.admin_key != NULL) {
    char why[256];
    if (pl_key_load(b->o.admin_key, &b->admin, why, sizeof(why)) != 0) {
      fprintf(stderr, "partsledger-bench: admin key %s: %s\n", b->o.admin_key, why);
      return 1;
    }
  }
  if (print_pubkey) {
    char hex[2 * PL_PUBLIC_KEY_BYTES + 1];
    printf("%s\n", pl_hex_encode(pl_key_public(b->admin), PL_PUBLIC_KEY_BYTES, hex));
    pl_key_free(b->admin);
    free(b);
    return 0;
  }

  /* The run's own ids for the inventory and repair data sets. */
  uint8_t tag[4];
  randombytes_buf(tag, sizeof(tag));
  snprintf(b->prefix, sizeof(b->prefix), "%02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3]);

  grpc_init();
  bench_target_open(&b->server, b->o.server, b->o.channels, b->o.full_stack);
  int rc = 0;
  uint64_t size;
  if (bench_head(b, &size, NULL) != 0) {
    fprintf(stderr, "partsledger-bench: cannot reach a partsledger server at %s\n",
            b->o.server);
    rc = 1;
  } else {
    bench_note("server %s holds %" PRIu64 " entries", b->o.server, size);
  }
  int reachable = rc == 0;
  for (int ph = 0; ph < PH_COUNT && reachable; ph++) {
    if (!b->o.phases[ph])
      continue;
    bench_result *r = &b->res[ph];
    bench_note("%s: running", bench_phase_names[ph]);
    bench_run_phase(b, ph, r);
    r->mem = bench_server_mem(b->o.server_pid);
    bench_note_phase(ph, r);
    if (r->errors > 0)
      rc = 1;
    for (int s = 0; s < BENCH_SUBS; s++) {
      const bench_result *sr = &b->sub[ph][s];
      if (sr->errors > 0) {
        bench_note("%s: %" PRIu64 " errors in a further measurement: %s",
                   bench_phase_names[ph], sr->errors, sr->first_error);
        rc = 1;
      }
    }
  }
  if (b->o.json)
    bench_report_json(b);
  else
    bench_report_text(b);

  for (int m = 0; m < LIM_COUNT; m++)
    bench_pool_free(&b->kept[m]);
  bench_inv_free(b);
  bench_rep_free(b);
  pl_key_free(b->maker);
  pl_client_close(b->client);
  bench_target_close(&b->server);
  grpc_shutdown();
  pl_key_free(b->admin);
  free(b);
  return rc;
}
