/*
 * tlogproof.h - the C2SP tlog-proof text (c2sp.org/tlog-proof): one leaf's
 * inclusion proof with the checkpoint it leads to, in the form the server
 * writes into audit bundles and `partsledger prove --tlog-proof` prints:
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]            never written here; refused by the parse
 *   index <N>                   decimal, no leading zeros
 *   <base64 hash>               zero or more, from the leaf's sibling up
 *   <empty line>
 *   <the checkpoint note, verbatim>
 *
 * Part of pl_entry, so that the server and offline verifiers share one
 * writer and one reader. Depends on arena, keys (base64), merkle and note
 * (numbers and hashes as notes write them).
 */
#ifndef PL_TLOGPROOF_H
#define PL_TLOGPROOF_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "merkle.h"

#define PL_TLOG_PROOF_HEAD "c2sp.org/tlog-proof@v1"

typedef struct {
  uint64_t index;
  pl_hash *hashes;        /* in the arena given to the parse */
  size_t n;
  const char *checkpoint; /* points into the parsed text, to its end */
} pl_tlog_proof;

/* Writes the proof of leaf `index` as tlog-proof text into the arena
 * (NUL-terminated). `checkpoint` is the note, verbatim. 0, PL_EINVAL (more
 * than PL_MERKLE_MAX_PROOF hashes) or PL_ENOMEM. */
int pl_tlog_proof_format(uint64_t index, const pl_hash *hashes, size_t n,
                         const char *checkpoint, pl_arena *a, char **out);

/* Parses tlog-proof text (NUL-terminated). Checks the format only, not the
 * proof. 0, or PL_EINVAL with `why` (PL_MSG_MAX bytes) naming the line at
 * fault, or PL_ENOMEM. An `extra` line is refused: partsledger's proofs
 * carry none, and what it would say is not authenticated. */
int pl_tlog_proof_parse(const char *text, pl_arena *a, pl_tlog_proof *out,
                        char *why);

#endif /* PL_TLOGPROOF_H */
