/*
 * keys.c - Ed25519 keys, entry signatures, key files, hex and base64; keys.h.
 *
 * Depends on libsodium (whose -1/0 results become PL_E* codes here) and
 * POSIX file calls. A pl_key is one sodium_malloc'ed block holding both
 * halves of the key pair, so the secret half sits between guard pages and is
 * wiped by sodium_free(). Seeds read from or written to key files pass only
 * through sodium_malloc'ed buffers, which are wiped before they are released.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

_Static_assert(PL_PUBLIC_KEY_BYTES == crypto_sign_PUBLICKEYBYTES, "pk size");
_Static_assert(PL_SECRET_KEY_BYTES == crypto_sign_SECRETKEYBYTES, "sk size");
_Static_assert(PL_SEED_BYTES == crypto_sign_SEEDBYTES, "seed size");
_Static_assert(PL_SIGNATURE_BYTES == crypto_sign_BYTES, "signature size");

/* A key file is 64 hex characters and an optional newline. Reading one byte
 * more than that is enough to tell a longer file is malformed. */
#define PL__KEYFILE_HEX (2 * PL_SEED_BYTES)
#define PL__KEYFILE_READ (PL__KEYFILE_HEX + 2)

/* Entries up to this size are signed from a stack buffer; larger ones are
 * copied to the heap because libsodium signs one contiguous message. */
#define PL__ENTRY_STACK 1024

struct pl_key {
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  uint8_t sk[PL_SECRET_KEY_BYTES];
};

int pl_crypto_init(void) {
  /* sodium_init() returns 1 when it already ran, which is fine. */
  return sodium_init() < 0 ? PL_ECRYPTO : 0;
}

int pl_key_from_seed(const uint8_t seed[PL_SEED_BYTES], pl_key **out) {
  pl_key *k;

  *out = NULL;
  k = sodium_malloc(sizeof(*k));
  if (k == NULL)
    return PL_ENOMEM;
  if (crypto_sign_seed_keypair(k->pk, k->sk, seed) != 0) {
    sodium_free(k);
    return PL_ECRYPTO;
  }
  *out = k;
  return 0;
}

const uint8_t *pl_key_public(const pl_key *k) { return k->pk; }

void pl_key_free(pl_key *k) {
  /* sodium_free() wipes the whole block before unmapping it. */
  if (k != NULL)
    sodium_free(k);
}

/* Copies a formatted reason into the caller's `why` buffer, if any. */
static void pl__why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pl__why(char *why, size_t why_len, const char *fmt, ...) {
  va_list ap;

  if (why == NULL || why_len == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(why, why_len, fmt, ap);
  va_end(ap);
}

int pl_key_load(const char *path, pl_key **out, char *why, size_t why_len) {
  char *buf = NULL;
  uint8_t *seed = NULL;
  size_t have = 0;
  struct stat st;
  int fd = -1, rc;

  *out = NULL;
  if (why != NULL && why_len > 0)
    why[0] = '\0';
  buf = sodium_malloc(PL__KEYFILE_READ);
  seed = sodium_malloc(PL_SEED_BYTES);
  if (buf == NULL || seed == NULL) {
    rc = PL_ENOMEM;
    goto fail;
  }
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    pl__why(why, why_len, "%s: %s", path, strerror(errno));
    rc = PL_EKEYFILE;
    goto fail;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    pl__why(why, why_len, "%s: not a regular file", path);
    rc = PL_EKEYFILE;
    goto fail;
  }
  /* A secret others can read is no longer only ours: refuse it, as ssh
   * does, rather than sign with it. */
  if ((st.st_mode & 077) != 0) {
    pl__why(why, why_len, "%s: readable by group or others (chmod 600 it)", path);
    rc = PL_EKEYFILE;
    goto fail;
  }
  while (have < PL__KEYFILE_READ) {
    ssize_t got = read(fd, buf + have, PL__KEYFILE_READ - have);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      pl__why(why, why_len, "%s: %s", path, strerror(errno));
      rc = PL_EKEYFILE;
      goto fail;
    }
    if (got == 0)
      break;
    have += (size_t)got;
  }
  /* Exactly the hex seed, or the hex seed and one newline; nothing else. */
  if (have == PL__KEYFILE_HEX + 1 && buf[PL__KEYFILE_HEX] == '\n')
    have--;
  if (have != PL__KEYFILE_HEX) {
    pl__why(why, why_len,
            "%s: expected %d hex characters and an optional newline", path,
            PL__KEYFILE_HEX);
    rc = PL_EKEYFILE;
    goto fail;
  }
  buf[PL__KEYFILE_HEX] = '\0';
  if (pl_hex_decode(buf, seed, PL_SEED_BYTES) != 0) {
    pl__why(why, why_len, "%s: seed is not hex", path);
    rc = PL_EKEYFILE;
    goto fail;
  }
  rc = pl_key_from_seed(seed, out);

fail:
  if (fd >= 0)
    close(fd);
  sodium_free(buf);
  sodium_free(seed);
  return rc;
}

/* Makes a new file's directory entry durable, so that a key which has
 * already signed something cannot vanish in a crash. */
static int pl__fsync_dir(const char *path) {
  char *copy = strdup(path);
  int fd, rc = 0;

  if (copy == NULL)
    return PL_ENOMEM;
  fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0)
    rc = PL_EKEYFILE;
  if (fd >= 0)
    close(fd);
  free(copy);
  return rc;
}

int pl_key_generate_file(const char *path, pl_key **out) {
  uint8_t *seed = NULL;
  char *hex = NULL;
  pl_key *k = NULL;
  size_t done = 0, len = PL__KEYFILE_HEX + 1;
  int fd = -1, created = 0, rc;

  if (out != NULL)
    *out = NULL;
  seed = sodium_malloc(PL_SEED_BYTES);
  hex = sodium_malloc(PL__KEYFILE_HEX + 2);
  if (seed == NULL || hex == NULL) {
    rc = PL_ENOMEM;
    goto fail;
  }
  randombytes_buf(seed, PL_SEED_BYTES);
  /* Build the key before touching the file system, so running out of
   * memory cannot leave behind a key file nobody holds. */
  rc = pl_key_from_seed(seed, &k);
  if (rc != 0)
    goto fail;
  pl_hex_encode(seed, PL_SEED_BYTES, hex);
  hex[PL__KEYFILE_HEX] = '\n';

  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    rc = errno == EEXIST ? PL_EEXIST : PL_EKEYFILE;
    goto fail;
  }
  created = 1;
  /* The umask can only narrow 0600, but say it explicitly anyway. */
  if (fchmod(fd, 0600) != 0) {
    rc = PL_EKEYFILE;
    goto fail;
  }
  while (done < len) {
    ssize_t put = write(fd, hex + done, len - done);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0) {
      rc = PL_EKEYFILE;
      goto fail;
    }
    done += (size_t)put;
  }
  if (fsync(fd) != 0) {
    rc = PL_EKEYFILE;
    goto fail;
  }
  rc = close(fd) != 0 ? PL_EKEYFILE : 0;
  fd = -1;
  if (rc == 0)
    rc = pl__fsync_dir(path);
  if (rc != 0)
    goto fail;

  if (out != NULL) {
    *out = k;
    k = NULL;
  }

fail:
  if (fd >= 0)
    close(fd);
  /* A half-written key file would fail to load later; better none at all. */
  if (rc != 0 && created)
    unlink(path);
  pl_key_free(k);
  sodium_free(seed);
  sodium_free(hex);
  return rc;
}

/* Points *msg at (PL_ENTRY_CONTEXT || entry): in `stack` when it fits, else
 * in a heap copy the caller frees when *msg != stack. */
static int pl__entry_message(const uint8_t *entry, size_t len,
                             uint8_t stack[PL__ENTRY_STACK], uint8_t **msg,
                             size_t *msg_len) {
  const size_t ctx_len = sizeof(PL_ENTRY_CONTEXT) - 1;

  if (len > SIZE_MAX - ctx_len)
    return PL_ENOMEM;
  *msg = stack;
  if (ctx_len + len > PL__ENTRY_STACK) {
    *msg = malloc(ctx_len + len);
    if (*msg == NULL)
      return PL_ENOMEM;
  }
  memcpy(*msg, PL_ENTRY_CONTEXT, ctx_len);
  if (len > 0)
    memcpy(*msg + ctx_len, entry, len);
  *msg_len = ctx_len + len;
  return 0;
}

int pl_entry_sign(const pl_key *k, const uint8_t *entry, size_t len,
                  uint8_t sig[PL_SIGNATURE_BYTES]) {
  uint8_t stack[PL__ENTRY_STACK], *msg;
  size_t msg_len;
  int rc = pl__entry_message(entry, len, stack, &msg, &msg_len);

  if (rc != 0)
    return rc;
  if (crypto_sign_detached(sig, NULL, msg, msg_len, k->sk) != 0)
    rc = PL_ECRYPTO;
  if (msg != stack)
    free(msg);
  return rc;
}

int pl_entry_verify(const uint8_t pk[PL_PUBLIC_KEY_BYTES], const uint8_t *entry,
                    size_t len, const uint8_t sig[PL_SIGNATURE_BYTES]) {
  uint8_t stack[PL__ENTRY_STACK], *msg;
  size_t msg_len;
  int rc = pl__entry_message(entry, len, stack, &msg, &msg_len);

  if (rc != 0)
    return rc;
  if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0)
    rc = PL_EBADSIG;
  if (msg != stack)
    free(msg);
  return rc;
}

int pl_key_sign_raw(const pl_key *k, const uint8_t *msg, size_t len,
                    uint8_t sig[PL_SIGNATURE_BYTES]) {
  return crypto_sign_detached(sig, NULL, msg, len, k->sk) != 0 ? PL_ECRYPTO : 0;
}

int pl_key_verify_raw(const uint8_t pk[PL_PUBLIC_KEY_BYTES], const uint8_t *msg,
                      size_t len, const uint8_t sig[PL_SIGNATURE_BYTES]) {
  return crypto_sign_verify_detached(sig, msg, len, pk) != 0 ? PL_EBADSIG : 0;
}

char *pl_hex_encode(const uint8_t *in, size_t n, char *out) {
  /* sodium_bin2hex runs in constant time, which matters for seeds. */
  return sodium_bin2hex(out, 2 * n + 1, in, n);
}

int pl_hex_decode(const char *hex, uint8_t *out, size_t n) {
  const char *end = NULL;
  size_t got = 0;

  /* strnlen keeps a missing terminator from sending us past 2n + 1 bytes. */
  if (n > SIZE_MAX / 2 - 1 || strnlen(hex, 2 * n + 1) != 2 * n ||
      sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, &end) != 0 || got != n ||
      end != hex + 2 * n) {
    sodium_memzero(out, n);
    return PL_EINVAL;
  }
  return 0;
}

int pl_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap) {
  const int v = sodium_base64_VARIANT_ORIGINAL;
  size_t need;

  /* The encoded length must also fit the int we return. */
  if (n > (size_t)(INT_MAX / 4) * 3 - 3)
    return PL_EINVAL;
  need = sodium_base64_ENCODED_LEN(n, v);
  if (cap < need)
    return PL_EINVAL;
  sodium_bin2base64(out, cap, in, n, v);
  return (int)(need - 1);
}

int pl_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
                     size_t *n) {
  const char *end = NULL;
  size_t got = 0;

  /* libsodium stops quietly at the first character that is not base64, so
   * the end pointer is what tells a whole valid input from a valid prefix.
   * It already rejects missing padding and non-zero trailing bits. */
  if (len % 4 != 0 ||
      sodium_base642bin(out, cap, in, len, NULL, &got, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != in + len) {
    if (cap > 0)
      sodium_memzero(out, cap);
    *n = 0;
    return PL_EINVAL;
  }
  *n = got;
  return 0;
}
