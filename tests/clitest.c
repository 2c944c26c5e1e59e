/*
 * clitest.c - the CLI and bench test modules' shared case state and helpers.
 */
#include "clitest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PL_CLI_BIN
#error "PL_CLI_BIN must name the partsledger binary"
#endif

/* More than any case uses. A full pool stops pooling (the rest is freed by
 * the exit, not the next case); it never fails a case. */
#define MAX_ARGS 64
#define POOL 4096

pl_harness *g_h;
static void *g_str[POOL];
static size_t g_nstr;
static cJSON *g_json[POOL];
static size_t g_njson;

void end_case(void) {
  pl_harness_free(g_h);
  g_h = NULL;
  for (size_t i = 0; i < g_nstr; i++)
    free(g_str[i]);
  g_nstr = 0;
  for (size_t i = 0; i < g_njson; i++)
    cJSON_Delete(g_json[i]);
  g_njson = 0;
}

void *keep(void *s) {
  if (s != NULL && g_nstr < POOL)
    g_str[g_nstr++] = s;
  return s;
}

cJSON *keep_json(cJSON *j) {
  if (j != NULL && g_njson < POOL)
    g_json[g_njson++] = j;
  return j;
}

pl_harness *start(void) {
  static int registered;
  if (!registered) {
    atexit(end_case);
    registered = 1;
  }
  end_case();
  if (pl_harness_start(NULL, &g_h) != 0)
    return NULL;
  return g_h;
}

struct res run_argv(const char *const *argv, const char *input) {
  struct res r = {0, NULL, NULL};
  r.code = pl_run(argv, input, 60000, &r.out, &r.err);
  keep(r.out);
  keep(r.err);
  if (r.out == NULL)
    r.out = "";
  if (r.err == NULL)
    r.err = "";
  return r;
}

struct res cli_v(const char *input, const char *first, va_list ap) {
  const char *argv[MAX_ARGS + 4];
  size_t n = 0;
  argv[n++] = PL_CLI_BIN;
  if (g_h != NULL) {
    argv[n++] = "--server";
    argv[n++] = pl_harness_target(g_h);
  }
  for (const char *a = first; a != NULL && n < MAX_ARGS;
       a = va_arg(ap, const char *))
    argv[n++] = a;
  argv[n] = NULL;
  return run_argv(argv, input);
}

struct res cli_in(const char *input, const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  struct res r = cli_v(input, first, ap);
  va_end(ap);
  return r;
}

const char *path(const char *name) { return pl_harness_path(g_h, name); }

const char *file(const char *name, const char *text) {
  const char *p = path(name);
  return p != NULL && pl_write_file(p, text) == 0 ? p : NULL;
}

cJSON *json(const char *s) { return keep_json(cJSON_Parse(s)); }

cJSON *item(const cJSON *o, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(o, name);
}

double num(const cJSON *o, const char *name) {
  return cJSON_GetNumberValue(item(o, name));
}

const char *str(const cJSON *o, const char *name) {
  const char *s = cJSON_GetStringValue(item(o, name));
  return s != NULL ? s : "";
}

int has(const char *hay, const char *needle) {
  return strstr(hay, needle) != NULL;
}

char *fmt(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  char *s = NULL;
  if (vasprintf(&s, f, ap) < 0)
    s = NULL;
  va_end(ap);
  return keep(s);
}

const char *new_key_file(const char *name) {
  struct res r = cli("keygen", "--out", path(name));
  if (r.code != 0 || strlen(r.out) != 65)
    return NULL;
  r.out[64] = '\0';
  return r.out;
}

const char *vkey(void) {
  struct res r = cli("--json", "info");
  cJSON *o = json(r.out);
  return r.code == 0 && o != NULL ? str(o, "verifier_key") : NULL;
}
