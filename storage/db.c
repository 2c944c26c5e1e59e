/*
 * db.c - the one file that calls LMDB. See db.h.
 *
 * LMDB's return codes become PL_E* codes in pl__mdb_err and go no further.
 * Every table of the list is opened once, in pl_db_open, so transactions
 * need no table handles of their own.
 */
#include "db.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

#define PL__DEFAULT_MAP ((size_t)64 << 30)

struct pl_db {
  MDB_env *env;
  MDB_dbi dbi[PL_T_COUNT];
  size_t budget; /* bytes a write transaction may put; 0 = no bound */
};

struct pl_txn {
  pl_db *db;
  MDB_txn *txn;
  int write;
  int forbid; /* writes refused: an entry's rules are being checked */
  size_t put; /* bytes of keys and values put so far */
};

struct pl_cursor {
  MDB_cursor *cur;
};

static const struct {
  const char *name;
  unsigned flags;
} pl__tables[PL_T_COUNT] = {
#define PL__TABLE_ROW(e, name, flags) {#name, (flags)},
    PL_TABLES(PL__TABLE_ROW)
#undef PL__TABLE_ROW
};

const char *pl_table_name(pl_table t) {
  return (unsigned)t < PL_T_COUNT ? pl__tables[t].name : "unknown";
}

unsigned pl_table_flags(pl_table t) {
  return (unsigned)t < PL_T_COUNT ? pl__tables[t].flags : 0;
}

static int pl__mdb_err(int rc) {
  switch (rc) {
  case MDB_SUCCESS:
    return 0;
  case MDB_NOTFOUND:
    return PL_ENOTFOUND;
  case MDB_KEYEXIST:
    return PL_EEXIST;
  /* A full disk leaves no doubt about what was written: LMDB aborts the
   * transaction, as it does when the map is full. */
  case MDB_MAP_FULL:
  case ENOSPC:
  case EDQUOT:
    return PL_EFULL;
  /* The transaction's own page budget: the caller splits its work. */
  case MDB_TXN_FULL:
    return PL_ETXNFULL;
  case MDB_BAD_VALSIZE:
    return PL_EVALSIZE;
  case MDB_READERS_FULL:
    return PL_EREADERS;
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

int pl_db_open(const char *dir, size_t map_size, pl_db **out, char *why,
               size_t why_len) {
  MDB_txn *txn = NULL;
  int rc;
  *out = NULL;
  pl_db *db = calloc(1, sizeof(*db));
  if (db == NULL)
    return PL_ENOMEM;
  rc = mdb_env_create(&db->env);
  if (rc != 0)
    goto fail;
  mdb_env_set_maxdbs(db->env, PL_T_COUNT + 4);
  mdb_env_set_mapsize(db->env, map_size ? map_size : PL__DEFAULT_MAP);
  mdb_env_set_maxreaders(db->env, 256);
  /* MDB_NOTLS: a read transaction belongs to its owner, not to a thread, so
   * workers keep one each and reuse it. Commits stay fully durable. */
  rc = mdb_env_open(db->env, dir, MDB_NOTLS, 0600);
  if (rc != 0) {
    snprintf(why, why_len, "cannot open LMDB in %s: %s", dir, mdb_strerror(rc));
    goto fail;
  }
  /* Reader slots left by a process that was killed would pin old pages and
   * make the file grow: clear them. */
  int dead = 0;
  mdb_reader_check(db->env, &dead);

  rc = mdb_txn_begin(db->env, NULL, 0, &txn);
  for (int t = 0; rc == 0 && t < PL_T_COUNT; t++) {
    unsigned flags = MDB_CREATE;
    if (pl__tables[t].flags & PL_TABLE_DUPSORT)
      flags |= MDB_DUPSORT;
    rc = mdb_dbi_open(txn, pl__tables[t].name, flags, &db->dbi[t]);
  }
  if (rc == 0) {
    rc = mdb_txn_commit(txn);
    txn = NULL;
  }
  if (rc != 0) {
    snprintf(why, why_len, "cannot open the tables in %s: %s", dir, mdb_strerror(rc));
    goto fail;
  }
  *out = db;
  return 0;

fail:
  if (txn != NULL)
    mdb_txn_abort(txn);
  if (db->env != NULL)
    mdb_env_close(db->env);
  free(db);
  return pl__mdb_err(rc);
}

void pl_db_set_txn_budget(pl_db *db, size_t bytes) { db->budget = bytes; }

void pl_db_close(pl_db *db) {
  if (db == NULL)
    return;
  mdb_env_close(db->env);
  free(db);
}

/* LMDB's two files are its business: the rest of the project knows a
 * store by its directory. */
int pl_db_exists(const char *dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/data.mdb", dir);
  return access(path, F_OK) == 0;
}

int pl_db_remove(const char *dir) {
  char path[4096];
  int rc = 0;
  static const char *const files[] = {"data.mdb", "lock.mdb"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
    if (unlink(path) != 0 && errno != ENOENT)
      rc = PL_EIO;
  }
  if (rmdir(dir) != 0)
    rc = PL_EIO;
  return rc;
}

/* --- transactions ------------------------------------------------------- */

int pl_txn_begin(pl_db *db, int write, pl_txn **out) {
  pl_txn *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return PL_ENOMEM;
  int rc = mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
  if (rc != 0) {
    free(t);
    return pl__mdb_err(rc);
  }
  t->db = db;
  t->write = write;
  *out = t;
  return 0;
}

int pl_txn_commit(pl_txn *t) {
  int rc = mdb_txn_commit(t->txn);
  free(t);
  return pl__mdb_err(rc);
}

void pl_txn_abort(pl_txn *t) {
  if (t == NULL)
    return;
  mdb_txn_abort(t->txn);
  free(t);
}

void pl_txn_reset(pl_txn *t) { mdb_txn_reset(t->txn); }

int pl_txn_renew(pl_txn *t) { return pl__mdb_err(mdb_txn_renew(t->txn)); }

void pl_txn_forbid_writes(pl_txn *t, int forbid) { t->forbid = forbid; }

/* --- rows ------------------------------------------------------------------ */

int pl_db_get(pl_txn *t, pl_table tb, const void *key, size_t klen, pl_val *out) {
  MDB_val k = {klen, (void *)key}, v;
  int rc = mdb_get(t->txn, t->db->dbi[tb], &k, &v);
  if (rc != 0)
    return pl__mdb_err(rc);
  out->data = v.mv_data;
  out->len = v.mv_size;
  return 0;
}

/* Counts a put against the transaction's budget. */
static int pl__spend(pl_txn *t, size_t n) {
  t->put += n;
  return t->db->budget != 0 && t->put > t->db->budget ? PL_ETXNFULL : 0;
}

static unsigned pl__put_flags(unsigned flags) {
  unsigned f = 0;
  if (flags & PL_PUT_APPEND)
    f |= MDB_APPEND;
  if (flags & PL_PUT_NOOVERWRITE)
    f |= MDB_NOOVERWRITE;
  return f;
}

int pl_db_put(pl_txn *t, pl_table tb, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned flags) {
  if (t->forbid || !t->write)
    return PL_EINTERNAL;
  if (pl__spend(t, klen + vlen) != 0)
    return PL_ETXNFULL;
  MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
  unsigned f = pl__put_flags(flags);
  if ((f & MDB_APPEND) && (pl__tables[tb].flags & PL_TABLE_DUPSORT))
    f = (f & ~MDB_APPEND) | MDB_APPENDDUP;
  return pl__mdb_err(mdb_put(t->txn, t->db->dbi[tb], &k, &v, f));
}

int pl_db_reserve(pl_txn *t, pl_table tb, const void *key, size_t klen,
                  size_t vlen, unsigned flags, void **out) {
  if (t->forbid || !t->write || (pl__tables[tb].flags & PL_TABLE_DUPSORT))
    return PL_EINTERNAL;
  if (pl__spend(t, klen + vlen) != 0)
    return PL_ETXNFULL;
  MDB_val k = {klen, (void *)key}, v = {vlen, NULL};
  int rc = mdb_put(t->txn, t->db->dbi[tb], &k, &v, pl__put_flags(flags) | MDB_RESERVE);
  if (rc != 0)
    return pl__mdb_err(rc);
  *out = v.mv_data;
  return 0;
}

int pl_db_del(pl_txn *t, pl_table tb, const void *key, size_t klen,
              const void *val, size_t vlen) {
  if (t->forbid || !t->write)
    return PL_EINTERNAL;
  MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
  return pl__mdb_err(mdb_del(t->txn, t->db->dbi[tb], &k, val != NULL ? &v : NULL));
}

int pl_db_drop(pl_txn *t, pl_table tb) {
  if (t->forbid || !t->write)
    return PL_EINTERNAL;
  return pl__mdb_err(mdb_drop(t->txn, t->db->dbi[tb], 0));
}

int pl_db_count(pl_txn *t, pl_table tb, uint64_t *out) {
  MDB_stat st;
  int rc = mdb_stat(t->txn, t->db->dbi[tb], &st);
  if (rc != 0)
    return pl__mdb_err(rc);
  *out = st.ms_entries;
  return 0;
}

/* --- cursors ----------------------------------------------------------------- */

int pl_cursor_open(pl_txn *t, pl_table tb, pl_cursor **out) {
  pl_cursor *c = malloc(sizeof(*c));
  if (c == NULL)
    return PL_ENOMEM;
  int rc = mdb_cursor_open(t->txn, t->db->dbi[tb], &c->cur);
  if (rc != 0) {
    free(c);
    return pl__mdb_err(rc);
  }
  *out = c;
  return 0;
}

void pl_cursor_close(pl_cursor *c) {
  if (c == NULL)
    return;
  mdb_cursor_close(c->cur);
  free(c);
}

static int pl__cursor_get(pl_cursor *c, MDB_val *k, MDB_val *v, MDB_cursor_op op,
                          pl_val *ko, pl_val *vo) {
  int rc = mdb_cursor_get(c->cur, k, v, op);
  if (rc != 0)
    return pl__mdb_err(rc);
  if (ko != NULL) {
    ko->data = k->mv_data;
    ko->len = k->mv_size;
  }
  if (vo != NULL) {
    vo->data = v->mv_data;
    vo->len = v->mv_size;
  }
  return 0;
}

int pl_cursor_seek(pl_cursor *c, const void *key, size_t klen, pl_val *k, pl_val *v) {
  MDB_val mk = {klen, (void *)key}, mv = {0, NULL};
  return pl__cursor_get(c, &mk, &mv, key != NULL ? MDB_SET_RANGE : MDB_FIRST, k, v);
}

int pl_cursor_seek_before(pl_cursor *c, const void *key, size_t klen, pl_val *k,
                          pl_val *v) {
  MDB_val mk = {klen, (void *)key}, mv = {0, NULL};
  if (key == NULL)
    return pl__cursor_get(c, &mk, &mv, MDB_LAST, k, v);
  int rc = pl__cursor_get(c, &mk, &mv, MDB_SET_RANGE, NULL, NULL);
  if (rc == PL_ENOTFOUND) /* every key is smaller */
    return pl__cursor_get(c, &mk, &mv, MDB_LAST, k, v);
  if (rc != 0)
    return rc;
  return pl__cursor_get(c, &mk, &mv, MDB_PREV, k, v);
}

int pl_cursor_next(pl_cursor *c, pl_val *k, pl_val *v) {
  MDB_val mk, mv;
  return pl__cursor_get(c, &mk, &mv, MDB_NEXT, k, v);
}

int pl_cursor_prev(pl_cursor *c, pl_val *k, pl_val *v) {
  MDB_val mk, mv;
  return pl__cursor_get(c, &mk, &mv, MDB_PREV, k, v);
}

int pl_db_scan(pl_txn *t, pl_table tb, const void *prefix, size_t plen,
               const void *from, size_t flen, pl_scan_fn fn, void *ctx) {
  uint8_t stack[512];
  size_t slen = plen + flen;
  if (slen > sizeof(stack))
    return PL_EVALSIZE; /* longer than any LMDB key */
  memcpy(stack, prefix, plen);
  if (flen > 0)
    memcpy(stack + plen, from, flen);
  pl_cursor *c;
  int rc = pl_cursor_open(t, tb, &c);
  if (rc != 0)
    return rc;
  pl_val k, v;
  for (rc = pl_cursor_seek(c, slen > 0 ? stack : NULL, slen, &k, &v); rc == 0;
       rc = pl_cursor_next(c, &k, &v)) {
    if (k.len < plen || memcmp(k.data, prefix, plen) != 0)
      break;
    rc = fn(ctx, k, v);
    if (rc != 0)
      break;
  }
  pl_cursor_close(c);
  if (rc == PL_ENOTFOUND || rc > 0)
    rc = 0;
  return rc;
}
