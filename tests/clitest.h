/*
 * clitest.h - what the CLI and bench test modules share: one server per case,
 * the CLI (PL_CLI_BIN) run against it in a subprocess, and short accessors for
 * the JSON it prints.
 *
 * Strings and JSON values a case collects are pooled and freed, and the
 * server stopped and its directory removed, when the next case starts or at
 * exit: a failed CHECK returns early, and cleanup must not depend on reaching
 * the end of the case. Nothing here is thread-safe; only pl_run() is.
 */
#ifndef PL_CLITEST_H
#define PL_CLITEST_H

#include <cjson/cJSON.h>
#include <stdarg.h>

#include "harness.h"

/* The case's server; NULL before start(). */
extern pl_harness *g_h;

struct res {
  int code;        /* exit status; negative if it could not be run */
  char *out, *err; /* never NULL: "" when nothing was captured */
};

/* Starts a fresh server for the case (freeing the previous case's); NULL on
 * failure. */
pl_harness *start(void);
/* Stops the case's server and frees its pool: start() does it first, and a
 * case that needs no server does it so that cli() leaves out --server. */
void end_case(void);

/* Pools `s` (malloc'd) or `j` to be freed with the case; returns it. */
void *keep(void *s);
cJSON *keep_json(cJSON *j);

/* Runs argv (NULL-terminated) with `input` on stdin (NULL: none). */
struct res run_argv(const char *const *argv, const char *input);

/* Runs the CLI with --server pointing at the case's server (if started) and
 * `input` on stdin; arguments end with NULL. */
struct res cli_in(const char *input, const char *first, ...);
struct res cli_v(const char *input, const char *first, va_list ap);

#define cli(...) cli_in(NULL, __VA_ARGS__, (const char *)NULL)
#define OK(...) (cli(__VA_ARGS__).code == 0)

/* A file of the case's directory. */
const char *path(const char *name);
/* Writes `text` to a file of the case's directory; its path, or NULL. */
const char *file(const char *name, const char *text);

/* Parses `s`, pooled; NULL if it is not JSON. */
cJSON *json(const char *s);
cJSON *item(const cJSON *o, const char *name);
/* A number member; NaN when missing. */
double num(const cJSON *o, const char *name);
/* A string member; "" when missing. */
const char *str(const cJSON *o, const char *name);
int has(const char *hay, const char *needle);

/* A pooled printf; NULL when out of memory. */
char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* Generates a key file `name` in the case's directory; its public hex, or
 * NULL. */
const char *new_key_file(const char *name);
/* The verifier key of the case's log, or NULL. */
const char *vkey(void);

#endif
