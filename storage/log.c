/*
 * log.c - the ledger in LMDB: the one file that owns the environment, the
 * write transaction and the read transactions. See log.h for the layout.
 *
 * Depends on LMDB, libsodium (through keys/merkle/note), protobuf-c and
 * kinds.c for the rules of each entry kind. LMDB return codes are translated
 * to PL_E* codes here (pl__mdb_err) and go no further.
 */
#include "log.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "arena.h"
#include "error.h"
#include "apply.h"

#define PL__SCHEMA "1"
#define PL__DEFAULT_MAP ((size_t)64 << 30)
#define PL__HEAD_FIXED (8 + PL_HASH_BYTES)

/* Complete subtrees at level PL__CACHE_LEVEL and up, kept in memory: every
 * proof needs one per level, and each read from LMDB is a descent from the
 * root with its cache misses. Level 4 and up is 1/8 of the leaf count: 125k
 * nodes at 1M entries, which the 2^18 slots (10 MiB) hold; past that, nodes
 * share slots, the last one read wins, and LMDB serves the rest.
 * Direct-mapped; a slot holds one (level, index) and its hash, which never
 * changes once committed. Striped locks keep it simple under any number of
 * readers. */
#define PL__CACHE_LEVEL 4
#define PL__CACHE_SLOTS (1u << 18)
#define PL__CACHE_STRIPES 64

typedef struct {
  uint64_t tag; /* (index << 6 | level) + 1; 0 = empty */
  uint8_t hash[PL_HASH_BYTES];
} pl__cache_slot;

typedef struct pl__node_cache {
  pthread_mutex_t locks[PL__CACHE_STRIPES];
  pl__cache_slot slots[PL__CACHE_SLOTS];
} pl__node_cache;

struct pl_log {
  int lock_fd; /* flock'ed: one process per data directory */
  MDB_env *env;
  pl__node_cache *cache;
  MDB_dbi leaf, node, meta, request;
  MDB_dbi state[PL__T_COUNT];
  const pl_key *key; /* borrowed from the config; outlives the log */
  char origin[PL_NOTE_NAME_MAX + 1];
  char vkey[PL_VKEY_MAX];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  int64_t last_integrated_ms; /* writer only: keeps integrated_at monotonic */
  pl_arena *arena;            /* writer only: reset for every entry */
  /* Writer only: the cacheable nodes the group being written finished,
   * put in the cache once it commits, so proofs find them at once. */
  pl__cache_slot *fresh;
  size_t nfresh, capfresh;
  pthread_mutex_t head_lock;  /* guards head for pl_log_head() */
  pl_head head;
};

struct pl_reader {
  pl_log *log;
  MDB_txn *txn;
  uint64_t size; /* the snapshot's tree size, read once per snapshot */
  int have_size;
  /* The ragged right edge of the last size proved at: many proofs share a
   * size, and the edge costs a SHA-256 per level to compute. */
  pl_merkle_edge edge;
};

/* A node source over one transaction, for the merkle.c functions. `cache`
 * is set for read transactions only: what they see is committed and so can
 * never change, while the writer's nodes may still be rolled back. */
typedef struct {
  MDB_txn *txn;
  MDB_dbi dbi;
  pl__node_cache *cache;
} pl__nodes;

static int pl__mdb_err(int rc) {
  switch (rc) {
  case MDB_SUCCESS:
    return 0;
  case MDB_NOTFOUND:
    return PL_ENOTFOUND;
  /* A full disk leaves no doubt about what was written: LMDB aborts the
   * transaction, as it does when the map is full. */
  case MDB_MAP_FULL:
  case MDB_TXN_FULL:
  case ENOSPC:
  case EDQUOT:
    return PL_EFULL;
  case MDB_CORRUPTED:
  case MDB_PAGE_NOTFOUND:
  case MDB_INVALID:
  case MDB_VERSION_MISMATCH:
    return PL_ECORRUPT;
  case ENOMEM:
    return PL_ENOMEM;
  default:
    return PL_EIO;
  }
}

static void pl__be64_put(uint8_t out[8], uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    out[i] = (uint8_t)v;
    v >>= 8;
  }
}

static uint64_t pl__be64_get(const uint8_t in[8]) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | in[i];
  return v;
}

static int64_t pl__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The node table keeps, under each leaf's index, the hashes of every complete
 * subtree that leaf finishes; the level-l subtree number i ends at leaf
 * ((i + 1) << l) - 1 and sits at offset l there. */
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
static int pl__node_read(void *ctx, unsigned level, uint64_t index,
                         uint8_t out[PL_HASH_BYTES]) {
  pl__nodes *nodes = ctx;
  if (level >= 64 || index >= (UINT64_MAX >> level))
    return PL_ERANGE;
  uint64_t tag = nodes->cache != NULL ? pl__cache_tag(level, index) : 0;
  if (tag != 0 && pl__cache_get(nodes->cache, tag, out))
    return 0;
  uint8_t k[8];
  pl__be64_put(k, ((index + 1) << level) - 1);
  MDB_val key = {sizeof(k), k}, val;
  int rc = mdb_get(nodes->txn, nodes->dbi, &key, &val);
  if (rc == MDB_NOTFOUND)
    return PL_ECORRUPT;
  if (rc != 0)
    return pl__mdb_err(rc);
  if (val.mv_size < (size_t)(level + 1) * PL_HASH_BYTES)
    return PL_ECORRUPT;
  memcpy(out, (const uint8_t *)val.mv_data + (size_t)level * PL_HASH_BYTES,
         PL_HASH_BYTES);
  if (tag != 0)
    pl__cache_put(nodes->cache, tag, out);
  return 0;
}

/* Head row: u64be size || root || checkpoint note. */
static int pl__head_decode(const MDB_val *v, uint64_t *size,
                           uint8_t root[PL_HASH_BYTES], const char **note,
                           size_t *note_len) {
  if (v->mv_size < PL__HEAD_FIXED || v->mv_size - PL__HEAD_FIXED >= PL_NOTE_MAX)
    return PL_ECORRUPT;
  const uint8_t *p = v->mv_data;
  *size = pl__be64_get(p);
  memcpy(root, p + 8, PL_HASH_BYTES);
  *note = (const char *)p + PL__HEAD_FIXED;
  *note_len = v->mv_size - PL__HEAD_FIXED;
  return 0;
}

static int pl__meta_put(pl_log *log, MDB_txn *txn, const char *name,
                        const void *data, size_t len) {
  MDB_val key = {strlen(name), (void *)name}, val = {len, (void *)data};
  return pl__mdb_err(mdb_put(txn, log->meta, &key, &val, 0));
}

static int pl__meta_get(pl_log *log, MDB_txn *txn, const char *name,
                        MDB_val *val) {
  MDB_val key = {strlen(name), (void *)name};
  return pl__mdb_err(mdb_get(txn, log->meta, &key, val));
}

/* --- state access for kinds.c ------------------------------------------- */

int pl__state_get(pl__wctx *w, pl__table t, const void *key, size_t klen,
                  const void **val, size_t *vlen) {
  MDB_val k = {klen, (void *)key}, v;
  int rc = mdb_get(w->txn, w->log->state[t], &k, &v);
  if (rc != 0)
    return pl__mdb_err(rc);
  *val = v.mv_data;
  *vlen = v.mv_size;
  return 0;
}

int pl__state_put(pl__wctx *w, pl__table t, const void *key, size_t klen,
                  const void *val, size_t vlen) {
  MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
  return pl__mdb_err(mdb_put(w->txn, w->log->state[t], &k, &v, 0));
}

/* --- appending ------------------------------------------------------------ */

static void pl__reject(pl_append *it, int err, const char *msg) {
  it->err = err;
  if (msg != it->msg)
    snprintf(it->msg, sizeof(it->msg), "%s", msg ? msg : pl_strerror(err));
}

/* Looks the request up; on a hit fills the item as a duplicate. */
static int pl__request_lookup(pl_log *log, MDB_txn *txn, const uint8_t *rkey,
                              size_t rlen, pl_append *it) {
  MDB_val key = {rlen, (void *)rkey}, val;
  int rc = mdb_get(txn, log->request, &key, &val);
  if (rc == MDB_NOTFOUND)
    return 0;
  if (rc != 0 || val.mv_size != 8)
    return rc != 0 ? pl__mdb_err(rc) : PL_ECORRUPT;
  uint64_t index = pl__be64_get(val.mv_data);
  pl__nodes nodes = {txn, log->node, NULL};
  rc = pl__node_read(&nodes, 0, index, it->leaf_hash);
  if (rc != 0)
    return rc;
  it->index = index;
  it->duplicate = 1;
  return 1;
}

/* Notes the cacheable nodes that leaf `index` finished (done[0..count)).
 * Best effort: without room they are simply read from LMDB later. */
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

/* Applies one entry in a transaction nested in `parent`. On success the
 * entry is leaf number `index`; on failure nothing of it remains. */
static int pl__append_one(pl_log *log, MDB_txn *parent, pl_append *it,
                          uint64_t index, int genesis) {
  const Partsledger__V1__SignedEntry *se = it->signed_entry;
  uint8_t rkey[PL_REQUEST_ID_BYTES + PL_PUBLIC_KEY_BYTES];
  MDB_txn *txn = NULL;
  int rc;

  /* Requests are keyed by request_id and signer together, so one actor can
   * never make another's request look like a duplicate. The request_id comes
   * first: clients that make it time-ordered (client.h) turn every insert
   * into an append at the right edge of the B-tree, one page per commit
   * rather than one random page per entry. */
  memcpy(rkey, it->entry->request_id.data, PL_REQUEST_ID_BYTES);
  memcpy(rkey + PL_REQUEST_ID_BYTES, se->signer.data, PL_PUBLIC_KEY_BYTES);
  rc = pl__request_lookup(log, parent, rkey, sizeof(rkey), it);
  if (rc != 0)
    return rc < 0 ? rc : 0;

  pl_arena_reset(log->arena);
  rc = pl__mdb_err(mdb_txn_begin(log->env, parent, 0, &txn));
  if (rc != 0)
    return rc;
  pl__wctx w = {txn, log, log->arena, index, se->signer.data, genesis};
  rc = pl__entry_apply(&w, it->entry, it->msg);
  if (rc != 0) {
    mdb_txn_abort(txn);
    it->err = rc;
    return 0;
  }

  int64_t now = pl__now_ms();
  if (now < log->last_integrated_ms)
    now = log->last_integrated_ms;
  Partsledger__V1__Leaf leaf = PARTSLEDGER__V1__LEAF__INIT;
  leaf.index = index;
  leaf.integrated_at_ms = now;
  leaf.signed_entry = (Partsledger__V1__SignedEntry *)se;
  size_t leaf_len = partsledger__v1__leaf__get_packed_size(&leaf);

  uint8_t kbuf[8];
  pl__be64_put(kbuf, index);
  MDB_val key = {sizeof(kbuf), kbuf};
  /* Reserve the leaf's room in the page and pack straight into it. */
  MDB_val val = {leaf_len, NULL};
  rc = pl__mdb_err(mdb_put(txn, log->leaf, &key, &val, MDB_APPEND | MDB_RESERVE));
  if (rc != 0)
    goto fail;
  partsledger__v1__leaf__pack(&leaf, val.mv_data);
  pl_merkle_leaf_hash(val.mv_data, leaf_len, it->leaf_hash);

  pl_hash done[65];
  unsigned count;
  pl__nodes nodes = {txn, log->node, NULL};
  rc = pl_merkle_append(pl__node_read, &nodes, index, it->leaf_hash, done, &count);
  if (rc != 0)
    goto fail;
  val.mv_size = (size_t)count * PL_HASH_BYTES;
  val.mv_data = done;
  rc = pl__mdb_err(mdb_put(txn, log->node, &key, &val, MDB_APPEND));
  if (rc != 0)
    goto fail;

  MDB_val rk = {sizeof(rkey), rkey}, rv = {sizeof(kbuf), kbuf};
  rc = pl__mdb_err(mdb_put(txn, log->request, &rk, &rv, MDB_NOOVERWRITE));
  if (rc != 0)
    goto fail;

  rc = pl__mdb_err(mdb_txn_commit(txn));
  txn = NULL;
  if (rc != 0)
    goto fail;
  log->last_integrated_ms = now;
  it->index = index;
  pl__keep_fresh(log, index, done, count);
  return 0;

fail:
  if (txn != NULL)
    mdb_txn_abort(txn);
  pl__reject(it, rc, NULL);
  return 0;
}

/* Signs a checkpoint for `size` leaves of `txn` and stores it as the head. */
static int pl__head_write(pl_log *log, MDB_txn *txn, uint64_t size,
                          pl_head *head) {
  pl__nodes nodes = {txn, log->node, NULL};
  char body[PL_NOTE_MAX];
  size_t body_len;
  int rc = pl_merkle_root(pl__node_read, &nodes, size, head->root);
  if (rc != 0)
    return rc;
  rc = pl_checkpoint_body(log->origin, size, head->root, body, sizeof(body),
                          &body_len);
  if (rc != 0)
    return rc;
  rc = pl_note_sign(log->key, log->origin, body, body_len, head->checkpoint,
                    sizeof(head->checkpoint), &head->checkpoint_len);
  if (rc != 0)
    return rc;
  head->size = size;

  uint8_t row[PL__HEAD_FIXED + PL_NOTE_MAX];
  pl__be64_put(row, size);
  memcpy(row + 8, head->root, PL_HASH_BYTES);
  memcpy(row + PL__HEAD_FIXED, head->checkpoint, head->checkpoint_len);
  return pl__meta_put(log, txn, "head", row, PL__HEAD_FIXED + head->checkpoint_len);
}

static int pl__append_group(pl_log *log, pl_append **items, size_t n,
                            pl_head *head, int genesis) {
  MDB_txn *txn = NULL;
  const uint64_t start = log->head.size;
  uint64_t size = start;
  size_t added = 0, first_added = n;
  int rc;

  for (size_t i = 0; i < n; i++) {
    items[i]->err = 0;
    items[i]->msg[0] = '\0';
    items[i]->duplicate = 0;
  }
  log->nfresh = 0;
  rc = pl__mdb_err(mdb_txn_begin(log->env, NULL, 0, &txn));
  if (rc != 0)
    goto fail;
  for (size_t i = 0; i < n; i++) {
    rc = pl__append_one(log, txn, items[i], size, genesis);
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
    mdb_txn_abort(txn);
    pl_log_head(log, head);
    return 0;
  }
  pl_head next;
  rc = pl__head_write(log, txn, size, &next);
  if (rc != 0)
    goto fail;
  rc = pl__mdb_err(mdb_txn_commit(txn));
  txn = NULL;
  if (rc != 0)
    goto fail;

  pthread_mutex_lock(&log->head_lock);
  log->head = next;
  pthread_mutex_unlock(&log->head_lock);
  *head = next;
  for (size_t i = 0; log->cache != NULL && i < log->nfresh; i++)
    pl__cache_put(log->cache, log->fresh[i].tag, log->fresh[i].hash);
  return 0;

fail:
  if (txn != NULL)
    mdb_txn_abort(txn);
  /* Nothing was written: every entry that looked appended is not. And every
   * verdict reached after the group's first append was reached against
   * state that is now rolled back: a duplicate of an entry earlier in the
   * group, or a rule that saw it (an actor enrolled, a key revoked). Those
   * get the group's error too, which is safe to retry; only what was judged
   * against committed state keeps its answer. */
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
  pl_log_head(log, head);
  return rc;
}

int pl_log_append(pl_log *log, pl_append **items, size_t n, pl_head *head) {
  return pl__append_group(log, items, n, head, 0);
}

/* The first leaf: the log key enrolls the first admin. */
static int pl__genesis(pl_log *log, const uint8_t admin[PL_PUBLIC_KEY_BYTES],
                       char *why, size_t why_len) {
  pl_arena *a = pl_arena_new(0);
  if (a == NULL)
    return PL_ENOMEM;
  Partsledger__V1__ActorEnrolled enrolled = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  Partsledger__V1__Entry entry = PARTSLEDGER__V1__ENTRY__INIT;
  Partsledger__V1__SignedEntry se = PARTSLEDGER__V1__SIGNED_ENTRY__INIT;
  uint8_t request_id[PL_REQUEST_ID_BYTES], sig[PL_SIGNATURE_BYTES];
  int rc;

  randombytes_buf(request_id, sizeof(request_id));
  enrolled.public_key.data = (uint8_t *)admin;
  enrolled.public_key.len = PL_PUBLIC_KEY_BYTES;
  enrolled.role = PARTSLEDGER__V1__ROLE__ROLE_ADMIN;
  enrolled.name = "genesis admin";
  entry.request_id.data = request_id;
  entry.request_id.len = sizeof(request_id);
  entry.occurred_at_ms = pl__now_ms();
  entry.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  entry.actor_enrolled = &enrolled;

  size_t len = partsledger__v1__entry__get_packed_size(&entry);
  uint8_t *bytes = pl_arena_alloc(a, len);
  if (bytes == NULL) {
    rc = PL_ENOMEM;
    goto done;
  }
  partsledger__v1__entry__pack(&entry, bytes);
  rc = pl_entry_sign(log->key, bytes, len, sig);
  if (rc != 0)
    goto done;
  se.entry.data = bytes;
  se.entry.len = len;
  se.signer.data = log->pk;
  se.signer.len = PL_PUBLIC_KEY_BYTES;
  se.signature.data = sig;
  se.signature.len = sizeof(sig);

  pl_append item = {.signed_entry = &se, .entry = &entry};
  pl_append *items[1] = {&item};
  pl_head head;
  rc = pl__append_group(log, items, 1, &head, 1);
  if (rc == 0 && item.err != 0)
    rc = item.err;
  if (rc != 0)
    snprintf(why, why_len, "cannot write the genesis leaf: %s",
             item.msg[0] ? item.msg : pl_strerror(rc));
done:
  pl_arena_free(a);
  return rc;
}

/* Loads the head of an existing log and checks it against the tree. */
static int pl__head_load(pl_log *log, MDB_txn *txn, char *why, size_t why_len) {
  MDB_val v;
  int rc = pl__meta_get(log, txn, "head", &v);
  if (rc == PL_ENOTFOUND)
    return 0; /* empty log */
  if (rc != 0)
    return rc;
  const char *note;
  size_t note_len;
  rc = pl__head_decode(&v, &log->head.size, log->head.root, &note, &note_len);
  if (rc != 0)
    return rc;
  memcpy(log->head.checkpoint, note, note_len);
  log->head.checkpoint[note_len] = '\0';
  log->head.checkpoint_len = note_len;

  /* The stored root must be the root of the stored tree, and the checkpoint
   * must be ours: a cheap tamper check at every start. */
  size_t body_len;
  uint8_t root[PL_HASH_BYTES];
  pl__nodes nodes = {txn, log->node, NULL};
  rc = pl_merkle_root(pl__node_read, &nodes, log->head.size, root);
  if (rc != 0 || sodium_memcmp(root, log->head.root, PL_HASH_BYTES) != 0 ||
      pl_note_verify(log->vkey, note, note_len, &body_len) != 0) {
    snprintf(why, why_len, "stored tree does not match the signed checkpoint");
    return PL_ECORRUPT;
  }
  return 0;
}

/* Records origin and key on a new log, or checks them on an existing one. */
static int pl__identity(pl_log *log, MDB_txn *txn, char *why, size_t why_len) {
  MDB_val v;
  int rc = pl__meta_get(log, txn, "schema", &v);
  if (rc == PL_ENOTFOUND) {
    rc = pl__meta_put(log, txn, "schema", PL__SCHEMA, strlen(PL__SCHEMA));
    if (rc == 0)
      rc = pl__meta_put(log, txn, "origin", log->origin, strlen(log->origin));
    if (rc == 0)
      rc = pl__meta_put(log, txn, "log_key", log->pk, sizeof(log->pk));
    return rc;
  }
  if (rc != 0)
    return rc;
  if (v.mv_size != strlen(PL__SCHEMA) || memcmp(v.mv_data, PL__SCHEMA, v.mv_size)) {
    snprintf(why, why_len, "unknown schema version in the data directory");
    return PL_ECORRUPT;
  }
  if (pl__meta_get(log, txn, "origin", &v) != 0 || v.mv_size != strlen(log->origin) ||
      memcmp(v.mv_data, log->origin, v.mv_size) != 0) {
    snprintf(why, why_len, "the log in this directory has another origin (%.*s)",
             (int)(v.mv_size < 200 ? v.mv_size : 200), (const char *)v.mv_data);
    return PL_EINVAL;
  }
  if (pl__meta_get(log, txn, "log_key", &v) != 0 || v.mv_size != sizeof(log->pk) ||
      memcmp(v.mv_data, log->pk, sizeof(log->pk)) != 0) {
    snprintf(why, why_len, "the log in this directory was made with another log key");
    return PL_EINVAL;
  }
  return 0;
}

int pl_log_open(const pl_log_config *cfg, pl_log **out, char *why, size_t why_len) {
  pl_log *log = NULL;
  MDB_txn *txn = NULL;
  int rc;
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
  if (cfg->existing) {
    char mdb[4096];
    snprintf(mdb, sizeof(mdb), "%s/data.mdb", cfg->dir);
    if (access(mdb, F_OK) != 0) {
      snprintf(why, why_len, "no log in %s", cfg->dir);
      return PL_ENOTFOUND;
    }
  }
  if (mkdir(cfg->dir, 0700) != 0 && errno != EEXIST) {
    snprintf(why, why_len, "cannot create %s: %s", cfg->dir, strerror(errno));
    return PL_EIO;
  }

  log = calloc(1, sizeof(*log));
  if (log == NULL)
    return PL_ENOMEM;
  /* LMDB would let a second process write too, but the head, the writer's
   * order and the signed checkpoints belong to one process: hold the
   * directory exclusively. */
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

  rc = pl__mdb_err(mdb_env_create(&log->env));
  if (rc != 0)
    goto fail;
  mdb_env_set_maxdbs(log->env, 8 + PL__T_COUNT);
  mdb_env_set_mapsize(log->env, cfg->map_size ? cfg->map_size : PL__DEFAULT_MAP);
  mdb_env_set_maxreaders(log->env, 256);
  /* MDB_NOTLS: a read transaction belongs to a pl_reader, not to a thread, so
   * workers can keep one each and reuse it. Commits stay fully durable. */
  rc = mdb_env_open(log->env, cfg->dir, MDB_NOTLS, 0600);
  if (rc != 0) {
    snprintf(why, why_len, "cannot open LMDB in %s: %s", cfg->dir, mdb_strerror(rc));
    rc = pl__mdb_err(rc);
    goto fail;
  }

  /* Reader slots left by a process that was killed would pin old pages and
   * make the file grow: clear them. */
  int dead = 0;
  mdb_reader_check(log->env, &dead);

  rc = pl__mdb_err(mdb_txn_begin(log->env, NULL, 0, &txn));
  if (rc != 0)
    goto fail;
  static const char *const state_names[PL__T_COUNT] = {"actor"};
  if ((rc = pl__mdb_err(mdb_dbi_open(txn, "leaf", MDB_CREATE, &log->leaf))) ||
      (rc = pl__mdb_err(mdb_dbi_open(txn, "node", MDB_CREATE, &log->node))) ||
      (rc = pl__mdb_err(mdb_dbi_open(txn, "meta", MDB_CREATE, &log->meta))) ||
      (rc = pl__mdb_err(mdb_dbi_open(txn, "request", MDB_CREATE, &log->request))))
    goto fail;
  for (int t = 0; t < PL__T_COUNT; t++)
    if ((rc = pl__mdb_err(mdb_dbi_open(txn, state_names[t], MDB_CREATE,
                                       &log->state[t]))))
      goto fail;
  if ((rc = pl__identity(log, txn, why, why_len)) != 0)
    goto fail;
  if ((rc = pl__head_load(log, txn, why, why_len)) != 0)
    goto fail;
  rc = pl__mdb_err(mdb_txn_commit(txn));
  txn = NULL;
  if (rc != 0)
    goto fail;

  if (log->head.size == 0) {
    if (cfg->admin_key == NULL) {
      snprintf(why, why_len, "a new log needs the first admin's public key");
      rc = PL_EINVAL;
      goto fail;
    }
    rc = pl__genesis(log, cfg->admin_key, why, why_len);
    if (rc != 0)
      goto fail;
  }
  *out = log;
  return 0;

fail:
  if (txn != NULL)
    mdb_txn_abort(txn);
  if (why[0] == '\0')
    snprintf(why, why_len, "%s", pl_strerror(rc));
  pl_log_close(log);
  return rc;
}

void pl_log_close(pl_log *log) {
  if (log == NULL)
    return;
  if (log->env != NULL)
    mdb_env_close(log->env);
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

void pl_log_head(pl_log *log, pl_head *out) {
  pthread_mutex_lock(&log->head_lock);
  *out = log->head;
  pthread_mutex_unlock(&log->head_lock);
}

/* --- reading ------------------------------------------------------------- */

int pl_reader_new(pl_log *log, pl_reader **out) {
  pl_reader *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  r->log = log;
  int rc = mdb_txn_begin(log->env, NULL, MDB_RDONLY, &r->txn);
  if (rc != 0) {
    free(r);
    return pl__mdb_err(rc);
  }
  mdb_txn_reset(r->txn);
  *out = r;
  return 0;
}

void pl_reader_free(pl_reader *r) {
  if (r == NULL)
    return;
  mdb_txn_abort(r->txn);
  free(r);
}

int pl_reader_begin(pl_reader *r) {
  r->have_size = 0;
  return pl__mdb_err(mdb_txn_renew(r->txn));
}

void pl_reader_end(pl_reader *r) { mdb_txn_reset(r->txn); }

int pl_reader_head(pl_reader *r, uint64_t *size, uint8_t root[PL_HASH_BYTES],
                   const char **checkpoint, size_t *checkpoint_len) {
  MDB_val v;
  int rc = pl__meta_get(r->log, r->txn, "head", &v);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  return pl__head_decode(&v, size, root, checkpoint, checkpoint_len);
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
  pl__nodes nodes = {r->txn, r->log->node, r->log->cache};
  return pl__node_read(&nodes, 0, index, hash);
}

int pl_reader_leaf(pl_reader *r, uint64_t index, const uint8_t **leaf,
                   size_t *len, uint8_t hash[PL_HASH_BYTES]) {
  int rc = pl_reader_leaf_hash(r, index, hash);
  if (rc != 0)
    return rc;
  uint8_t k[8];
  pl__be64_put(k, index);
  MDB_val key = {sizeof(k), k}, val;
  rc = mdb_get(r->txn, r->log->leaf, &key, &val);
  if (rc != 0)
    return rc == MDB_NOTFOUND ? PL_ECORRUPT : pl__mdb_err(rc);
  *leaf = val.mv_data;
  *len = val.mv_size;
  return 0;
}

int pl_reader_root(pl_reader *r, uint64_t size, uint8_t root[PL_HASH_BYTES]) {
  uint64_t have;
  int rc = pl__reader_size(r, &have);
  if (rc != 0)
    return rc;
  if (size > have)
    return PL_ERANGE;
  pl__nodes nodes = {r->txn, r->log->node, r->log->cache};
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

int pl_reader_inclusion(pl_reader *r, uint64_t index, uint64_t size,
                        pl_hash *out, size_t *n) {
  uint64_t have;
  int rc = pl__reader_size(r, &have);
  if (rc != 0)
    return rc;
  if (size > have || index >= size)
    return PL_ERANGE;
  pl__nodes nodes = {r->txn, r->log->node, r->log->cache};
  const pl_merkle_edge *edge = pl__reader_edge(r, &nodes, size);
  return pl_merkle_inclusion_proof_edge(pl__node_read, &nodes, edge, index, size,
                                        out, n);
}

int pl_reader_consistency(pl_reader *r, uint64_t old_size, uint64_t new_size,
                          pl_hash *out, size_t *n) {
  uint64_t have;
  int rc = pl__reader_size(r, &have);
  if (rc != 0)
    return rc;
  if (new_size > have || old_size > new_size || old_size == 0)
    return PL_ERANGE;
  pl__nodes nodes = {r->txn, r->log->node, r->log->cache};
  const pl_merkle_edge *edge = pl__reader_edge(r, &nodes, new_size);
  return pl_merkle_consistency_proof_edge(pl__node_read, &nodes, edge, old_size,
                                          new_size, out, n);
}

/* --- the full check --------------------------------------------------------- */

static int pl__check_leaf(pl_log *log, uint64_t index, const MDB_val *leaf,
                          char *why, size_t why_len) {
  Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(NULL, leaf->mv_size, leaf->mv_data);
  int rc = 0;
  if (l == NULL || l->index != index || l->signed_entry == NULL) {
    snprintf(why, why_len, "leaf %llu does not decode as Leaf %llu",
             (unsigned long long)index, (unsigned long long)index);
    rc = PL_ECORRUPT;
  } else {
    const Partsledger__V1__SignedEntry *se = l->signed_entry;
    if (se->signer.len != PL_PUBLIC_KEY_BYTES || se->signature.len != PL_SIGNATURE_BYTES ||
        (index == 0 && memcmp(se->signer.data, log->pk, PL_PUBLIC_KEY_BYTES) != 0) ||
        pl_entry_verify(se->signer.data, se->entry.data, se->entry.len,
                        se->signature.data) != 0) {
      snprintf(why, why_len, "leaf %llu: entry signature does not verify",
               (unsigned long long)index);
      rc = PL_ECORRUPT;
    }
  }
  partsledger__v1__leaf__free_unpacked(l, NULL);
  return rc;
}

int pl_log_check(pl_log *log, uint64_t *checked, char *why, size_t why_len) {
  MDB_txn *txn = NULL;
  MDB_cursor *cur = NULL;
  pl_hash frontier[64];
  uint64_t size = 0, i = 0;
  uint8_t root[PL_HASH_BYTES];
  MDB_val k, v;
  int rc;

  *checked = 0;
  snprintf(why, why_len, "ok");
  rc = pl__mdb_err(mdb_txn_begin(log->env, NULL, MDB_RDONLY, &txn));
  if (rc != 0)
    return rc;
  const char *note;
  size_t note_len, body_len;
  rc = pl__meta_get(log, txn, "head", &v);
  if (rc == 0)
    rc = pl__head_decode(&v, &size, root, &note, &note_len);
  if (rc == 0 && pl_note_verify(log->vkey, note, note_len, &body_len) != 0) {
    snprintf(why, why_len, "the stored checkpoint is not signed by the log key");
    rc = PL_ECORRUPT;
  }
  if (rc != 0)
    goto done;

  rc = pl__mdb_err(mdb_cursor_open(txn, log->leaf, &cur));
  for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT, i++) {
    int got = mdb_cursor_get(cur, &k, &v, op);
    if (got == MDB_NOTFOUND)
      break;
    if ((rc = pl__mdb_err(got)) != 0)
      break;
    if (k.mv_size != 8 || pl__be64_get(k.mv_data) != i || i >= size) {
      snprintf(why, why_len, "leaf %llu is missing, or a leaf is beyond the head",
               (unsigned long long)i);
      rc = PL_ECORRUPT;
      break;
    }
    if ((rc = pl__check_leaf(log, i, &v, why, why_len)) != 0)
      break;

    /* Recompute the subtrees leaf i completes, from the frontier of
     * complete subtrees left of it, and compare with the stored row. */
    pl_hash done[65];
    unsigned n = 0;
    pl_merkle_leaf_hash(v.mv_data, v.mv_size, done[n++]);
    while ((i >> (n - 1)) & 1) {
      pl_merkle_node_hash(frontier[n - 1], done[n - 1], done[n]);
      n++;
    }
    memcpy(frontier[n - 1], done[n - 1], PL_HASH_BYTES);
    MDB_val nv;
    if (mdb_get(txn, log->node, &k, &nv) != 0 || nv.mv_size != n * PL_HASH_BYTES ||
        memcmp(nv.mv_data, done, nv.mv_size) != 0) {
      snprintf(why, why_len, "stored tree hashes at leaf %llu do not match the leaves",
               (unsigned long long)i);
      rc = PL_ECORRUPT;
      break;
    }
  }
  if (rc != 0)
    goto done;
  if (i != size) {
    snprintf(why, why_len, "the head says %llu leaves, the log holds %llu",
             (unsigned long long)size, (unsigned long long)i);
    rc = PL_ECORRUPT;
    goto done;
  }
  /* The root: the frontier's subtrees, folded from the smallest. */
  uint8_t acc[PL_HASH_BYTES];
  int have = 0;
  for (unsigned l = 0; l < 64; l++) {
    if (!((size >> l) & 1))
      continue;
    if (have)
      pl_merkle_node_hash(frontier[l], acc, acc);
    else
      memcpy(acc, frontier[l], PL_HASH_BYTES);
    have = 1;
  }
  if (!have) /* size 0: the hash of the empty string */
    crypto_hash_sha256(acc, NULL, 0);
  if (sodium_memcmp(acc, root, PL_HASH_BYTES) != 0) {
    snprintf(why, why_len, "the root of the leaves is not the signed root");
    rc = PL_ECORRUPT;
    goto done;
  }
  *checked = i;

done:
  if (cur != NULL)
    mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return rc;
}
