/*
 * harness.h - runs the real partsledgerd (PL_SERVER_BIN) for integration tests,
 * and runs other programs (the CLI) with their output captured.
 *
 * pl_harness_start() makes a fresh directory /tmp/pl-test-XXXXXX holding
 *   data/       the server's --data directory
 *   log.key     the log's signing key (a key file: 64 hex characters)
 *   admin.key   the bootstrap admin's key, passed as --admin-key <public hex>
 *   ready       the --ready-file, rewritten by the server at each start
 * and starts the server listening on a free loopback port. The server's
 * stdout and stderr are the test's own, so its logs show with the failure.
 *
 * Every function returns 0 or a negative PL_E* code, or as documented. Strings
 * and keys returned by the accessors belong to the harness and live until
 * pl_harness_free(). Set PL_KEEP_TMP=1 in the environment to keep the
 * directory for inspection.
 *
 * A server never outlives its test: it gets SIGKILL when the thread that
 * started it exits (PR_SET_PDEATHSIG: start servers from the main thread, or
 * one that outlives them), and at exit every harness not yet freed has its
 * server killed and its directory removed. The harness functions are not
 * thread-safe; pl_run() may be called from any thread.
 */
#ifndef PL_HARNESS_H
#define PL_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include "keys.h"

typedef struct pl_harness pl_harness;

typedef struct {
  /* The log's origin (also its key name); NULL: PL_HARNESS_ORIGIN. */
  const char *origin;
  /* Extra server arguments appended after the standard ones, NULL-terminated;
   * NULL for none. Copied: the caller's array need not outlive the call. */
  const char *const *extra_args;
  /* How long to wait for the ready file; 0: 10000 ms. */
  int ready_timeout_ms;
} pl_harness_opts;

#define PL_HARNESS_ORIGIN "partsledger.test/log"

/* Creates the directory and both keys, starts the server and waits until it
 * is serving. `opts` may be NULL. On failure everything made is removed and
 * *out is NULL: PL_EIO (directory or spawn failed), PL_ECONNECT (the server
 * exited or did not become ready in time), PL_EKEYFILE, PL_ENOMEM. */
int pl_harness_start(const pl_harness_opts *opts, pl_harness **out);

/* Starts the server again on the same directory and keys, after
 * pl_harness_stop() or pl_harness_kill(). The port may change: read
 * pl_harness_target() again. PL_ESTATE when it is still running. */
int pl_harness_restart(pl_harness *h);

/* Sends SIGTERM and waits up to 15 s for the server to exit. Returns its exit
 * code (0..255), 128 + the signal number when a signal ended it, PL_ESTATE
 * when it was not running, or PL_EBUSY when it did not exit in time (it is
 * then killed with SIGKILL). */
int pl_harness_stop(pl_harness *h);

/* Waits up to `timeout_ms` for the server to exit on its own. Returns its
 * exit code as pl_harness_stop() does, PL_EBUSY when it still runs (it is
 * left running), or PL_ESTATE when it was not running. */
int pl_harness_wait(pl_harness *h, int timeout_ms);

/* SIGKILL, as a crash would; waits for the process. 0 or PL_ESTATE. */
int pl_harness_kill(pl_harness *h);

/* Stops the server if running (SIGKILL), removes the directory (unless
 * PL_KEEP_TMP is set) and frees everything. pl_harness_free(NULL) is a no-op.
 */
void pl_harness_free(pl_harness *h);

/* "127.0.0.1:PORT" of the running (or last running) server. */
const char *pl_harness_target(const pl_harness *h);
/* The temporary directory and, inside it, the server's --data directory. */
const char *pl_harness_dir(const pl_harness *h);
const char *pl_harness_data_dir(const pl_harness *h);
const char *pl_harness_origin(const pl_harness *h);
const char *pl_harness_log_key_path(const pl_harness *h);
const char *pl_harness_admin_key_path(const pl_harness *h);
const pl_key *pl_harness_admin_key(const pl_harness *h);
/* Lowercase hex of the admin's public key. */
const char *pl_harness_admin_pub_hex(const pl_harness *h);
/* Process id of the running server, or 0. */
pid_t pl_harness_pid(const pl_harness *h);

/* A path inside the harness directory ("<dir>/<name>"), owned by the harness
 * until pl_harness_free(); NULL when out of memory. */
const char *pl_harness_path(pl_harness *h, const char *name);

/* Runs argv[0] (a path, not searched in PATH) with `argv`, feeding `input`
 * (may be NULL: empty stdin) and capturing stdout and stderr into malloc'ed,
 * NUL-terminated strings (either out pointer may be NULL to discard). The
 * child is killed after `timeout_ms` (0: 60000): then PL_ECONNECT is returned
 * and the out strings hold what it wrote until then. Returns the exit code,
 * 128 + signal when killed by a signal, or a negative PL_E* when it could
 * not run.
 * What the child wrote to stderr is also copied to the test's stderr, so a
 * failing case shows it. */
int pl_run(const char *const argv[], const char *input, int timeout_ms,
           char **out, char **err);

/* pl_run(), and once the file `term_file` exists (looked for every 10 ms;
 * remove a stale one first) the child gets SIGTERM, once: for a program
 * that runs until told to stop, such as a server with a --ready-file. The
 * timeout still kills it if it never gets there. */
int pl_run_until(const char *const argv[], const char *input, int timeout_ms,
                 const char *term_file, char **out, char **err);

/* Reads a whole file into a malloc'ed NUL-terminated string; NULL on error. */
char *pl_read_file(const char *path);
/* Writes `data` to `path` (created or truncated, mode 0644). 0 or PL_EIO. */
int pl_write_file(const char *path, const char *data);

#endif /* PL_HARNESS_H */
