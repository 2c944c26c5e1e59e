/*
 * entry.h - what an entry must be on its own: sizes, signatures, a known
 * kind whose fields are well-formed; and the names of kinds and roles.
 *
 * Nothing here reads state, so the same checks serve the server's workers
 * (before the writer sees an entry) and offline verifiers (the CLI, audit
 * bundles). Depends on keys, text, wire and the generated protobuf code;
 * never on LMDB.
 */
#ifndef PL_ENTRY_H
#define PL_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "partsledger/v1/ledger.pb-c.h"

#define PL_ENTRY_MAX 16384         /* largest serialized Entry accepted */
#define PL_SIGNED_ENTRY_MAX 65536  /* largest SignedEntry, cosignatures included */
#define PL_COSIGNATURES_MAX 32
#define PL_DEVICE_PARTS_MAX 64     /* parts one device_registered lists */
#define PL_REQUEST_ID_BYTES 16
#define PL_MSG_MAX 256             /* room for a per-entry error message */

/* A kind's spec: what entry.c knows of it (the list is in kinds.h). */
typedef struct {
  Partsledger__V1__Entry__BodyCase body;
  const char *name;  /* the Entry body field's name: "actor_enrolled" */
  uint32_t roles;    /* bit per Role that may sign it */
} pl_kind_spec;

/* The spec of a body case, or NULL for an unknown one (or none). */
const pl_kind_spec *pl_kind_spec_of(int body_case);

/* The Entry body field's name for a case, "unknown" when not one. */
const char *pl_kind_name(int body_case);

/* "admin", "repair_station", ...; "unspecified" for 0, "unknown" past the
 * list. */
const char *pl_role_name(int role);

/* The Role of a name as pl_role_name spells it; -1 for none. */
int pl_role_parse(const char *name);

/* Checks what can be checked without state: request_id, a known body kind,
 * and the kind's own fields. 0 or PL_EINVAL with `msg` (PL_MSG_MAX) set. */
int pl_entry_check(const Partsledger__V1__Entry *e, char *msg);

/* Everything a SignedEntry must pass before the writer sees it: sizes and key
 * lengths (PL_EINVAL, PL_ETOOBIG), distinct co-signers, no field the server
 * does not know in the unsigned envelope, the entry bytes decode as an Entry
 * whose strings are UTF-8 without NUL and that passes pl_entry_check
 * (PL_EINVAL), and the signature and every co-signature verify (PL_EBADSIG;
 * pl_signed_entry_verify below). The decoded Entry is allocated with
 * `alloc` and returned in *entry. `msg` (PL_MSG_MAX) says what failed. */
int pl_signed_entry_open(const Partsledger__V1__SignedEntry *se,
                         ProtobufCAllocator *alloc, Partsledger__V1__Entry **entry,
                         char *msg);

/* The signatures alone, for whoever checks a stored leaf, the server's or an
 * offline verifier: key and signature lengths, co-signers distinct and other
 * than the author, and the author's and every co-signature over the entry
 * bytes (which need not decode). 0, PL_EINVAL or PL_EBADSIG, with `msg`
 * (PL_MSG_MAX) saying which. */
int pl_signed_entry_verify(const Partsledger__V1__SignedEntry *se, char *msg);

/* Formats `msg` (PL_MSG_MAX) and returns `err`: the way checks answer. */
int pl_fail(char *msg, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* PL_ENTRY_H */
