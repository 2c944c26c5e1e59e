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
 *   entries.c   entries of any kind, signed by any key on every core
 *   inventory.c the inventory data set and the inventory-load, near, trace
 *               and reserve phases
 *   repair.c    the devices, repair orders and claims, and the warranty,
 *               mixed and audit phases
 *   redis.c     Redis GEOSEARCH over the same sites, for the near phase
 *   limit.c     the verify-only server the `limit` phase runs in-process,
 *               and the do-nothing server (ready replies) of query phases
 *   sampler.c   the server's /proc: CPU, memory, threads, the writer's I/O
 *   report.c    the text and JSON reports
 *
 * A query phase for a new RPC needs a bench_workload (workload.c) and a row
 * in main.c's phase list; the engine does the rest.
 *
 * Depends on gRPC core, protobuf-c, libsodium, storage/ (pl_entry: arena,
 * keys, merkle, entry) and the client library: client.h for the setup
 * calls, audit.h and verify.h for the offline checks; never on LMDB.
 */
#ifndef PL_BENCH_H
#define PL_BENCH_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "keys.h"
#include "merkle.h"
#include "partsledger/v1/inventory.pb-c.h"
#include "partsledger/v1/ledger.pb-c.h"

#define BENCH_SERVICE "/partsledger.v1.Ledger/"
#define BENCH_INVENTORY "/partsledger.v1.Inventory/"
#define BENCH_TRACE "/partsledger.v1.Trace/"
#define BENCH_WARRANTY "/partsledger.v1.Warranty/"
#define BENCH_AUDIT "/partsledger.v1.Audit/"
#define BENCH_DEADLINE_S 60
#define BENCH_MAX_THREADS 16
#define BENCH_MAX_METHODS 16
#define BENCH_VERIFY_MSG 300    /* bytes signed in the verify phase */
#define BENCH_REQ_BUF 64        /* a generator's scratch space per call */
#define BENCH_STATUSES 17       /* gRPC status codes 0..16 */
#define BENCH_WRITER_THREAD "pl-writer"
#define BENCH_LIMIT_THREADS "lim-" /* the limit server's thread names begin so */
#define BENCH_MAX_SKUS 16       /* SKUs the reserve phase reserves */
#define BENCH_SAMPLE 32         /* check one read response in this many in depth */
#define BENCH_DAY_MS (24 * 3600 * 1000LL) /* a day, for entries' times */

/* ---- options and results ---------------------------------------------- */

/* In the order they run. The first PH_CORE run when --phases is not given;
 * the others only when chosen, by name or in a group (main.c). */
enum { PH_VERIFY, PH_DISK, PH_LIMIT, PH_APPEND, PH_BATCH, PH_FILL, PH_GET, PH_PROOF,
       PH_INVLOAD, PH_NEAR, PH_TRACE, PH_RESERVE, PH_WARRANTY, PH_MIXED, PH_AUDIT,
       PH_COUNT };
#define PH_CORE PH_INVLOAD
extern const char *const bench_phase_names[PH_COUNT];

/* The further measurements some phases make besides their main one
 * (bench.sub[phase][i]): what their rate is compared with, or a variant. */
enum { SUB_LIMIT = 0,            /* near, trace: the do-nothing server */
       SUB_REDIS = 1,            /* near: Redis GEOSEARCH */
       SUB_PROOFS = 1,           /* trace: with_proofs */
       SUB_HISTORY = 0,          /* warranty: DeviceHistory */
       SUB_WALK = 1,             /* warranty: BatchDevices walks */
       SUB_VERIFY = 0,           /* audit: offline verification */
       BENCH_SUBS = 2 };

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
  /* the inventory and repair phases' data set and load */
  uint64_t sites, skus, stock_rows, devices, max_pool;
  int trace_batches, trace_facts, near_inflight, reserve_clients;
  int history_devices, audit_orders;
  double near_km;
  const char *cli;   /* partsledger, for `audit verify` */
  const char *redis; /* redis-server, or "none" */
} bench_opts;

/* Server threads of one name (pl-worker, ...), as fractions of the phase
 * summed over the threads: on a core, runnable but waiting for one, waiting
 * for the disk (uninterruptible sleep: fdatasync, page reads), and idle.
 * The thread that is never idle is what limits the phase. */
#define BENCH_MAX_GROUPS 16
#define BENCH_MAX_FIGS 24
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
  /* the inventory and repair phases: further figures by name (JSON keys),
   * and a line of text (why a comparison is missing, what was loaded) */
  int nfigs;
  struct {
    char key[32];
    double v;
  } figs[BENCH_MAX_FIGS];
  char note[256];
} bench_result;

/* Sets (or adds) the figure `key` of r. */
void bench_fig(bench_result *r, const char *key, double v);
/* The figure `key` of r, or `dflt`. */
double bench_fig_get(const bench_result *r, const char *key, double dflt);

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

/* Bytes of a packed request. */
typedef struct {
  const uint8_t *data;
  size_t len;
} bench_bytes;

/* StockNear: random probes, each a packed StockNearRequest (inventory.c
 * makes them) and the same question as a Redis GEOSEARCH command. */
typedef struct {
  bench_bytes req;
  bench_bytes cmd; /* RESP */
  double lat, lon;
  int in_stock; /* within 20 km of a site holding the SKU and well inside the
                   radius: never an empty answer */
} bench_probe;

typedef struct {
  const bench_probe *probes;
  size_t n;
  double radius_m;
  uint32_t limit;
  /* Against the do-nothing server every reply is the same ready one, of
   * another probe: it is checked as a reply, not as this probe's answer. */
  int canned;
  atomic_uint_fast64_t bytes, replies, sites; /* what the replies held */
} bench_near;

/* TraceBatch of a few batches, one packed request each. */
typedef struct {
  const bench_bytes *req;
  const char *const *batch_id;
  size_t n;
  uint32_t facts; /* facts every reply holds */
  int proofs, canned;
  atomic_uint_fast64_t bytes, replies;
} bench_trace;

/* GetWarrantyStatus and DeviceHistory of random devices. */
typedef struct {
  const bench_bytes *req;    /* per device */
  const char *const *serial; /* per device */
  const char *const *part;   /* the part each holds now (status) */
  size_t n;
  const char *policy_id;
  const char *batch_id;      /* of every part (status) */
  size_t facts;              /* facts in each history */
} bench_devices;

/* ExportAuditBundle of one claim. Every reply is checked in depth, by
 * pl_audit_verify (client/audit.h), until one has been: after that each
 * must be the same bytes (nothing is written meanwhile), and one in
 * BENCH_SAMPLE is checked in depth again. */
typedef struct {
  bench_bytes req;
  const char *claim_id;
  const char *vkey;   /* the log's verifier key */
  size_t entries;     /* linked entries; 0: learn it from the first */
  pthread_mutex_t lock;
  uint8_t *ref;       /* the first bundle checked in depth (malloc) */
  size_t ref_len;
  atomic_uint_fast64_t bytes;
} bench_audit;

/* Reservations: unary appends of a pool whose record i reserves SKU
 * i mod nskus; successes are counted per SKU. */
typedef struct {
  bench_writes w;
  size_t nskus;
  atomic_uint_fast64_t ok[BENCH_MAX_SKUS];
} bench_reserve;

/* Chains of dependent entries sent as unary appends: record s of chain c
 * is pool record c * steps + s, and is sent only once record s - 1 of c
 * has been logged, so that at most one entry of a chain is in flight. */
typedef struct {
  bench_writes w;
  size_t steps, nchains;
  pthread_mutex_t lock;
  size_t *ready; /* chains whose next entry may go (a stack) */
  size_t nready;
  size_t next;   /* the next chain not yet begun */
  uint8_t *step; /* per chain: entries logged */
  atomic_uint_fast64_t done; /* chains logged in full */
} bench_chains;

extern const bench_workload bench_wl_append; /* ctx: bench_writes, batch 1 */
extern const bench_workload bench_wl_batch;  /* ctx: bench_writes */
extern const bench_workload bench_wl_get;    /* ctx: bench_reads */
extern const bench_workload bench_wl_proof;  /* ctx: bench_reads */
extern const bench_workload bench_wl_near;   /* ctx: bench_near */
extern const bench_workload bench_wl_trace;  /* ctx: bench_trace */
extern const bench_workload bench_wl_status; /* ctx: bench_devices */
extern const bench_workload bench_wl_history; /* ctx: bench_devices */
extern const bench_workload bench_wl_audit;  /* ctx: bench_audit */
extern const bench_workload bench_wl_reserve; /* ctx: bench_reserve */
extern const bench_workload bench_wl_chains; /* ctx: bench_chains */

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

/* ---- entries of any kind (entries.c) -------------------------------------- */

/* Entries packed and waiting for their signatures: each one's Entry bytes,
 * its author and its co-signers, in the order they will be sent. */
#define BENCH_MAX_COSIGNERS 4
typedef struct {
  uint8_t *buf;
  size_t len, cap;
  size_t *off; /* entry i is buf[off[i] .. off[i+1]) */
  const pl_key **key;
  size_t n, capn;
  struct bench_cosigned {
    size_t i;
    size_t n;
    const pl_key *co[BENCH_MAX_COSIGNERS];
  } *cos;
  size_t ncos;
  int err; /* out of memory: every later call fails too */
} bench_todo;

/* Packs `e` to be signed by `k`, first giving it a new request_id
 * (pl_request_id_new) and the clock as occurred_at_ms when they are unset.
 * The Entry is not kept: the caller's memory may go. 0 or -1. */
int bench_todo_add(bench_todo *t, const pl_key *k, Partsledger__V1__Entry *e);
/* The same, with `n` co-signers (at most BENCH_MAX_COSIGNERS), who sign the
 * same context and bytes as the author. */
int bench_todo_add_cosigned(bench_todo *t, const pl_key *k, const pl_key *const *co,
                            size_t n, Partsledger__V1__Entry *e);
/* Signs every entry of t, on `threads` threads, into a pool in the order
 * they were added, and adds the time taken to *secs (when not NULL). t is
 * emptied for reuse, its memory kept. 0, or -1 (nothing allocated). */
int bench_todo_sign(bench_todo *t, int threads, bench_pool *out, double *secs);
/* Frees and zeroes; a zeroed todo is fine. */
void bench_todo_free(bench_todo *t);

/* A fresh random key, or NULL. */
pl_key *bench_key_new(void);

/* Makes *e an Entry whose body is `body`, of oneof case CASE in member
 * `member`: BENCH_BODY(&e, STOCK_RECEIVED, stock_received, &sr). */
#define BENCH_BODY(e, CASE, member, body)                                      \
  do {                                                                         \
    partsledger__v1__entry__init(e);                                           \
    (e)->body_case = PARTSLEDGER__V1__ENTRY__BODY_##CASE;                      \
    (e)->member = (body);                                                      \
  } while (0)

/* ---- the verify-only and do-nothing server (limit.c) ---------------------- */

typedef struct bench_limit bench_limit;

/* A method the server also answers, on its poller thread, with the same
 * ready reply to every call, without reading the request: the do-nothing
 * limit of a query. `reply` must outlive the server. `posted`: requests
 * kept posted (as partsledgerd keeps for that method). */
typedef struct {
  const char *method;
  const uint8_t *reply;
  size_t len;
  int posted;
} bench_canned;

/* Starts the verify-only server on 127.0.0.1 (a free port, in *port) with
 * one poller and `workers` worker threads, also answering the `ncanned`
 * methods of `canned` (may be NULL). grpc_init() first. 0 or -1. */
int bench_limit_start(int workers, const bench_canned *canned, size_t ncanned,
                      bench_limit **out, int *port);
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

typedef struct bench_inv bench_inv; /* inventory.c */
typedef struct bench_rep bench_rep; /* repair.c */

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
  /* The further measurements of a phase (SUB_*), and what they are. */
  bench_result sub[PH_COUNT][BENCH_SUBS];
  /* The data sets of the inventory and repair phases, made once a run, with
   * ids that begin with `prefix` so that runs against one server never
   * meet: the world (the manufacturer, a supplier), the inventory and the
   * devices. */
  char prefix[16];
  pl_key *maker;
  int world; /* the world's steps that succeeded (inventory.c) */
  bench_inv *inv;
  bench_rep *rep;
  struct pl_client *client; /* for setup calls and checks (bench_call) */
} bench;

/* Where calls go: the server, or a server inside the bench. */
typedef struct {
  bench_target *t;
  bench_limit *limit; /* the in-process server, or NULL for --server */
} bench_dest;

/* main.c: what the phases share. */
/* The log's current size and root, from GetCheckpoint. 0 or -1. */
int bench_head(bench *b, uint64_t *size, uint8_t root[PL_HASH_BYTES]);
/* One unary call to the server outside a measured loop (setup, checks):
 * `req` packed, the reply unpacked into `a`. 0, or -1 after counting the
 * failure in res with what `what` says. */
int bench_call(bench *b, const char *method, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *desc, pl_arena *a, ProtobufCMessage **out,
               bench_result *res, const char *what);
/* Measures `wl` with `ctx` against the do-nothing server answering wl's
 * method with `reply` (`posted` requests kept posted), `inflight` calls
 * for --duration after a one-second warm-up, into res. */
void bench_measure_canned(bench *b, const bench_workload *wl, void *ctx, const uint8_t *reply,
                          size_t len, int posted, int inflight, bench_result *res);
/* Counts one failure of a phase outside a call, and keeps the first
 * message. */
void bench_failf(bench_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds a warm-up's failures to res: their count, their gRPC statuses, and
 * its first message ("warm-up: ...") when res has none yet. */
void bench_merge_warmup(bench_result *res, const bench_result *warm);
/* Sends `pool` to `d`: unary Append when batch is 0, else AppendBatch of
 * `batch`, `inflight` calls in flight, for `secs` (0: until it is sent).
 * Every index must be new. `measure`: take the CPU marks and the writer's
 * I/O too. 0 or -1. */
int bench_send(bench *b, const bench_dest *d, size_t batch, int inflight,
               const bench_pool *pool, double secs, bench_result *res, int measure);
/* bench_send for any write workload `wl` whose context `ctx` holds `w`
 * (bench_reserve, bench_chains): fills w for `pool` and sends it. */
int bench_write_run(bench *b, const bench_dest *d, const bench_workload *wl, void *ctx,
                    bench_writes *w, const bench_pool *pool, size_t batch, int inflight,
                    double secs, bench_result *res, int measure);
/* Sends `pool` in its order, one AppendBatch of up to 1,000 at a time, for
 * entries that need those before them; failures go to res. 0 or -1. */
int bench_send_ordered(bench *b, const bench_pool *pool, bench_result *res);
/* Signs t's entries on every core (unmeasured) and sends them with
 * bench_send_ordered; t is emptied, its memory kept. A failure to sign is
 * counted in res as "cannot sign `what`". 0 or -1. */
int bench_sign_send(bench *b, bench_todo *t, bench_result *res, const char *what);
/* A query phase's measurement: `wl` with `ctx` to `d`, `inflight` calls for
 * --duration after a one-second warm-up, with the CPU marks of the server
 * (or of the in-process one). */
void bench_measure_query(bench *b, const bench_dest *d, const bench_workload *wl, void *ctx,
                         int inflight, bench_result *res);

/* The world every inventory and repair phase needs: the manufacturer
 * (b->maker, made once) enrolled and the supplier registered (inventory.c).
 * After a failure the next call sends only what has not succeeded. 0 or
 * -1, with the failure in res. */
int bench_world_ready(bench *b, bench_result *res);

/* inventory.c */
void bench_phase_invload(bench *b, bench_result *res);
void bench_phase_near(bench *b, bench_result *res);
void bench_phase_trace(bench *b, bench_result *res);
void bench_phase_reserve(bench *b, bench_result *res);
void bench_inv_free(bench *b);
/* redis.c: GEOSEARCH of the near phase's probes against a redis-server the
 * bench starts and loads with `geoadd` (`ncmds` RESP commands), into res;
 * skipped, with a note saying why, when there is no redis-server. */
void bench_redis_near(bench *b, const char *geoadd, size_t len, size_t ncmds,
                      const bench_near *nr, bench_result *res);
/* repair.c */
void bench_phase_warranty(bench *b, bench_result *res);
void bench_phase_mixed(bench *b, bench_result *res);
void bench_phase_audit(bench *b, bench_result *res);
void bench_rep_free(bench *b);

/* machine.c: the phases that measure the machine without the server. */
void bench_phase_verify(bench *b, bench_result *res);
void bench_phase_disk(bench *b, bench_result *res);

/* Successful items per second. */
double bench_rate(const bench_result *r);
/* Whether phase ph sends all it signed, in chunks (fill, inventory-load):
 * no duration, and no latency percentiles, since the engine keeps only
 * those of its last run. */
int bench_is_bulk(int ph);

void bench_report_text(const bench *b);
void bench_report_json(const bench *b);

#endif /* PL_BENCH_H */
