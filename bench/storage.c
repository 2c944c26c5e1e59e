/*
 * storage.c - partsledger-bench-storage: the storage layer alone, with
 * no gRPC and no other process, to show what the writer and the readers cost
 * by themselves.
 *
 * It makes a log in a temporary directory, appends pre-signed ActorEnrolled
 * entries in groups of --group through pl_log_append (each group one durable
 * LMDB commit, exactly as the server's writer does), then times inclusion
 * proofs and leaf reads at random indices through a pl_reader. Only the
 * pl_log_append and reader calls are timed; building and signing are not.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "client.h"
#include "error.h"
#include "keys.h"
#include "log.h"

static double pl__now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A signed enrollment of a fresh random key, decoded as the server would. */
static pl_append *pl__make(pl_arena *a, const pl_key *admin) {
  Partsledger__V1__ActorEnrolled *b = pl_arena_alloc(a, sizeof(*b));
  Partsledger__V1__Entry *e = pl_arena_alloc(a, sizeof(*e));
  pl_append *it = pl_arena_alloc(a, sizeof(*it));
  uint8_t *pk = pl_arena_alloc(a, PL_PUBLIC_KEY_BYTES);
  if (b == NULL || e == NULL || it == NULL || pk == NULL)
    return NULL;
  partsledger__v1__actor_enrolled__init(b);
  partsledger__v1__entry__init(e);
  randombytes_buf(pk, PL_PUBLIC_KEY_BYTES);
  b->public_key.data = pk;
  b->public_key.len = PL_PUBLIC_KEY_BYTES;
  b->role = PARTSLEDGER__V1__ROLE__ROLE_AUDITOR;
  b->name = "storage bench auditor";
  e->body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  e->actor_enrolled = b;
  Partsledger__V1__SignedEntry *se;
  if (pl_entry_build(admin, e, a, &se) != 0)
    return NULL;
  memset(it, 0, sizeof(*it));
  it->signed_entry = se;
  it->entry = e;
  return it;
}

static const char pl__usage[] =
    "usage: partsledger-bench-storage [--group N] [--entries N] [--reads N]\n"
    "\n"
    "Appends --entries (default 200000) signed entries to a new log in a\n"
    "temporary directory, --group (default 64) per durable commit, then times\n"
    "--reads (default 200000) inclusion proofs and leaf reads at random indices.\n";

int main(int argc, char **argv) {
  long group = 64, entries = 200000, reads = 200000;
  static const struct option opts[] = {{"group", required_argument, NULL, 'g'},
                                       {"entries", required_argument, NULL, 'e'},
                                       {"reads", required_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    long *dst = ch == 'g' ? &group : ch == 'e' ? &entries : ch == 'r' ? &reads : NULL;
    if (dst == NULL) {
      fputs(pl__usage, ch == 'h' ? stdout : stderr);
      return ch == 'h' ? 0 : 2;
    }
    *dst = strtol(optarg, NULL, 10);
  }
  if (group < 1 || group > 100000 || entries < group || reads < 0) {
    fputs(pl__usage, stderr);
    return 2;
  }
  if (pl_crypto_init() != 0)
    return 1;

  uint8_t seed[PL_SEED_BYTES];
  pl_key *log_key, *admin;
  randombytes_buf(seed, sizeof(seed));
  pl_key_from_seed(seed, &log_key);
  randombytes_buf(seed, sizeof(seed));
  pl_key_from_seed(seed, &admin);
  char dir[] = "/tmp/pl-bench-storage-XXXXXX";
  if (mkdtemp(dir) == NULL)
    return 1;
  pl_log_config cfg = {.dir = dir, .origin = "bench.invalid/storage", .log_key = log_key,
                       .admin_key = pl_key_public(admin)};
  pl_log *log;
  char why[256];
  if (pl_log_open(&cfg, &log, why, sizeof(why)) != 0) {
    fprintf(stderr, "partsledger-bench-storage: %s\n", why);
    return 1;
  }

  pl_arena *a = pl_arena_new(1 << 20);
  pl_append **items = calloc((size_t)group, sizeof(*items));
  double spent = 0;
  long done = 0;
  while (done < entries) {
    pl_arena_reset(a);
    for (long i = 0; i < group; i++)
      if ((items[i] = pl__make(a, admin)) == NULL)
        return 1;
    pl_head head;
    double t = pl__now();
    int rc = pl_log_append(log, items, (size_t)group, &head);
    spent += pl__now() - t;
    for (long i = 0; rc == 0 && i < group; i++)
      rc = items[i]->err;
    if (rc != 0) {
      fprintf(stderr, "partsledger-bench-storage: append: %s\n", pl_strerror(rc));
      return 1;
    }
    done += group;
  }
  printf("append: %ld entries in groups of %ld: %.0f entries/s (%.1f us each, "
         "one durable commit per group)\n",
         done, group, (double)done / spent, spent / (double)done * 1e6);

  pl_reader *r;
  if (reads > 0 && pl_reader_new(log, &r) == 0) {
    uint64_t size = (uint64_t)done + 1;
    pl_hash proof[PL_MERKLE_MAX_PROOF];
    size_t n;
    for (int pass = 0; pass < 2; pass++) { /* the first pass warms the caches */
      double t = pl__now();
      for (long i = 0; i < reads; i++) {
        pl_reader_begin(r);
        if (pl_reader_inclusion(r, randombytes_uniform((uint32_t)size), size, proof, &n))
          return 1;
        pl_reader_end(r);
      }
      if (pass == 1)
        printf("proof:  %.2f us per inclusion proof at %llu entries\n",
               (pl__now() - t) / (double)reads * 1e6, (unsigned long long)size);
    }
    double t = pl__now();
    for (long i = 0; i < reads; i++) {
      const uint8_t *leaf;
      size_t len;
      uint8_t hash[PL_HASH_BYTES];
      pl_reader_begin(r);
      if (pl_reader_leaf(r, randombytes_uniform((uint32_t)size), &leaf, &len, hash))
        return 1;
      pl_reader_end(r);
    }
    printf("leaf:   %.2f us per leaf read\n", (pl__now() - t) / (double)reads * 1e6);
    pl_reader_free(r);
  }

  pl_log_close(log);
  pl_key_free(log_key);
  pl_key_free(admin);
  pl_arena_free(a);
  free(items);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : 1;
}
