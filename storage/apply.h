/*
 * apply.h - applies one entry to the derived state: the signer's authority,
 * then the kind's rules, then its effects. log.c calls it for every entry
 * it appends and for every leaf it replays in a rebuild.
 *
 * Depends on the state modules (state/state.h) and entry.h.
 */
#ifndef PL_APPLY_H
#define PL_APPLY_H

#include "arena.h"
#include "keys.h"
#include "state/state.h"

/* The version of the derived tables' layout and rules. A data directory
 * whose derived state is of an older version is rebuilt from its leaves
 * before it is served. Raise it with every change to what a kind writes. */
#define PL_DERIVED_VERSION 3

/* Checks the entry against the state, writing nothing: the signer must be
 * enrolled, not revoked, and of a role that may write the kind (not asked
 * of the genesis leaf), then the kind's own rules. 0, or the code with
 * a->msg set. a->author is filled on the way. */
int pl_apply_check(pl_apply *a);

/* Writes what the entry changes, after pl_apply_check passed. A failure
 * here is a storage failure (the transaction holds half an entry) and
 * fails the whole transaction. */
int pl_apply_write(pl_apply *a);

/* The genesis leaf's entry: the log key enrolls the first admin. Signed
 * with `log_key`; everything lives in `arena`. */
int pl_apply_genesis(const pl_key *log_key, const uint8_t admin[PL_PUBLIC_KEY_BYTES],
                     int64_t now_ms, pl_arena *arena,
                     Partsledger__V1__SignedEntry **se, Partsledger__V1__Entry **entry);

#endif /* PL_APPLY_H */
