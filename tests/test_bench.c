/*
 * test_bench.c - partsledger-bench (PL_BENCH_BIN) against a real server:
 * the writer's commits and page writes. Runs are short (0.5 s phases):
 * these cases check that the figures exist and agree with each other, never
 * what they are.
 *
 * Every string and JSON value a case makes is pooled and freed, and the
 * server stopped, at exit: a failed CHECK returns early.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* Each write phase's commits and its writer's figures: they must be there,
 * and agree with the phase's own counts. */
PL_TEST(write_phases_count_commits) {
  CHECK(start() != NULL);
  cJSON *o = bench((long)pl_harness_pid(g_h), "append,batch", NULL);
  CHECK(o != NULL);
  const cJSON *phases = obj(o, "phases");
  static const char *const names[] = {"append", "batch"};
  for (size_t i = 0; i < 2; i++) {
    const cJSON *ph = obj(phases, names[i]);
    CHECK(ph != NULL);
    CHECK_EQ(num(ph, "errors"), 0);
    /* Every commit names a new tree size: at least one, at most one per
     * entry. */
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

/* A process without a writer thread to read: the figures it cannot have
 * are said to be missing, and the run still succeeds. */
PL_TEST(writer_io_missing_is_reported) {
  CHECK(start() != NULL);
  cJSON *o = bench((long)getpid(), "append", NULL);
  CHECK(o != NULL);
  const cJSON *ph = obj(obj(o, "phases"), "append");
  CHECK_EQ(num(ph, "errors"), 0);
  CHECK(num(ph, "commits") >= 1);
  const cJSON *io = obj(ph, "writer_io");
  CHECK(cJSON_IsFalse(obj(io, "readable")));
  CHECK(strstr(str(io, "why"), "no thread named pl-writer") != NULL);
}

PL_TEST_MAIN(PL_CASE(write_phases_count_commits), PL_CASE(writer_io_missing_is_reported))
