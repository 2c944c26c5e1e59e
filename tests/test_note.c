/*
 * test_note.c - unit tests for storage/note.c.
 *
 * Reproduces the C2SP signed-note/checkpoint known answer in
 * tests/vectors/c2sp-note.json byte for byte from its seed, then checks that
 * verification finds the right signature among several, and that modified,
 * misattributed and malformed notes, verifier keys and checkpoint bodies are
 * turned away with the documented codes.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keys.h"
#include "merkle.h"
#include "note.h"
#include "test.h"
#include "vectors.h"

/* ---- helpers ------------------------------------------------------------ */

/* The vector's key, and a second key for a second signer. */
typedef struct {
  cJSON *v;
  pl_key *key;
  pl_key *other;
  char vkey[PL_VKEY_MAX + 1];
  char other_vkey[PL_VKEY_MAX + 1];
} fixture;

static void fixture_free(fixture *f) {
  cJSON_Delete(f->v);
  pl_key_free(f->key);
  pl_key_free(f->other);
  memset(f, 0, sizeof(*f));
}

/* Fills `f`; 0 or -1. */
static int fixture_init(fixture *f) {
  uint8_t seed[PL_SEED_BYTES];

  memset(f, 0, sizeof(*f));
  if (pl_crypto_init() != 0)
    return -1;
  f->v = load_vectors("c2sp-note.json");
  if (f->v == NULL || pl_hex_decode(vstr(f->v, "seed_hex"), seed, 32) != 0 ||
      pl_key_from_seed(seed, &f->key) != 0)
    return -1;
  memset(seed, 0x5a, sizeof(seed));
  if (pl_key_from_seed(seed, &f->other) != 0 ||
      pl_note_vkey(vstr(f->v, "origin"), pl_key_public(f->key), f->vkey,
                   sizeof(f->vkey)) != 0 ||
      pl_note_vkey("witness.example/w1", pl_key_public(f->other), f->other_vkey,
                   sizeof(f->other_vkey)) != 0)
    return -1;
  return 0;
}

static int verify_str(const char *vkey, const char *note) {
  size_t body;
  return pl_note_verify(vkey, note, strlen(note), &body);
}

/* ---- cases -------------------------------------------------------------- */

PL_TEST(known_answer) {
  fixture f;
  uint8_t pk[PL_PUBLIC_KEY_BYTES], id[4], want_id[4];
  uint8_t root[PL_HASH_BYTES];
  char body[PL_NOTE_MAX], note[PL_NOTE_MAX];
  size_t body_len, note_len, got_body;

  CHECK(fixture_init(&f) == 0);
  CHECK(pl_hex_decode(vstr(f.v, "public_key_hex"), pk, sizeof(pk)) == 0);
  CHECK_MEM(pl_key_public(f.key), pk, sizeof(pk));
  CHECK_STR(f.vkey, vstr(f.v, "verifier_key"));
  pl_note_key_id(vstr(f.v, "origin"), pk, id);
  CHECK(pl_hex_decode(vstr(f.v, "key_id_hex"), want_id, sizeof(want_id)) == 0);
  CHECK_MEM(id, want_id, 4);

  /* The checkpoint commits to the RFC 9162 test tree of 8 leaves. */
  CHECK(pl_hex_decode("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370ef"
                      "f4604328",
                      root, sizeof(root)) == 0);
  CHECK_EQ(pl_checkpoint_body(vstr(f.v, "origin"), 8, root, body, sizeof(body),
                              &body_len),
           0);
  CHECK_STR(body, vstr(f.v, "checkpoint_body"));
  CHECK_EQ(body_len, strlen(body));

  CHECK_EQ(pl_note_sign(f.key, vstr(f.v, "origin"), body, body_len, note,
                        sizeof(note), &note_len),
           0);
  CHECK_STR(note, vstr(f.v, "signed_note"));
  CHECK_EQ(note_len, strlen(note));

  CHECK_EQ(pl_note_verify(vstr(f.v, "verifier_key"), note, note_len, &got_body),
           0);
  CHECK_EQ(got_body, body_len);
  /* The vector as stored verifies too, independent of our signer. */
  CHECK_EQ(verify_str(vstr(f.v, "verifier_key"), vstr(f.v, "signed_note")), 0);
  fixture_free(&f);
}

PL_TEST(verify_rejects_changes) {
  fixture f;
  char note[PL_NOTE_MAX], vk[PL_VKEY_MAX + 1];
  char *sig;
  size_t len, body;

  CHECK(fixture_init(&f) == 0);
  snprintf(note, sizeof(note), "%s", vstr(f.v, "signed_note"));
  len = strlen(note);

  /* A changed body: the size line says 9. */
  note[strlen(vstr(f.v, "origin")) + 1] = '9';
  CHECK_EQ(pl_note_verify(f.vkey, note, len, &body), PL_EVERIFY);
  CHECK_EQ(body, 0);
  note[strlen(vstr(f.v, "origin")) + 1] = '8';
  CHECK_EQ(pl_note_verify(f.vkey, note, len, &body), 0);

  /* A changed signature byte (still valid base64, same key id). */
  sig = strstr(note, "rJ4D/");
  CHECK(sig != NULL);
  sig[20] = sig[20] == 'A' ? 'B' : 'A';
  CHECK_EQ(pl_note_verify(f.vkey, note, len, &body), PL_EVERIFY);
  snprintf(note, sizeof(note), "%s", vstr(f.v, "signed_note"));

  /* A changed key id: the signature is from some unknown key now. */
  sig = strstr(note, "rJ4D/");
  sig[1] = 'K';
  CHECK_EQ(pl_note_verify(f.vkey, note, len, &body), PL_EVERIFY);
  snprintf(note, sizeof(note), "%s", vstr(f.v, "signed_note"));

  /* Another key, and the right key under another name. */
  CHECK_EQ(pl_note_verify(f.other_vkey, note, len, &body), PL_EVERIFY);
  CHECK_EQ(
      pl_note_vkey("example.com/other", pl_key_public(f.key), vk, sizeof(vk)),
      0);
  CHECK_EQ(pl_note_verify(vk, note, len, &body), PL_EVERIFY);

  /* A truncated note is no longer a note. */
  CHECK_EQ(pl_note_verify(f.vkey, note, len - 1, &body), PL_EINVAL);
  /* A malformed verifier key is the caller's input error. */
  CHECK_EQ(pl_note_verify("nonsense", note, len, &body), PL_EINVAL);
  fixture_free(&f);
}

PL_TEST(verify_among_several) {
  fixture f;
  const char *body;
  char mine[PL_NOTE_MAX], theirs[PL_NOTE_MAX], multi[4 * PL_NOTE_MAX];
  char vk[PL_VKEY_MAX + 1];
  const char *line_mine, *line_theirs;
  size_t len, got;
  pl_key *imposter = NULL;
  uint8_t seed[PL_SEED_BYTES];

  CHECK(fixture_init(&f) == 0);
  body = vstr(f.v, "checkpoint_body");
  CHECK_EQ(pl_note_sign(f.key, vstr(f.v, "origin"), body, strlen(body), mine,
                        sizeof(mine), &len),
           0);
  CHECK_EQ(pl_note_sign(f.other, "witness.example/w1", body, strlen(body),
                        theirs, sizeof(theirs), &len),
           0);
  line_mine = mine + strlen(body) + 1;
  line_theirs = theirs + strlen(body) + 1;

  /* Ours after a witness's, and after an unknown algorithm's long signature
   * and a same-named line with a different key id. */
  snprintf(
      multi, sizeof(multi),
      "%s\n%s"
      "\xe2\x80\x94 other.example/alg AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
      "AAAAAAAAAAAAAAAAAAAAAAAAAA==\n"
      "\xe2\x80\x94 %s AAAAAAA=\n"
      "%s",
      body, line_theirs, vstr(f.v, "origin"), line_mine);
  CHECK_EQ(pl_note_verify(f.vkey, multi, strlen(multi), &got), 0);
  CHECK_EQ(got, strlen(body));
  CHECK_EQ(pl_note_verify(f.other_vkey, multi, strlen(multi), &got), 0);
  CHECK_EQ(got, strlen(body));

  /* Ours first. */
  snprintf(multi, sizeof(multi), "%s\n%s%s", body, line_mine, line_theirs);
  CHECK_EQ(verify_str(f.vkey, multi), 0);
  CHECK_EQ(verify_str(f.other_vkey, multi), 0);

  /* Our key signing twice makes the note ambiguous. */
  snprintf(multi, sizeof(multi), "%s\n%s%s%s", body, line_mine, line_theirs,
           line_mine);
  CHECK_EQ(verify_str(f.vkey, multi), PL_EINVAL);

  /* A bad signature from the known key sinks the note even next to good
   * ones from others. */
  snprintf(multi, sizeof(multi), "%s\n%s%s", body, line_theirs, line_mine);
  {
    char *s = strstr(multi, line_mine) + strlen(line_mine) - 10;
    *s = *s == 'Q' ? 'R' : 'Q';
  }
  CHECK_EQ(verify_str(f.vkey, multi), PL_EVERIFY);
  CHECK_EQ(verify_str(f.other_vkey, multi), 0);

  /* A key whose name and id match ours but whose signature is not 64
   * bytes is a failed verification, not something to skip. */
  {
    uint8_t blob[4 + 60] = {0};
    char b64[128];
    pl_note_key_id(vstr(f.v, "origin"), pl_key_public(f.key), blob);
    CHECK(pl_base64_encode(blob, sizeof(blob), b64, sizeof(b64)) > 0);
    snprintf(multi, sizeof(multi), "%s\n%s\xe2\x80\x94 %s %s\n", body,
             line_theirs, vstr(f.v, "origin"), b64);
    CHECK_EQ(verify_str(f.vkey, multi), PL_EVERIFY);
    CHECK_EQ(verify_str(f.other_vkey, multi), 0);
  }

  /* An imposter's signature under our name (different key, so different
   * key id) is ignored: no signature by our key remains. */
  memset(seed, 0x77, sizeof(seed));
  CHECK_EQ(pl_key_from_seed(seed, &imposter), 0);
  CHECK_EQ(pl_note_sign(imposter, vstr(f.v, "origin"), body, strlen(body),
                        theirs, sizeof(theirs), &len),
           0);
  CHECK_EQ(verify_str(f.vkey, theirs), PL_EVERIFY);
  CHECK_EQ(pl_note_vkey(vstr(f.v, "origin"), pl_key_public(imposter), vk,
                        sizeof(vk)),
           0);
  CHECK_EQ(verify_str(vk, theirs), 0);
  pl_key_free(imposter);
  fixture_free(&f);
}

PL_TEST(verify_rejects_malformed) {
  static const char *const bad[] = {
      /* no blank line between text and signatures */
      "a\n\xe2\x80\x94 n AAAAAAA=\n",
      /* no signature lines at all */
      "a\n\n",
      "a\n\n\n",
      /* signature block not ending in newline */
      "a\n\n\xe2\x80\x94 n AAAAAAA=",
      /* not an em dash */
      "a\n\n-- n AAAAAAA=\n",
      "a\n\n\xe2\x80\x94n AAAAAAA=\n",
      /* missing or empty name, missing signature */
      "a\n\n\xe2\x80\x94  AAAAAAA=\n",
      "a\n\n\xe2\x80\x94 n\n",
      "a\n\n\xe2\x80\x94 n \n",
      /* bad base64: characters, padding, trailing bits, spaces */
      "a\n\n\xe2\x80\x94 n AAAA!AA=\n",
      "a\n\n\xe2\x80\x94 n AAAAAAA\n",
      "a\n\n\xe2\x80\x94 n AAAAAAB=\n",
      "a\n\n\xe2\x80\x94 n AAAA AAA=\n",
      "a\n\n\xe2\x80\x94 n AA==AAA=\n",
      /* fewer than 5 bytes: no room for id and signature */
      "a\n\n\xe2\x80\x94 n AAAAAA==\n",
      /* a name with '+' */
      "a\n\n\xe2\x80\x94 n+1 AAAAAAA=\n",
      /* control characters, CR, invalid UTF-8 anywhere */
      "a\r\n\n\xe2\x80\x94 n AAAAAAA=\n",
      "a\t\n\n\xe2\x80\x94 n AAAAAAA=\n",
      "a\xff\n\n\xe2\x80\x94 n AAAAAAA=\n",
      "a\xc0\x80\n\n\xe2\x80\x94 n AAAAAAA=\n",
      "a\n\n\xe2\x80\x94 n AAAAAAA=\n\n",
      "",
      "\n",
  };
  fixture f;
  char note[PL_NOTE_MAX];
  size_t body = 7;
  char *big;

  CHECK(fixture_init(&f) == 0);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (verify_str(f.vkey, bad[i]) != PL_EINVAL) {
      fprintf(stderr, "accepted malformed note #%zu\n", i);
      CHECK(0);
    }
  }

  /* A NUL byte inside the text. */
  snprintf(note, sizeof(note), "%s", vstr(f.v, "signed_note"));
  note[3] = '\0';
  CHECK_EQ(
      pl_note_verify(f.vkey, note, strlen(vstr(f.v, "signed_note")), &body),
      PL_EINVAL);
  CHECK_EQ(body, 0);

  /* Notes of PL_NOTE_VERIFY_MAX bytes or more are refused unread; the
   * same note one byte shorter is merely unsigned. */
  big = malloc(PL_NOTE_VERIFY_MAX);
  CHECK(big != NULL);
  memset(big, 'x', PL_NOTE_VERIFY_MAX);
  big[0] = 'a';
  big[1] = '\n';
  big[2] = '\n';
  memcpy(big + 3, "\xe2\x80\x94 ", 4);
  big[7] = 'n';
  big[8] = ' ';
  for (size_t i = 9; i < PL_NOTE_VERIFY_MAX - 1; i++)
    big[i] = 'A';
  big[PL_NOTE_VERIFY_MAX - 1] = '\n';
  CHECK_EQ(pl_note_verify(f.vkey, big, PL_NOTE_VERIFY_MAX, &body), PL_EINVAL);
  /* Drop two base64 characters to leave a multiple of four. */
  memmove(big + 9, big + 11, PL_NOTE_VERIFY_MAX - 11);
  CHECK_EQ(pl_note_verify(f.vkey, big, PL_NOTE_VERIFY_MAX - 2, &body),
           PL_EVERIFY);
  free(big);
  fixture_free(&f);
}

PL_TEST(sign_rejects) {
  fixture f;
  char out[PL_NOTE_MAX];
  const char *body;
  size_t len = 5, need;

  CHECK(fixture_init(&f) == 0);
  body = vstr(f.v, "checkpoint_body");
  CHECK_EQ(pl_note_sign(f.key, "example.com/x", "no newline", 10, out,
                        sizeof(out), &len),
           PL_EINVAL);
  CHECK_EQ(len, 0);
  CHECK_EQ(pl_note_sign(f.key, "example.com/x", "", 0, out, sizeof(out), &len),
           PL_EINVAL);
  CHECK_EQ(pl_note_sign(f.key, "example.com/x", "tab\there\n", 9, out,
                        sizeof(out), &len),
           PL_EINVAL);
  CHECK_EQ(pl_note_sign(f.key, "bad name", body, strlen(body), out, sizeof(out),
                        &len),
           PL_EINVAL);
  CHECK_EQ(pl_note_sign(f.key, "", body, strlen(body), out, sizeof(out), &len),
           PL_EINVAL);
  /* Exactly enough room, and one byte less. */
  need = strlen(vstr(f.v, "signed_note")) + 1;
  CHECK_EQ(pl_note_sign(f.key, vstr(f.v, "origin"), body, strlen(body), out,
                        need - 1, &len),
           PL_EINVAL);
  CHECK_EQ(pl_note_sign(f.key, vstr(f.v, "origin"), body, strlen(body), out,
                        need, &len),
           0);
  CHECK_STR(out, vstr(f.v, "signed_note"));
  /* A text with blank lines of its own still splits at the last one. */
  CHECK_EQ(pl_note_sign(f.key, vstr(f.v, "origin"), "a\n\nb\n\n", 6, out,
                        sizeof(out), &len),
           0);
  CHECK_EQ(pl_note_verify(f.vkey, out, len, &need), 0);
  CHECK_EQ(need, 6);
  fixture_free(&f);
}

PL_TEST(names) {
  char longest[PL_NOTE_NAME_MAX + 2];

  CHECK_EQ(pl_note_name_check("example.com/partsledger"), 0);
  CHECK_EQ(pl_note_name_check("a"), 0);
  CHECK_EQ(pl_note_name_check("caf\xc3\xa9.example/\xe2\x9c\x93"), 0);
  CHECK_EQ(pl_note_name_check(""), PL_EINVAL);
  CHECK_EQ(pl_note_name_check("a b"), PL_EINVAL);
  CHECK_EQ(pl_note_name_check("a+b"), PL_EINVAL);
  CHECK_EQ(pl_note_name_check("a\tb"), PL_EINVAL);
  CHECK_EQ(pl_note_name_check("a\nb"), PL_EINVAL);
  CHECK_EQ(pl_note_name_check("a\x7f"), PL_EINVAL);
  CHECK_EQ(pl_note_name_check("a\xc2\xa0z"), PL_EINVAL);     /* U+00A0 */
  CHECK_EQ(pl_note_name_check("a\xe3\x80\x80z"), PL_EINVAL); /* U+3000 */
  CHECK_EQ(pl_note_name_check("a\xe2\x80\xa8z"), PL_EINVAL); /* U+2028 */
  CHECK_EQ(pl_note_name_check("a\xc2\x85z"), PL_EINVAL);     /* U+0085 */
  CHECK_EQ(pl_note_name_check("a\xff"), PL_EINVAL);
  CHECK_EQ(pl_note_name_check("a\xc3"), PL_EINVAL);
  CHECK_EQ(pl_note_name_check("a\xed\xa0\x80"), PL_EINVAL); /* surrogate */
  CHECK_EQ(pl_note_name_check("a\xe0\x80\xaf"), PL_EINVAL); /* overlong */
  memset(longest, 'n', sizeof(longest));
  longest[PL_NOTE_NAME_MAX] = '\0';
  CHECK_EQ(pl_note_name_check(longest), 0);
  longest[PL_NOTE_NAME_MAX] = 'n';
  longest[PL_NOTE_NAME_MAX + 1] = '\0';
  CHECK_EQ(pl_note_name_check(longest), PL_EINVAL);
}

PL_TEST(vkey_round_trip) {
  fixture f;
  char name[PL_NOTE_NAME_MAX + 1], vk[PL_VKEY_MAX + 1];
  char longest[PL_NOTE_NAME_MAX + 1];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];

  CHECK(fixture_init(&f) == 0);
  CHECK_EQ(
      pl_note_vkey_parse(vstr(f.v, "verifier_key"), name, sizeof(name), pk), 0);
  CHECK_STR(name, vstr(f.v, "origin"));
  CHECK_MEM(pk, pl_key_public(f.key), sizeof(pk));
  CHECK_EQ(pl_note_vkey_parse(f.other_vkey, name, sizeof(name), pk), 0);
  CHECK_STR(name, "witness.example/w1");
  CHECK_MEM(pk, pl_key_public(f.other), sizeof(pk));

  /* The longest name fits PL_VKEY_MAX. */
  memset(longest, 'n', PL_NOTE_NAME_MAX);
  longest[PL_NOTE_NAME_MAX] = '\0';
  CHECK_EQ(pl_note_vkey(longest, pl_key_public(f.key), vk, sizeof(vk)), 0);
  CHECK_EQ(pl_note_vkey_parse(vk, name, sizeof(name), pk), 0);
  CHECK_STR(name, longest);
  /* The name must fit the caller's buffer. */
  CHECK_EQ(pl_note_vkey_parse(vk, name, PL_NOTE_NAME_MAX, pk), PL_EINVAL);

  /* Writing: bad names and short buffers. */
  CHECK_EQ(pl_note_vkey("bad name", pk, vk, sizeof(vk)), PL_EINVAL);
  CHECK_EQ(pl_note_vkey("a+b", pk, vk, sizeof(vk)), PL_EINVAL);
  CHECK_EQ(pl_note_vkey(vstr(f.v, "origin"), pl_key_public(f.key), vk,
                        strlen(vstr(f.v, "verifier_key"))),
           PL_EINVAL);
  CHECK_STR(vk, "");
  CHECK_EQ(pl_note_vkey(vstr(f.v, "origin"), pl_key_public(f.key), vk,
                        strlen(vstr(f.v, "verifier_key")) + 1),
           0);
  CHECK_STR(vk, vstr(f.v, "verifier_key"));
  fixture_free(&f);
}

PL_TEST(vkey_rejects) {
  static const char *const bad[] = {
      "",
      "example.com/partsledger",
      "example.com/partsledger+ac9e03ff",
      "example.com/partsledger+ac9e03ff+",
      "+ac9e03ff+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+DjkQutBJZk",
      /* wrong key id */
      "example.com/partsledger+ac9e03fe+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk",
      /* key id not 8 hex digits */
      "example.com/partsledger+ac9e03f+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk",
      "example.com/partsledger+ac9e03ffa+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk",
      "example.com/partsledger+ac9e03fg+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk",
      /* another name for the same key and id */
      "example.com/partsledgeR+ac9e03ff+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk",
      /* algorithm byte 0x02 instead of 0x01 */
      "example.com/partsledger+ac9e03ff+Anm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk",
      /* key truncated, extended, unpadded, trailing junk */
      "example.com/partsledger+ac9e03ff+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJ",
      "example.com/partsledger+ac9e03ff+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZkAAAA",
      "example.com/partsledger+ac9e03ff+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk\n",
      "example.com/partsledger+ac9e03ff+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk ",
      /* a space in the name */
      "example.com partsledger+ac9e03ff+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+"
      "DjkQutBJZk",
  };
  char name[PL_NOTE_NAME_MAX + 1];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    memset(pk, 0xee, sizeof(pk));
    if (pl_note_vkey_parse(bad[i], name, sizeof(name), pk) != PL_EINVAL) {
      fprintf(stderr, "accepted bad vkey #%zu\n", i);
      CHECK(0);
    }
    /* Nothing half-parsed is left behind. */
    CHECK_STR(name, "");
    for (size_t j = 0; j < sizeof(pk); j++)
      CHECK_EQ(pk[j], 0);
  }
}

PL_TEST(checkpoint_round_trip) {
  static const uint64_t sizes[] = {0, 1, 8, 10, 1000000, UINT64_MAX};
  char body[PL_NOTE_MAX], origin[PL_NOTE_NAME_MAX + 1];
  uint8_t root[PL_HASH_BYTES], got_root[PL_HASH_BYTES];
  uint64_t size;
  size_t len;

  for (size_t i = 0; i < sizeof(root); i++)
    root[i] = (uint8_t)(i * 7 + 3);
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    CHECK_EQ(pl_checkpoint_body("example.com/log", sizes[i], root, body,
                                sizeof(body), &len),
             0);
    CHECK_EQ(len, strlen(body));
    CHECK_EQ(
        pl_checkpoint_parse(body, len, origin, sizeof(origin), &size, got_root),
        0);
    CHECK_STR(origin, "example.com/log");
    CHECK(size == sizes[i]);
    CHECK_MEM(got_root, root, sizeof(root));
  }
  CHECK_EQ(pl_checkpoint_body("example.com/log", UINT64_MAX, root, body,
                              sizeof(body), &len),
           0);
  CHECK(strstr(body, "\n18446744073709551615\n") != NULL);

  /* The vector's body, and the same with extension lines. */
  {
    const char *b = "example.com/partsledger\n8\n"
                    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
    char ext[256];
    CHECK_EQ(pl_checkpoint_parse(b, strlen(b), origin, sizeof(origin), &size,
                                 got_root),
             0);
    CHECK_STR(origin, "example.com/partsledger");
    CHECK_EQ(size, 8);
    CHECK_EQ(got_root[0], 0x5d);
    snprintf(ext, sizeof(ext), "%sext one\n\xe2\x80\x94 ext two\n", b);
    CHECK_EQ(pl_checkpoint_parse(ext, strlen(ext), origin, sizeof(origin),
                                 &size, got_root),
             0);
    CHECK_EQ(size, 8);
    /* Origins are only recommended to look like key names. */
    snprintf(ext, sizeof(ext), "My Log+1\n8\n%s",
             b + strlen("example.com/partsledger\n8\n"));
    CHECK_EQ(pl_checkpoint_parse(ext, strlen(ext), origin, sizeof(origin),
                                 &size, got_root),
             0);
    CHECK_STR(origin, "My Log+1");
  }

  /* Writing: invalid origins, short buffers. */
  CHECK_EQ(pl_checkpoint_body("", 1, root, body, sizeof(body), &len),
           PL_EINVAL);
  CHECK_EQ(pl_checkpoint_body("a\nb", 1, root, body, sizeof(body), &len),
           PL_EINVAL);
  CHECK_EQ(pl_checkpoint_body("a b", 1, root, body, sizeof(body), &len),
           PL_EINVAL);
  CHECK_EQ(pl_checkpoint_body("o", 10, root, body, 2 + 3 + 45, &len),
           PL_EINVAL);
  CHECK_EQ(len, 0);
  CHECK_EQ(pl_checkpoint_body("o", 10, root, body, 2 + 3 + 45 + 1, &len), 0);
  CHECK_EQ(len, 2 + 3 + 45);
}

PL_TEST(checkpoint_rejects) {
#define R "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
  static const char *const bad[] = {
      "",
      "\n",
      "o\n8\n",
      "o\n8\n" R,       /* no final newline */
      "\n8\n" R "\n",   /* empty origin */
      "o\n08\n" R "\n", /* leading zero */
      "o\n00\n" R "\n",
      "o\n+8\n" R "\n",
      "o\n-1\n" R "\n",
      "o\n\n" R "\n", /* empty size */
      "o\n8 \n" R "\n",
      "o\n 8\n" R "\n",
      "o\n0x8\n" R "\n",
      "o\n18446744073709551616\n" R "\n", /* 2^64 */
      "o\n99999999999999999999\n" R "\n",
      "o\n100000000000000000000\n" R "\n",
      "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n", /* 31 bytes */
      "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQygA\n", /* 33 bytes */
      "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",  /* no padding */
      /* non-zero trailing bits */
      "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",
      "o\n8\nXcnaeacGWamtVZy3Ad7Zoqudgj_tL0lgz+Nw7/RgQyg=\n", /* URL alphabet */
      "o\n8\n" R "\n\n", /* empty extension line */
      "o\n8\n" R "\next\n\n",
      "o\n8\n" R "\next",  /* extension without newline */
      "o\r\n8\n" R "\n",   /* control characters */
      "o\xff\n8\n" R "\n", /* invalid UTF-8 */
  };
#undef R
  char origin[PL_NOTE_NAME_MAX + 1];
  uint8_t root[PL_HASH_BYTES];
  uint64_t size;
  const char *ok = "origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
  char nul[64];

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    size = 77;
    if (pl_checkpoint_parse(bad[i], strlen(bad[i]), origin, sizeof(origin),
                            &size, root) != PL_EINVAL) {
      fprintf(stderr, "accepted bad checkpoint #%zu\n", i);
      CHECK(0);
    }
    CHECK_EQ(size, 0);
    CHECK_STR(origin, "");
  }
  /* A NUL inside, which strlen-based callers would never notice. */
  memcpy(nul, ok, strlen(ok) + 1);
  nul[2] = '\0';
  CHECK_EQ(
      pl_checkpoint_parse(nul, strlen(ok), origin, sizeof(origin), &size, root),
      PL_EINVAL);
  /* The origin must fit the caller's buffer, terminator included. */
  CHECK_EQ(pl_checkpoint_parse(ok, strlen(ok), origin, 6, &size, root),
           PL_EINVAL);
  CHECK_EQ(pl_checkpoint_parse(ok, strlen(ok), origin, 7, &size, root), 0);
  CHECK_STR(origin, "origin");
  /* Size "0" alone is fine; so is the largest size. */
  {
    const char *zero = "o\n0\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
    const char *max = "o\n18446744073709551615\n"
                      "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
    CHECK_EQ(pl_checkpoint_parse(zero, strlen(zero), origin, sizeof(origin),
                                 &size, root),
             0);
    CHECK_EQ(size, 0);
    CHECK_EQ(pl_checkpoint_parse(max, strlen(max), origin, sizeof(origin),
                                 &size, root),
             0);
  }
  CHECK(size == UINT64_MAX);
}

PL_TEST_MAIN(PL_CASE(known_answer), PL_CASE(verify_rejects_changes),
             PL_CASE(verify_among_several), PL_CASE(verify_rejects_malformed),
             PL_CASE(sign_rejects), PL_CASE(names), PL_CASE(vkey_round_trip),
             PL_CASE(vkey_rejects), PL_CASE(checkpoint_round_trip),
             PL_CASE(checkpoint_rejects))
