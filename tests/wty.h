/*
 * wty.h - what the repair and warranty integration tests share: a real
 * partsledgerd (env.h) with the actors a repair network needs already
 * enrolled, one function per entry kind that signs and appends one entry,
 * typed wrappers over the Warranty and Trace queries, and calendar times
 * built in the test itself, so that an expected deadline or term end is not
 * computed by the code under test.
 *
 * Every entry helper returns the gRPC status of its append (0 = appended);
 * the server's message and the appended leaf's index are kept in the
 * fixture (w->msg, w->index). Query helpers return the gRPC status too, and
 * their responses live in the fixture's arena until wty_stop().
 *
 * Depends on env.h (harness and client), test.h for CHECK_CODE.
 */
#ifndef PL_TEST_WTY_H
#define PL_TEST_WTY_H

#include <grpc/status.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "partsledger/v1/inventory.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"
#include "partsledger/v1/warranty.pb-c.h"
#include "test.h"

/* Shorter names for the enums the tests compare against. */
#define ST_ACTIVE PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_ACTIVE
#define ST_EXPIRED PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_EXPIRED
#define ST_VOID PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_VOID
#define ST_NOT_REGISTERED PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_REGISTERED
#define ST_LATE PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_LATE_REGISTRATION
#define ST_USAGE PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_USAGE_EXCEEDED
#define ST_NOT_COVERED PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_COVERED

#define P1 PARTSLEDGER__V1__PRIORITY__PRIORITY_P1
#define P2 PARTSLEDGER__V1__PRIORITY__PRIORITY_P2
#define P3 PARTSLEDGER__V1__PRIORITY__PRIORITY_P3

#define OUT_FIXED PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_FIXED
#define OUT_NOT_FIXED PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_NOT_FIXED
#define OUT_REPLACED PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_DEVICE_REPLACED
#define OUT_CANCELLED PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_CANCELLED

#define APPROVED PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_APPROVED
#define REJECTED PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED

#define R_IN_TERM PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_IN_TERM
#define R_GOODWILL PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_GOODWILL
#define R_OUT_OF_TERM PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_OUT_OF_TERM
#define R_USAGE PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_USAGE_EXCEEDED
#define R_NOT_REGISTERED PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_NOT_REGISTERED
#define R_LATE PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_LATE_REGISTRATION
#define R_NOT_COVERED PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_NOT_COVERED
#define R_HUMAN_DAMAGE PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_HUMAN_DAMAGE
#define R_UNAUTHORIZED \
  PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_UNAUTHORIZED_MODIFICATION
#define R_OTHER PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_OTHER

#define SLA_MET PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_MET
#define SLA_BREACHED PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_BREACHED
#define SLA_PENDING PARTSLEDGER__V1__SLA_STATUS__SLA_STATUS_PENDING

#define ORIGINAL PARTSLEDGER__V1__PART_CLASS__PART_CLASS_ORIGINAL
#define ALTERNATIVE PARTSLEDGER__V1__PART_CLASS__PART_CLASS_CERTIFIED_ALTERNATIVE

#define OK GRPC_STATUS_OK
#define INVALID GRPC_STATUS_INVALID_ARGUMENT
#define DENIED GRPC_STATUS_PERMISSION_DENIED
#define NOT_FOUND GRPC_STATUS_NOT_FOUND
#define EXISTS GRPC_STATUS_ALREADY_EXISTS
#define PRECONDITION GRPC_STATUS_FAILED_PRECONDITION

#define HOUR (3600000LL)
#define DAY (86400000LL)

/* The network every test starts from:
 *   sites S1 and S2 (repair stations), supplier SUP;
 *   mfr  a manufacturer;
 *   st1  a repair station bound to S1, st2 one bound to S2;
 *   wh   a warehouse bound to S1. */
typedef struct {
  env e;
  const pl_key *admin;
  pl_key *mfr, *st1, *st2, *wh;
  uint64_t index;  /* the leaf of the last entry appended */
  char msg[1024];  /* the server's message of the last append */
  /* wty_collect(): entries kept for one AppendBatch instead of appended */
  int collecting;
  Partsledger__V1__SignedEntry *pending[64];
  size_t n_pending;
} wty;

/* Starts the server and enrolls the network above. 0 or -1. */
int wty_start(wty *w);
void wty_stop(wty *w);
/* Stops the server (SIGTERM), starts it again and reconnects. 0 or -1. */
int wty_restart(wty *w);
/* Stops the server, runs `partsledgerd --rebuild` on its data (the derived
 * state recomputed from the leaves alone), starts it again and reconnects.
 * 0 or -1. */
int wty_rebuild(wty *w);

/* From now on the entry helpers sign their entry and keep it (returning
 * 0) instead of appending it; wty_send() appends what was kept in one
 * AppendBatch, sets codes[i] to each entry's status (up to `cap` of them)
 * and *n to how many there were, and stops collecting. 0, or the call's
 * own gRPC status. */
void wty_collect(wty *w);
int wty_send(wty *w, int *codes, size_t cap, size_t *n);

/* gRPC status names, for messages. */
const char *wty_code_name(int code);

/* Fails the case when `expr` (a gRPC status) is not `want`, printing both
 * and the server's message. */
#define CHECK_CODE(w, expr, want)                                              \
  do {                                                                         \
    int pl__got = (expr), pl__want = (want);                                   \
    if (pl__got != pl__want) {                                                 \
      fprintf(stderr, "%s:%d: %s: got %s, want %s (server: %s)\n", __FILE__,   \
              __LINE__, #expr, wty_code_name(pl__got), wty_code_name(pl__want), \
              (w)->msg);                                                       \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* ---- time, computed here ---- */

int64_t wty_now(void);
/* y-m-d hh:mm UTC in unix milliseconds. */
int64_t wty_civil(int64_t y, unsigned m, unsigned d, unsigned hh, unsigned mm);
/* The civil date of `ms`. */
void wty_date(int64_t ms, int64_t *y, unsigned *m, unsigned *d);
/* 0 Monday .. 6 Sunday. */
int wty_weekday(int64_t ms);
int wty_leap(int64_t y);
/* `ms` plus `n` calendar months (n may be negative), the day clamped to the
 * month's end and the time of day kept: written here again, apart from
 * storage/caltime.c, so that the tests do not check the server against
 * itself. */
int64_t wty_add_months(int64_t ms, int n);
/* 10:00 UTC on the 15th of the month `k` months before the current one:
 * a purchase "k months ago" that no month end clamps. */
int64_t wty_mid_month_ago(int k);

/* ---- actors and inventory ---- */

/* A new key enrolled by the admin with `role`, bound to `site` (NULL: none). */
int wty_enroll(wty *w, int role, const char *site, pl_key **out);
int wty_site(wty *w, const char *site_id);
int wty_supplier(wty *w, const char *supplier_id);
/* A batch of supplier SUP, signed by the manufacturer. `serials` may be
 * NULL with n_serials 0. */
int wty_batch(wty *w, const char *batch_id, const char *sku, int part_class,
              uint32_t warranty_months, uint64_t quantity, const char *const *serials,
              size_t n_serials);
int wty_receive(wty *w, const pl_key *k, const char *site, const char *batch_id,
                uint64_t quantity);
/* A reservation of `quantity` units of `sku` at `site` (batch may be ""),
 * for `order` (may be ""), expiring in a day. */
int wty_reserve(wty *w, const pl_key *k, const char *reservation_id, const char *site,
                const char *sku, uint64_t quantity, const char *batch_id,
                const char *order);
int wty_fulfil(wty *w, const pl_key *k, const char *reservation_id, const char *batch_id,
               uint64_t quantity);
int wty_recall(wty *w, const char *batch_id);

/* ---- repair and warranty kinds ---- */

typedef struct {
  const char *component;
  uint32_t months;
  uint64_t usage_limit;
  const char *usage_unit;
} wty_term;

typedef struct {
  const char *component, *part_serial, *batch_id;
} wty_part;

int wty_policy(wty *w, const pl_key *k, const char *policy_id, const char *model,
               uint32_t window_days, uint32_t max_extension_months, const wty_term *terms,
               size_t n_terms);
/* owner_ref of `owner_len` bytes (0: none). */
int wty_device(wty *w, const pl_key *k, const char *serial, const char *model,
               const char *policy_id, int64_t purchased_at_ms, size_t owner_len,
               const wty_part *parts, size_t n_parts);
int wty_extend(wty *w, const pl_key *k, const char *serial, const char *component,
               uint32_t months);
int wty_open(wty *w, const pl_key *k, const char *order, const char *device,
             const char *site, int priority, int64_t reported_at_ms, uint64_t reading);
int wty_respond(wty *w, const pl_key *k, const char *order, int64_t responded_at_ms);
/* One evidence hash of `evidence_len` bytes when it is not 0. */
int wty_replace(wty *w, const pl_key *k, const char *order, const char *component,
                const char *removed, const char *installed, const char *batch_id,
                const char *reservation_id, size_t evidence_len);
int wty_close(wty *w, const pl_key *k, const char *order, int outcome,
              int64_t resolved_at_ms, int first_visit_fix);
int wty_claim(wty *w, const pl_key *k, const char *claim, const char *device,
              const char *order, const char *component, uint64_t reading,
              int64_t failure_at_ms);
int wty_decide(wty *w, const pl_key *k, const char *claim, int decision, int reason,
               const char *note);

/* ---- a standard catalogue ----
 * wty_catalogue publishes policy POL for model X1 (registration window 3650
 * days, extensions up to 12 months) with terms battery 24 months or 1000
 * cycles, screen 12 months, and no term for "case"; and batches of supplier
 * SUP, 100 units each:
 *   BB  sku SKU-BAT, original, 12 months of its own warranty
 *   BA  sku SKU-BAT, certified alternative, 6 months
 *   BS  sku SKU-SCR, original, 0 months
 *   BC  sku SKU-CASE, original, 3 months
 * wty_std_device registers `serial` (by the manufacturer) with parts
 * battery <serial>-bat from BB, screen <serial>-scr from BS. */
int wty_catalogue(wty *w);
int wty_std_device(wty *w, const char *serial, int64_t purchased_at_ms);

/* ---- queries ---- */

int wty_status(wty *w, const char *device, const char *component, int64_t at_ms,
               uint64_t reading, Partsledger__V1__GetWarrantyStatusResponse **out);
/* The status alone, or -1 when the query failed. */
int wty_st(wty *w, const char *device, const char *component, int64_t at_ms,
           uint64_t reading);
int wty_get_device(wty *w, const char *serial, Partsledger__V1__Device **out);
int wty_get_order(wty *w, const char *order, Partsledger__V1__RepairOrder **out);
int wty_get_claim(wty *w, const char *claim, Partsledger__V1__Claim **out);
int wty_report(wty *w, const char *site, int64_t from_ms, int64_t to_ms,
               Partsledger__V1__StationReportResponse **out);
int wty_device_history(wty *w, const char *serial, int with_proofs,
                       Partsledger__V1__DeviceHistoryResponse **out);
int wty_part_history(wty *w, const char *serial, int with_proofs,
                     Partsledger__V1__PartHistoryResponse **out);
int wty_batch_devices(wty *w, const char *batch_id, uint64_t start, uint32_t page_size,
                      Partsledger__V1__BatchDevicesResponse **out);
int wty_trace_batch(wty *w, const char *batch_id, int with_proofs,
                    Partsledger__V1__TraceBatchResponse **out);
int wty_get_reservation(wty *w, const char *reservation_id,
                        Partsledger__V1__Reservation **out);

/* Each fact's leaf and inclusion proof verify offline against the signed
 * checkpoint, and the leaf is the one at the fact's index: 0, or -1 with
 * the reason printed. */
int wty_facts_verify(wty *w, const char *checkpoint, Partsledger__V1__Fact *const *facts,
                     size_t n);
/* The Entry a fact's leaf carries (in the fixture's arena), or NULL. */
Partsledger__V1__Entry *wty_fact_entry(wty *w, const Partsledger__V1__Fact *f);

#endif /* PL_TEST_WTY_H */
