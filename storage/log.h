/*
 * log.h - the ledger: signed entries in LMDB, their Merkle tree, the head.
 *
 * log.c is the one file that owns the LMDB environment and its transactions.
 * The environment holds named databases:
 *   leaf    u64be index -> Leaf bytes, exactly as hashed
 *   node    u64be index -> the hashes that leaf completes: level 0 (the leaf
 *           hash), then each level-k subtree whose last leaf it is. Keys only
 *           grow, so both tables are written with MDB_APPEND.
 *   meta    "head" -> u64be size || root || signed checkpoint note;
 *           "schema", "origin", "log_key"
 *   request request_id || signer -> u64be index (idempotency)
 *   actor   public key -> ActorRecord (derived state, see kinds.c)
 *
 * One thread writes (pl_log_append); any number read, each through its own
 * pl_reader. Readers never block the writer and see whole commits only.
 */
#ifndef PL_LOG_H
#define PL_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "keys.h"
#include "merkle.h"
#include "note.h"
#include "partsledger/v1/ledger.pb-c.h"


typedef struct pl_log pl_log;
typedef struct pl_reader pl_reader;

typedef struct {
  const char *dir;          /* data directory; created when missing, unless
                               `existing` */
  const char *origin;       /* checkpoint origin and note key name */
  const pl_key *log_key;    /* signs checkpoints and the genesis leaf */
  const uint8_t *admin_key; /* first admin's public key: needed only when the
                               directory holds no log yet */
  size_t map_size;          /* LMDB map size in bytes; 0 = 64 GiB */
  int existing;             /* open only a log that is there: create nothing,
                               and fail with PL_ENOTFOUND when there is none */
} pl_log_config;

/* The signed head of the log after a commit. */
typedef struct {
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  size_t checkpoint_len;
  char checkpoint[PL_NOTE_MAX]; /* signed note, NUL-terminated */
} pl_head;

/* One entry handed to the writer, and what became of it. */
typedef struct {
  /* In: decoded and signature-checked by the caller (pl_entry_check). */
  const Partsledger__V1__SignedEntry *signed_entry;
  const Partsledger__V1__Entry *entry;
  /* Out. */
  int err;               /* 0, or why this entry alone was rejected */
  char msg[PL_MSG_MAX];  /* a message for people when err != 0 */
  uint64_t index;
  uint8_t leaf_hash[PL_HASH_BYTES];
  int duplicate;         /* request already logged: index and hash are the original's */
} pl_append;

/* Opens the log in cfg->dir, creating it when needed unless cfg->existing.
 * On an empty directory it writes the genesis leaf: an ActorEnrolled of
 * cfg->admin_key as admin,
 * signed by the log key. An existing log must have been made with the same
 * origin and log key. The directory is held exclusively until close: a
 * second open, from any process, fails with PL_ELOCKED. 0, PL_EINVAL (bad
 * config; `why` says which), PL_ENOTFOUND (no log, with cfg->existing),
 * PL_ELOCKED, PL_EIO, PL_ECORRUPT, PL_ENOMEM. */
int pl_log_open(const pl_log_config *cfg, pl_log **out, char *why, size_t why_len);

/* Closes the environment. No reader or append may be in progress. */
void pl_log_close(pl_log *log);

const char *pl_log_origin(const pl_log *log);
const char *pl_log_vkey(const pl_log *log);
const uint8_t *pl_log_public_key(const pl_log *log);

/* The latest committed head (a copy; safe from any thread). */
void pl_log_head(pl_log *log, pl_head *out);

/* Appends a group of entries in one write transaction and one fsync. Each
 * entry is checked and applied in its own nested transaction, so a bad one is
 * rejected alone (its err and msg set) and the others go on. When anything
 * was written, a new checkpoint is signed and committed with it; `head` gets
 * the head that covers every entry of the group (new or duplicate).
 * Returns 0 when the group is durable, or a negative code when the whole
 * transaction failed: then nothing was written, and every item whose answer
 * rested on the group has that code as its err: those that would have been
 * appended, duplicates of them, and rejections reached after the group's
 * first append (they saw its state). Duplicates of committed entries, and
 * rejections reached before that first append, keep their answers.
 * Only one thread may call this. */
int pl_log_append(pl_log *log, pl_append **items, size_t n, pl_head *head);

/* A reader holds one LMDB read transaction at a time. Make one per thread. */
int pl_reader_new(pl_log *log, pl_reader **out);
void pl_reader_free(pl_reader *r);

/* Starts a snapshot of the log. 0 or PL_EIO. */
int pl_reader_begin(pl_reader *r);
/* Ends it. Everything borrowed from the reader becomes invalid. */
void pl_reader_end(pl_reader *r);

/* The snapshot's head. The checkpoint pointer is borrowed until end. */
int pl_reader_head(pl_reader *r, uint64_t *size, uint8_t root[PL_HASH_BYTES],
                   const char **checkpoint, size_t *checkpoint_len);

/* Leaf `index`: its exact stored bytes (borrowed until end) and its hash.
 * 0, PL_ERANGE when index is beyond the snapshot. */
int pl_reader_leaf(pl_reader *r, uint64_t index, const uint8_t **leaf,
                   size_t *len, uint8_t hash[PL_HASH_BYTES]);

/* The hash of leaf `index` alone, without reading its bytes. 0, PL_ERANGE
 * when index is beyond the snapshot. */
int pl_reader_leaf_hash(pl_reader *r, uint64_t index, uint8_t hash[PL_HASH_BYTES]);

/* Root of the tree of the first `size` leaves (size <= snapshot size). */
int pl_reader_root(pl_reader *r, uint64_t size, uint8_t root[PL_HASH_BYTES]);

/* RFC 9162 proofs within the snapshot. PL_ERANGE when a size is beyond it. */
int pl_reader_inclusion(pl_reader *r, uint64_t index, uint64_t size,
                        pl_hash *out, size_t *n);
int pl_reader_consistency(pl_reader *r, uint64_t old_size, uint64_t new_size,
                          pl_hash *out, size_t *n);

/* The full tamper check: rebuilds the tree from the leaves alone and checks
 * everything stored against it, in one read snapshot:
 * leaves are numbered 0..size-1 with no gap, each Leaf decodes with its own
 * index, its entry signature verifies (leaf 0's by the log key), every stored
 * subtree hash equals the one recomputed from the leaf bytes, the root equals
 * the signed head, and the head's checkpoint verifies with the log's key.
 * The number of leaves checked goes to *checked. 0 when all holds;
 * PL_ECORRUPT at the first mismatch, with `why` naming the index. */
int pl_log_check(pl_log *log, uint64_t *checked, char *why, size_t why_len);

#endif /* PL_LOG_H */
