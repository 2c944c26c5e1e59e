/*
 * inv.h - what the inventory integration tests share (test_inventory.c,
 * test_stock.c, test_trace.c): builders of the ten inventory entry kinds,
 * the appends and queries as gRPC status codes, and a small world of actors
 * and sites to run them in.
 *
 * Depends on env.h (a real partsledgerd and a client) and test.h (the CHECK
 * macros). Everything built lives in the arena given, like the client's
 * replies.
 */
#ifndef PL_TEST_INV_H
#define PL_TEST_INV_H

#include <grpc/status.h>
#include <stdint.h>

#include "env.h"
#include "partsledger/v1/inventory.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"
#include "test.h"

/* The sites every world registers (inv_world_start). Coordinates are real
 * places, so distances in the radius tests are distances people know. */
#define SITE_A "site-a"   /* warehouse, Munich */
#define SITE_B "site-b"   /* central warehouse, Augsburg */
#define SITE_C "site-c"   /* repair station, Munich west */
#define SITE_X "site-x"   /* warehouse, Berlin: bound to `other` only */
#define SITE_GHOST "site-ghost" /* the clerk is bound to it; never registered */
#define SUPPLIER "sup-1"

#define INV_A_LAT 48.137154
#define INV_A_LON 11.576124
#define INV_B_LAT 48.370545
#define INV_B_LON 10.897790
#define INV_C_LAT 48.149600
#define INV_C_LON 11.461800
#define INV_X_LAT 52.520008
#define INV_X_LON 13.404954

/* A reservation's expiry far enough ahead for any test: ten minutes. */
#define INV_LATER_MS (10 * 60 * 1000)

typedef struct {
  env e;
  const pl_key *admin; /* the harness's bootstrap admin: sites, suppliers */
  pl_key *maker;       /* a manufacturer: batches, recalls */
  pl_key *clerk;       /* a warehouse bound to A, B and SITE_GHOST */
  pl_key *station;     /* a repair station bound to C */
  pl_key *other;       /* a warehouse bound to X only */
  pl_key *auditor;     /* may sign no inventory kind */
} inv_world;

/* Starts a server, enrolls the actors above and registers sites A, B, C, X
 * and supplier SUPPLIER. 0, or -1 after saying on stderr which step
 * failed and the server's answer. */
int inv_world_start(inv_world *w);
void inv_world_stop(inv_world *w);

/* Enrolls a fresh key with `role` (a Role), bound to the NULL-terminated
 * `sites` (may be NULL), signed by the harness's admin. The key, or NULL. */
pl_key *inv_enroll(env *e, int role, const char *const *sites);

/* pl_now_ms() + INV_LATER_MS. */
int64_t inv_later(void);

/* --- bodies ---------------------------------------------------------------
 * Each with every field a valid entry needs and sensible values for the
 * rest; a test changes the field it is about and signs with inv_sign().
 * NULL when the arena is out of memory. Strings are not copied. */
Partsledger__V1__SiteRegistered *inv_site_body(pl_arena *a, const char *site_id,
                                               double lat, double lon);
Partsledger__V1__SupplierRegistered *inv_supplier_body(pl_arena *a,
                                                       const char *supplier_id);
Partsledger__V1__BatchRegistered *inv_batch_body(pl_arena *a, const char *batch_id,
                                                 const char *supplier_id, const char *sku,
                                                 uint64_t quantity);
Partsledger__V1__StockReceived *inv_receive_body(pl_arena *a, const char *site_id,
                                                 const char *batch_id, uint64_t quantity);
Partsledger__V1__StockTransferred *inv_transfer_body(pl_arena *a, const char *from,
                                                     const char *to, const char *batch_id,
                                                     uint64_t quantity);
Partsledger__V1__StockAdjusted *inv_adjust_body(pl_arena *a, const char *site_id,
                                                const char *batch_id, int64_t delta,
                                                Partsledger__V1__AdjustReason reason);
/* `batch_id` NULL or "" reserves any batch of the SKU. */
Partsledger__V1__PartReserved *inv_reserve_body(pl_arena *a, const char *reservation_id,
                                                const char *site_id, const char *sku,
                                                uint64_t quantity, const char *batch_id,
                                                int64_t expires_at_ms);
Partsledger__V1__ReservationReleased *inv_release_body(pl_arena *a,
                                                       const char *reservation_id);
Partsledger__V1__ReservationFulfilled *inv_fulfil_body(pl_arena *a,
                                                       const char *reservation_id,
                                                       const char *batch_id,
                                                       uint64_t quantity);
Partsledger__V1__BatchRecalled *inv_recall_body(pl_arena *a, const char *batch_id,
                                                const char *reason);

/* Wraps one of the ten bodies above (by its descriptor) in an Entry and
 * signs it with `k` (pl_entry_build). NULL for another message or on
 * failure. */
Partsledger__V1__SignedEntry *inv_sign(pl_arena *a, const pl_key *k,
                                       const ProtobufCMessage *body);

/* --- signed entries: a body with its defaults, signed ------------------- */
Partsledger__V1__SignedEntry *inv_site(pl_arena *a, const pl_key *k, const char *site_id,
                                       double lat, double lon);
Partsledger__V1__SignedEntry *inv_supplier(pl_arena *a, const pl_key *k,
                                           const char *supplier_id);
Partsledger__V1__SignedEntry *inv_batch(pl_arena *a, const pl_key *k, const char *batch_id,
                                        const char *supplier_id, const char *sku,
                                        uint64_t quantity);
Partsledger__V1__SignedEntry *inv_receive(pl_arena *a, const pl_key *k, const char *site_id,
                                          const char *batch_id, uint64_t quantity);
Partsledger__V1__SignedEntry *inv_transfer(pl_arena *a, const pl_key *k, const char *from,
                                           const char *to, const char *batch_id,
                                           uint64_t quantity);
Partsledger__V1__SignedEntry *inv_adjust(pl_arena *a, const pl_key *k, const char *site_id,
                                         const char *batch_id, int64_t delta);
Partsledger__V1__SignedEntry *inv_reserve(pl_arena *a, const pl_key *k,
                                          const char *reservation_id, const char *site_id,
                                          const char *sku, uint64_t quantity,
                                          const char *batch_id, int64_t expires_at_ms);
Partsledger__V1__SignedEntry *inv_release(pl_arena *a, const pl_key *k,
                                          const char *reservation_id);
Partsledger__V1__SignedEntry *inv_fulfil(pl_arena *a, const pl_key *k,
                                         const char *reservation_id, const char *batch_id,
                                         uint64_t quantity);
Partsledger__V1__SignedEntry *inv_recall(pl_arena *a, const pl_key *k, const char *batch_id,
                                         const char *reason);

/* --- calls, answered as gRPC status codes (0 = OK) ------------------------
 * The server's message is inv_msg() until the next call on the client. A
 * NULL entry (a builder that failed) is -1 without a call. */
int inv_send(pl_client *c, pl_arena *a, const Partsledger__V1__SignedEntry *se,
             uint64_t *index);
int inv_append(env *e, const Partsledger__V1__SignedEntry *se);
/* As inv_append, and the entry's leaf index in *index. */
int inv_append_at(env *e, const Partsledger__V1__SignedEntry *se, uint64_t *index);
const char *inv_msg(env *e);
/* The same for any client. */
const char *inv_msg_of(pl_client *c);
/* 1 when the server's last message contains `needle`. */
int inv_says(env *e, const char *needle);

/* Replies live in e->a; *out is NULL unless the call succeeded. */
int inv_get_site(env *e, const char *site_id, Partsledger__V1__Site **out);
int inv_get_batch(env *e, const char *batch_id, Partsledger__V1__Batch **out);
int inv_get_stock(env *e, const char *site_id, const char *sku,
                  Partsledger__V1__GetStockResponse **out);
int inv_get_reservation(env *e, const char *reservation_id,
                        Partsledger__V1__Reservation **out);
int inv_stock_near(env *e, const Partsledger__V1__StockNearRequest *req,
                   Partsledger__V1__StockNearResponse **out);
int inv_trace_batch(env *e, const char *batch_id, uint64_t start, uint32_t page_size,
                    int with_proofs, Partsledger__V1__TraceBatchResponse **out);
int inv_trace_supplier(env *e, const char *supplier_id, uint64_t start,
                       uint32_t page_size, Partsledger__V1__TraceSupplierResponse **out);

/* StockNear with every field but `kinds`. */
int inv_near(env *e, const char *sku, double lat, double lon, double radius_km,
             uint64_t min_available, uint32_t limit,
             Partsledger__V1__StockNearResponse **out);

/* Runs partsledgerd with `flag` (--rebuild, --check) on the data of the
 * harness's server, which must be stopped. 1 when it exits 0 and its output
 * contains `says`, else 0 after saying what it did. */
int inv_daemon(env *e, const char *flag, const char *says);

/* The radius of the sphere StockNear measures on, in metres. */
#define INV_EARTH_M 6371008.8

/* The haversine great-circle distance between two points, in metres. */
double inv_haversine_m(double lat1, double lon1, double lat2, double lon2);

/* How far two haversine implementations may differ at distance `d`:
 * rounding, and near the antipode the asin form's own ill-conditioning.
 * Small enough that a sphere of another radius shows at 10 km already. */
double inv_tolerance_m(double d);

/* The row of `batch_id` in a GetStock reply, or NULL. */
const Partsledger__V1__BatchStock *inv_batch_row(const Partsledger__V1__GetStockResponse *s,
                                                 const char *batch_id);

/* Registers batch `batch_id` of SUPPLIER and `sku` with `quantity` units
 * (signed by the maker) and, when `received` > 0, receives that many at
 * `site_id` (signed by the clerk, or the station at C, or `other` at X). 0
 * or the first failing gRPC status. */
int inv_stocked(inv_world *w, const char *batch_id, const char *sku, uint64_t quantity,
                const char *site_id, uint64_t received);

/* Registers `n` sites "<prefix>-NN" at (lat[i], lon[i]) of kind[i] (NULL:
 * warehouses), enrolls a warehouse bound to them all, registers `batch` of
 * `sku` (a million units) and receives units[i] of it at each site that
 * gets any, all in one AppendBatch. The new actor's key, or NULL after
 * saying what failed. */
pl_key *inv_stock_sites(inv_world *w, const char *prefix, size_t n, const double *lat,
                        const double *lon, const Partsledger__V1__SiteKind *kind,
                        const char *batch, const char *sku, const uint64_t *units);

/* `body` (all digits) followed by its GS1 mod-10 check digit, in `out`
 * (room for strlen(body) + 2). With `wrong`, a check digit off by one. */
char *inv_gs1(const char *body, int wrong, char *out);

/* The first `n` bytes of a repeated character, NUL-terminated, in `a`. */
char *inv_repeat(pl_arena *a, char c, size_t n);

/* The statuses, short: most lines of these tests are one call and its
 * answer. */
#define OK GRPC_STATUS_OK
#define INVALID GRPC_STATUS_INVALID_ARGUMENT
#define DENIED GRPC_STATUS_PERMISSION_DENIED
#define NOT_FOUND GRPC_STATUS_NOT_FOUND
#define EXISTS GRPC_STATUS_ALREADY_EXISTS
#define FAILED GRPC_STATUS_FAILED_PRECONDITION
#define OUT_OF_RANGE GRPC_STATUS_OUT_OF_RANGE

/* Checks that `expr` (a call above) answers `want`; on another answer says
 * which, with the server's message, and fails the case. */
#define CHECK_STATUS(e, expr, want)                                            \
  do {                                                                         \
    int pl__got = (expr), pl__want = (want);                                   \
    if (pl__got != pl__want) {                                                 \
      fprintf(stderr, "%s:%d: %s: status %d, wanted %d (server: %s)\n",        \
              __FILE__, __LINE__, #expr, pl__got, pl__want, inv_msg(e));       \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* Appends `se` in world `w` and checks the status. */
#define CHECK_APPEND(w, se, want) CHECK_STATUS(&(w)->e, inv_append(&(w)->e, (se)), want)

/* An append refused with `want` whose message names `field`. */
#define CHECK_REFUSED(w, se, want, field)                                      \
  do {                                                                         \
    CHECK_APPEND(w, se, want);                                                 \
    if (!inv_says(&(w)->e, field)) {                                           \
      fprintf(stderr, "%s:%d: message \"%s\" does not name \"%s\"\n",          \
              __FILE__, __LINE__, inv_msg(&(w)->e), field);                    \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* GetStock of (site, sku) in world `w` answers these three figures. */
#define CHECK_STOCK(w, site, sku, on_hand_, reserved_, available_)             \
  do {                                                                         \
    Partsledger__V1__GetStockResponse *pl__st;                                 \
    CHECK_STATUS(&(w)->e, inv_get_stock(&(w)->e, site, sku, &pl__st), OK);     \
    CHECK_EQ(pl__st->on_hand, on_hand_);                                       \
    CHECK_EQ(pl__st->reserved, reserved_);                                     \
    CHECK_EQ(pl__st->available, available_);                                   \
  } while (0)

/* The batch row of `batch` in GetStock of (site, sku) in world `w`. */
#define CHECK_BATCH_STOCK(w, site, sku, batch, on_hand_, reserved_, available_,  \
                          recalled_)                                           \
  do {                                                                         \
    Partsledger__V1__GetStockResponse *pl__st;                                 \
    CHECK_STATUS(&(w)->e, inv_get_stock(&(w)->e, site, sku, &pl__st), OK);     \
    const Partsledger__V1__BatchStock *pl__row = inv_batch_row(pl__st, batch); \
    CHECK(pl__row != NULL);                                                    \
    CHECK_EQ(pl__row->on_hand, on_hand_);                                      \
    CHECK_EQ(pl__row->reserved, reserved_);                                    \
    CHECK_EQ(pl__row->available, available_);                                  \
    CHECK_EQ(pl__row->recalled, recalled_);                                    \
  } while (0)

/* GetReservation of `id` in world `w` says RESERVATION_STATE_<state>. */
#define CHECK_STATE(w, id, state_)                                             \
  do {                                                                         \
    Partsledger__V1__Reservation *pl__r;                                       \
    CHECK_STATUS(&(w)->e, inv_get_reservation(&(w)->e, id, &pl__r), OK);       \
    CHECK_EQ(pl__r->state,                                                     \
             PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_##state_);  \
  } while (0)

#endif /* PL_TEST_INV_H */
