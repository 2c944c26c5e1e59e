/*
 * test_log.c - the LMDB ledger without the server: genesis, group appends,
 * the rules of each entry kind, idempotency, proofs, restart and tampering.
 */
#include <lmdb.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "merkle.h"
#include "mutate.h"
#include "note.h"
#include "test.h"

#include "fixture.h"

PL_TEST(genesis_enrolls_admin) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  pl_log_head(f.log, &head);
  CHECK_EQ(head.size, 1);
  /* The checkpoint verifies with the log's verifier key. */
  size_t body_len;
  CHECK(pl_note_verify(pl_log_vkey(f.log), head.checkpoint, head.checkpoint_len,
                       &body_len) == 0);
  /* Leaf 0 is an ActorEnrolled of the admin, signed by the log key. */
  pl_reader *r;
  CHECK(pl_reader_new(f.log, &r) == 0);
  CHECK(pl_reader_begin(r) == 0);
  const uint8_t *leaf;
  size_t len;
  uint8_t hash[PL_HASH_BYTES], want[PL_HASH_BYTES];
  CHECK(pl_reader_leaf(r, 0, &leaf, &len, hash) == 0);
  pl_merkle_leaf_hash(leaf, len, want);
  CHECK_MEM(hash, want, PL_HASH_BYTES);
  CHECK_MEM(head.root, want, PL_HASH_BYTES); /* a one-leaf tree's root */
  Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(NULL, len, leaf);
  CHECK(l != NULL);
  CHECK_MEM(l->signed_entry->signer.data, pl_key_public(f.log_key), 32);
  CHECK(pl_entry_verify(l->signed_entry->signer.data, l->signed_entry->entry.data,
                        l->signed_entry->entry.len,
                        l->signed_entry->signature.data) == 0);
  Partsledger__V1__Entry *e = partsledger__v1__entry__unpack(
      NULL, l->signed_entry->entry.len, l->signed_entry->entry.data);
  CHECK(e != NULL && e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED);
  CHECK_MEM(e->actor_enrolled->public_key.data, pl_key_public(f.admin), 32);
  CHECK_EQ(e->actor_enrolled->role, PARTSLEDGER__V1__ROLE__ROLE_ADMIN);
  partsledger__v1__entry__free_unpacked(e, NULL);
  partsledger__v1__leaf__free_unpacked(l, NULL);
  CHECK_EQ(pl_reader_leaf(r, 1, &leaf, &len, hash), PL_ERANGE);
  pl_reader_end(r);
  pl_reader_free(r);
  fx_done(&f);
}

PL_TEST(append_and_prove) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  uint8_t hashes[40][PL_HASH_BYTES];
  for (int i = 0; i < 40; i++) {
    pl_key *k = new_key();
    pl_append *it = enroll(&f, f.admin, k, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
    CHECK(it != NULL);
    CHECK_EQ(append1(&f, it, &head), 0);
    CHECK_EQ(it->index, (uint64_t)i + 1);
    CHECK_EQ(head.size, (uint64_t)i + 2);
    memcpy(hashes[i], it->leaf_hash, PL_HASH_BYTES);
    pl_key_free(k);
  }
  pl_reader *r;
  CHECK(pl_reader_new(f.log, &r) == 0);
  CHECK(pl_reader_begin(r) == 0);
  for (uint64_t size = 2; size <= 41; size++) {
    uint8_t root[PL_HASH_BYTES];
    CHECK(pl_reader_root(r, size, root) == 0);
    for (uint64_t i = 1; i < size; i++) {
      pl_hash proof[PL_MERKLE_MAX_PROOF];
      size_t n;
      CHECK(pl_reader_inclusion(r, i, size, proof, &n) == 0);
      CHECK(pl_merkle_verify_inclusion(i, size, hashes[i - 1], proof, n, root) == 0);
    }
    uint8_t new_root[PL_HASH_BYTES];
    CHECK(pl_reader_root(r, 41, new_root) == 0);
    pl_hash proof[PL_MERKLE_MAX_PROOF];
    size_t n;
    CHECK(pl_reader_consistency(r, size, 41, proof, &n) == 0);
    CHECK(pl_merkle_verify_consistency(size, 41, root, new_root, proof, n) == 0);
  }
  uint8_t root[PL_HASH_BYTES];
  CHECK(pl_reader_root(r, 41, root) == 0);
  CHECK_MEM(root, head.root, PL_HASH_BYTES);
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  size_t n;
  CHECK_EQ(pl_reader_inclusion(r, 3, 42, proof, &n), PL_ERANGE);
  CHECK_EQ(pl_reader_consistency(r, 5, 42, proof, &n), PL_ERANGE);
  pl_reader_end(r);
  pl_reader_free(r);
  fx_done(&f);
}

PL_TEST(roles_and_revocation) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  pl_key *stranger = new_key(), *maker = new_key(), *admin2 = new_key(),
         *x = new_key();
  /* Unknown signer. */
  CHECK_EQ(append1(&f, enroll(&f, stranger, x, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR),
                   &head), PL_ESIGNER);
  /* A manufacturer may not enroll. */
  CHECK_EQ(append1(&f, enroll(&f, f.admin, maker, PARTSLEDGER__V1__ROLE__ROLE_MANUFACTURER),
                   &head), 0);
  pl_append *it = enroll(&f, maker, x, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  CHECK_EQ(append1(&f, it, &head), PL_EROLE);
  CHECK(strstr(it->msg, "manufacturer") != NULL);
  /* Enrolling twice is refused. */
  CHECK_EQ(append1(&f, enroll(&f, f.admin, maker, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR),
                   &head), PL_EEXIST);
  /* A second admin, revoked by the first, can no longer write. */
  CHECK_EQ(append1(&f, enroll(&f, f.admin, admin2, PARTSLEDGER__V1__ROLE__ROLE_ADMIN),
                   &head), 0);
  CHECK_EQ(append1(&f, revoke_of(&f, f.admin, admin2), &head), 0);
  CHECK_EQ(append1(&f, enroll(&f, admin2, x, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR),
                   &head), PL_EREVOKED);
  CHECK_EQ(append1(&f, revoke_of(&f, f.admin, admin2), &head), PL_ESTATE);
  CHECK_EQ(append1(&f, revoke_of(&f, f.admin, x), &head), PL_ENOTFOUND);
  CHECK_EQ(append1(&f, revoke_of(&f, f.admin, f.admin), &head), PL_ESTATE);
  CHECK_EQ(append1(&f, enroll(&f, f.admin, admin2, PARTSLEDGER__V1__ROLE__ROLE_ADMIN),
                   &head), PL_ESTATE);
  /* Only the three good entries were logged. */
  CHECK_EQ(head.size, 4);
  pl_key_free(stranger);
  pl_key_free(maker);
  pl_key_free(admin2);
  pl_key_free(x);
  fx_done(&f);
}

PL_TEST(group_rejects_alone_and_dedups) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_key *a = new_key(), *b = new_key(), *stranger = new_key();
  pl_append *good1 = enroll(&f, f.admin, a, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  pl_append *bad = enroll(&f, stranger, b, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  pl_append *good2 = enroll(&f, f.admin, b, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  pl_append *dup = pl_arena_alloc(f.arena, sizeof(*dup));
  *dup = *good1; /* the same signed entry again, in the same group */
  pl_append *items[4] = {good1, bad, good2, dup};
  pl_head head;
  CHECK_EQ(pl_log_append(f.log, items, 4, &head), 0);
  CHECK_EQ(good1->err, 0);
  CHECK_EQ(good1->index, 1);
  CHECK_EQ(bad->err, PL_ESIGNER);
  CHECK_EQ(good2->err, 0);
  CHECK_EQ(good2->index, 2);
  CHECK_EQ(dup->err, 0);
  CHECK(dup->duplicate);
  CHECK_EQ(dup->index, 1);
  CHECK_MEM(dup->leaf_hash, good1->leaf_hash, PL_HASH_BYTES);
  CHECK_EQ(head.size, 3);
  /* A retry in a later group is a duplicate too, and appends nothing. */
  pl_append *again = pl_arena_alloc(f.arena, sizeof(*again));
  *again = *good2;
  CHECK_EQ(append1(&f, again, &head), 0);
  CHECK(again->duplicate);
  CHECK_EQ(again->index, 2);
  CHECK_EQ(head.size, 3);
  pl_key_free(a);
  pl_key_free(b);
  pl_key_free(stranger);
  fx_done(&f);
}

PL_TEST(reopen_keeps_tree) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head before, after;
  CHECK_EQ(append_auditors(&f, 10, &before), 0);
  pl_log_close(f.log);
  f.log = NULL;
  CHECK(fx_open(&f) == 0);
  pl_log_head(f.log, &after);
  CHECK_EQ(after.size, 11);
  CHECK_MEM(after.root, before.root, PL_HASH_BYTES);
  CHECK_STR(after.checkpoint, before.checkpoint);
  /* Appends go on from where they were. */
  pl_key *k = new_key();
  pl_append *it = enroll(&f, f.admin, k, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  CHECK_EQ(append1(&f, it, &after), 0);
  CHECK_EQ(it->index, 11);
  pl_key_free(k);
  fx_done(&f);
}

PL_TEST(reopen_refuses_other_identity) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_log_close(f.log);
  f.log = NULL;
  char why[256];
  pl_log_config cfg = {.dir = f.dir, .origin = "other.example/log", .log_key = f.log_key,
                       .map_size = 1 << 26};
  CHECK_EQ(pl_log_open(&cfg, &f.log, why, sizeof(why)), PL_EINVAL);
  CHECK(strstr(why, "origin") != NULL);
  pl_key *other = new_key();
  pl_log_config cfg2 = {.dir = f.dir, .origin = ORIGIN, .log_key = other,
                        .map_size = 1 << 26};
  CHECK_EQ(pl_log_open(&cfg2, &f.log, why, sizeof(why)), PL_EINVAL);
  CHECK(strstr(why, "log key") != NULL);
  pl_key_free(other);
  /* While one log holds the directory, a second open is refused. */
  pl_log_config same = {.dir = f.dir, .origin = ORIGIN, .log_key = f.log_key,
                        .map_size = 1 << 26};
  pl_log *first = NULL, *second = NULL;
  CHECK_EQ(pl_log_open(&same, &first, why, sizeof(why)), 0);
  CHECK_EQ(pl_log_open(&same, &second, why, sizeof(why)), PL_ELOCKED);
  CHECK(strstr(why, "in use") != NULL);
  CHECK(second == NULL);
  pl_log_close(first);
  CHECK_EQ(pl_log_open(&same, &second, why, sizeof(why)), 0); /* released */
  pl_log_close(second);
  f.log = NULL;

  /* A new directory with no admin key cannot start a log. */
  char dir2[300];
  snprintf(dir2, sizeof(dir2), "%s/new", f.dir);
  pl_log_config cfg3 = {.dir = dir2, .origin = ORIGIN, .log_key = f.log_key,
                        .map_size = 1 << 26};
  CHECK_EQ(pl_log_open(&cfg3, &f.log, why, sizeof(why)), PL_EINVAL);
  CHECK(f.log == NULL);
  /* Asked for an existing log, an open creates nothing where there is none,
   * and opens the one that is there. */
  char dir3[300];
  snprintf(dir3, sizeof(dir3), "%s/none", f.dir);
  pl_log_config only = {.dir = dir3, .origin = ORIGIN, .log_key = f.log_key,
                        .admin_key = pl_key_public(f.admin), .map_size = 1 << 26,
                        .existing = 1};
  CHECK_EQ(pl_log_open(&only, &f.log, why, sizeof(why)), PL_ENOTFOUND);
  CHECK(f.log == NULL && access(dir3, F_OK) != 0);
  only.dir = f.dir;
  CHECK_EQ(pl_log_open(&only, &f.log, why, sizeof(why)), 0);
  pl_log_close(f.log);
  f.log = NULL;
  fx_done(&f);
}

/* Flips one bit of a stored row (table `db`, key = u64be index) behind the
 * log's back. */
static int tamper(const char *dir, const char *db, uint64_t index, size_t offset) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  uint8_t k[8];
  for (int i = 7; i >= 0; i--, index >>= 8)
    k[i] = (uint8_t)index;
  MDB_val key = {8, k}, val;
  if (mdb_env_create(&env) != 0)
    return -1;
  mdb_env_set_maxdbs(env, 16);
  int rc = mdb_env_open(env, dir, 0, 0600);
  if (rc == 0)
    rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (rc == 0)
    rc = mdb_dbi_open(txn, db, 0, &dbi);
  if (rc == 0)
    rc = mdb_get(txn, dbi, &key, &val);
  if (rc == 0 && offset < val.mv_size) {
    uint8_t *copy = malloc(val.mv_size);
    memcpy(copy, val.mv_data, val.mv_size);
    copy[offset] ^= 1;
    MDB_val nv = {val.mv_size, copy};
    rc = mdb_put(txn, dbi, &key, &nv, 0);
    free(copy);
    if (rc == 0)
      rc = mdb_txn_commit(txn);
  }
  mdb_env_close(env);
  return rc;
}

/* Rewriting a stored Merkle node behind the log's back is caught at open. */
PL_TEST(tampered_node_detected) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  CHECK_EQ(append_auditors(&f, 6, &head), 0);
  pl_log_close(f.log);
  f.log = NULL;

  /* Leaf 3 finishes levels 0..2; its level-2 subtree is in every later root. */
  CHECK_EQ(tamper(f.dir, "node", 3, 2 * PL_HASH_BYTES + 5), 0);

  pl_log_config cfg = {.dir = f.dir, .origin = ORIGIN, .log_key = f.log_key,
                       .map_size = 1 << 26};
  char why[256];
  CHECK_EQ(pl_log_open(&cfg, &f.log, why, sizeof(why)), PL_ECORRUPT);
  CHECK(strstr(why, "checkpoint") != NULL);
  fx_done(&f);
}

PL_TEST(full_check_finds_tampered_leaves) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_head head;
  CHECK_EQ(append_auditors(&f, 12, &head), 0);
  uint64_t checked;
  char why[256];
  CHECK_EQ(pl_log_check(f.log, &checked, NULL, NULL, why, sizeof(why)), 0);
  CHECK_EQ(checked, 13);
  pl_log_close(f.log);
  f.log = NULL;

  /* integrated_at of leaf 5 off by one: still a valid, signed Leaf, but no
   * longer the one the tree commits to. The cheap check at open (root from
   * the stored subtrees) cannot see it; the full check must. */
  CHECK_EQ(tamper(f.dir, "leaf", 5, 3), 0);
  CHECK(fx_open(&f) == 0);
  CHECK_EQ(pl_log_check(f.log, &checked, NULL, NULL, why, sizeof(why)), PL_ECORRUPT);
  CHECK(strstr(why, "leaf 5") != NULL);
  pl_log_close(f.log);
  f.log = NULL;

  /* A byte of leaf 9's signed entry: its signature fails. */
  CHECK_EQ(tamper(f.dir, "leaf", 5, 3), 0); /* undo the first */
  CHECK_EQ(tamper(f.dir, "leaf", 9, 40), 0);
  CHECK(fx_open(&f) == 0);
  CHECK_EQ(pl_log_check(f.log, &checked, NULL, NULL, why, sizeof(why)), PL_ECORRUPT);
  CHECK(strstr(why, "leaf 9") != NULL);
  fx_done(&f);
}

/* Signs `e` packed, with the first `mark` byte of its wire bytes replaced
 * by `with`, and opens it as the server would. */
static int open_patched(fixture *f, Partsledger__V1__Entry *e, char mark,
                        uint8_t with, char *msg) {
  size_t len = partsledger__v1__entry__get_packed_size(e);
  uint8_t *bytes = pl_arena_alloc(f->arena, len);
  partsledger__v1__entry__pack(e, bytes);
  uint8_t *at = memchr(bytes, mark, len);
  if (at == NULL)
    return -100;
  *at = with;
  Partsledger__V1__SignedEntry se = PARTSLEDGER__V1__SIGNED_ENTRY__INIT;
  uint8_t sig[PL_SIGNATURE_BYTES];
  if (pl_entry_sign(f->admin, bytes, len, sig) != 0)
    return -101;
  se.entry = (ProtobufCBinaryData){len, bytes};
  se.signer = (ProtobufCBinaryData){PL_PUBLIC_KEY_BYTES, (uint8_t *)pl_key_public(f->admin)};
  se.signature = (ProtobufCBinaryData){sizeof(sig), sig};
  Partsledger__V1__Entry *dec;
  return pl_signed_entry_open(&se, pl_arena_allocator(f->arena), &dec, msg);
}

/* protobuf-c ends a string at its first NUL: a name "ok\0<anything>" must not
 * pass as "ok". Every string is checked as sent, in the wire bytes. */
PL_TEST(strings_checked_as_sent) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  char msg[PL_MSG_MAX];
  uint8_t rid[PL_REQUEST_ID_BYTES] = {1}, pk[PL_PUBLIC_KEY_BYTES] = {0};
  char *sites[] = {"site-1#"};
  Partsledger__V1__ActorEnrolled b = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  b.public_key = (ProtobufCBinaryData){sizeof(pk), pk}; /* zero bytes: fine in bytes */
  b.role = PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION;
  b.name = "ok~rest";
  b.n_site_ids = 1;
  b.site_ids = sites;
  Partsledger__V1__Entry e = PARTSLEDGER__V1__ENTRY__INIT;
  e.request_id = (ProtobufCBinaryData){sizeof(rid), rid};
  e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  e.actor_enrolled = &b;

  CHECK_EQ(open_patched(&f, &e, '~', '-', msg), 0); /* as a control */
  CHECK_EQ(open_patched(&f, &e, '~', 0x00, msg), PL_EINVAL);
  CHECK(strstr(msg, "NUL") != NULL);
  CHECK_EQ(open_patched(&f, &e, '#', 0x00, msg), PL_EINVAL); /* a repeated string */
  CHECK_EQ(open_patched(&f, &e, '~', 0xff, msg), PL_EINVAL); /* not UTF-8 */

  Partsledger__V1__ActorRevoked r = PARTSLEDGER__V1__ACTOR_REVOKED__INIT;
  r.public_key = (ProtobufCBinaryData){sizeof(pk), pk};
  r.reason = "lost~";
  e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED;
  e.actor_revoked = &r;
  CHECK_EQ(open_patched(&f, &e, '~', '.', msg), 0);
  CHECK_EQ(open_patched(&f, &e, '~', 0x00, msg), PL_EINVAL);
  fx_done(&f);
}

PL_TEST(signed_entry_checks) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_key *k = new_key();
  pl_append *it = enroll(&f, f.admin, k, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  CHECK(it != NULL);
  Partsledger__V1__SignedEntry se = *it->signed_entry;
  Partsledger__V1__Entry *e;
  char msg[PL_MSG_MAX];
  ProtobufCAllocator *al = pl_arena_allocator(f.arena);

  uint8_t sig[PL_SIGNATURE_BYTES];
  memcpy(sig, se.signature.data, sizeof(sig));
  sig[0] ^= 1;
  se.signature.data = sig;
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_EBADSIG);
  se = *it->signed_entry;
  se.signature.len = 63;
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_EINVAL);
  se = *it->signed_entry;
  se.signer.len = 31;
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_EINVAL);
  se = *it->signed_entry;
  se.entry.len = 0;
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_EINVAL);
  se = *it->signed_entry;
  uint8_t junk[3] = {0xff, 0xff, 0xff};
  se.entry.data = junk;
  se.entry.len = sizeof(junk);
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_EINVAL);
  static uint8_t big[PL_ENTRY_MAX + 1];
  se = *it->signed_entry;
  se.entry.data = big;
  se.entry.len = sizeof(big);
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_ETOOBIG);

  /* Co-signatures: each by a distinct key other than the signer's, each
   * over the same bytes. */
  pl_key *co1 = new_key(), *co2 = new_key();
  Partsledger__V1__Cosignature c1 = PARTSLEDGER__V1__COSIGNATURE__INIT,
                               c2 = PARTSLEDGER__V1__COSIGNATURE__INIT;
  uint8_t s1[PL_SIGNATURE_BYTES], s2[PL_SIGNATURE_BYTES];
  const ProtobufCBinaryData body = it->signed_entry->entry;
  CHECK(pl_entry_sign(co1, body.data, body.len, s1) == 0);
  CHECK(pl_entry_sign(co2, body.data, body.len, s2) == 0);
  c1.signer = (ProtobufCBinaryData){PL_PUBLIC_KEY_BYTES, (uint8_t *)pl_key_public(co1)};
  c1.signature = (ProtobufCBinaryData){sizeof(s1), s1};
  c2.signer = (ProtobufCBinaryData){PL_PUBLIC_KEY_BYTES, (uint8_t *)pl_key_public(co2)};
  c2.signature = (ProtobufCBinaryData){sizeof(s2), s2};
  Partsledger__V1__Cosignature *cos[2] = {&c1, &c2};
  se = *it->signed_entry;
  se.n_cosignatures = 2;
  se.cosignatures = cos;
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), 0);
  cos[1] = &c1; /* the same co-signer twice */
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_EINVAL);
  CHECK(strstr(msg, "twice") != NULL);
  Partsledger__V1__Cosignature self = c2;
  self.signer = it->signed_entry->signer; /* the author co-signing */
  cos[1] = &self;
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_EINVAL);
  s2[3] ^= 1;
  cos[1] = &c2;
  CHECK_EQ(pl_signed_entry_open(&se, al, &e, msg), PL_EBADSIG);
  pl_key_free(co1);
  pl_key_free(co2);

  /* A field the envelope does not define: unsigned, so refused. */
  size_t plen = partsledger__v1__signed_entry__get_packed_size(it->signed_entry);
  uint8_t *packed = pl_arena_alloc(f.arena, plen + 3);
  partsledger__v1__signed_entry__pack(it->signed_entry, packed);
  packed[plen] = 0x98; /* field 99, varint */
  packed[plen + 1] = 0x06;
  packed[plen + 2] = 0x01;
  Partsledger__V1__SignedEntry *extra =
      partsledger__v1__signed_entry__unpack(al, plen + 3, packed);
  CHECK(extra != NULL);
  CHECK_EQ(pl_signed_entry_open(extra, al, &e, msg), PL_EINVAL);
  CHECK(strstr(msg, "does not know") != NULL);
  extra = partsledger__v1__signed_entry__unpack(al, plen, packed);
  CHECK(extra != NULL);
  CHECK_EQ(pl_signed_entry_open(extra, al, &e, msg), 0);

  /* Entries that decode but break a stateless rule. */
  Partsledger__V1__Entry bare = PARTSLEDGER__V1__ENTRY__INIT;
  uint8_t rid[PL_REQUEST_ID_BYTES] = {1};
  bare.request_id.data = rid;
  bare.request_id.len = sizeof(rid);
  CHECK_EQ(pl_entry_check(&bare, msg), PL_EINVAL); /* no body */
  Partsledger__V1__ActorEnrolled b = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  b.public_key.data = rid;
  b.public_key.len = 16;
  b.role = PARTSLEDGER__V1__ROLE__ROLE_AUDITOR;
  b.name = "x";
  bare.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  bare.actor_enrolled = &b;
  CHECK_EQ(pl_entry_check(&bare, msg), PL_EINVAL); /* short key */
  b.public_key.data = (uint8_t *)pl_key_public(k);
  b.public_key.len = 32;
  CHECK_EQ(pl_entry_check(&bare, msg), 0);
  b.role = PARTSLEDGER__V1__ROLE__ROLE_UNSPECIFIED;
  CHECK_EQ(pl_entry_check(&bare, msg), PL_EINVAL);
  b.role = PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE; /* needs a site */
  CHECK_EQ(pl_entry_check(&bare, msg), PL_EINVAL);
  b.role = PARTSLEDGER__V1__ROLE__ROLE_AUDITOR;
  b.name = "bad\nname";
  CHECK_EQ(pl_entry_check(&bare, msg), PL_EINVAL);
  b.name = "Werkstatt Z\xc3\xbcrich"; /* UTF-8 is welcome */
  CHECK_EQ(pl_entry_check(&bare, msg), 0);
  b.name = "Z\xfcrich"; /* Latin-1 is not: other decoders would refuse it */
  CHECK_EQ(pl_entry_check(&bare, msg), PL_EINVAL);
  b.name = "ok";
  bare.request_id.len = 15;
  CHECK_EQ(pl_entry_check(&bare, msg), PL_EINVAL);
  pl_key_free(k);
  fx_done(&f);
}

/* --- mutated entries -------------------------------------------------------
 * Entries an author really signed can still be anything: a buggy or hostile
 * client signs whatever bytes it likes. Valid entries are mutated, signed
 * again and pushed through the same path as the server's, so the decoder,
 * the stateless checks, every kind's rules and the writer all see them.
 * A failure replays from the seed it prints (mutate.h). */

/* The packed bytes of a valid entry, allocated in `a`. */
static ProtobufCBinaryData packed_entry(pl_arena *a, Partsledger__V1__Entry *e) {
  ProtobufCBinaryData out;
  e->request_id.data = pl_arena_alloc(a, PL_REQUEST_ID_BYTES);
  e->request_id.len = PL_REQUEST_ID_BYTES;
  randombytes_buf(e->request_id.data, PL_REQUEST_ID_BYTES);
  out.len = partsledger__v1__entry__get_packed_size(e);
  out.data = pl_arena_alloc(a, out.len);
  partsledger__v1__entry__pack(e, out.data);
  return out;
}

PL_TEST(mutated_entries_keep_the_log_sound) {
  fixture f;
  CHECK(fx_init(&f) == 0);
  pl_arena *seeds = pl_arena_new(0);
  pl_key *warehouse = new_key(), *station = new_key(), *stranger = new_key();
  pl_head head;
  char *one_site[] = {"site-1"}, *two_sites[] = {"site-1", "site-2"};

  /* The seeds: one valid entry of every shape the kinds know. */
  ProtobufCBinaryData seed[6];
  const size_t nseed = sizeof(seed) / sizeof(seed[0]);
  for (size_t v = 0; v < nseed; v++) {
    Partsledger__V1__Entry e = PARTSLEDGER__V1__ENTRY__INIT;
    Partsledger__V1__ActorEnrolled b = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
    Partsledger__V1__ActorRevoked r = PARTSLEDGER__V1__ACTOR_REVOKED__INIT;
    const pl_key *who = v % 2 ? warehouse : station;
    b.public_key.data = (uint8_t *)pl_key_public(who);
    b.public_key.len = PL_PUBLIC_KEY_BYTES;
    b.name = "Lager Nord \xc3\xb6st";
    e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
    e.actor_enrolled = &b;
    e.occurred_at_ms = 1700000000000;
    switch (v) {
    case 0:
      b.role = PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION;
      b.site_ids = one_site;
      b.n_site_ids = 1;
      break;
    case 1:
      b.role = PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE;
      b.site_ids = two_sites;
      b.n_site_ids = 2;
      break;
    case 2:
      b.role = PARTSLEDGER__V1__ROLE__ROLE_ADMIN;
      break;
    case 3:
      b.role = PARTSLEDGER__V1__ROLE__ROLE_ARBITER;
      break;
    default:
      e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED;
      e.actor_revoked = &r;
      r.public_key = b.public_key;
      r.reason = "contract ended";
      break;
    }
    seed[v] = packed_entry(seeds, &e);
  }

  uint64_t rng = pl_mut_seed("mutated_entries_keep_the_log_sound");
  const pl_key *signers[] = {f.admin, f.admin, f.admin, warehouse, stranger};
  size_t tried = 0, opened = 0, accepted = 0, duplicates = 0;
  pl_log_head(f.log, &head);
  uint64_t size = head.size;

  for (int round = 0; round < 60; round++) {
    pl_arena_reset(f.arena);
    ProtobufCAllocator *al = pl_arena_allocator(f.arena);
    pl_append *items[50];
    size_t n = 0;
    while (n < 50) {
      const ProtobufCBinaryData *from = &seed[pl_mut_below(&rng, nseed)];
      size_t cap = from->len + 64 + 2 + PL_REQUEST_ID_BYTES;
      uint8_t *buf = pl_arena_alloc(f.arena, cap);
      memcpy(buf, from->data, from->len);
      size_t len = pl_mutate(&rng, buf, from->len, cap - 2 - PL_REQUEST_ID_BYTES);
      /* Mostly give the entry a request_id of its own (a later field 1
       * overrides an earlier one), or the writer would see duplicates of
       * the seeds and never reach the kinds' rules. */
      if (pl_mut_below(&rng, 10) < 8) {
        buf[len++] = 0x0a;
        buf[len++] = PL_REQUEST_ID_BYTES;
        randombytes_buf(buf + len, PL_REQUEST_ID_BYTES);
        len += PL_REQUEST_ID_BYTES;
      }
      const pl_key *signer = signers[pl_mut_below(&rng, 5)];
      Partsledger__V1__SignedEntry *se = pl_arena_alloc(f.arena, sizeof(*se));
      partsledger__v1__signed_entry__init(se);
      se->entry.data = buf;
      se->entry.len = len;
      se->signer.data = (uint8_t *)pl_key_public(signer);
      se->signer.len = PL_PUBLIC_KEY_BYTES;
      se->signature.data = pl_arena_alloc(f.arena, PL_SIGNATURE_BYTES);
      se->signature.len = PL_SIGNATURE_BYTES;
      CHECK_EQ(pl_entry_sign(signer, buf, len, se->signature.data), 0);

      /* Now and then the envelope is mangled too, after signing. */
      if (pl_mut_below(&rng, 10) == 0) {
        size_t plen = partsledger__v1__signed_entry__get_packed_size(se);
        uint8_t *p = pl_arena_alloc(f.arena, plen + 64);
        partsledger__v1__signed_entry__pack(se, p);
        plen = pl_mutate(&rng, p, plen, plen + 64);
        se = partsledger__v1__signed_entry__unpack(al, plen, p);
        if (se == NULL)
          continue;
      }
      tried++;
      Partsledger__V1__Entry *dec;
      char msg[PL_MSG_MAX];
      int rc = pl_signed_entry_open(se, al, &dec, msg);
      CHECK(rc == 0 || rc == PL_EINVAL || rc == PL_ETOOBIG || rc == PL_EBADSIG);
      CHECK(rc == 0 || msg[0] != '\0');
      if (rc != 0)
        continue;
      opened++;
      pl_append *it = pl_arena_alloc(f.arena, sizeof(*it));
      memset(it, 0, sizeof(*it));
      it->signed_entry = se;
      it->entry = dec;
      items[n++] = it;
    }
    CHECK_EQ(pl_log_append(f.log, items, n, &head), 0);
    for (size_t i = 0; i < n; i++) {
      const pl_append *it = items[i];
      if (it->err != 0) {
        /* Only rule errors: nothing about storage, and always a reason. */
        CHECK(it->err == PL_EINVAL || it->err == PL_ESIGNER || it->err == PL_EREVOKED ||
              it->err == PL_EROLE || it->err == PL_EEXIST || it->err == PL_ESTATE ||
              it->err == PL_ENOTFOUND);
        CHECK(it->msg[0] != '\0');
      } else if (it->duplicate) {
        duplicates++;
        CHECK(it->index < size);
      } else {
        CHECK_EQ(it->index, size);
        size++;
        accepted++;
      }
    }
    CHECK_EQ(head.size, size);
  }
  fprintf(stderr, "%zu mutated entries: %zu opened, %zu appended, %zu duplicates\n",
          tried, opened, accepted, duplicates);
  /* Both outcomes were reached, or the mutations were too mild or too wild. */
  CHECK(opened < tried);
  CHECK(accepted > 0);

  /* Every leaf still proves, and the tree survives a reopen. */
  uint64_t checked = 0;
  char why[256];
  CHECK_EQ(pl_log_check(f.log, &checked, NULL, NULL, why, sizeof(why)), 0);
  CHECK_EQ(checked, size);
  pl_log_close(f.log);
  f.log = NULL;
  CHECK(fx_open(&f) == 0);
  pl_head after;
  pl_log_head(f.log, &after);
  CHECK_EQ(after.size, size);
  CHECK_MEM(after.root, head.root, PL_HASH_BYTES);

  pl_key_free(warehouse);
  pl_key_free(station);
  pl_key_free(stranger);
  pl_arena_free(seeds);
  fx_done(&f);
}

PL_TEST_MAIN(PL_CASE(genesis_enrolls_admin), PL_CASE(append_and_prove),
             PL_CASE(roles_and_revocation), PL_CASE(group_rejects_alone_and_dedups),
             PL_CASE(reopen_keeps_tree), PL_CASE(reopen_refuses_other_identity),
             PL_CASE(tampered_node_detected), PL_CASE(signed_entry_checks),
             PL_CASE(strings_checked_as_sent),
             PL_CASE(full_check_finds_tampered_leaves),
             PL_CASE(mutated_entries_keep_the_log_sound))
