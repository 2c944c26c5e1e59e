/*
 * main.c - partsledgerd: flags, keys, the log, the server, and a clean stop.
 *
 * SIGINT and SIGTERM are blocked in every thread and taken with sigwait() in
 * main, so no gRPC call ever runs in a signal handler.
 */
#include <errno.h>
#include <getopt.h>
#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "keys.h"
#include "log.h"
#include "rpc.h"
#include "text.h"

static const char pl__usage[] =
    "usage: partsledgerd [options]\n"
    "\n"
    "Serves the partsledger append-only signed ledger over gRPC.\n"
    "\n"
    "  --data DIR          LMDB data directory (default ./var/data)\n"
    "  --listen HOST:PORT  address to serve on (default 127.0.0.1:50051;\n"
    "                      port 0 picks a free port)\n"
    "  --log-key FILE      the log's Ed25519 key: 64 hex characters of seed\n"
    "                      (default ./var/log.key; make one with\n"
    "                      'partsledger keygen --out FILE')\n"
    "  --origin NAME       checkpoint origin and note key name\n"
    "                      (default localhost/partsledger)\n"
    "  --admin-key HEX     public key of the first admin; needed only when\n"
    "                      DIR holds no log yet\n"
    "  --workers N         threads that check signatures and serve long pages\n"
    "                      (default: number of CPUs); one more thread serves\n"
    "                      gRPC and the quick calls\n"
    "  --map-size MIB      LMDB map size in MiB (default 65536)\n"
    "  --ready-file FILE   once serving, write HOST:PORT to FILE\n"
    "  --check             do not serve: rebuild the tree from the leaves,\n"
    "                      check every stored hash, entry signature and the\n"
    "                      signed head, recompute the derived state (actors,\n"
    "                      requests, ...) from the leaves and compare it with\n"
    "                      the stored one, print every difference (table and\n"
    "                      key) and the result, and exit (0 = intact)\n"
    "  --rebuild           do not serve: recompute every derived table from\n"
    "                      the leaves alone, check the tree's root against the\n"
    "                      signed head, store the result and exit (a data\n"
    "                      directory whose derived state is of an older\n"
    "                      version is rebuilt at start anyway)\n"
    "  --version           print the version and exit\n"
    "  --help              this text\n"
    "\n"
    "Exit status when serving: 0 after a clean stop; 1 after a failure a\n"
    "restart may cure (a commit failed, the disk is full or failing, the\n"
    "address cannot be bound or the data directory is in use); 2 for a usage\n"
    "or configuration error that a restart cannot cure (flags, key file, a\n"
    "data directory of another origin or log key, stored data whose root does\n"
    "not match its signed head). With --check: 0 intact, 1 not, 2 usage;\n"
    "with --rebuild: 0 rebuilt, 1 a storage failure, 2 data that cannot be\n"
    "rebuilt (its leaves do not match its signed head).\n"
    "\n"
    "gRPC's own log lines are shown only when GRPC_VERBOSITY is set.\n";

/* Set by the writer thread when a commit fails; read after the stop. */
static atomic_int pl__storage_err;

/* Fail-stop: the server stops as on SIGTERM (what is in flight is answered)
 * and exits 1, so that a supervisor restarts it on data it checks first. */
static void pl__storage_failed(void *ctx, int err) {
  (void)ctx;
  atomic_store(&pl__storage_err, err);
  fprintf(stderr, "partsledgerd: a commit failed: %s; stopping\n", pl_strerror(err));
  kill(getpid(), SIGTERM);
}

/* Prints one difference --check found. */
static void pl__print_diff(void *ctx, const char *table, const uint8_t *key,
                           size_t klen, const char *what) {
  unsigned *shown = ctx;
  if (++*shown > 1000)
    return; /* the count in the summary says how many more */
  printf("partsledgerd: derived state: table %s, key ", table);
  for (size_t i = 0; i < klen && i < 128; i++)
    printf("%02x", key[i]);
  printf("%s: %s\n", klen > 128 ? "…" : "", what);
}

/* gRPC's own lines ("Failed to add port...") say in its words what the
 * server then says in the user's; they are shown when asked for. */
static void pl__grpc_log_quiet(gpr_log_func_args *args) { (void)args; }

/* Writes the bound address to `path` through a rename, so a reader never
 * sees half of it. */
static int pl__write_ready(const char *path, const char *listen, int port) {
  char tmp[4096], host[256];
  const char *colon = strrchr(listen, ':');
  size_t hlen = colon ? (size_t)(colon - listen) : strlen(listen);
  if (hlen >= sizeof(host))
    hlen = sizeof(host) - 1;
  memcpy(host, listen, hlen);
  host[hlen] = '\0';
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    return -1;
  fprintf(f, "%s:%d\n", host, port);
  if (fclose(f) != 0)
    return -1;
  return rename(tmp, path);
}

int main(int argc, char **argv) {
  const char *data = "var/data", *listen = "127.0.0.1:50051";
  const char *log_key_path = "var/log.key", *origin = "localhost/partsledger";
  const char *admin_hex = NULL, *ready_file = NULL;
  int check = 0, rebuild = 0;
  long workers = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned long long map_mib = 65536;
  static const struct option opts[] = {
      {"data", required_argument, NULL, 'd'},
      {"listen", required_argument, NULL, 'l'},
      {"log-key", required_argument, NULL, 'k'},
      {"origin", required_argument, NULL, 'o'},
      {"admin-key", required_argument, NULL, 'a'},
      {"workers", required_argument, NULL, 'w'},
      {"map-size", required_argument, NULL, 'm'},
      {"ready-file", required_argument, NULL, 'r'},
      {"check", no_argument, NULL, 'c'},
      {"rebuild", no_argument, NULL, 'b'},
      {"version", no_argument, NULL, 'V'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int ch;
  char *end;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (ch) {
    case 'd': data = optarg; break;
    case 'l': listen = optarg; break;
    case 'k': log_key_path = optarg; break;
    case 'o': origin = optarg; break;
    case 'a': admin_hex = optarg; break;
    case 'r': ready_file = optarg; break;
    case 'c': check = 1; break;
    case 'b': rebuild = 1; break;
    case 'V':
      printf("partsledgerd %s\n", PL_VERSION);
      return 0;
    case 'w':
      errno = 0;
      workers = strtol(optarg, &end, 10);
      if (errno || *end || workers < 1 || workers > 64) {
        fprintf(stderr, "partsledgerd: --workers must be 1..64\n");
        return 2;
      }
      break;
    case 'm':
      errno = 0;
      map_mib = strtoull(optarg, &end, 10);
      if (errno || *end || map_mib < 16 || map_mib > (1ull << 24)) {
        fprintf(stderr, "partsledgerd: --map-size must be 16..16777216 MiB\n");
        return 2;
      }
      break;
    case 'h':
      fputs(pl__usage, stdout);
      return 0;
    default:
      fputs(pl__usage, stderr);
      return 2;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "partsledgerd: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  if (workers < 1)
    workers = 2;
  if (check && rebuild) {
    fprintf(stderr, "partsledgerd: --check and --rebuild are separate runs\n");
    return 2;
  }
  if (!pl_host_port_ok(listen)) {
    fprintf(stderr, "partsledgerd: --listen wants HOST:PORT with PORT 0..65535 "
                    "(0 picks a free one), got '%s'\n", listen);
    return 2;
  }

  uint8_t admin[PL_PUBLIC_KEY_BYTES];
  if (admin_hex != NULL && pl_hex_decode(admin_hex, admin, sizeof(admin)) != 0) {
    fprintf(stderr, "partsledgerd: --admin-key must be 64 hex characters\n");
    return 2;
  }
  if (pl_crypto_init() != 0) {
    fprintf(stderr, "partsledgerd: cannot initialize libsodium\n");
    return 1;
  }
  pl_key *key = NULL;
  char why[256];
  int rc = pl_key_load(log_key_path, &key, why, sizeof(why));
  if (rc != 0) {
    fprintf(stderr, "partsledgerd: log key %s\n", why); /* why names the file */
    return 2;
  }

  /* Block the stop signals before any thread exists, so all inherit it. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* A check or a rebuild reads a log; it must not make one. The genesis
   * leaf waits until the address is bound: a start that cannot serve
   * leaves the directory as it found it. */
  pl_log_config cfg = {.dir = data, .origin = origin, .log_key = key,
                       .admin_key = admin_hex ? admin : NULL,
                       .map_size = (size_t)map_mib << 20,
                       .existing = check || rebuild, .defer_genesis = 1};
  pl_log *log = NULL;
  rc = pl_log_open(&cfg, &log, why, sizeof(why));
  if (rc != 0) {
    if (rc == PL_ENOTFOUND)
      fprintf(stderr, "partsledgerd: %s holds no log to %s\n", data,
              check ? "check" : "rebuild");
    else
      fprintf(stderr, "partsledgerd: %s: %s\n", data, why);
    pl_key_free(key);
    /* Another process holding the directory, a failing or full disk, may
     * go away; a wrong origin or key, or data that fails its check, will
     * not. */
    return rc == PL_ELOCKED || rc == PL_EIO || rc == PL_ENOMEM || rc == PL_EFULL ? 1 : 2;
  }

  if (check) {
    uint64_t checked = 0;
    unsigned shown = 0;
    rc = pl_log_check(log, &checked, pl__print_diff, &shown, why, sizeof(why));
    if (rc == 0)
      printf("partsledgerd: %s: %llu leaves intact; the tree's root is the signed root, "
             "and the derived state is the leaves' own\n",
             data, (unsigned long long)checked);
    else
      printf("partsledgerd: %s: TAMPERED OR CORRUPT: %s\n", data, why);
    pl_log_close(log);
    pl_key_free(key);
    return rc == 0 ? 0 : 1;
  }
  if (rebuild) {
    uint64_t replayed = 0;
    rc = pl_log_rebuild(log, &replayed, why, sizeof(why));
    if (rc == 0)
      printf("partsledgerd: %s: derived state rebuilt from %llu leaves; the tree's root "
             "is the signed root\n", data, (unsigned long long)replayed);
    else
      fprintf(stderr, "partsledgerd: %s: cannot rebuild: %s\n", data, why);
    pl_log_close(log);
    pl_key_free(key);
    return rc == 0 ? 0 : rc == PL_ECORRUPT ? 2 : 1;
  }
  if (pl_log_size(log) == 0 && admin_hex == NULL) {
    fprintf(stderr, "partsledgerd: %s: a new log needs the first admin's public key "
            "(--admin-key HEX)\n", data);
    pl_log_close(log);
    pl_key_free(key);
    return 2;
  }

  if (getenv("GRPC_VERBOSITY") == NULL)
    gpr_set_log_function(pl__grpc_log_quiet);
  grpc_init();
  pl_rpc_config rcfg = {listen, (int)workers, pl__storage_failed, NULL};
  pl_rpc *rpc = NULL;
  int port = 0;
  rc = pl_rpc_bind(&rcfg, log, &rpc, &port);
  if (rc != 0) {
    fprintf(stderr, "partsledgerd: cannot listen on %s (in use, or a bad address)\n",
            listen);
    grpc_shutdown();
    pl_log_close(log);
    pl_key_free(key);
    return 1;
  }
  if (pl_log_size(log) == 0) {
    rc = pl_log_genesis(log, admin, why, sizeof(why));
    if (rc != 0) {
      fprintf(stderr, "partsledgerd: %s: %s\n", data, why);
      pl_rpc_unbind(rpc);
      grpc_shutdown();
      pl_log_close(log);
      pl_key_free(key);
      return 1;
    }
    char hex[2 * PL_PUBLIC_KEY_BYTES + 1];
    fprintf(stderr, "partsledgerd: new log: its first admin is %s\n",
            pl_hex_encode(admin, sizeof(admin), hex));
  } else if (admin_hex != NULL) {
    if (pl_log_admin_check(log, admin, why, sizeof(why)) != 0)
      /* Not an error: the flag matters only for a new log. But whoever gave
       * it believes the key can sign here, and it cannot. */
      fprintf(stderr, "partsledgerd: warning: --admin-key %s; it cannot enroll or revoke "
              "anyone here\n", why);
    else
      fprintf(stderr, "partsledgerd: --admin-key %s is an admin of this log\n", admin_hex);
  }
  pl_rpc_serve(rpc);
  pl_head head;
  pl_log_head(log, &head);
  fprintf(stderr, "partsledgerd: serving %s on port %d, %llu entries, origin %s\n"
                  "partsledgerd: verifier key %s\n",
          data, port, (unsigned long long)head.size, pl_log_origin(log),
          pl_log_vkey(log));
  if (ready_file != NULL && pl__write_ready(ready_file, listen, port) != 0)
    fprintf(stderr, "partsledgerd: cannot write %s: %s\n", ready_file, strerror(errno));

  int sig = 0;
  sigwait(&stop, &sig);
  if (atomic_load(&pl__storage_err) == 0)
    fprintf(stderr, "partsledgerd: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  pl_rpc_stop(rpc);
  grpc_shutdown();
  pl_log_close(log);
  pl_key_free(key);
  /* Read again: a commit may also fail while the stop drains the writer. */
  int failed = atomic_load(&pl__storage_err);
  if (failed) {
    fprintf(stderr, "partsledgerd: stopped after a storage failure (%s); every "
                    "acknowledged entry is durable, and a restart checks the data\n",
            pl_strerror(failed));
    return 1;
  }
  fprintf(stderr, "partsledgerd: stopped cleanly\n");
  return 0;
}
