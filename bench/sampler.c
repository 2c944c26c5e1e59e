/*
 * sampler.c - what /proc says about the server while a phase runs.
 *
 * A mark records, at one moment, this process's CPU time, the machine's
 * busy and stolen ticks (/proc/stat) and every thread of the server: its
 * name, CPU ticks and schedstat times (on a core, runnable but waiting for
 * one). The difference of two marks gives each phase's CPU figures and, per
 * thread name, where the server's threads spent it. The disk share needs a
 * sampler thread: a thread waiting for the disk (fdatasync, page reads) is
 * in state D, which /proc shows only as a letter, so that letter is read
 * every BENCH_STATE_NS while the phase runs.
 *
 * Also here: the server's memory (/proc/PID/status and smaps) and the I/O
 * counters of one of its threads (/proc/PID/task/TID/io), by name.
 *
 * Depends on Linux's /proc and nothing of partsledger but bench.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_MAX_TASKS 256
#define BENCH_STATE_NS 5000000

/* ---- memory --------------------------------------------------------------- */

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

bench_mem bench_server_mem(long pid) {
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

/* ---- threads --------------------------------------------------------------- */

/* CPU ticks of every thread of the server, to find the busiest one. */
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

static int bench_counted(const char *only, const char *comm) {
  return only == NULL || strncmp(comm, only, strlen(only)) == 0;
}

/* ---- the state sampler ------------------------------------------------------ */

/* Each thread's stat file is kept open and re-read from offset 0, so a
 * sample costs a few preads. Slots follow the tasks of the mark that started
 * it; fd is -1 where a thread's file could not be opened or is not counted. */
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
static bench_sampler *bench_sampler_start(long pid, const char *only, const bench_tasks *t) {
  if (pid <= 0 || t->n == 0)
    return NULL;
  bench_sampler *sp = calloc(1, sizeof(*sp));
  if (sp == NULL)
    return NULL;
  sp->n = t->n;
  for (int i = 0; i < t->n; i++) {
    char path[96];
    snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", pid, t->tid[i]);
    sp->fd[i] = bench_counted(only, t->comm[i]) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
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

/* ---- marks -------------------------------------------------------------------- */

struct bench_mark {
  long pid;
  const char *only;
  uint64_t t;
  double cpu;
  unsigned long long busy, steal; /* the whole machine's, in clock ticks */
  bench_tasks tasks;
  bench_sampler *states; /* NULL when not sampling */
};

static double bench_cpu_secs(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

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

static void bench_mark_fill(bench_mark *m, long pid, const char *only) {
  m->pid = pid;
  m->only = only;
  m->t = bench_now_ns();
  m->cpu = bench_cpu_secs();
  bench_machine_busy(&m->busy, &m->steal);
  bench_tasks_read(pid, &m->tasks);
  m->states = NULL;
}

bench_mark *bench_mark_take(long pid, const char *only, int states) {
  bench_mark *m = malloc(sizeof(*m));
  if (m == NULL)
    return NULL;
  bench_mark_fill(m, pid, only);
  if (states)
    m->states = bench_sampler_start(pid, only, &m->tasks);
  return m;
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

void bench_mark_diff(bench_mark *a, bench_result *r) {
  if (a == NULL)
    return;
  bench_sampler *sp = a->states;
  if (sp != NULL)
    bench_sampler_stop(sp);
  bench_mark *z = malloc(sizeof(*z));
  if (z == NULL) {
    if (sp != NULL)
      bench_sampler_free(sp);
    free(a);
    return;
  }
  bench_mark_fill(z, a->pid, a->only);
  double secs = (double)(z->t - a->t) / 1e9, hz = (double)sysconf(_SC_CLK_TCK);
  if (secs > 0) {
    r->client_cpu = (z->cpu - a->cpu) / secs;
    r->machine_cpu = (double)(z->busy - a->busy) / hz / secs;
    r->steal = (double)(z->steal - a->steal) / hz / secs;
  }
  if (secs > 0 && a->pid > 0) {
    r->server_cpu = a->only == NULL ? (double)(z->tasks.total - a->tasks.total) / hz / secs : 0;
    r->ngroups = 0;
    for (int i = 0; i < z->tasks.n; i++) {
      if (!bench_counted(a->only, z->tasks.comm[i]))
        continue;
      unsigned long long before = 0, run0 = 0, wait0 = 0;
      int j = 0;
      while (j < a->tasks.n && a->tasks.tid[j] != z->tasks.tid[i])
        j++;
      if (j < a->tasks.n) {
        before = a->tasks.ticks[j];
        run0 = a->tasks.sched[j] ? a->tasks.run_ns[j] : 0;
        wait0 = a->tasks.sched[j] ? a->tasks.wait_ns[j] : 0;
      }
      double use = (double)(z->tasks.ticks[i] - before) / hz / secs;
      if (a->only != NULL)
        r->server_cpu += use;
      if (use > r->server_top) {
        r->server_top = use;
        snprintf(r->server_top_name, sizeof(r->server_top_name), "%s/%ld",
                 z->tasks.comm[i], z->tasks.tid[i]);
      }
      /* Without schedstat the CPU share comes from the ticks, and the wait
       * for a core counts as idle. */
      double cpu = use, queued = 0;
      if (z->tasks.sched[i]) {
        cpu = (double)(z->tasks.run_ns[i] - run0) / 1e9 / secs;
        queued = (double)(z->tasks.wait_ns[i] - wait0) / 1e9 / secs;
      }
      /* Threads born during the phase were not sampled: left out. */
      if (sp != NULL && sp->samples > 0 && j < a->tasks.n && sp->fd[j] >= 0)
        bench_group_add(r, z->tasks.comm[i], cpu, queued,
                        (double)sp->disk[j] / (double)sp->samples);
    }
    /* A server inside this process: the load generator is the rest. */
    if (a->only != NULL)
      r->client_cpu -= r->server_cpu;
  }
  if (sp != NULL)
    bench_sampler_free(sp);
  free(z);
  free(a);
}

/* ---- one thread's I/O -------------------------------------------------------- */

void bench_io_read(long pid, const char *name, bench_io *io) {
  memset(io, 0, sizeof(*io));
  if (pid <= 0) {
    snprintf(io->why, sizeof(io->why), "no --server-pid to read");
    return;
  }
  bench_tasks *t = malloc(sizeof(*t));
  if (t == NULL) {
    snprintf(io->why, sizeof(io->why), "out of memory");
    return;
  }
  bench_tasks_read(pid, t);
  for (int i = 0; i < t->n && io->tid == 0; i++)
    if (strcmp(t->comm[i], name) == 0)
      io->tid = t->tid[i];
  free(t);
  if (io->tid == 0) {
    snprintf(io->why, sizeof(io->why), "no thread named %s in process %ld", name, pid);
    return;
  }
  char path[96], line[128];
  snprintf(path, sizeof(path), "/proc/%ld/task/%ld/io", pid, io->tid);
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(io->why, sizeof(io->why), "cannot read %s: %s", path, strerror(errno));
    return;
  }
  int found = 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    found += sscanf(line, "wchar: %" SCNu64, &io->wchar) == 1;
    found += sscanf(line, "syscw: %" SCNu64, &io->syscw) == 1;
    sscanf(line, "write_bytes: %" SCNu64, &io->write_bytes);
  }
  /* Reading can fail only now (EACCES comes at read, not open, for some
   * kernels' ptrace checks). */
  int err = ferror(f) ? errno : 0;
  fclose(f);
  if (found != 2) {
    snprintf(io->why, sizeof(io->why), "cannot read %s: %s", path,
             err ? strerror(err) : "no wchar and syscw in it");
    return;
  }
  io->ok = 1;
}

void bench_io_diff(const bench_io *a, const bench_io *z, bench_io *d) {
  memset(d, 0, sizeof(*d));
  d->tid = a->tid;
  if (!a->ok || !z->ok) {
    snprintf(d->why, sizeof(d->why), "%s", !a->ok ? a->why : z->why);
    return;
  }
  if (a->tid != z->tid || z->wchar < a->wchar || z->syscw < a->syscw) {
    snprintf(d->why, sizeof(d->why), "thread %ld was replaced during the phase", a->tid);
    return;
  }
  d->wchar = z->wchar - a->wchar;
  d->syscw = z->syscw - a->syscw;
  d->write_bytes = z->write_bytes >= a->write_bytes ? z->write_bytes - a->write_bytes : 0;
  d->ok = 1;
}
