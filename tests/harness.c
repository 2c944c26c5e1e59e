/*
 * harness.c - starts and stops the real server for integration tests, and
 * runs programs with their output captured; see harness.h.
 *
 * Depends on POSIX process control and storage/keys.h only: tests talk to
 * the server through client/ or the CLI, never through this file.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

#ifndef PL_SERVER_BIN
#error "PL_SERVER_BIN must name the partsledgerd binary"
#endif

#define PL__MAX_EXTRA 32
#define PL__MAX_PATHS 128
#define PL__STOP_WAIT_MS 15000

struct pl_harness {
  char dir[64];
  char *data_dir, *log_key_path, *admin_key_path, *ready_path;
  char *origin;
  char *extra[PL__MAX_EXTRA + 1];
  int ready_timeout_ms;
  pl_key *admin;
  char admin_hex[2 * PL_PUBLIC_KEY_BYTES + 1];
  char target[64];
  pid_t pid;
  char *paths[PL__MAX_PATHS]; /* handed out by pl_harness_path() */
  size_t n_paths;
  struct pl_harness *next; /* in the list of live harnesses */
};

/* Harnesses not yet freed. A case that fails a CHECK returns early and may
 * never free its harness: at exit, their servers are killed and their
 * directories removed (the memory is left for a later pl_harness_free(), so
 * an atexit handler of the test's own can still free it safely). */
static pl_harness *pl__live;

static void pl__remove_dir(pl_harness *h);

static void pl__at_exit(void) {
  for (pl_harness *h = pl__live; h != NULL; h = h->next) {
    if (h->pid != 0) {
      kill(h->pid, SIGKILL);
      waitpid(h->pid, NULL, 0);
      h->pid = 0;
    }
    pl__remove_dir(h);
    h->dir[0] = '\0';
  }
}

static void pl__live_add(pl_harness *h) {
  static int registered;
  if (!registered) {
    atexit(pl__at_exit);
    registered = 1;
  }
  h->next = pl__live;
  pl__live = h;
}

static void pl__live_remove(pl_harness *h) {
  for (pl_harness **p = &pl__live; *p != NULL; p = &(*p)->next)
    if (*p == h) {
      *p = h->next;
      return;
    }
}

static int64_t pl__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pl__sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* Exit code, or 128 + signal, from a waitpid() status. */
static int pl__exit_code(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return PL_EINTERNAL;
}

static char *pl__join(const char *dir, const char *name) {
  size_t n = strlen(dir) + 1 + strlen(name) + 1;
  char *p = malloc(n);
  if (p != NULL)
    snprintf(p, n, "%s/%s", dir, name);
  return p;
}

char *pl_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    size_t got = fread(buf + len, 1, cap - len - 1, f);
    len += got;
    if (got == 0)
      break;
    if (cap - len - 1 == 0) {
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  if (buf != NULL && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf != NULL)
    buf[len] = '\0';
  return buf;
}

int pl_write_file(const char *path, const char *data) {
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return PL_EIO;
  size_t n = strlen(data);
  int ok = fwrite(data, 1, n, f) == n;
  if (fclose(f) != 0)
    ok = 0;
  return ok ? 0 : PL_EIO;
}

/* ---- the server process ---- */

/* Waits for the ready file the server writes (by rename, so it is whole
 * when it appears) and takes the target from it. Fails early when the server
 * exits, so a crash at startup is not mistaken for slowness. */
static int pl__wait_ready(pl_harness *h) {
  int64_t deadline = pl__now_ms() + h->ready_timeout_ms;
  for (;;) {
    char *s = pl_read_file(h->ready_path);
    if (s != NULL) {
      s[strcspn(s, "\r\n")] = '\0';
      int ok = s[0] != '\0' && strlen(s) < sizeof(h->target);
      if (ok)
        strcpy(h->target, s);
      free(s);
      if (ok)
        return 0;
    }
    int status;
    pid_t r = waitpid(h->pid, &status, WNOHANG);
    if (r == h->pid) {
      fprintf(stderr, "harness: server exited before it was ready (code %d)\n",
              pl__exit_code(status));
      h->pid = 0;
      return PL_ECONNECT;
    }
    if (pl__now_ms() > deadline) {
      fprintf(stderr, "harness: server not ready after %d ms\n",
              h->ready_timeout_ms);
      pl_harness_kill(h);
      return PL_ECONNECT;
    }
    pl__sleep_ms(10);
  }
}

static int pl__spawn(pl_harness *h) {
  if (h->pid != 0)
    return PL_ESTATE;
  /* A ready file left by the previous run would name a dead port. */
  if (unlink(h->ready_path) != 0 && errno != ENOENT)
    return PL_EIO;
  h->target[0] = '\0';

  const char *argv[16 + PL__MAX_EXTRA];
  size_t n = 0;
  argv[n++] = PL_SERVER_BIN;
  argv[n++] = "--data";
  argv[n++] = h->data_dir;
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  argv[n++] = "--log-key";
  argv[n++] = h->log_key_path;
  argv[n++] = "--origin";
  argv[n++] = h->origin;
  argv[n++] = "--admin-key";
  argv[n++] = h->admin_hex;
  argv[n++] = "--ready-file";
  argv[n++] = h->ready_path;
  for (size_t i = 0; h->extra[i] != NULL; i++)
    argv[n++] = h->extra[i];
  argv[n] = NULL;

  fflush(NULL);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return PL_EIO;
  if (pid == 0) {
    /* A test that dies half-way (a crash, a sanitizer abort) must not leave
     * its server behind: ctest would wait for the server's end of the output
     * pipe until the timeout. The getppid() check closes the race with a
     * parent that died before prctl(). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
      _exit(127);
    int fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      dup2(fd, STDIN_FILENO);
      close(fd);
    }
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "harness: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  h->pid = pid;
  return pl__wait_ready(h);
}

static int pl__rm(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void pl__remove_dir(pl_harness *h) {
  if (h->dir[0] == '\0')
    return;
  const char *keep = getenv("PL_KEEP_TMP");
  if (keep != NULL && keep[0] != '\0' && strcmp(keep, "0") != 0) {
    fprintf(stderr, "harness: keeping %s\n", h->dir);
    return;
  }
  nftw(h->dir, pl__rm, 16, FTW_DEPTH | FTW_PHYS);
}

int pl_harness_start(const pl_harness_opts *opts, pl_harness **out) {
  *out = NULL;
  int rc = pl_crypto_init();
  if (rc != 0)
    return rc;
  pl_harness *h = calloc(1, sizeof(*h));
  if (h == NULL)
    return PL_ENOMEM;
  h->ready_timeout_ms = opts != NULL && opts->ready_timeout_ms > 0
                            ? opts->ready_timeout_ms
                            : 10000;
  h->origin = strdup(opts != NULL && opts->origin != NULL ? opts->origin
                                                          : PL_HARNESS_ORIGIN);
  if (h->origin == NULL) {
    rc = PL_ENOMEM;
    goto fail;
  }
  if (opts != NULL && opts->extra_args != NULL) {
    for (size_t i = 0; opts->extra_args[i] != NULL; i++) {
      if (i == PL__MAX_EXTRA) {
        rc = PL_EINVAL;
        goto fail;
      }
      if ((h->extra[i] = strdup(opts->extra_args[i])) == NULL) {
        rc = PL_ENOMEM;
        goto fail;
      }
    }
  }

  strcpy(h->dir, "/tmp/pl-test-XXXXXX");
  if (mkdtemp(h->dir) == NULL) {
    h->dir[0] = '\0';
    rc = PL_EIO;
    goto fail;
  }
  h->data_dir = pl__join(h->dir, "data");
  h->log_key_path = pl__join(h->dir, "log.key");
  h->admin_key_path = pl__join(h->dir, "admin.key");
  h->ready_path = pl__join(h->dir, "ready");
  if (h->data_dir == NULL || h->log_key_path == NULL ||
      h->admin_key_path == NULL || h->ready_path == NULL) {
    rc = PL_ENOMEM;
    goto fail;
  }
  if (mkdir(h->data_dir, 0700) != 0) {
    rc = PL_EIO;
    goto fail;
  }
  if ((rc = pl_key_generate_file(h->log_key_path, NULL)) != 0 ||
      (rc = pl_key_generate_file(h->admin_key_path, &h->admin)) != 0)
    goto fail;
  pl_hex_encode(pl_key_public(h->admin), PL_PUBLIC_KEY_BYTES, h->admin_hex);

  pl__live_add(h);
  if ((rc = pl__spawn(h)) != 0)
    goto fail;
  *out = h;
  return 0;

fail:
  pl_harness_free(h);
  return rc;
}

int pl_harness_restart(pl_harness *h) { return pl__spawn(h); }

int pl_harness_wait(pl_harness *h, int timeout_ms) {
  if (h->pid == 0)
    return PL_ESTATE;
  int64_t deadline = pl__now_ms() + timeout_ms;
  for (;;) {
    int status;
    pid_t r = waitpid(h->pid, &status, WNOHANG);
    if (r == h->pid) {
      h->pid = 0;
      return pl__exit_code(status);
    }
    if (r < 0) {
      h->pid = 0;
      return PL_EINTERNAL;
    }
    if (pl__now_ms() > deadline)
      return PL_EBUSY;
    pl__sleep_ms(10);
  }
}

int pl_harness_stop(pl_harness *h) {
  if (h->pid == 0)
    return PL_ESTATE;
  kill(h->pid, SIGTERM);
  int rc = pl_harness_wait(h, PL__STOP_WAIT_MS);
  if (rc == PL_EBUSY) {
    fprintf(stderr, "harness: server ignored SIGTERM for %d ms; killing it\n",
            PL__STOP_WAIT_MS);
    pl_harness_kill(h);
  }
  return rc;
}

int pl_harness_kill(pl_harness *h) {
  if (h->pid == 0)
    return PL_ESTATE;
  kill(h->pid, SIGKILL);
  while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  h->pid = 0;
  return 0;
}

void pl_harness_free(pl_harness *h) {
  if (h == NULL)
    return;
  pl__live_remove(h);
  if (h->pid != 0)
    pl_harness_kill(h);
  pl__remove_dir(h);
  pl_key_free(h->admin);
  free(h->data_dir);
  free(h->log_key_path);
  free(h->admin_key_path);
  free(h->ready_path);
  free(h->origin);
  for (size_t i = 0; h->extra[i] != NULL; i++)
    free(h->extra[i]);
  for (size_t i = 0; i < h->n_paths; i++)
    free(h->paths[i]);
  free(h);
}

const char *pl_harness_target(const pl_harness *h) { return h->target; }
const char *pl_harness_dir(const pl_harness *h) { return h->dir; }
const char *pl_harness_data_dir(const pl_harness *h) { return h->data_dir; }
const char *pl_harness_origin(const pl_harness *h) { return h->origin; }
const char *pl_harness_log_key_path(const pl_harness *h) {
  return h->log_key_path;
}
const char *pl_harness_admin_key_path(const pl_harness *h) {
  return h->admin_key_path;
}
const pl_key *pl_harness_admin_key(const pl_harness *h) { return h->admin; }
const char *pl_harness_admin_pub_hex(const pl_harness *h) {
  return h->admin_hex;
}
pid_t pl_harness_pid(const pl_harness *h) { return h->pid; }

const char *pl_harness_path(pl_harness *h, const char *name) {
  if (h->n_paths == PL__MAX_PATHS)
    return NULL;
  char *p = pl__join(h->dir, name);
  if (p != NULL)
    h->paths[h->n_paths++] = p;
  return p;
}

/* ---- running other programs ---- */

struct pl__sink {
  char *buf;
  size_t len, cap;
};

static int pl__sink_add(struct pl__sink *s, const char *p, size_t n) {
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < s->len + n + 1)
      cap *= 2;
    char *nb = realloc(s->buf, cap);
    if (nb == NULL)
      return PL_ENOMEM;
    s->buf = nb;
    s->cap = cap;
  }
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  s->buf[s->len] = '\0';
  return 0;
}

int pl_run(const char *const argv[], const char *input, int timeout_ms,
           char **out, char **err) {
  return pl_run_until(argv, input, timeout_ms, NULL, out, err);
}

int pl_run_until(const char *const argv[], const char *input, int timeout_ms,
                 const char *term_file, char **out, char **err) {
  if (out != NULL)
    *out = NULL;
  if (err != NULL)
    *err = NULL;
  if (timeout_ms <= 0)
    timeout_ms = 60000;
  /* A child that exits without reading its input must not kill us. */
  signal(SIGPIPE, SIG_IGN);

  int in[2], o[2], e[2];
  if (pipe(in) != 0)
    return PL_EIO;
  if (pipe(o) != 0) {
    close(in[0]);
    close(in[1]);
    return PL_EIO;
  }
  if (pipe(e) != 0) {
    close(in[0]);
    close(in[1]);
    close(o[0]);
    close(o[1]);
    return PL_EIO;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(in[0]);
    close(in[1]);
    close(o[0]);
    close(o[1]);
    close(e[0]);
    close(e[1]);
    return PL_EIO;
  }
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(o[1], STDOUT_FILENO);
    dup2(e[1], STDERR_FILENO);
    close(in[0]);
    close(in[1]);
    close(o[0]);
    close(o[1]);
    close(e[0]);
    close(e[1]);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(o[1]);
  close(e[1]);

  struct pl__sink so = {0}, se = {0};
  const char *ip = input != NULL ? input : "";
  size_t ileft = strlen(ip);
  int in_fd = in[1];
  if (ileft == 0) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int fds_open = 2, rc = 0, timed_out = 0, termed = term_file == NULL;
  int64_t deadline = pl__now_ms() + timeout_ms;
  struct pollfd p[3] = {
      {o[0], POLLIN, 0}, {e[0], POLLIN, 0}, {in_fd, POLLOUT, 0}};

  while (fds_open > 0 || in_fd >= 0) {
    int64_t left = deadline - pl__now_ms();
    if (left <= 0) {
      timed_out = 1;
      kill(pid, SIGKILL);
      break;
    }
    /* While waiting for term_file, look for it every 10 ms. */
    if (!termed && left > 10)
      left = 10;
    p[2].fd = in_fd;
    int r = poll(p, 3, (int)left);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      rc = PL_EIO;
      kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[4096];
      ssize_t n = read(p[i].fd, buf, sizeof(buf));
      if (n > 0) {
        if (pl__sink_add(i == 0 ? &so : &se, buf, (size_t)n) != 0)
          rc = PL_ENOMEM;
      } else if (n == 0 || errno != EINTR) {
        close(p[i].fd);
        p[i].fd = -1;
        fds_open--;
      }
    }
    if (!termed && access(term_file, F_OK) == 0) {
      kill(pid, SIGTERM);
      termed = 1;
    }
    if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, ip, ileft);
      if (n > 0) {
        ip += n;
        ileft -= (size_t)n;
      }
      if (ileft == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  for (int i = 0; i < 2; i++)
    if (p[i].fd >= 0)
      close(p[i].fd);
  if (in_fd >= 0)
    close(in_fd);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (timed_out) {
    fprintf(stderr, "pl_run: %s killed after %d ms\n", argv[0], timeout_ms);
    if (rc == 0)
      rc = PL_ECONNECT;
  }
  if (se.len > 0)
    fwrite(se.buf, 1, se.len, stderr);
  if (rc == 0)
    rc = pl__exit_code(status);
  /* Callers get "" rather than NULL for silent output, and what a child
   * killed at the timeout had written by then. */
  int keep = rc >= 0 || rc == PL_ECONNECT;
  if (keep && (pl__sink_add(&so, "", 0) != 0 || pl__sink_add(&se, "", 0) != 0))
    rc = PL_ENOMEM;
  keep = rc >= 0 || rc == PL_ECONNECT;
  if (keep && out != NULL) {
    *out = so.buf;
    so.buf = NULL;
  }
  if (keep && err != NULL) {
    *err = se.buf;
    se.buf = NULL;
  }
  free(so.buf);
  free(se.buf);
  return rc;
}
