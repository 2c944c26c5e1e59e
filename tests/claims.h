/*
 * claims.h - what the arbitration and audit integration tests share
 * (test_arbitration.c, test_audit.c): a world of actors on a real server
 * (the inventory world of inv.h, plus arbiters and a second repair
 * station), builders of the repair and warranty entries with sensible
 * defaults, the arbitration entries through the client library's builders,
 * and the Warranty and Audit queries as gRPC status codes.
 *
 * Times are relative to the clock when a world starts: a device bought ten
 * days ago, orders reported an hour ago, failures two hours ago, all well
 * inside every term, so that a test changes only what it is about.
 *
 * Depends on inv.h (the world, its sites and supplier, inv_append and the
 * CHECK_STATUS macros), env.h and test.h.
 */
#ifndef PL_TEST_CLAIMS_H
#define PL_TEST_CLAIMS_H

#include <stdint.h>

#include "inv.h"
#include "partsledger/v1/audit.pb-c.h"
#include "partsledger/v1/warranty.pb-c.h"

#define CL_POLICY "pol-fridge-2025"
#define CL_MODEL "Fridge 3000"
#define CL_COMPRESSOR "compressor"
#define CL_FAN "fan"
#define CL_BATCH_COMP "b-comp-1"   /* compressors fitted at the factory */
#define CL_BATCH_FAN "b-fan-1"     /* fans fitted at the factory */
#define CL_BATCH_SPARE "b-comp-2"  /* spare compressors, stocked at SITE_C */
#define CL_BATCH_FAN2 "b-fan-2"    /* spare fans, stocked at SITE_C */
#define CL_SKU_COMP "SKU-COMP"
#define CL_SKU_FAN "SKU-FAN"
#define CL_ARBITERS 4

typedef struct {
  inv_world w;       /* maker, clerk, station (SITE_C), other, auditor */
  pl_key *station2;  /* a repair station bound to SITE_B only */
  pl_key *arb[CL_ARBITERS]; /* enrolled arbiters */
  int64_t t0;        /* the clock when the world started */
} cl_world;

/* Starts the inventory world, enrolls the arbiters and station2, registers
 * the batches above, stocks spares at SITE_C and publishes CL_POLICY
 * (compressor 24 months or 5000 hours, fan 12 months; registration within
 * 30 days; extensions up to 12 months). 0, or -1 after saying which step
 * failed. */
int cl_world_start(cl_world *w);
void cl_world_stop(cl_world *w);

/* Enrolls a new key as `role` under `name`, bound to the NULL-terminated
 * `sites` (may be NULL), signed by the admin. With `path` the key is made
 * as a key file there (for the CLI). The key, or NULL after saying why. */
pl_key *cl_enroll(cl_world *w, int role, const char *const *sites, const char *name,
                  const char *path);

/* Wraps any Entry body (by its descriptor) in an Entry and signs it with
 * `k`. NULL for a message that is no body, or on failure. */
Partsledger__V1__SignedEntry *cl_sign(pl_arena *a, const pl_key *k,
                                      const ProtobufCMessage *body);

/* Appends `body` signed by `k`: the gRPC status, the index in *index when
 * not NULL. */
int cl_put(cl_world *w, const pl_key *k, const ProtobufCMessage *body, uint64_t *index);
/* Appends a signed entry, the same way. */
int cl_send(cl_world *w, const Partsledger__V1__SignedEntry *se, uint64_t *index);

/* --- bodies (strings are not copied) ------------------------------------- */
Partsledger__V1__WarrantyPolicyPublished *cl_policy_body(pl_arena *a, const char *policy_id);
/* A CL_MODEL device under CL_POLICY bought `purchased_at`, with a compressor
 * of CL_BATCH_COMP and a fan of CL_BATCH_FAN. */
Partsledger__V1__DeviceRegistered *cl_device_body(pl_arena *a, const char *serial,
                                                  int64_t purchased_at,
                                                  const char *compressor,
                                                  const char *fan);
Partsledger__V1__WarrantyExtended *cl_extended_body(pl_arena *a, const char *serial,
                                                    const char *component, uint32_t months);
Partsledger__V1__RepairOrderOpened *cl_order_body(pl_arena *a, const char *order_id,
                                                  const char *serial, const char *site_id,
                                                  int64_t reported_at, uint64_t reading);
Partsledger__V1__RepairOrderResponded *cl_responded_body(pl_arena *a, const char *order_id,
                                                         int64_t at);
Partsledger__V1__PartReplaced *cl_replaced_body(pl_arena *a, const char *order_id,
                                                const char *component, const char *removed,
                                                const char *installed, const char *batch_id,
                                                const char *reservation_id);
Partsledger__V1__RepairOrderClosed *cl_closed_body(pl_arena *a, const char *order_id,
                                                   int64_t at);
Partsledger__V1__ClaimFiled *cl_claim_body(pl_arena *a, const char *claim_id,
                                           const char *serial, const char *order_id,
                                           const char *component, int64_t failure_at,
                                           uint64_t reading);
Partsledger__V1__ClaimDecided *cl_decided_body(pl_arena *a, const char *claim_id,
                                               int decision, int reason);

/* --- steps ---------------------------------------------------------------- */

/* Registers device `serial` (bought ten days ago, parts "<serial>-C" and
 * "<serial>-F"), opens order `order` for it at SITE_C, responds to it,
 * files claim `claim` on its compressor and, when `reason` is not 0,
 * decides it: REJECTED for `reason`, or APPROVED for IN_TERM or GOODWILL.
 * 0 or the first failing status (after saying which step on stderr). */
int cl_claim(cl_world *w, const char *serial, const char *order, const char *claim,
             int reason);

/* Constitutes `panel_id` of the first `n` arbiters (or of `members` when
 * not NULL) with `quorum`, signed by the admin: the status. */
int cl_panel(cl_world *w, const char *panel_id, pl_key *const *members, size_t n,
             uint32_t quorum);

/* Opens a dispute of `claim` before `panel_id`, signed by `k`. */
int cl_dispute(cl_world *w, const pl_key *k, const char *claim, const char *panel_id);

/* A ruling on `claim` signed by `author` and co-signed by the `n` keys of
 * `cosigners`, in `a`; NULL on failure. */
Partsledger__V1__SignedEntry *cl_ruling(pl_arena *a, const pl_key *author,
                                        pl_key *const *cosigners, size_t n,
                                        const char *claim, int ruling);

/* Revokes `k`, signed by the admin: the status. */
int cl_revoke(cl_world *w, const pl_key *k);

/* --- queries, as gRPC status codes; replies live in w->w.e.a ------------- */
int cl_get_claim(cl_world *w, const char *claim_id, Partsledger__V1__Claim **out);
int cl_status(cl_world *w, const char *serial, const char *component, int64_t at,
              Partsledger__V1__GetWarrantyStatusResponse **out);
int cl_report(cl_world *w, const char *site_id, int64_t from, int64_t to,
              Partsledger__V1__StationReportResponse **out);
int cl_get_panel(cl_world *w, const char *panel_id, Partsledger__V1__Panel **out);

/* --- the CLI ---------------------------------------------------------------- */

/* Runs PL_CLI_BIN with --server pointing at the world's server and the
 * arguments given (NULL-terminated): its exit status, its stdout and stderr
 * (either may be NULL) in the world's arena. */
int cl_cli(cl_world *w, const char **out, const char **err, const char *first, ...);

/* A path in the server's temporary directory, removed with it. */
const char *cl_path(cl_world *w, const char *name);

/* The world's env, short. */
#define CL_ENV(world) (&(world)->w.e)

#endif /* PL_TEST_CLAIMS_H */
