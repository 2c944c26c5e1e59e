/*
 * bench.h - what the parts of partsledger-bench share. Private to bench/.
 *
 *   main.c      options, the phases and the order they run in
 *   machine.c   the verify and disk phases: the machine without the server
 *   workload.c  what each method sends and what its answer must be: one
 *               request generator and one response checker per method
 *   engine.c    the asynchronous load generator (gRPC core): any unary
 *               method, a number of calls in flight for a duration, every
 *               response checked, latency percentiles
 *   pool.c      signed entries, packed before a measured loop starts
 *   limit.c     the verify-only server the `limit` phase runs in-process
 *   sampler.c   the server's /proc: CPU, memory, threads, the writer's I/O
 *   report.c    the text and JSON reports
 *
 * A query phase for a new RPC needs a bench_workload (workload.c) and a row
 * in main.c's phase list; the engine does the rest.
 *
 * Depends on gRPC core, protobuf-c, libsodium, storage/ (pl_entry: arena,
 * keys, merkle, entry) and client/client.h for the setup calls; never on
 * LMDB.
 */
#ifndef PL_BENCH_H
#define PL_BENCH_H

#include <grpc/grpc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "keys.h"
#include "merkle.h"

#define BENCH_SERVICE "/partsledger.v1.Ledger/"
#define BENCH_DEADLINE_S 60
#define BENCH_MAX_THREADS 16
#define BENCH_MAX_METHODS 16
#define BENCH_VERIFY_MSG 300    /* bytes signed in the verify phase */
#define BENCH_REQ_BUF 64        /* a generator's scratch space per call */
#define BENCH_STATUSES 17       /* gRPC status codes 0..16 */
#define BENCH_WRITER_THREAD "pl-writer"
#define BENCH_LIMIT_THREADS "lim-" /* the limit server's thread names begin so */

/* ---- options and results ---------------------------------------------- */

/* In the order they run. */
enum { PH_VERIFY, PH_DISK, PH_LIMIT, PH_APPEND, PH_BATCH, PH_FILL, PH_GET, PH_PROOF,
       PH_COUNT };
extern const char *const bench_phase_names[PH_COUNT];

/* The methods the limit phase measures, one per kind of write phase. */
enum { LIM_APPEND, LIM_BATCH, LIM_COUNT };

typedef struct {
  const char *server;
  const char *admin_key;
  const char *disk_dir;
  double duration;
  int inflight, batch, batch_inflight, threads, channels;
  int limit_workers;
  uint64_t fill;
  int phases[PH_COUNT];
  long server_pid;
  int json;
  int full_stack;
} bench_opts;

/* Server threads of one name (pl-worker, ...), as fractions of the phase
 * summed over the threads: on a core, runnable but waiting for one, waiting
 * for the disk (uninterruptible sleep: fdatasync, page reads), and idle.
 * The thread that is never idle is what limits the phase. */
#define BENCH_MAX_GROUPS 16
typedef struct {
  char name[24];
  int threads;
  double cpu, queued, disk, idle;
} bench_group;

/* Server memory as /proc shows it, in kB. */
typedef struct {
  int ok;
  long rss, hwm, anon, lmdb, priv;
} bench_mem;

/* The I/O counters of one server thread (/proc/PID/task/TID/io), or their
 * change over a phase. When `ok` is 0, `why` says what could not be read. */
typedef struct {
  int ok;
  long tid;
  uint64_t wchar, syscw, write_bytes;
  char why[160];
} bench_io;

typedef struct {
  int ran, skipped;
  double secs;           /* first call sent to last call completed */
  uint64_t calls, items; /* successful */
  uint64_t errors;       /* failed calls plus failed entries in OK batches */
  uint64_t codes[BENCH_STATUSES]; /* failed calls and entries by gRPC status */
  uint64_t checked;      /* responses verified in depth */
  double p50, p99, max;  /* milliseconds, over successful calls */
  double client_cpu, server_cpu; /* cores' worth used during the phase */
  double machine_cpu;    /* by every process: the rest is someone else's */
  double steal;          /* CPU the hypervisor gave to other guests */
  double server_top;     /* the busiest server thread, fraction of a core */
  char server_top_name[32];
  int ngroups;           /* server threads by name: where their time went */
  bench_group groups[BENCH_MAX_GROUPS];
  uint64_t size_before, size_after;
  int ran_out;           /* write pool used up before the duration */
  double sign_secs;      /* time spent signing for the phase (not measured) */
  char first_error[256];
  bench_mem mem;
  double verify_rate;    /* verify phase only */
  /* disk phase only: microseconds per fdatasync after writing one page, and
   * what each further scattered or contiguous page adds */
  double disk_sync_us, disk_scattered_us, disk_contig_us;
  /* write phases: distinct tree sizes the responses named (each commit signs
   * a new one), and the writer thread's I/O over the measured part */
  uint64_t commits;
  bench_io io;
} bench_result;

/* ---- channels to one server ------------------------------------------- */

/* `n` channels (TCP connections) to one address, and the methods registered
 * on each. Sender thread t uses channel t mod n. */
typedef struct {
  int n;
  grpc_channel *ch[BENCH_MAX_THREADS];
  int nmethods;
  char *path[BENCH_MAX_METHODS];
  void *handle[BENCH_MAX_METHODS][BENCH_MAX_THREADS];
} bench_target;

/* Opens `channels` channels to `addr` with the bench's channel arguments
 * (gRPC's minimal client stack unless `full_stack`). grpc_init() first. */
void bench_target_open(bench_target *t, const char *addr, int channels, int full_stack);
void bench_target_close(bench_target *t);

/* ---- the engine --------------------------------------------------------- */

/* One call, as the generator sets it up and the checker sees it. */
typedef struct {
  const uint8_t *data; /* the request's bytes, valid until the call completes:
                          pool memory, or `buf` */
  size_t len;
  uint64_t arg;        /* the generator's note to the checker (an index asked
                          for, a pool position) */
  size_t count;        /* items the call carries (entries of a batch), counted
                          as failed when the call fails; 1 unless set */
  uint8_t buf[BENCH_REQ_BUF];
} bench_req;

/* A sender thread's counts, which a checker adds to. A call counts as a
 * success (and its latency is kept) when its check raised `items`. */
typedef struct {
  uint64_t items, errors, checked;
  uint64_t codes[BENCH_STATUSES];
  char first_error[256];
  uint64_t rng;     /* for generators: bench_rand(&t->rng) */
  uint64_t seq;     /* for checkers: e.g. one response in N checked in depth */
  pl_arena *arena;  /* decode responses into it; reset after every check */
} bench_tally;

/* Sets up the next request; 0 when there is no work left. */
typedef int (*bench_next_fn)(void *ctx, bench_tally *t, bench_req *q);
/* Checks an OK response's message bytes: adds to t->items what succeeded,
 * and calls bench_fail for what did not. */
typedef void (*bench_check_fn)(void *ctx, bench_tally *t, const bench_req *q,
                               const uint8_t *resp, size_t len);

/* A unary method and how to drive it. */
typedef struct {
  const char *method; /* "/partsledger.v1.Ledger/GetEntry" */
  bench_next_fn next;
  bench_check_fn check;
} bench_workload;

/* Runs `wl` with `ctx` against `t`: `inflight` calls spread over `threads`
 * sender threads (each with its own completion queue), until `secs` have
 * passed (secs <= 0: until the generator has no more work), then waits for
 * the calls in flight. Counts and time are added to *res; the latency
 * percentiles of this run replace those in it. */
void bench_engine_run(bench_target *t, int threads, const bench_workload *wl, void *ctx,
                      int inflight, double secs, bench_result *res);

/* Counts `count` failures with gRPC status `code` and keeps the first
 * message. */
void bench_fail(bench_tally *t, int code, uint64_t count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* splitmix64: plenty for picking indices, and nearly free. */
uint64_t bench_rand(uint64_t *state);

uint64_t bench_now_ns(void);

/* Progress, on stderr, so that --json leaves stdout to the result. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- workloads (workload.c) ------------------------------------------- */

/* Appends: a pool handed out `batch` records at a time. Every index the log
 * gives must be new and in [base, base + pool->n); `heads` marks the tree
 * sizes named in responses, and `commits` counts the distinct ones. */
typedef struct bench_pool bench_pool;
typedef struct {
  const bench_pool *pool;
  size_t batch;
  uint64_t base;
  atomic_size_t pos;
  atomic_uchar *seen;  /* pool->n bytes, by index - base */
  atomic_uchar *heads; /* pool->n bytes, by tree_size - base - 1 */
  atomic_uint_fast64_t commits;
} bench_writes;

/* Reads at uniformly random indices below `size`; proofs are checked
 * against `root`. */
typedef struct {
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
} bench_reads;

extern const bench_workload bench_wl_append; /* ctx: bench_writes, batch 1 */
extern const bench_workload bench_wl_batch;  /* ctx: bench_writes */
extern const bench_workload bench_wl_get;    /* ctx: bench_reads */
extern const bench_workload bench_wl_proof;  /* ctx: bench_reads */

/* ---- signed entry pools (pool.c) -------------------------------------- */

/* Records of (0x0a, varint length, SignedEntry): each one is an
 * AppendRequest, and a run of them is an AppendBatchRequest, because both
 * carry their SignedEntry as field 1. Record i is buf[off[i] .. off[i+1]). */
struct bench_pool {
  uint8_t *buf;
  size_t *off;
  size_t n;
};

/* Signs `n` fresh ActorEnrolled entries with `key`, on `threads` threads.
 * The time taken is added to *secs when not NULL. 0, or -1 when out of
 * memory (nothing is left allocated). */
int bench_pool_make(const pl_key *key, int threads, size_t n, bench_pool *out,
                    double *secs);
/* Frees and zeroes; a zeroed pool is fine. */
void bench_pool_free(bench_pool *p);

/* A protobuf varint at p (10 bytes at most); its length. */
size_t bench_put_varint(uint8_t *p, uint64_t v);

/* ---- the verify-only server (limit.c) ------------------------------------ */

typedef struct bench_limit bench_limit;

/* Starts the verify-only server on 127.0.0.1 (a free port, in *port) with
 * one poller and `workers` worker threads. grpc_init() first. 0 or -1. */
int bench_limit_start(int workers, bench_limit **out, int *port);
/* The index the next accepted entry will get (entries accepted so far). */
uint64_t bench_limit_next(bench_limit *l);
/* Stops it and joins its threads. Close channels to it first: nothing may
 * be in flight. bench_limit_stop(NULL) is a no-op. */
void bench_limit_stop(bench_limit *l);

/* ---- /proc (sampler.c) ------------------------------------------------- */

bench_mem bench_server_mem(long pid);

/* The I/O counters of the first thread of `pid` named `name`. */
void bench_io_read(long pid, const char *name, bench_io *io);
/* The change from *a to *z, into *d; not ok unless both are, of one thread. */
void bench_io_diff(const bench_io *a, const bench_io *z, bench_io *d);

/* The CPU of this process, of `pid`'s threads and of the machine at one
 * moment, to be compared with a later one (bench_mark_diff). */
typedef struct bench_mark bench_mark;

/* Takes a mark of `pid` (0: no server to watch). `only`: count only the
 * threads whose names begin so, as the server (NULL: the whole process);
 * this is how the in-process limit server is told from the load generator,
 * whose CPU is then this process's minus the server's. `states`: also sample
 * the threads' states (on a core, waiting for the disk) until the diff.
 * NULL when out of memory. */
bench_mark *bench_mark_take(long pid, const char *only, int states);
/* Fills the CPU figures and thread groups of *r since `m`, and frees `m`. */
void bench_mark_diff(bench_mark *m, bench_result *r);

/* ---- the whole run ----------------------------------------------------- */

typedef struct {
  bench_opts o;
  bench_target server;     /* channels to o.server */
  pl_key *admin;
  long cores;
  bench_result res[PH_COUNT];
  bench_result limit[LIM_COUNT]; /* the limit phase, per method */
  int limit_port;
  /* The limit phase's signed entries, kept for the append and batch phases
   * so that they send exactly the same requests. */
  bench_pool kept[LIM_COUNT];
} bench;

/* machine.c: the phases that measure the machine without the server. */
void bench_phase_verify(bench *b, bench_result *res);
void bench_phase_disk(bench *b, bench_result *res);

/* Successful items per second. */
double bench_rate(const bench_result *r);

void bench_report_text(const bench *b);
void bench_report_json(const bench *b);

#endif /* PL_BENCH_H */
