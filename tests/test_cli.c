/*
 * test_cli.c - integration tests of the `partsledger` CLI against the real
 * server: each case starts partsledgerd in a fresh directory (harness.h) and
 * runs PL_CLI_BIN as a subprocess, checking its exit status and output. One
 * case runs the benchmark (PL_BENCH_BIN) briefly, so that it keeps working.
 * The case state and helpers are clitest.h's.
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "client.h"
#include "clitest.h"
#include "entry.h"
#include "harness.h"
#include "keys.h"
#include "merkle.h"
#include "note.h"
#include "test.h"

#ifndef PL_BENCH_BIN
#error "PL_BENCH_BIN must name the partsledger-bench binary"
#endif

/* Enrolls `pub` as `role` at one site, signed by the key file `signer`; the
 * entry's index, or -1. (Warehouses need a site, repair stations exactly one,
 * so every actor here gets one.) */
static long long enroll(const char *signer, const char *pub, const char *role,
                        const char *name) {
  struct res r = cli("--json", "enroll", "--key", signer, "--public-key", pub,
                     "--role", role, "--name", name, "--site", "site-1");
  if (r.code != 0)
    return -1;
  cJSON *o = json(r.out);
  return o != NULL ? (long long)num(o, "index") : -1;
}

/* Writes a JSON value to a file in the case's directory; its path. */
static const char *save_json(const char *name, const cJSON *o) {
  char *s = keep(cJSON_Print(o));
  const char *p = path(name);
  if (s == NULL || p == NULL || pl_write_file(p, s) != 0)
    return NULL;
  return p;
}

/* Flips one hex digit of a string field of `o` at character `at`. */
static void flip_hex(cJSON *o, const char *field, size_t at) {
  cJSON *item = cJSON_GetObjectItemCaseSensitive(o, field);
  char *s = keep(strdup(item->valuestring));
  s[at] = s[at] == '0' ? '1' : '0';
  cJSON_SetValuestring(item, s);
}

/* ---- cases ---- */

PL_TEST(keygen_enroll_get_list) {
  CHECK(start() != NULL);
  const char *key = path("actor.key");
  struct res r = cli("keygen", "--out", key);
  CHECK_EQ(r.code, 0);
  CHECK_EQ(strlen(r.out), 65);
  char *pub = keep(strndup(r.out, 64));
  struct stat st;
  CHECK(stat(key, &st) == 0);
  CHECK_EQ(st.st_mode & 0777, 0600);

  /* keygen never overwrites a key: a file it would write that exists is
   * the command line's problem (2), not a failure of the call (1). */
  r = cli("keygen", "--out", key);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "exists") != NULL);

  r = cli("pubkey", "--key", key);
  CHECK_EQ(r.code, 0);
  CHECK(strncmp(r.out, pub, 64) == 0);

  r = cli("--json", "enroll", "--key", pl_harness_admin_key_path(g_h),
          "--public-key", pub, "--role", "manufacturer", "--name", "Acme Parts",
          "--site", "plant-1", "--site", "plant-2", "--request-id",
          "00112233445566778899aabbccddeeff");
  CHECK_EQ(r.code, 0);
  cJSON *e = json(r.out);
  CHECK(e != NULL);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(e, "duplicate")));
  double index = num(e, "index");
  CHECK(num(e, "tree_size") >= index + 1);
  CHECK_EQ(strlen(str(e, "leaf_hash")), 64);
  const char *sindex = fmt("%.0f", index);

  /* The same request id again is the same entry, not a new one. */
  r = cli("--json", "enroll", "--key", pl_harness_admin_key_path(g_h),
          "--public-key", pub, "--role", "manufacturer", "--name", "Acme Parts",
          "--site", "plant-1", "--site", "plant-2", "--request-id",
          "00112233445566778899aabbccddeeff");
  CHECK_EQ(r.code, 0);
  cJSON *dup = json(r.out);
  CHECK(dup != NULL);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(dup, "duplicate")));
  CHECK_EQ(num(dup, "index"), index);

  r = cli("get", sindex);
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "actor_enrolled") != NULL);
  CHECK(strstr(r.out, "manufacturer") != NULL);
  CHECK(strstr(r.out, "Acme Parts") != NULL);
  CHECK(strstr(r.out, "plant-1, plant-2") != NULL);
  CHECK(strstr(r.out, pub) != NULL);
  CHECK(strstr(r.out, "signature:     valid") != NULL);
  CHECK(strstr(r.out, "00112233445566778899aabbccddeeff") != NULL);
  CHECK(strstr(r.out, str(e, "leaf_hash")) != NULL);

  r = cli("--json", "get", sindex);
  CHECK_EQ(r.code, 0);
  cJSON *g = json(r.out);
  CHECK(g != NULL);
  CHECK_EQ(num(g, "index"), index);
  CHECK_STR(str(g, "kind"), "actor_enrolled");
  CHECK_STR(str(g, "signer"), pl_harness_admin_pub_hex(g_h));
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(g, "signature_valid")));
  cJSON *body = cJSON_GetObjectItem(g, "body");
  CHECK_STR(str(body, "public_key"), pub);
  CHECK_STR(str(body, "role"), "manufacturer");
  CHECK_STR(str(body, "name"), "Acme Parts");
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(body, "site_ids")), 2);

  /* --raw gives the exact leaf bytes: they hash to the leaf hash. */
  r = cli("get", sindex, "--raw");
  CHECK_EQ(r.code, 0);
  size_t hex_len = strcspn(r.out, "\n");
  CHECK(hex_len > 0 && hex_len % 2 == 0);
  r.out[hex_len] = '\0';
  uint8_t *leaf = keep(malloc(hex_len / 2));
  CHECK(pl_hex_decode(r.out, leaf, hex_len / 2) == 0);
  uint8_t lh[PL_HASH_BYTES];
  char lh_hex[2 * PL_HASH_BYTES + 1];
  pl_merkle_leaf_hash(leaf, hex_len / 2, lh);
  CHECK_STR(pl_hex_encode(lh, PL_HASH_BYTES, lh_hex), str(e, "leaf_hash"));

  r = cli("list");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, pub) != NULL);
  CHECK(strstr(r.out, "\"Acme Parts\"") != NULL);

  r = cli("--json", "list", "--start", sindex, "--limit", "1");
  CHECK_EQ(r.code, 0);
  cJSON *l = json(r.out);
  CHECK(l != NULL);
  cJSON *entries = cJSON_GetObjectItem(l, "entries");
  CHECK_EQ(cJSON_GetArraySize(entries), 1);
  CHECK_EQ(num(cJSON_GetArrayItem(entries, 0), "index"), index);
  CHECK_EQ(num(l, "next_start"), index + 1);

  /* An index past the end is the server's OUT_OF_RANGE (or NOT_FOUND). */
  r = cli("get", "1000000");
  CHECK_EQ(r.code, 1);
  CHECK(strncmp(r.err, "error: ", 7) == 0);
}

PL_TEST(checkpoint_and_info) {
  CHECK(start() != NULL);
  const char *pub = new_key_file("a.key");
  CHECK(pub != NULL);
  CHECK(enroll(pl_harness_admin_key_path(g_h), pub, "warehouse", "Depot") >= 0);

  struct res r = cli("--json", "info");
  CHECK_EQ(r.code, 0);
  cJSON *info = json(r.out);
  CHECK(info != NULL);
  CHECK_STR(str(info, "origin"), pl_harness_origin(g_h));
  CHECK_EQ(strlen(str(info, "public_key")), 64);
  const char *vk = str(info, "verifier_key");
  CHECK(strncmp(vk, pl_harness_origin(g_h), strlen(pl_harness_origin(g_h))) ==
        0);

  r = cli("info");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, vk) != NULL);

  const char *saved = path("cp.note");
  r = cli("checkpoint", "--out", saved);
  CHECK_EQ(r.code, 0);
  CHECK(strncmp(r.out, pl_harness_origin(g_h),
                strlen(pl_harness_origin(g_h))) == 0);
  char *file = keep(pl_read_file(saved));
  CHECK(file != NULL);
  CHECK_STR(file, r.out);

  /* The note verifies with the log's key and names the size it reports. */
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  char root_hex[2 * PL_HASH_BYTES + 1];
  CHECK(pl_verify_checkpoint(vk, r.out, &size, root) == 0);
  r = cli("--json", "checkpoint");
  CHECK_EQ(r.code, 0);
  cJSON *cp = json(r.out);
  CHECK(cp != NULL);
  CHECK_EQ(num(cp, "size"), size);
  CHECK(size >= 1);
  CHECK_STR(str(cp, "root_hash"), pl_hex_encode(root, PL_HASH_BYTES, root_hex));

  r = cli("health");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "SERVING") != NULL);
}

PL_TEST(prove_then_verify_offline) {
  CHECK(start() != NULL);
  long long idx = -1;
  for (int i = 0; i < 3; i++) {
    const char *pub = new_key_file(fmt("k%d.key", i));
    CHECK(pub != NULL);
    idx = enroll(pl_harness_admin_key_path(g_h), pub, "repair_station",
                 fmt("Station %d", i));
    CHECK(idx >= 0);
  }
  const char *vk = vkey();
  CHECK(vk != NULL);
  const char *vk_path = path("log.vkey");
  CHECK(pl_write_file(vk_path, fmt("%s\n", vk)) == 0);

  struct res r = cli("prove", fmt("%lld", idx - 1));
  CHECK_EQ(r.code, 0);
  cJSON *doc = json(r.out);
  CHECK(doc != NULL);
  CHECK_STR(str(doc, "type"), "inclusion");
  CHECK_EQ(num(doc, "index"), idx - 1);
  CHECK(num(doc, "tree_size") >= idx + 1);
  CHECK(cJSON_IsArray(cJSON_GetObjectItem(doc, "proof")));
  CHECK(strlen(str(doc, "leaf")) > 0);
  CHECK(strlen(str(doc, "checkpoint")) > 0);
  const char *proof_path = path("incl.json");
  CHECK(pl_write_file(proof_path, r.out) == 0);

  /* --size must be the size of a checkpoint the prover has. */
  r = cli("prove", fmt("%lld", idx), "--size",
          fmt("%.0f", num(doc, "tree_size")));
  CHECK_EQ(r.code, 0);
  r = cli("prove", fmt("%lld", idx), "--size", "1");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "--checkpoint FILE") != NULL);

  /* No server from here on. */
  CHECK_EQ(pl_harness_stop(g_h), 0);

  r = cli("verify", "--vkey", vk, proof_path);
  CHECK_EQ(r.code, 0);
  CHECK(strncmp(r.out, "OK inclusion", 12) == 0);

  r = cli("verify", "--vkey-file", vk_path, proof_path);
  CHECK_EQ(r.code, 0);

  const char *doc_text = keep(pl_read_file(proof_path));
  CHECK(doc_text != NULL);
  r = cli_in(doc_text, "verify", "--vkey", vk, "-", NULL);
  CHECK_EQ(r.code, 0);

  r = cli("--json", "verify", "--vkey", vk, proof_path);
  CHECK_EQ(r.code, 0);
  cJSON *v = json(r.out);
  CHECK(v != NULL);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(v, "ok")));
  CHECK_EQ(num(v, "index"), idx - 1);
}

PL_TEST(tampered_proof_fails) {
  CHECK(start() != NULL);
  for (int i = 0; i < 4; i++) {
    const char *pub = new_key_file(fmt("k%d.key", i));
    CHECK(pub != NULL);
    CHECK(enroll(pl_harness_admin_key_path(g_h), pub, "auditor",
                 fmt("A%d", i)) >= 0);
  }
  const char *vk = vkey();
  CHECK(vk != NULL);
  struct res r = cli("--json", "list", "--limit", "0");
  CHECK_EQ(r.code, 0);
  cJSON *l = json(r.out);
  CHECK(l != NULL);
  int n = cJSON_GetArraySize(cJSON_GetObjectItem(l, "entries"));
  CHECK(n >= 4);
  /* Entry 1 of 4 or more: its proof has at least two hashes. */
  r = cli("prove", "1");
  CHECK_EQ(r.code, 0);
  const char *good = keep(strdup(r.out));
  cJSON *doc = json(good);
  CHECK(doc != NULL);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "proof")) >= 2);
  CHECK_EQ(pl_harness_stop(g_h), 0);

  r = cli("verify", "--vkey", vk, save_json("good.json", doc));
  CHECK_EQ(r.code, 0);

  /* One change at a time, each to a fresh copy of the good document. */
  cJSON *d;
  /* A document whose claims the signed data contradicts does not verify
   * (1, "FAILED: "); one that is no longer a proof document cannot be
   * judged (2, "error: "). */
#define CHANGED(label, want, prefix, ...)                                      \
  do {                                                                         \
    d = json(good);                                                            \
    CHECK(d != NULL);                                                          \
    __VA_ARGS__;                                                               \
    r = cli("verify", "--vkey", vk, save_json(label ".json", d));              \
    if (r.code != (want))                                                      \
      fprintf(stderr, "change '%s' was not caught as %d\n", label, (want));    \
    CHECK_EQ(r.code, (want));                                                  \
    CHECK(strncmp(r.err, prefix, strlen(prefix)) == 0);                        \
  } while (0)
#define TAMPERED(label, ...) CHANGED(label, 1, "FAILED: ", __VA_ARGS__)
#define MALFORMED(label, ...) CHANGED(label, 2, "error: ", __VA_ARGS__)

  TAMPERED("leaf", flip_hex(d, "leaf", strlen(str(d, "leaf")) - 3));
  /* A leaf changed in the document is the document's fault, not the log's. */
  CHECK(strstr(r.err, "the proof does not lead from the leaf") != NULL);
  TAMPERED("proof0", {
    cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "proof"), 0);
    char *s = keep(strdup(p->valuestring));
    s[10] = s[10] == 'a' ? 'b' : 'a';
    cJSON_SetValuestring(p, s);
  });
  TAMPERED("proof_short",
           cJSON_DeleteItemFromArray(cJSON_GetObjectItem(d, "proof"), 0));
  TAMPERED("index",
           cJSON_ReplaceItemInObject(d, "index", cJSON_CreateNumber(2)));
  TAMPERED("tree_size",
           cJSON_ReplaceItemInObject(
               d, "tree_size", cJSON_CreateNumber(num(d, "tree_size") + 1)));
  TAMPERED("checkpoint", {
    /* A different root line under the same signature. */
    cJSON *cp = cJSON_GetObjectItem(d, "checkpoint");
    char *s = keep(strdup(cp->valuestring));
    char *root_line = strchr(strchr(s, '\n') + 1, '\n') + 1;
    root_line[0] = root_line[0] == 'A' ? 'B' : 'A';
    cJSON_SetValuestring(cp, s);
  });
  MALFORMED("type",
            cJSON_ReplaceItemInObject(d, "type", cJSON_CreateString("bogus")));
  CHECK(strstr(r.err, "unknown proof type") != NULL);
  MALFORMED("no_leaf", cJSON_DeleteItemFromObject(d, "leaf"));
  CHECK(strstr(r.err, "\"leaf\"") != NULL);
  MALFORMED("index_text",
            cJSON_ReplaceItemInObject(d, "index", cJSON_CreateString("one")));
  MALFORMED("proof_hash", {
    cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "proof"), 0);
    cJSON_SetValuestring(p, "abc");
  });

  /* The right document under another log's key. */
  uint8_t pk[PL_PUBLIC_KEY_BYTES] = {1, 2, 3};
  char other[PL_VKEY_MAX];
  CHECK(pl_note_vkey(pl_harness_origin(g_h), pk, other, sizeof(other)) == 0);
  r = cli("verify", "--vkey", other, path("good.json"));
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "not signed by the verifier key") != NULL);

  /* Not JSON at all, or no file: nothing to judge. */
  CHECK(pl_write_file(path("junk.json"), "this is not a proof\n") == 0);
  r = cli("verify", "--vkey", vk, path("junk.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "not a JSON proof document") != NULL);
  r = cli("verify", "--vkey", vk, path("missing.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "error: cannot read") != NULL);
  r = cli("--json", "verify", "--vkey", vk, path("missing.json"));
  CHECK_EQ(r.code, 2);
  cJSON *missing = json(r.out);
  CHECK(missing != NULL);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(missing, "ok")));
  CHECK(strstr(str(missing, "reason"), "cannot read") != NULL);

  /* Documents that would read one way here and another way to a different
   * JSON reader: each must be refused, with the reason. */
  char *text = keep(pl_read_file(path("good.json")));
  CHECK(text != NULL);
  char *close = strrchr(text, '}');
  CHECK(close != NULL);
  const char *dup = fmt("%.*s, \"index\": 0}\n", (int)(close - text), text);
  CHECK(pl_write_file(path("dup.json"), dup) == 0);
  r = cli("verify", "--vkey", vk, path("dup.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "\"index\" appears twice") != NULL);

  CHECK(pl_write_file(path("trail.json"), fmt("%s{\"type\": \"x\"}\n", text)) == 0);
  r = cli("verify", "--vkey", vk, path("trail.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "nothing after it") != NULL);

  FILE *f = fopen(path("nul.json"), "wb");
  CHECK(f != NULL);
  CHECK(fwrite(text, 1, strlen(text) + 1, f) == strlen(text) + 1); /* the NUL too */
  CHECK(fputs("junk", f) >= 0);
  CHECK(fclose(f) == 0);
  r = cli("verify", "--vkey", vk, path("nul.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "NUL byte") != NULL);

  /* "leaf": "<hex>\u0000zz": cJSON would stop at the escape. */
  char *leaf = strstr(text, "\"leaf\":");
  CHECK(leaf != NULL);
  char *end = strchr(strchr(leaf + 7, '"') + 1, '"');
  CHECK(end != NULL);
  const char *esc = fmt("%.*s\\u0000zz%s", (int)(end - text), text, end);
  CHECK(pl_write_file(path("esc.json"), esc) == 0);
  r = cli("verify", "--vkey", vk, path("esc.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "u0000") != NULL);

  /* An escaped backslash before "u0000" is not an escape of it, and JSON's
   * other escapes stay legal: the good document with such a field added
   * still verifies. */
  const char *other_esc = fmt("%.*s, \"note\": \"a\\\\u0000 \\\"b\\\"\"}\n",
                              (int)(close - text), text);
  CHECK(pl_write_file(path("other_esc.json"), other_esc) == 0);
  r = cli("verify", "--vkey", vk, path("other_esc.json"));
  CHECK_EQ(r.code, 0);

  /* --old-checkpoint does not go with an inclusion proof. */
  r = cli("verify", "--vkey", vk, "--old-checkpoint", path("missing.note"),
          path("good.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--old-checkpoint goes with a consistency proof") != NULL);

  /* A verifier key file holds the key and at most a line end. */
  CHECK(pl_write_file(path("two.vkey"), fmt("%s\nmore\n", vk)) == 0);
  r = cli("verify", "--vkey-file", path("two.vkey"), path("good.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "more than one line") != NULL);
  r = cli("verify", "--vkey-file", path("missing.vkey"), path("good.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "cannot read") != NULL);
  /* A file that holds something else is bad input, named as the file, not
   * a wrong command line. */
  CHECK(pl_write_file(path("not.vkey"), "hello\n") == 0);
  r = cli("verify", "--vkey-file", path("not.vkey"), path("good.json"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, fmt("%s does not hold a verifier key",
                          path("not.vkey"))) != NULL);
  CHECK(strstr(r.err, "usage:") == NULL);

  r = cli("--json", "verify", "--vkey", vk, path("leaf.json"));
  CHECK_EQ(r.code, 1);
  cJSON *v = json(r.out);
  CHECK(v != NULL);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(v, "ok")));
  CHECK(strlen(str(v, "reason")) > 0);
}

/* A one-leaf log made offline, as a dishonest operator could make it: the
 * checkpoint is genuinely signed by the log key and the Merkle proof is
 * sound, so only the signatures over the entry tell a forged entry from a
 * real one. `sig_ok` chooses which this leaf is; `self_cosign` adds a valid
 * co-signature by the author, which a quorum must not count. */
static const char *one_leaf_log(const pl_key *log_key, const char *origin,
                                int sig_ok, int self_cosign, const char **signer_hex) {
  uint8_t seed[PL_SEED_BYTES] = {7};
  pl_key *author = NULL;
  if (pl_key_from_seed(seed, &author) != 0)
    return NULL;
  uint8_t rid[16] = {1, 2, 3}, enrolled[PL_PUBLIC_KEY_BYTES] = {9};
  pl_arena *a = pl_arena_new(0);
  Partsledger__V1__Entry *e = NULL;
  if (a == NULL || pl_build_actor_enrolled(a, enrolled, PARTSLEDGER__V1__ROLE__ROLE_AUDITOR,
                                           "Auditor", NULL, 0, &e) != 0) {
    pl_arena_free(a);
    pl_key_free(author);
    return NULL;
  }
  /* Fixed, so that the leaf is the same on every run. */
  e->request_id = (ProtobufCBinaryData){sizeof(rid), rid};
  e->occurred_at_ms = 1700000000000;
  /* Signed here rather than by pl_entry_build, which could not forge. */
  uint8_t ebuf[256], sig[PL_SIGNATURE_BYTES];
  size_t elen = partsledger__v1__entry__get_packed_size(e) <= sizeof(ebuf)
                    ? partsledger__v1__entry__pack(e, ebuf)
                    : 0;
  pl_arena_free(a);
  int rc = elen > 0 ? pl_entry_sign(author, ebuf, elen, sig) : PL_ETOOBIG;
  if (!sig_ok)
    sig[5] ^= 1;
  Partsledger__V1__SignedEntry se = PARTSLEDGER__V1__SIGNED_ENTRY__INIT;
  se.entry = (ProtobufCBinaryData){elen, ebuf};
  se.signer = (ProtobufCBinaryData){PL_PUBLIC_KEY_BYTES, (uint8_t *)pl_key_public(author)};
  se.signature = (ProtobufCBinaryData){sizeof(sig), sig};
  uint8_t cosig[PL_SIGNATURE_BYTES];
  Partsledger__V1__Cosignature co = PARTSLEDGER__V1__COSIGNATURE__INIT, *cos[1] = {&co};
  if (self_cosign) {
    rc = rc != 0 ? rc : pl_entry_sign(author, ebuf, elen, cosig);
    co.signer = se.signer;
    co.signature = (ProtobufCBinaryData){sizeof(cosig), cosig};
    se.cosignatures = cos;
    se.n_cosignatures = 1;
  }
  Partsledger__V1__Leaf leaf = PARTSLEDGER__V1__LEAF__INIT;
  leaf.integrated_at_ms = 1700000000001;
  leaf.signed_entry = &se;
  uint8_t lbuf[512];
  size_t llen = partsledger__v1__leaf__pack(&leaf, lbuf);
  char lhex[2 * sizeof(lbuf) + 1], shex[2 * PL_PUBLIC_KEY_BYTES + 1];
  pl_hex_encode(lbuf, llen, lhex);
  *signer_hex = keep(strdup(pl_hex_encode(pl_key_public(author), PL_PUBLIC_KEY_BYTES, shex)));
  pl_key_free(author);

  uint8_t root[PL_HASH_BYTES]; /* a tree of one leaf: its root is the leaf hash */
  pl_merkle_leaf_hash(lbuf, llen, root);
  char body[PL_NOTE_MAX], note[PL_NOTE_MAX];
  size_t blen, nlen;
  if (rc != 0 || pl_checkpoint_body(origin, 1, root, body, sizeof(body), &blen) != 0 ||
      pl_note_sign(log_key, origin, body, blen, note, sizeof(note), &nlen) != 0)
    return NULL;
  cJSON *doc = keep_json(cJSON_CreateObject());
  cJSON_AddStringToObject(doc, "type", "inclusion");
  cJSON_AddNumberToObject(doc, "index", 0);
  cJSON_AddNumberToObject(doc, "tree_size", 1);
  cJSON_AddStringToObject(doc, "leaf", lhex);
  cJSON_AddItemToObject(doc, "proof", cJSON_CreateArray());
  cJSON_AddStringToObject(doc, "checkpoint", note);
  return save_json(self_cosign ? "self.json" : sig_ok ? "signed.json" : "forged.json", doc);
}

PL_TEST(forged_entry_fails_offline) {
  CHECK(start() != NULL); /* for its directory; the log here is made offline */
  uint8_t seed[PL_SEED_BYTES] = {42};
  pl_key *log_key = NULL;
  CHECK(pl_key_from_seed(seed, &log_key) == 0);
  const char *origin = "dishonest.example/log";
  char vk[PL_VKEY_MAX];
  const char *signer, *self_doc = one_leaf_log(log_key, origin, 1, 1, &signer),
                      *forged_doc = one_leaf_log(log_key, origin, 0, 0, &signer),
                      *signed_doc = one_leaf_log(log_key, origin, 1, 0, &signer);
  int made = pl_note_vkey(origin, pl_key_public(log_key), vk, sizeof(vk)) == 0;
  pl_key_free(log_key);
  CHECK(made && signed_doc != NULL && forged_doc != NULL && self_doc != NULL);

  struct res r = cli("verify", "--vkey", vk, signed_doc);
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, fmt("signed by %s", signer)) != NULL);
  r = cli("--json", "verify", "--vkey", vk, signed_doc);
  CHECK_EQ(r.code, 0);
  cJSON *v = json(r.out);
  CHECK(v != NULL);
  CHECK_STR(str(v, "signer"), signer);
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(v, "cosigners")), 0);

  r = cli("verify", "--vkey", vk, forged_doc);
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "author's signature over the entry does not verify") != NULL);
  r = cli("verify", "--vkey", vk, self_doc);
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "co-signer 0 is the author") != NULL);
}

/* The library's verdicts, as an audit-bundle verifier would use them: the
 * code says whether the proof holds (0), does not (PL_EVERIFY), is no proof
 * document (PL_EINVAL) or needs the caller's old checkpoint (PL_ENOTFOUND). */
PL_TEST(verify_library_verdicts) {
  CHECK(start() != NULL); /* for its directory */
  uint8_t seed[PL_SEED_BYTES] = {43};
  pl_key *log_key = NULL;
  CHECK(pl_key_from_seed(seed, &log_key) == 0);
  const char *origin = "library.example/log";
  char vk[PL_VKEY_MAX];
  const char *signer, *good = one_leaf_log(log_key, origin, 1, 0, &signer),
                      *forged = one_leaf_log(log_key, origin, 0, 0, &signer);
  int made = pl_note_vkey(origin, pl_key_public(log_key), vk, sizeof(vk)) == 0;
  pl_key_free(log_key);
  CHECK(made && good != NULL && forged != NULL);
  pl_arena *a = pl_arena_new(0);
  CHECK(a != NULL);
  pl_verdict v;
  pl_proof_facts f;
  cJSON *doc = NULL;
  int ok = 0;

  char *text = keep(pl_read_file(good));
  CHECK(text != NULL);
  CHECK_EQ(pl_proof_doc_parse(text, "good", &doc, &v), 0);
  keep_json(doc);
  CHECK_EQ(pl_proof_doc_type(doc), PL_PROOF_INCLUSION);
  ok = pl_verify_proof_doc(vk, doc, NULL, a, &f, &v) == 0 && v.code == 0 &&
       f.index == 0 && f.tree_size == 1 && strcmp(f.origin, origin) == 0 &&
       f.signed_entry != NULL && strncmp(v.message, "inclusion: entry 0", 18) == 0;
  char hex[2 * PL_PUBLIC_KEY_BYTES + 1];
  ok = ok && strcmp(pl_hex_encode(f.signed_entry->signer.data, PL_PUBLIC_KEY_BYTES, hex),
                    signer) == 0;
  /* An old checkpoint does not go with an inclusion proof. */
  ok = ok && pl_verify_proof_doc(vk, doc, str(doc, "checkpoint"), a, &f, &v) == PL_EINVAL;
  /* A consistency document of the same tree with no old checkpoint needs
   * the caller's; given it, it holds (a tree is a prefix of itself). */
  cJSON *cons = keep_json(cJSON_CreateObject());
  cJSON_AddStringToObject(cons, "type", "consistency");
  cJSON_AddNumberToObject(cons, "old_size", 1);
  cJSON_AddNumberToObject(cons, "new_size", 1);
  cJSON_AddStringToObject(cons, "new_checkpoint", str(doc, "checkpoint"));
  cJSON_AddItemToObject(cons, "proof", cJSON_CreateArray());
  ok = ok && pl_verify_proof_doc(vk, cons, NULL, a, &f, &v) == PL_ENOTFOUND &&
       f.type == PL_PROOF_CONSISTENCY;
  ok = ok && pl_verify_proof_doc(vk, cons, str(doc, "checkpoint"), a, &f, &v) == 0 &&
       f.old_size == 1 && f.new_size == 1 &&
       memcmp(f.old_root_hash, f.new_root_hash, PL_HASH_BYTES) == 0;
  ok = ok && pl_verify_proof_doc(vk, cons, "not a note", a, &f, &v) == PL_EINVAL;
  /* Another log's key: the document does not hold. */
  uint8_t pk[PL_PUBLIC_KEY_BYTES] = {5};
  char other[PL_VKEY_MAX];
  ok = ok && pl_note_vkey(origin, pk, other, sizeof(other)) == 0 &&
       pl_verify_proof_doc(other, doc, NULL, a, &f, &v) == PL_EVERIFY &&
       strstr(v.message, "not signed by the verifier key") != NULL;
  ok = ok && pl_verify_proof_doc("not-a-key", doc, NULL, a, &f, &v) == PL_EINVAL;
  pl_arena_free(a);
  CHECK(ok);

  text = keep(pl_read_file(forged));
  CHECK(text != NULL);
  CHECK_EQ(pl_proof_doc_parse(text, "forged", &doc, &v), 0);
  keep_json(doc);
  a = pl_arena_new(0);
  CHECK(a != NULL);
  int rc = pl_verify_proof_doc(vk, doc, NULL, a, &f, &v);
  pl_arena_free(a);
  CHECK_EQ(rc, PL_EVERIFY);
  CHECK_EQ(v.code, PL_EVERIFY);
  CHECK(f.signed_entry == NULL);

  CHECK_EQ(pl_proof_doc_parse("[1, 2]", "array", &doc, &v), PL_EINVAL);
  CHECK(doc == NULL);
  CHECK(strstr(v.message, "array is not a JSON proof document") != NULL);
  CHECK_EQ(pl_proof_doc_parse("{\"type\": 1, \"type\": 2}", "twice", &doc, &v),
           PL_EINVAL);
}

/* The builders copy what they are given into the arena and refuse what an
 * Entry cannot hold. */
PL_TEST(entry_builders) {
  end_case();
  CHECK(pl_crypto_init() == 0);
  pl_arena *a = pl_arena_new(0);
  CHECK(a != NULL);
  uint8_t pk[PL_PUBLIC_KEY_BYTES] = {1, 2, 3};
  char name[] = "Depot", site0[] = "s-0", site1[] = "s-1";
  char *sites[] = {site0, site1};
  Partsledger__V1__Entry *e = NULL, *r = NULL, *bad = NULL;
  int ok = pl_build_actor_enrolled(a, pk, PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE, name,
                                   sites, 2, &e) == 0 &&
           pl_build_actor_revoked(a, pk, "gone", &r) == 0;
  /* Changing the caller's buffers afterwards changes nothing built. */
  name[0] = site0[0] = pk[0] = 'x';
  ok = ok && e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED &&
       e->request_id.len == 0 && e->occurred_at_ms == 0 &&
       strcmp(e->actor_enrolled->name, "Depot") == 0 &&
       e->actor_enrolled->n_site_ids == 2 &&
       strcmp(e->actor_enrolled->site_ids[0], "s-0") == 0 &&
       e->actor_enrolled->public_key.len == PL_PUBLIC_KEY_BYTES &&
       e->actor_enrolled->public_key.data[0] == 1 &&
       e->actor_enrolled->role == PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE;
  ok = ok && r->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED &&
       strcmp(r->actor_revoked->reason, "gone") == 0 &&
       r->actor_revoked->public_key.data[0] == 1;
  /* What the entry checks of the server accept, once signed. */
  char msg[PL_MSG_MAX];
  uint8_t seed[PL_SEED_BYTES] = {3};
  pl_key *k = NULL;
  Partsledger__V1__SignedEntry *se = NULL;
  Partsledger__V1__Entry *opened = NULL;
  ok = ok && pl_key_from_seed(seed, &k) == 0 && pl_entry_build(k, e, a, &se) == 0 &&
       pl_signed_entry_open(se, pl_arena_allocator(a), &opened, msg) == 0;
  pl_key_free(k);
  ok = ok && pl_build_actor_enrolled(a, pk, 1, NULL, NULL, 0, &bad) == PL_EINVAL &&
       bad == NULL && pl_build_actor_enrolled(a, pk, 1, "x", NULL, 1, &bad) == PL_EINVAL &&
       pl_build_actor_revoked(a, pk, NULL, &bad) == PL_EINVAL;
  pl_arena_free(a);
  CHECK(ok);
}

PL_TEST(consistency_prove_verify) {
  CHECK(start() != NULL);
  const char *pub = new_key_file("k0.key");
  CHECK(pub != NULL);
  CHECK(enroll(pl_harness_admin_key_path(g_h), pub, "arbiter", "Arb 0") >= 0);
  const char *old_note = path("old.note");
  struct res r = cli("--json", "checkpoint", "--out", old_note);
  CHECK_EQ(r.code, 0);
  cJSON *cp = json(r.out);
  CHECK(cp != NULL);
  const char *old_size = fmt("%.0f", num(cp, "size"));

  for (int i = 1; i < 5; i++) {
    pub = new_key_file(fmt("k%d.key", i));
    CHECK(pub != NULL);
    CHECK(enroll(pl_harness_admin_key_path(g_h), pub, "arbiter",
                 fmt("Arb %d", i)) >= 0);
  }
  const char *vk = vkey();
  CHECK(vk != NULL);

  r = cli("prove", "--consistency", old_size, "--old-checkpoint", old_note);
  CHECK_EQ(r.code, 0);
  cJSON *doc = json(r.out);
  CHECK(doc != NULL);
  CHECK_STR(str(doc, "type"), "consistency");
  CHECK_EQ(num(doc, "old_size"), num(cp, "size"));
  CHECK(num(doc, "new_size") >= num(cp, "size") + 4);
  CHECK_STR(str(doc, "old_checkpoint"), keep(pl_read_file(old_note)));
  CHECK(strlen(str(doc, "new_checkpoint")) > 0);
  const char *with_old = path("cons.json");
  CHECK(pl_write_file(with_old, r.out) == 0);

  /* Without --old-checkpoint the document leaves the old note out. */
  r = cli("prove", "--consistency", old_size);
  CHECK_EQ(r.code, 0);
  cJSON *bare = json(r.out);
  CHECK(bare != NULL);
  CHECK(cJSON_GetObjectItem(bare, "old_checkpoint") == NULL);
  const char *without_old = path("cons-bare.json");
  CHECK(pl_write_file(without_old, r.out) == 0);

  /* A saved note of another size does not pass for OLD. */
  r = cli("prove", "--consistency", fmt("%.0f", num(cp, "size") + 1),
          "--old-checkpoint", old_note);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "must agree") != NULL);

  /* The saved note gives OLD when it is left out. */
  r = cli("prove", "--consistency", "--old-checkpoint", old_note);
  CHECK_EQ(r.code, 0);
  cJSON *from_file = json(r.out);
  CHECK(from_file != NULL);
  CHECK_EQ(num(from_file, "old_size"), num(cp, "size"));
  CHECK_STR(str(from_file, "old_checkpoint"), str(doc, "old_checkpoint"));
  const char *from_file_path = path("cons-file.json");
  CHECK(pl_write_file(from_file_path, r.out) == 0);
  r = cli("prove", fmt("--consistency=%s", old_size), "--old-checkpoint", old_note);
  CHECK_EQ(r.code, 0);
  r = cli("prove", "--consistency");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--old-checkpoint FILE") != NULL);

  CHECK_EQ(pl_harness_stop(g_h), 0);

  r = cli("verify", "--vkey", vk, with_old);
  CHECK_EQ(r.code, 0);
  CHECK(strncmp(r.out, "OK consistency", 14) == 0);

  r = cli("verify", "--vkey", vk, from_file_path);
  CHECK_EQ(r.code, 0);

  /* Without the old checkpoint there is nothing to judge the document
   * against: the user must give it (2), which says nothing of the log. */
  r = cli("verify", "--vkey", vk, without_old);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--old-checkpoint") != NULL);
  r = cli("verify", "--vkey", vk, "--old-checkpoint", old_note, without_old);
  CHECK_EQ(r.code, 0);
  r = cli("verify", "--vkey", vk, "--old-checkpoint", path("missing.note"),
          without_old);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "cannot read") != NULL);
  r = cli("verify", "--vkey", vk, "--old-checkpoint", with_old, without_old);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "not a checkpoint note") != NULL);

  /* A changed proof hash, or a claim about other sizes, fails. */
  cJSON *bad = json(keep(pl_read_file(with_old)));
  CHECK(bad != NULL);
  cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(bad, "proof"), 0);
  CHECK(p != NULL);
  char *s = keep(strdup(p->valuestring));
  s[0] = s[0] == 'f' ? 'e' : 'f';
  cJSON_SetValuestring(p, s);
  r = cli("verify", "--vkey", vk, save_json("cons-bad.json", bad));
  CHECK_EQ(r.code, 1);

  bad = json(keep(pl_read_file(with_old)));
  cJSON_ReplaceItemInObject(bad, "old_size",
                            cJSON_CreateNumber(num(cp, "size") + 1));
  r = cli("verify", "--vkey", vk, save_json("cons-size.json", bad));
  CHECK_EQ(r.code, 1);

  /* New and old swapped: a larger tree is no prefix of a smaller one. */
  bad = json(keep(pl_read_file(with_old)));
  cJSON *o = cJSON_GetObjectItem(bad, "old_checkpoint");
  cJSON *nw = cJSON_GetObjectItem(bad, "new_checkpoint");
  char *tmp = keep(strdup(o->valuestring));
  cJSON_SetValuestring(o, nw->valuestring);
  cJSON_SetValuestring(nw, tmp);
  r = cli("verify", "--vkey", vk, save_json("cons-swap.json", bad));
  CHECK_EQ(r.code, 1);
}

PL_TEST(usage_errors) {
  CHECK(start() != NULL);
  const char *admin = pl_harness_admin_key_path(g_h);
  const char *pub = pl_harness_admin_pub_hex(g_h);
  struct res r = cli("--help");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "usage: partsledger") != NULL);
  CHECK(strstr(r.out, "verify") != NULL);
  r = cli("enroll", "--help");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "--public-key") != NULL);

  CHECK_EQ(cli_in(NULL, NULL).code, 2); /* no command at all */
  CHECK_EQ(cli("frobnicate").code, 2);
  CHECK_EQ(cli("get").code, 2);
  CHECK_EQ(cli("get", "abc").code, 2);
  CHECK_EQ(cli("get", "1", "2").code, 2);
  CHECK_EQ(cli("list", "--start", "-1").code, 2);
  CHECK_EQ(cli("list", "--bogus").code, 2);
  CHECK_EQ(cli("--timeout", "soon", "info").code, 2);
  r = cli("--server", "127.0.0.1:99999", "info"); /* gRPC would call port 34463 */
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--server wants HOST:PORT") != NULL);
  const char *env_only[] = {PL_CLI_BIN, "info", NULL};
  char *err = NULL;
  setenv("PARTSLEDGER_SERVER", "localhost:123456", 1);
  int code = pl_run(env_only, NULL, 30000, NULL, &err);
  unsetenv("PARTSLEDGER_SERVER");
  keep(err);
  CHECK_EQ(code, 2);
  CHECK(err != NULL && strstr(err, "PARTSLEDGER_SERVER wants HOST:PORT") != NULL);
  CHECK_EQ(cli("keygen").code, 2);
  CHECK_EQ(
      cli("enroll", "--key", admin, "--public-key", pub, "--name", "x").code,
      2);
  CHECK_EQ(cli("enroll", "--key", admin, "--public-key", pub, "--role", "king",
               "--name", "x")
               .code,
           2);
  CHECK_EQ(cli("enroll", "--key", admin, "--public-key", "abcd", "--role",
               "auditor", "--name", "x")
               .code,
           2);
  CHECK_EQ(cli("enroll", "--key", admin, "--public-key", pub, "--role",
               "auditor", "--name", "x", "--request-id", "zz")
               .code,
           2);
  CHECK_EQ(cli("prove").code, 2);
  CHECK_EQ(cli("prove", "1", "--consistency", "1").code, 2);
  /* The empty tree is a prefix of every tree, and no document proves it. */
  r = cli("prove", "--consistency", "0");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "old size is 0") != NULL);
  CHECK_EQ(cli("prove", "--consistency=0").code, 2);
  /* A key file that is not there is the command line's problem. */
  r = cli("pubkey", "--key", path("missing.key"));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "missing.key") != NULL);
  CHECK_EQ(cli("enroll", "--key", path("missing.key"), "--public-key", pub,
               "--role", "auditor", "--name", "x")
               .code,
           2);
  CHECK_EQ(cli("verify", "proof.json").code, 2);
  CHECK_EQ(cli("verify", "--vkey", "not-a-key", "proof.json").code, 2);
  r = cli("revoke", "--key", admin);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--public-key") != NULL);
  CHECK(strstr(r.err, "usage: partsledger revoke") != NULL);
  /* A ruling is named as every enum is: any case, the names listed when
   * wrong. One that parses goes to the server (which knows no claim C-9). */
  r = cli("rule", "--key", admin, "--claim", "C-9", "--ruling", "maybe");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "claim_upheld or rejection_upheld") != NULL);
  r = cli("rule", "--key", admin, "--claim", "C-9", "--ruling",
          "Claim_Upheld");
  CHECK_EQ(r.code, 1);
  /* 64 hex characters, named for what they stand for. */
  r = cli("panel", "--key", admin, "--id", "P", "--name", "P", "--member",
          "abcd", "--quorum", "1");
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "--member wants a public key as 64 hex") != NULL);
}

PL_TEST(non_admin_enroll_denied) {
  CHECK(start() != NULL);
  const char *maker = new_key_file("maker.key");
  const char *other = new_key_file("other.key");
  const char *stranger = new_key_file("stranger.key");
  CHECK(maker != NULL && other != NULL && stranger != NULL);
  CHECK(enroll(pl_harness_admin_key_path(g_h), maker, "manufacturer",
               "Maker") >= 0);

  /* An enrolled manufacturer may not enroll anyone. */
  struct res r =
      cli("enroll", "--key", path("maker.key"), "--public-key", other, "--role",
          "warehouse", "--name", "Other", "--site", "s");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "error: PERMISSION_DENIED: ") != NULL);

  /* Nor may a key nobody enrolled. */
  r = cli("enroll", "--key", path("stranger.key"), "--public-key", other,
          "--role", "warehouse", "--name", "Other", "--site", "s");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "error: PERMISSION_DENIED: ") != NULL);

  /* The denied entries left no trace. */
  r = cli("list", "--limit", "0");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, other) == NULL);
}

PL_TEST(revoked_admin_denied) {
  CHECK(start() != NULL);
  const char *deputy = new_key_file("deputy.key");
  const char *x = new_key_file("x.key");
  CHECK(deputy != NULL && x != NULL);
  CHECK(enroll(pl_harness_admin_key_path(g_h), deputy, "admin", "Deputy") >= 0);
  struct res r = cli("revoke", "--key", pl_harness_admin_key_path(g_h),
                     "--public-key", deputy, "--reason", "left the company");
  CHECK_EQ(r.code, 0);
  r = cli("--json", "list", "--limit", "0");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "left the company") != NULL);
  r = cli("enroll", "--key", path("deputy.key"), "--public-key", x, "--role",
          "auditor", "--name", "X");
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "error: PERMISSION_DENIED: ") != NULL);
}

/* An enroll run from another thread after a pause, while `follow` waits. */
struct late_enroll {
  const char *argv[16];
  int code;
};

static void *late_enroll_run(void *p) {
  struct late_enroll *l = p;
  struct timespec pause = {0, 700 * 1000000L};
  nanosleep(&pause, NULL);
  l->code = pl_run(l->argv, NULL, 30000, NULL, NULL);
  return NULL;
}

PL_TEST(follow_streams_entries) {
  CHECK(start() != NULL);
  for (int i = 0; i < 2; i++) {
    const char *pub = new_key_file(fmt("k%d.key", i));
    CHECK(pub != NULL);
    CHECK(enroll(pl_harness_admin_key_path(g_h), pub, "warehouse",
                 fmt("W%d", i)) >= 0);
  }
  struct res r = cli("--json", "--timeout", "1500", "follow");
  CHECK_EQ(r.code, 0);
  int lines = 0, last = -1;
  for (char *line = strtok(r.out, "\n"); line != NULL;
       line = strtok(NULL, "\n")) {
    cJSON *o = json(line);
    CHECK(o != NULL);
    CHECK_EQ(num(o, "index"), last + 1);
    last = (int)num(o, "index");
    lines++;
  }
  CHECK(lines >= 2);

  r = cli("--timeout", "1000", "follow", "--start", "1");
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "W1") != NULL);

  /* An entry appended while following shows up without a new call. */
  const char *late = new_key_file("late.key");
  CHECK(late != NULL);
  struct late_enroll l = {{PL_CLI_BIN, "--server", pl_harness_target(g_h),
                           "enroll", "--key", pl_harness_admin_key_path(g_h),
                           "--public-key", late, "--role", "auditor", "--name",
                           "Latecomer", NULL},
                          -1};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, late_enroll_run, &l) == 0);
  r = cli("--timeout", "4000", "follow", "--start", fmt("%d", last + 1));
  pthread_join(t, NULL);
  CHECK_EQ(l.code, 0);
  CHECK_EQ(r.code, 0);
  CHECK(strstr(r.out, "Latecomer") != NULL);
}

PL_TEST(server_unreachable) {
  end_case();
  const char *argv[] = {PL_CLI_BIN, "--server", "127.0.0.1:1", "--timeout",
                        "3000",     "info",     NULL};
  char *out = NULL, *err = NULL;
  int code = pl_run(argv, NULL, 30000, &out, &err);
  keep(out);
  keep(err);
  CHECK_EQ(code, 1);
  CHECK(err != NULL && (strstr(err, "error: UNAVAILABLE: ") != NULL ||
                        strstr(err, "error: DEADLINE_EXCEEDED: ") != NULL));
}

/* One rule for both: the log's size is an empty page (list prints nothing,
 * follow waits), past it is OUT_OF_RANGE and exit status 1. */
PL_TEST(list_follow_past_end) {
  CHECK(start() != NULL);
  struct res r = cli("--json", "info");
  CHECK_EQ(r.code, 0);
  cJSON *info = json(r.out);
  CHECK(info != NULL);
  double size = num(info, "size");
  const char *at_end = fmt("%.0f", size), *past = fmt("%.0f", size + 1);

  r = cli("list", "--start", at_end);
  CHECK_EQ(r.code, 0);
  CHECK_STR(r.out, "");
  CHECK_STR(r.err, "");
  r = cli("--json", "list", "--start", at_end);
  CHECK_EQ(r.code, 0);
  cJSON *l = json(r.out);
  CHECK(l != NULL);
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(l, "entries")), 0);
  CHECK_EQ(num(l, "next_start"), size);
  r = cli("--timeout", "800", "follow", "--start", at_end);
  CHECK_EQ(r.code, 0);
  CHECK_STR(r.out, "");

  r = cli("list", "--start", past);
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "error: OUT_OF_RANGE: ") != NULL);
  CHECK(strstr(r.err, "beyond the end of the log") != NULL);
  CHECK_STR(r.out, "");
  r = cli("--json", "list", "--start", past, "--limit", "0");
  CHECK_EQ(r.code, 1);
  CHECK_STR(r.out, "");
  r = cli("--timeout", "5000", "follow", "--start", past);
  CHECK_EQ(r.code, 1);
  CHECK(strstr(r.err, "error: OUT_OF_RANGE: ") != NULL);
  CHECK(strstr(r.err, "beyond the end of the log") != NULL);
  r = cli("follow", "--start", past); /* without a timeout: still an answer */
  CHECK_EQ(r.code, 1);
}

/* keygen into a directory that is not there names the directory. */
PL_TEST(keygen_missing_directory) {
  CHECK(start() != NULL);
  const char *dir = path("no-such-dir");
  const char *key = fmt("%s/x.key", dir);
  struct res r = cli("keygen", "--out", key);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, fmt("directory %s does not exist", dir)) != NULL);
  struct stat st;
  CHECK(stat(dir, &st) != 0);

  /* A file where the directory should be is named as such. */
  CHECK(pl_write_file(path("plain"), "x\n") == 0);
  r = cli("keygen", "--out", fmt("%s/x.key", path("plain")));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, fmt("%s is not a directory", path("plain"))) != NULL);
}

/* checkpoint --out keeps what is there unless --force. */
PL_TEST(checkpoint_out_kept) {
  CHECK(start() != NULL);
  const char *kept = path("kept.note");
  CHECK(pl_write_file(kept, "an older checkpoint\n") == 0);
  struct res r = cli("checkpoint", "--out", kept);
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "already exists") != NULL);
  CHECK(strstr(r.err, "--force") != NULL);
  CHECK_STR(r.out, "");
  CHECK_STR(keep(pl_read_file(kept)), "an older checkpoint\n");

  r = cli("checkpoint", "--out", kept, "--force");
  CHECK_EQ(r.code, 0);
  CHECK_STR(keep(pl_read_file(kept)), r.out);
  struct stat st;
  CHECK(stat(kept, &st) == 0);
  CHECK((st.st_mode & 0777) != 0600); /* not the temporary file's mode */

  const char *fresh = path("fresh.note");
  r = cli("checkpoint", "--out", fresh);
  CHECK_EQ(r.code, 0);
  CHECK_STR(keep(pl_read_file(fresh)), r.out);

  r = cli("checkpoint", "--out", fmt("%s/cp.note", path("nodir")));
  CHECK_EQ(r.code, 2);
  CHECK(strstr(r.err, "does not exist") != NULL);
}

PL_TEST(version) {
  end_case();
  struct res r = cli("--version");
  CHECK_EQ(r.code, 0);
  CHECK(strncmp(r.out, "partsledger ", 12) == 0);
  const char *v = r.out + 12;
  CHECK(*v >= '0' && *v <= '9');
  CHECK(strspn(v, "0123456789.") == strlen(v) - 1 && v[strlen(v) - 1] == '\n');
  struct res cmd = cli("version");
  CHECK_EQ(cmd.code, 0);
  CHECK_STR(cmd.out, r.out);
  r = cli("--json", "version");
  CHECK_EQ(r.code, 0);
  cJSON *o = json(r.out);
  CHECK(o != NULL);
  CHECK(strncmp(cmd.out + 12, str(o, "version"), strlen(str(o, "version"))) == 0);
  r = cli("--help");
  CHECK(strstr(r.out, "--version") != NULL);
}

/* gRPC's own log lines stay off the terminal unless GRPC_VERBOSITY asks for
 * them: the user sees the CLI's one line. */
PL_TEST(grpc_logs_quiet) {
  end_case();
  const char *argv[] = {PL_CLI_BIN, "--server", "127.0.0.1:1", "--timeout",
                        "3000",     "info",     NULL};
  char *err = NULL;
  unsetenv("GRPC_VERBOSITY");
  int code = pl_run(argv, NULL, 30000, NULL, &err);
  keep(err);
  CHECK_EQ(code, 1);
  CHECK(err != NULL && strncmp(err, "error: ", 7) == 0);
  CHECK(strchr(err, '\n') == err + strlen(err) - 1); /* one line */

  setenv("GRPC_VERBOSITY", "debug", 1);
  char *loud = NULL;
  code = pl_run(argv, NULL, 30000, NULL, &loud);
  unsetenv("GRPC_VERBOSITY");
  keep(loud);
  CHECK_EQ(code, 1);
  CHECK(loud != NULL && strlen(loud) > strlen(err));
}

/* The share fields of one server_threads row: each in [0, 1], with some
 * slack for sampling. */
static int thread_row_ok(const cJSON *row) {
  static const char *const fields[] = {"cpu", "queued", "disk", "idle"};
  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
    double v = num(row, fields[i]);
    if (!(v >= 0 && v <= 1.1))
      return 0;
  }
  return 1;
}

static const cJSON *thread_row(const cJSON *phase, const char *name) {
  const cJSON *row;
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(phase, "server_threads")) {
    if (strcmp(str(row, "name"), name) == 0)
      return row;
  }
  return NULL;
}

/* A short run of every phase that talks to the server: every call must
 * succeed and be checked, the log must grow by what was acknowledged, and
 * the report must say where the server's threads spent the phase. */
PL_TEST(bench_runs_clean) {
  CHECK(start() != NULL);
  char pid[24];
  snprintf(pid, sizeof(pid), "%ld", (long)pl_harness_pid(g_h));
  const char *argv[] = {PL_BENCH_BIN, "--server", pl_harness_target(g_h), "--admin-key",
                        pl_harness_admin_key_path(g_h), "--server-pid", pid, "--phases",
                        "disk,append,batch,get,proof", "--duration", "0.5", "--inflight",
                        "8", "--batch", "20", "--batch-inflight", "2", "--disk-dir",
                        path("."), "--json", NULL};
  char *out = NULL, *err = NULL;
  int code = pl_run(argv, NULL, 100000, &out, &err);
  keep(out);
  keep(err);
  CHECK_EQ(code, 0);
  cJSON *o = json(out);
  CHECK(o != NULL);
  const cJSON *phases = cJSON_GetObjectItemCaseSensitive(o, "phases");
  /* The disk's costs: a sync takes time. A further page's cost is the
   * difference of two timings, which this noisy machine may put a little
   * below zero, never far. */
  const cJSON *disk = cJSON_GetObjectItemCaseSensitive(phases, "disk");
  CHECK(disk != NULL);
  CHECK_EQ(num(disk, "errors"), 0);
  CHECK(num(disk, "sync_us") > 0);
  CHECK(num(disk, "scattered_page_us") > -5 && num(disk, "contiguous_page_us") > -5);
  static const char *const names[] = {"append", "batch", "get", "proof"};
  double last_size = 0;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(phases, names[i]);
    CHECK(ph != NULL);
    CHECK_EQ(num(ph, "errors"), 0);
    CHECK(num(ph, "items") > 0 && num(ph, "rate") > 0);
    CHECK(num(ph, "p50_ms") > 0 && num(ph, "p99_ms") >= num(ph, "p50_ms"));
    if (i < 2) { /* writes: every acknowledged entry is in the log */
      CHECK(num(ph, "size_after") >= num(ph, "size_before") + num(ph, "items"));
      last_size = num(ph, "size_after");
    } else { /* reads: some responses checked against a proof */
      CHECK(num(ph, "checked") > 0);
    }
    const cJSON *writer = thread_row(ph, "pl-writer"), *workers = thread_row(ph, "pl-worker"),
                *poller = thread_row(ph, "pl-poller");
    CHECK(writer != NULL && workers != NULL && poller != NULL);
    CHECK_EQ(num(writer, "threads"), 1);
    CHECK(num(workers, "threads") >= 1);
    CHECK(thread_row_ok(writer) && thread_row_ok(workers) && thread_row_ok(poller));
    /* Appends keep the writer busy; reads never wake it. */
    CHECK(i < 2 ? num(writer, "cpu") > 0 : num(writer, "cpu") < 0.01);
  }
  struct res r = cli("--json", "checkpoint");
  CHECK_EQ(r.code, 0);
  CHECK_EQ(num(json(r.out), "size"), last_size);

  /* A port gRPC would wrap is refused before anything runs. */
  const char *bad[] = {PL_BENCH_BIN, "--server", "127.0.0.1:99999", "--phases", "get", NULL};
  char *bad_err = NULL;
  CHECK_EQ(pl_run(bad, NULL, 30000, NULL, &bad_err), 2);
  keep(bad_err);
  CHECK(bad_err != NULL && strstr(bad_err, "--server wants HOST:PORT") != NULL);
}

PL_TEST_MAIN(PL_CASE(keygen_enroll_get_list), PL_CASE(checkpoint_and_info),
             PL_CASE(prove_then_verify_offline), PL_CASE(tampered_proof_fails),
             PL_CASE(forged_entry_fails_offline),
             PL_CASE(consistency_prove_verify), PL_CASE(usage_errors),
             PL_CASE(non_admin_enroll_denied), PL_CASE(revoked_admin_denied),
             PL_CASE(follow_streams_entries), PL_CASE(server_unreachable),
             PL_CASE(list_follow_past_end), PL_CASE(keygen_missing_directory),
             PL_CASE(checkpoint_out_kept), PL_CASE(version),
             PL_CASE(grpc_logs_quiet), PL_CASE(verify_library_verdicts),
             PL_CASE(entry_builders), PL_CASE(bench_runs_clean))
