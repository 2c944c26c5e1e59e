/*
 * fuzz_input.c - a libFuzzer target for everything partsledger reads from
 * parties it does not trust. Built only with -DPL_FUZZ=ON and clang; run it
 * with ./deploy/fuzz.sh. The first input byte picks what the rest is:
 *
 *   0  Entry bytes, signed by the admin and appended to a log, so that they
 *      meet the decoder, the stateless checks, every kind's rules and the
 *      writer (the path of an Append whose author signs anything);
 *   1  a SignedEntry as it arrives on the wire;
 *   2  a signed note (a checkpoint) checked against the log's verifier key,
 *      and its body parsed as a checkpoint;
 *   3  a verifier key string;
 *   4  an inclusion and a consistency proof, with their sizes, checked
 *      against a root;
 *   5  an AppendBatchRequest as the server receives it, and the same bytes
 *      as an Entry: measured on the wire (wire.h), then decoded;
 *   6  an audit bundle, verified offline against the log's verifier key
 *      (client/audit.h): a hostile bundle must cost a bounded amount and
 *      never crash its reader.
 *
 * Every call must return; the sanitizers turn any memory or UB fault into a
 * crash. Mode 0 also checks that a rejection leaves the tree as it was.
 */
#include <protobuf-c/protobuf-c.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "audit.h"
#include "error.h"
#include "keys.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "wire.h"

#define ORIGIN "fuzz.partsledger.invalid/log"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct {
  char dir[64];
  pl_key *log_key, *admin;
  pl_log *log;
  pl_arena *arena;
  char vkey[256];
} fz;

static void fz_done(void) {
  char cmd[96];
  pl_head head;
  /* How deep mode 0 got: leaves beyond genesis were entries that passed. */
  pl_log_head(fz.log, &head);
  fprintf(stderr, "fuzz_input: the log ends with %llu leaves\n",
          (unsigned long long)head.size);
  pl_log_close(fz.log);
  pl_arena_free(fz.arena);
  pl_key_free(fz.log_key);
  pl_key_free(fz.admin);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", fz.dir);
  if (system(cmd) != 0)
    fprintf(stderr, "fuzz_input: cannot remove %s\n", fz.dir);
}

/* Writes one seed per mode into $PL_FUZZ_SEEDS, so a campaign starts from
 * inputs that get past the first checks. */
static void fz_seed(const char *dir, const char *name, uint8_t mode,
                    const void *body, size_t len) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return;
  fputc(mode, f);
  fwrite(body, 1, len, f);
  fclose(f);
}

static void fz_seeds(const char *dir) {
  uint8_t pk[PL_PUBLIC_KEY_BYTES], rid[PL_REQUEST_ID_BYTES];
  randombytes_buf(pk, sizeof(pk));
  randombytes_buf(rid, sizeof(rid));
  char *sites[] = {"site-1"};
  Partsledger__V1__ActorEnrolled b = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  Partsledger__V1__Entry e = PARTSLEDGER__V1__ENTRY__INIT;
  b.public_key.data = pk;
  b.public_key.len = sizeof(pk);
  b.role = PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION;
  b.name = "Werkstatt S\xc3\xbc" "d";
  b.site_ids = sites;
  b.n_site_ids = 1;
  e.request_id.data = rid;
  e.request_id.len = sizeof(rid);
  e.occurred_at_ms = 1700000000000;
  e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  e.actor_enrolled = &b;
  uint8_t entry[512], sig[PL_SIGNATURE_BYTES], signed_entry[1024];
  size_t len = partsledger__v1__entry__pack(&e, entry);
  fz_seed(dir, "entry-enroll", 0, entry, len);

  Partsledger__V1__ActorRevoked r = PARTSLEDGER__V1__ACTOR_REVOKED__INIT;
  r.public_key = b.public_key;
  r.reason = "retired";
  e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED;
  e.actor_revoked = &r;
  size_t rlen = partsledger__v1__entry__pack(&e, entry + len);
  fz_seed(dir, "entry-revoke", 0, entry + len, rlen);

  Partsledger__V1__SignedEntry se = PARTSLEDGER__V1__SIGNED_ENTRY__INIT;
  pl_entry_sign(fz.admin, entry, len, sig);
  se.entry.data = entry;
  se.entry.len = len;
  se.signer.data = (uint8_t *)pl_key_public(fz.admin);
  se.signer.len = PL_PUBLIC_KEY_BYTES;
  se.signature.data = sig;
  se.signature.len = sizeof(sig);
  size_t slen = partsledger__v1__signed_entry__pack(&se, signed_entry);
  fz_seed(dir, "signed-entry", 1, signed_entry, slen);
  Partsledger__V1__SignedEntry *two[2] = {&se, &se};
  Partsledger__V1__AppendBatchRequest batch = PARTSLEDGER__V1__APPEND_BATCH_REQUEST__INIT;
  batch.signed_entries = two;
  batch.n_signed_entries = 2;
  uint8_t batch_bytes[2048];
  fz_seed(dir, "batch", 5, batch_bytes,
          partsledger__v1__append_batch_request__pack(&batch, batch_bytes));

  pl_head head;
  pl_log_head(fz.log, &head);
  fz_seed(dir, "checkpoint", 2, head.checkpoint, head.checkpoint_len);
  fz_seed(dir, "vkey", 3, fz.vkey, strlen(fz.vkey));

  /* index 0 of size 1: an empty proof, the root is the leaf hash. */
  uint8_t proof[2 + 2 * PL_HASH_BYTES] = {0, 1};
  fz_seed(dir, "proof", 4, proof, sizeof(proof));
  static const char bundle[] =
      "{\"media_type\":\"application/vnd.partsledger.audit-bundle.v1+json\","
      "\"claim_id\":\"C-1\",\"origin\":\"" ORIGIN "\",\"verifier_key\":\"\","
      "\"checkpoint\":\"\",\"tree_size\":1,\"manifest\":\"\",\"entries\":[]}";
  fz_seed(dir, "bundle", 6, (const uint8_t *)bundle, sizeof(bundle) - 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  uint8_t seed[PL_SEED_BYTES];
  char why[256];
  if (pl_crypto_init() != 0)
    abort();
  randombytes_buf(seed, sizeof(seed));
  if (pl_key_from_seed(seed, &fz.log_key) != 0)
    abort();
  randombytes_buf(seed, sizeof(seed));
  if (pl_key_from_seed(seed, &fz.admin) != 0)
    abort();
  snprintf(fz.dir, sizeof(fz.dir), "/tmp/pl-fuzz-XXXXXX");
  if (mkdtemp(fz.dir) == NULL)
    abort();
  pl_log_config cfg = {.dir = fz.dir, .origin = ORIGIN, .log_key = fz.log_key,
                       .admin_key = pl_key_public(fz.admin), .map_size = (size_t)4 << 30};
  if (pl_log_open(&cfg, &fz.log, why, sizeof(why)) != 0) {
    fprintf(stderr, "fuzz_input: %s\n", why);
    abort();
  }
  atexit(fz_done);
  fz.arena = pl_arena_new(0);
  snprintf(fz.vkey, sizeof(fz.vkey), "%s", pl_log_vkey(fz.log));
  const char *dir = getenv("PL_FUZZ_SEEDS");
  if (dir != NULL)
    fz_seeds(dir);
  return 0;
}

static void fz_entry(const uint8_t *data, size_t size) {
  ProtobufCAllocator *al = pl_arena_allocator(fz.arena);
  Partsledger__V1__SignedEntry se = PARTSLEDGER__V1__SIGNED_ENTRY__INIT;
  uint8_t sig[PL_SIGNATURE_BYTES];
  if (pl_entry_sign(fz.admin, data, size, sig) != 0)
    abort();
  se.entry.data = (uint8_t *)data;
  se.entry.len = size;
  se.signer.data = (uint8_t *)pl_key_public(fz.admin);
  se.signer.len = PL_PUBLIC_KEY_BYTES;
  se.signature.data = sig;
  se.signature.len = sizeof(sig);
  Partsledger__V1__Entry *entry;
  char msg[PL_MSG_MAX];
  if (pl_signed_entry_open(&se, al, &entry, msg) != 0)
    return;
  pl_append it;
  memset(&it, 0, sizeof(it));
  it.signed_entry = &se;
  it.entry = entry;
  pl_append *items[1] = {&it};
  pl_head before, after;
  pl_log_head(fz.log, &before);
  if (pl_log_append(fz.log, items, 1, &after) != 0)
    abort(); /* a 4 GiB map (sparse) holds every entry a campaign appends */
  int grew = it.err == 0 && !it.duplicate;
  if (after.size != before.size + (uint64_t)grew)
    abort();
  if (!grew && memcmp(after.root, before.root, PL_HASH_BYTES) != 0)
    abort();
}

static void fz_signed_entry(const uint8_t *data, size_t size) {
  ProtobufCAllocator *al = pl_arena_allocator(fz.arena);
  Partsledger__V1__SignedEntry *se = partsledger__v1__signed_entry__unpack(al, size, data);
  if (se == NULL)
    return;
  Partsledger__V1__Entry *entry;
  char msg[PL_MSG_MAX];
  if (pl_signed_entry_open(se, al, &entry, msg) != 0 && msg[0] == '\0')
    abort(); /* every refusal says why */
}

/* The input as a C string, as the CLI hands a file's text to the parsers. */
static char *fz_text(const uint8_t *data, size_t size) {
  char *text = pl_arena_alloc(fz.arena, size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  return text;
}

static void fz_note(const uint8_t *data, size_t size) {
  char *note = fz_text(data, size);
  size_t body_len;
  if (pl_note_verify(fz.vkey, note, size, &body_len) == 0 && body_len > size)
    abort();
  char origin[256];
  uint64_t tree_size;
  uint8_t root[PL_HASH_BYTES];
  (void)pl_checkpoint_parse(note, size, origin, sizeof(origin), &tree_size, root);
}

static void fz_vkey(const uint8_t *data, size_t size) {
  char *vkey = fz_text(data, size);
  char name[256];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  (void)pl_note_vkey_parse(vkey, name, sizeof(name), pk);
}

/* Sizes as two bytes each (so the fuzzer explores edges, not 2^64), then
 * the proof's hashes. */
static void fz_proof(const uint8_t *data, size_t size) {
  if (size < 4)
    return;
  uint64_t a = (uint64_t)data[0] << 8 | data[1], b = (uint64_t)data[2] << 8 | data[3];
  data += 4;
  size -= 4;
  size_t n = size / PL_HASH_BYTES;
  if (n > PL_MERKLE_MAX_PROOF + 2)
    n = PL_MERKLE_MAX_PROOF + 2;
  pl_hash *proof = pl_arena_alloc(fz.arena, (n ? n : 1) * sizeof(pl_hash));
  memcpy(proof, data, n * PL_HASH_BYTES);
  uint8_t leaf[PL_HASH_BYTES] = {0}, root[PL_HASH_BYTES] = {0};
  (void)pl_merkle_verify_inclusion(a, b, leaf, proof, n, root);
  (void)pl_merkle_verify_consistency(a, b, leaf, root, proof, n);
}

/* The walk is never stricter about the wire than protobuf-c: bytes it finds
 * unparseable, protobuf-c must refuse too, or the server would turn away
 * requests that decode. The same bytes are also walked as an Entry, whose
 * strings the walk checks. */
static void fz_wire_as(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                       size_t size) {
  static const pl_wire_rules rules = {256, 1};
  const char *why;
  int rc = pl_wire_check(d, data, size, &rules, &why);
  if (rc != 0 && why == NULL)
    abort(); /* every refusal says why */
  ProtobufCMessage *m = protobuf_c_message_unpack(d, pl_arena_allocator(fz.arena), size, data);
  if (rc != 0 && strcmp(why, "does not parse") == 0 && m != NULL)
    abort();
}

static void fz_wire(const uint8_t *data, size_t size) {
  fz_wire_as(&partsledger__v1__append_batch_request__descriptor, data, size);
  fz_wire_as(&partsledger__v1__entry__descriptor, data, size);
}

static void fz_bundle(const uint8_t *data, size_t size) {
  pl_audit_report r;
  (void)pl_audit_verify((const char *)data, size, fz.vkey, &r);
  pl_audit_report_destroy(&r);
}

/* Indexed by the input's first byte, in the order the header lists. */
static void (*const fz_modes[])(const uint8_t *, size_t) = {
    fz_entry, fz_signed_entry, fz_note, fz_vkey, fz_proof, fz_wire, fz_bundle};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0 || data[0] >= sizeof(fz_modes) / sizeof(fz_modes[0]))
    return 0;
  pl_arena_reset(fz.arena);
  fz_modes[data[0]](data + 1, size - 1);
  return 0;
}
