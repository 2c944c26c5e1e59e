/*
 * bench.c - partsledger-bench: measures a running partsledgerd.
 *
 * Phases (each optional, run in this order):
 *   verify  Ed25519 verifications per second on one core, measured here so
 *           that the write figures can be put next to the ceiling that
 *           signature checking sets on this machine, in the same run;
 *   disk    what a durable commit costs on the disk under --disk-dir: one
 *           fdatasync after writing 1 page, 32 scattered pages (where LMDB's
 *           free list puts a commit's pages) and 32 contiguous ones, since
 *           the writer's commit is the other limit of the write phases;
 *   append  unary Append, --inflight calls in flight;
 *   batch   AppendBatch of --batch entries, --batch-inflight calls in flight;
 *   fill    AppendBatch until the log holds --fill entries;
 *   get     GetEntry at random indices over the whole log;
 *   proof   GetInclusionProof at random indices, at the current size.
 *
 * Every write phase signs all its entries before it starts (with every
 * core), so signing is never inside the measured loop; how many it needs is
 * estimated from a one-second warm-up. The measured loops use the gRPC core
 * API asynchronously: each sender thread owns a completion queue and a set of
 * call slots, and a slot starts its next call as soon as the previous one
 * completes. Requests are packed in advance and sent from static slices.
 *
 * Every response is checked: the status must be OK, appends must come back
 * non-duplicate with indices never seen before, reads must echo the index
 * asked for, and a sample of them is verified (leaf hashes, inclusion proofs
 * against the checkpoint's root). Failures are counted and reported, and make
 * the exit status 1; rates count successful operations only.
 *
 * With --server-pid it also reads the server's /proc: CPU, private memory,
 * and for each measured phase where each server thread spent it (on a core,
 * waiting for one, waiting for the disk, idle), which names the limit.
 *
 * Uses gRPC core, protobuf-c, libsodium and the storage/ headers (arena,
 * keys, merkle); not the client library, whose calls are synchronous.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "error.h"
#include "client.h"
#include "keys.h"
#include "merkle.h"
#include "partsledger/v1/ledger.pb-c.h"
#include "text.h"

#define BENCH_SERVICE "/partsledger.v1.Ledger/"
#define BENCH_DEADLINE_S 60
#define BENCH_MAX_THREADS 16
#define BENCH_MAX_POOL 5000000   /* entries signed for one phase, ~1 GB */
#define BENCH_FILL_CHUNK 250000  /* entries signed per fill step, ~50 MB */
#define BENCH_SAMPLE 32          /* verify one read response in this many */
#define BENCH_VERIFY_MSG 300
#define BENCH_REQUEST_ID 16      /* bytes of a request_id */
#define BENCH_DISK_PAGE 4096
#define BENCH_DISK_PAGES 2048    /* the disk phase's file: 8 MiB */
#define BENCH_DISK_RUN 32        /* pages written before each fdatasync */

static const char bench_usage[] =
    "usage: partsledger-bench --server HOST:PORT [--admin-key FILE] [options]\n"
    "       partsledger-bench --admin-key FILE --print-pubkey\n"
    "\n"
    "Drives a running partsledgerd and reports what it sustains.\n"
    "\n"
    "  --server HOST:PORT    the server (required)\n"
    "  --admin-key FILE      the admin's key file (64 hex characters of seed);\n"
    "                        needed by the append, batch and fill phases\n"
    "  --duration SECONDS    length of each measured phase (default 10)\n"
    "  --inflight N          calls in flight for append, get, proof (default 64)\n"
    "  --batch N             entries per AppendBatch call (default 100)\n"
    "  --batch-inflight N    AppendBatch calls in flight (default 8)\n"
    "  --fill N              grow the log to N entries before the reads\n"
    "                        (default 1000000)\n"
    "  --phases LIST         comma list of verify,disk,append,batch,fill,get,proof\n"
    "                        (default all of them; they always run in this order)\n"
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
    "  --server-pid PID      also report the server's CPU, its private memory, and\n"
    "                        where each of its threads spent each phase (on a\n"
    "                        core, waiting for one, for the disk, idle)\n"
    "  --json                print the results as one JSON object on stdout\n"
    "  --print-pubkey        print the public key of --admin-key in hex and exit\n"
    "  --help                this text\n";

/* ---- options and results ---------------------------------------------- */

enum { PH_VERIFY, PH_DISK, PH_APPEND, PH_BATCH, PH_FILL, PH_GET, PH_PROOF, PH_COUNT };
static const char *const bench_phase_names[PH_COUNT] = {
    "verify", "disk", "append", "batch", "fill", "get", "proof"};

typedef struct {
  const char *server;
  const char *admin_key;
  const char *disk_dir;
  double duration;
  int inflight, batch, batch_inflight, threads, channels;
  uint64_t fill;
  int phases[PH_COUNT];
  long server_pid;
  int json;
  int full_stack;
} bench_opts;

/* Server threads of one name (pl-worker, ...), as fractions of the phase
 * per thread: on a core, runnable but waiting for one, waiting for the disk
 * (uninterruptible sleep: fdatasync, page reads), and idle. The thread that
 * is never idle is what limits the phase. */
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

typedef struct {
  int ran, skipped;
  double secs;          /* first call sent to last call completed */
  uint64_t calls, items; /* successful */
  uint64_t errors;       /* failed calls plus failed entries in OK batches */
  uint64_t codes[17];    /* failed calls and entries by gRPC status */
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
} bench_result;

/* The methods called, and their registration on each channel. */
enum { M_APPEND, M_BATCH, M_GET, M_PROOF, M_COUNT };
static const char *const bench_method_paths[M_COUNT] = {
    BENCH_SERVICE "Append", BENCH_SERVICE "AppendBatch", BENCH_SERVICE "GetEntry",
    BENCH_SERVICE "GetInclusionProof"};

typedef struct {
  grpc_channel *ch;
  void *m[M_COUNT];
} bench_chan;

typedef struct {
  bench_opts o;
  bench_chan chan[BENCH_MAX_THREADS]; /* o.channels of them */
  pl_key *admin;
  long cores;
  bench_result res[PH_COUNT];
} bench;

static uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress goes to stderr, so that --json leaves stdout to the result. */
static void bench_note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("partsledger-bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ---- server process figures (/proc) ----------------------------------- */

/* Sums the Rss of every mapping of a file named data.mdb. */
static long bench_lmdb_rss(long pid) {
  char path[64], line[4096];
  snprintf(path, sizeof(path), "/proc/%ld/smaps", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  long total = 0;
  int in_mdb = 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    unsigned long lo, hi;
    int off = 0;
    /* Mapping headers start "lo-hi perms ..."; field lines "Name:  value". */
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s%n", &lo, &hi, &off) == 2 && off > 0) {
      const char *name = line + off;
      while (*name == ' ')
        name++;
      size_t len = strcspn(name, "\n");
      in_mdb = len >= 9 && memcmp(name + len - 9, "/data.mdb", 9) == 0;
      continue;
    }
    long kb;
    if (in_mdb && sscanf(line, "Rss: %ld kB", &kb) == 1)
      total += kb;
  }
  fclose(f);
  return total;
}

static bench_mem bench_server_mem(long pid) {
  bench_mem m;
  memset(&m, 0, sizeof(m));
  if (pid <= 0)
    return m;
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return m;
  while (fgets(line, sizeof(line), f) != NULL) {
    sscanf(line, "VmRSS: %ld kB", &m.rss);
    sscanf(line, "VmHWM: %ld kB", &m.hwm);
    sscanf(line, "RssAnon: %ld kB", &m.anon);
  }
  fclose(f);
  m.lmdb = bench_lmdb_rss(pid);
  if (m.rss > 0 && m.lmdb >= 0) {
    m.priv = m.rss - m.lmdb;
    m.ok = 1;
  }
  return m;
}

/* CPU ticks of every thread of the server, to find the busiest one. */
#define BENCH_MAX_TASKS 256
typedef struct {
  int n;
  long tid[BENCH_MAX_TASKS];
  unsigned long long ticks[BENCH_MAX_TASKS];
  /* From schedstat: ns on a core, ns runnable but waiting for one; `sched`
   * is 0 where the kernel has no schedstat. */
  unsigned long long run_ns[BENCH_MAX_TASKS], wait_ns[BENCH_MAX_TASKS];
  int sched[BENCH_MAX_TASKS];
  char comm[BENCH_MAX_TASKS][24];
  unsigned long long total;
} bench_tasks;

static int bench_read_stat(const char *path, unsigned long long *ticks, char *comm,
                           size_t comm_len) {
  char buf[1024];
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: fields resume after
   * the last ')'. utime and stime are fields 14 and 15. */
  char *open = strchr(buf, '('), *close = strrchr(buf, ')');
  if (open == NULL || close == NULL || close < open)
    return -1;
  if (comm != NULL) {
    size_t len = (size_t)(close - open - 1);
    if (len >= comm_len)
      len = comm_len - 1;
    memcpy(comm, open + 1, len);
    comm[len] = '\0';
  }
  unsigned long long ut, st;
  if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
             &ut, &st) != 2)
    return -1;
  *ticks = ut + st;
  return 0;
}

static void bench_tasks_read(long pid, bench_tasks *t) {
  memset(t, 0, sizeof(*t));
  if (pid <= 0)
    return;
  char path[96];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  bench_read_stat(path, &t->total, NULL, 0);
  snprintf(path, sizeof(path), "/proc/%ld/task", pid);
  DIR *d = opendir(path);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && t->n < BENCH_MAX_TASKS) {
    long tid = strtol(e->d_name, NULL, 10);
    if (tid <= 0)
      continue;
    snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", pid, tid);
    if (bench_read_stat(path, &t->ticks[t->n], t->comm[t->n], sizeof(t->comm[0])) != 0)
      continue;
    snprintf(path, sizeof(path), "/proc/%ld/task/%ld/schedstat", pid, tid);
    FILE *f = fopen(path, "r");
    t->sched[t->n] = 0;
    if (f != NULL) {
      t->sched[t->n] =
          fscanf(f, "%llu %llu", &t->run_ns[t->n], &t->wait_ns[t->n]) == 2;
      fclose(f);
    }
    t->tid[t->n++] = tid;
  }
  closedir(d);
}

/* How long each server thread waits for the disk (uninterruptible sleep:
 * fdatasync, page reads). schedstat gives the time on a core and the time
 * runnable without one, precisely; this is the third way a thread is busy
 * without using CPU, and /proc shows it only as the state letter in
 * /proc/PID/task/TID/stat, so it is sampled every BENCH_STATE_NS while a
 * phase runs. Each file is kept open and re-read from offset 0: a sample
 * costs a few preads. Slots follow the tasks of the mark that started it;
 * fd is -1 where a thread's file could not be opened. */
#define BENCH_STATE_NS 5000000
typedef struct {
  int n;
  int fd[BENCH_MAX_TASKS];
  uint64_t disk[BENCH_MAX_TASKS], samples;
  atomic_int stop;
  pthread_t thread;
} bench_sampler;

static char bench_state_of(int fd) {
  char buf[512];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0)
    return '?';
  buf[n] = '\0';
  char *close = strrchr(buf, ')');
  return close != NULL && close[1] == ' ' ? close[2] : '?';
}

static void *bench_sampler_main(void *arg) {
  bench_sampler *sp = arg;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  while (!atomic_load(&sp->stop)) {
    for (int i = 0; i < sp->n; i++)
      if (sp->fd[i] >= 0)
        sp->disk[i] += bench_state_of(sp->fd[i]) == 'D';
    sp->samples++;
    next.tv_nsec += BENCH_STATE_NS;
    if (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      next.tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  return NULL;
}

static void bench_sampler_free(bench_sampler *sp) {
  for (int i = 0; i < sp->n; i++)
    if (sp->fd[i] >= 0)
      close(sp->fd[i]);
  free(sp);
}

/* NULL when there is no server to watch, or no thread to sample with. */
static bench_sampler *bench_sampler_start(long pid, const bench_tasks *t) {
  if (pid <= 0 || t->n == 0)
    return NULL;
  bench_sampler *sp = calloc(1, sizeof(*sp));
  if (sp == NULL)
    return NULL;
  sp->n = t->n;
  for (int i = 0; i < t->n; i++) {
    char path[96];
    snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", pid, t->tid[i]);
    sp->fd[i] = open(path, O_RDONLY | O_CLOEXEC);
  }
  atomic_init(&sp->stop, 0);
  if (pthread_create(&sp->thread, NULL, bench_sampler_main, sp) != 0) {
    bench_sampler_free(sp);
    return NULL;
  }
  return sp;
}

static void bench_sampler_stop(bench_sampler *sp) {
  atomic_store(&sp->stop, 1);
  pthread_join(sp->thread, NULL);
}

static double bench_cpu_secs(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* CPU used by this process and the server between two marks. */
typedef struct {
  uint64_t t;
  double cpu;
  unsigned long long busy, steal; /* the whole machine's, in clock ticks */
  bench_tasks tasks;
  bench_sampler *states; /* NULL when not sampling */
} bench_mark;

/* Ticks that all CPUs spent running something, and ticks the hypervisor
 * gave to other guests (steal), from the first line of /proc/stat. */
static void bench_machine_busy(unsigned long long *busy, unsigned long long *steal) {
  unsigned long long v[8] = {0};
  *busy = *steal = 0;
  FILE *f = fopen("/proc/stat", "r");
  if (f == NULL)
    return;
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                 &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 4)
    return;
  /* user nice system idle iowait irq softirq steal */
  *busy = v[0] + v[1] + v[2] + v[5] + v[6];
  *steal = v[7];
}

/* `states`: also sample the server's thread states until the diff. */
static void bench_mark_take(const bench *b, bench_mark *m, int states) {
  m->t = bench_now_ns();
  m->cpu = bench_cpu_secs();
  bench_machine_busy(&m->busy, &m->steal);
  bench_tasks_read(b->o.server_pid, &m->tasks);
  m->states = states ? bench_sampler_start(b->o.server_pid, &m->tasks) : NULL;
}

/* Adds one thread's share of the phase to the group of its name: `cpu` and
 * `queued` from schedstat, `disk` from the samples. */
static void bench_group_add(bench_result *r, const char *name, double cpu, double queued,
                            double disk) {
  int g = 0;
  while (g < r->ngroups && strcmp(r->groups[g].name, name) != 0)
    g++;
  if (g == r->ngroups) {
    if (r->ngroups == BENCH_MAX_GROUPS)
      return;
    memset(&r->groups[g], 0, sizeof(r->groups[g]));
    snprintf(r->groups[g].name, sizeof(r->groups[g].name), "%s", name);
    r->ngroups++;
  }
  bench_group *gr = &r->groups[g];
  /* cpu and queued are exact; the sampled disk share takes what is left of
   * the phase at most, so that a row adds up to 100 %. */
  double left = 1.0 - cpu - queued;
  if (left < 0)
    left = 0;
  if (disk > left)
    disk = left;
  gr->threads++;
  gr->cpu += cpu;
  gr->queued += queued;
  gr->disk += disk;
  gr->idle += left - disk;
}

static void bench_mark_diff(const bench *b, bench_mark *a, bench_result *r) {
  bench_mark z;
  bench_sampler *sp = a->states;
  a->states = NULL;
  if (sp != NULL)
    bench_sampler_stop(sp);
  bench_mark_take(b, &z, 0);
  double secs = (double)(z.t - a->t) / 1e9, hz = (double)sysconf(_SC_CLK_TCK);
  if (secs > 0) {
    r->client_cpu = (z.cpu - a->cpu) / secs;
    r->machine_cpu = (double)(z.busy - a->busy) / hz / secs;
    r->steal = (double)(z.steal - a->steal) / hz / secs;
  }
  if (secs > 0 && b->o.server_pid > 0) {
    r->server_cpu = (double)(z.tasks.total - a->tasks.total) / hz / secs;
    r->ngroups = 0;
    for (int i = 0; i < z.tasks.n; i++) {
      unsigned long long before = 0, run0 = 0, wait0 = 0;
      int j = 0;
      while (j < a->tasks.n && a->tasks.tid[j] != z.tasks.tid[i])
        j++;
      if (j < a->tasks.n) {
        before = a->tasks.ticks[j];
        run0 = a->tasks.sched[j] ? a->tasks.run_ns[j] : 0;
        wait0 = a->tasks.sched[j] ? a->tasks.wait_ns[j] : 0;
      }
      double use = (double)(z.tasks.ticks[i] - before) / hz / secs;
      if (use > r->server_top) {
        r->server_top = use;
        snprintf(r->server_top_name, sizeof(r->server_top_name), "%s/%ld",
                 z.tasks.comm[i], z.tasks.tid[i]);
      }
      /* Without schedstat the CPU share comes from the ticks, and the wait
       * for a core counts as idle. */
      double cpu = use, queued = 0;
      if (z.tasks.sched[i]) {
        cpu = (double)(z.tasks.run_ns[i] - run0) / 1e9 / secs;
        queued = (double)(z.tasks.wait_ns[i] - wait0) / 1e9 / secs;
      }
      /* Threads born during the phase were not sampled: left out. */
      if (sp != NULL && sp->samples > 0 && j < a->tasks.n && sp->fd[j] >= 0)
        bench_group_add(r, z.tasks.comm[i], cpu, queued,
                        (double)sp->disk[j] / (double)sp->samples);
    }
  }
  if (sp != NULL)
    bench_sampler_free(sp);
}

/* ---- setup calls, through the client library -------------------------- */

/* The log's current size and root, from GetCheckpoint. 0 or -1. */
static int bench_head(bench *b, uint64_t *size, uint8_t root[PL_HASH_BYTES]) {
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

/* ---- signed entries, packed ahead of the measured loop ---------------- */

/* Records of (0x0a, varint length, SignedEntry): each one is an
 * AppendRequest, and a run of them is an AppendBatchRequest, because both
 * carry their SignedEntry as field 1. Record i is buf[off[i] .. off[i+1]). */
typedef struct {
  uint8_t *buf;
  size_t *off;
  size_t n;
} bench_pool;

typedef struct {
  const pl_key *key;
  size_t n, first;
  uint8_t *buf;
  size_t len, cap;
  size_t *lens;
  int err;
} bench_signer;

static size_t bench_put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

static void *bench_sign_main(void *arg) {
  bench_signer *s = arg;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  for (size_t i = 0; i < s->n; i++) {
    uint8_t rid[BENCH_REQUEST_ID], pk[PL_PUBLIC_KEY_BYTES], entry[512];
    uint8_t sig[PL_SIGNATURE_BYTES];
    char name[48];
    pl_request_id_new(rid);
    randombytes_buf(pk, sizeof(pk));
    snprintf(name, sizeof(name), "bench auditor %zu", s->first + i);

    Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
    ae.public_key.data = pk;
    ae.public_key.len = sizeof(pk);
    ae.role = PARTSLEDGER__V1__ROLE__ROLE_AUDITOR;
    ae.name = name;
    Partsledger__V1__Entry e = PARTSLEDGER__V1__ENTRY__INIT;
    e.request_id.data = rid;
    e.request_id.len = sizeof(rid);
    e.occurred_at_ms = now_ms;
    e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
    e.actor_enrolled = &ae;
    size_t elen = partsledger__v1__entry__get_packed_size(&e);
    if (elen > sizeof(entry)) {
      s->err = PL_EINTERNAL;
      return NULL;
    }
    partsledger__v1__entry__pack(&e, entry);
    if (pl_entry_sign(s->key, entry, elen, sig) != 0) {
      s->err = PL_ENOMEM;
      return NULL;
    }
    Partsledger__V1__SignedEntry se = PARTSLEDGER__V1__SIGNED_ENTRY__INIT;
    se.entry.data = entry;
    se.entry.len = elen;
    se.signer.data = (uint8_t *)pl_key_public(s->key);
    se.signer.len = PL_PUBLIC_KEY_BYTES;
    se.signature.data = sig;
    se.signature.len = sizeof(sig);
    size_t slen = partsledger__v1__signed_entry__get_packed_size(&se);
    size_t need = 1 + 10 + slen;
    if (s->len + need > s->cap) {
      size_t cap = s->cap ? s->cap * 2 : 1 << 20;
      while (cap < s->len + need)
        cap *= 2;
      uint8_t *p = realloc(s->buf, cap);
      if (p == NULL) {
        s->err = PL_ENOMEM;
        return NULL;
      }
      s->buf = p;
      s->cap = cap;
    }
    uint8_t *p = s->buf + s->len;
    size_t h = 0;
    p[h++] = 0x0a; /* field 1, length-delimited */
    h += bench_put_varint(p + h, slen);
    partsledger__v1__signed_entry__pack(&se, p + h);
    s->lens[i] = h + slen;
    s->len += h + slen;
  }
  return NULL;
}

static void bench_pool_free(bench_pool *p) {
  free(p->buf);
  free(p->off);
  memset(p, 0, sizeof(*p));
}

/* Signs `n` fresh ActorEnrolled entries with every core. 0 or -1. */
static int bench_pool_make(bench *b, size_t n, bench_pool *out, double *secs) {
  uint64_t t0 = bench_now_ns();
  memset(out, 0, sizeof(*out));
  int nt = (int)b->cores;
  if (nt < 1)
    nt = 1;
  if (nt > BENCH_MAX_THREADS)
    nt = BENCH_MAX_THREADS;
  bench_signer sg[BENCH_MAX_THREADS];
  pthread_t th[BENCH_MAX_THREADS];
  size_t *lens = malloc((n ? n : 1) * sizeof(size_t));
  out->off = malloc((n + 1) * sizeof(size_t));
  if (lens == NULL || out->off == NULL) {
    free(lens);
    bench_pool_free(out);
    return -1;
  }
  int started = 0, rc = 0;
  for (int t = 0; t < nt; t++) {
    memset(&sg[t], 0, sizeof(sg[t]));
    sg[t].key = b->admin;
    sg[t].first = n * (size_t)t / (size_t)nt;
    sg[t].n = n * (size_t)(t + 1) / (size_t)nt - sg[t].first;
    sg[t].lens = lens + sg[t].first;
    if (pthread_create(&th[t], NULL, bench_sign_main, &sg[t]) != 0) {
      rc = -1;
      break;
    }
    started++;
  }
  size_t total = 0;
  for (int t = 0; t < started; t++) {
    pthread_join(th[t], NULL);
    if (sg[t].err != 0)
      rc = -1;
    total += sg[t].len;
  }
  if (rc == 0)
    out->buf = malloc(total ? total : 1);
  if (rc == 0 && out->buf != NULL) {
    size_t pos = 0;
    for (int t = 0; t < started; t++) {
      memcpy(out->buf + pos, sg[t].buf, sg[t].len);
      pos += sg[t].len;
    }
    out->off[0] = 0;
    for (size_t i = 0; i < n; i++)
      out->off[i + 1] = out->off[i] + lens[i];
    out->n = n;
  } else {
    rc = -1;
  }
  for (int t = 0; t < started; t++)
    free(sg[t].buf);
  free(lens);
  if (rc != 0)
    bench_pool_free(out);
  if (secs != NULL)
    *secs += (double)(bench_now_ns() - t0) / 1e9;
  return rc;
}

/* ---- the asynchronous engine ------------------------------------------ */

typedef struct bench_run bench_run;
typedef struct bench_worker bench_worker;

typedef struct {
  bench_worker *w;
  grpc_call *call;
  grpc_metadata_array md0, md1;
  grpc_byte_buffer *send, *recv;
  grpc_status_code status;
  grpc_slice details;
  uint64_t t0;
  uint64_t arg;   /* pool position, or the index asked for */
  size_t count;   /* entries the call carries */
  uint8_t req[24];
} bench_slot;

struct bench_worker {
  bench_run *run;
  pthread_t thread;
  const bench_chan *chan;
  grpc_completion_queue *cq;
  bench_slot *slots;
  size_t nslots;
  uint64_t rng;
  pl_arena *arena;
  uint64_t *lat; /* nanoseconds of each successful call */
  size_t nlat, cap;
  uint64_t calls, items, errors, checked, last_ns, seq;
  uint64_t codes[17];
  char first_error[256];
};

typedef struct {
  /* Sets the slot's request (s->send, s->arg, s->count); 0 when no work is
   * left. */
  int (*next)(bench_run *r, bench_worker *w, bench_slot *s);
  /* Checks an OK reply; counts the items that succeeded and the errors. */
  void (*check)(bench_run *r, bench_worker *w, bench_slot *s, const uint8_t *p,
                size_t n);
} bench_ops;

struct bench_run {
  bench *b;
  const bench_ops *ops;
  int method; /* M_* */
  uint64_t start_ns, end_ns; /* no call starts at or after end_ns */
  int nworkers;
  bench_worker w[BENCH_MAX_THREADS];
  /* writes */
  const bench_pool *pool;
  atomic_size_t pos;
  size_t batch;
  uint64_t base;          /* log size before the first call */
  atomic_uchar *seen;     /* one byte per index in [base, base + pool->n) */
  /* reads */
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
};

static uint64_t bench_rand(uint64_t *s) {
  /* splitmix64: plenty for picking indices, and nearly free. */
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static void bench_fail(bench_worker *w, int code, uint64_t count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Counts `count` failures with status `code` and keeps the first message. */
static void bench_fail(bench_worker *w, int code, uint64_t count, const char *fmt, ...) {
  w->errors += count;
  w->codes[code >= 0 && code < 17 ? code : 2] += count;
  if (w->first_error[0] == '\0') {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->first_error, sizeof(w->first_error), fmt, ap);
    va_end(ap);
  }
}

static int bench_start(bench_worker *w, bench_slot *s) {
  bench_run *r = w->run;
  if (!r->ops->next(r, w, s))
    return 0;
  gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                       gpr_time_from_seconds(BENCH_DEADLINE_S, GPR_TIMESPAN));
  s->call = grpc_channel_create_registered_call(w->chan->ch, NULL, GRPC_PROPAGATE_DEFAULTS,
                                                w->cq, w->chan->m[r->method], deadline, NULL);
  s->recv = NULL;
  s->status = GRPC_STATUS_UNKNOWN;
  s->details = grpc_empty_slice();
  grpc_op ops[6];
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = s->send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->md0;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &s->recv;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &s->md1;
  ops[5].data.recv_status_on_client.status = &s->status;
  ops[5].data.recv_status_on_client.status_details = &s->details;
  s->t0 = bench_now_ns();
  grpc_call_error err = grpc_call_start_batch(s->call, ops, 6, s, NULL);
  if (err != GRPC_CALL_OK) {
    bench_fail(w, GRPC_STATUS_INTERNAL, s->count, "grpc_call_start_batch: error %d",
               (int)err);
    grpc_call_unref(s->call);
    s->call = NULL;
    grpc_byte_buffer_destroy(s->send);
    s->send = NULL;
    return 0;
  }
  return 1;
}

/* A call completed: record it, check it, release it. */
static void bench_complete(bench_worker *w, bench_slot *s, int success, uint64_t now) {
  bench_run *r = w->run;
  if (!success) {
    bench_fail(w, GRPC_STATUS_INTERNAL, s->count, "the call's batch failed");
  } else if (s->status != GRPC_STATUS_OK) {
    bench_fail(w, (int)s->status, s->count, "status %d: %.*s", (int)s->status,
               (int)GRPC_SLICE_LENGTH(s->details),
               (const char *)GRPC_SLICE_START_PTR(s->details));
  } else if (s->recv == NULL) {
    bench_fail(w, GRPC_STATUS_INTERNAL, s->count, "status OK without a message");
  } else {
    grpc_byte_buffer_reader rd;
    grpc_byte_buffer_reader_init(&rd, s->recv);
    grpc_slice msg = grpc_byte_buffer_reader_readall(&rd);
    grpc_byte_buffer_reader_destroy(&rd);
    uint64_t before = w->items;
    r->ops->check(r, w, s, GRPC_SLICE_START_PTR(msg), GRPC_SLICE_LENGTH(msg));
    grpc_slice_unref(msg);
    pl_arena_reset(w->arena);
    if (w->items > before) {
      w->calls++;
      if (w->nlat == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 65536;
        uint64_t *p = realloc(w->lat, cap * sizeof(*p));
        if (p != NULL) {
          w->lat = p;
          w->cap = cap;
        }
      }
      if (w->nlat < w->cap)
        w->lat[w->nlat++] = now - s->t0;
    }
  }
  w->last_ns = now;
  grpc_slice_unref(s->details);
  grpc_metadata_array_destroy(&s->md0);
  grpc_metadata_array_destroy(&s->md1);
  grpc_metadata_array_init(&s->md0);
  grpc_metadata_array_init(&s->md1);
  grpc_byte_buffer_destroy(s->send);
  s->send = NULL;
  if (s->recv != NULL)
    grpc_byte_buffer_destroy(s->recv);
  s->recv = NULL;
  grpc_call_unref(s->call);
  s->call = NULL;
}

static void *bench_worker_main(void *arg) {
  bench_worker *w = arg;
  bench_run *r = w->run;
  size_t active = 0;
  for (size_t i = 0; i < w->nslots; i++)
    active += (size_t)bench_start(w, &w->slots[i]);
  while (active > 0) {
    grpc_event ev = grpc_completion_queue_next(
        w->cq, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(200, GPR_TIMESPAN)),
        NULL);
    if (ev.type != GRPC_OP_COMPLETE)
      continue;
    bench_slot *s = ev.tag;
    uint64_t now = bench_now_ns();
    bench_complete(w, s, ev.success, now);
    if (now >= r->end_ns || !bench_start(w, s))
      active--;
  }
  return NULL;
}

static int bench_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Runs `r` with `inflight` calls spread over the sender threads until
 * `secs` have passed (secs <= 0: until the work is used up), then waits for
 * the calls in flight. Results go to *res (counts are added to it). */
static void bench_run_go(bench_run *r, int inflight, double secs, bench_result *res) {
  bench *b = r->b;
  int nt = b->o.threads;
  if (nt > inflight)
    nt = inflight;
  r->nworkers = nt;
  r->start_ns = bench_now_ns();
  r->end_ns = secs > 0 ? r->start_ns + (uint64_t)(secs * 1e9) : UINT64_MAX;
  for (int t = 0; t < nt; t++) {
    bench_worker *w = &r->w[t];
    memset(w, 0, sizeof(*w));
    w->run = r;
    w->chan = &b->chan[t % b->o.channels];
    w->cq = grpc_completion_queue_create_for_next(NULL);
    w->nslots = (size_t)(inflight * (t + 1) / nt - inflight * t / nt);
    w->slots = calloc(w->nslots, sizeof(bench_slot));
    w->arena = pl_arena_new(0);
    if (w->slots == NULL || w->arena == NULL) {
      bench_note("out of memory");
      exit(1);
    }
    randombytes_buf(&w->rng, sizeof(w->rng));
    for (size_t i = 0; i < w->nslots; i++) {
      w->slots[i].w = w;
      grpc_metadata_array_init(&w->slots[i].md0);
      grpc_metadata_array_init(&w->slots[i].md1);
    }
  }
  for (int t = 0; t < nt; t++)
    if (pthread_create(&r->w[t].thread, NULL, bench_worker_main, &r->w[t]) != 0) {
      bench_note("cannot start a sender thread");
      exit(1);
    }
  size_t nlat = 0;
  uint64_t last = r->start_ns;
  for (int t = 0; t < nt; t++) {
    pthread_join(r->w[t].thread, NULL);
    nlat += r->w[t].nlat;
  }
  uint64_t *lat = malloc((nlat ? nlat : 1) * sizeof(*lat));
  size_t k = 0;
  for (int t = 0; t < nt; t++) {
    bench_worker *w = &r->w[t];
    if (lat != NULL)
      memcpy(lat + k, w->lat, w->nlat * sizeof(*lat));
    k += w->nlat;
    if (w->last_ns > last)
      last = w->last_ns;
    res->calls += w->calls;
    res->items += w->items;
    res->errors += w->errors;
    res->checked += w->checked;
    for (int c = 0; c < 17; c++)
      res->codes[c] += w->codes[c];
    if (res->first_error[0] == '\0' && w->first_error[0] != '\0')
      snprintf(res->first_error, sizeof(res->first_error), "%s", w->first_error);
    for (size_t i = 0; i < w->nslots; i++) {
      grpc_metadata_array_destroy(&w->slots[i].md0);
      grpc_metadata_array_destroy(&w->slots[i].md1);
    }
    free(w->slots);
    free(w->lat);
    pl_arena_free(w->arena);
    grpc_completion_queue_shutdown(w->cq);
    while (grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
      ;
    grpc_completion_queue_destroy(w->cq);
  }
  res->secs += (double)(last - r->start_ns) / 1e9;
  if (lat != NULL && nlat > 0) {
    qsort(lat, nlat, sizeof(*lat), bench_cmp_u64);
    res->p50 = (double)lat[(nlat - 1) / 2] / 1e6;
    res->p99 = (double)lat[(size_t)((double)(nlat - 1) * 0.99)] / 1e6;
    res->max = (double)lat[nlat - 1] / 1e6;
  }
  free(lat);
}

/* ---- write workloads --------------------------------------------------- */

static int bench_next_write(bench_run *r, bench_worker *w, bench_slot *s) {
  (void)w;
  size_t i = atomic_fetch_add(&r->pos, r->batch);
  if (i >= r->pool->n)
    return 0;
  size_t n = r->pool->n - i < r->batch ? r->pool->n - i : r->batch;
  const uint8_t *p = r->pool->buf + r->pool->off[i];
  grpc_slice sl = grpc_slice_from_static_buffer(p, r->pool->off[i + n] - r->pool->off[i]);
  s->send = grpc_raw_byte_buffer_create(&sl, 1);
  s->arg = i;
  s->count = n;
  return 1;
}

/* An index the log gave one of our entries: new, and never given twice. */
static int bench_claim(bench_run *r, bench_worker *w, uint64_t index) {
  if (index < r->base || index - r->base >= r->pool->n) {
    bench_fail(w, GRPC_STATUS_INTERNAL, 1, "index %" PRIu64 " is outside [%" PRIu64
               ", %" PRIu64 ")", index, r->base, r->base + r->pool->n);
    return -1;
  }
  if (atomic_exchange(&r->seen[index - r->base], 1) != 0) {
    bench_fail(w, GRPC_STATUS_INTERNAL, 1, "index %" PRIu64 " was given twice", index);
    return -1;
  }
  return 0;
}

static void bench_check_append(bench_run *r, bench_worker *w, bench_slot *s,
                               const uint8_t *p, size_t n) {
  Partsledger__V1__AppendResponse *m = partsledger__v1__append_response__unpack(
      pl_arena_allocator(w->arena), n, p);
  if (m == NULL) {
    bench_fail(w, GRPC_STATUS_INTERNAL, 1, "cannot decode an AppendResponse");
    return;
  }
  (void)s;
  if (m->duplicate) {
    bench_fail(w, GRPC_STATUS_ALREADY_EXISTS, 1, "index %" PRIu64 " came back as a duplicate",
               m->index);
    return;
  }
  if (m->tree_size <= m->index || m->leaf_hash.len != PL_HASH_BYTES ||
      m->checkpoint == NULL || m->checkpoint[0] == '\0') {
    bench_fail(w, GRPC_STATUS_INTERNAL, 1, "AppendResponse for %" PRIu64 " is incomplete",
               m->index);
    return;
  }
  if (bench_claim(r, w, m->index) == 0)
    w->items++;
}

static void bench_check_batch(bench_run *r, bench_worker *w, bench_slot *s,
                              const uint8_t *p, size_t n) {
  Partsledger__V1__AppendBatchResponse *m = partsledger__v1__append_batch_response__unpack(
      pl_arena_allocator(w->arena), n, p);
  if (m == NULL) {
    bench_fail(w, GRPC_STATUS_INTERNAL, s->count, "cannot decode an AppendBatchResponse");
    return;
  }
  if (m->n_results != s->count) {
    bench_fail(w, GRPC_STATUS_INTERNAL, s->count, "%zu results for %zu entries",
               m->n_results, s->count);
    return;
  }
  for (size_t i = 0; i < m->n_results; i++) {
    const Partsledger__V1__AppendResult *x = m->results[i];
    if (x->code != 0)
      bench_fail(w, x->code, 1, "entry %zu of a batch: status %d: %s", i, (int)x->code,
                 x->message ? x->message : "");
    else if (x->duplicate)
      bench_fail(w, GRPC_STATUS_ALREADY_EXISTS, 1, "index %" PRIu64 " came back as a duplicate",
                 x->index);
    else if (x->index >= m->tree_size)
      bench_fail(w, GRPC_STATUS_INTERNAL, 1, "index %" PRIu64 " beyond tree size %" PRIu64,
                 x->index, m->tree_size);
    else if (bench_claim(r, w, x->index) == 0)
      w->items++;
  }
}

static const bench_ops bench_ops_append = {bench_next_write, bench_check_append};
static const bench_ops bench_ops_batch = {bench_next_write, bench_check_batch};

/* ---- read workloads ---------------------------------------------------- */

static int bench_next_read(bench_run *r, bench_worker *w, bench_slot *s) {
  uint64_t index = bench_rand(&w->rng) % r->size;
  /* GetEntryRequest and GetInclusionProofRequest: field 1 = index (and
   * tree_size 0, the current size, left out). */
  size_t n = 0;
  s->req[n++] = 0x08;
  n += bench_put_varint(s->req + n, index);
  grpc_slice sl = grpc_slice_from_static_buffer(s->req, n);
  s->send = grpc_raw_byte_buffer_create(&sl, 1);
  s->arg = index;
  s->count = 1;
  return 1;
}

static void bench_check_get(bench_run *r, bench_worker *w, bench_slot *s,
                            const uint8_t *p, size_t n) {
  (void)r;
  Partsledger__V1__EntryResponse *m =
      partsledger__v1__entry_response__unpack(pl_arena_allocator(w->arena), n, p);
  if (m == NULL) {
    bench_fail(w, GRPC_STATUS_INTERNAL, 1, "cannot decode an EntryResponse");
    return;
  }
  if (m->index != s->arg || m->leaf.len == 0 || m->leaf_hash.len != PL_HASH_BYTES) {
    bench_fail(w, GRPC_STATUS_INTERNAL, 1, "GetEntry(%" PRIu64 ") answered index %" PRIu64
               " with %zu leaf bytes", s->arg, m->index, m->leaf.len);
    return;
  }
  if (++w->seq % BENCH_SAMPLE == 0) {
    /* In depth: the leaf hashes to leaf_hash and is the leaf asked for. */
    uint8_t h[PL_HASH_BYTES];
    pl_merkle_leaf_hash(m->leaf.data, m->leaf.len, h);
    Partsledger__V1__Leaf *leaf = partsledger__v1__leaf__unpack(
        pl_arena_allocator(w->arena), m->leaf.len, m->leaf.data);
    if (memcmp(h, m->leaf_hash.data, PL_HASH_BYTES) != 0 || leaf == NULL ||
        leaf->index != s->arg || leaf->signed_entry == NULL) {
      bench_fail(w, GRPC_STATUS_DATA_LOSS, 1, "leaf %" PRIu64 " does not match its hash or index",
                 s->arg);
      return;
    }
    w->checked++;
  }
  w->items++;
}

static void bench_check_proof(bench_run *r, bench_worker *w, bench_slot *s,
                              const uint8_t *p, size_t n) {
  Partsledger__V1__GetInclusionProofResponse *m =
      partsledger__v1__get_inclusion_proof_response__unpack(pl_arena_allocator(w->arena), n, p);
  if (m == NULL) {
    bench_fail(w, GRPC_STATUS_INTERNAL, 1, "cannot decode a GetInclusionProofResponse");
    return;
  }
  if (m->index != s->arg || m->tree_size != r->size || m->leaf_hash.len != PL_HASH_BYTES ||
      m->n_hashes > PL_MERKLE_MAX_PROOF) {
    bench_fail(w, GRPC_STATUS_INTERNAL, 1, "GetInclusionProof(%" PRIu64 ") answered index %"
               PRIu64 " in size %" PRIu64 " (expected %" PRIu64 ")", s->arg, m->index,
               m->tree_size, r->size);
    return;
  }
  if (++w->seq % BENCH_SAMPLE == 0) {
    /* In depth: the proof leads from the leaf hash to the root of the
     * checkpoint read before the phase. */
    pl_hash proof[PL_MERKLE_MAX_PROOF];
    for (size_t i = 0; i < m->n_hashes; i++) {
      if (m->hashes[i].len != PL_HASH_BYTES) {
        bench_fail(w, GRPC_STATUS_INTERNAL, 1, "proof hash of %zu bytes", m->hashes[i].len);
        return;
      }
      memcpy(proof[i], m->hashes[i].data, PL_HASH_BYTES);
    }
    if (pl_merkle_verify_inclusion(m->index, m->tree_size, m->leaf_hash.data, proof,
                                   m->n_hashes, r->root) != 0) {
      bench_fail(w, GRPC_STATUS_DATA_LOSS, 1, "inclusion proof of %" PRIu64 " does not verify",
                 m->index);
      return;
    }
    w->checked++;
  }
  w->items++;
}

static const bench_ops bench_ops_get = {bench_next_read, bench_check_get};
static const bench_ops bench_ops_proof = {bench_next_read, bench_check_proof};

/* ---- phases ------------------------------------------------------------ */

static void bench_phase_verify(bench *b, bench_result *res) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  unsigned char msg[BENCH_VERIFY_MSG], sig[crypto_sign_BYTES];
  crypto_sign_keypair(pk, sk);
  randombytes_buf(msg, sizeof(msg));
  crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
  sodium_memzero(sk, sizeof(sk));
  bench_mark mk;
  bench_mark_take(b, &mk, 0);
  uint64_t t0 = bench_now_ns(), t, n = 0;
  do {
    for (int i = 0; i < 256; i++) {
      if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0) {
        res->errors++;
        snprintf(res->first_error, sizeof(res->first_error), "a valid signature failed");
      }
      n++;
    }
    t = bench_now_ns();
  } while (t - t0 < 2000000000u);
  res->secs = (double)(t - t0) / 1e9;
  res->items = res->calls = n;
  res->verify_rate = (double)n / res->secs;
  bench_mark_diff(b, &mk, res);
  res->ran = 1;
}

/* Mean microseconds of `rounds` of (write `pages` pages, fdatasync):
 * contiguous from a random page, or scattered (distinct, in ascending order,
 * as LMDB writes a commit's dirty pages). -1 on an I/O error. */
static double bench_disk_round(int fd, uint8_t *buf, int pages, int contiguous,
                               int rounds) {
  uint64_t t0 = bench_now_ns();
  for (int r = 0; r < rounds; r++) {
    if (contiguous) {
      off_t at = (off_t)(randombytes_uniform(BENCH_DISK_PAGES - pages + 1)) * BENCH_DISK_PAGE;
      if (pwrite(fd, buf, (size_t)pages * BENCH_DISK_PAGE, at) != pages * BENCH_DISK_PAGE) {
        errno = errno ? errno : EIO; /* a short write sets none */
        return -1;
      }
    } else {
      /* Every (BENCH_DISK_PAGES / pages)-th page, from a random first one:
       * distinct, ascending, and never two adjacent. */
      uint32_t stride = BENCH_DISK_PAGES / (uint32_t)pages;
      uint32_t first = randombytes_uniform(stride - 1);
      for (int i = 0; i < pages; i++)
        if (pwrite(fd, buf, BENCH_DISK_PAGE,
                   (off_t)(first + (uint32_t)i * stride) * BENCH_DISK_PAGE) != BENCH_DISK_PAGE) {
          errno = errno ? errno : EIO;
          return -1;
        }
    }
    if (fdatasync(fd) != 0)
      return -1;
  }
  return (double)(bench_now_ns() - t0) / 1e3 / rounds;
}

static void bench_phase_disk(bench *b, bench_result *res) {
  const char *dir = b->o.disk_dir;
  char path[4096];
  snprintf(path, sizeof(path), "%s/partsledger-bench-disk.XXXXXX", dir);
  int fd = mkstemp(path);
  uint8_t *buf = malloc((size_t)BENCH_DISK_RUN * BENCH_DISK_PAGE);
  if (fd < 0 || buf == NULL) {
    res->errors++;
    snprintf(res->first_error, sizeof(res->first_error), "cannot make a file in %s: %s",
             dir, strerror(errno));
    if (fd >= 0)
      close(fd);
    free(buf);
    return;
  }
  unlink(path); /* gone when closed, whatever happens */
  struct statfs fs;
  if (fstatfs(fd, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
    bench_note("disk: %s is tmpfs, where fdatasync costs nothing: give the server's "
               "data disk with --disk-dir", dir);
  randombytes_buf(buf, (size_t)BENCH_DISK_RUN * BENCH_DISK_PAGE);
  /* The pages exist before they are timed, as a reused LMDB page does. */
  int ok = 1;
  errno = 0;
  for (int i = 0; ok && i < BENCH_DISK_PAGES; i += BENCH_DISK_RUN)
    ok = pwrite(fd, buf, (size_t)BENCH_DISK_RUN * BENCH_DISK_PAGE,
                (off_t)i * BENCH_DISK_PAGE) == BENCH_DISK_RUN * BENCH_DISK_PAGE;
  ok = ok && fsync(fd) == 0;
  bench_mark mk;
  bench_mark_take(b, &mk, 0);
  uint64_t t0 = bench_now_ns();
  /* Interleaved, so that a change in the machine's load touches all three. */
  double one = 0, scattered = 0, contig = 0;
  int rounds = 0;
  while (ok && (rounds < 3 || bench_now_ns() - t0 < 2000000000u)) {
    double a = bench_disk_round(fd, buf, 1, 0, 8),
           s = bench_disk_round(fd, buf, BENCH_DISK_RUN, 0, 2),
           c = bench_disk_round(fd, buf, BENCH_DISK_RUN, 1, 2);
    ok = a >= 0 && s >= 0 && c >= 0;
    one += a;
    scattered += s;
    contig += c;
    rounds++;
  }
  res->secs = (double)(bench_now_ns() - t0) / 1e9;
  bench_mark_diff(b, &mk, res);
  close(fd);
  free(buf);
  if (!ok) {
    res->errors++;
    snprintf(res->first_error, sizeof(res->first_error), "writing or syncing in %s: %s", dir,
             strerror(errno));
    return;
  }
  res->calls = res->items = (uint64_t)rounds * 12;
  res->disk_sync_us = one / rounds;
  res->disk_scattered_us = (scattered / rounds - res->disk_sync_us) / (BENCH_DISK_RUN - 1);
  res->disk_contig_us = (contig / rounds - res->disk_sync_us) / (BENCH_DISK_RUN - 1);
  res->ran = 1;
}

/* Signs a pool, runs it, checks the indices. The log size is read right
 * before, so every index must be new. */
static int bench_write(bench *b, const bench_ops *ops, int method, size_t batch,
                       int inflight, size_t n, double secs, bench_result *res, int measure) {
  bench_pool pool;
  if (bench_pool_make(b, n, &pool, &res->sign_secs) != 0) {
    bench_note("cannot sign %zu entries", n);
    return -1;
  }
  bench_run *r = calloc(1, sizeof(*r));
  atomic_uchar *seen = calloc(n ? n : 1, 1);
  if (r == NULL || seen == NULL) {
    free(r);
    free(seen);
    bench_pool_free(&pool);
    return -1;
  }
  r->b = b;
  r->ops = ops;
  r->method = method;
  r->pool = &pool;
  r->batch = batch;
  r->seen = seen;
  atomic_init(&r->pos, 0);
  int rc = bench_head(b, &r->base, NULL);
  if (rc == 0) {
    if (!res->size_before)
      res->size_before = r->base;
    bench_mark mk;
    if (measure)
      bench_mark_take(b, &mk, 1);
    bench_run_go(r, inflight, secs, res);
    if (measure)
      bench_mark_diff(b, &mk, res);
    if (atomic_load(&r->pos) >= pool.n)
      res->ran_out = 1;
  }
  free(seen);
  free(r);
  bench_pool_free(&pool);
  return rc;
}

/* append and batch: a one-second warm-up tells how many entries the phase
 * needs; they are signed, then the phase runs for --duration. */
static void bench_phase_write(bench *b, int ph, bench_result *res) {
  int unary = ph == PH_APPEND;
  const bench_ops *ops = unary ? &bench_ops_append : &bench_ops_batch;
  int method = unary ? M_APPEND : M_BATCH;
  size_t batch = unary ? 1 : (size_t)b->o.batch;
  int inflight = unary ? b->o.inflight : b->o.batch_inflight;

  bench_result warm;
  memset(&warm, 0, sizeof(warm));
  size_t wn = unary ? 30000 : 50000;
  if (wn < batch * (size_t)inflight * 4)
    wn = batch * (size_t)inflight * 4;
  bench_note("%s: warming up (%zu entries)", bench_phase_names[ph], wn);
  if (bench_write(b, ops, method, batch, inflight, wn, 1.0, &warm, 0) != 0) {
    res->errors++;
    snprintf(res->first_error, sizeof(res->first_error), "warm-up could not run");
    res->ran = 1;
    return;
  }
  double rate = warm.secs > 0 ? (double)warm.items / warm.secs : 0;
  double want = rate * b->o.duration * 2.0 + (double)(batch * (size_t)inflight * 2);
  if (warm.errors > 0 || want < 1000)
    want = 1000;
  if (want > BENCH_MAX_POOL)
    want = BENCH_MAX_POOL;
  bench_note("%s: warm-up %.0f entries/s, %" PRIu64 " errors%s%s; signing %.0f entries",
             bench_phase_names[ph], rate, warm.errors, warm.errors ? ": " : "",
             warm.first_error, want);
  if (warm.errors > 0) {
    res->errors += warm.errors;
    for (int c = 0; c < 17; c++)
      res->codes[c] += warm.codes[c];
    snprintf(res->first_error, sizeof(res->first_error), "warm-up: %.200s", warm.first_error);
  }
  if (bench_write(b, ops, method, batch, inflight, (size_t)want, b->o.duration, res, 1) != 0) {
    res->errors++;
    if (res->first_error[0] == '\0')
      snprintf(res->first_error, sizeof(res->first_error), "phase could not run");
  }
  bench_head(b, &res->size_after, NULL);
  res->ran = 1;
}

/* fill: AppendBatch until the log holds --fill entries, signing a chunk at a
 * time so that memory stays bounded; only the sending is timed. */
static void bench_phase_fill(bench *b, bench_result *res) {
  uint64_t size;
  res->ran = 1;
  if (bench_head(b, &size, NULL) != 0) {
    res->errors++;
    snprintf(res->first_error, sizeof(res->first_error), "GetCheckpoint failed");
    return;
  }
  res->size_before = res->size_after = size;
  if (size >= b->o.fill) {
    res->skipped = 1;
    bench_note("fill: the log already holds %" PRIu64 " entries", size);
    return;
  }
  bench_mark mk;
  bench_mark_take(b, &mk, 0);
  double busy = 0;
  while (size < b->o.fill && res->errors == 0) {
    uint64_t left = b->o.fill - size;
    size_t chunk = left < BENCH_FILL_CHUNK ? (size_t)left : BENCH_FILL_CHUNK;
    bench_note("fill: %" PRIu64 " of %" PRIu64 " entries; signing and sending %zu", size,
               b->o.fill, chunk);
    double before = res->secs;
    if (bench_write(b, &bench_ops_batch, M_BATCH, (size_t)b->o.batch,
                    b->o.batch_inflight, chunk, 0, res, 0) != 0 ||
        bench_head(b, &size, NULL) != 0) {
      res->errors++;
      snprintf(res->first_error, sizeof(res->first_error), "fill step could not run");
      break;
    }
    busy += res->secs - before;
  }
  res->size_after = size;
  bench_result cpu;
  memset(&cpu, 0, sizeof(cpu));
  bench_mark_diff(b, &mk, &cpu); /* over signing and sending: only indicative */
  res->client_cpu = cpu.client_cpu;
  res->server_cpu = cpu.server_cpu;
  res->machine_cpu = cpu.machine_cpu;
  res->steal = cpu.steal;
  res->server_top = cpu.server_top;
  memcpy(res->server_top_name, cpu.server_top_name, sizeof(res->server_top_name));
  res->secs = busy;
}

static void bench_phase_read(bench *b, int ph, bench_result *res) {
  bench_run *r = calloc(1, sizeof(*r));
  res->ran = 1;
  if (r == NULL || bench_head(b, &r->size, r->root) != 0 || r->size == 0) {
    res->errors++;
    snprintf(res->first_error, sizeof(res->first_error), "no log to read");
    free(r);
    return;
  }
  r->b = b;
  r->ops = ph == PH_GET ? &bench_ops_get : &bench_ops_proof;
  r->method = ph == PH_GET ? M_GET : M_PROOF;
  res->size_before = res->size_after = r->size;
  /* A short warm-up pulls the pages the phase will touch into the cache
   * about as much as a running server would have them. */
  bench_result warm;
  memset(&warm, 0, sizeof(warm));
  bench_run_go(r, b->o.inflight, 1.0, &warm);
  if (warm.errors > 0) {
    res->errors += warm.errors;
    snprintf(res->first_error, sizeof(res->first_error), "warm-up: %.200s", warm.first_error);
  }
  bench_mark mk;
  bench_mark_take(b, &mk, 1);
  bench_run_go(r, b->o.inflight, b->o.duration, res);
  bench_mark_diff(b, &mk, res);
  free(r);
}

/* ---- report ------------------------------------------------------------ */

static double bench_rate(const bench_result *r) {
  return r->secs > 0 ? (double)r->items / r->secs : 0;
}

/* Server threads worth a line: ours, and gRPC's own when they work. */
static int bench_group_shown(const bench_group *g) {
  return strncmp(g->name, "pl-", 3) == 0 || (1.0 - g->idle / g->threads) >= 0.05;
}

static void bench_report_groups(const bench_result *r) {
  int any = 0;
  for (int g = 0; g < r->ngroups; g++)
    any |= bench_group_shown(&r->groups[g]);
  if (!any)
    return;
  printf("  server threads, share of the phase each: on a core / waiting for one / "
         "for the disk / idle\n");
  for (int g = 0; g < r->ngroups; g++) {
    const bench_group *gr = &r->groups[g];
    if (!bench_group_shown(gr))
      continue;
    char name[40];
    if (gr->threads > 1)
      snprintf(name, sizeof(name), "%s x%d", gr->name, gr->threads);
    else
      snprintf(name, sizeof(name), "%s", gr->name);
    double n = gr->threads;
    printf("    %-18s %3.0f%% %3.0f%% %3.0f%% %3.0f%%\n", name, 100 * gr->cpu / n,
           100 * gr->queued / n, 100 * gr->disk / n, 100 * gr->idle / n);
  }
}

static void bench_report_text(const bench *b) {
  const bench_result *v = &b->res[PH_VERIFY];
  double ceiling = v->ran ? v->verify_rate * (double)b->cores : 0;
  printf("\npartsledger-bench against %s (%ld cores online, %s client stack)\n",
         b->o.server, b->cores, b->o.full_stack ? "full" : "minimal");
  for (int ph = 0; ph < PH_COUNT; ph++) {
    const bench_result *r = &b->res[ph];
    if (!r->ran)
      continue;
    printf("\n%s\n", bench_phase_names[ph]);
    if (ph == PH_VERIFY) {
      printf("  Ed25519 verify, %d-byte messages, one core: %.0f/s (%.1f us each)\n",
             BENCH_VERIFY_MSG, v->verify_rate, 1e6 / v->verify_rate);
      printf("  ceiling for signed appends: %ld cores x %.0f = %.0f/s\n", b->cores,
             v->verify_rate, ceiling);
    } else if (ph == PH_DISK) {
      printf("  in %s: fdatasync after writing 1 page %.0f us; each further page\n"
             "  adds %.1f us when scattered (as a commit's pages are), %.1f us when "
             "contiguous\n",
             b->o.disk_dir, r->disk_sync_us, r->disk_scattered_us, r->disk_contig_us);
      continue;
    } else if (r->skipped) {
      printf("  skipped: the log already holds %" PRIu64 " entries\n", r->size_before);
    } else {
      const char *unit = ph == PH_GET || ph == PH_PROOF ? "calls" : "entries";
      if (ph == PH_BATCH || ph == PH_FILL)
        printf("  %.0f %s/s over %.2f s (%" PRIu64 " %s in %" PRIu64 " calls)\n",
               bench_rate(r), unit, r->secs, r->items, unit, r->calls);
      else
        printf("  %.0f %s/s over %.2f s (%" PRIu64 " %s)\n", bench_rate(r), unit, r->secs,
               r->items, unit);
      if (r->ran_out && ph != PH_FILL)
        printf("  (the signed entries ran out before the duration ended)\n");
      if (ph != PH_FILL)
        printf("  latency per call: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r->p50,
               r->p99, r->max);
      if ((ph == PH_APPEND || ph == PH_BATCH || ph == PH_FILL) && ceiling > 0)
        printf("  %.0f%% of the verification ceiling (%.0f/s)\n",
               100.0 * bench_rate(r) / ceiling, ceiling);
      if (ph == PH_APPEND || ph == PH_BATCH || ph == PH_FILL)
        printf("  log %" PRIu64 " -> %" PRIu64 " entries; signing beforehand took %.1f s\n",
               r->size_before, r->size_after, r->sign_secs);
      else
        printf("  log of %" PRIu64 " entries; %" PRIu64 " responses verified in depth\n",
               r->size_before, r->checked);
    }
    printf("  CPU: bench %.2f cores", r->client_cpu);
    if (b->o.server_pid > 0 && ph != PH_VERIFY)
      printf(", server %.2f cores (busiest thread %s at %.0f%%)", r->server_cpu,
             r->server_top_name, 100.0 * r->server_top);
    if (b->o.server_pid > 0)
      printf(", other processes %.2f cores",
             r->machine_cpu - r->client_cpu - r->server_cpu);
    else
      printf(", whole machine %.2f cores", r->machine_cpu);
    if (r->steal >= 0.01)
      printf(", steal %.2f cores", r->steal);
    printf("\n");
    if (ph != PH_VERIFY && ph != PH_FILL && r->items > 0 && r->secs > 0) {
      double per = r->secs / (double)r->items * 1e6;
      printf("  CPU per %s: bench %.1f us", ph == PH_BATCH ? "entry" : "call",
             r->client_cpu * per);
      if (b->o.server_pid > 0)
        printf(", server %.1f us", r->server_cpu * per);
      printf("\n");
    }
    bench_report_groups(r);
    if (r->mem.ok)
      printf("  server memory: RSS %.1f MB, of which data.mdb %.1f MB: private %.1f MB "
             "(anon %.1f MB, peak RSS %.1f MB)\n",
             r->mem.rss / 1024.0, r->mem.lmdb / 1024.0, r->mem.priv / 1024.0,
             r->mem.anon / 1024.0, r->mem.hwm / 1024.0);
    if (r->errors > 0) {
      printf("  ERRORS: %" PRIu64 " (", r->errors);
      for (int c = 0, first = 1; c < 17; c++)
        if (r->codes[c] > 0) {
          printf("%sstatus %d: %" PRIu64, first ? "" : ", ", c, r->codes[c]);
          first = 0;
        }
      printf("); first: %s\n", r->first_error);
    } else {
      printf("  errors: 0\n");
    }
  }
}

static void bench_json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      printf("\\%c", ch);
    else if (ch < 0x20)
      printf("\\u%04x", ch);
    else
      putchar(ch);
  }
  putchar('"');
}

static void bench_report_json(const bench *b) {
  const bench_result *v = &b->res[PH_VERIFY];
  double ceiling = v->ran ? v->verify_rate * (double)b->cores : 0;
  printf("{\"server\":");
  bench_json_str(b->o.server);
  printf(",\"cores\":%ld,\"duration\":%.1f,\"inflight\":%d,\"batch\":%d,"
         "\"batch_inflight\":%d,\"threads\":%d,\"client_stack\":\"%s\","
         "\"ceiling\":%.0f,\"phases\":{",
         b->cores, b->o.duration, b->o.inflight, b->o.batch, b->o.batch_inflight,
         b->o.threads, b->o.full_stack ? "full" : "minimal", ceiling);
  int first = 1;
  for (int ph = 0; ph < PH_COUNT; ph++) {
    const bench_result *r = &b->res[ph];
    if (!r->ran)
      continue;
    printf("%s\"%s\":{", first ? "" : ",", bench_phase_names[ph]);
    first = 0;
    if (ph == PH_VERIFY)
      printf("\"per_core\":%.0f,", r->verify_rate);
    if (ph == PH_DISK)
      printf("\"sync_us\":%.1f,\"scattered_page_us\":%.2f,\"contiguous_page_us\":%.2f,",
             r->disk_sync_us, r->disk_scattered_us, r->disk_contig_us);
    printf("\"skipped\":%s,\"secs\":%.3f,\"calls\":%" PRIu64 ",\"items\":%" PRIu64
           ",\"rate\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,",
           r->skipped ? "true" : "false", r->secs, r->calls, r->items, bench_rate(r), r->p50,
           r->p99, r->max);
    if ((ph == PH_APPEND || ph == PH_BATCH || ph == PH_FILL) && ceiling > 0)
      printf("\"ratio\":%.3f,", bench_rate(r) / ceiling);
    printf("\"size_before\":%" PRIu64 ",\"size_after\":%" PRIu64 ",\"checked\":%" PRIu64
           ",\"ran_out\":%s,\"sign_secs\":%.2f,\"client_cpu\":%.2f,\"server_cpu\":%.2f,"
           "\"server_top_thread\":%.2f,\"machine_cpu\":%.2f,\"steal\":%.2f,",
           r->size_before, r->size_after, r->checked, r->ran_out ? "true" : "false",
           r->sign_secs, r->client_cpu, r->server_cpu, r->server_top, r->machine_cpu, r->steal);
    printf("\"server_threads\":[");
    for (int g = 0; g < r->ngroups; g++) {
      const bench_group *gr = &r->groups[g];
      double n = gr->threads;
      printf("%s{\"name\":", g ? "," : "");
      bench_json_str(gr->name);
      printf(",\"threads\":%d,\"cpu\":%.3f,\"queued\":%.3f,\"disk\":%.3f,"
             "\"idle\":%.3f}",
             gr->threads, gr->cpu / n, gr->queued / n, gr->disk / n, gr->idle / n);
    }
    printf("],");
    if (r->mem.ok)
      printf("\"server_mem_kb\":{\"rss\":%ld,\"lmdb\":%ld,\"private\":%ld,\"anon\":%ld,"
             "\"peak_rss\":%ld},",
             r->mem.rss, r->mem.lmdb, r->mem.priv, r->mem.anon, r->mem.hwm);
    printf("\"errors\":%" PRIu64 ",\"first_error\":", r->errors);
    bench_json_str(r->first_error);
    printf("}");
  }
  printf("}}\n");
}

/* ---- main -------------------------------------------------------------- */

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

static int bench_parse_phases(const char *list, int *phases) {
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
    if (!found) {
      fprintf(stderr, "partsledger-bench: unknown phase '%s' (verify,disk,append,batch,"
                      "fill,get,proof)\n", t);
      rc = -1;
    }
  }
  free(copy);
  return rc;
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
      {"disk-dir", required_argument, NULL, 'D'},
      {"server-pid", required_argument, NULL, 'P'},
      {"json", no_argument, NULL, 'j'},
      {"full-stack", no_argument, NULL, 'F'},
      {"print-pubkey", no_argument, NULL, 'K'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  long long v;
  int ch;
  o->duration = 10;
  o->inflight = 64;
  o->batch = 100;
  o->batch_inflight = 8;
  o->threads = 1;
  o->channels = 1;
  o->fill = 1000000;
  o->disk_dir = getenv("TMPDIR") != NULL && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  for (int ph = 0; ph < PH_COUNT; ph++)
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
    case 'i':
      if (bench_parse_int("inflight", optarg, 1, 4096, &v) != 0)
        return -1;
      o->inflight = (int)v;
      break;
    case 'b':
      if (bench_parse_int("batch", optarg, 1, 1000, &v) != 0)
        return -1;
      o->batch = (int)v;
      break;
    case 'B':
      if (bench_parse_int("batch-inflight", optarg, 1, 256, &v) != 0)
        return -1;
      o->batch_inflight = (int)v;
      break;
    case 'f':
      if (bench_parse_int("fill", optarg, 0, 1000000000, &v) != 0)
        return -1;
      o->fill = (uint64_t)v;
      break;
    case 't':
      if (bench_parse_int("threads", optarg, 1, BENCH_MAX_THREADS, &v) != 0)
        return -1;
      o->threads = (int)v;
      break;
    case 'c':
      if (bench_parse_int("channels", optarg, 1, BENCH_MAX_THREADS, &v) != 0)
        return -1;
      o->channels = (int)v;
      break;
    case 'P':
      if (bench_parse_int("server-pid", optarg, 1, 1 << 30, &v) != 0)
        return -1;
      o->server_pid = (long)v;
      break;
    case 'p':
      if (bench_parse_phases(optarg, o->phases) != 0)
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
  if ((o->phases[PH_APPEND] || o->phases[PH_BATCH] || o->phases[PH_FILL]) &&
      o->admin_key == NULL) {
    fprintf(stderr, "partsledger-bench: the write phases need --admin-key\n");
    return -1;
  }
  return 0;
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

  grpc_init();
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
  args[2].value.integer = !b->o.full_stack;
  grpc_channel_args chargs = {3, args};
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  for (int c = 0; c < b->o.channels; c++) {
    b->chan[c].ch = grpc_channel_create(b->o.server, creds, &chargs);
    for (int m = 0; m < M_COUNT; m++)
      b->chan[c].m[m] = grpc_channel_register_call(b->chan[c].ch, bench_method_paths[m],
                                                   NULL, NULL);
  }
  grpc_channel_credentials_release(creds);

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
    switch (ph) {
    case PH_VERIFY: bench_phase_verify(b, r); break;
    case PH_DISK: bench_phase_disk(b, r); break;
    case PH_APPEND:
    case PH_BATCH: bench_phase_write(b, ph, r); break;
    case PH_FILL: bench_phase_fill(b, r); break;
    default: bench_phase_read(b, ph, r); break;
    }
    r->mem = bench_server_mem(b->o.server_pid);
    if (ph == PH_VERIFY)
      bench_note("verify: %.0f/s on one core", r->verify_rate);
    else if (ph == PH_DISK && r->errors)
      bench_note("disk: %s", r->first_error);
    else if (ph == PH_DISK)
      bench_note("disk: fdatasync %.0f us, +%.1f us a scattered page, +%.1f us a "
                 "contiguous one", r->disk_sync_us, r->disk_scattered_us,
                 r->disk_contig_us);
    else
      bench_note("%s: %.0f/s, p50 %.2f ms, p99 %.2f ms, %" PRIu64 " errors%s%s",
                 bench_phase_names[ph], bench_rate(r), r->p50, r->p99, r->errors,
                 r->errors ? ": " : "", r->first_error);
    if (r->errors > 0)
      rc = 1;
  }
  if (b->o.json)
    bench_report_json(b);
  else
    bench_report_text(b);

  for (int c = 0; c < b->o.channels; c++)
    grpc_channel_destroy(b->chan[c].ch);
  grpc_shutdown();
  pl_key_free(b->admin);
  free(b);
  return rc;
}
