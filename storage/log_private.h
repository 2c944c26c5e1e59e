/*
 * log_private.h - what log.c and replay.c share. This file is private to
 * those two: the rest of the project sees log.h.
 */
#ifndef PL_LOG_PRIVATE_H
#define PL_LOG_PRIVATE_H

#include <pthread.h>

#include "arena.h"
#include "db.h"
#include "log.h"

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
  pl_db *db;
  char dir[4096];
  size_t map_size;
  pl__node_cache *cache;
  const pl_key *key; /* borrowed from the config; outlives the log */
  char origin[PL_NOTE_NAME_MAX + 1];
  char vkey[PL_VKEY_MAX];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  int64_t last_integrated_ms; /* writer only: keeps integrated_at monotonic */
  pl_arena *arena;            /* writer only: reset for every entry */
  /* Writer only: the cacheable nodes the transaction being written
   * finished, put in the cache once it commits, so proofs find them at
   * once. */
  pl__cache_slot *fresh;
  size_t nfresh, capfresh;
  pthread_mutex_t head_lock; /* guards head for pl_log_head() */
  pl_head head;
};

/* A node source over one transaction, for the merkle.c functions. `cache`
 * is set for read transactions only: what they see is committed and so can
 * never change, while the writer's nodes may still be rolled back. */
typedef struct {
  pl_txn *txn;
  pl__node_cache *cache;
} pl__nodes;

/* pl_merkle_node_fn over a pl__nodes. */
int pl__node_read(void *ctx, unsigned level, uint64_t index, uint8_t out[PL_HASH_BYTES]);

/* The stored head: size, root and the signed note (borrowed from `t`).
 * PL_ENOTFOUND for a log with no leaf yet. */
int pl__head_get(pl_txn *t, uint64_t *size, uint8_t root[PL_HASH_BYTES],
                 const char **note, size_t *note_len);

/* The request row of an entry: request_id || signer, and index || the
 * first bytes of SHA-256(entry bytes). */
#define PL__REQUEST_KEY (PL_REQUEST_ID_BYTES + PL_PUBLIC_KEY_BYTES)
#define PL__REQUEST_HASH 16
#define PL__REQUEST_ROW (8 + PL__REQUEST_HASH)
void pl__request_key(const Partsledger__V1__SignedEntry *se,
                     const Partsledger__V1__Entry *e, uint8_t key[PL__REQUEST_KEY]);
void pl__request_row(const Partsledger__V1__SignedEntry *se, uint64_t index,
                     uint8_t row[PL__REQUEST_ROW]);

/* Records in `t` that the derived state is of this program's version. */
int pl__derived_record(pl_txn *t);

#endif /* PL_LOG_PRIVATE_H */
