/*
 * note.c - C2SP signed notes (c2sp.org/signed-note) and tlog-checkpoint
 * bodies (c2sp.org/tlog-checkpoint); see note.h.
 *
 * Depends on keys.c for Ed25519 and the base64/hex codecs, and on libsodium
 * for the SHA-256 of key ids. Everything that parses works on (pointer,
 * length) spans of caller memory and never needs a terminating NUL; nothing
 * allocates. Parsers reject anything the specs forbid rather than guess,
 * because a note that two readers split differently could be made to say
 * two things under one signature.
 */
#include "note.h"
#include "text.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* Ed25519 is signature type 0x01 in the signed-note registry. */
#define PL__ALG_ED25519 0x01
#define PL__KEY_ID_BYTES 4
/* "\u2014 " opens every signature line. */
#define PL__SIG_PREFIX "\xe2\x80\x94 "
#define PL__SIG_PREFIX_LEN 4
/* base64(key id || Ed25519 signature): 68 bytes, 92 characters. */
#define PL__SIG_BLOB (PL__KEY_ID_BYTES + PL_SIGNATURE_BYTES)
#define PL__SIG_B64 (4 * ((PL__SIG_BLOB + 2) / 3))
/* base64(0x01 || public key): 33 bytes, 44 characters. */
#define PL__VKEY_BLOB (1 + PL_PUBLIC_KEY_BYTES)
/* base64 of a hash (a root, a proof's node): 32 bytes, 44 characters. */
#define PL__ROOT_B64 (4 * ((PL_HASH_BYTES + 2) / 3))

/* The Unicode White_Space characters, which key names may not contain. */
static int pl__is_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
         c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static int pl__is_control(uint32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/* pl_note_name_check on a span. */
static int pl__name_check(const char *name, size_t n) {
  const uint8_t *s = (const uint8_t *)name;
  size_t i = 0, step;
  uint32_t c;

  if (n == 0 || n > PL_NOTE_NAME_MAX)
    return PL_EINVAL;
  while (i < n) {
    step = pl_utf8_next(s + i, n - i, &c);
    if (step == 0 || c == '+' || pl__is_space(c) || pl__is_control(c))
      return PL_EINVAL;
    i += step;
  }
  return 0;
}

/* Signed notes must be valid UTF-8 with no ASCII control character other
 * than newline; this also keeps NUL bytes out of everything parsed here. */
static int pl__text_check(const char *text, size_t n) {
  const uint8_t *s = (const uint8_t *)text;
  size_t i = 0, step;
  uint32_t c;

  while (i < n) {
    step = pl_utf8_next(s + i, n - i, &c);
    if (step == 0 || (c < 0x20 && c != '\n'))
      return PL_EINVAL;
    i += step;
  }
  return 0;
}

int pl_note_name_check(const char *name) {
  return pl__name_check(name, strnlen(name, PL_NOTE_NAME_MAX + 1));
}

static void pl__key_id(const char *name, size_t n,
                       const uint8_t pk[PL_PUBLIC_KEY_BYTES], uint8_t id[4]) {
  static const uint8_t sep[2] = {'\n', PL__ALG_ED25519};
  uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_state st;

  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, (const uint8_t *)name, n);
  crypto_hash_sha256_update(&st, sep, sizeof(sep));
  crypto_hash_sha256_update(&st, pk, PL_PUBLIC_KEY_BYTES);
  crypto_hash_sha256_final(&st, h);
  memcpy(id, h, PL__KEY_ID_BYTES);
}

void pl_note_key_id(const char *name, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                    uint8_t id[4]) {
  pl__key_id(name, strlen(name), pk, id);
}

int pl_note_vkey(const char *name, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                 char *out, size_t cap) {
  uint8_t id[PL__KEY_ID_BYTES], blob[PL__VKEY_BLOB];
  char hex[2 * PL__KEY_ID_BYTES + 1], b64[PL__VKEY_BLOB * 2];
  int w;

  if (cap > 0)
    out[0] = '\0';
  if (pl_note_name_check(name) != 0)
    return PL_EINVAL;
  pl_note_key_id(name, pk, id);
  blob[0] = PL__ALG_ED25519;
  memcpy(blob + 1, pk, PL_PUBLIC_KEY_BYTES);
  pl_hex_encode(id, sizeof(id), hex);
  if (pl_base64_encode(blob, sizeof(blob), b64, sizeof(b64)) < 0)
    return PL_EINVAL;
  w = snprintf(out, cap, "%s+%s+%s", name, hex, b64);
  if (w < 0 || (size_t)w >= cap) {
    if (cap > 0)
      out[0] = '\0';
    return PL_EINVAL;
  }
  return 0;
}

int pl_note_vkey_parse(const char *vkey, char *name, size_t name_cap,
                       uint8_t pk[PL_PUBLIC_KEY_BYTES]) {
  uint8_t id[PL__KEY_ID_BYTES], want[PL__KEY_ID_BYTES], blob[PL__VKEY_BLOB];
  char hex[2 * PL__KEY_ID_BYTES + 1];
  const char *plus1, *plus2, *end;
  size_t vlen, name_len, got;

  vlen = strnlen(vkey, PL_VKEY_MAX + 1);
  if (vlen > PL_VKEY_MAX)
    goto fail;
  end = vkey + vlen;
  /* Names cannot hold '+', so the first two split the three fields. */
  plus1 = memchr(vkey, '+', vlen);
  if (plus1 == NULL)
    goto fail;
  plus2 = memchr(plus1 + 1, '+', (size_t)(end - plus1 - 1));
  if (plus2 == NULL)
    goto fail;
  name_len = (size_t)(plus1 - vkey);
  if (pl__name_check(vkey, name_len) != 0 || name_len >= name_cap)
    goto fail;
  if (plus2 - plus1 - 1 != 2 * PL__KEY_ID_BYTES)
    goto fail;
  memcpy(hex, plus1 + 1, 2 * PL__KEY_ID_BYTES);
  hex[2 * PL__KEY_ID_BYTES] = '\0';
  if (pl_hex_decode(hex, want, sizeof(want)) != 0)
    goto fail;
  if (pl_base64_decode(plus2 + 1, (size_t)(end - plus2 - 1), blob, sizeof(blob),
                       &got) != 0 ||
      got != sizeof(blob) || blob[0] != PL__ALG_ED25519)
    goto fail;
  /* The id is redundant with name and key; a mismatch means a typo or a
   * tampered key string, either way not a key to trust. */
  pl__key_id(vkey, name_len, blob + 1, id);
  if (memcmp(id, want, sizeof(id)) != 0)
    goto fail;
  memcpy(name, vkey, name_len);
  name[name_len] = '\0';
  memcpy(pk, blob + 1, PL_PUBLIC_KEY_BYTES);
  return 0;

fail:
  if (name_cap > 0)
    name[0] = '\0';
  memset(pk, 0, PL_PUBLIC_KEY_BYTES);
  return PL_EINVAL;
}

int pl_checkpoint_body(const char *origin, uint64_t size,
                       const uint8_t root[PL_HASH_BYTES], char *out, size_t cap,
                       size_t *len) {
  char b64[PL__ROOT_B64 + 1];
  int w;

  *len = 0;
  if (cap > 0)
    out[0] = '\0';
  /* The spec only asks origins to look like key names, but ours are also
   * our key names, so hold them to the stricter rule. */
  if (pl_note_name_check(origin) != 0)
    return PL_EINVAL;
  if (pl_base64_encode(root, PL_HASH_BYTES, b64, sizeof(b64)) < 0)
    return PL_EINVAL;
  w = snprintf(out, cap, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
  if (w < 0 || (size_t)w >= cap) {
    if (cap > 0)
      out[0] = '\0';
    return PL_EINVAL;
  }
  *len = (size_t)w;
  return 0;
}

int pl_note_decimal(const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;

  if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
    return PL_EINVAL;
  for (size_t i = 0; i < n; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
      return PL_EINVAL;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int pl_note_hash(const char *s, size_t n, uint8_t out[PL_HASH_BYTES]) {
  size_t got;

  if (n != PL__ROOT_B64 || pl_base64_decode(s, n, out, PL_HASH_BYTES, &got) != 0 ||
      got != PL_HASH_BYTES)
    return PL_EINVAL;
  return 0;
}

/* The next line of [p, end) without its '\n', which must be there. */
static int pl__line(const char **p, const char *end, const char **line,
                    size_t *n) {
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));

  if (nl == NULL)
    return PL_EINVAL;
  *line = *p;
  *n = (size_t)(nl - *p);
  *p = nl + 1;
  return 0;
}

int pl_checkpoint_parse(const char *body, size_t len, char *origin,
                        size_t origin_cap, uint64_t *size,
                        uint8_t root[PL_HASH_BYTES]) {
  const char *p = body, *end = body + len, *line;
  uint64_t v = 0;
  size_t n;

  if (len == 0 || len >= PL_NOTE_VERIFY_MAX || body[len - 1] != '\n' ||
      pl__text_check(body, len) != 0)
    goto fail;

  /* Origin: any non-empty text; clients may not assume its form. */
  if (pl__line(&p, end, &line, &n) != 0 || n == 0 || n >= origin_cap)
    goto fail;
  memcpy(origin, line, n);
  origin[n] = '\0';

  /* Size, then root: one spelling each. */
  if (pl__line(&p, end, &line, &n) != 0 || pl_note_decimal(line, n, &v) != 0)
    goto fail;
  if (pl__line(&p, end, &line, &n) != 0 || pl_note_hash(line, n, root) != 0)
    goto fail;

  /* Extension lines are opaque but must not be empty. */
  while (p < end) {
    if (pl__line(&p, end, &line, &n) != 0 || n == 0)
      goto fail;
  }
  *size = v;
  return 0;

fail:
  if (origin_cap > 0)
    origin[0] = '\0';
  *size = 0;
  memset(root, 0, PL_HASH_BYTES);
  return PL_EINVAL;
}

int pl_note_sign(const pl_key *k, const char *name, const char *body,
                 size_t body_len, char *out, size_t cap, size_t *len) {
  uint8_t blob[PL__SIG_BLOB];
  char b64[PL__SIG_B64 + 1];
  size_t name_len, need;
  char *w;
  int rc;

  *len = 0;
  if (cap > 0)
    out[0] = '\0';
  if (pl_note_name_check(name) != 0)
    return PL_EINVAL;
  name_len = strlen(name);
  if (body_len == 0 || body_len >= PL_NOTE_VERIFY_MAX ||
      body[body_len - 1] != '\n' || pl__text_check(body, body_len) != 0)
    return PL_EINVAL;
  /* body, blank line, "— name b64\n", NUL */
  need = body_len + 1 + PL__SIG_PREFIX_LEN + name_len + 1 + PL__SIG_B64 + 1 + 1;
  if (cap < need)
    return PL_EINVAL;

  pl__key_id(name, name_len, pl_key_public(k), blob);
  rc = pl_key_sign_raw(k, (const uint8_t *)body, body_len,
                       blob + PL__KEY_ID_BYTES);
  if (rc != 0)
    return rc;
  if (pl_base64_encode(blob, sizeof(blob), b64, sizeof(b64)) != PL__SIG_B64)
    return PL_EINVAL;

  w = out;
  memcpy(w, body, body_len);
  w += body_len;
  *w++ = '\n';
  memcpy(w, PL__SIG_PREFIX, PL__SIG_PREFIX_LEN);
  w += PL__SIG_PREFIX_LEN;
  memcpy(w, name, name_len);
  w += name_len;
  *w++ = ' ';
  memcpy(w, b64, PL__SIG_B64);
  w += PL__SIG_B64;
  *w++ = '\n';
  *w = '\0';
  *len = (size_t)(w - out);
  return 0;
}

/* Checks that s[0..n) is padded base64 of at least 5 bytes (a key id and a
 * signature of some algorithm), keeping the first `cap` decoded bytes in
 * `out` and the full decoded length in *total. Signatures of other
 * algorithms may be longer than any buffer we keep, so decode in blocks. */
static int pl__sig_decode(const char *s, size_t n, uint8_t *out, size_t cap,
                          size_t *total) {
  enum { BLOCK = 64 };
  uint8_t buf[BLOCK / 4 * 3];
  size_t i, got, sum = 0;

  if (n == 0 || n % 4 != 0)
    return PL_EINVAL;
  for (i = 0; i < n; i += BLOCK) {
    size_t take = n - i < BLOCK ? n - i : BLOCK;
    /* Each block decodes alone, so padding in a block that is not the last
     * would otherwise pass. */
    if (i + take < n && memchr(s + i, '=', take) != NULL)
      return PL_EINVAL;
    if (pl_base64_decode(s + i, take, buf, sizeof(buf), &got) != 0)
      return PL_EINVAL;
    if (sum < cap)
      memcpy(out + sum, buf, got < cap - sum ? got : cap - sum);
    sum += got;
  }
  if (sum < PL__KEY_ID_BYTES + 1)
    return PL_EINVAL;
  *total = sum;
  return 0;
}

int pl_note_verify(const char *vkey, const char *note, size_t len,
                   size_t *body_len) {
  char name[PL_NOTE_NAME_MAX + 1];
  uint8_t pk[PL_PUBLIC_KEY_BYTES], id[PL__KEY_ID_BYTES];
  uint8_t blob[PL__SIG_BLOB], mine[PL__SIG_BLOB];
  const char *p, *end = note + len, *line, *sp;
  size_t name_len, body, n, got, mine_len = 0;
  int matches = 0;

  *body_len = 0;
  if (pl_note_vkey_parse(vkey, name, sizeof(name), pk) != 0)
    return PL_EINVAL;
  name_len = strlen(name);
  pl__key_id(name, name_len, pk, id);

  if (len < 2 || len >= PL_NOTE_VERIFY_MAX || note[len - 1] != '\n' ||
      pl__text_check(note, len) != 0)
    return PL_EINVAL;
  /* The text ends at the last blank line; signature lines are never empty,
   * so it cannot fall inside them. */
  for (body = len - 1; body > 0; body--)
    if (note[body - 1] == '\n' && note[body] == '\n')
      break;
  if (body == 0 || body + 1 >= len)
    return PL_EINVAL;

  /* Check every signature line before verifying any: a note is malformed
   * or not as a whole, whichever signer a caller happens to trust. */
  for (p = note + body + 1; p < end;) {
    if (pl__line(&p, end, &line, &n) != 0 || n < PL__SIG_PREFIX_LEN ||
        memcmp(line, PL__SIG_PREFIX, PL__SIG_PREFIX_LEN) != 0)
      return PL_EINVAL;
    line += PL__SIG_PREFIX_LEN;
    n -= PL__SIG_PREFIX_LEN;
    sp = memchr(line, ' ', n);
    if (sp == NULL || pl__name_check(line, (size_t)(sp - line)) != 0 ||
        pl__sig_decode(sp + 1, n - (size_t)(sp - line) - 1, blob, sizeof(blob),
                       &got) != 0)
      return PL_EINVAL;
    /* Same name and id is this key; sharing only one of them is a
     * different key, which the spec says to ignore. */
    if ((size_t)(sp - line) != name_len || memcmp(line, name, name_len) != 0 ||
        memcmp(blob, id, PL__KEY_ID_BYTES) != 0)
      continue;
    /* Two signatures claiming one key leave it unclear which one counts. */
    if (++matches > 1)
      return PL_EINVAL;
    memcpy(mine, blob, sizeof(blob));
    mine_len = got;
  }
  if (matches == 0 || mine_len != PL__SIG_BLOB)
    return PL_EVERIFY;
  if (pl_key_verify_raw(pk, (const uint8_t *)note, body,
                        mine + PL__KEY_ID_BYTES) != 0)
    return PL_EVERIFY;
  *body_len = body;
  return 0;
}
