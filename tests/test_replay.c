/*
 * test_replay.c - the derived state and the request index, without the
 * server: a request_id reused for other bytes, groups split when a
 * transaction is full, and the derived state recomputed from the leaves
 * (the rebuild at open, --rebuild, and --check's differences).
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fixture.h"
#include "test.h"

/* Replaces (val != NULL) or deletes a row behind the log's back, with the
 * log closed. 0 or an LMDB code. */
static int raw_edit(const char *dir, const char *table, const void *key, size_t klen,
                    const void *val, size_t vlen) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
  if (mdb_env_create(&env) != 0)
    return -1;
  mdb_env_set_maxdbs(env, 64);
  int rc = mdb_env_open(env, dir, 0, 0600);
  if (rc == 0)
    rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (rc == 0)
    rc = mdb_dbi_open(txn, table, 0, &dbi);
  if (rc == 0)
    rc = val != NULL ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL);
  if (rc == 0)
    rc = mdb_txn_commit(txn);
  mdb_env_close(env);
  return rc;
}

typedef struct {
  int n, missing, extra, differs;
  char table[32];
} diffs;

static void on_diff(void *ctx, const char *table, const uint8_t *key, size_t klen,
                    const char *what) {
  diffs *d = ctx;
  (void)key;
  (void)klen;
  d->n++;
  d->missing += strcmp(what, "missing") == 0;
  d->extra += strcmp(what, "extra") == 0;
  d->differs += strcmp(what, "differs") == 0;
  snprintf(d->table, sizeof(d->table), "%s", table);
}

/* The same request_id from the same signer is a retry only with the same
 * entry bytes; with other bytes it is refused, and nothing is written. */
PL_TEST(request_id_reused_for_other_bytes) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  pl_key *k1 = new_key(), *k2 = new_key();
  pl_append *first = enroll(&f, f.admin, k1, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  CHECK_EQ(append1(&f, first, &head), 0);
  uint64_t index = first->index;

  /* Another entry under the same id: ALREADY_EXISTS, naming the index. */
  Partsledger__V1__ActorEnrolled b = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  b.public_key.data = (uint8_t *)pl_key_public(k2);
  b.public_key.len = PL_PUBLIC_KEY_BYTES;
  b.role = PARTSLEDGER__V1__ROLE__ROLE_AUDITOR;
  b.name = "someone else";
  Partsledger__V1__Entry e = PARTSLEDGER__V1__ENTRY__INIT;
  e.request_id = first->entry->request_id;
  e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  e.actor_enrolled = &b;
  pl_append *other = make(&f, f.admin, &e);
  CHECK(other != NULL);
  CHECK_EQ(append1(&f, other, &head), PL_EEXIST);
  CHECK(strstr(other->msg, "already used for another entry") != NULL);
  char want[32];
  snprintf(want, sizeof(want), "index %llu", (unsigned long long)index);
  CHECK(strstr(other->msg, want) != NULL);
  CHECK_EQ(head.size, index + 1);

  /* The same bytes again are the same entry. */
  pl_append again = {.signed_entry = first->signed_entry, .entry = first->entry};
  CHECK_EQ(append1(&f, &again, &head), 0);
  CHECK(again.duplicate);
  CHECK_EQ(again.index, index);
  CHECK_EQ(head.size, index + 1);

  /* Another signer may use the same id for its own entry. */
  pl_key *admin2 = new_key();
  CHECK_EQ(append1(&f, enroll(&f, f.admin, admin2, PARTSLEDGER__V1__ROLE__ROLE_ADMIN),
                   &head), 0);
  e.request_id = first->entry->request_id;
  pl_append *theirs = make(&f, admin2, &e);
  CHECK_EQ(append1(&f, theirs, &head), 0);
  CHECK(!theirs->duplicate);
  pl_key_free(k1);
  pl_key_free(k2);
  pl_key_free(admin2);
  fx_done(&f);
}

/* A group too large for one transaction is split and every entry lands,
 * in order; an entry too large on its own fails alone. */
PL_TEST(group_split_when_transaction_full) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_log_close(f.log);
  f.txn_budget = 4096; /* a few entries a transaction */
  CHECK(fx_open(&f) == 0);
  enum { N = 40 };
  pl_append *items[N];
  pl_key *keys[N];
  for (int i = 0; i < N; i++) {
    keys[i] = new_key();
    items[i] = enroll(&f, f.admin, keys[i], PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  }
  pl_head head;
  CHECK_EQ(pl_log_append(f.log, items, N, &head), 0);
  for (int i = 0; i < N; i++) {
    CHECK_EQ(items[i]->err, 0);
    CHECK_EQ(items[i]->index, 1 + i);
  }
  CHECK_EQ(head.size, 1 + N);
  uint64_t checked;
  char why[256];
  CHECK_EQ(pl_log_check(f.log, &checked, NULL, NULL, why, sizeof(why)), 0);

  pl_log_close(f.log);
  f.txn_budget = 200; /* less than one entry needs */
  CHECK(fx_open(&f) == 0);
  pl_key *big = new_key();
  pl_append *it = enroll(&f, f.admin, big, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  CHECK_EQ(append1(&f, it, &head), PL_ETXNFULL);
  CHECK(strstr(it->msg, "more room than one transaction") != NULL);
  CHECK_EQ(head.size, 1 + N);
  for (int i = 0; i < N; i++)
    pl_key_free(keys[i]);
  pl_key_free(big);
  fx_done(&f);
}

/* --check recomputes the derived state and names each difference; a
 * rebuild makes the stored state the leaves' own again. */
PL_TEST(check_reports_derived_differences) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  pl_key *k[3] = {new_key(), new_key(), new_key()};
  for (int i = 0; i < 3; i++)
    CHECK_EQ(append1(&f, enroll(&f, f.admin, k[i], PARTSLEDGER__V1__ROLE__ROLE_AUDITOR),
                     &head), 0);
  pl_log_close(f.log);
  f.log = NULL;
  /* One actor forgotten, one made an admin, one invented. */
  CHECK_EQ(raw_edit(f.dir, "actor", pl_key_public(k[0]), PL_PUBLIC_KEY_BYTES, NULL, 0), 0);
  uint8_t row[18] = {PARTSLEDGER__V1__ROLE__ROLE_ADMIN};
  row[9] = 2; /* enrolled index 2 */
  CHECK_EQ(raw_edit(f.dir, "actor", pl_key_public(k[1]), PL_PUBLIC_KEY_BYTES, row,
                    sizeof(row)), 0);
  uint8_t ghost[PL_PUBLIC_KEY_BYTES];
  memset(ghost, 0xee, sizeof(ghost));
  CHECK_EQ(raw_edit(f.dir, "actor", ghost, sizeof(ghost), row, sizeof(row)), 0);
  CHECK(fx_open(&f) == 0);

  diffs d;
  memset(&d, 0, sizeof(d));
  uint64_t checked;
  char why[256];
  CHECK_EQ(pl_log_check(f.log, &checked, on_diff, &d, why, sizeof(why)), PL_ECORRUPT);
  CHECK_EQ(checked, 4);
  CHECK_EQ(d.n, 3);
  CHECK_EQ(d.missing, 1);
  CHECK_EQ(d.differs, 1);
  CHECK_EQ(d.extra, 1);
  CHECK_STR(d.table, "actor");
  CHECK(strstr(why, "differs from the leaves'") != NULL);

  uint64_t replayed;
  CHECK_EQ(pl_log_rebuild(f.log, &replayed, why, sizeof(why)), 0);
  CHECK_EQ(replayed, 4);
  memset(&d, 0, sizeof(d));
  CHECK_EQ(pl_log_check(f.log, &checked, on_diff, &d, why, sizeof(why)), 0);
  CHECK_EQ(d.n, 0);
  /* The rebuilt state rules as before: k[0] is enrolled, k[1] no admin. */
  pl_key *x = new_key();
  pl_append *by_k1 = enroll(&f, k[1], x, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  CHECK_EQ(append1(&f, by_k1, &head), PL_EROLE);
  pl_append *again = enroll(&f, f.admin, k[0], PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  CHECK_EQ(append1(&f, again, &head), PL_EEXIST);
  for (int i = 0; i < 3; i++)
    pl_key_free(k[i]);
  pl_key_free(x);
  fx_done(&f);
}

/* A data directory whose derived state is of an older version is rebuilt
 * when it is opened, before anything reads it. */
PL_TEST(old_derived_version_rebuilt_at_open) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  pl_key *k = new_key();
  CHECK_EQ(append1(&f, enroll(&f, f.admin, k, PARTSLEDGER__V1__ROLE__ROLE_ADMIN), &head),
           0);
  pl_log_close(f.log);
  f.log = NULL;
  CHECK_EQ(raw_edit(f.dir, "meta", "derived", 7, "1", 1), 0);
  CHECK_EQ(raw_edit(f.dir, "actor", pl_key_public(k), PL_PUBLIC_KEY_BYTES, NULL, 0), 0);
  CHECK(fx_open(&f) == 0);
  /* k signs again: its row is back. */
  pl_key *x = new_key();
  CHECK_EQ(append1(&f, enroll(&f, k, x, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR), &head), 0);
  uint64_t checked;
  char why[256];
  CHECK_EQ(pl_log_check(f.log, &checked, NULL, NULL, why, sizeof(why)), 0);
  pl_key_free(k);
  pl_key_free(x);
  fx_done(&f);
}

/* Derived state of a newer version than the program's is not touched: an
 * older program cannot know what it means. */
PL_TEST(newer_derived_version_refused) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  pl_key *k = new_key();
  CHECK_EQ(append1(&f, enroll(&f, f.admin, k, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR), &head),
           0);
  pl_log_close(f.log);
  f.log = NULL;
  CHECK_EQ(raw_edit(f.dir, "meta", "derived", 7, "99", 2), 0);
  char why[256];
  pl_log_config cfg = {.dir = f.dir, .origin = ORIGIN, .log_key = f.log_key,
                       .map_size = 1 << 26};
  CHECK_EQ(pl_log_open(&cfg, &f.log, why, sizeof(why)), PL_EINVAL);
  CHECK(strstr(why, "newer than this program's") != NULL);
  pl_key_free(k);
  fx_done(&f);
}

PL_TEST_MAIN(PL_CASE(request_id_reused_for_other_bytes),
             PL_CASE(group_split_when_transaction_full),
             PL_CASE(check_reports_derived_differences),
             PL_CASE(old_derived_version_rebuilt_at_open),
             PL_CASE(newer_derived_version_refused))
