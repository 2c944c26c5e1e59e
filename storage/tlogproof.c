/*
 * tlogproof.c - the C2SP tlog-proof text; see tlogproof.h.
 *
 * One writer for the server's audit bundles and the CLI's `prove
 * --tlog-proof`, one strict reader for the verifier: the bytes a bundle
 * carries are the bytes `prove` prints. May depend on: arena, entry
 * (pl_fail), error, keys, merkle, note.
 */
#include "tlogproof.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "error.h"
#include "keys.h"
#include "note.h"

#define PL__B64_HASH 44 /* base64 of 32 bytes */

int pl_tlog_proof_format(uint64_t index, const pl_hash *hashes, size_t n,
                         const char *checkpoint, pl_arena *a, char **out) {
  *out = NULL;
  if (n > PL_MERKLE_MAX_PROOF)
    return PL_EINVAL;
  size_t cap = sizeof(PL_TLOG_PROOF_HEAD) + 32 + n * (PL__B64_HASH + 1) + 1 +
               strlen(checkpoint) + 1;
  char *s = pl_arena_alloc(a, cap);
  if (s == NULL)
    return PL_ENOMEM;
  int w = snprintf(s, cap, "%s\nindex %" PRIu64 "\n", PL_TLOG_PROOF_HEAD, index);
  for (size_t i = 0; i < n; i++) {
    if (pl_base64_encode(hashes[i], PL_HASH_BYTES, s + w, cap - (size_t)w) < 0)
      return PL_EINVAL;
    w += PL__B64_HASH;
    s[w++] = '\n';
  }
  snprintf(s + w, cap - (size_t)w, "\n%s", checkpoint);
  *out = s;
  return 0;
}

/* The line that starts at `p`: its start and length (without its '\n') in
 * *line and *len; the next line's start, or NULL when no '\n' ends it. */
static const char *pl__line(const char *p, const char **line, size_t *len) {
  const char *nl = strchr(p, '\n');
  if (nl == NULL)
    return NULL;
  *line = p;
  *len = (size_t)(nl - p);
  return nl + 1;
}

int pl_tlog_proof_parse(const char *text, pl_arena *a, pl_tlog_proof *out,
                        char *why) {
  const char *line;
  size_t len;
  memset(out, 0, sizeof(*out));
  const char *p = pl__line(text, &line, &len);
  if (p == NULL || len != strlen(PL_TLOG_PROOF_HEAD) ||
      memcmp(line, PL_TLOG_PROOF_HEAD, len) != 0)
    return pl_fail(why, PL_EINVAL, "the first line is not %s", PL_TLOG_PROOF_HEAD);
  const char *q = pl__line(p, &line, &len);
  if (q != NULL && len >= 6 && memcmp(line, "extra ", 6) == 0)
    return pl_fail(why, PL_EINVAL, "it has an extra line, which partsledger's "
                                   "proofs never carry");
  if (q == NULL || len < 6 || memcmp(line, "index ", 6) != 0 ||
      pl_note_decimal(line + 6, len - 6, &out->index) != 0)
    return pl_fail(why, PL_EINVAL, "the second line is not \"index N\" (decimal, no "
                                   "leading zeros)");
  p = q;
  out->hashes = pl_arena_alloc(a, sizeof(pl_hash) * PL_MERKLE_MAX_PROOF);
  if (out->hashes == NULL)
    return PL_ENOMEM;
  for (;;) {
    if ((q = pl__line(p, &line, &len)) == NULL)
      return pl_fail(why, PL_EINVAL, "the proof is not ended by an empty line");
    p = q;
    if (len == 0)
      break;
    if (out->n == PL_MERKLE_MAX_PROOF)
      return pl_fail(why, PL_EINVAL, "over %d hashes", PL_MERKLE_MAX_PROOF);
    if (pl_note_hash(line, len, out->hashes[out->n]) != 0)
      return pl_fail(why, PL_EINVAL, "hash line %zu is not a base64 SHA-256 hash",
                     out->n + 1);
    out->n++;
  }
  out->checkpoint = p;
  return 0;
}
