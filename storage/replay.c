/*
 * replay.c - the derived state recomputed from the leaves alone: the
 * rebuild at start (or `partsledgerd --rebuild`), and the full check that
 * compares the stored state with a recomputation (`--check`).
 *
 * A replay reads the leaves from one read snapshot and applies each one, at
 * its own index and log time, through the same apply.c as the writer, into
 * a store: the log's own (rebuild) or a scratch one (check). It commits
 * every few thousand leaves, halving that when a transaction runs out of
 * pages, and records the derived version only with the last commit, so a
 * rebuild cut short is simply done again. Private to the storage layer;
 * shares log_private.h with log.c.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "error.h"
#include "log_private.h"

#define PL__REPLAY_CHUNK 8192

typedef struct {
  pl_txn *src;    /* the snapshot holding the leaves */
  uint64_t size;  /* leaves to replay */
  pl_db *dst;     /* where the derived tables go */
  int record;     /* record the derived version with the last commit */
  pl_arena *arena;
  pl_hash frontier[64]; /* the complete subtrees left of the next leaf */
  char *why;
  size_t why_len;
} pl__replay_t;

/* Folds leaf i's hash into the frontier of complete subtrees. */
static void pl__frontier_add(pl_hash frontier[64], uint64_t i, const uint8_t *leaf,
                             size_t len) {
  pl_hash h;
  unsigned level = 0;
  pl_merkle_leaf_hash(leaf, len, h);
  while ((i >> level) & 1) {
    pl_merkle_node_hash(frontier[level], h, h);
    level++;
  }
  memcpy(frontier[level], h, PL_HASH_BYTES);
}

/* The root of a tree of `size` leaves from its frontier. */
static void pl__frontier_root(pl_hash frontier[64], uint64_t size,
                              uint8_t root[PL_HASH_BYTES]) {
  int have = 0;
  for (unsigned l = 0; l < 64; l++) {
    if (!((size >> l) & 1))
      continue;
    if (have)
      pl_merkle_node_hash(frontier[l], root, root);
    else
      memcpy(root, frontier[l], PL_HASH_BYTES);
    have = 1;
  }
  if (!have) /* size 0: the hash of the empty string */
    crypto_hash_sha256(root, NULL, 0);
}

static int pl__corrupt(pl__replay_t *r, uint64_t i, const char *what, const char *msg) {
  snprintf(r->why, r->why_len, "leaf %llu %s%s%s", (unsigned long long)i, what,
           msg != NULL ? ": " : "", msg != NULL ? msg : "");
  return PL_ECORRUPT;
}

static int pl__replay_leaf(pl__replay_t *r, pl_txn *wt, uint64_t i) {
  uint8_t k[8];
  pl_val v;
  char msg[PL_MSG_MAX];
  pl_be64_put(k, i);
  int rc = pl_db_get(r->src, PL_T_LEAF, k, sizeof(k), &v);
  if (rc == PL_ENOTFOUND)
    return pl__corrupt(r, i, "is missing", NULL);
  if (rc != 0)
    return rc;
  pl_arena_reset(r->arena);
  ProtobufCAllocator *alloc = pl_arena_allocator(r->arena);
  Partsledger__V1__Leaf *leaf = partsledger__v1__leaf__unpack(alloc, v.len, v.data);
  if (leaf == NULL || leaf->index != i || leaf->signed_entry == NULL)
    return pl__corrupt(r, i, "does not decode as its Leaf", NULL);
  pl__frontier_add(r->frontier, i, v.data, v.len);
  const Partsledger__V1__SignedEntry *se = leaf->signed_entry;
  Partsledger__V1__Entry *e =
      partsledger__v1__entry__unpack(alloc, se->entry.len, se->entry.data);
  if (e == NULL || se->signer.len != PL_PUBLIC_KEY_BYTES)
    return pl__corrupt(r, i, "does not hold an Entry", NULL);
  if ((rc = pl_entry_check(e, msg)) != 0)
    return pl__corrupt(r, i, "is not a well-formed entry", msg);

  pl_apply a = {
      .txn = wt,
      .arena = r->arena,
      .signed_entry = se,
      .entry = e,
      .index = i,
      .at_ms = leaf->integrated_at_ms,
      .genesis = i == 0,
      .signer = se->signer.data,
      .msg = msg,
  };
  rc = pl_apply_check(&a);
  if (rc == PL_EIO || rc == PL_ENOMEM || rc == PL_EINTERNAL)
    return rc;
  if (rc != 0) /* the log is the truth: rules must keep accepting it */
    return pl__corrupt(r, i, "is refused by this program's rules", msg);
  uint8_t rkey[PL__REQUEST_KEY], row[PL__REQUEST_ROW];
  pl__request_key(se, e, rkey);
  pl__request_row(se, i, row);
  rc = pl_db_put(wt, PL_T_REQUEST, rkey, sizeof(rkey), row, sizeof(row),
                 PL_PUT_NOOVERWRITE);
  if (rc == PL_EEXIST)
    return pl__corrupt(r, i, "repeats the request_id of an earlier leaf", NULL);
  if (rc == 0)
    rc = pl_apply_write(&a);
  return rc;
}

static int pl__replay_run(pl__replay_t *r, uint64_t *replayed) {
  uint64_t i = 0;
  size_t chunk = PL__REPLAY_CHUNK;
  int first = 1, rc = 0;
  pl_hash saved[64];
  *replayed = 0;
  while (first || i < r->size) {
    pl_txn *wt;
    memcpy(saved, r->frontier, sizeof(saved));
    rc = pl_txn_begin(r->dst, 1, &wt);
    if (rc != 0)
      return rc;
    for (int t = 0; first && rc == 0 && t < PL_T_COUNT; t++)
      if (pl_table_flags((pl_table)t) & PL_TABLE_DERIVED)
        rc = pl_db_drop(wt, (pl_table)t);
    uint64_t j = i;
    for (; rc == 0 && j < r->size && j - i < chunk; j++)
      rc = pl__replay_leaf(r, wt, j);
    if (rc == 0 && j == r->size && r->record)
      rc = pl__derived_record(wt);
    if (rc == 0)
      rc = pl_txn_commit(wt);
    else
      pl_txn_abort(wt);
    if (rc == PL_ETXNFULL && chunk > 1) {
      chunk /= 2;
      memcpy(r->frontier, saved, sizeof(saved));
      continue;
    }
    if (rc != 0)
      return rc;
    first = 0;
    i = j;
    *replayed = i;
  }
  return 0;
}

/* Replays the log's leaves from one snapshot into `dst`, and checks the
 * root of those leaves against the signed head. */
static int pl__replay(pl_log *log, pl_txn *src, pl_db *dst, int record,
                      uint64_t *replayed, char *why, size_t why_len) {
  pl__replay_t r = {.src = src, .dst = dst, .record = record, .why = why,
                  .why_len = why_len};
  uint8_t root[PL_HASH_BYTES], have[PL_HASH_BYTES];
  const char *note;
  size_t note_len;
  int rc = pl__head_get(src, &r.size, root, &note, &note_len);
  if (rc == PL_ENOTFOUND) {
    r.size = 0;
    crypto_hash_sha256(root, NULL, 0);
  } else if (rc != 0) {
    return rc;
  }
  (void)log;
  r.arena = pl_arena_new(65536);
  if (r.arena == NULL)
    return PL_ENOMEM;
  rc = pl__replay_run(&r, replayed);
  pl_arena_free(r.arena);
  if (rc != 0)
    return rc;
  pl__frontier_root(r.frontier, r.size, have);
  if (sodium_memcmp(have, root, PL_HASH_BYTES) != 0) {
    snprintf(why, why_len, "the root of the leaves is not the signed root");
    return PL_ECORRUPT;
  }
  return 0;
}

int pl_log_rebuild(pl_log *log, uint64_t *replayed, char *why, size_t why_len) {
  pl_txn *src;
  why[0] = '\0';
  int rc = pl_txn_begin(log->db, 0, &src);
  if (rc != 0)
    return rc;
  rc = pl__replay(log, src, log->db, 1, replayed, why, why_len);
  pl_txn_abort(src);
  if (rc != 0 && why[0] == '\0')
    snprintf(why, why_len, "rebuilding the derived state: %s", pl_strerror(rc));
  return rc;
}

/* --- the full check --------------------------------------------------------- */

/* The tree: leaves numbered 0..size-1, each decoding as itself with a valid
 * signature (leaf 0's by the log key), each stored node row equal to the
 * hashes recomputed from the leaf bytes, and the root the signed one. */
static int pl__check_tree(pl_log *log, pl_txn *t, uint64_t *checked, char *why,
                          size_t why_len) {
  pl_hash frontier[64];
  uint64_t size = 0, i = 0;
  uint8_t root[PL_HASH_BYTES], acc[PL_HASH_BYTES];
  const char *note;
  size_t note_len, body_len;
  pl_cursor *cur = NULL;
  pl_val k, v;
  char msg[PL_MSG_MAX];

  int rc = pl__head_get(t, &size, root, &note, &note_len);
  if (rc == PL_ENOTFOUND) { /* a log with no leaf yet: nothing signed */
    size = 0;
    crypto_hash_sha256(root, NULL, 0);
    rc = 0;
  } else if (rc == 0 && pl_note_verify(log->vkey, note, note_len, &body_len) != 0) {
    snprintf(why, why_len, "the stored checkpoint is not signed by the log key");
    rc = PL_ECORRUPT;
  }
  if (rc == 0)
    rc = pl_cursor_open(t, PL_T_LEAF, &cur);
  for (int r = rc == 0 ? pl_cursor_seek(cur, NULL, 0, &k, &v) : rc; rc == 0;
       r = pl_cursor_next(cur, &k, &v), i++) {
    if (r == PL_ENOTFOUND)
      break;
    if ((rc = r) != 0)
      break;
    if (k.len != 8 || pl_be64_get(k.data) != i || i >= size) {
      snprintf(why, why_len, "leaf %llu is missing, or a leaf is beyond the head",
               (unsigned long long)i);
      rc = PL_ECORRUPT;
      break;
    }
    Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(NULL, v.len, v.data);
    if (l == NULL || l->index != i || l->signed_entry == NULL) {
      snprintf(why, why_len, "leaf %llu does not decode as Leaf %llu",
               (unsigned long long)i, (unsigned long long)i);
      rc = PL_ECORRUPT;
    } else if ((i == 0 && (l->signed_entry->signer.len != PL_PUBLIC_KEY_BYTES ||
                           memcmp(l->signed_entry->signer.data, log->pk,
                                  PL_PUBLIC_KEY_BYTES) != 0)) ||
               pl_signed_entry_verify(l->signed_entry, msg) != 0) {
      snprintf(why, why_len, "leaf %llu: entry signature does not verify",
               (unsigned long long)i);
      rc = PL_ECORRUPT;
    }
    partsledger__v1__leaf__free_unpacked(l, NULL);
    if (rc != 0)
      break;

    /* Recompute the subtrees leaf i completes, from the frontier of
     * complete subtrees left of it, and compare with the stored row. */
    pl_hash done[65];
    unsigned n = 0;
    pl_merkle_leaf_hash(v.data, v.len, done[n++]);
    while ((i >> (n - 1)) & 1) {
      pl_merkle_node_hash(frontier[n - 1], done[n - 1], done[n]);
      n++;
    }
    memcpy(frontier[n - 1], done[n - 1], PL_HASH_BYTES);
    pl_val nv;
    if (pl_db_get(t, PL_T_NODE, k.data, k.len, &nv) != 0 ||
        nv.len != n * PL_HASH_BYTES || memcmp(nv.data, done, nv.len) != 0) {
      snprintf(why, why_len, "stored tree hashes at leaf %llu do not match the leaves",
               (unsigned long long)i);
      rc = PL_ECORRUPT;
      break;
    }
  }
  pl_cursor_close(cur);
  if (rc != 0)
    return rc;
  if (i != size) {
    snprintf(why, why_len, "the head says %llu leaves, the log holds %llu",
             (unsigned long long)size, (unsigned long long)i);
    return PL_ECORRUPT;
  }
  pl__frontier_root(frontier, size, acc);
  if (sodium_memcmp(acc, root, PL_HASH_BYTES) != 0) {
    snprintf(why, why_len, "the root of the leaves is not the signed root");
    return PL_ECORRUPT;
  }
  *checked = i;
  return 0;
}

static int pl__pair_cmp(pl_val ak, pl_val av, pl_val bk, pl_val bv) {
  size_t n = ak.len < bk.len ? ak.len : bk.len;
  int c = memcmp(ak.data, bk.data, n);
  if (c == 0 && ak.len != bk.len)
    c = ak.len < bk.len ? -1 : 1;
  if (c != 0)
    return c;
  n = av.len < bv.len ? av.len : bv.len;
  c = memcmp(av.data, bv.data, n);
  if (c == 0 && av.len != bv.len)
    c = av.len < bv.len ? -1 : 1;
  return c;
}

/* Merges one table of the stored state (a) with the recomputed one (b):
 * rows only in a are "extra", only in b "missing"; a key in both with other
 * values shows as both, which diff reports once as "differs". */
static int pl__compare_table(pl_txn *a, pl_txn *b, pl_table tb, pl_diff_fn diff,
                             void *ctx, uint64_t *differences) {
  pl_cursor *ca = NULL, *cb = NULL;
  pl_val ak, av, bk, bv;
  int rc = pl_cursor_open(a, tb, &ca);
  if (rc == 0)
    rc = pl_cursor_open(b, tb, &cb);
  if (rc != 0)
    goto done;
  int ra = pl_cursor_seek(ca, NULL, 0, &ak, &av);
  int rb = pl_cursor_seek(cb, NULL, 0, &bk, &bv);
  while (rc == 0 && (ra == 0 || rb == 0)) {
    if ((ra != 0 && ra != PL_ENOTFOUND) || (rb != 0 && rb != PL_ENOTFOUND)) {
      rc = ra != 0 && ra != PL_ENOTFOUND ? ra : rb;
      break;
    }
    int c = ra != 0 ? 1 : rb != 0 ? -1 : pl__pair_cmp(ak, av, bk, bv);
    if (c == 0) {
      ra = pl_cursor_next(ca, &ak, &av);
      rb = pl_cursor_next(cb, &bk, &bv);
      continue;
    }
    (*differences)++;
    int same_key = ra == 0 && rb == 0 && ak.len == bk.len &&
                   memcmp(ak.data, bk.data, ak.len) == 0;
    if (same_key) {
      if (diff != NULL)
        diff(ctx, pl_table_name(tb), ak.data, ak.len, "differs");
      ra = pl_cursor_next(ca, &ak, &av);
      rb = pl_cursor_next(cb, &bk, &bv);
    } else if (c < 0) {
      if (diff != NULL)
        diff(ctx, pl_table_name(tb), ak.data, ak.len, "extra");
      ra = pl_cursor_next(ca, &ak, &av);
    } else {
      if (diff != NULL)
        diff(ctx, pl_table_name(tb), bk.data, bk.len, "missing");
      rb = pl_cursor_next(cb, &bk, &bv);
    }
  }
done:
  pl_cursor_close(ca);
  pl_cursor_close(cb);
  return rc;
}

/* Recomputes the derived state into a scratch store and compares. */
static int pl__check_derived(pl_log *log, pl_txn *src, pl_diff_fn diff, void *ctx,
                             char *why, size_t why_len) {
  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s/pl-check-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) {
    snprintf(why, why_len, "cannot make a scratch directory %s: %s", dir, strerror(errno));
    return PL_EIO;
  }
  pl_db *scratch = NULL;
  pl_txn *b = NULL;
  uint64_t replayed, differences = 0;
  int rc = pl_db_open(dir, log->map_size, &scratch, why, why_len);
  if (rc == 0)
    rc = pl__replay(log, src, scratch, 0, &replayed, why, why_len);
  if (rc == 0)
    rc = pl_txn_begin(scratch, 0, &b);
  for (int t = 0; rc == 0 && t < PL_T_COUNT; t++)
    if (pl_table_flags((pl_table)t) & PL_TABLE_DERIVED)
      rc = pl__compare_table(src, b, (pl_table)t, diff, ctx, &differences);
  pl_txn_abort(b);
  pl_db_close(scratch);
  pl_db_remove(dir);
  if (rc == 0 && differences > 0) {
    snprintf(why, why_len, "the derived state differs from the leaves' in %llu rows",
             (unsigned long long)differences);
    rc = PL_ECORRUPT;
  }
  return rc;
}

int pl_log_check(pl_log *log, uint64_t *checked, pl_diff_fn diff, void *ctx, char *why,
                 size_t why_len) {
  pl_txn *t;
  *checked = 0;
  snprintf(why, why_len, "ok");
  int rc = pl_txn_begin(log->db, 0, &t);
  if (rc != 0)
    return rc;
  rc = pl__check_tree(log, t, checked, why, why_len);
  if (rc == 0)
    rc = pl__check_derived(log, t, diff, ctx, why, why_len);
  pl_txn_abort(t);
  return rc;
}
