/*
 * test_daemon.c - partsledgerd's own command line: --check and --rebuild on
 * stored data, a start that cannot serve, the first admin's key, usage
 * errors and their exit statuses, --version.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "test.h"

PL_TEST(check_command_on_stored_log) {
  env e;
  CHECK(env_start(&e) == 0);
  Partsledger__V1__AppendResponse *r;
  for (int i = 0; i < 5; i++)
    CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, pl_harness_admin_key(e.h)), e.a, &r), 0);
  CHECK_EQ(pl_harness_stop(e.h), 0);
  const char *argv[] = {PL_SERVER_BIN, "--check", "--data", pl_harness_data_dir(e.h),
                        "--log-key", pl_harness_log_key_path(e.h),
                        "--origin", pl_harness_origin(e.h), NULL};
  char *out = NULL;
  CHECK_EQ(pl_run(argv, NULL, 30000, &out, NULL), 0);
  CHECK(out != NULL && strstr(out, "6 leaves intact") != NULL);
  free(out);

  /* The same data under another origin is a configuration error (status 2,
   * not retried by a supervisor), and leaves the data as it was. */
  const char *serve[] = {PL_SERVER_BIN, "--data", pl_harness_data_dir(e.h),
                         "--listen", "127.0.0.1:0", "--log-key",
                         pl_harness_log_key_path(e.h), "--origin", "other.example/log", NULL};
  char *err = NULL;
  CHECK_EQ(pl_run(serve, NULL, 30000, NULL, &err), 2);
  int says = err != NULL && strstr(err, "origin") != NULL;
  free(err);
  CHECK(says);
  out = NULL;
  CHECK_EQ(pl_run(argv, NULL, 30000, &out, NULL), 0);
  says = out != NULL && strstr(out, "6 leaves intact") != NULL;
  free(out);
  CHECK(says);
  env_stop(&e);
}

/* A second server on the same data directory must refuse to start, not
 * write beside the first. */
PL_TEST(second_server_on_same_data_refused) {
  env e;
  CHECK(env_start(&e) == 0);
  const char *argv[] = {PL_SERVER_BIN, "--data", pl_harness_data_dir(e.h),
                        "--listen", "127.0.0.1:0",
                        "--log-key", pl_harness_log_key_path(e.h),
                        "--origin", pl_harness_origin(e.h), NULL};
  char *err = NULL;
  CHECK_EQ(pl_run(argv, NULL, 30000, NULL, &err), 1);
  CHECK(err != NULL && strstr(err, "in use by another process") != NULL);
  free(err);
  CHECK_EQ(tree_size(&e), 1); /* the first one serves on */
  env_stop(&e);
}

/* Bad command lines and configurations end with status 2 (which a supervisor
 * must not retry: deploy/partsledgerd.service) and a message naming the
 * problem, and none of them touches the running server's log. */
PL_TEST(server_usage_errors) {
  env e;
  CHECK(env_start(&e) == 0);
  const char *other = pl_harness_path(e.h, "other-data");
  const char *loose = pl_harness_path(e.h, "loose.key");
  char *key = pl_read_file(pl_harness_log_key_path(e.h));
  CHECK(key != NULL && other != NULL && loose != NULL);
  CHECK_EQ(pl_write_file(loose, key), 0); /* mode 0644 */
  free(key);
  const struct {
    const char *opt, *value, *says;
    int code;
  } cases[] = {
      {"--listen", "127.0.0.1:99999", "--listen wants HOST:PORT", 2},
      {"--listen", "127.0.0.1", "--listen wants HOST:PORT", 2},
      {"--listen", ":50051", "--listen wants HOST:PORT", 2},
      {"--listen", "::1:50051", "--listen wants HOST:PORT", 2},
      {"--workers", "0", "--workers must be 1..64", 2},
      {"--map-size", "lots", "--map-size must be", 2},
      {"--admin-key", "abcd", "--admin-key must be 64 hex characters", 2},
      {"--log-key", loose, "readable by group or others", 2},
      {"--origin", "", "origin must be a key name", 2},
      {"--origin", "two words", "origin must be a key name", 2},
      {"--bogus", NULL, "usage: partsledgerd", 2},
  };
  /* A valid command line, then the case's option: the last one counts. A
   * NULL value ends the line (--bogus takes none). */
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *argv[] = {PL_SERVER_BIN, "--data", other, "--listen", "127.0.0.1:0",
                          "--log-key", pl_harness_log_key_path(e.h), "--origin",
                          pl_harness_origin(e.h), "--admin-key",
                          pl_harness_admin_pub_hex(e.h), cases[i].opt, cases[i].value,
                          NULL};
    char *err = NULL;
    int code = pl_run(argv, NULL, 30000, NULL, &err);
    int says = err != NULL && strstr(err, cases[i].says) != NULL;
    if (code != cases[i].code || !says)
      fprintf(stderr, "case %zu (%s %s): exit %d\n", i, cases[i].opt,
              cases[i].value ? cases[i].value : "", code);
    free(err);
    CHECK_EQ(code, cases[i].code);
    CHECK(says);
  }
  /* --check reads a log and never makes one. */
  const char *check[] = {PL_SERVER_BIN, "--check", "--data", other, "--log-key",
                         pl_harness_log_key_path(e.h), "--origin", pl_harness_origin(e.h),
                         NULL};
  char *err = NULL;
  CHECK_EQ(pl_run(check, NULL, 30000, NULL, &err), 2);
  int says = err != NULL && strstr(err, "holds no log to check") != NULL;
  free(err);
  CHECK(says);
  CHECK(access(other, F_OK) != 0);

  const char *help[] = {PL_SERVER_BIN, "--help", NULL};
  char *out = NULL;
  CHECK_EQ(pl_run(help, NULL, 30000, &out, NULL), 0);
  int usage = out != NULL && strstr(out, "--listen HOST:PORT") != NULL;
  free(out);
  CHECK(usage);
  CHECK_EQ(tree_size(&e), 1);
  env_stop(&e);
}

/* A start that cannot serve (its port taken) leaves an empty data
 * directory as it found it: the genesis leaf is written only once the
 * address is bound. */
PL_TEST(failed_start_writes_no_genesis) {
  env e;
  CHECK(env_start(&e) == 0);
  const char *fresh = pl_harness_path(e.h, "fresh-data");
  const char *argv[] = {PL_SERVER_BIN, "--data", fresh, "--listen", pl_harness_target(e.h),
                        "--log-key", pl_harness_log_key_path(e.h), "--origin",
                        pl_harness_origin(e.h), "--admin-key",
                        pl_harness_admin_pub_hex(e.h), NULL};
  char *err = NULL;
  CHECK_EQ(pl_run(argv, NULL, 30000, NULL, &err), 1);
  int says = err != NULL && strstr(err, "cannot listen") != NULL;
  /* gRPC's own log lines stay out of the user's way. */
  int quiet = err != NULL && strstr(err, "Failed to add") == NULL &&
              strstr(err, "UNKNOWN:") == NULL;
  free(err);
  CHECK(says);
  CHECK(quiet);
  /* Nothing was logged: the directory is still no log to check. */
  const char *check[] = {PL_SERVER_BIN, "--check", "--data", fresh, "--log-key",
                         pl_harness_log_key_path(e.h), "--origin", pl_harness_origin(e.h),
                         NULL};
  char *out = NULL;
  err = NULL;
  int code = pl_run(check, NULL, 30000, &out, &err);
  int empty = (code == 2 && err != NULL && strstr(err, "holds no log") != NULL) ||
              (code == 0 && out != NULL && strstr(out, " 0 leaves intact") != NULL);
  free(out);
  free(err);
  CHECK(empty);
  env_stop(&e);
}

/* An --admin-key that is not an admin of an existing log is said plainly at
 * start; the key the log does know serves silently. */
PL_TEST(admin_key_of_another_log_warned) {
  env e;
  CHECK(env_start(&e) == 0);
  CHECK_EQ(pl_harness_stop(e.h), 0);
  pl_key *stranger = new_key();
  char hex[2 * PL_PUBLIC_KEY_BYTES + 1];
  pl_hex_encode(pl_key_public(stranger), PL_PUBLIC_KEY_BYTES, hex);
  const char *ready = pl_harness_path(e.h, "ready2");
  for (int known = 0; known < 2; known++) {
    const char *argv[] = {PL_SERVER_BIN, "--data", pl_harness_data_dir(e.h), "--listen",
                          "127.0.0.1:0", "--log-key", pl_harness_log_key_path(e.h),
                          "--origin", pl_harness_origin(e.h), "--admin-key",
                          known ? pl_harness_admin_pub_hex(e.h) : hex, "--ready-file",
                          ready, NULL};
    char *err = NULL;
    /* It serves until its ready file appears and SIGTERM stops it; what it
     * said at start is read. (The timeout only keeps a server that never
     * gets ready from hanging the case.) */
    CHECK(unlink(ready) == 0 || errno == ENOENT);
    int code = pl_run_until(argv, NULL, 60000, ready, NULL, &err);
    int warned = err != NULL && strstr(err, "warning: --admin-key") != NULL &&
                 strstr(err, "is not an actor of this log") != NULL &&
                 strstr(err, pl_harness_admin_pub_hex(e.h)) != NULL;
    int serving = err != NULL && strstr(err, "serving") != NULL;
    int confirmed = err != NULL && strstr(err, "is an admin of this log") != NULL;
    int stopped = err != NULL && strstr(err, "stopped cleanly") != NULL;
    free(err);
    CHECK_EQ(code, 0);
    CHECK(serving);
    CHECK(stopped);
    CHECK_EQ(warned, !known);
    CHECK_EQ(confirmed, known);
  }
  pl_key_free(stranger);
  env_stop(&e);
}

/* --rebuild recomputes the derived state from the leaves and the log serves
 * on from it; --check then finds it the leaves' own. */
PL_TEST(rebuild_then_check) {
  env e;
  CHECK(env_start(&e) == 0);
  Partsledger__V1__AppendResponse *r;
  for (int i = 0; i < 4; i++)
    CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, pl_harness_admin_key(e.h)), e.a, &r),
             0);
  CHECK_EQ(pl_harness_stop(e.h), 0);
  const char *rebuild[] = {PL_SERVER_BIN, "--rebuild", "--data", pl_harness_data_dir(e.h),
                           "--log-key", pl_harness_log_key_path(e.h), "--origin",
                           pl_harness_origin(e.h), NULL};
  char *out = NULL;
  CHECK_EQ(pl_run(rebuild, NULL, 30000, &out, NULL), 0);
  int says = out != NULL && strstr(out, "rebuilt from 5 leaves") != NULL;
  free(out);
  CHECK(says);
  const char *check[] = {PL_SERVER_BIN, "--check", "--data", pl_harness_data_dir(e.h),
                         "--log-key", pl_harness_log_key_path(e.h), "--origin",
                         pl_harness_origin(e.h), NULL};
  out = NULL;
  CHECK_EQ(pl_run(check, NULL, 30000, &out, NULL), 0);
  says = out != NULL && strstr(out, "derived state is the leaves' own") != NULL;
  free(out);
  CHECK(says);
  CHECK_EQ(pl_harness_restart(e.h), 0);
  CHECK_EQ(env_reconnect(&e), 0);
  /* The admin still signs: its actor row came back from the leaves. */
  CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, pl_harness_admin_key(e.h)), e.a, &r), 0);
  CHECK_EQ(r->index, 5);
  env_stop(&e);
}

PL_TEST(version_printed) {
  const char *argv[] = {PL_SERVER_BIN, "--version", NULL};
  char *out = NULL;
  CHECK_EQ(pl_run(argv, NULL, 30000, &out, NULL), 0);
  int says = out != NULL && strncmp(out, "partsledgerd ", 13) == 0 &&
             strchr(out, '.') != NULL;
  free(out);
  CHECK(says);
}

PL_TEST_MAIN(PL_CASE(check_command_on_stored_log), PL_CASE(second_server_on_same_data_refused),
             PL_CASE(server_usage_errors), PL_CASE(failed_start_writes_no_genesis),
             PL_CASE(admin_key_of_another_log_warned), PL_CASE(rebuild_then_check),
             PL_CASE(version_printed))
