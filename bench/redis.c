/*
 * redis.c - the same radius questions put to Redis, for the near phase's
 * comparison.
 *
 * When redis-server is on PATH (or --redis names it), the near phase starts
 * one on a free loopback port, with no persistence, as a child of the
 * bench; loads one GEO key per SKU holding every site that has stock of it
 * (GEOADD, all pipelined); and drives GEOSEARCH key FROMLONLAT lon lat
 * BYRADIUS km km ASC COUNT 20 WITHDIST with the near phase's probes and
 * calls in flight, through the small RESP client below over one TCP
 * connection with that many requests pipelined. Redis is single-threaded,
 * so one connection is how it serves such a load best. Every reply is
 * checked as StockNear's are: at most 20 sites, nearest first, inside the
 * radius, and never empty for a probe next to a site that holds the SKU.
 * Redis answers from memory, without durability, signatures or live
 * availability (a GEO set knows where, not how many): it is a yardstick for
 * the geometry and the request path, not the same service.
 *
 * Depends on POSIX sockets and processes, and bench.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define RDS_MAX_SITES 1000 /* distances kept per reply */
#define RDS_START_MS 10000 /* for redis-server to accept connections */

typedef struct {
  pid_t pid;
  int port;
  int fd;
  char *in; /* bytes read and not yet parsed */
  size_t nin, capin;
} rds;

/* ---- RESP ------------------------------------------------------------------- */

/* What a reply held, as far as the checks need. */
typedef struct {
  char type;  /* of the top value: + - : $ * */
  char error[160];
  long long count; /* the top array's elements, or the integer */
  double dist[RDS_MAX_SITES];
  size_t ndist;
  int shape; /* 0 when every element was [member, distance] */
} rds_reply;

/* One line from p[*pos]: its length up to "\r\n"; -1 when incomplete. */
static long rds_line(const char *p, size_t n, size_t pos) {
  for (size_t i = pos; i + 1 < n; i++)
    if (p[i] == '\r' && p[i + 1] == '\n')
      return (long)(i - pos);
  return -1;
}

/* Parses one value at p[*pos], advancing *pos: 1 done, 0 incomplete, -1
 * malformed. `depth` 0 is the reply itself; the distances of a GEOSEARCH
 * WITHDIST reply are the second bulk string of each pair at depth 2. */
static int rds_value(const char *p, size_t n, size_t *pos, int depth, int elem, rds_reply *r) {
  if (*pos >= n)
    return 0;
  char t = p[*pos];
  long len = rds_line(p, n, *pos + 1);
  if (len < 0)
    return 0;
  const char *line = p + *pos + 1;
  size_t next = *pos + 1 + (size_t)len + 2;
  long long v = 0;
  if (t == ':' || t == '$' || t == '*') {
    char *end;
    char tmp[32];
    if (len <= 0 || len >= (long)sizeof(tmp))
      return -1;
    memcpy(tmp, line, (size_t)len);
    tmp[len] = '\0';
    v = strtoll(tmp, &end, 10);
    if (*end != '\0')
      return -1;
  }
  if (depth == 0) {
    r->type = t;
    r->count = v;
  }
  switch (t) {
  case '+':
    *pos = next;
    return 1;
  case '-':
    if (depth == 0)
      snprintf(r->error, sizeof(r->error), "%.*s", (int)len, line);
    *pos = next;
    return 1;
  case ':':
    *pos = next;
    return 1;
  case '$':
    if (v < 0) {
      *pos = next;
      return 1;
    }
    if (next + (size_t)v + 2 > n)
      return 0;
    if (depth == 2 && elem == 1) {
      char tmp[64];
      if (v >= (long long)sizeof(tmp))
        return -1;
      memcpy(tmp, p + next, (size_t)v);
      tmp[v] = '\0';
      if (r->ndist < RDS_MAX_SITES)
        r->dist[r->ndist++] = strtod(tmp, NULL);
    }
    *pos = next + (size_t)v + 2;
    return 1;
  case '*': {
    if (depth == 1 && v != 2)
      r->shape = 1;
    size_t at = next;
    for (long long i = 0; i < v; i++) {
      int rc = rds_value(p, n, &at, depth + 1, (int)i, r);
      if (rc <= 0)
        return rc;
    }
    *pos = at;
    return 1;
  }
  }
  return -1;
}

/* ---- the process and the socket --------------------------------------------- */

/* The path of `name` on PATH (or `name` itself when it has a '/'), into
 * out; 0, or -1 when there is none. */
static int rds_find(const char *name, char *out, size_t len) {
  if (strchr(name, '/') != NULL) {
    snprintf(out, len, "%s", name);
    return access(out, X_OK) == 0 ? 0 : -1;
  }
  const char *path = getenv("PATH");
  if (path == NULL)
    path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    const char *colon = strchr(path, ':');
    size_t n = colon ? (size_t)(colon - path) : strlen(path);
    snprintf(out, len, "%.*s/%s", (int)n, path, name);
    if (n > 0 && access(out, X_OK) == 0)
      return 0;
    path += n + (colon ? 1 : 0);
  }
  return -1;
}

static int rds_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof(a);
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &al) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0)
    close(fd);
  return port;
}

static void rds_stop(rds *r) {
  if (r->fd >= 0)
    close(r->fd);
  r->fd = -1;
  if (r->pid > 0) {
    kill(r->pid, SIGTERM);
    waitpid(r->pid, NULL, 0);
  }
  r->pid = 0;
  free(r->in);
  r->in = NULL;
}

/* Starts redis-server and connects to it. 0, or -1 with why. */
static int rds_start(const char *path, rds *r, char *why, size_t len) {
  memset(r, 0, sizeof(*r));
  r->fd = -1;
  r->port = rds_free_port();
  if (r->port <= 0) {
    snprintf(why, len, "no free port");
    return -1;
  }
  char port[16];
  snprintf(port, sizeof(port), "%d", r->port);
  pid_t parent = getpid();
  r->pid = fork();
  if (r->pid < 0) {
    snprintf(why, len, "fork: %s", strerror(errno));
    return -1;
  }
  if (r->pid == 0) {
    /* Gone with the bench, whatever ends it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(1);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    execl(path, path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly",
          "no", "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
          (char *)NULL);
    _exit(127);
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)r->port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int waited = 0; waited < RDS_START_MS; waited += 20) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      r->fd = fd;
      return 0;
    }
    if (fd >= 0)
      close(fd);
    if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
      r->pid = 0;
      snprintf(why, len, "%.200s exited at start", path);
      return -1;
    }
    usleep(20000);
  }
  snprintf(why, len, "%.200s did not accept connections within %d ms", path, RDS_START_MS);
  rds_stop(r);
  return -1;
}

/* Reads what the socket has. 0, or -1 when it closed or failed. */
static int rds_read(rds *r) {
  for (;;) {
    if (r->capin - r->nin < 65536) {
      size_t cap = r->capin ? r->capin * 2 : 1 << 20;
      char *p = realloc(r->in, cap);
      if (p == NULL)
        return -1;
      r->in = p;
      r->capin = cap;
    }
    ssize_t k = read(r->fd, r->in + r->nin, r->capin - r->nin);
    if (k > 0) {
      r->nin += (size_t)k;
      continue;
    }
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return 0;
    if (k < 0 && errno == EINTR)
      continue;
    return -1;
  }
}

/* The next complete reply in r->in, consumed: 1, 0 when there is none
 * yet, -1 when malformed. */
static int rds_next(rds *r, size_t *used, rds_reply *out) {
  size_t pos = *used;
  out->ndist = 0;
  out->shape = 0;
  out->error[0] = '\0';
  int rc = rds_value(r->in, r->nin, &pos, 0, 0, out);
  if (rc == 1)
    *used = pos;
  return rc;
}

/* Drops the parsed bytes. */
static void rds_compact(rds *r, size_t *used) {
  memmove(r->in, r->in + *used, r->nin - *used);
  r->nin -= *used;
  *used = 0;
}

/* ---- loading ------------------------------------------------------------------ */

/* Sends `ncmds` commands and reads as many replies, none an error. */
static int rds_load(rds *r, const char *cmds, size_t len, size_t ncmds, char *why, size_t wl) {
  size_t sent = 0, got = 0, used = 0;
  rds_reply *rep = malloc(sizeof(*rep));
  if (rep == NULL)
    return -1;
  int rc = 0;
  while (got < ncmds && rc == 0) {
    struct pollfd pf = {r->fd, POLLIN | (sent < len ? POLLOUT : 0), 0};
    if (poll(&pf, 1, 30000) <= 0) {
      snprintf(why, wl, "redis stopped answering while loading");
      rc = -1;
      break;
    }
    if ((pf.revents & POLLOUT) && sent < len) {
      ssize_t k = write(r->fd, cmds + sent, len - sent);
      if (k > 0)
        sent += (size_t)k;
      else if (k < 0 && errno != EAGAIN && errno != EINTR)
        rc = -1;
    }
    if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
      if (rds_read(r) != 0)
        rc = -1;
      int k;
      while (rc == 0 && (k = rds_next(r, &used, rep)) == 1) {
        if (rep->type == '-') {
          snprintf(why, wl, "GEOADD: %s", rep->error);
          rc = -1;
        }
        got++;
      }
      if (rc == 0 && k < 0)
        rc = -1;
      rds_compact(r, &used);
    }
  }
  if (rc != 0 && why[0] == '\0')
    snprintf(why, wl, "the connection to redis failed while loading");
  free(rep);
  return rc;
}

/* ---- the probes --------------------------------------------------------------- */

static int rds_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* GEOSEARCH of random probes, `inflight` pipelined, for `secs`; counts
 * and latencies into res. */
static void rds_probe(rds *r, const bench_near *nr, int inflight, double secs,
                      bench_result *res) {
  uint64_t rng;
  randombytes_buf(&rng, sizeof(rng));
  size_t cap = 1 << 16, nlat = 0, used = 0;
  uint64_t *lat = malloc(cap * sizeof(*lat));
  size_t *fifo_probe = malloc((size_t)inflight * sizeof(size_t));
  uint64_t *fifo_t0 = malloc((size_t)inflight * sizeof(uint64_t));
  char *out = malloc((size_t)inflight * 512);
  rds_reply *rep = malloc(sizeof(*rep));
  if (lat == NULL || fifo_probe == NULL || fifo_t0 == NULL || out == NULL || rep == NULL) {
    bench_failf(res, "out of memory");
    goto done;
  }
  size_t head = 0, count = 0, nout = 0, sent = 0;
  uint64_t start = bench_now_ns(), end = start + (uint64_t)(secs * 1e9), last = start;
  double km = nr->radius_m / 1000;
  for (;;) {
    uint64_t now = bench_now_ns();
    /* Fill the pipeline: a command per free slot, written together. */
    while (now < end && count < (size_t)inflight) {
      size_t i = bench_rand(&rng) % nr->n;
      const bench_probe *p = &nr->probes[i];
      if (sent > 0) {
        memmove(out, out + sent, nout - sent);
        nout -= sent;
        sent = 0;
      }
      if (nout + p->cmd.len > (size_t)inflight * 512)
        break;
      memcpy(out + nout, p->cmd.data, p->cmd.len);
      nout += p->cmd.len;
      size_t slot = (head + count) % (size_t)inflight;
      fifo_probe[slot] = i;
      fifo_t0[slot] = now;
      count++;
    }
    if (count == 0)
      break;
    struct pollfd pf = {r->fd, POLLIN | (sent < nout ? POLLOUT : 0), 0};
    if (poll(&pf, 1, 30000) <= 0) {
      bench_failf(res, "redis stopped answering");
      break;
    }
    if ((pf.revents & POLLOUT) && sent < nout) {
      ssize_t k = write(r->fd, out + sent, nout - sent);
      if (k > 0)
        sent += (size_t)k;
      if (sent == nout)
        sent = nout = 0;
    }
    if (!(pf.revents & (POLLIN | POLLHUP | POLLERR)))
      continue;
    if (rds_read(r) != 0) {
      bench_failf(res, "the connection to redis closed");
      break;
    }
    int k;
    while (count > 0 && (k = rds_next(r, &used, rep)) == 1) {
      uint64_t t = bench_now_ns();
      const bench_probe *p = &nr->probes[fifo_probe[head]];
      uint64_t t0 = fifo_t0[head];
      head = (head + 1) % (size_t)inflight;
      count--;
      last = t;
      const char *bad = NULL;
      char msg[200];
      if (rep->type == '-') {
        snprintf(msg, sizeof(msg), "GEOSEARCH: %s", rep->error);
        bad = msg;
      } else if (rep->type != '*' || rep->shape || (size_t)rep->count != rep->ndist ||
                 rep->count > nr->limit) {
        bad = "GEOSEARCH: not an array of at most 20 [member, distance] pairs";
      } else if (p->in_stock && rep->count == 0) {
        bad = "GEOSEARCH: nothing next to a site that holds the SKU";
      } else {
        for (size_t j = 0; j < rep->ndist && bad == NULL; j++)
          if (rep->dist[j] > km + 1e-4 || (j > 0 && rep->dist[j] < rep->dist[j - 1]))
            bad = "GEOSEARCH: a distance outside the radius or out of order";
      }
      if (bad != NULL) {
        res->errors++;
        res->codes[GRPC_STATUS_INTERNAL]++;
        if (res->first_error[0] == '\0')
          snprintf(res->first_error, sizeof(res->first_error), "%s", bad);
        continue;
      }
      res->items++;
      res->calls++;
      if (nlat == cap) {
        uint64_t *q = realloc(lat, 2 * cap * sizeof(*lat));
        if (q != NULL) {
          lat = q;
          cap *= 2;
        }
      }
      if (nlat < cap)
        lat[nlat++] = t - t0;
    }
    if (count > 0 && k < 0) {
      bench_failf(res, "redis sent a malformed reply");
      break;
    }
    rds_compact(r, &used);
  }
  res->secs += (double)(last - start) / 1e9;
  if (nlat > 0) {
    qsort(lat, nlat, sizeof(*lat), rds_cmp_u64);
    res->p50 = (double)lat[(nlat - 1) / 2] / 1e6;
    res->p99 = (double)lat[(size_t)((double)(nlat - 1) * 0.99)] / 1e6;
    res->max = (double)lat[nlat - 1] / 1e6;
  }
done:
  free(rep);
  free(out);
  free(fifo_t0);
  free(fifo_probe);
  free(lat);
}

void bench_redis_near(bench *b, const char *geoadd, size_t len, size_t ncmds,
                      const bench_near *nr, bench_result *res) {
  char path[512], why[256] = "";
  if (rds_find(b->o.redis, path, sizeof(path)) != 0) {
    res->skipped = 1;
    snprintf(res->note, sizeof(res->note), "%s is not installed (not on PATH): no comparison",
             b->o.redis);
    bench_note("near: %s", res->note);
    return;
  }
  rds r;
  res->ran = 1;
  if (rds_start(path, &r, why, sizeof(why)) != 0) {
    bench_failf(res, "redis: %s", why);
    return;
  }
  bench_note("near: %s on 127.0.0.1:%d (pid %ld): loading %zu GEO keys", path, r.port,
             (long)r.pid, ncmds);
  uint64_t t0 = bench_now_ns();
  if (rds_load(&r, geoadd, len, ncmds, why, sizeof(why)) != 0) {
    bench_failf(res, "redis: %s", why);
    rds_stop(&r);
    return;
  }
  bench_fig(res, "load_secs", (double)(bench_now_ns() - t0) / 1e9);
  bench_fig(res, "keys", (double)ncmds);
  bench_result warm;
  memset(&warm, 0, sizeof(warm));
  rds_probe(&r, nr, b->o.near_inflight, 1.0, &warm);
  bench_merge_warmup(res, &warm);
  bench_mark *mk = bench_mark_take(r.pid, NULL, 1);
  rds_probe(&r, nr, b->o.near_inflight, b->o.duration, res);
  bench_mark_diff(mk, res);
  snprintf(res->note, sizeof(res->note), "%.200s (pid %ld), one connection, %d pipelined", path,
           (long)r.pid, b->o.near_inflight);
  rds_stop(&r);
}
