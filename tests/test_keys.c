/*
 * test_keys.c - unit tests for storage/keys.c.
 *
 * The entry-signature known answer from tests/vectors/c2sp-note.json, the
 * domain separation that keeps entry signatures from being anything else,
 * the hex and base64 codecs (RFC 4648 vectors and malformed input), and key
 * files: created 0600 and never overwritten, loaded back, and refused with
 * PL_EKEYFILE when missing or malformed. Files live in a mkdtemp directory
 * under /tmp that each case removes.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "keys.h"
#include "test.h"
#include "text.h"
#include "vectors.h"

/* ---- helpers ------------------------------------------------------------ */

/* A scratch directory; files made in it are removed by tmp_cleanup. */
typedef struct {
  char dir[64];
  char path[128];
} tmp_dir;

static int tmp_init(tmp_dir *t) {
  snprintf(t->dir, sizeof(t->dir), "/tmp/pl_test_keys.XXXXXX");
  return mkdtemp(t->dir) == NULL ? -1 : 0;
}

static const char *tmp_file(tmp_dir *t, const char *name) {
  snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
  return t->path;
}

static void tmp_cleanup(tmp_dir *t) {
  static const char *const names[] = {"key", "key2", "bad", "dir"};
  char p[128];

  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    snprintf(p, sizeof(p), "%s/%s", t->dir, names[i]);
    unlink(p);
    rmdir(p);
  }
  rmdir(t->dir);
}

static int write_file(const char *path, const char *data, size_t n) {
  FILE *f = fopen(path, "wb");
  int ok;

  if (f == NULL)
    return -1;
  ok = fwrite(data, 1, n, f) == n;
  return fclose(f) == 0 && ok && chmod(path, 0600) == 0 ? 0 : -1;
}

/* ---- cases -------------------------------------------------------------- */

PL_TEST(entry_known_answer) {
  cJSON *v = load_vectors("c2sp-note.json");
  uint8_t seed[PL_SEED_BYTES], pk[PL_PUBLIC_KEY_BYTES];
  uint8_t entry[64], want[PL_SIGNATURE_BYTES], sig[PL_SIGNATURE_BYTES];
  size_t entry_len;
  pl_key *k = NULL;

  CHECK(v != NULL);
  CHECK_EQ(pl_crypto_init(), 0);
  CHECK_EQ(pl_crypto_init(), 0); /* twice is fine */
  CHECK_STR(vstr(v, "entry_context"), PL_ENTRY_CONTEXT);
  CHECK_EQ(pl_hex_decode(vstr(v, "seed_hex"), seed, sizeof(seed)), 0);
  CHECK_EQ(pl_hex_decode(vstr(v, "public_key_hex"), pk, sizeof(pk)), 0);
  entry_len = strlen(vstr(v, "entry_bytes_hex")) / 2;
  CHECK(entry_len <= sizeof(entry));
  CHECK_EQ(pl_hex_decode(vstr(v, "entry_bytes_hex"), entry, entry_len), 0);
  CHECK_EQ(pl_hex_decode(vstr(v, "entry_signature_hex"), want, sizeof(want)),
           0);

  CHECK_EQ(pl_key_from_seed(seed, &k), 0);
  CHECK_MEM(pl_key_public(k), pk, sizeof(pk));
  CHECK_EQ(pl_entry_sign(k, entry, entry_len, sig), 0);
  CHECK_MEM(sig, want, sizeof(sig));
  CHECK_EQ(pl_entry_verify(pk, entry, entry_len, sig), 0);
  pl_key_free(k);
  pl_key_free(NULL);
  cJSON_Delete(v);
}

PL_TEST(entry_verify_rejects) {
  cJSON *v = load_vectors("c2sp-note.json");
  uint8_t seed[PL_SEED_BYTES], entry[64], sig[PL_SIGNATURE_BYTES];
  uint8_t raw[PL_SIGNATURE_BYTES], msg[128];
  size_t entry_len, ctx_len = strlen(PL_ENTRY_CONTEXT);
  pl_key *k = NULL, *other = NULL;

  CHECK(v != NULL);
  CHECK_EQ(pl_crypto_init(), 0);
  CHECK_EQ(pl_hex_decode(vstr(v, "seed_hex"), seed, sizeof(seed)), 0);
  entry_len = strlen(vstr(v, "entry_bytes_hex")) / 2;
  CHECK_EQ(pl_hex_decode(vstr(v, "entry_bytes_hex"), entry, entry_len), 0);
  CHECK_EQ(pl_key_from_seed(seed, &k), 0);
  seed[0] ^= 1;
  CHECK_EQ(pl_key_from_seed(seed, &other), 0);
  CHECK_EQ(pl_entry_sign(k, entry, entry_len, sig), 0);

  /* Every flipped bit of the signature, and of the entry. */
  for (unsigned bit = 0; bit < 8 * PL_SIGNATURE_BYTES; bit++) {
    sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK_EQ(pl_entry_verify(pl_key_public(k), entry, entry_len, sig),
             PL_EBADSIG);
    sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  for (unsigned bit = 0; bit < 8 * entry_len; bit++) {
    entry[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK_EQ(pl_entry_verify(pl_key_public(k), entry, entry_len, sig),
             PL_EBADSIG);
    entry[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  /* A shorter entry, another key. */
  CHECK_EQ(pl_entry_verify(pl_key_public(k), entry, entry_len - 1, sig),
           PL_EBADSIG);
  CHECK_EQ(pl_entry_verify(pl_key_public(other), entry, entry_len, sig),
           PL_EBADSIG);
  CHECK_EQ(pl_entry_verify(pl_key_public(k), entry, entry_len, sig), 0);

  /* Signed without the context, the same key's signature is worthless as
   * an entry signature, and the entry signature is no plain signature. */
  CHECK_EQ(pl_key_sign_raw(k, entry, entry_len, raw), 0);
  CHECK_EQ(pl_entry_verify(pl_key_public(k), entry, entry_len, raw),
           PL_EBADSIG);
  CHECK_EQ(pl_key_verify_raw(pl_key_public(k), entry, entry_len, raw), 0);
  CHECK_EQ(pl_key_verify_raw(pl_key_public(k), entry, entry_len, sig),
           PL_EBADSIG);
  /* The construction is exactly Ed25519 over context || entry. */
  memcpy(msg, PL_ENTRY_CONTEXT, ctx_len);
  memcpy(msg + ctx_len, entry, entry_len);
  CHECK_EQ(pl_key_verify_raw(pl_key_public(k), msg, ctx_len + entry_len, sig),
           0);
  CHECK_EQ(
      pl_key_verify_raw(pl_key_public(other), msg, ctx_len + entry_len, sig),
      PL_EBADSIG);
  pl_key_free(k);
  pl_key_free(other);
  cJSON_Delete(v);
}

PL_TEST(entry_sizes) {
  uint8_t seed[PL_SEED_BYTES] = {7}, sig[PL_SIGNATURE_BYTES];
  static const size_t sizes[] = {0, 1, 1002, 1003, 1004, 70000};
  uint8_t *big = malloc(70000);
  pl_key *k = NULL;

  CHECK(big != NULL);
  CHECK_EQ(pl_crypto_init(), 0);
  for (size_t i = 0; i < 70000; i++)
    big[i] = (uint8_t)(i * 31);
  CHECK_EQ(pl_key_from_seed(seed, &k), 0);
  /* Around the size where signing moves from the stack to the heap. */
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    CHECK_EQ(pl_entry_sign(k, big, sizes[i], sig), 0);
    CHECK_EQ(pl_entry_verify(pl_key_public(k), big, sizes[i], sig), 0);
    if (sizes[i] > 0) {
      big[sizes[i] - 1] ^= 1;
      CHECK_EQ(pl_entry_verify(pl_key_public(k), big, sizes[i], sig),
               PL_EBADSIG);
      big[sizes[i] - 1] ^= 1;
    }
  }
  pl_key_free(k);
  free(big);
}

PL_TEST(hex) {
  static const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  uint8_t out[8];
  char text[2 * sizeof(bytes) + 1];

  CHECK(pl_hex_encode(bytes, sizeof(bytes), text) == text);
  CHECK_STR(text, "00017f80abff");
  CHECK_EQ(pl_hex_decode(text, out, sizeof(bytes)), 0);
  CHECK_MEM(out, bytes, sizeof(bytes));
  CHECK_EQ(pl_hex_decode("00017F80ABFF", out, sizeof(bytes)), 0);
  CHECK_MEM(out, bytes, sizeof(bytes));
  CHECK(pl_hex_encode(bytes, 0, text) == text);
  CHECK_STR(text, "");
  CHECK_EQ(pl_hex_decode("", out, 0), 0);

  /* Wrong lengths, odd lengths, non-hex characters; the output is wiped. */
  memset(out, 0x55, sizeof(out));
  CHECK_EQ(pl_hex_decode("00017f80abf", out, 6), PL_EINVAL);
  CHECK_EQ(out[0], 0);
  CHECK_EQ(pl_hex_decode("00017f80ab", out, 6), PL_EINVAL);
  CHECK_EQ(pl_hex_decode("00017f80abff00", out, 6), PL_EINVAL);
  CHECK_EQ(pl_hex_decode("00017f80abfg", out, 6), PL_EINVAL);
  CHECK_EQ(pl_hex_decode("00017f80ab f", out, 6), PL_EINVAL);
  CHECK_EQ(pl_hex_decode("00:17f80abff", out, 6), PL_EINVAL);
  CHECK_EQ(pl_hex_decode("0x017f80abff", out, 6), PL_EINVAL);
  CHECK_EQ(pl_hex_decode("", out, 1), PL_EINVAL);
  for (size_t i = 0; i < 6; i++)
    CHECK_EQ(out[i], 0);
}

PL_TEST(base64) {
  /* RFC 4648 section 10. */
  static const char *const plain[] = {"",     "f",     "fo",    "foo",
                                      "foob", "fooba", "foobar"};
  static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  char text[32];
  uint8_t out[16], all[256];
  char all_text[400];
  size_t n;

  for (size_t i = 0; i < 7; i++) {
    size_t len = strlen(plain[i]);
    CHECK_EQ(
        pl_base64_encode((const uint8_t *)plain[i], len, text, sizeof(text)),
        (int)strlen(coded[i]));
    CHECK_STR(text, coded[i]);
    CHECK_EQ(pl_base64_decode(coded[i], strlen(coded[i]), out, sizeof(out), &n),
             0);
    CHECK_EQ(n, len);
    CHECK(len == 0 || memcmp(out, plain[i], len) == 0);
    /* The buffer needs room for the terminator, and no more. */
    CHECK_EQ(pl_base64_encode((const uint8_t *)plain[i], len, text,
                              strlen(coded[i])),
             PL_EINVAL);
    CHECK_EQ(pl_base64_encode((const uint8_t *)plain[i], len, text,
                              strlen(coded[i]) + 1),
             (int)strlen(coded[i]));
  }
  /* Every byte value, through '+' and '/'. */
  for (size_t i = 0; i < sizeof(all); i++)
    all[i] = (uint8_t)(255 - i);
  CHECK_EQ(pl_base64_encode(all, sizeof(all), all_text, sizeof(all_text)), 344);
  CHECK(strchr(all_text, '+') != NULL && strchr(all_text, '/') != NULL);
  {
    uint8_t back[256];
    CHECK_EQ(pl_base64_decode(all_text, 344, back, sizeof(back), &n), 0);
    CHECK_EQ(n, 256);
    CHECK_MEM(back, all, sizeof(all));
    /* Decoding into too small a buffer fails. */
    CHECK_EQ(pl_base64_decode(all_text, 344, back, 255, &n), PL_EINVAL);
    CHECK_EQ(n, 0);
  }
  /* Only `len` characters are read: a prefix of whole quads decodes. */
  CHECK_EQ(pl_base64_decode("Zm9vYmFy", 4, out, sizeof(out), &n), 0);
  CHECK_EQ(n, 3);
  CHECK_MEM(out, "foo", 3);
}

PL_TEST(base64_rejects) {
  static const char *const bad[] = {
      "Zg",                              /* missing padding */
      "Zg=",                             /* short padding */
      "Zg===",                           /* too much padding */
      "Zm9v====",                        /* padding after a full quad */
      "Zh==",                            /* non-zero trailing bits */
      "Zm9=",                            /* non-zero trailing bits */
      "Zg==Zg==",                        /* padding in the middle */
      "Zm9v!A==",                        /* not in the alphabet */
      "Zm9v YQ==", "Zm9v\nYQ==", "Zm-_", /* URL-safe alphabet */
      "=Zg=",      "====",       "A",
  };
  uint8_t out[16];
  size_t n;

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    n = 99;
    memset(out, 0x55, sizeof(out));
    if (pl_base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n) !=
        PL_EINVAL) {
      fprintf(stderr, "accepted bad base64 #%zu\n", i);
      CHECK(0);
    }
    CHECK_EQ(n, 0);
    CHECK_EQ(out[0], 0);
  }
}

PL_TEST(key_file_round_trip) {
  tmp_dir t;
  pl_key *made = NULL, *loaded = NULL;
  uint8_t before[PL_PUBLIC_KEY_BYTES];
  char buf[128], why[256];
  struct stat st;
  FILE *f;
  size_t got;
  mode_t old_umask;

  CHECK_EQ(pl_crypto_init(), 0);
  CHECK(tmp_init(&t) == 0);
  /* Even a permissive umask must not widen the mode. */
  old_umask = umask(0);
  CHECK_EQ(pl_key_generate_file(tmp_file(&t, "key"), &made), 0);
  umask(old_umask);
  CHECK(made != NULL);
  CHECK(stat(t.path, &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ(st.st_mode & 07777, 0600);

  /* 64 lowercase hex characters and a newline. */
  f = fopen(t.path, "rb");
  CHECK(f != NULL);
  got = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  CHECK_EQ(got, 65);
  CHECK_EQ(buf[64], '\n');
  for (size_t i = 0; i < 64; i++)
    CHECK(strchr("0123456789abcdef", buf[i]) != NULL);

  CHECK_EQ(pl_key_load(t.path, &loaded, why, sizeof(why)), 0);
  CHECK_MEM(pl_key_public(loaded), pl_key_public(made), PL_PUBLIC_KEY_BYTES);
  pl_key_free(loaded);
  loaded = NULL;

  /* Never overwritten: the second attempt fails, the first key stays. */
  memcpy(before, pl_key_public(made), sizeof(before));
  CHECK_EQ(pl_key_generate_file(t.path, &loaded), PL_EEXIST);
  CHECK(loaded == NULL);
  CHECK_EQ(pl_key_generate_file(t.path, NULL), PL_EEXIST);
  CHECK_EQ(pl_key_load(t.path, &loaded, NULL, 0), 0);
  CHECK_MEM(pl_key_public(loaded), before, sizeof(before));
  pl_key_free(loaded);
  loaded = NULL;

  /* Without the trailing newline, and generated without returning it. */
  CHECK(write_file(tmp_file(&t, "key2"), buf, 64) == 0);
  CHECK_EQ(pl_key_load(t.path, &loaded, why, sizeof(why)), 0);
  CHECK_MEM(pl_key_public(loaded), before, sizeof(before));
  pl_key_free(loaded);
  loaded = NULL;
  unlink(t.path);
  CHECK_EQ(pl_key_generate_file(t.path, NULL), 0);
  CHECK_EQ(pl_key_load(t.path, &loaded, why, sizeof(why)), 0);
  CHECK(memcmp(pl_key_public(loaded), before, sizeof(before)) != 0);

  pl_key_free(loaded);
  pl_key_free(made);
  tmp_cleanup(&t);
}

PL_TEST(key_file_rejects) {
  static const char *const bad[] = {
      "",
      "\n",
      /* 63 and 65 hex characters */
      "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2",
      "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f200",
      /* two newlines, CRLF, leading space, trailing space */
      "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n\n",
      "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\r\n",
      " 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
      "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 ",
      /* not hex */
      "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2g\n",
      "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n",
  };
  tmp_dir t;
  pl_key *k = NULL;
  char why[256];

  CHECK_EQ(pl_crypto_init(), 0);
  CHECK(tmp_init(&t) == 0);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK(write_file(tmp_file(&t, "bad"), bad[i], strlen(bad[i])) == 0);
    why[0] = '\0';
    if (pl_key_load(t.path, &k, why, sizeof(why)) != PL_EKEYFILE) {
      fprintf(stderr, "accepted bad key file #%zu\n", i);
      CHECK(0);
    }
    CHECK(k == NULL);
    CHECK(why[0] != '\0');
  }
  /* The good file those were made from loads. */
  CHECK(write_file(t.path, bad[4], 65) == 0);
  CHECK_EQ(pl_key_load(t.path, &k, why, sizeof(why)), 0);
  pl_key_free(k);
  k = NULL;

  /* The same good file, readable by others, is refused. */
  CHECK(chmod(t.path, 0644) == 0);
  CHECK_EQ(pl_key_load(t.path, &k, why, sizeof(why)), PL_EKEYFILE);
  CHECK(strstr(why, "chmod 600") != NULL);
  CHECK(k == NULL);

  /* Missing file, a directory, a directory that does not exist. */
  CHECK_EQ(pl_key_load(tmp_file(&t, "missing"), &k, why, sizeof(why)),
           PL_EKEYFILE);
  CHECK(strstr(why, "missing") != NULL);
  CHECK(mkdir(tmp_file(&t, "dir"), 0700) == 0);
  CHECK_EQ(pl_key_load(t.path, &k, why, sizeof(why)), PL_EKEYFILE);
  CHECK_EQ(pl_key_load(t.path, &k, NULL, 0), PL_EKEYFILE);
  CHECK_EQ(pl_key_generate_file(t.path, &k), PL_EEXIST);
  CHECK_EQ(pl_key_generate_file(tmp_file(&t, "nodir/key"), &k), PL_EKEYFILE);
  CHECK(k == NULL);
  /* A tiny `why` buffer is truncated, not overrun. */
  CHECK_EQ(pl_key_load(tmp_file(&t, "missing"), &k, why, 4), PL_EKEYFILE);
  CHECK_EQ(strlen(why), 3);
  tmp_cleanup(&t);
}

/* Text that ends up in audit reports: valid UTF-8, no control characters,
 * nothing invisible that changes how the rest reads. */
PL_TEST(text_printable) {
  CHECK(pl_text_printable("Station 12", 10));
  CHECK(pl_text_printable("Werkstatt Köln – Süd", strlen("Werkstatt Köln – Süd")));
  CHECK(pl_text_printable("", 0));
  /* Zero-width non-joiner and joiner: Persian spelling and emoji need them. */
  CHECK(pl_text_printable("\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85", 17));
  CHECK(pl_text_printable("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x94\xa7", 11));
  static const char *const refused[] = {
      "tab\there", "nul\0x", "del\x7f", "c1\xc2\x85", "bad\xff", "overlong\xc0\xaf",
      "surrogate\xed\xa0\x80",
      "rlo\xe2\x80\xae",      /* U+202E right-to-left override */
      "isolate\xe2\x81\xa6",  /* U+2066 left-to-right isolate */
      "zwsp\xe2\x80\x8b",     /* U+200B zero-width space */
      "lsep\xe2\x80\xa8",     /* U+2028 line separator */
      "shy\xc2\xad",           /* U+00AD soft hyphen */
      "bom\xef\xbb\xbf",      /* U+FEFF */
      "alm\xd8\x9c",           /* U+061C Arabic letter mark */
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    size_t n = strlen(refused[i]) + (i == 1 ? 2 : 0); /* "nul\0x": past the NUL */
    if (pl_text_printable(refused[i], n))
      fprintf(stderr, "accepted: case %zu\n", i);
    CHECK(!pl_text_printable(refused[i], n));
  }
}

/* Addresses on command lines: what gRPC would take and then serve or call
 * somewhere else must be refused. */
PL_TEST(host_port) {
  static const char *const good[] = {"127.0.0.1:50051", "localhost:0", "[::1]:65535",
                                     "example.org:1", "0.0.0.0:00080"};
  static const char *const bad[] = {"", ":", "127.0.0.1", "127.0.0.1:", ":50051",
                                    "127.0.0.1:65536", "127.0.0.1:99999",
                                    "127.0.0.1:123456", "127.0.0.1:-1", "127.0.0.1:5x",
                                    "::1:50051", "[::1]50051", "[]:1", "[::1:1",
                                    "127.0.0.1:+80", "127.0.0.1: 80"};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    CHECK(pl_host_port_ok(good[i]));
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    CHECK(!pl_host_port_ok(bad[i]));
}

PL_TEST_MAIN(PL_CASE(entry_known_answer), PL_CASE(entry_verify_rejects),
             PL_CASE(entry_sizes), PL_CASE(hex), PL_CASE(base64),
             PL_CASE(base64_rejects), PL_CASE(key_file_round_trip),
             PL_CASE(key_file_rejects), PL_CASE(text_printable), PL_CASE(host_port))
