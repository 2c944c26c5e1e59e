/*
 * audit_private.h - what the two halves of the bundle verifier share: the
 * context of one verification, the verdict of each check, and the words of
 * messages. Private to client/audit.c (the document, the checkpoint and
 * manifest, proofs, leaves, signatures) and client/audit_rules.c (what the
 * entries say: signers, references, quorum, warranty, decision).
 */
#ifndef PL_AUDIT_PRIVATE_H
#define PL_AUDIT_PRIVATE_H

#include <stdint.h>

#include "audit.h"
#include "partsledger/v1/warranty.pb-c.h"

/* The failures of one check: how many, and the first in words. */
typedef struct {
  size_t n;
  char first[PL_VERDICT_MAX];
} pl__audit_fails;

typedef struct {
  pl_audit_report *r;
  pl_arena *a;
  const char *vkey;
  uint8_t log_key[PL_PUBLIC_KEY_BYTES];
  /* The checkpoint, as far as it parsed (have_cp), and whether the given
   * key signed it (cp_signed): only then does a proof against its root
   * show anything. */
  int have_cp, cp_signed;
  uint64_t cp_size;
  uint8_t root[PL_HASH_BYTES];
  /* Per entry, from the document: its proof and tlog-proof texts. */
  const char ***proof_b64;  /* each a NULL-terminated list */
  size_t *n_proof;
  const char **tlog;
  const char **leaf_b64;
  /* Per entry, why its leaf bytes could not be had ("its leaf is not
   * base64"); NULL when entries[i].leaf holds them. */
  const char **leaf_err;
  /* The entries in log order (by index), for the checks that need it. */
  pl_audit_entry **order;
} pl__audit_ctx;

/* Sets a check's verdict. */
void pl__audit_set(pl_audit_report *r, pl_audit_check_id id, pl_audit_result res,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Counts a failure of a check, keeping the first in words. */
void pl__audit_fail(pl__audit_fails *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Ends a check: FAILED with the first failure (and how many more), or
 * holds with `ok`. */
void pl__audit_end(pl_audit_report *r, pl_audit_check_id id, const pl__audit_fails *f,
                   const char *ok);
/* A log time in ISO 8601 UTC, a key's short tag, an enum value's name
 * without its prefix, and "entry N (kind)": in the arena, for messages. */
const char *pl__audit_time(pl_arena *a, int64_t ms);
const char *pl__audit_tag(pl_arena *a, const uint8_t *pk);
const char *pl__audit_enum(const ProtobufCEnumDescriptor *d, int value, size_t prefix);
const char *pl__audit_what(pl_arena *a, const pl_audit_entry *e);

#define PL__REASON(v)                                                          \
  pl__audit_enum(&partsledger__v1__decision_reason__descriptor, (v),           \
                 sizeof("DECISION_REASON_") - 1)
#define PL__DECISION(v)                                                        \
  pl__audit_enum(&partsledger__v1__claim_decision__descriptor, (v),            \
                 sizeof("CLAIM_DECISION_") - 1)
#define PL__RULING(v)                                                          \
  pl__audit_enum(&partsledger__v1__ruling__descriptor, (v), sizeof("RULING_") - 1)

/* The checks of what entries say (audit_rules.c). */
void pl__audit_signers(pl__audit_ctx *x);
void pl__audit_references(pl__audit_ctx *x);
void pl__audit_quorum(pl__audit_ctx *x);
void pl__audit_story(pl__audit_ctx *x);
void pl__audit_warranty(pl__audit_ctx *x);
void pl__audit_decision(pl__audit_ctx *x);

#endif /* PL_AUDIT_PRIVATE_H */
