/*
 * test_bench.c - partsledger-bench (PL_BENCH_BIN) against a real server:
 * the verify-only limit phase, the write phases' ratio to it, and the
 * writer's commits and page writes. Runs are short (0.5 s phases): these
 * cases check that the figures exist and agree with each other, never what
 * they are.
 *
 * Every string and JSON value a case makes is pooled and freed, and the
 * server stopped, at exit: a failed CHECK returns early.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "test.h"

#ifndef PL_BENCH_BIN
#error "PL_BENCH_BIN must name the partsledger-bench binary"
#endif

#define POOL 64

static pl_harness *g_h;
static char *g_str[POOL];
static size_t g_nstr;
static cJSON *g_json[POOL];
static size_t g_njson;

static void cleanup(void) {
  pl_harness_free(g_h);
  g_h = NULL;
  for (size_t i = 0; i < g_nstr; i++)
    free(g_str[i]);
  g_nstr = 0;
  for (size_t i = 0; i < g_njson; i++)
    cJSON_Delete(g_json[i]);
  g_njson = 0;
}

static char *keep(char *s) {
  if (s != NULL && g_nstr < POOL)
    g_str[g_nstr++] = s;
  return s;
}

static pl_harness *start(void) {
  static int registered;
  if (!registered) {
    atexit(cleanup);
    registered = 1;
  }
  cleanup();
  if (pl_harness_start(NULL, &g_h) != 0)
    return NULL;
  return g_h;
}

static const cJSON *obj(const cJSON *o, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(o, name);
}

static double num(const cJSON *o, const char *name) {
  return cJSON_GetNumberValue(obj(o, name));
}

static const char *str(const cJSON *o, const char *name) {
  const char *s = cJSON_GetStringValue(obj(o, name));
  return s != NULL ? s : "";
}

/* Runs the bench against the case's server, short phases, with `pid` as
 * --server-pid and `phases`, plus `extra` arguments (NULL-terminated, may be
 * NULL); returns the parsed JSON, or NULL when it failed or printed none. */
static cJSON *bench(long pid, const char *phases, const char *const *extra) {
  char pidarg[24];
  snprintf(pidarg, sizeof(pidarg), "%ld", pid);
  const char *argv[40] = {PL_BENCH_BIN, "--server", pl_harness_target(g_h), "--admin-key",
                          pl_harness_admin_key_path(g_h), "--server-pid", pidarg,
                          "--phases", phases, "--duration", "0.5", "--inflight", "8",
                          "--batch", "20", "--batch-inflight", "2", "--json"};
  size_t n = 18;
  for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 39; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  char *out = NULL, *err = NULL;
  int code = pl_run(argv, NULL, 100000, &out, &err);
  keep(out);
  keep(err);
  if (code != 0 || out == NULL)
    return NULL;
  cJSON *j = cJSON_Parse(out);
  if (j != NULL && g_njson < POOL)
    g_json[g_njson++] = j;
  return j;
}

/* |a - b| < eps */
static int near(double a, double b, double eps) { return a - b < eps && b - a < eps; }

/* The server_threads row named `name`, or NULL. */
static const cJSON *thread_row(const cJSON *phase, const char *name) {
  const cJSON *row;
  cJSON_ArrayForEach(row, obj(phase, "server_threads")) {
    if (strcmp(str(row, "name"), name) == 0)
      return row;
  }
  return NULL;
}

/* The log's size as the server says now; -1 when it cannot be asked. */
static double log_size(void) {
  pl_client *c = NULL;
  pl_arena *a = pl_arena_new(0);
  Partsledger__V1__GetCheckpointResponse *r = NULL;
  double size = -1;
  if (a != NULL && pl_client_open(pl_harness_target(g_h), &c) == 0 &&
      pl_client_get_checkpoint(c, a, &r) == 0)
    size = (double)r->size;
  pl_client_close(c);
  pl_arena_free(a);
  return size;
}

/* Each write phase against the limit of its method, and its writer's
 * figures: they must be there, and agree with the phase's own counts. */
PL_TEST(write_phases_against_the_limit) {
  CHECK(start() != NULL);
  cJSON *o = bench((long)pl_harness_pid(g_h), "limit,append,batch", NULL);
  CHECK(o != NULL);
  const cJSON *phases = obj(o, "phases"), *limit = obj(phases, "limit");
  CHECK(limit != NULL);
  CHECK_EQ(num(limit, "errors"), 0);
  CHECK(num(limit, "port") > 0);
  static const char *const names[] = {"append", "batch"};
  for (size_t i = 0; i < 2; i++) {
    const cJSON *lim = obj(limit, names[i]), *ph = obj(phases, names[i]);
    CHECK(lim != NULL && ph != NULL);
    CHECK_EQ(num(lim, "errors"), 0);
    CHECK(num(lim, "items") > 0 && num(lim, "rate") > 0);
    /* The limit's own threads, as partsledgerd has them: one poller and
     * as many workers as the option says (CPUs by default). */
    const cJSON *workers = thread_row(lim, "lim-worker"), *poller = thread_row(lim, "lim-poller");
    CHECK(workers != NULL && poller != NULL);
    CHECK_EQ(num(workers, "threads"), num(o, "limit_workers"));
    CHECK_EQ(num(poller, "threads"), 1);
    CHECK(num(lim, "server_cpu") > 0);

    CHECK_EQ(num(ph, "errors"), 0);
    CHECK_EQ(num(ph, "limit_rate"), num(lim, "rate"));
    CHECK(near(num(ph, "limit_ratio"), num(ph, "rate") / num(lim, "rate"), 0.002));
    /* Every commit names a new tree size: at least one, at most one per
     * entry, and for unary calls at most one per call. */
    double commits = num(ph, "commits"), items = num(ph, "items");
    CHECK(commits >= 1 && commits <= items);
    CHECK(near(num(ph, "entries_per_commit"), items / commits, 0.01));
    const cJSON *io = obj(ph, "writer_io");
    CHECK(cJSON_IsTrue(obj(io, "readable")));
    CHECK(num(io, "wchar") > 0 && num(io, "syscw") >= commits);
    CHECK(near(num(io, "pages_per_entry"), num(io, "wchar") / 4096 / items, 0.001));
    CHECK(near(num(io, "write_calls_per_commit"), num(io, "syscw") / commits, 0.01));
  }
}

/* The limit phase alone never calls the server (nothing is appended to
 * it), and measures both methods. */
PL_TEST(limit_leaves_the_server_alone) {
  CHECK(start() != NULL);
  double before = log_size();
  CHECK(before >= 1);
  static const char *const one_worker[] = {"--limit-workers", "1", NULL};
  cJSON *o = bench((long)pl_harness_pid(g_h), "limit", one_worker);
  CHECK(o != NULL);
  const cJSON *limit = obj(obj(o, "phases"), "limit");
  CHECK(limit != NULL && obj(obj(o, "phases"), "append") == NULL);
  CHECK_EQ(num(limit, "errors"), 0);
  CHECK_EQ(num(limit, "workers"), 1);
  CHECK(num(obj(limit, "append"), "rate") > 0 && num(obj(limit, "batch"), "rate") > 0);
  CHECK_EQ(num(thread_row(obj(limit, "batch"), "lim-worker"), "threads"), 1);
  CHECK_EQ(log_size(), before);
}

/* A process without a writer thread to read: the figures it cannot have
 * are said to be missing, and the run still succeeds. */
PL_TEST(writer_io_missing_is_reported) {
  CHECK(start() != NULL);
  cJSON *o = bench((long)getpid(), "append", NULL);
  CHECK(o != NULL);
  const cJSON *ph = obj(obj(o, "phases"), "append");
  CHECK_EQ(num(ph, "errors"), 0);
  CHECK(num(ph, "commits") >= 1);
  CHECK(obj(ph, "limit_ratio") == NULL); /* no limit phase ran */
  const cJSON *io = obj(ph, "writer_io");
  CHECK(cJSON_IsFalse(obj(io, "readable")));
  CHECK(strstr(str(io, "why"), "no thread named pl-writer") != NULL);
}

PL_TEST_MAIN(PL_CASE(write_phases_against_the_limit), PL_CASE(limit_leaves_the_server_alone),
             PL_CASE(writer_io_missing_is_reported))
