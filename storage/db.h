/*
 * db.h - the store: named tables in one LMDB environment. db.c is the only
 * file of the project that calls LMDB; everything above it sees tables,
 * transactions and cursors, and project error codes.
 *
 * The tables are listed once, below. `log` tables hold what the log
 * commits to (leaves, tree nodes, the signed head); `derived` tables hold
 * state that can be recomputed from the leaves alone (pl_log_rebuild), so a
 * rebuild empties exactly those.
 *
 * Keys are byte strings compared as such (memcmp, shorter first on a tie),
 * so numbers in keys are big-endian (pl_be64_put) and sort as numbers.
 * Values returned by get and by cursors are borrowed from the transaction:
 * valid until the next write to that table in it, or its end.
 *
 * Depends on LMDB and error.h.
 */
#ifndef PL_DB_H
#define PL_DB_H

#include <stddef.h>
#include <stdint.h>

/* Flags of a table. */
#define PL_TABLE_LOG 0x1     /* the log itself: never rebuilt */
#define PL_TABLE_DERIVED 0x2 /* recomputed from the leaves */
#define PL_TABLE_DUPSORT 0x4 /* several sorted values per key */

/* XX(ENUM, name, flags) */
#define PL_TABLES(XX)                                                          \
  XX(LEAF, leaf, PL_TABLE_LOG)       /* u64 index -> Leaf bytes */             \
  XX(NODE, node, PL_TABLE_LOG)       /* u64 index -> hashes it completes */    \
  XX(META, meta, PL_TABLE_LOG)       /* name -> value */                       \
  XX(REQUEST, request, PL_TABLE_DERIVED) /* request_id||signer -> index */     \
  XX(ACTOR, actor, PL_TABLE_DERIVED) /* public key -> actor row */             \
  XX(ACTOR_SITE, actor_site, PL_TABLE_DERIVED) /* key||site -> "" */        \
  XX(SITE, site, PL_TABLE_DERIVED)   /* site -> Site */                        \
  XX(SUPPLIER, supplier, PL_TABLE_DERIVED) /* supplier -> Supplier */          \
  XX(SUPPLIER_BATCH, supplier_batch, PL_TABLE_DERIVED) /* supplier,seq->batch */\
  XX(BATCH, batch, PL_TABLE_DERIVED) /* batch -> Batch */                      \
  XX(BATCH_SERIAL, batch_serial, PL_TABLE_DERIVED) /* batch,serial -> "" */    \
  XX(BATCH_SITE, batch_site, PL_TABLE_DERIVED) /* batch,site -> "" */          \
  XX(BATCH_FACT, batch_fact, PL_TABLE_DERIVED) /* batch,seq -> Fact */         \
  XX(STOCK_SKU, stock_sku, PL_TABLE_DERIVED) /* site,sku -> counts */          \
  XX(STOCK_BATCH, stock_batch, PL_TABLE_DERIVED) /* site,sku,batch -> units */ \
  XX(RESERVATION, reservation, PL_TABLE_DERIVED) /* id -> Reservation */       \
  XX(RES_ACTIVE, res_active, PL_TABLE_DERIVED) /* site,sku,id -> terms */      \
  XX(RES_EXPIRY, res_expiry, PL_TABLE_DERIVED) /* expires,id -> site,sku */    \
  XX(GEO, geo, PL_TABLE_DERIVED)     /* sku,cell,site -> lat,lon,kind */       \
  XX(POLICY, policy, PL_TABLE_DERIVED) /* policy -> Policy */                  \
  XX(DEVICE, device, PL_TABLE_DERIVED) /* device -> Device */                  \
  XX(INSTALL, install, PL_TABLE_DERIVED) /* device,comp,index -> DevicePart */ \
  XX(PART_AT, part_at, PL_TABLE_DERIVED) /* part -> device,comp */             \
  XX(READING, reading, PL_TABLE_DERIVED) /* device,time,index -> reading */    \
  XX(ORDER, repair_order, PL_TABLE_DERIVED) /* order -> RepairOrder */         \
  XX(ORDER_SITE, order_site, PL_TABLE_DERIVED) /* site,reported,order -> "" */ \
  XX(CLAIM, claim, PL_TABLE_DERIVED) /* claim -> Claim */                      \
  XX(CLAIM_COMPONENT, claim_component, PL_TABLE_DERIVED) /* device,comp,claim */\
  XX(CLAIM_ORDER, claim_order, PL_TABLE_DERIVED) /* order,claim -> "" */       \
  XX(DEVICE_FACT, device_fact, PL_TABLE_DERIVED) /* device,seq -> Fact */      \
  XX(PART_FACT, part_fact, PL_TABLE_DERIVED) /* part,seq -> Fact */            \
  XX(BATCH_DEVICE, batch_device, PL_TABLE_DERIVED) /* batch,device,comp->part*/\
  XX(PANEL, panel, PL_TABLE_DERIVED) /* panel -> Panel */

typedef enum {
#define PL__TABLE_ENUM(e, name, flags) PL_T_##e,
  PL_TABLES(PL__TABLE_ENUM)
#undef PL__TABLE_ENUM
  PL_T_COUNT
} pl_table;

typedef struct pl_db pl_db;
typedef struct pl_txn pl_txn;
typedef struct pl_cursor pl_cursor;

/* A borrowed key or value. */
typedef struct {
  const void *data;
  size_t len;
} pl_val;

/* Flags of pl_db_put. */
#define PL_PUT_APPEND 0x1      /* the key sorts after every key of the table */
#define PL_PUT_NOOVERWRITE 0x2 /* PL_EEXIST when the key is there */

/* "leaf", "actor", ... */
const char *pl_table_name(pl_table t);
unsigned pl_table_flags(pl_table t);

/* Opens (creating when needed) the environment in the existing directory
 * `dir` with every table of the list. map_size 0 means 64 GiB. Readers are
 * not bound to threads (a pl_txn may move between threads, one at a time).
 * 0, PL_EIO, PL_ECORRUPT, PL_ENOMEM; `why` says what failed. */
int pl_db_open(const char *dir, size_t map_size, pl_db **out, char *why,
               size_t why_len);
void pl_db_close(pl_db *db);

/* Bounds what one write transaction may put, in bytes of keys and values;
 * past it puts fail with PL_ETXNFULL, as LMDB's own limit on the pages of
 * one transaction makes them fail. 0 (the default) leaves LMDB's limit
 * alone. Callers split their work on PL_ETXNFULL; the bound lets tests and
 * operators bring that path within reach. */
void pl_db_set_txn_budget(pl_db *db, size_t bytes);

/* 1 when `dir` holds a store, 0 when not. */
int pl_db_exists(const char *dir);

/* Deletes the store in `dir` (closed) and the directory, which must hold
 * nothing else. 0 or PL_EIO. */
int pl_db_remove(const char *dir);

/* Starts a transaction. One write transaction at a time, on one thread;
 * any number of read-only ones. 0, PL_EIO, PL_EREADERS, PL_ENOMEM. */
int pl_txn_begin(pl_db *db, int write, pl_txn **out);
/* Commits and frees a write transaction (frees a read one). 0, PL_EFULL
 * (map or disk full: nothing was written), PL_EIO. */
int pl_txn_commit(pl_txn *t);
/* Drops a transaction and what it wrote. pl_txn_abort(NULL) is a no-op. */
void pl_txn_abort(pl_txn *t);
/* A read-only transaction kept for reuse: reset releases its snapshot,
 * renew takes a new one. */
void pl_txn_reset(pl_txn *t);
int pl_txn_renew(pl_txn *t);

/* While set on a write transaction, every put and delete fails with
 * PL_EINTERNAL: the rules of an entry are checked with it set, so that an
 * entry a rule refuses has provably written nothing. */
void pl_txn_forbid_writes(pl_txn *t, int forbid);

/* Reads one value. 0 or PL_ENOTFOUND (or PL_EIO, PL_ECORRUPT). For a
 * DUPSORT table, the first value of the key. */
int pl_db_get(pl_txn *t, pl_table tb, const void *key, size_t klen, pl_val *out);

/* Writes one value, replacing the key's (adding one, for DUPSORT). 0,
 * PL_EEXIST (PL_PUT_NOOVERWRITE), PL_EFULL, PL_ETXNFULL (the transaction
 * holds all the pages it can: split the work), PL_EVALSIZE (key or value
 * too large for the store), PL_EIO. */
int pl_db_put(pl_txn *t, pl_table tb, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned flags);

/* As pl_db_put, but makes room for `vlen` bytes and returns where the
 * caller writes them (before any other write in the transaction). */
int pl_db_reserve(pl_txn *t, pl_table tb, const void *key, size_t klen,
                  size_t vlen, unsigned flags, void **out);

/* Deletes a key (with `val`, only that value of a DUPSORT key). 0 or
 * PL_ENOTFOUND. */
int pl_db_del(pl_txn *t, pl_table tb, const void *key, size_t klen,
              const void *val, size_t vlen);

/* Empties a table. */
int pl_db_drop(pl_txn *t, pl_table tb);

/* Number of keys (values, for DUPSORT) in a table. */
int pl_db_count(pl_txn *t, pl_table tb, uint64_t *out);

/* Cursors, closed before their transaction ends. */
int pl_cursor_open(pl_txn *t, pl_table tb, pl_cursor **out);
void pl_cursor_close(pl_cursor *c);
/* Moves to the first key >= `key` (the first key of the table when key is
 * NULL). 0 or PL_ENOTFOUND when there is none. */
int pl_cursor_seek(pl_cursor *c, const void *key, size_t klen, pl_val *k, pl_val *v);
/* Moves to the last key < `key` (the last of the table when key is NULL). */
int pl_cursor_seek_before(pl_cursor *c, const void *key, size_t klen, pl_val *k,
                          pl_val *v);
/* The next or previous key (or value of a DUPSORT key). 0 or PL_ENOTFOUND. */
int pl_cursor_next(pl_cursor *c, pl_val *k, pl_val *v);
int pl_cursor_prev(pl_cursor *c, pl_val *k, pl_val *v);

/* Calls fn for every key that starts with `prefix`, in order, from the
 * first one >= prefix||from (`from` may be NULL). fn returns 0 to go on,
 * > 0 to stop (pl_db_scan then returns 0), < 0 to stop with that error. */
typedef int (*pl_scan_fn)(void *ctx, pl_val key, pl_val val);
int pl_db_scan(pl_txn *t, pl_table tb, const void *prefix, size_t plen,
               const void *from, size_t flen, pl_scan_fn fn, void *ctx);

/* Big-endian numbers for keys and rows. */
static inline void pl_be64_put(uint8_t out[8], uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    out[i] = (uint8_t)v;
    v >>= 8;
  }
}
static inline uint64_t pl_be64_get(const uint8_t in[8]) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | in[i];
  return v;
}

#endif /* PL_DB_H */
