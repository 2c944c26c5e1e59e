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
#include "entry.h"
#include "error.h"
#include "keys.h"
#include "merkle.h"
#include "partsledger/v1/audit.pb-c.h"
#include "partsledger/v1/ledger.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"
#include "partsledger/v1/warranty.pb-c.h"
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

/* The Inventory and Trace services (inventory.proto, trace.proto): one
 * call each, the request's fields as arguments. */
int pl_client_get_site(pl_client *c, const char *site_id, pl_arena *a,
                       Partsledger__V1__Site **out);
int pl_client_get_batch(pl_client *c, const char *batch_id, pl_arena *a,
                        Partsledger__V1__Batch **out);
int pl_client_get_stock(pl_client *c, const char *site_id, const char *sku,
                        pl_arena *a, Partsledger__V1__GetStockResponse **out);
/* `req` as the caller fills it (sku, point, radius, kinds...). */
int pl_client_stock_near(pl_client *c,
                         const Partsledger__V1__StockNearRequest *req,
                         pl_arena *a, Partsledger__V1__StockNearResponse **out);
int pl_client_get_reservation(pl_client *c, const char *reservation_id,
                              pl_arena *a, Partsledger__V1__Reservation **out);
int pl_client_trace_batch(pl_client *c, const char *batch_id, uint64_t start,
                          uint32_t page_size, int with_proofs, pl_arena *a,
                          Partsledger__V1__TraceBatchResponse **out);
int pl_client_trace_supplier(pl_client *c, const char *supplier_id,
                             uint64_t start, uint32_t page_size, pl_arena *a,
                             Partsledger__V1__TraceSupplierResponse **out);

/* The Warranty service (warranty.proto) and the Trace service's histories
 * (trace.proto): one call each, the request's fields as arguments. Strings
 * are the ids as the entries name them; at_ms 0 means now. */
int pl_client_warranty_status(pl_client *c, const char *device_serial,
                              const char *component, int64_t at_ms,
                              uint64_t usage_reading, pl_arena *a,
                              Partsledger__V1__GetWarrantyStatusResponse **out);
int pl_client_get_device(pl_client *c, const char *device_serial, pl_arena *a,
                         Partsledger__V1__Device **out);
int pl_client_get_repair_order(pl_client *c, const char *order_id, pl_arena *a,
                               Partsledger__V1__RepairOrder **out);
int pl_client_get_claim(pl_client *c, const char *claim_id, pl_arena *a,
                        Partsledger__V1__Claim **out);
/* Orders of `site_id` reported in [from_ms, to_ms). */
int pl_client_station_report(pl_client *c, const char *site_id, int64_t from_ms,
                             int64_t to_ms, pl_arena *a,
                             Partsledger__V1__StationReportResponse **out);
int pl_client_device_history(pl_client *c, const char *device_serial,
                             int with_proofs, pl_arena *a,
                             Partsledger__V1__DeviceHistoryResponse **out);
int pl_client_part_history(pl_client *c, const char *part_serial,
                           int with_proofs, pl_arena *a,
                           Partsledger__V1__PartHistoryResponse **out);
/* page_size 0 means 100, at most 1000; next_start 0 on the last page. */
int pl_client_batch_devices(pl_client *c, const char *batch_id, uint64_t start,
                            uint32_t page_size, pl_arena *a,
                            Partsledger__V1__BatchDevicesResponse **out);

/* The Audit service (audit.proto): one call each, the request's fields as
 * arguments. The bundle is the server's JSON text as bytes (audit.h
 * verifies it). */
int pl_client_export_audit_bundle(pl_client *c, const char *claim_id, pl_arena *a,
                                  Partsledger__V1__ExportAuditBundleResponse **out);
int pl_client_get_panel(pl_client *c, const char *panel_id, pl_arena *a,
                        Partsledger__V1__Panel **out);

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
void pl_request_id_new(uint8_t id[PL_REQUEST_ID_BYTES]);

/* A request_id derived from content instead of the clock: the first 16
 * bytes of SHA-256 over the `n` parts, each preceded by its length (8 bytes,
 * big-endian) so that no two lists of parts run together into the same
 * bytes. For entries that must get the same id each time they are built from
 * the same input, as an import's rows are when it is run again. */
void pl_request_id_derive(const void *const parts[], const size_t lens[],
                          size_t n, uint8_t id[PL_REQUEST_ID_BYTES]);

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

/* ---- the inventory kinds (entry kinds 20-29) ----
 * Arguments in the order of the body's fields in ledger.proto. Enums are
 * the Partsledger__V1__ values (SiteKind, PartClass, AdjustReason); an
 * optional string is "" when left out, as on the wire, and never NULL. */

int pl_build_site_registered(pl_arena *a, const char *site_id, int kind,
                             const char *name, const char *region,
                             double latitude, double longitude, const char *gln,
                             Partsledger__V1__Entry **out);
int pl_build_supplier_registered(pl_arena *a, const char *supplier_id,
                                 const char *name, int certified,
                                 const char *gln, Partsledger__V1__Entry **out);
/* `serials` may be NULL when `n_serials` is 0. */
int pl_build_batch_registered(pl_arena *a, const char *batch_id,
                              const char *supplier_id, const char *sku,
                              const char *gtin, int part_class,
                              uint32_t warranty_months, int64_t produced_at_ms,
                              uint64_t quantity, char *const *serials,
                              size_t n_serials, Partsledger__V1__Entry **out);
int pl_build_stock_received(pl_arena *a, const char *site_id,
                            const char *batch_id, uint64_t quantity,
                            const char *reference,
                            Partsledger__V1__Entry **out);
int pl_build_stock_transferred(pl_arena *a, const char *from_site_id,
                               const char *to_site_id, const char *batch_id,
                               uint64_t quantity, const char *reference,
                               Partsledger__V1__Entry **out);
int pl_build_stock_adjusted(pl_arena *a, const char *site_id,
                            const char *batch_id, int64_t delta, int reason,
                            const char *note, Partsledger__V1__Entry **out);
/* `batch_id` and `repair_order_id` are optional (""). */
int pl_build_part_reserved(pl_arena *a, const char *reservation_id,
                           const char *site_id, const char *sku,
                           uint64_t quantity, const char *batch_id,
                           const char *repair_order_id, int64_t expires_at_ms,
                           Partsledger__V1__Entry **out);
int pl_build_reservation_released(pl_arena *a, const char *reservation_id,
                                  const char *reason,
                                  Partsledger__V1__Entry **out);
int pl_build_reservation_fulfilled(pl_arena *a, const char *reservation_id,
                                   const char *batch_id, uint64_t quantity,
                                   Partsledger__V1__Entry **out);
int pl_build_batch_recalled(pl_arena *a, const char *batch_id,
                            const char *reason, Partsledger__V1__Entry **out);

/* ---- repair orders and warranty (entry kinds 40-48) ----
 * Arguments in the order of the body's fields in ledger.proto. Enums are the
 * Partsledger__V1__ values (Priority, RepairOutcome, ClaimDecision,
 * DecisionReason); an optional string is "" when left out, as on the wire,
 * and never NULL; optional bytes are (NULL, 0). Repeated fields are copied
 * from the caller's array of the body's own element type. */

int pl_build_warranty_policy_published(
    pl_arena *a, const char *policy_id, const char *model,
    uint32_t registration_window_days,
    const Partsledger__V1__ComponentTerm *terms, size_t n_terms,
    uint32_t max_extension_months, Partsledger__V1__Entry **out);
int pl_build_device_registered(pl_arena *a, const char *device_serial,
                               const char *model, const char *policy_id,
                               int64_t purchased_at_ms,
                               const uint8_t *owner_ref, size_t owner_ref_len,
                               const Partsledger__V1__InstalledPart *parts,
                               size_t n_parts, Partsledger__V1__Entry **out);
/* `component` "" extends every component. */
int pl_build_warranty_extended(pl_arena *a, const char *device_serial,
                               const char *component, uint32_t months,
                               const char *contract_ref,
                               Partsledger__V1__Entry **out);
int pl_build_repair_order_opened(pl_arena *a, const char *order_id,
                                 const char *device_serial, const char *site_id,
                                 int priority, const char *fault,
                                 int64_t reported_at_ms, uint64_t usage_reading,
                                 Partsledger__V1__Entry **out);
int pl_build_repair_order_responded(pl_arena *a, const char *order_id,
                                    int64_t responded_at_ms,
                                    Partsledger__V1__Entry **out);
/* `removed_serial` ("" when the device held no part for the component) and
 * `reservation_id` are optional; each evidence hash must be 32 bytes for the
 * server to accept it. */
int pl_build_part_replaced(pl_arena *a, const char *order_id,
                           const char *component, const char *removed_serial,
                           const char *installed_serial,
                           const char *installed_batch_id,
                           const char *reservation_id,
                           const ProtobufCBinaryData *evidence_sha256,
                           size_t n_evidence, Partsledger__V1__Entry **out);
int pl_build_repair_order_closed(pl_arena *a, const char *order_id, int outcome,
                                 int64_t resolved_at_ms, int first_visit_fix,
                                 const uint8_t *acceptance_sha256,
                                 size_t acceptance_len,
                                 Partsledger__V1__Entry **out);
int pl_build_claim_filed(pl_arena *a, const char *claim_id,
                         const char *device_serial, const char *order_id,
                         const char *component, uint64_t usage_reading,
                         int64_t failure_at_ms, const char *description,
                         Partsledger__V1__Entry **out);
int pl_build_claim_decided(pl_arena *a, const char *claim_id, int decision,
                           int reason, const char *note,
                           Partsledger__V1__Entry **out);

/* Adds `k`'s co-signature to `se`: Ed25519 over the same context and entry
 * bytes as the author's signature (pl_entry_sign), so that several keys
 * vouch for one entry (a ruling's panel members). The new co-signature and
 * the grown list live in `a`; the entry bytes are not touched, so the
 * author's signature stays valid. 0, PL_EEXIST when `k` is the author or
 * has co-signed already, PL_EINVAL for an envelope with no entry or already
 * PL_COSIGNATURES_MAX co-signatures, PL_ENOMEM, PL_ECRYPTO. */
int pl_entry_cosign(const pl_key *k, Partsledger__V1__SignedEntry *se, pl_arena *a);

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
