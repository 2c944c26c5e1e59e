/*
 * log.c - the ledger over the store: leaves, tree nodes, the signed head,
 * the request index, and the group transaction that appends entries and
 * hands each to apply.c. See log.h for the tables.
 *
 * Depends on db.h (the store), apply.h (the derived state), merkle, note
 * and keys. Rebuilding and checking the derived state are in replay.c.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "clock.h"
#include "error.h"
#include "log_private.h"

#define PL__SCHEMA "1"
#define PL__HEAD_FIXED (8 + PL_HASH_BYTES)

struct pl_reader {
  pl_log *log;
  pl_txn *txn;
  uint64_t size; /* the snapshot's tree size, read once per snapshot */
  int have_size;
  /* The ragged right edge of the last size proved at: many proofs share a
   * size, and the edge costs a SHA-256 per level to compute. */
  pl_merkle_edge edge;
};

/* --- the node cache -------------------------------------------------------- */

static size_t pl__cache_slot_of(uint64_t tag) {
  return (size_t)((tag * 0x9e3779b97f4a7c15ull) >> 48) & (PL__CACHE_SLOTS - 1);
}

/* The cache's tag of a node, or 0 when the node is not cached. */
static uint64_t pl__cache_tag(unsigned level, uint64_t index) {
  if (level < PL__CACHE_LEVEL || level >= 64 || index >= (1ull << 57))
    return 0;
  return (index << 6 | level) + 1;
}

static int pl__cache_get(pl__node_cache *c, uint64_t tag, uint8_t out[PL_HASH_BYTES]) {
  size_t i = pl__cache_slot_of(tag);
  pthread_mutex_t *lock = &c->locks[i % PL__CACHE_STRIPES];
  pthread_mutex_lock(lock);
  int hit = c->slots[i].tag == tag;
  if (hit)
    memcpy(out, c->slots[i].hash, PL_HASH_BYTES);
  pthread_mutex_unlock(lock);
  return hit;
}

static void pl__cache_put(pl__node_cache *c, uint64_t tag, const uint8_t h[PL_HASH_BYTES]) {
  size_t i = pl__cache_slot_of(tag);
  pthread_mutex_t *lock = &c->locks[i % PL__CACHE_STRIPES];
  pthread_mutex_lock(lock);
  c->slots[i].tag = tag;
  memcpy(c->slots[i].hash, h, PL_HASH_BYTES);
  pthread_mutex_unlock(lock);
}

/* The node table keeps, under each leaf's index, the hashes of every complete
 * subtree that leaf finishes; the level-l subtree number i ends at leaf
 * ((i + 1) << l) - 1 and sits at offset l there. */
int pl__node_read(void *ctx, unsigned level, uint64_t index, uint8_t out[PL_HASH_BYTES]) {
  pl__nodes *nodes = ctx;
  if (level >= 64 || index >= (UINT64_MAX >> level))
    return PL_ERANGE;
  uint64_t tag = nodes->cache != NULL ? pl__cache_tag(level, index) : 0;
  if (tag != 0 && pl__cache_get(nodes->cache, tag, out))
    return 0;
  uint8_t k[8];
  pl_val v;
  pl_be64_put(k, ((index + 1) << level) - 1);
  int rc = pl_db_get(nodes->txn, PL_T_NODE, k, sizeof(k), &v);
  if (rc == PL_ENOTFOUND)
    return PL_ECORRUPT;
  if (rc != 0)
    return rc;
  if (v.len < (size_t)(level + 1) * PL_HASH_BYTES)
    return PL_ECORRUPT;
  memcpy(out, (const uint8_t *)v.data + (size_t)level * PL_HASH_BYTES, PL_HASH_BYTES);
  if (tag != 0)
    pl__cache_put(nodes->cache, tag, out);
  return 0;
}

/* --- meta --------------------------------------------------------------------- */

static int pl__meta_put(pl_txn *t, const char *name, const void *data, size_t len) {
  return pl_db_put(t, PL_T_META, name, strlen(name), data, len, 0);
}

static int pl__meta_get(pl_txn *t, const char *name, pl_val *v) {
  return pl_db_get(t, PL_T_META, name, strlen(name), v);
}

/* Head row: u64be size || root || checkpoint note. */
int pl__head_get(pl_txn *t, uint64_t *size, uint8_t root[PL_HASH_BYTES],
                 const char **note, size_t *note_len) {
  pl_val v;
  int rc = pl__meta_get(t, "head", &v);
  if (rc != 0)
    return rc;
  if (v.len < PL__HEAD_FIXED || v.len - PL__HEAD_FIXED >= PL_NOTE_MAX)
    return PL_ECORRUPT;
  const uint8_t *p = v.data;
  *size = pl_be64_get(p);
  memcpy(root, p + 8, PL_HASH_BYTES);
  *note = (const char *)p + PL__HEAD_FIXED;
  *note_len = v.len - PL__HEAD_FIXED;
  return 0;
}

/* --- the request index ------------------------------------------------------- */

/* Keyed by request_id and signer together, so one actor can never make
 * another's request look like a duplicate. The request_id comes first:
 * clients that make it time-ordered (client.h) turn every insert into an
 * append at the right edge of the B-tree, one page per commit rather than
 * one random page per entry. */
void pl__request_key(const Partsledger__V1__SignedEntry *se,
                     const Partsledger__V1__Entry *e, uint8_t key[PL__REQUEST_KEY]) {
  memcpy(key, e->request_id.data, PL_REQUEST_ID_BYTES);
  memcpy(key + PL_REQUEST_ID_BYTES, se->signer.data, PL_PUBLIC_KEY_BYTES);
}

void pl__request_row(const Partsledger__V1__SignedEntry *se, uint64_t index,
                     uint8_t row[PL__REQUEST_ROW]) {
  uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, se->entry.data, se->entry.len);
  pl_be64_put(row, index);
  memcpy(row + 8, h, PL__REQUEST_HASH);
}

/* Looks the request up. 0 when new; 1 when it is a retry of a logged entry
 * (the item is filled as a duplicate); PL_EEXIST when the id was used for
 * other entry bytes (the item is refused); or a storage error. */
static int pl__request_lookup(pl_txn *t, const uint8_t key[PL__REQUEST_KEY],
                              pl_append *it) {
  pl_val v;
  int rc = pl_db_get(t, PL_T_REQUEST, key, PL__REQUEST_KEY, &v);
  if (rc == PL_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (v.len != PL__REQUEST_ROW)
    return PL_ECORRUPT;
  uint64_t index = pl_be64_get(v.data);
  uint8_t mine[PL__REQUEST_ROW];
  pl__request_row(it->signed_entry, index, mine);
  if (memcmp(mine + 8, (const uint8_t *)v.data + 8, PL__REQUEST_HASH) != 0) {
    /* A retry is the same signer and the same entry bytes; the same id with
     * other bytes would drop the new content without a word. */
    it->err = PL_EEXIST;
    snprintf(it->msg, sizeof(it->msg),
             "request_id %02x%02x%02x%02x… was already used for another entry, "
             "index %llu",
             key[0], key[1], key[2], key[3], (unsigned long long)index);
    return PL_EEXIST;
  }
  pl__nodes nodes = {t, NULL};
  rc = pl__node_read(&nodes, 0, index, it->leaf_hash);
  if (rc != 0)
    return rc;
  it->index = index;
  it->duplicate = 1;
  return 1;
}

/* --- appending ------------------------------------------------------------------ */

static void pl__reject(pl_append *it, int err, const char *msg) {
  it->err = err;
  if (msg != it->msg)
    snprintf(it->msg, sizeof(it->msg), "%s", msg ? msg : pl_strerror(err));
}

/* Notes the cacheable nodes that leaf `index` finished (done[0..count)).
 * Best effort: without room they are simply read from the store later. */
static void pl__keep_fresh(pl_log *log, uint64_t index, const pl_hash *done,
                           unsigned count) {
  for (unsigned level = PL__CACHE_LEVEL; level < count; level++) {
    uint64_t tag = pl__cache_tag(level, index >> level);
    if (tag == 0)
      continue;
    if (log->nfresh == log->capfresh) {
      size_t cap = log->capfresh ? log->capfresh * 2 : 256;
      pl__cache_slot *p = realloc(log->fresh, cap * sizeof(*p));
      if (p == NULL)
        return;
      log->fresh = p;
      log->capfresh = cap;
    }
    log->fresh[log->nfresh].tag = tag;
    memcpy(log->fresh[log->nfresh].hash, done[level], PL_HASH_BYTES);
    log->nfresh++;
  }
}

/* Judges one entry and, when it passes, writes it as leaf `index`. Returns
 * 0 when the entry was judged (its err says whether it was appended; a
 * refused entry wrote nothing), or a storage error that fails the whole
 * transaction (something of the entry may have been written). */
static int pl__append_one(pl_log *log, pl_txn *t, pl_append *it, uint64_t index,
                          int genesis) {
  const Partsledger__V1__SignedEntry *se = it->signed_entry;
  uint8_t rkey[PL__REQUEST_KEY];
  int rc;

  pl__request_key(se, it->entry, rkey);
  rc = pl__request_lookup(t, rkey, it);
  if (rc == 1 || rc == PL_EEXIST)
    return 0;
  if (rc != 0)
    return rc;

  /* The log time is fixed before the rules run, so that every rule that
   * depends on time judges the entry at the moment its leaf records, and a
   * rebuild from the leaves judges it the same. */
  int64_t at = pl_now_ms();
  if (at < log->last_integrated_ms)
    at = log->last_integrated_ms;
  pl_arena_reset(log->arena);
  pl_apply a = {
      .txn = t,
      .arena = log->arena,
      .signed_entry = se,
      .entry = it->entry,
      .index = index,
      .at_ms = at,
      .genesis = genesis,
      .signer = se->signer.data,
      .msg = it->msg,
  };
  rc = pl_apply_check(&a);
  if (rc != 0) {
    /* Storage errors are the transaction's; the rest are the entry's. */
    if (rc == PL_EIO || rc == PL_ECORRUPT || rc == PL_ENOMEM || rc == PL_EINTERNAL)
      return rc;
    it->err = rc;
    return 0;
  }

  Partsledger__V1__Leaf leaf = PARTSLEDGER__V1__LEAF__INIT;
  leaf.index = index;
  leaf.integrated_at_ms = at;
  leaf.signed_entry = (Partsledger__V1__SignedEntry *)se;
  size_t leaf_len = partsledger__v1__leaf__get_packed_size(&leaf);

  uint8_t kbuf[8];
  pl_be64_put(kbuf, index);
  /* Reserve the leaf's room in the page and pack straight into it. */
  void *room;
  rc = pl_db_reserve(t, PL_T_LEAF, kbuf, sizeof(kbuf), leaf_len, PL_PUT_APPEND, &room);
  if (rc != 0)
    return rc;
  partsledger__v1__leaf__pack(&leaf, room);
  pl_merkle_leaf_hash(room, leaf_len, it->leaf_hash);

  pl_hash done[65];
  unsigned count;
  pl__nodes nodes = {t, NULL};
  rc = pl_merkle_append(pl__node_read, &nodes, index, it->leaf_hash, done, &count);
  if (rc == 0)
    rc = pl_db_put(t, PL_T_NODE, kbuf, sizeof(kbuf), done, (size_t)count * PL_HASH_BYTES,
                   PL_PUT_APPEND);
  uint8_t row[PL__REQUEST_ROW];
  pl__request_row(se, index, row);
  if (rc == 0)
    rc = pl_db_put(t, PL_T_REQUEST, rkey, sizeof(rkey), row, sizeof(row),
                   PL_PUT_NOOVERWRITE);
  if (rc == 0)
    rc = pl_apply_write(&a);
  if (rc != 0)
    return rc;
  log->last_integrated_ms = at;
  it->index = index;
  pl__keep_fresh(log, index, done, count);
  return 0;
}

/* Signs a checkpoint for `size` leaves of `t` and stores it as the head. */
static int pl__head_write(pl_log *log, pl_txn *t, uint64_t size, pl_head *head) {
  pl__nodes nodes = {t, NULL};
  char body[PL_NOTE_MAX];
  size_t body_len;
  int rc = pl_merkle_root(pl__node_read, &nodes, size, head->root);
  if (rc != 0)
    return rc;
  rc = pl_checkpoint_body(log->origin, size, head->root, body, sizeof(body), &body_len);
  if (rc != 0)
    return rc;
  rc = pl_note_sign(log->key, log->origin, body, body_len, head->checkpoint,
                    sizeof(head->checkpoint), &head->checkpoint_len);
  if (rc != 0)
    return rc;
  head->size = size;

  uint8_t row[PL__HEAD_FIXED + PL_NOTE_MAX];
  pl_be64_put(row, size);
  memcpy(row + 8, head->root, PL_HASH_BYTES);
  memcpy(row + PL__HEAD_FIXED, head->checkpoint, head->checkpoint_len);
  return pl__meta_put(t, "head", row, PL__HEAD_FIXED + head->checkpoint_len);
}

/* One transaction for items[0..n). See pl_log_append. */
static int pl__append_txn(pl_log *log, pl_append **items, size_t n, int genesis) {
  pl_txn *t = NULL;
  const uint64_t start = log->head.size;
  uint64_t size = start;
  size_t added = 0, first_added = n;
  int64_t last_ms = log->last_integrated_ms;
  int rc;

  for (size_t i = 0; i < n; i++) {
    items[i]->err = 0;
    items[i]->msg[0] = '\0';
    items[i]->duplicate = 0;
  }
  log->nfresh = 0;
  rc = pl_txn_begin(log->db, 1, &t);
  if (rc != 0)
    goto fail;
  for (size_t i = 0; i < n; i++) {
    rc = pl__append_one(log, t, items[i], size, genesis);
    if (rc != 0)
      goto fail;
    if (items[i]->err == 0 && !items[i]->duplicate) {
      if (added == 0)
        first_added = i;
      size++;
      added++;
    }
  }
  if (added == 0) {
    /* Only duplicates and rejections: nothing to commit, and the current
     * head already covers every duplicate. */
    pl_txn_abort(t);
    return 0;
  }
  pl_head next;
  rc = pl__head_write(log, t, size, &next);
  if (rc != 0)
    goto fail;
  rc = pl_txn_commit(t);
  t = NULL;
  if (rc != 0)
    goto fail;

  pthread_mutex_lock(&log->head_lock);
  log->head = next;
  pthread_mutex_unlock(&log->head_lock);
  for (size_t i = 0; log->cache != NULL && i < log->nfresh; i++)
    pl__cache_put(log->cache, log->fresh[i].tag, log->fresh[i].hash);
  return 0;

fail:
  pl_txn_abort(t);
  log->last_integrated_ms = last_ms;
  /* Nothing was written: every entry that looked appended is not. And every
   * verdict reached after the transaction's first append was reached
   * against state that is now rolled back: a duplicate of an entry earlier
   * in it, or a rule that saw it (an actor enrolled, a key revoked). Those
   * get the transaction's error too, which is safe to retry; only what was
   * judged against committed state keeps its answer. */
  for (size_t i = 0; i < n; i++) {
    pl_append *it = items[i];
    int appended = it->err == 0 && !it->duplicate;
    int in_group_dup = it->err == 0 && it->duplicate && it->index >= start;
    int judged_on_group = it->err != 0 && i > first_added;
    if (appended || in_group_dup || judged_on_group) {
      it->duplicate = 0;
      pl__reject(it, rc, NULL);
    }
  }
  return rc;
}

/* A transaction that runs out of pages is split in two and each half tried
 * on its own, down to single entries: an entry then fails only for its own
 * size. */
static int pl__append_split(pl_log *log, pl_append **items, size_t n, int genesis) {
  int rc = pl__append_txn(log, items, n, genesis);
  if (rc != PL_ETXNFULL)
    return rc;
  if (n == 1) {
    pl__reject(items[0], PL_ETXNFULL,
               "the entry needs more room than one transaction has");
    return 0;
  }
  rc = pl__append_split(log, items, n / 2, genesis);
  if (rc != 0)
    return rc; /* a storage failure: the second half is not tried */
  return pl__append_split(log, items + n / 2, n - n / 2, genesis);
}

int pl_log_append(pl_log *log, pl_append **items, size_t n, pl_head *head) {
  for (size_t i = 0; i < n; i++) {
    items[i]->err = PL_EBUSY; /* until a transaction judges it */
    snprintf(items[i]->msg, sizeof(items[i]->msg),
             "not written: an earlier part of its group failed; retry");
  }
  int rc = pl__append_split(log, items, n, 0);
  pl_log_head(log, head);
  return rc;
}

int pl_log_genesis(pl_log *log, const uint8_t admin[PL_PUBLIC_KEY_BYTES], char *why,
                   size_t why_len) {
  if (pl_log_size(log) != 0) {
    snprintf(why, why_len, "the log is not empty");
    return PL_ESTATE;
  }
  pl_arena *a = pl_arena_new(0);
  if (a == NULL)
    return PL_ENOMEM;
  Partsledger__V1__SignedEntry *se;
  Partsledger__V1__Entry *e;
  int rc = pl_apply_genesis(log->key, admin, pl_now_ms(), a, &se, &e);
  if (rc == 0) {
    pl_append item = {.signed_entry = se, .entry = e};
    pl_append *items[1] = {&item};
    rc = pl__append_split(log, items, 1, 1);
    if (rc == 0 && item.err != 0)
      rc = item.err;
    if (rc != 0)
      snprintf(why, why_len, "cannot write the genesis leaf: %s",
               item.msg[0] ? item.msg : pl_strerror(rc));
  }
  pl_arena_free(a);
  return rc;
}

int pl_log_admin_check(pl_log *log, const uint8_t pk[PL_PUBLIC_KEY_BYTES], char *why,
                       size_t why_len) {
  pl_txn *t;
  pl_actor actor;
  char hex[2 * PL_PUBLIC_KEY_BYTES + 1], first[2 * PL_PUBLIC_KEY_BYTES + 1] = "?";
  int rc = pl_txn_begin(log->db, 0, &t);
  if (rc != 0)
    return rc;
  /* The first admin is the one the genesis leaf enrolled. */
  pl_val v;
  if (pl_db_get(t, PL_T_LEAF, "\0\0\0\0\0\0\0\0", 8, &v) == 0) {
    Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(NULL, v.len, v.data);
    Partsledger__V1__Entry *e =
        l != NULL && l->signed_entry != NULL
            ? partsledger__v1__entry__unpack(NULL, l->signed_entry->entry.len,
                                             l->signed_entry->entry.data)
            : NULL;
    if (e != NULL && e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED &&
        e->actor_enrolled->public_key.len == PL_PUBLIC_KEY_BYTES)
      pl_hex_encode(e->actor_enrolled->public_key.data, PL_PUBLIC_KEY_BYTES, first);
    partsledger__v1__entry__free_unpacked(e, NULL);
    partsledger__v1__leaf__free_unpacked(l, NULL);
  }
  pl_hex_encode(pk, PL_PUBLIC_KEY_BYTES, hex);
  rc = pl_actor_get(t, pk, &actor);
  if (rc == PL_ENOTFOUND)
    snprintf(why, why_len, "%s is not an actor of this log (its first admin is %s)", hex,
             first);
  else if (rc == 0 && actor.revoked) {
    rc = PL_EREVOKED;
    snprintf(why, why_len, "%s was revoked in this log (its first admin is %s)", hex,
             first);
  } else if (rc == 0 && actor.role != PARTSLEDGER__V1__ROLE__ROLE_ADMIN) {
    rc = PL_EROLE;
    snprintf(why, why_len, "%s is a %s, not an admin, in this log (its first admin is %s)",
             hex, pl_role_name(actor.role), first);
  }
  pl_txn_abort(t);
  return rc;
}

/* Loads the head of an existing log and checks it against the tree. */
static int pl__head_load(pl_log *log, pl_txn *t, char *why, size_t why_len) {
  const char *note;
  size_t note_len;
  int rc = pl__head_get(t, &log->head.size, log->head.root, &note, &note_len);
  if (rc == PL_ENOTFOUND)
    return 0; /* empty log */
  if (rc != 0)
    return rc;
  memcpy(log->head.checkpoint, note, note_len);
  log->head.checkpoint[note_len] = '\0';
  log->head.checkpoint_len = note_len;

  /* The stored root must be the root of the stored tree, and the checkpoint
   * must be ours: a cheap tamper check at every start. */
  size_t body_len;
  uint8_t root[PL_HASH_BYTES];
  pl__nodes nodes = {t, NULL};
  rc = pl_merkle_root(pl__node_read, &nodes, log->head.size, root);
  if (rc != 0 || sodium_memcmp(root, log->head.root, PL_HASH_BYTES) != 0 ||
      pl_note_verify(log->vkey, note, note_len, &body_len) != 0) {
    snprintf(why, why_len, "stored tree does not match the signed checkpoint");
    return PL_ECORRUPT;
  }
  return 0;
}

/* Records origin and key on a new log, or checks them on an existing one. */
static int pl__identity(pl_log *log, pl_txn *t, char *why, size_t why_len) {
  pl_val v;
  int rc = pl__meta_get(t, "schema", &v);
  if (rc == PL_ENOTFOUND) {
    char version[16];
    snprintf(version, sizeof(version), "%d", PL_DERIVED_VERSION);
    rc = pl__meta_put(t, "schema", PL__SCHEMA, strlen(PL__SCHEMA));
    if (rc == 0)
      rc = pl__meta_put(t, "origin", log->origin, strlen(log->origin));
    if (rc == 0)
      rc = pl__meta_put(t, "log_key", log->pk, sizeof(log->pk));
    if (rc == 0) /* nothing derived yet, so nothing behind */
      rc = pl__meta_put(t, "derived", version, strlen(version));
    return rc;
  }
  if (rc != 0)
    return rc;
  if (v.len != strlen(PL__SCHEMA) || memcmp(v.data, PL__SCHEMA, v.len)) {
    snprintf(why, why_len, "unknown schema version in the data directory");
    return PL_ECORRUPT;
  }
  if (pl__meta_get(t, "origin", &v) != 0 || v.len != strlen(log->origin) ||
      memcmp(v.data, log->origin, v.len) != 0) {
    snprintf(why, why_len, "the log in this directory has another origin (%.*s)",
             (int)(v.len < 200 ? v.len : 200), (const char *)v.data);
    return PL_EINVAL;
  }
  if (pl__meta_get(t, "log_key", &v) != 0 || v.len != sizeof(log->pk) ||
      memcmp(v.data, log->pk, sizeof(log->pk)) != 0) {
    snprintf(why, why_len, "the log in this directory was made with another log key");
    return PL_EINVAL;
  }
  return 0;
}

/* The version of the stored derived state; 1 for logs from before it was
 * recorded. */
static int pl__derived_version(pl_txn *t, int *version) {
  pl_val v;
  int rc = pl__meta_get(t, "derived", &v);
  *version = 1;
  if (rc == PL_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  char buf[16];
  if (v.len == 0 || v.len >= sizeof(buf))
    return PL_ECORRUPT;
  memcpy(buf, v.data, v.len);
  buf[v.len] = '\0';
  *version = atoi(buf);
  return 0;
}

int pl__derived_record(pl_txn *t) {
  char version[16];
  snprintf(version, sizeof(version), "%d", PL_DERIVED_VERSION);
  return pl__meta_put(t, "derived", version, strlen(version));
}

int pl_log_open(const pl_log_config *cfg, pl_log **out, char *why, size_t why_len) {
  pl_log *log = NULL;
  pl_txn *t = NULL;
  int rc, version = PL_DERIVED_VERSION;
  char scratch[8];

  if (why == NULL) {
    why = scratch;
    why_len = sizeof(scratch);
  }
  why[0] = '\0';
  *out = NULL;
  if (cfg->dir == NULL || cfg->log_key == NULL || cfg->origin == NULL) {
    snprintf(why, why_len, "data directory, origin and log key are required");
    return PL_EINVAL;
  }
  if (pl_note_name_check(cfg->origin) != 0) {
    snprintf(why, why_len, "origin must be a key name: 1-%d printable characters, "
             "no spaces or '+'", PL_NOTE_NAME_MAX);
    return PL_EINVAL;
  }
  if (strlen(cfg->dir) >= sizeof(log->dir) - 64) {
    snprintf(why, why_len, "the data directory's path is too long");
    return PL_EINVAL;
  }
  if (cfg->existing && !pl_db_exists(cfg->dir)) {
    snprintf(why, why_len, "no log in %s", cfg->dir);
    return PL_ENOTFOUND;
  }
  if (mkdir(cfg->dir, 0700) != 0 && errno != EEXIST) {
    snprintf(why, why_len, "cannot create %s: %s", cfg->dir, strerror(errno));
    return PL_EIO;
  }

  log = calloc(1, sizeof(*log));
  if (log == NULL)
    return PL_ENOMEM;
  /* The store would let a second process write too, but the head, the
   * writer's order and the signed checkpoints belong to one process: hold
   * the directory exclusively. */
  char lock_path[4096];
  snprintf(lock_path, sizeof(lock_path), "%s/partsledger.lock", cfg->dir);
  log->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (log->lock_fd < 0 || flock(log->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int busy = log->lock_fd >= 0 && errno == EWOULDBLOCK;
    if (busy)
      snprintf(why, why_len, "the data directory is in use by another process");
    else
      snprintf(why, why_len, "cannot lock %s: %s", lock_path, strerror(errno));
    if (log->lock_fd >= 0)
      close(log->lock_fd);
    free(log);
    return busy ? PL_ELOCKED : PL_EIO;
  }
  pthread_mutex_init(&log->head_lock, NULL);
  log->key = cfg->log_key;
  snprintf(log->dir, sizeof(log->dir), "%s", cfg->dir);
  log->map_size = cfg->map_size;
  snprintf(log->origin, sizeof(log->origin), "%s", cfg->origin);
  memcpy(log->pk, pl_key_public(cfg->log_key), sizeof(log->pk));
  rc = pl_note_vkey(log->origin, log->pk, log->vkey, sizeof(log->vkey));
  if (rc != 0)
    goto fail;
  log->arena = pl_arena_new(16384);
  log->cache = calloc(1, sizeof(*log->cache));
  if (log->arena == NULL || log->cache == NULL) {
    rc = PL_ENOMEM;
    goto fail;
  }
  for (int i = 0; i < PL__CACHE_STRIPES; i++)
    pthread_mutex_init(&log->cache->locks[i], NULL);

  rc = pl_db_open(cfg->dir, cfg->map_size, &log->db, why, why_len);
  if (rc != 0)
    goto fail;
  pl_db_set_txn_budget(log->db, cfg->txn_budget);
  rc = pl_txn_begin(log->db, 1, &t);
  if (rc == 0)
    rc = pl__identity(log, t, why, why_len);
  if (rc == 0)
    rc = pl__head_load(log, t, why, why_len);
  if (rc == 0)
    rc = pl__derived_version(t, &version);
  if (rc != 0)
    goto fail;
  rc = pl_txn_commit(t);
  t = NULL;
  if (rc != 0)
    goto fail;

  /* Derived state of an older version is never served: it is recomputed
   * from the leaves, before anything else can read it. */
  if (version > PL_DERIVED_VERSION) {
    snprintf(why, why_len, "the data's derived state is of version %d, newer than "
             "this program's %d", version, PL_DERIVED_VERSION);
    rc = PL_EINVAL;
    goto fail;
  }
  if (version < PL_DERIVED_VERSION && log->head.size > 0) {
    uint64_t replayed;
    fprintf(stderr, "partsledger: the derived state is of version %d, this program "
            "keeps version %d: rebuilding it from %llu leaves\n", version,
            PL_DERIVED_VERSION, (unsigned long long)log->head.size);
    rc = pl_log_rebuild(log, &replayed, why, why_len);
    if (rc != 0)
      goto fail;
  }

  if (log->head.size == 0 && !cfg->defer_genesis) {
    if (cfg->admin_key == NULL) {
      snprintf(why, why_len, "a new log needs the first admin's public key");
      rc = PL_EINVAL;
      goto fail;
    }
    rc = pl_log_genesis(log, cfg->admin_key, why, why_len);
    if (rc != 0)
      goto fail;
  }
  *out = log;
  return 0;

fail:
  pl_txn_abort(t);
  if (why[0] == '\0')
    snprintf(why, why_len, "%s", pl_strerror(rc));
  pl_log_close(log);
  return rc;
}

void pl_log_close(pl_log *log) {
  if (log == NULL)
    return;
  pl_db_close(log->db);
  pl_arena_free(log->arena);
  free(log->fresh);
  if (log->cache != NULL) {
    for (int i = 0; i < PL__CACHE_STRIPES; i++)
      pthread_mutex_destroy(&log->cache->locks[i]);
    free(log->cache);
  }
  pthread_mutex_destroy(&log->head_lock);
  close(log->lock_fd); /* releases the directory */
  free(log);
}

const char *pl_log_origin(const pl_log *log) { return log->origin; }
const char *pl_log_vkey(const pl_log *log) { return log->vkey; }
const uint8_t *pl_log_public_key(const pl_log *log) { return log->pk; }

int pl_log_sign_note(pl_log *log, const char *body, size_t len, char *out, size_t cap,
                     size_t *out_len) {
  return pl_note_sign(log->key, log->origin, body, len, out, cap, out_len);
}

void pl_log_head(pl_log *log, pl_head *out) {
  pthread_mutex_lock(&log->head_lock);
  *out = log->head;
  pthread_mutex_unlock(&log->head_lock);
}

uint64_t pl_log_size(pl_log *log) {
  pthread_mutex_lock(&log->head_lock);
  uint64_t size = log->head.size;
  pthread_mutex_unlock(&log->head_lock);
  return size;
}

/* --- reading ------------------------------------------------------------- */

int pl_reader_new(pl_log *log, pl_reader **out) {
  pl_reader *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  r->log = log;
  int rc = pl_txn_begin(log->db, 0, &r->txn);
  if (rc != 0) {
    free(r);
    return rc;
  }
  pl_txn_reset(r->txn);
  *out = r;
  return 0;
}

void pl_reader_free(pl_reader *r) {
  if (r == NULL)
    return;
  pl_txn_abort(r->txn);
  free(r);
}

int pl_reader_begin(pl_reader *r) {
  r->have_size = 0;
  return pl_txn_renew(r->txn);
}

void pl_reader_end(pl_reader *r) { pl_txn_reset(r->txn); }

pl_txn *pl_reader_txn(pl_reader *r) { return r->txn; }

int pl_reader_head(pl_reader *r, uint64_t *size, uint8_t root[PL_HASH_BYTES],
                   const char **checkpoint, size_t *checkpoint_len) {
  int rc = pl__head_get(r->txn, size, root, checkpoint, checkpoint_len);
  return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
}

static int pl__reader_size(pl_reader *r, uint64_t *size) {
  if (!r->have_size) {
    uint8_t root[PL_HASH_BYTES];
    const char *note;
    size_t len;
    int rc = pl_reader_head(r, &r->size, root, &note, &len);
    if (rc != 0)
      return rc;
    r->have_size = 1;
  }
  *size = r->size;
  return 0;
}

int pl_reader_leaf_hash(pl_reader *r, uint64_t index, uint8_t hash[PL_HASH_BYTES]) {
  uint64_t size;
  int rc = pl__reader_size(r, &size);
  if (rc != 0)
    return rc;
  if (index >= size)
    return PL_ERANGE;
  pl__nodes nodes = {r->txn, r->log->cache};
  return pl__node_read(&nodes, 0, index, hash);
}

int pl_reader_leaf(pl_reader *r, uint64_t index, const uint8_t **leaf, size_t *len,
                   uint8_t hash[PL_HASH_BYTES]) {
  int rc = pl_reader_leaf_hash(r, index, hash);
  if (rc != 0)
    return rc;
  uint8_t k[8];
  pl_val v;
  pl_be64_put(k, index);
  rc = pl_db_get(r->txn, PL_T_LEAF, k, sizeof(k), &v);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  *leaf = v.data;
  *len = v.len;
  return 0;
}

int pl_reader_root(pl_reader *r, uint64_t size, uint8_t root[PL_HASH_BYTES]) {
  uint64_t have;
  int rc = pl__reader_size(r, &have);
  if (rc != 0)
    return rc;
  if (size > have)
    return PL_ERANGE;
  pl__nodes nodes = {r->txn, r->log->cache};
  return pl_merkle_root(pl__node_read, &nodes, size, root);
}

/* The reader's edge for `size`, computed when the size changes; NULL when it
 * cannot be (the proof then meets the same error itself). */
static const pl_merkle_edge *pl__reader_edge(pl_reader *r, pl__nodes *nodes,
                                             uint64_t size) {
  if (r->edge.size != size &&
      pl_merkle_edge_init(pl__node_read, nodes, size, &r->edge) != 0)
    return NULL;
  return &r->edge;
}

int pl_reader_inclusion(pl_reader *r, uint64_t index, uint64_t size, pl_hash *out,
                        size_t *n) {
  uint64_t have;
  int rc = pl__reader_size(r, &have);
  if (rc != 0)
    return rc;
  if (size > have || index >= size)
    return PL_ERANGE;
  pl__nodes nodes = {r->txn, r->log->cache};
  const pl_merkle_edge *edge = pl__reader_edge(r, &nodes, size);
  return pl_merkle_inclusion_proof_edge(pl__node_read, &nodes, edge, index, size, out,
                                        n);
}

int pl_reader_consistency(pl_reader *r, uint64_t old_size, uint64_t new_size,
                          pl_hash *out, size_t *n) {
  uint64_t have;
  int rc = pl__reader_size(r, &have);
  if (rc != 0)
    return rc;
  if (new_size > have || old_size > new_size || old_size == 0)
    return PL_ERANGE;
  pl__nodes nodes = {r->txn, r->log->cache};
  const pl_merkle_edge *edge = pl__reader_edge(r, &nodes, new_size);
  return pl_merkle_consistency_proof_edge(pl__node_read, &nodes, edge, old_size,
                                          new_size, out, n);
}
