/*
 * client.h - the partsledger client library: synchronous calls over gRPC core.
 *
 * A pl_client holds one channel to a server. Each call blocks until the reply
 * or the deadline (pl_client_set_timeout_ms, default 10 s). Responses are
 * unpacked into the caller's arena and live as long as it does. A pl_client
 * may be used by one thread at a time; open one per thread for parallel use.
 *
 * Every call returns 0 or a negative PL_E* code. When the server answered with
 * an error, the code is the closest PL_E* to its gRPC status, and
 * pl_client_last_status() gives the exact status and the server's message.
 *
 * The library also builds entries (pl_build_*, one builder per kind, in
 * build.c), signs them (pl_entry_build), and verifies what a server returned
 * offline, from a verifier key alone (verify.h, included here): these use no
 * network and no server state.
 *
 * gRPC's own log lines are dropped for the whole process from the first
 * pl_client_open on, unless GRPC_VERBOSITY is set in the environment: the
 * calls report every failure through their codes and pl_client_last_status.
 */
#ifndef PL_CLIENT_H
#define PL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "keys.h"
#include "merkle.h"
#include "partsledger/v1/audit.pb-c.h"
#include "partsledger/v1/ledger.pb-c.h"
#include "verify.h"

typedef struct pl_client pl_client;

/* Connects lazily to `target` ("127.0.0.1:50051", or any gRPC target
 * string). 0, PL_EINVAL for an empty target, or PL_ENOMEM. The first open
 * initializes gRPC; the last close shuts it down. */
int pl_client_open(const char *target, pl_client **out);
void pl_client_close(pl_client *c);

/* Deadline of each call from now on; 0 or less means none. */
void pl_client_set_timeout_ms(pl_client *c, int64_t ms);

/* gRPC status code of the last call (0 = OK) and the server's message (valid
 * until the next call on `c`; "" when none). */
int pl_client_last_status(const pl_client *c, const char **message);

/* Generic unary call: `method` is "/partsledger.v1.Ledger/Append" etc. */
int pl_client_call(pl_client *c, const char *method, const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *resp_desc, pl_arena *a,
                   ProtobufCMessage **resp);

/* The same call with the request given as already packed bytes (the way a
 * benchmark or a fuzzer sends what it wants). */
int pl_client_call_raw(pl_client *c, const char *method, const uint8_t *req,
                       size_t req_len, const ProtobufCMessageDescriptor *resp_desc,
                       pl_arena *a, ProtobufCMessage **resp);

/* Typed wrappers over pl_client_call. */
int pl_client_append(pl_client *c, const Partsledger__V1__SignedEntry *se,
                     pl_arena *a, Partsledger__V1__AppendResponse **out);
int pl_client_append_batch(pl_client *c, Partsledger__V1__SignedEntry **ses,
                           size_t n, pl_arena *a,
                           Partsledger__V1__AppendBatchResponse **out);
int pl_client_get_entry(pl_client *c, uint64_t index, pl_arena *a,
                        Partsledger__V1__EntryResponse **out);
int pl_client_list_entries(pl_client *c, uint64_t start, uint32_t page_size,
                           pl_arena *a, Partsledger__V1__ListEntriesResponse **out);
int pl_client_get_checkpoint(pl_client *c, pl_arena *a,
                             Partsledger__V1__GetCheckpointResponse **out);
int pl_client_get_inclusion_proof(pl_client *c, uint64_t index, uint64_t tree_size,
                                  pl_arena *a,
                                  Partsledger__V1__GetInclusionProofResponse **out);
int pl_client_get_consistency_proof(pl_client *c, uint64_t old_size,
                                    uint64_t new_size, pl_arena *a,
                                    Partsledger__V1__GetConsistencyProofResponse **out);
int pl_client_get_log_info(pl_client *c, pl_arena *a,
                           Partsledger__V1__GetLogInfoResponse **out);
/* grpc.health.v1.Health/Check; *serving = 1 when the server says SERVING. */
int pl_client_health(pl_client *c, int *serving);

/* Follow: calls `fn` for each entry from `start` on, as the server streams
 * them, until `fn` returns non-zero (then 0 is returned), the stream ends, or
 * an error. `fn`'s arena is reset after each entry. Waits for new entries:
 * use a timeout to bound it (the deadline ends it with PL_ECONNECT). */
typedef int (*pl_follow_fn)(void *ctx, const Partsledger__V1__EntryResponse *e);
int pl_client_follow(pl_client *c, uint64_t start, pl_follow_fn fn, void *ctx);

/* A new request_id: the current time in milliseconds (48 bits, big-endian)
 * followed by 80 random bits, like a UUIDv7. The server takes any 16 bytes,
 * but ids that grow with time land at the end of its idempotency index, so
 * each append rewrites one page there instead of a random one. */
void pl_request_id_new(uint8_t id[16]);

/* occurred_at_ms that pl_entry_build leaves out (0 on the wire) instead of
 * filling with the clock: for entries that must come out the same bytes
 * when built again (a retry under the same request_id, an import rerun). */
#define PL_OCCURRED_UNSET INT64_MIN

/* Builds a SignedEntry from `e`: fills a new request_id (pl_request_id_new) when
 * e->request_id is empty and occurred_at_ms when it is 0, packs the Entry,
 * signs it with `k`. Everything lives in `a`. 0, PL_ENOMEM, or PL_ECRYPTO when
 * signing fails. */
int pl_entry_build(const pl_key *k, Partsledger__V1__Entry *e, pl_arena *a,
                   Partsledger__V1__SignedEntry **out);

/* Adds `k`'s co-signature to `se`: Ed25519 over the same context and entry
 * bytes as the author's signature (pl_entry_sign), so that several keys
 * vouch for one entry (a ruling's panel members). The new co-signature and
 * the grown list live in `a`; the entry bytes are not touched, so the
 * author's signature stays valid. 0, PL_EEXIST when `k` is the author or
 * has co-signed already, PL_EINVAL for an envelope with no entry or already
 * PL_COSIGNATURES_MAX co-signatures, PL_ENOMEM, PL_ECRYPTO. */
int pl_entry_cosign(const pl_key *k, Partsledger__V1__SignedEntry *se, pl_arena *a);

/* The Audit service (audit.proto). The bundle is the server's JSON text as
 * bytes (audit.h verifies it). */
int pl_client_export_audit_bundle(pl_client *c, const char *claim_id, pl_arena *a,
                                  Partsledger__V1__ExportAuditBundleResponse **out);
int pl_client_get_panel(pl_client *c, const char *panel_id, pl_arena *a,
                        Partsledger__V1__Panel **out);

/* ---- entry builders (build.c) ----
 * Each returns a new Entry of one kind, in `a` with everything it points to
 * (the arguments are copied), ready for pl_entry_build: request_id and
 * occurred_at_ms are left empty for it to fill, or for the caller to set
 * first. They check only what the Entry cannot represent (PL_EINVAL for a
 * NULL string or key); the kind's own rules (name length, printable text,
 * sites per role) are pl_entry_check's and the server's, so that they are
 * written once. 0, PL_EINVAL or PL_ENOMEM; *out is NULL on failure. */

/* actor_enrolled: `pk` may sign as `role` (a
 * Partsledger__V1__Role, see pl_role_parse) under `name`, at the
 * `n_site_ids` sites listed (site_ids may be NULL when there are none). */
int pl_build_actor_enrolled(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES], int role,
                            const char *name, char *const *site_ids,
                            size_t n_site_ids, Partsledger__V1__Entry **out);

/* actor_revoked: `pk` may sign nothing from now on; `reason` may be "" but
 * not NULL. */
int pl_build_actor_revoked(pl_arena *a, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                           const char *reason, Partsledger__V1__Entry **out);

/* ---- arbitration ---- */

/* panel_constituted: the `n_members` arbiters' public keys, of whom `quorum`
 * must sign a ruling. */
int pl_build_panel_constituted(pl_arena *a, const char *panel_id, const char *name,
                               const uint8_t (*members)[PL_PUBLIC_KEY_BYTES],
                               size_t n_members, uint32_t quorum,
                               Partsledger__V1__Entry **out);

/* dispute_opened: claim `claim_id` goes to panel `panel_id` on `grounds`,
 * with the SHA-256 of `n_evidence` documents (evidence may be NULL when
 * there are none). */
int pl_build_dispute_opened(pl_arena *a, const char *claim_id, const char *panel_id,
                            const char *grounds, const uint8_t (*evidence)[32],
                            size_t n_evidence, Partsledger__V1__Entry **out);

/* arbitration_ruled: `ruling` is a Partsledger__V1__Ruling; `reasoning` and
 * `remedy` may be "" but not NULL. It needs co-signatures to reach the
 * panel's quorum (pl_entry_cosign). */
int pl_build_arbitration_ruled(pl_arena *a, const char *claim_id, int ruling,
                               const char *reasoning, const char *remedy,
                               Partsledger__V1__Entry **out);

#endif /* PL_CLIENT_H */
