/*
 * test_server.c - integration tests: the real partsledgerd on a loopback port
 * in a temporary directory, driven through the client library.
 */
#include <grpc/status.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "grpc/health/v1/health.pb-c.h"
#include "env.h"
#include "harness.h"
#include "mutate.h"
#include "note.h"
#include "test.h"

PL_TEST(append_read_prove_round_trip) {
  env e;
  CHECK(env_start(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  Partsledger__V1__SignedEntry *se = fresh_enroll(&e, admin);
  Partsledger__V1__AppendResponse *r;
  CHECK_EQ(pl_client_append(e.c, se, e.a, &r), 0);
  CHECK_EQ(r->index, 1); /* leaf 0 is the genesis enrollment */
  CHECK(!r->duplicate);
  CHECK_EQ(r->tree_size, 2);
  CHECK_EQ(r->leaf_hash.len, PL_HASH_BYTES);

  /* The checkpoint is signed by the log and the proof places the entry in it. */
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  CHECK_EQ(pl_verify_checkpoint(e.vkey, r->checkpoint, &size, root), 0);
  CHECK_EQ(size, 2);
  Partsledger__V1__EntryResponse *got;
  CHECK_EQ(pl_client_get_entry(e.c, 1, e.a, &got), 0);
  uint8_t h[PL_HASH_BYTES];
  pl_merkle_leaf_hash(got->leaf.data, got->leaf.len, h);
  CHECK_MEM(h, r->leaf_hash.data, PL_HASH_BYTES);
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  CHECK(r->n_inclusion_proof <= PL_MERKLE_MAX_PROOF);
  for (size_t i = 0; i < r->n_inclusion_proof; i++) {
    CHECK_EQ(r->inclusion_proof[i].len, PL_HASH_BYTES);
    memcpy(proof[i], r->inclusion_proof[i].data, PL_HASH_BYTES);
  }
  CHECK_EQ(pl_verify_inclusion(e.vkey, r->checkpoint, 1, got->leaf.data,
                               got->leaf.len, proof, r->n_inclusion_proof), 0);

  /* The stored leaf carries the signed entry exactly as sent. */
  Partsledger__V1__Leaf *leaf =
      partsledger__v1__leaf__unpack(pl_arena_allocator(e.a), got->leaf.len, got->leaf.data);
  CHECK(leaf != NULL);
  CHECK_EQ(leaf->index, 1);
  CHECK(leaf->integrated_at_ms > 0);
  CHECK_EQ(leaf->signed_entry->entry.len, se->entry.len);
  CHECK_MEM(leaf->signed_entry->entry.data, se->entry.data, se->entry.len);
  CHECK_MEM(leaf->signed_entry->signature.data, se->signature.data, PL_SIGNATURE_BYTES);

  /* More entries; an old checkpoint stays provably a prefix of the new one. */
  char *old_note = pl_arena_dup(e.a, r->checkpoint, strlen(r->checkpoint) + 1);
  for (int i = 0; i < 9; i++)
    CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, admin), e.a, &r), 0);
  Partsledger__V1__GetCheckpointResponse *cp;
  CHECK_EQ(pl_client_get_checkpoint(e.c, e.a, &cp), 0);
  CHECK_EQ(cp->size, 11);
  Partsledger__V1__GetConsistencyProofResponse *cons;
  CHECK_EQ(pl_client_get_consistency_proof(e.c, 2, 11, e.a, &cons), 0);
  for (size_t i = 0; i < cons->n_hashes; i++)
    memcpy(proof[i], cons->hashes[i].data, PL_HASH_BYTES);
  CHECK_EQ(pl_verify_consistency(e.vkey, old_note, cp->checkpoint, proof,
                                 cons->n_hashes), 0);
  /* A proof for the wrong sizes does not verify. */
  CHECK(pl_verify_consistency(e.vkey, old_note, r->checkpoint, proof, cons->n_hashes) != 0 ||
        r->tree_size == 11);

  /* Every entry's inclusion proof at the current size verifies. */
  for (uint64_t i = 0; i < 11; i++) {
    Partsledger__V1__GetInclusionProofResponse *ip;
    CHECK_EQ(pl_client_get_inclusion_proof(e.c, i, 0, e.a, &ip), 0);
    CHECK_EQ(ip->tree_size, 11);
    CHECK_EQ(pl_client_get_entry(e.c, i, e.a, &got), 0);
    uint8_t lh[PL_HASH_BYTES];
    pl_merkle_leaf_hash(got->leaf.data, got->leaf.len, lh);
    CHECK_EQ(ip->leaf_hash.len, PL_HASH_BYTES);
    CHECK_MEM(ip->leaf_hash.data, lh, PL_HASH_BYTES);
    for (size_t k = 0; k < ip->n_hashes; k++)
      memcpy(proof[k], ip->hashes[k].data, PL_HASH_BYTES);
    CHECK_EQ(pl_verify_inclusion(e.vkey, cp->checkpoint, i, got->leaf.data,
                                 got->leaf.len, proof, ip->n_hashes), 0);
  }

  /* ListEntries pages through the same leaves. */
  Partsledger__V1__ListEntriesResponse *list;
  CHECK_EQ(pl_client_list_entries(e.c, 3, 5, e.a, &list), 0);
  CHECK_EQ(list->n_entries, 5);
  CHECK_EQ(list->entries[0]->index, 3);
  CHECK_EQ(list->next_start, 8);
  CHECK_EQ(pl_client_list_entries(e.c, 8, 100, e.a, &list), 0);
  CHECK_EQ(list->n_entries, 3);
  CHECK_EQ(list->next_start, 11);
  /* The end of the log is an empty last page; past it is OUT_OF_RANGE. */
  CHECK_EQ(pl_client_list_entries(e.c, 11, 0, e.a, &list), 0);
  CHECK_EQ(list->n_entries, 0);
  CHECK_EQ(list->next_start, 11);
  CHECK_EQ(pl_client_list_entries(e.c, 50, 0, e.a, &list), PL_ERANGE);
  CHECK_EQ(last_code(&e), GRPC_STATUS_OUT_OF_RANGE);
  CHECK_EQ(pl_client_list_entries(e.c, UINT64_MAX, 0, e.a, &list), PL_ERANGE);
  env_stop(&e);
}

PL_TEST(bad_signature_unauthenticated) {
  env e;
  CHECK(env_start(&e) == 0);
  Partsledger__V1__SignedEntry *se = fresh_enroll(&e, pl_harness_admin_key(e.h));
  se->signature.data[10] ^= 0x40;
  Partsledger__V1__AppendResponse *r;
  CHECK_EQ(pl_client_append(e.c, se, e.a, &r), PL_EBADSIG);
  CHECK_EQ(last_code(&e), GRPC_STATUS_UNAUTHENTICATED);
  /* Signed by someone else than the claimed signer. */
  pl_key *other = new_key();
  Partsledger__V1__SignedEntry *se2 = fresh_enroll(&e, other);
  se2->signer.data = (uint8_t *)pl_key_public(pl_harness_admin_key(e.h));
  CHECK_EQ(pl_client_append(e.c, se2, e.a, &r), PL_EBADSIG);
  pl_key_free(other);
  CHECK_EQ(tree_size(&e), 1);
  env_stop(&e);
}

PL_TEST(permission_denied_cases) {
  env e;
  CHECK(env_start(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  Partsledger__V1__AppendResponse *r;
  const char *msg;
  /* Unknown signer. */
  pl_key *stranger = new_key();
  CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, stranger), e.a, &r), PL_EROLE);
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_PERMISSION_DENIED);
  CHECK(strstr(msg, "not an enrolled actor") != NULL);
  /* Enrolled, but a role that may not enroll. */
  pl_key *maker = new_key();
  CHECK_EQ(pl_client_append(e.c, enroll_entry(e.a, admin, pl_key_public(maker),
                                              PARTSLEDGER__V1__ROLE__ROLE_MANUFACTURER),
                            e.a, &r), 0);
  CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, maker), e.a, &r), PL_EROLE);
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_PERMISSION_DENIED);
  CHECK(strstr(msg, "manufacturer") != NULL);
  /* A second admin, revoked: no longer allowed. */
  pl_key *admin2 = new_key();
  CHECK_EQ(pl_client_append(e.c, enroll_entry(e.a, admin, pl_key_public(admin2),
                                              PARTSLEDGER__V1__ROLE__ROLE_ADMIN),
                            e.a, &r), 0);
  CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, admin2), e.a, &r), 0);
  Partsledger__V1__ActorRevoked rv = PARTSLEDGER__V1__ACTOR_REVOKED__INIT;
  rv.public_key.data = (uint8_t *)pl_key_public(admin2);
  rv.public_key.len = PL_PUBLIC_KEY_BYTES;
  rv.reason = "key compromised";
  Partsledger__V1__Entry ent = PARTSLEDGER__V1__ENTRY__INIT;
  ent.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED;
  ent.actor_revoked = &rv;
  Partsledger__V1__SignedEntry *se;
  CHECK_EQ(pl_entry_build(admin, &ent, e.a, &se), 0);
  CHECK_EQ(pl_client_append(e.c, se, e.a, &r), 0);
  CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, admin2), e.a, &r), PL_EROLE);
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_PERMISSION_DENIED);
  CHECK(strstr(msg, "revoked") != NULL);
  CHECK_EQ(tree_size(&e), 5); /* genesis + maker + admin2 + its entry + revoke */
  pl_key_free(stranger);
  pl_key_free(maker);
  pl_key_free(admin2);
  env_stop(&e);
}

PL_TEST(malformed_invalid_argument) {
  env e;
  CHECK(env_start(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  ProtobufCMessage *resp;
  const ProtobufCMessageDescriptor *d = &partsledger__v1__append_response__descriptor;
  const char *method = "/partsledger.v1.Ledger/Append";
  /* Bytes that are not an AppendRequest. */
  uint8_t junk[] = {0xff, 0xff, 0xff, 0x0f, 0x01};
  CHECK_EQ(pl_client_call_raw(e.c, method, junk, sizeof(junk), d, e.a, &resp), PL_EINVAL);
  CHECK_EQ(last_code(&e), GRPC_STATUS_INVALID_ARGUMENT);
  /* No signed_entry at all. */
  CHECK_EQ(pl_client_call_raw(e.c, method, junk, 0, d, e.a, &resp), PL_EINVAL);

  Partsledger__V1__AppendResponse *r;
  Partsledger__V1__SignedEntry *se = fresh_enroll(&e, admin);
  Partsledger__V1__SignedEntry bad = *se;
  bad.signer.len = 31; /* bad key length */
  CHECK_EQ(pl_client_append(e.c, &bad, e.a, &r), PL_EINVAL);
  bad = *se;
  bad.signature.len = 10;
  CHECK_EQ(pl_client_append(e.c, &bad, e.a, &r), PL_EINVAL);
  bad = *se;
  bad.entry.len = 0; /* empty */
  CHECK_EQ(pl_client_append(e.c, &bad, e.a, &r), PL_EINVAL);

  /* An entry with no body, properly signed. */
  Partsledger__V1__Entry empty = PARTSLEDGER__V1__ENTRY__INIT;
  Partsledger__V1__SignedEntry *se2;
  CHECK_EQ(pl_entry_build(admin, &empty, e.a, &se2), 0);
  const char *msg;
  CHECK_EQ(pl_client_append(e.c, se2, e.a, &r), PL_EINVAL);
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(msg, "no body") != NULL);

  /* An enrollment whose key has the wrong length. */
  uint8_t short_key[20] = {1};
  Partsledger__V1__ActorEnrolled b = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  b.public_key.data = short_key;
  b.public_key.len = sizeof(short_key);
  b.role = PARTSLEDGER__V1__ROLE__ROLE_AUDITOR;
  b.name = "short";
  Partsledger__V1__Entry ent = PARTSLEDGER__V1__ENTRY__INIT;
  ent.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  ent.actor_enrolled = &b;
  CHECK_EQ(pl_entry_build(admin, &ent, e.a, &se2), 0);
  CHECK_EQ(pl_client_append(e.c, se2, e.a, &r), PL_EINVAL);

  /* Oversized: a 20 kB name, signed. */
  char *huge = pl_arena_alloc(e.a, 20001);
  memset(huge, 'x', 20000);
  huge[20000] = '\0';
  uint8_t pk[PL_PUBLIC_KEY_BYTES] = {7};
  b.public_key.data = pk;
  b.public_key.len = sizeof(pk);
  b.name = huge;
  CHECK_EQ(pl_entry_build(admin, &ent, e.a, &se2), 0);
  CHECK_EQ(pl_client_append(e.c, se2, e.a, &r), PL_EINVAL);
  CHECK_EQ(last_code(&e), GRPC_STATUS_INVALID_ARGUMENT);

  CHECK_EQ(tree_size(&e), 1); /* nothing was appended */
  env_stop(&e);
}

PL_TEST(idempotent_retry) {
  env e;
  CHECK(env_start(&e) == 0);
  Partsledger__V1__SignedEntry *se = fresh_enroll(&e, pl_harness_admin_key(e.h));
  Partsledger__V1__AppendResponse *r1, *r2;
  CHECK_EQ(pl_client_append(e.c, se, e.a, &r1), 0);
  CHECK(!r1->duplicate);
  CHECK_EQ(pl_client_append(e.c, se, e.a, &r2), 0);
  CHECK(r2->duplicate);
  CHECK_EQ(r2->index, r1->index);
  CHECK_MEM(r2->leaf_hash.data, r1->leaf_hash.data, PL_HASH_BYTES);
  /* The duplicate's reply still proves the original is in its checkpoint. */
  Partsledger__V1__EntryResponse *got;
  CHECK_EQ(pl_client_get_entry(e.c, r2->index, e.a, &got), 0);
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  for (size_t i = 0; i < r2->n_inclusion_proof; i++)
    memcpy(proof[i], r2->inclusion_proof[i].data, PL_HASH_BYTES);
  CHECK_EQ(pl_verify_inclusion(e.vkey, r2->checkpoint, r2->index, got->leaf.data,
                               got->leaf.len, proof, r2->n_inclusion_proof), 0);
  CHECK_EQ(tree_size(&e), 2);
  env_stop(&e);
}

PL_TEST(out_of_range_proofs) {
  env e;
  CHECK(env_start(&e) == 0);
  Partsledger__V1__GetInclusionProofResponse *ip;
  Partsledger__V1__GetConsistencyProofResponse *cp;
  Partsledger__V1__EntryResponse *got;
  CHECK_EQ(pl_client_get_inclusion_proof(e.c, 0, 5, e.a, &ip), PL_ERANGE);
  CHECK_EQ(last_code(&e), GRPC_STATUS_OUT_OF_RANGE);
  CHECK_EQ(pl_client_get_inclusion_proof(e.c, 3, 0, e.a, &ip), PL_ERANGE);
  CHECK_EQ(last_code(&e), GRPC_STATUS_OUT_OF_RANGE);
  CHECK_EQ(pl_client_get_consistency_proof(e.c, 1, 9, e.a, &cp), PL_ERANGE);
  CHECK_EQ(last_code(&e), GRPC_STATUS_OUT_OF_RANGE);
  CHECK_EQ(pl_client_get_consistency_proof(e.c, 0, 1, e.a, &cp), PL_EINVAL);
  CHECK_EQ(pl_client_get_entry(e.c, 1, e.a, &got), PL_ERANGE);
  CHECK_EQ(pl_client_get_entry(e.c, UINT64_MAX, e.a, &got), PL_ERANGE);
  CHECK_EQ(pl_client_get_consistency_proof(e.c, 2, 1, e.a, &cp), PL_ERANGE);
  CHECK_EQ(last_code(&e), GRPC_STATUS_OUT_OF_RANGE);
  CHECK_EQ(pl_client_get_consistency_proof(e.c, 1, 1, e.a, &cp), 0);
  CHECK_EQ(cp->n_hashes, 0);
  Partsledger__V1__ListEntriesResponse *list;
  CHECK_EQ(pl_client_list_entries(e.c, 0, 1001, e.a, &list), PL_EINVAL);
  CHECK_EQ(last_code(&e), GRPC_STATUS_INVALID_ARGUMENT);
  env_stop(&e);
}

PL_TEST(append_batch_each_on_its_own) {
  env e;
  CHECK(env_start(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  pl_key *stranger = new_key();
  Partsledger__V1__SignedEntry *ses[6];
  ses[0] = fresh_enroll(&e, admin);
  ses[1] = fresh_enroll(&e, stranger);         /* permission denied */
  ses[2] = fresh_enroll(&e, admin);
  ses[2]->signature.data[0] ^= 1;               /* bad signature */
  ses[3] = fresh_enroll(&e, admin);
  ses[4] = ses[0];                              /* duplicate of the first */
  Partsledger__V1__SignedEntry empty = *ses[3];
  empty.entry.len = 0;
  ses[5] = &empty;                              /* malformed */
  Partsledger__V1__AppendBatchResponse *r;
  CHECK_EQ(pl_client_append_batch(e.c, ses, 6, e.a, &r), 0);
  CHECK_EQ(r->n_results, 6);
  CHECK_EQ(r->results[0]->code, GRPC_STATUS_OK);
  CHECK_EQ(r->results[0]->index, 1);
  CHECK_EQ(r->results[1]->code, GRPC_STATUS_PERMISSION_DENIED);
  CHECK(r->results[1]->message[0] != '\0');
  CHECK_EQ(r->results[2]->code, GRPC_STATUS_UNAUTHENTICATED);
  CHECK_EQ(r->results[3]->code, GRPC_STATUS_OK);
  CHECK_EQ(r->results[3]->index, 2);
  CHECK_EQ(r->results[4]->code, GRPC_STATUS_OK);
  CHECK(r->results[4]->duplicate);
  CHECK_EQ(r->results[4]->index, 1);
  CHECK_EQ(r->results[5]->code, GRPC_STATUS_INVALID_ARGUMENT);
  CHECK_EQ(r->tree_size, 3);
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  CHECK_EQ(pl_verify_checkpoint(e.vkey, r->checkpoint, &size, root), 0);
  CHECK_EQ(size, 3);

  /* Whole-request errors. */
  CHECK_EQ(pl_client_append_batch(e.c, ses, 0, e.a, &r), PL_EINVAL);
  Partsledger__V1__SignedEntry **many = pl_arena_alloc(e.a, 1001 * sizeof(*many));
  for (int i = 0; i < 1001; i++)
    many[i] = ses[0];
  CHECK_EQ(pl_client_append_batch(e.c, many, 1001, e.a, &r), PL_EINVAL);
  CHECK_EQ(last_code(&e), GRPC_STATUS_INVALID_ARGUMENT);
  /* A full batch of 1000 fresh entries is fine. */
  for (int i = 0; i < 1000; i++)
    many[i] = fresh_enroll(&e, admin);
  CHECK_EQ(pl_client_append_batch(e.c, many, 1000, e.a, &r), 0);
  for (int i = 0; i < 1000; i++)
    CHECK_EQ(r->results[i]->code, GRPC_STATUS_OK);
  CHECK_EQ(r->tree_size, 1003);
  pl_key_free(stranger);
  env_stop(&e);
}

PL_TEST(restart_keeps_everything) {
  env e;
  CHECK(env_start(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  Partsledger__V1__AppendResponse *r;
  for (int i = 0; i < 20; i++)
    CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, admin), e.a, &r), 0);
  Partsledger__V1__GetCheckpointResponse *before, *after;
  CHECK_EQ(pl_client_get_checkpoint(e.c, e.a, &before), 0);
  Partsledger__V1__EntryResponse *leaf_before, *leaf_after;
  CHECK_EQ(pl_client_get_entry(e.c, 7, e.a, &leaf_before), 0);
  /* SIGTERM: a clean exit. The client's connection stays open and idle;
   * with nothing in flight the server must not sit out its 5 s grace
   * period waiting for the client to hang up. */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_EQ(pl_harness_stop(e.h), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  CHECK(t1.tv_sec - t0.tv_sec < 4);
  CHECK_EQ(pl_harness_restart(e.h), 0);
  CHECK_EQ(env_reconnect(&e), 0);
  CHECK_EQ(pl_client_get_checkpoint(e.c, e.a, &after), 0);
  CHECK_EQ(after->size, 21);
  CHECK_STR(after->checkpoint, before->checkpoint);
  CHECK_MEM(after->root_hash.data, before->root_hash.data, PL_HASH_BYTES);
  CHECK_EQ(pl_client_get_entry(e.c, 7, e.a, &leaf_after), 0);
  CHECK_EQ(leaf_after->leaf.len, leaf_before->leaf.len);
  CHECK_MEM(leaf_after->leaf.data, leaf_before->leaf.data, leaf_before->leaf.len);
  /* Appends continue the same tree. */
  CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, admin), e.a, &r), 0);
  CHECK_EQ(r->index, 21);
  env_stop(&e);
}

/* --- a disk that fails --------------------------------------------------- */

#ifndef PL_FAULTS_LIB
#error "PL_FAULTS_LIB must name the fault-injection library (tests/faults.c)"
#endif

/* Restarts the server with tests/faults.c preloaded, its switches in the
 * harness directory: `sync-eio` there makes fdatasync fail, `write-enospc`
 * makes page writes fail. The environment is the test's own again after. */
static int restart_with_faults(env *e) {
  const char *asan = getenv("ASAN_OPTIONS");
  char *saved = asan != NULL ? strdup(asan) : NULL;
  char opts[1024];
  /* ASan wants its runtime first in the library list; a preload comes
   * before it, which is what this check would refuse. */
  snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", saved ? saved : "",
           saved ? ":" : "");
  setenv("ASAN_OPTIONS", opts, 1);
  setenv("LD_PRELOAD", PL_FAULTS_LIB, 1);
  setenv("PL_FAULT_DIR", pl_harness_dir(e->h), 1);
  int rc = pl_harness_restart(e->h);
  unsetenv("LD_PRELOAD");
  unsetenv("PL_FAULT_DIR");
  if (saved != NULL)
    setenv("ASAN_OPTIONS", saved, 1);
  else
    unsetenv("ASAN_OPTIONS");
  free(saved);
  return rc != 0 ? rc : env_reconnect(e);
}

/* env_start(), with the server run under the fault library from the start. */
static int env_start_with_faults(env *e) {
  if (env_start(e) != 0 || pl_harness_stop(e->h) != 0)
    return -1;
  return restart_with_faults(e);
}

/* When a commit cannot be made durable, its calls fail, nothing of it is
 * served, and the server stops with status 1 rather than go on with storage
 * in doubt. A restart serves every acknowledged entry, and the entry whose
 * commit failed can be sent again with the same request_id. */
PL_TEST(failed_commit_stops_the_server) {
  env e;
  CHECK(env_start_with_faults(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  const char *trip = pl_harness_path(e.h, "sync-eio");
  CHECK(trip != NULL);

  Partsledger__V1__AppendResponse *r;
  for (int i = 0; i < 3; i++) /* the preloaded library passes syncs through */
    CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, admin), e.a, &r), 0);
  CHECK_EQ(r->index, 3);
  Partsledger__V1__GetCheckpointResponse *before;
  CHECK_EQ(pl_client_get_checkpoint(e.c, e.a, &before), 0);

  CHECK_EQ(pl_write_file(trip, "fail\n"), 0);
  Partsledger__V1__SignedEntry *lost = fresh_enroll(&e, admin);
  CHECK(pl_client_append(e.c, lost, e.a, &r) != 0);
  const char *msg;
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_INTERNAL);
  CHECK(strstr(msg, "storage I/O error") != NULL);
  CHECK_EQ(pl_harness_wait(e.h, 15000), 1);

  CHECK(unlink(trip) == 0);
  CHECK_EQ(pl_harness_restart(e.h), 0);
  CHECK_EQ(env_reconnect(&e), 0);
  Partsledger__V1__GetCheckpointResponse *after;
  CHECK_EQ(pl_client_get_checkpoint(e.c, e.a, &after), 0);
  CHECK_EQ(after->size, 4);
  CHECK_STR(after->checkpoint, before->checkpoint);
  CHECK_EQ(pl_client_append(e.c, lost, e.a, &r), 0);
  CHECK(!r->duplicate);
  CHECK_EQ(r->index, 4);
  env_stop(&e);
}

/* A full disk is not storage in doubt: LMDB aborts the group's transaction,
 * the calls get RESOURCE_EXHAUSTED, and the server serves on; once there is
 * room the same entries go in. */
PL_TEST(full_disk_refuses_writes_and_serves_on) {
  env e;
  CHECK(env_start_with_faults(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  const char *full = pl_harness_path(e.h, "write-enospc");
  CHECK(full != NULL);
  Partsledger__V1__AppendResponse *r;
  CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, admin), e.a, &r), 0);

  CHECK_EQ(pl_write_file(full, "full\n"), 0);
  Partsledger__V1__SignedEntry *later = fresh_enroll(&e, admin);
  for (int i = 0; i < 3; i++) {
    CHECK(pl_client_append(e.c, later, e.a, &r) != 0);
    const char *msg;
    CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_RESOURCE_EXHAUSTED);
    CHECK(strstr(msg, "storage is full") != NULL);
  }
  CHECK_EQ(pl_harness_wait(e.h, 200), PL_EBUSY); /* still running */
  CHECK_EQ(tree_size(&e), 2);
  Partsledger__V1__EntryResponse *got;
  CHECK_EQ(pl_client_get_entry(e.c, 1, e.a, &got), 0);

  CHECK(unlink(full) == 0);
  CHECK_EQ(pl_client_append(e.c, later, e.a, &r), 0);
  CHECK(!r->duplicate);
  CHECK_EQ(r->index, 2);
  CHECK_EQ(pl_harness_stop(e.h), 0);
  CHECK_EQ(pl_harness_restart(e.h), 0);
  CHECK_EQ(env_reconnect(&e), 0);
  CHECK_EQ(tree_size(&e), 3);
  env_stop(&e);
}

/* A group whose commit fails answers nothing it had judged against its own,
 * rolled-back entries: not a duplicate of one, not a rule that saw one. */
PL_TEST(failed_group_answers_nothing_it_rolled_back) {
  env e;
  CHECK(env_start_with_faults(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  const char *full = pl_harness_path(e.h, "write-enospc");
  CHECK(full != NULL);
  uint8_t old_pk[PL_PUBLIC_KEY_BYTES], new_pk[PL_PUBLIC_KEY_BYTES];
  randombytes_buf(old_pk, sizeof(old_pk));
  randombytes_buf(new_pk, sizeof(new_pk));
  Partsledger__V1__SignedEntry *committed =
      enroll_entry(e.a, admin, old_pk, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  Partsledger__V1__AppendResponse *one;
  CHECK_EQ(pl_client_append(e.c, committed, e.a, &one), 0);
  CHECK_EQ(one->index, 1);

  Partsledger__V1__SignedEntry *fresh = fresh_enroll(&e, admin);
  Partsledger__V1__SignedEntry *ses[] = {
      committed, /* a duplicate of a committed entry */
      enroll_entry(e.a, admin, old_pk, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR), /* exists */
      fresh,
      fresh, /* a duplicate of the one before, in the same group */
      enroll_entry(e.a, admin, new_pk, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR),
      enroll_entry(e.a, admin, new_pk, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR), /* exists only
                                                                    in the group */
  };
  const size_t n = sizeof(ses) / sizeof(ses[0]);
  Partsledger__V1__AppendBatchResponse *r;
  CHECK_EQ(pl_write_file(full, "full\n"), 0);
  CHECK_EQ(pl_client_append_batch(e.c, ses, n, e.a, &r), 0);
  CHECK_EQ(r->n_results, n);
  CHECK_EQ(r->results[0]->code, GRPC_STATUS_OK); /* judged on committed state */
  CHECK(r->results[0]->duplicate);
  CHECK_EQ(r->results[0]->index, 1);
  CHECK_EQ(r->results[1]->code, GRPC_STATUS_ALREADY_EXISTS);
  for (size_t i = 2; i < n; i++) {
    if (r->results[i]->code != GRPC_STATUS_RESOURCE_EXHAUSTED)
      fprintf(stderr, "result %zu: status %u, duplicate %d, index %" PRIu64 "\n", i,
              r->results[i]->code, r->results[i]->duplicate, r->results[i]->index);
    CHECK_EQ(r->results[i]->code, GRPC_STATUS_RESOURCE_EXHAUSTED);
    CHECK(!r->results[i]->duplicate);
  }
  CHECK_EQ(tree_size(&e), 2);

  /* With room again, the same batch gets the answers the group would have. */
  CHECK(unlink(full) == 0);
  CHECK_EQ(pl_client_append_batch(e.c, ses, n, e.a, &r), 0);
  CHECK_EQ(r->results[0]->code, GRPC_STATUS_OK);
  CHECK(r->results[0]->duplicate);
  CHECK_EQ(r->results[1]->code, GRPC_STATUS_ALREADY_EXISTS);
  CHECK_EQ(r->results[2]->code, GRPC_STATUS_OK);
  CHECK(!r->results[2]->duplicate);
  CHECK_EQ(r->results[2]->index, 2);
  CHECK_EQ(r->results[3]->code, GRPC_STATUS_OK);
  CHECK(r->results[3]->duplicate);
  CHECK_EQ(r->results[3]->index, 2);
  CHECK_EQ(r->results[4]->code, GRPC_STATUS_OK);
  CHECK_EQ(r->results[4]->index, 3);
  CHECK_EQ(r->results[5]->code, GRPC_STATUS_ALREADY_EXISTS);
  CHECK_EQ(tree_size(&e), 4);
  env_stop(&e);
}

/* --- kill -9 during a stream of appends ----------------------------------- */

#define ACK_MAX 100000

typedef struct {
  const char *target;
  const pl_key *admin;
  atomic_int acked;
  uint64_t index[ACK_MAX];
  uint8_t hash[ACK_MAX][PL_HASH_BYTES];
  char last_checkpoint[PL_NOTE_MAX];
  pthread_mutex_t lock;
  /* Calls that failed other than UNAVAILABLE (the server went away, or
   * said to retry) or CANCELLED (what gRPC gives calls a stopping server had
   * not started): a call left to its deadline, say. */
  atomic_int unexpected;
} appender;

static void *append_loop(void *arg) {
  appender *ap = arg;
  pl_client *c;
  if (pl_client_open(ap->target, &c) != 0)
    return NULL;
  /* Once the server is gone, a call can wait a second or two in the
   * client's reconnect backoff before it fails UNAVAILABLE: the deadline is
   * well past that, and past the 5 s after which a stopping server cancels
   * what it has not finished. */
  pl_client_set_timeout_ms(c, 10000);
  pl_arena *a = pl_arena_new(0);
  for (int i = 0; i < ACK_MAX; i++) {
    pl_arena_reset(a);
    uint8_t pk[PL_PUBLIC_KEY_BYTES];
    randombytes_buf(pk, sizeof(pk));
    Partsledger__V1__SignedEntry *se =
        enroll_entry(a, ap->admin, pk, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
    Partsledger__V1__AppendResponse *r;
    if (pl_client_append(c, se, a, &r) != 0) {
      const char *msg = NULL;
      int code = pl_client_last_status(c, &msg);
      if (code != GRPC_STATUS_UNAVAILABLE && code != GRPC_STATUS_CANCELLED) {
        fprintf(stderr, "append failed with status %d: %s\n", code, msg ? msg : "");
        atomic_fetch_add(&ap->unexpected, 1);
      }
      break; /* the server is gone */
    }
    pthread_mutex_lock(&ap->lock);
    int n = atomic_load(&ap->acked);
    ap->index[n] = r->index;
    memcpy(ap->hash[n], r->leaf_hash.data, PL_HASH_BYTES);
    snprintf(ap->last_checkpoint, sizeof(ap->last_checkpoint), "%s", r->checkpoint);
    atomic_store(&ap->acked, n + 1);
    pthread_mutex_unlock(&ap->lock);
  }
  pl_arena_free(a);
  pl_client_close(c);
  return NULL;
}

/* Starts four appending clients and waits until 300 appends are answered. */
static appender *appenders_start(env *e, pthread_t th[4]) {
  appender *ap = calloc(1, sizeof(*ap));
  if (ap == NULL)
    return NULL;
  ap->target = pl_harness_target(e->h);
  ap->admin = pl_harness_admin_key(e->h);
  pthread_mutex_init(&ap->lock, NULL);
  for (int i = 0; i < 4; i++)
    if (pthread_create(&th[i], NULL, append_loop, ap) != 0)
      abort();
  for (int i = 0; i < 1000 && atomic_load(&ap->acked) < 300; i++)
    usleep(10000);
  return ap;
}

/* After a restart: every acknowledged entry is there with its leaf hash, and
 * the head is consistent with the last checkpoint a client was given. */
static void check_acked_kept(env *e, appender *ap, const char *how) {
  int acked = atomic_load(&ap->acked);
  Partsledger__V1__GetCheckpointResponse *cp;
  CHECK_EQ(pl_client_get_checkpoint(e->c, e->a, &cp), 0);
  CHECK(cp->size >= (uint64_t)acked + 1);
  for (int i = 0; i < acked; i++) {
    Partsledger__V1__EntryResponse *got;
    CHECK_EQ(pl_client_get_entry(e->c, ap->index[i], e->a, &got), 0);
    CHECK_MEM(got->leaf_hash.data, ap->hash[i], PL_HASH_BYTES);
    if (i % 64 == 0)
      pl_arena_reset(e->a);
  }
  CHECK_EQ(pl_client_get_checkpoint(e->c, e->a, &cp), 0);
  uint64_t old_size;
  uint8_t old_root[PL_HASH_BYTES];
  CHECK_EQ(pl_verify_checkpoint(e->vkey, ap->last_checkpoint, &old_size, old_root), 0);
  Partsledger__V1__GetConsistencyProofResponse *cons;
  CHECK_EQ(pl_client_get_consistency_proof(e->c, old_size, cp->size, e->a, &cons), 0);
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  for (size_t i = 0; i < cons->n_hashes; i++)
    memcpy(proof[i], cons->hashes[i].data, PL_HASH_BYTES);
  CHECK_EQ(pl_verify_consistency(e->vkey, ap->last_checkpoint, cp->checkpoint, proof,
                                 cons->n_hashes), 0);
  fprintf(stderr, "%s after %d acknowledged appends; log has %llu\n", how, acked,
          (unsigned long long)cp->size);
}

/* Stops the server in the middle of a stream of appends, with SIGKILL
 * (`crash`) or SIGTERM. Either way every call ends, none by its deadline,
 * and after a restart every acknowledged entry is there. A SIGTERM also
 * answers every call it has started (committed, or UNAVAILABLE to be
 * retried) and exits 0. */
static void interrupt_appends(int crash) {
  env e;
  CHECK(env_start(&e) == 0);
  pthread_t th[4];
  appender *ap = appenders_start(&e, th);
  CHECK(ap != NULL);
  CHECK(atomic_load(&ap->acked) >= 300);
  if (crash)
    CHECK_EQ(pl_harness_kill(e.h), 0);
  else
    CHECK_EQ(pl_harness_stop(e.h), 0); /* exit status 0 */
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  CHECK_EQ(atomic_load(&ap->unexpected), 0);
  CHECK_EQ(pl_harness_restart(e.h), 0);
  CHECK_EQ(env_reconnect(&e), 0);
  check_acked_kept(&e, ap, crash ? "kill -9" : "SIGTERM");
  pthread_mutex_destroy(&ap->lock);
  free(ap);
  env_stop(&e);
}

PL_TEST(kill9_loses_no_acknowledged_entry) { interrupt_appends(1); }

PL_TEST(sigterm_during_appends_answers_every_call) { interrupt_appends(0); }

/* --- Follow ----------------------------------------------------------------- */

typedef struct {
  uint64_t want, got;
  int order_ok;
} follow_state;

static int on_entry(void *ctx, const Partsledger__V1__EntryResponse *er) {
  follow_state *st = ctx;
  uint8_t h[PL_HASH_BYTES];
  pl_merkle_leaf_hash(er->leaf.data, er->leaf.len, h);
  if (er->index != st->got || er->leaf_hash.len != PL_HASH_BYTES ||
      memcmp(h, er->leaf_hash.data, PL_HASH_BYTES) != 0)
    st->order_ok = 0;
  st->got++;
  return st->got >= st->want;
}

typedef struct {
  const char *target;
  const pl_key *admin;
  int n;
} late_appender;

static void *append_later(void *arg) {
  late_appender *la = arg;
  pl_client *c;
  usleep(300000); /* the follower is parked at the end by now */
  if (pl_client_open(la->target, &c) != 0)
    return NULL;
  pl_arena *a = pl_arena_new(0);
  for (int i = 0; i < la->n; i++) {
    uint8_t pk[PL_PUBLIC_KEY_BYTES];
    randombytes_buf(pk, sizeof(pk));
    Partsledger__V1__AppendResponse *r;
    pl_client_append(c, enroll_entry(a, la->admin, pk, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR),
                     a, &r);
  }
  pl_arena_free(a);
  pl_client_close(c);
  return NULL;
}

PL_TEST(follow_streams_old_and_new) {
  env e;
  CHECK(env_start(&e) == 0);
  const pl_key *admin = pl_harness_admin_key(e.h);
  Partsledger__V1__AppendResponse *r;
  for (int i = 0; i < 5; i++)
    CHECK_EQ(pl_client_append(e.c, fresh_enroll(&e, admin), e.a, &r), 0);
  late_appender la = {pl_harness_target(e.h), admin, 4};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, append_later, &la) == 0);
  follow_state st = {10, 0, 1};
  pl_client_set_timeout_ms(e.c, 10000);
  CHECK_EQ(pl_client_follow(e.c, 0, on_entry, &st), 0);
  pthread_join(th, NULL);
  CHECK_EQ(st.got, 10);
  CHECK(st.order_ok);

  /* A follower from the middle that is still waiting when its deadline comes. */
  follow_state st2 = {100, 4, 1};
  pl_client_set_timeout_ms(e.c, 500);
  CHECK(pl_client_follow(e.c, 4, on_entry, &st2) != 0);
  CHECK_EQ(st2.got, 10);
  CHECK(st2.order_ok);
  pl_client_set_timeout_ms(e.c, 5000);
  CHECK_EQ(tree_size(&e), 10); /* the server is fine after the cancel */

  /* A follower ahead of the log is told at once, not left waiting. */
  follow_state st3 = {100, 11, 1};
  CHECK(pl_client_follow(e.c, 11, on_entry, &st3) != 0);
  CHECK_EQ(last_code(&e), GRPC_STATUS_OUT_OF_RANGE);
  CHECK_EQ(st3.got, 11);
  env_stop(&e);
}

typedef struct {
  const char *target;
  int rc, code;
  uint64_t got;
} parked_follower;

static int count_entry(void *ctx, const Partsledger__V1__EntryResponse *er) {
  (void)er;
  ((parked_follower *)ctx)->got++;
  return 0; /* never enough: wait for more */
}

static void *follow_forever(void *arg) {
  parked_follower *pf = arg;
  pl_client *c;
  if (pl_client_open(pf->target, &c) != 0)
    return NULL;
  pl_client_set_timeout_ms(c, 30000);
  pf->rc = pl_client_follow(c, 0, count_entry, pf);
  const char *msg;
  pf->code = pl_client_last_status(c, &msg);
  pl_client_close(c);
  return NULL;
}

PL_TEST(sigterm_with_open_follower) {
  env e;
  CHECK(env_start(&e) == 0);
  /* A follower parked at the end of the log must not hold the stop up. */
  parked_follower pf = {pl_harness_target(e.h), 0, 0, 0};
  pthread_t th;
  CHECK(pthread_create(&th, NULL, follow_forever, &pf) == 0);
  usleep(500000);
  CHECK_EQ(pl_harness_stop(e.h), 0); /* exit status 0 */
  pthread_join(th, NULL);
  CHECK_EQ(pf.got, 1);
  CHECK(pf.rc != 0);
  CHECK_EQ(pf.code, GRPC_STATUS_UNAVAILABLE);
  env_stop(&e);
}

PL_TEST(unknown_method_unimplemented) {
  env e;
  CHECK(env_start(&e) == 0);
  ProtobufCMessage *resp;
  pl_client_set_timeout_ms(e.c, 5000);
  CHECK(pl_client_call_raw(e.c, "/partsledger.v1.Ledger/NoSuchThing", NULL, 0,
                           &partsledger__v1__append_response__descriptor, e.a,
                           &resp) != 0);
  CHECK_EQ(last_code(&e), GRPC_STATUS_UNIMPLEMENTED);
  int serving = 0;
  CHECK_EQ(pl_client_health(e.c, &serving), 0);
  CHECK(serving);
  /* The health standard: a service the server does not know is NOT_FOUND. */
  Grpc__Health__V1__HealthCheckRequest hreq = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  hreq.service = "no.such.Service";
  CHECK_EQ(pl_client_call(e.c, "/grpc.health.v1.Health/Check", &hreq.base,
                          &grpc__health__v1__health_check_response__descriptor, e.a,
                          &resp), PL_ENOTFOUND);
  const char *msg;
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_NOT_FOUND);
  CHECK(strstr(msg, "no.such.Service") != NULL);
  /* A name that is not text is not echoed; one with a NUL in it does not
   * decode ("ab\0cd": field 1, length 5). */
  hreq.service = "\xe2\x80\xae" "evil";
  CHECK_EQ(pl_client_call(e.c, "/grpc.health.v1.Health/Check", &hreq.base,
                          &grpc__health__v1__health_check_response__descriptor, e.a,
                          &resp), PL_ENOTFOUND);
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_NOT_FOUND);
  CHECK(strstr(msg, "not printable") != NULL && strstr(msg, "evil") == NULL);
  static const uint8_t nul_name[] = {0x0a, 0x05, 'a', 'b', 0x00, 'c', 'd'};
  pl_client_call_raw(e.c, "/grpc.health.v1.Health/Check", nul_name, sizeof(nul_name),
                     &grpc__health__v1__health_check_response__descriptor, e.a, &resp);
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(msg, "NUL") != NULL);
  hreq.service = "partsledger.v1.Ledger";
  CHECK_EQ(pl_client_call(e.c, "/grpc.health.v1.Health/Check", &hreq.base,
                          &grpc__health__v1__health_check_response__descriptor, e.a,
                          &resp), 0);
  CHECK_EQ(((Grpc__Health__V1__HealthCheckResponse *)resp)->status,
           GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
  env_stop(&e);
}

/* Random bytes at every method: each gets a clean error or an answer, the
 * server stays up and the log unchanged. */
PL_TEST(garbage_never_crashes) {
  env e;
  CHECK(env_start(&e) == 0);
  static const char *const methods[] = {
      "Append", "AppendBatch", "GetEntry", "ListEntries", "GetCheckpoint",
      "GetInclusionProof", "GetConsistencyProof", "GetLogInfo"};
  static const ProtobufCMessageDescriptor *const replies[] = {
      &partsledger__v1__append_response__descriptor,
      &partsledger__v1__append_batch_response__descriptor,
      &partsledger__v1__entry_response__descriptor,
      &partsledger__v1__list_entries_response__descriptor,
      &partsledger__v1__get_checkpoint_response__descriptor,
      &partsledger__v1__get_inclusion_proof_response__descriptor,
      &partsledger__v1__get_consistency_proof_response__descriptor,
      &partsledger__v1__get_log_info_response__descriptor};
  uint8_t buf[512];
  for (int round = 0; round < 300; round++) {
    char path[96];
    snprintf(path, sizeof(path), "/partsledger.v1.Ledger/%s", methods[round % 8]);
    size_t len = randombytes_uniform(sizeof(buf));
    randombytes_buf(buf, len);
    ProtobufCMessage *resp;
    pl_client_call_raw(e.c, path, buf, len, replies[round % 8], e.a, &resp);
    const char *msg;
    int code = pl_client_last_status(e.c, &msg);
    if (code == GRPC_STATUS_UNAVAILABLE || code == GRPC_STATUS_INTERNAL ||
        code == GRPC_STATUS_DEADLINE_EXCEEDED)
      fprintf(stderr, "%s with %zu bytes: %d %s\n", path, len, code, msg);
    CHECK(code != GRPC_STATUS_UNAVAILABLE && code != GRPC_STATUS_INTERNAL &&
          code != GRPC_STATUS_DEADLINE_EXCEEDED);
    if (round % 32 == 0)
      pl_arena_reset(e.a);
  }
  int serving = 0;
  CHECK_EQ(pl_client_health(e.c, &serving), 0);
  CHECK(serving);
  CHECK_EQ(tree_size(&e), 1);
  env_stop(&e);
}

/* The server's peak resident memory in kB, from /proc. */
static long peak_rss_kb(pl_harness *h) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%ld/status", (long)pl_harness_pid(h));
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f != NULL && fgets(line, sizeof(line), f) != NULL)
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
      break;
  if (f != NULL)
    fclose(f);
  return kb;
}

/* A request of many tiny fields would cost protobuf-c an allocation each,
 * tens of times the request's size, before any rule saw it: sizes and field
 * counts are checked on the wire first. */
PL_TEST(requests_are_bounded_before_decoding) {
  env e;
  CHECK(env_start(&e) == 0);
  const size_t big = 16u << 20;
  uint8_t *bomb = malloc(big);
  CHECK(bomb != NULL);
  for (size_t i = 0; i < big; i += 2) { /* empty SignedEntry after empty SignedEntry */
    bomb[i] = 0x0a;
    bomb[i + 1] = 0x00;
  }
  long before = peak_rss_kb(e.h);
  ProtobufCMessage *resp;
  const char *msg;
  for (int i = 0; i < 3; i++) {
    pl_client_call_raw(e.c, "/partsledger.v1.Ledger/AppendBatch", bomb, big,
                       &partsledger__v1__append_batch_response__descriptor, e.a, &resp);
    CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(msg, "more fields than allowed") != NULL);
  }
  long after = peak_rss_kb(e.h);
  fprintf(stderr, "peak RSS %ld kB before, %ld kB after three 16 MiB requests\n", before,
          after);
  /* gRPC holds the request and a copy of it: a few times 16 MiB (more under
   * ASan, which keeps freed memory aside for a while), where decoding one
   * such request took over 1 GiB. */
  CHECK(after - before < 320 * 1024);

  /* Reads take a few numbers: 64 KiB of unknown fields is refused unread. */
  for (size_t i = 0; i < 65536; i += 2) {
    bomb[i] = 0x28; /* field 5, varint */
    bomb[i + 1] = 0x00;
  }
  pl_client_call_raw(e.c, "/partsledger.v1.Ledger/GetEntry", bomb, 65536,
                     &partsledger__v1__entry_response__descriptor, e.a, &resp);
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(msg, "at most 1024") != NULL);
  /* An Append whose entry carries 20,000 empty co-signatures. */
  size_t n = 0;
  bomb[n++] = 0x0a; /* AppendRequest.signed_entry, length 40000 as a varint */
  bomb[n++] = 0xc0;
  bomb[n++] = 0xb8;
  bomb[n++] = 0x02;
  for (int i = 0; i < 20000; i++) {
    bomb[n++] = 0x22; /* SignedEntry.cosignatures, empty */
    bomb[n++] = 0x00;
  }
  pl_client_call_raw(e.c, "/partsledger.v1.Ledger/Append", bomb, n,
                     &partsledger__v1__append_response__descriptor, e.a, &resp);
  CHECK_EQ(pl_client_last_status(e.c, &msg), GRPC_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(msg, "more fields than allowed") != NULL);
  free(bomb);

  int serving = 0;
  CHECK_EQ(pl_client_health(e.c, &serving), 0);
  CHECK(serving);
  CHECK_EQ(tree_size(&e), 1);
  env_stop(&e);
}

/* Appends whose entry bytes were mutated and then signed again, so they
 * pass the signature check and meet the rules, and envelopes mangled after
 * signing. Each call ends with a status a client can act on and a message,
 * only what was acknowledged lands, and the server stays healthy. */
static int clear_refusal(int code) {
  return code == GRPC_STATUS_INVALID_ARGUMENT || code == GRPC_STATUS_UNAUTHENTICATED ||
         code == GRPC_STATUS_PERMISSION_DENIED || code == GRPC_STATUS_FAILED_PRECONDITION ||
         code == GRPC_STATUS_NOT_FOUND || code == GRPC_STATUS_ALREADY_EXISTS;
}

static Partsledger__V1__SignedEntry *mutated_enroll(env *e, uint64_t *rng) {
  const pl_key *admin = pl_harness_admin_key(e->h);
  Partsledger__V1__SignedEntry *se = fresh_enroll(e, admin);
  if (se == NULL || pl_mut_below(rng, 4) == 0)
    return se;
  size_t cap = se->entry.len + 64;
  uint8_t *buf = pl_arena_alloc(e->a, cap);
  memcpy(buf, se->entry.data, se->entry.len);
  se->entry.len = pl_mutate(rng, buf, se->entry.len, cap);
  se->entry.data = buf;
  if (pl_entry_sign(admin, buf, se->entry.len, se->signature.data) != 0)
    return NULL;
  return se;
}

PL_TEST(mutated_appends_get_clear_answers) {
  env e;
  CHECK(env_start(&e) == 0);
  uint64_t rng = pl_mut_seed("mutated_appends_get_clear_answers");
  uint64_t appended = 0, refused = 0;
  for (int round = 0; round < 300; round++) {
    if (round % 16 == 0)
      pl_arena_reset(e.a);
    int batch = round % 4 == 3;
    Partsledger__V1__SignedEntry *ses[8];
    size_t n = batch ? 8 : 1;
    for (size_t i = 0; i < n; i++)
      CHECK((ses[i] = mutated_enroll(&e, &rng)) != NULL);
    Partsledger__V1__AppendRequest one = PARTSLEDGER__V1__APPEND_REQUEST__INIT;
    Partsledger__V1__AppendBatchRequest many = PARTSLEDGER__V1__APPEND_BATCH_REQUEST__INIT;
    const ProtobufCMessage *req = batch ? &many.base : &one.base;
    one.signed_entry = ses[0];
    many.signed_entries = ses;
    many.n_signed_entries = n;
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *bytes = pl_arena_alloc(e.a, len + 64);
    protobuf_c_message_pack(req, bytes);
    if (pl_mut_below(&rng, 4) == 0)
      len = pl_mutate(&rng, bytes, len, len + 64);

    ProtobufCMessage *resp = NULL;
    pl_client_call_raw(e.c, batch ? "/partsledger.v1.Ledger/AppendBatch"
                                  : "/partsledger.v1.Ledger/Append",
                       bytes, len,
                       batch ? &partsledger__v1__append_batch_response__descriptor
                             : &partsledger__v1__append_response__descriptor,
                       e.a, &resp);
    const char *msg;
    int code = pl_client_last_status(e.c, &msg);
    if (code != GRPC_STATUS_OK) {
      if (!clear_refusal(code))
        fprintf(stderr, "round %d: %d %s\n", round, code, msg);
      CHECK(clear_refusal(code));
      CHECK(msg != NULL && msg[0] != '\0');
      refused++;
    } else if (!batch) {
      CHECK(resp != NULL);
      appended += !((Partsledger__V1__AppendResponse *)resp)->duplicate;
    } else {
      Partsledger__V1__AppendBatchResponse *r = (void *)resp;
      CHECK(r != NULL);
      for (size_t i = 0; i < r->n_results; i++) {
        const Partsledger__V1__AppendResult *res = r->results[i];
        if (res->code == GRPC_STATUS_OK)
          appended += !res->duplicate;
        else {
          CHECK(clear_refusal(res->code));
          CHECK(res->message[0] != '\0');
          refused++;
        }
      }
    }
  }
  fprintf(stderr, "%llu appended, %llu refused\n", (unsigned long long)appended,
          (unsigned long long)refused);
  CHECK(appended > 0 && refused > 0);
  CHECK_EQ(tree_size(&e), appended + 1);
  int serving = 0;
  CHECK_EQ(pl_client_health(e.c, &serving), 0);
  CHECK(serving);
  env_stop(&e);
}

/* A full LMDB map: appends fail with RESOURCE_EXHAUSTED and change nothing,
 * reads go on, and everything acknowledged is still there after a restart. */
PL_TEST(full_map_is_resource_exhausted) {
  env e;
  static const char *const small[] = {"--map-size", "16", NULL};
  pl_harness_opts opts = {NULL, small, 0};
  memset(&e, 0, sizeof(e));
  CHECK(pl_crypto_init() == 0);
  CHECK_EQ(pl_harness_start(&opts, &e.h), 0);
  CHECK_EQ(pl_client_open(pl_harness_target(e.h), &e.c), 0);
  e.a = pl_arena_new(1 << 20);
  const pl_key *admin = pl_harness_admin_key(e.h);
  uint64_t acked = 0;
  int full = 0;
  for (int round = 0; round < 200 && !full; round++) {
    pl_arena_reset(e.a);
    Partsledger__V1__SignedEntry *ses[500];
    for (int i = 0; i < 500; i++)
      ses[i] = fresh_enroll(&e, admin);
    Partsledger__V1__AppendBatchResponse *r;
    CHECK_EQ(pl_client_append_batch(e.c, ses, 500, e.a, &r), 0);
    CHECK_EQ(r->n_results, 500);
    for (size_t i = 0; i < r->n_results; i++) {
      if (r->results[i]->code == GRPC_STATUS_OK)
        acked++;
      else {
        CHECK_EQ(r->results[i]->code, GRPC_STATUS_RESOURCE_EXHAUSTED);
        full = 1;
      }
    }
  }
  CHECK(full);
  CHECK_EQ(tree_size(&e), acked + 1);
  /* A whole group fails together; single entries may still fit. Fill the
   * rest one by one until the map refuses even one. */
  Partsledger__V1__AppendResponse *one;
  int rc = 0;
  for (int i = 0; i < 20000 && rc == 0; i++) {
    if (i % 256 == 0)
      pl_arena_reset(e.a);
    rc = pl_client_append(e.c, fresh_enroll(&e, admin), e.a, &one);
    if (rc == 0)
      acked++;
  }
  CHECK_EQ(rc, PL_EFULL);
  CHECK_EQ(last_code(&e), GRPC_STATUS_RESOURCE_EXHAUSTED);
  CHECK_EQ(tree_size(&e), acked + 1);
  CHECK_EQ(pl_harness_stop(e.h), 0);
  CHECK_EQ(pl_harness_restart(e.h), 0);
  CHECK_EQ(env_reconnect(&e), 0);
  CHECK_EQ(tree_size(&e), acked + 1);
  Partsledger__V1__EntryResponse *got;
  CHECK_EQ(pl_client_get_entry(e.c, acked, e.a, &got), 0);
  fprintf(stderr, "a 16 MiB map held %llu entries\n", (unsigned long long)acked + 1);
  env_stop(&e);
}

/* Many full batches at once: the writer splits them into bounded groups, and
 * every entry lands exactly once. */
typedef struct {
  const char *target;
  const pl_key *admin;
  int ok;
} batcher;

static void *send_batch(void *arg) {
  batcher *b = arg;
  pl_client *c;
  if (pl_client_open(b->target, &c) != 0)
    return NULL;
  pl_client_set_timeout_ms(c, 60000);
  pl_arena *a = pl_arena_new(1 << 20);
  Partsledger__V1__SignedEntry **ses = pl_arena_alloc(a, 1000 * sizeof(*ses));
  for (int i = 0; i < 1000; i++) {
    uint8_t pk[PL_PUBLIC_KEY_BYTES];
    randombytes_buf(pk, sizeof(pk));
    ses[i] = enroll_entry(a, b->admin, pl_arena_dup(a, pk, sizeof(pk)),
                          PARTSLEDGER__V1__ROLE__ROLE_AUDITOR);
  }
  Partsledger__V1__AppendBatchResponse *r;
  if (pl_client_append_batch(c, ses, 1000, a, &r) == 0) {
    b->ok = 1;
    for (int i = 0; i < 1000; i++)
      if (r->results[i]->code != 0 || r->results[i]->duplicate)
        b->ok = 0;
  }
  pl_arena_free(a);
  pl_client_close(c);
  return NULL;
}

PL_TEST(concurrent_batches_all_land) {
  env e;
  CHECK(env_start(&e) == 0);
  batcher b[12];
  pthread_t th[12];
  for (int i = 0; i < 12; i++) {
    b[i] = (batcher){pl_harness_target(e.h), pl_harness_admin_key(e.h), 0};
    CHECK(pthread_create(&th[i], NULL, send_batch, &b[i]) == 0);
  }
  for (int i = 0; i < 12; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < 12; i++)
    CHECK(b[i].ok);
  CHECK_EQ(tree_size(&e), 12001);
  env_stop(&e);
}

/* Client-made request ids sort by time, so the server's idempotency index
 * grows at its end; the rest of each id is random. */
PL_TEST(request_ids_grow_with_time) {
  uint8_t a[16], b[16], c[16];
  pl_request_id_new(a);
  pl_request_id_new(c);
  usleep(3000);
  pl_request_id_new(b);
  CHECK(memcmp(a, b, 16) < 0);
  CHECK(memcmp(a + 6, c + 6, 10) != 0); /* same millisecond, still distinct */
  uint64_t ms = 0;
  for (int i = 0; i < 6; i++)
    ms = (ms << 8) | a[i];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
  CHECK(ms <= now && now - ms < 5000);
}

PL_TEST_MAIN(PL_CASE(append_read_prove_round_trip), PL_CASE(bad_signature_unauthenticated),
             PL_CASE(permission_denied_cases), PL_CASE(malformed_invalid_argument),
             PL_CASE(idempotent_retry), PL_CASE(out_of_range_proofs),
             PL_CASE(append_batch_each_on_its_own), PL_CASE(restart_keeps_everything),
             PL_CASE(failed_commit_stops_the_server),
             PL_CASE(full_disk_refuses_writes_and_serves_on),
             PL_CASE(failed_group_answers_nothing_it_rolled_back),
             PL_CASE(kill9_loses_no_acknowledged_entry),
             PL_CASE(sigterm_during_appends_answers_every_call),
             PL_CASE(follow_streams_old_and_new),
             PL_CASE(sigterm_with_open_follower), PL_CASE(unknown_method_unimplemented),
             PL_CASE(garbage_never_crashes), PL_CASE(requests_are_bounded_before_decoding),
             PL_CASE(mutated_appends_get_clear_answers), PL_CASE(request_ids_grow_with_time),
             PL_CASE(concurrent_batches_all_land),
             PL_CASE(full_map_is_resource_exhausted))
