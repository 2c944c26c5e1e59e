/*
 * log.h - the ledger: signed entries, their Merkle tree, the signed head,
 * and the group transaction that applies entries to the derived state.
 *
 * log.c keeps these tables of the store (db.h):
 *   leaf    u64be index -> Leaf bytes, exactly as hashed
 *   node    u64be index -> the hashes that leaf completes: level 0 (the leaf
 *           hash), then each level-k subtree whose last leaf it is. Keys only
 *           grow, so both tables are appended to.
 *   meta    "head" -> u64be size || root || signed checkpoint note;
 *           "schema", "origin", "log_key", "derived" (the version of the
 *           derived state, apply.h)
 *   request request_id || signer -> u64be index || the first 16 bytes of
 *           SHA-256(entry bytes): a retry is the same entry, anything else
 *           under the same id is refused
 * and hands every entry to apply.c for the derived tables (state/).
 *
 * One thread writes (pl_log_append); any number read, each through its own
 * pl_reader. Readers never block the writer and see whole commits only.
 */
#ifndef PL_LOG_H
#define PL_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "db.h"
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
  int defer_genesis;        /* an empty log stays empty until pl_log_genesis
                               (the server binds its port first) */
  size_t txn_budget;        /* bytes one write transaction may put before it
                               is split (db.h); 0 = LMDB's own limit only */
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
 * On an empty log it writes the genesis leaf (pl_log_genesis) unless
 * cfg->defer_genesis. An existing log must have been made with the same
 * origin and log key; when its derived state is of an older version than
 * this program's, it is rebuilt from the leaves first (pl_log_rebuild).
 * The directory is held exclusively until close: a second open, from any
 * process, fails with PL_ELOCKED. 0, PL_EINVAL (bad config; `why` says
 * which), PL_ENOTFOUND (no log, with cfg->existing), PL_ELOCKED, PL_EIO,
 * PL_ECORRUPT, PL_ENOMEM. */
int pl_log_open(const pl_log_config *cfg, pl_log **out, char *why, size_t why_len);

/* Writes the genesis leaf of an empty log: an ActorEnrolled of `admin` as
 * admin, signed by the log key. PL_ESTATE when the log is not empty. */
int pl_log_genesis(pl_log *log, const uint8_t admin[PL_PUBLIC_KEY_BYTES], char *why,
                   size_t why_len);

/* 0 when `pk` is an enrolled, unrevoked admin of the log; else PL_ENOTFOUND
 * (not enrolled), PL_EREVOKED or PL_EROLE, with `why` saying so and naming
 * the log's first admin. */
int pl_log_admin_check(pl_log *log, const uint8_t pk[PL_PUBLIC_KEY_BYTES], char *why,
                       size_t why_len);

/* Closes the environment. No reader or append may be in progress. */
void pl_log_close(pl_log *log);

const char *pl_log_origin(const pl_log *log);
const char *pl_log_vkey(const pl_log *log);
const uint8_t *pl_log_public_key(const pl_log *log);

/* Signs `body` (text lines, the last ending in '\n') as a C2SP signed note
 * by the log's key, under its origin: what the log commits to besides its
 * checkpoints (an audit bundle's manifest). `out` gets a NUL-terminated
 * note of at most `cap` bytes. 0 or PL_EINVAL. Safe from any thread. */
int pl_log_sign_note(pl_log *log, const char *body, size_t len, char *out, size_t cap,
                     size_t *out_len);

/* The latest committed head (a copy; safe from any thread). */
void pl_log_head(pl_log *log, pl_head *out);

/* Appends a group of entries in one write transaction and one fsync. Each
 * entry's rules are checked against the state before anything of it is
 * written, so a bad one is rejected alone (its err and msg set) and the
 * others go on. When anything was written, a new checkpoint is signed and
 * committed with it; `head` gets the head that covers every entry of the
 * group (new or duplicate). A group too large for one transaction is split
 * and each part committed on its own, so no entry fails for its
 * neighbours' size.
 * Returns 0 when the group is durable, or a negative code when a
 * transaction failed: then nothing of it was written, and every item whose
 * answer rested on it has that code as its err: those that would have been
 * appended, duplicates of them, and rejections reached after its first
 * append (they saw its state). Duplicates of committed entries, and
 * rejections reached before that first append, keep their answers.
 * Only one thread may call this. */
int pl_log_append(pl_log *log, pl_append **items, size_t n, pl_head *head);

/* The number of leaves of the latest commit. */
uint64_t pl_log_size(pl_log *log);

/* A reader holds one read transaction at a time. Make one per thread. */
int pl_reader_new(pl_log *log, pl_reader **out);
void pl_reader_free(pl_reader *r);

/* Starts a snapshot of the log. 0 or PL_EIO. */
int pl_reader_begin(pl_reader *r);
/* Ends it. Everything borrowed from the reader becomes invalid. */
void pl_reader_end(pl_reader *r);

/* The snapshot's transaction, for the queries of the state modules. */
pl_txn *pl_reader_txn(pl_reader *r);

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

/* Recomputes every derived table from the leaves alone, in place, and
 * checks on the way that the leaves' tree root is the signed head's; then
 * records the derived version. Offline only (no writer may run). The
 * leaves replayed go to *replayed. 0, PL_ECORRUPT (a leaf does not decode,
 * the rules refuse a leaf, or the root is not the signed one; `why` says
 * which), or a storage error. */
int pl_log_rebuild(pl_log *log, uint64_t *replayed, char *why, size_t why_len);

/* Called by pl_log_check for each difference between the stored derived
 * state and the state recomputed from the leaves: the table, the key, and
 * what differs ("missing", "extra", "differs"). */
typedef void (*pl_diff_fn)(void *ctx, const char *table, const uint8_t *key,
                           size_t klen, const char *what);

/* The full tamper check: rebuilds the tree from the leaves alone and checks
 * everything stored against it, in one read snapshot: leaves are numbered
 * 0..size-1 with no gap, each Leaf decodes with its own index, its entry
 * signature verifies (leaf 0's by the log key), every stored subtree hash
 * equals the one recomputed from the leaf bytes, the root equals the signed
 * head, and the head's checkpoint verifies with the log's key. Then it
 * recomputes the derived state in a scratch store under $TMPDIR and compares
 * it with the stored one, table by table and key by key, calling `diff`
 * (may be NULL) for each difference. The number of leaves checked goes to
 * *checked. 0 when all holds; PL_ECORRUPT at the first mismatch of the
 * tree, or when the derived state differs, with `why` saying where. */
int pl_log_check(pl_log *log, uint64_t *checked, pl_diff_fn diff, void *ctx,
                 char *why, size_t why_len);

#endif /* PL_LOG_H */
