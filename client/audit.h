/*
 * audit.h - offline verification of audit bundles (README, "Audit
 * bundles"). The C2SP tlog-proof text their entries carry is tlogproof.h's,
 * included here.
 *
 * pl_audit_verify takes a bundle as ExportAuditBundle gave it and the log's
 * verifier key the caller trusts, and runs every check the format defines,
 * each with a verdict of its own: the checkpoint and the manifest, every
 * proof, every leaf and signature, every signer's authority, every
 * reference, the quorum of a ruling, and the warranty status at the failure
 * computed from the bundled entries alone (rules.h) against the decision.
 * What it decoded on the way (the entries, the claim's story, the panel)
 * stays in the report for whoever shows it (the CLI's `audit report`).
 *
 * Part of the client library (pl_client); no network, no LMDB. Depends on
 * the storage/ headers (entry, kinds, keys, merkle, note, rules, tlogproof),
 * verify.h, and cJSON inside audit.c only.
 */
#ifndef PL_AUDIT_H
#define PL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "merkle.h"
#include "partsledger/v1/ledger.pb-c.h"
#include "rules.h"
#include "tlogproof.h"
#include "verify.h"

#define PL_AUDIT_MEDIA_TYPE "application/vnd.partsledger.audit-bundle.v1+json"
#define PL_AUDIT_MANIFEST_HEAD "partsledger/v1/audit-manifest"
/* Bundles larger than this, or of more entries, are refused as not bundles:
 * a claim's closure of a few hundred leaves is well under a megabyte, and
 * the checks that look entries up by id cost the square of their number,
 * which a hostile bundle must not get to choose. */
#define PL_AUDIT_BUNDLE_MAX (16u << 20)
#define PL_AUDIT_ENTRIES_MAX 10000

/* The checks, in the order they run and are reported:
 * XX(ID, name, what it checks) */
#define PL_AUDIT_CHECK_LIST(XX)                                                \
  XX(DOCUMENT, "document", "strict JSON of the bundle's media type")          \
  XX(CHECKPOINT, "checkpoint", "signed by the verifier key, and the bundle's") \
  XX(MANIFEST, "manifest", "signed by the log; names exactly these entries")  \
  XX(PROOFS, "proofs", "every inclusion proof and tlog-proof")                \
  XX(LEAVES, "leaves", "every leaf decodes as the entry its kind says")       \
  XX(SIGNATURES, "signatures", "every author signature and co-signature")     \
  XX(SIGNERS, "signers", "enrolled with a role the kind allows, unrevoked")  \
  XX(REFERENCES, "references", "every id's defining entry is bundled")       \
  XX(QUORUM, "quorum", "each ruling signed by a quorum of its panel")         \
  XX(WARRANTY, "warranty", "the warranty status at the failure")              \
  XX(DECISION, "decision", "the decision agrees with that status")

typedef enum {
#define PL__AUDIT_ENUM(ID, name, what) PL_AUDIT_##ID,
  PL_AUDIT_CHECK_LIST(PL__AUDIT_ENUM)
#undef PL__AUDIT_ENUM
  PL_AUDIT_N_CHECKS
} pl_audit_check_id;

typedef enum {
  PL_AUDIT_HOLDS = 0,
  PL_AUDIT_FAILS,
  PL_AUDIT_SKIPPED, /* could not be judged: an earlier check found no input,
                     * or none that the given key vouches for */
} pl_audit_result;

typedef struct {
  const char *name;      /* "checkpoint" */
  const char *what;      /* what it checks, in words */
  pl_audit_result result;
  char reason[PL_VERDICT_MAX]; /* what it found, held or not */
} pl_audit_check;

/* One bundled entry, as far as it decoded. */
typedef struct {
  uint64_t index;
  const char *kind;          /* as the bundle names it */
  const uint8_t *leaf;       /* the decoded leaf bytes; NULL when not base64 */
  size_t leaf_len;
  int proven;                /* its inclusion proof and tlog-proof hold, to a
                              * checkpoint the given key signed */
  /* NULL when the leaf or its entry does not decode: */
  const Partsledger__V1__Leaf *l;
  const Partsledger__V1__SignedEntry *se;
  const Partsledger__V1__Entry *entry;
  int64_t at_ms;             /* Leaf.integrated_at_ms: the log time */
  /* The author, from the bundled enrollment of its key: */
  int by_log_key;            /* the genesis leaf, signed by the log key */
  int author_role;           /* a Role, 0 when not enrolled in the bundle */
  const char *author_name;   /* NULL when not enrolled in the bundle */
} pl_audit_entry;

/* A panel member, and what became of its signature on the ruling. */
typedef struct {
  const uint8_t *key;        /* PL_PUBLIC_KEY_BYTES */
  const char *name;          /* from its bundled enrollment, or NULL */
  int signed_as;             /* 0 did not sign, 1 author, 2 co-signer */
  int counted;               /* towards the quorum */
  const char *why;           /* why it did not count, or "" */
} pl_audit_member;

typedef struct {
  int code; /* 0 every check holds, PL_EVERIFY one fails or could not be
             * judged, PL_EINVAL not a bundle (or not a verifier key),
             * PL_ENOMEM */
  pl_audit_check checks[PL_AUDIT_N_CHECKS];

  /* What the bundle says, valid until pl_audit_report_destroy; NULL or 0
   * where it does not say it. */
  const char *claim_id, *origin, *verifier_key, *checkpoint, *manifest;
  uint64_t tree_size;
  pl_audit_entry *entries;   /* in bundle order */
  size_t n_entries;

  /* The claim's story, pointing into `entries` (NULL when not bundled). */
  const pl_audit_entry *claim, *decision, *dispute, *ruling, *panel;
  const pl_audit_entry *device, *policy; /* its registration and policy */
  pl_audit_member *members;  /* of the ruling's panel */
  size_t n_members;
  uint32_t quorum, counted;

  /* The warranty status of the claim's device and component at its
   * failure, with its reading, from the entries logged before its decision
   * (those the ledger judged the decision by; all of them when it was not
   * decided): `status_facts` entries, up to index `status_before`. */
  int have_status;
  pl_rule_verdict status;
  size_t status_facts;
  uint64_t status_before;
  /* The same judgment from every bundled entry: what the ledger says at the
   * checkpoint, after later rulings and replacements. */
  pl_rule_verdict status_now;

  pl_arena *arena; /* owns all of the above */
} pl_audit_report;

/* Verifies the bundle of `len` bytes (`bundle_json` need not be
 * NUL-terminated) against `vkey`, the log's verifier key as the caller
 * knows it (the bundle's own verifier_key must be that key). Fills *out,
 * which the caller releases with pl_audit_report_destroy whatever the
 * result, and returns out->code:
 *   0           every check holds;
 *   PL_EVERIFY  a check fails (its reason says why) or could not be judged;
 *   PL_EINVAL   the input is not a bundle: not strict JSON, another media
 *               type, a field missing or of the wrong type (checks[0]
 *               says which), or `vkey` is not a verifier key;
 *   PL_ENOMEM. */
int pl_audit_verify(const char *bundle_json, size_t len, const char *vkey,
                    pl_audit_report *out) __attribute__((warn_unused_result));

/* Frees what the report holds; the struct itself is the caller's. */
void pl_audit_report_destroy(pl_audit_report *r);

/* "holds", "FAILED", "skipped". */
const char *pl_audit_result_name(pl_audit_result r);

#endif /* PL_AUDIT_H */
