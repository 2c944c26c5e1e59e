/*
 * test_inventory.c - integration tests of the ten inventory entry kinds
 * (Entry.body 20-29) through the real server: who may sign each, the
 * stateless field rules (INVALID_ARGUMENT naming the field), ids registered
 * twice, references to what does not exist, and the stock rules (units in
 * the network, the stock invariant, recalls, the life of a reservation).
 * Every refusal also leaves the log as it was.
 *
 * Queries under load, expiry, crashes and rebuilds are in test_stock.c;
 * traces in test_trace.c. The entries are built by inv.c.
 */
#include <grpc/status.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "inv.h"
#include "test.h"

#define DAY_MS (24LL * 60 * 60 * 1000)

/* --- registrations -------------------------------------------------------- */

PL_TEST(site_registered_and_read_back) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  char gln[16];
  Partsledger__V1__SiteRegistered *b = inv_site_body(a, "van-17", 47.3769, 8.5417);
  b->kind = PARTSLEDGER__V1__SITE_KIND__SITE_KIND_SERVICE_VAN;
  b->name = "Service van 17";
  b->region = "CH-ZH";
  b->gln = inv_gs1("400000100001", 0, gln);
  uint64_t index;
  CHECK_STATUS(&w.e, inv_append_at(&w.e, inv_sign(a, w.admin, &b->base), &index), OK);
  Partsledger__V1__Site *s;
  CHECK_STATUS(&w.e, inv_get_site(&w.e, "van-17", &s), OK);
  CHECK_STR(s->site_id, "van-17");
  CHECK_EQ(s->kind, PARTSLEDGER__V1__SITE_KIND__SITE_KIND_SERVICE_VAN);
  CHECK_STR(s->name, "Service van 17");
  CHECK_STR(s->region, "CH-ZH");
  CHECK(s->latitude == 47.3769 && s->longitude == 8.5417);
  CHECK_STR(s->gln, gln);
  CHECK_EQ(s->registered_index, index);

  /* The world's sites, as registered. */
  CHECK_STATUS(&w.e, inv_get_site(&w.e, SITE_B, &s), OK);
  CHECK_EQ(s->kind, PARTSLEDGER__V1__SITE_KIND__SITE_KIND_CENTRAL_WAREHOUSE);
  CHECK(s->latitude == INV_B_LAT && s->longitude == INV_B_LON);
  CHECK_STR(s->gln, "");

  /* Ids are printable UTF-8, not only ASCII; 64 bytes is the longest. */
  CHECK_APPEND(&w, inv_site(a, w.admin, "Lager-Süd-3", 48.1, 11.5), OK);
  CHECK_STATUS(&w.e, inv_get_site(&w.e, "Lager-Süd-3", &s), OK);
  char *longest = inv_repeat(a, 's', 64);
  CHECK_APPEND(&w, inv_site(a, w.admin, longest, 48.1, 11.5), OK);
  CHECK_STATUS(&w.e, inv_get_site(&w.e, longest, &s), OK);
  inv_world_stop(&w);
}

PL_TEST(batch_registered_and_read_back) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  static char *serials[] = {"SN-001", "SN-002", "SN-003"};
  Partsledger__V1__BatchRegistered *b = inv_batch_body(a, "b-2025-01", SUPPLIER,
                                                       "PUMP-7", 500);
  b->gtin = "4006381333931";
  b->part_class = PARTSLEDGER__V1__PART_CLASS__PART_CLASS_CERTIFIED_ALTERNATIVE;
  b->warranty_months = 36;
  b->produced_at_ms = 1700000000123;
  b->serials = serials;
  b->n_serials = 3;
  uint64_t index;
  CHECK_STATUS(&w.e, inv_append_at(&w.e, inv_sign(a, w.maker, &b->base), &index), OK);
  Partsledger__V1__Batch *got;
  CHECK_STATUS(&w.e, inv_get_batch(&w.e, "b-2025-01", &got), OK);
  CHECK_STR(got->batch_id, "b-2025-01");
  CHECK_STR(got->supplier_id, SUPPLIER);
  CHECK_STR(got->sku, "PUMP-7");
  CHECK_STR(got->gtin, "04006381333931");
  CHECK_EQ(got->part_class, PARTSLEDGER__V1__PART_CLASS__PART_CLASS_CERTIFIED_ALTERNATIVE);
  CHECK_EQ(got->warranty_months, 36);
  CHECK_EQ(got->produced_at_ms, 1700000000123);
  CHECK_EQ(got->quantity, 500);
  CHECK_EQ(got->units_in_network, 0);
  CHECK(!got->recalled);
  CHECK_STR(got->recall_reason, "");
  CHECK_EQ(got->registered_index, index);
  CHECK_EQ(got->serial_count, 3);

  /* No GTIN given: none returned. */
  CHECK_APPEND(&w, inv_batch(a, w.maker, "b-plain", SUPPLIER, "PUMP-7", 1), OK);
  CHECK_STATUS(&w.e, inv_get_batch(&w.e, "b-plain", &got), OK);
  CHECK_STR(got->gtin, "");
  CHECK_EQ(got->serial_count, 0);
  inv_world_stop(&w);
}

PL_TEST(gtin_checked_and_returned_as_gtin14) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  char g14[16], bad[16];
  const struct {
    const char *gtin, *as14;
  } good[] = {
      {"96385074", "00000096385074"},         /* GTIN-8 */
      {"036000291452", "00036000291452"},     /* GTIN-12 (UPC-A) */
      {"4006381333931", "04006381333931"},    /* GTIN-13 (EAN-13) */
      {inv_gs1("1061414100041", 0, g14), g14}, /* GTIN-14 */
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    char *id = pl_arena_printf(a, "b-gtin-%zu", i);
    Partsledger__V1__BatchRegistered *b = inv_batch_body(a, id, SUPPLIER, "SKU-1", 5);
    b->gtin = (char *)good[i].gtin;
    CHECK_APPEND(&w, inv_sign(a, w.maker, &b->base), OK);
    Partsledger__V1__Batch *got;
    CHECK_STATUS(&w.e, inv_get_batch(&w.e, id, &got), OK);
    CHECK_STR(got->gtin, good[i].as14);
  }
  uint64_t size = tree_size(&w.e);
  const char *refused[] = {
      inv_gs1("9638507", 1, pl_arena_alloc(a, 16)),      /* GTIN-8, wrong check digit */
      inv_gs1("400638133393", 1, pl_arena_alloc(a, 16)), /* GTIN-13, wrong check digit */
      inv_gs1("106141410004", 1, bad),                   /* GTIN-13 again */
      inv_gs1("963850", 0, pl_arena_alloc(a, 16)),       /* 7 digits */
      inv_gs1("96385070", 0, pl_arena_alloc(a, 16)),     /* 9 */
      inv_gs1("963850700", 0, pl_arena_alloc(a, 16)),    /* 10 */
      inv_gs1("9638507000", 0, pl_arena_alloc(a, 16)),   /* 11 */
      inv_gs1("10614141000410", 0, pl_arena_alloc(a, 16)), /* 15 */
      "40063813339A1",                                   /* not all digits */
      "4006381 33931",
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    Partsledger__V1__BatchRegistered *b =
        inv_batch_body(a, "b-bad-gtin", SUPPLIER, "SKU-1", 5);
    b->gtin = (char *)refused[i];
    CHECK_REFUSED(&w, inv_sign(a, w.maker, &b->base), INVALID, "gtin");
  }
  CHECK_EQ(tree_size(&w.e), size);
  inv_world_stop(&w);
}

PL_TEST(gln_thirteen_digits_with_check_digit) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  char gln[16], g14[16];
  Partsledger__V1__SiteRegistered *s = inv_site_body(a, "site-gln", 48.0, 11.0);
  s->gln = inv_gs1("400000100001", 0, gln);
  CHECK_APPEND(&w, inv_sign(a, w.admin, &s->base), OK);
  Partsledger__V1__SupplierRegistered *p = inv_supplier_body(a, "sup-gln");
  p->gln = inv_gs1("761234500000", 0, pl_arena_alloc(a, 16));
  CHECK_APPEND(&w, inv_sign(a, w.admin, &p->base), OK);

  uint64_t size = tree_size(&w.e);
  const char *refused[] = {
      inv_gs1("400000100001", 1, pl_arena_alloc(a, 16)), /* wrong check digit */
      inv_gs1("40000010000", 0, pl_arena_alloc(a, 16)),  /* 12 digits */
      inv_gs1("1061414100041", 0, g14),                  /* 14: a GTIN, not a GLN */
      "40000010000A1",
      " 400000100001",
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    s = inv_site_body(a, "site-bad-gln", 48.0, 11.0);
    s->gln = (char *)refused[i];
    CHECK_REFUSED(&w, inv_sign(a, w.admin, &s->base), INVALID, "gln");
    p = inv_supplier_body(a, "sup-bad-gln");
    p->gln = (char *)refused[i];
    CHECK_REFUSED(&w, inv_sign(a, w.admin, &p->base), INVALID, "gln");
  }
  CHECK_EQ(tree_size(&w.e), size);
  inv_world_stop(&w);
}

PL_TEST(ids_registered_twice_already_exist) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 1, NULL, inv_later()),
               OK);
  uint64_t size = tree_size(&w.e);
  /* Each a new entry (its own request_id) with an id already taken. */
  CHECK_APPEND(&w, inv_site(a, w.admin, SITE_A, 10.0, 10.0), EXISTS);
  CHECK_APPEND(&w, inv_supplier(a, w.admin, SUPPLIER), EXISTS);
  CHECK_APPEND(&w, inv_batch(a, w.maker, "b1", SUPPLIER, "SKU-2", 5), EXISTS);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 2, NULL, inv_later()),
               EXISTS);
  /* Also once it is closed. */
  CHECK_APPEND(&w, inv_release(a, w.clerk, "r1"), OK);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 1, NULL, inv_later()),
               EXISTS);
  CHECK_EQ(tree_size(&w.e), size + 1);
  /* The first registrations stand. */
  Partsledger__V1__Site *s;
  CHECK_STATUS(&w.e, inv_get_site(&w.e, SITE_A, &s), OK);
  CHECK(s->latitude == INV_A_LAT && s->longitude == INV_A_LON);
  Partsledger__V1__Batch *b;
  CHECK_STATUS(&w.e, inv_get_batch(&w.e, "b1", &b), OK);
  CHECK_STR(b->sku, "SKU-1");
  CHECK_EQ(b->quantity, 100);
  inv_world_stop(&w);
}

/* --- who may sign what ------------------------------------------------------- */

PL_TEST(registrations_and_recalls_by_their_roles_only) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  uint64_t size = tree_size(&w.e);
  const pl_key *not_admin[] = {w.maker, w.clerk, w.station, w.auditor};
  for (size_t i = 0; i < 4; i++) {
    CHECK_APPEND(&w, inv_site(a, not_admin[i], "site-new", 1.0, 1.0), DENIED);
    CHECK_APPEND(&w, inv_supplier(a, not_admin[i], "sup-new"), DENIED);
  }
  const pl_key *not_maker[] = {w.admin, w.clerk, w.station, w.auditor};
  for (size_t i = 0; i < 4; i++)
    CHECK_APPEND(&w, inv_batch(a, not_maker[i], "b-new", SUPPLIER, "SKU-1", 5), DENIED);
  CHECK_EQ(tree_size(&w.e), size);

  CHECK_APPEND(&w, inv_batch(a, w.maker, "b-new", SUPPLIER, "SKU-1", 5), OK);
  for (size_t i = 0; i < 4; i++)
    CHECK_APPEND(&w, inv_recall(a, not_maker[i], "b-new", "cracked housings"), DENIED);
  Partsledger__V1__Batch *b;
  CHECK_STATUS(&w.e, inv_get_batch(&w.e, "b-new", &b), OK);
  CHECK(!b->recalled);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b-new", "cracked housings"), OK);
  CHECK_EQ(tree_size(&w.e), size + 2);
  inv_world_stop(&w);
}

PL_TEST(stock_kinds_by_actors_bound_to_the_site) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 2, NULL, inv_later()),
               OK);
  uint64_t size = tree_size(&w.e);
  /* Neither other roles nor actors of other sites work at A. */
  const pl_key *strangers[] = {w.admin, w.maker, w.auditor, w.other, w.station};
  for (size_t i = 0; i < 5; i++) {
    const pl_key *k = strangers[i];
    CHECK_APPEND(&w, inv_receive(a, k, SITE_A, "b1", 1), DENIED);
    CHECK_APPEND(&w, inv_adjust(a, k, SITE_A, "b1", -1), DENIED);
    CHECK_APPEND(&w, inv_adjust(a, k, SITE_A, "b1", 1), DENIED);
    CHECK_APPEND(&w, inv_transfer(a, k, SITE_A, SITE_X, "b1", 1), DENIED);
    CHECK_APPEND(&w, inv_reserve(a, k, "r2", SITE_A, "SKU-1", 1, NULL, inv_later()),
                 DENIED);
    CHECK_APPEND(&w, inv_release(a, k, "r1"), DENIED);
    CHECK_APPEND(&w, inv_fulfil(a, k, "r1", "b1", 1), DENIED);
  }
  /* Bound to the destination is not enough to take from a source. */
  CHECK_APPEND(&w, inv_transfer(a, w.other, SITE_A, SITE_X, "b1", 1), DENIED);
  /* The clerk is not bound to C. */
  CHECK_APPEND(&w, inv_receive(a, w.clerk, SITE_C, "b1", 1), DENIED);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_STATE(&w, "r1", ACTIVE);

  /* A warehouse moves stock to a site it is not bound to. */
  CHECK_APPEND(&w, inv_transfer(a, w.clerk, SITE_A, SITE_X, "b1", 2), OK);
  /* A repair station does all of it at its own site. */
  const pl_key *st = w.station;
  CHECK_APPEND(&w, inv_receive(a, st, SITE_C, "b1", 5), OK);
  CHECK_APPEND(&w, inv_adjust(a, st, SITE_C, "b1", -1), OK);
  CHECK_APPEND(&w, inv_transfer(a, st, SITE_C, SITE_A, "b1", 1), OK);
  CHECK_APPEND(&w, inv_reserve(a, st, "rc1", SITE_C, "SKU-1", 1, NULL, inv_later()), OK);
  CHECK_APPEND(&w, inv_reserve(a, st, "rc2", SITE_C, "SKU-1", 1, "b1", inv_later()), OK);
  CHECK_APPEND(&w, inv_release(a, st, "rc1"), OK);
  CHECK_APPEND(&w, inv_fulfil(a, st, "rc2", "b1", 1), OK);
  /* The clerk may not close C's reservations, nor the station A's. */
  CHECK_APPEND(&w, inv_reserve(a, st, "rc3", SITE_C, "SKU-1", 1, NULL, inv_later()), OK);
  CHECK_APPEND(&w, inv_release(a, w.clerk, "rc3"), DENIED);
  CHECK_APPEND(&w, inv_fulfil(a, w.clerk, "rc3", "b1", 1), DENIED);
  /* And the clerk closes its own. */
  CHECK_APPEND(&w, inv_release(a, w.clerk, "r1"), OK);
  CHECK_EQ(tree_size(&w.e), size + 10);
  inv_world_stop(&w);
}

/* --- fields on their own: INVALID_ARGUMENT naming the field --------------------- */

enum {
  F_SITE, F_SUPPLIER, F_BATCH, F_BATCH_SUPPLIER, F_BATCH_SKU, F_RECV_SITE, F_RECV_BATCH,
  F_FROM, F_TO, F_XFER_BATCH, F_ADJ_SITE, F_ADJ_BATCH, F_RES_ID, F_RES_SITE, F_RES_SKU,
  F_RES_BATCH, F_RES_ORDER, F_REL_ID, F_FUL_ID, F_FUL_BATCH, F_RECALL_BATCH, F_IDS
};

static const struct {
  const char *field;
  int optional; /* "" means not given */
} id_fields[F_IDS] = {
    [F_SITE] = {"site_id", 0},         [F_SUPPLIER] = {"supplier_id", 0},
    [F_BATCH] = {"batch_id", 0},       [F_BATCH_SUPPLIER] = {"supplier_id", 0},
    [F_BATCH_SKU] = {"sku", 0},        [F_RECV_SITE] = {"site_id", 0},
    [F_RECV_BATCH] = {"batch_id", 0},  [F_FROM] = {"from_site_id", 0},
    [F_TO] = {"to_site_id", 0},        [F_XFER_BATCH] = {"batch_id", 0},
    [F_ADJ_SITE] = {"site_id", 0},     [F_ADJ_BATCH] = {"batch_id", 0},
    [F_RES_ID] = {"reservation_id", 0}, [F_RES_SITE] = {"site_id", 0},
    [F_RES_SKU] = {"sku", 0},          [F_RES_BATCH] = {"batch_id", 1},
    [F_RES_ORDER] = {"repair_order_id", 1}, [F_REL_ID] = {"reservation_id", 0},
    [F_FUL_ID] = {"reservation_id", 0}, [F_FUL_BATCH] = {"batch_id", 0},
    [F_RECALL_BATCH] = {"batch_id", 0},
};

/* A valid entry of the kind that carries field `f`, with `v` in that field,
 * signed by whoever may sign it. */
static Partsledger__V1__SignedEntry *with_id(inv_world *w, int f, const char *v) {
  pl_arena *a = w->e.a;
  const pl_key *c = w->clerk;
  int64_t later = inv_later();
  Partsledger__V1__PartReserved *res;
  switch (f) {
  case F_SITE: return inv_site(a, w->admin, v, 1.0, 1.0);
  case F_SUPPLIER: return inv_supplier(a, w->admin, v);
  case F_BATCH: return inv_batch(a, w->maker, v, SUPPLIER, "SKU-1", 5);
  case F_BATCH_SUPPLIER: return inv_batch(a, w->maker, "b-new", v, "SKU-1", 5);
  case F_BATCH_SKU: return inv_batch(a, w->maker, "b-new", SUPPLIER, v, 5);
  case F_RECV_SITE: return inv_receive(a, c, v, "b1", 1);
  case F_RECV_BATCH: return inv_receive(a, c, SITE_A, v, 1);
  case F_FROM: return inv_transfer(a, c, v, SITE_B, "b1", 1);
  case F_TO: return inv_transfer(a, c, SITE_A, v, "b1", 1);
  case F_XFER_BATCH: return inv_transfer(a, c, SITE_A, SITE_B, v, 1);
  case F_ADJ_SITE: return inv_adjust(a, c, v, "b1", -1);
  case F_ADJ_BATCH: return inv_adjust(a, c, SITE_A, v, -1);
  case F_RES_ID: return inv_reserve(a, c, v, SITE_A, "SKU-1", 1, NULL, later);
  case F_RES_SITE: return inv_reserve(a, c, "r-new", v, "SKU-1", 1, NULL, later);
  case F_RES_SKU: return inv_reserve(a, c, "r-new", SITE_A, v, 1, NULL, later);
  case F_RES_BATCH: return inv_reserve(a, c, "r-new", SITE_A, "SKU-1", 1, v, later);
  case F_RES_ORDER:
    res = inv_reserve_body(a, "r-new", SITE_A, "SKU-1", 1, NULL, later);
    res->repair_order_id = (char *)v;
    return inv_sign(a, c, &res->base);
  case F_REL_ID: return inv_release(a, c, v);
  case F_FUL_ID: return inv_fulfil(a, c, v, "b1", 1);
  case F_FUL_BATCH: return inv_fulfil(a, c, "r1", v, 1);
  case F_RECALL_BATCH: return inv_recall(a, w->maker, v, "supplier notice");
  }
  return NULL;
}

PL_TEST(ids_one_to_64_bytes_printable_without_spaces) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 1, NULL, inv_later()),
               OK);
  uint64_t size = tree_size(&w.e);
  const char *bad[] = {"", inv_repeat(a, 'i', 65), "two words", "tab\there", "bell\a",
                       "del\x7f", "line\nbreak", "\xe2\x80\xae" "rtl"};
  for (int f = 0; f < F_IDS; f++)
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      if (bad[i][0] == '\0' && id_fields[f].optional)
        continue;
      CHECK_REFUSED(&w, with_id(&w, f, bad[i]), INVALID, id_fields[f].field);
    }
  /* Bytes that are not UTF-8 at all: refused, whatever the message says. */
  for (int f = 0; f < F_IDS; f++)
    CHECK_APPEND(&w, with_id(&w, f, "\xff\xfe-id"), INVALID);
  CHECK_EQ(tree_size(&w.e), size);
  /* 64 bytes, and the optional ids given well, are fine. */
  char *id64 = inv_repeat(a, 'r', 64);
  CHECK_APPEND(&w, with_id(&w, F_RES_ID, id64), OK);
  CHECK_APPEND(&w, with_id(&w, F_RES_ORDER, "RO-2025-0042"), OK);
  CHECK_APPEND(&w, with_id(&w, F_BATCH, inv_repeat(a, 'b', 64)), OK);
  Partsledger__V1__Reservation *r;
  CHECK_STATUS(&w.e, inv_get_reservation(&w.e, "r-new", &r), OK);
  CHECK_STR(r->repair_order_id, "RO-2025-0042");
  CHECK_STATUS(&w.e, inv_get_reservation(&w.e, id64, &r), OK);
  CHECK_STR(r->repair_order_id, "");
  inv_world_stop(&w);
}

/* Sets text field `f` of a fresh valid entry to `v`: the entry, signed. */
enum { T_SITE_NAME, T_REGION, T_SUPPLIER_NAME, T_RECV_REF, T_XFER_REF, T_ADJ_NOTE,
       T_RELEASE_REASON, T_RECALL_REASON, T_TEXTS };
static const char *const text_fields[T_TEXTS] = {
    "name", "region", "name", "reference", "reference", "note", "reason", "reason"};

static Partsledger__V1__SignedEntry *with_text(inv_world *w, int f, const char *v,
                                               const char *id) {
  pl_arena *a = w->e.a;
  Partsledger__V1__SiteRegistered *s;
  Partsledger__V1__SupplierRegistered *p;
  Partsledger__V1__StockReceived *rc;
  Partsledger__V1__StockTransferred *t;
  Partsledger__V1__StockAdjusted *ad;
  Partsledger__V1__ReservationReleased *rl;
  switch (f) {
  case T_SITE_NAME:
  case T_REGION:
    s = inv_site_body(a, id, 1.0, 1.0);
    *(f == T_SITE_NAME ? &s->name : &s->region) = (char *)v;
    return inv_sign(a, w->admin, &s->base);
  case T_SUPPLIER_NAME:
    p = inv_supplier_body(a, id);
    p->name = (char *)v;
    return inv_sign(a, w->admin, &p->base);
  case T_RECV_REF:
    rc = inv_receive_body(a, SITE_A, "b1", 1);
    rc->reference = (char *)v;
    return inv_sign(a, w->clerk, &rc->base);
  case T_XFER_REF:
    t = inv_transfer_body(a, SITE_A, SITE_B, "b1", 1);
    t->reference = (char *)v;
    return inv_sign(a, w->clerk, &t->base);
  case T_ADJ_NOTE:
    ad = inv_adjust_body(a, SITE_A, "b1", -1,
                         PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_LOST);
    ad->note = (char *)v;
    return inv_sign(a, w->clerk, &ad->base);
  case T_RELEASE_REASON:
    rl = inv_release_body(a, id);
    rl->reason = (char *)v;
    return inv_sign(a, w->clerk, &rl->base);
  case T_RECALL_REASON:
    return inv_recall(a, w->maker, "b1", v);
  }
  return NULL;
}

PL_TEST(text_fields_at_most_256_bytes_printable) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 1, NULL, inv_later()),
               OK);
  uint64_t size = tree_size(&w.e);
  /* 129 two-byte characters: 258 bytes, though 129 characters. */
  char *wide = pl_arena_alloc(a, 2 * 129 + 1);
  for (int i = 0; i < 129; i++)
    memcpy(wide + 2 * i, "\xc3\xa9", 2);
  wide[258] = '\0';
  const char *bad[] = {inv_repeat(a, 't', 257), wide, "line\nbreak", "esc\x1b[0m",
                       "bidi\xe2\x80\x8f"};
  for (int f = 0; f < T_TEXTS; f++)
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
      CHECK_REFUSED(&w, with_text(&w, f, bad[i], "r1"), INVALID, text_fields[f]);
  CHECK_EQ(tree_size(&w.e), size);
  /* 256 bytes is fine in each (128 two-byte characters too); the recall last,
   * as it ends the batch's receipts. */
  char *t256 = inv_repeat(a, 't', 256);
  wide[256] = '\0';
  CHECK_APPEND(&w, with_text(&w, T_SITE_NAME, wide, "site-t1"), OK);
  CHECK_APPEND(&w, with_text(&w, T_REGION, t256, "site-t2"), OK);
  CHECK_APPEND(&w, with_text(&w, T_SUPPLIER_NAME, t256, "sup-t"), OK);
  CHECK_APPEND(&w, with_text(&w, T_RECV_REF, t256, NULL), OK);
  CHECK_APPEND(&w, with_text(&w, T_XFER_REF, t256, NULL), OK);
  CHECK_APPEND(&w, with_text(&w, T_ADJ_NOTE, t256, NULL), OK);
  CHECK_APPEND(&w, with_text(&w, T_RELEASE_REASON, t256, "r1"), OK);
  CHECK_APPEND(&w, with_text(&w, T_RECALL_REASON, t256, NULL), OK);
  Partsledger__V1__Site *s;
  CHECK_STATUS(&w.e, inv_get_site(&w.e, "site-t1", &s), OK);
  CHECK_STR(s->name, wide);
  Partsledger__V1__Batch *b;
  CHECK_STATUS(&w.e, inv_get_batch(&w.e, "b1", &b), OK);
  CHECK_STR(b->recall_reason, t256);
  inv_world_stop(&w);
}

PL_TEST(coordinates_finite_and_in_range) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  uint64_t size = tree_size(&w.e);
  const double bad_lat[] = {90.000001, -90.000001, 1000.0, NAN, INFINITY, -INFINITY};
  const double bad_lon[] = {180.000001, -180.000001, 360.0, NAN, INFINITY, -INFINITY};
  for (size_t i = 0; i < 6; i++) {
    CHECK_REFUSED(&w, inv_site(a, w.admin, "site-bad", bad_lat[i], 10.0), INVALID,
                  "latitude");
    CHECK_REFUSED(&w, inv_site(a, w.admin, "site-bad", 10.0, bad_lon[i]), INVALID,
                  "longitude");
  }
  CHECK_EQ(tree_size(&w.e), size);
  /* The edges themselves are places. */
  const struct {
    const char *id;
    double lat, lon;
  } edge[] = {{"north-pole", 90.0, 180.0}, {"south-pole", -90.0, -180.0},
              {"null-island", 0.0, 0.0}, {"date-line", -16.5, 180.0}};
  for (size_t i = 0; i < 4; i++) {
    CHECK_APPEND(&w, inv_site(a, w.admin, edge[i].id, edge[i].lat, edge[i].lon), OK);
    Partsledger__V1__Site *s;
    CHECK_STATUS(&w.e, inv_get_site(&w.e, edge[i].id, &s), OK);
    CHECK(s->latitude == edge[i].lat && s->longitude == edge[i].lon);
  }
  inv_world_stop(&w);
}

PL_TEST(quantities_at_least_one_and_delta_not_zero) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 2, NULL, inv_later()),
               OK);
  uint64_t size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_batch(a, w.maker, "b0", SUPPLIER, "SKU-1", 0), INVALID, "quantity");
  CHECK_REFUSED(&w, inv_receive(a, w.clerk, SITE_A, "b1", 0), INVALID, "quantity");
  CHECK_REFUSED(&w, inv_transfer(a, w.clerk, SITE_A, SITE_B, "b1", 0), INVALID, "quantity");
  CHECK_REFUSED(&w, inv_reserve(a, w.clerk, "r0", SITE_A, "SKU-1", 0, NULL, inv_later()),
                INVALID, "quantity");
  CHECK_REFUSED(&w, inv_fulfil(a, w.clerk, "r1", "b1", 0), INVALID, "quantity");
  CHECK_REFUSED(&w, inv_adjust(a, w.clerk, SITE_A, "b1", 0), INVALID, "delta");
  CHECK_EQ(tree_size(&w.e), size);
  inv_world_stop(&w);
}

PL_TEST(kinds_classes_and_reasons_specified) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  uint64_t size = tree_size(&w.e);
  Partsledger__V1__SiteRegistered *s = inv_site_body(a, "site-nokind", 1.0, 1.0);
  s->kind = PARTSLEDGER__V1__SITE_KIND__SITE_KIND_UNSPECIFIED;
  CHECK_REFUSED(&w, inv_sign(a, w.admin, &s->base), INVALID, "kind");
  Partsledger__V1__BatchRegistered *b = inv_batch_body(a, "b-noclass", SUPPLIER, "S", 1);
  b->part_class = PARTSLEDGER__V1__PART_CLASS__PART_CLASS_UNSPECIFIED;
  CHECK_REFUSED(&w, inv_sign(a, w.maker, &b->base), INVALID, "part_class");
  Partsledger__V1__StockAdjusted *ad = inv_adjust_body(
      a, SITE_A, "b1", -1, PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_UNSPECIFIED);
  CHECK_REFUSED(&w, inv_sign(a, w.clerk, &ad->base), INVALID, "reason");
  CHECK_EQ(tree_size(&w.e), size);
  /* Every specified value is accepted. */
  for (int k = 1; k <= 4; k++) {
    s = inv_site_body(a, pl_arena_printf(a, "site-kind-%d", k), 1.0, 1.0);
    s->kind = k;
    CHECK_APPEND(&w, inv_sign(a, w.admin, &s->base), OK);
  }
  for (int r = 1; r <= 5; r++) {
    ad = inv_adjust_body(a, SITE_A, "b1", -1, r);
    CHECK_APPEND(&w, inv_sign(a, w.clerk, &ad->base), OK);
  }
  inv_world_stop(&w);
}

PL_TEST(transfer_to_the_same_site_invalid) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  uint64_t size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_transfer(w.e.a, w.clerk, SITE_A, SITE_A, "b1", 1),
                INVALID, "site_id");
  CHECK_EQ(tree_size(&w.e), size);
  inv_world_stop(&w);
}

PL_TEST(serials_distinct_ids_no_more_than_quantity) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  uint64_t size = tree_size(&w.e);
  static char *too_many[] = {"SN-1", "SN-2", "SN-3"};
  static char *twice[] = {"SN-1", "SN-2", "SN-1"};
  static char *spaced[] = {"SN-1", "SN 2"};
  static char *empty[] = {"SN-1", ""};
  char *long_one[] = {"SN-1", inv_repeat(a, 'n', 65)};
  const struct {
    char **serials;
    size_t n;
    uint64_t quantity;
  } bad[] = {{too_many, 3, 2}, {twice, 3, 10}, {spaced, 2, 10}, {empty, 2, 10},
             {long_one, 2, 10}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    Partsledger__V1__BatchRegistered *b =
        inv_batch_body(a, "b-serials", SUPPLIER, "SKU-1", bad[i].quantity);
    b->serials = bad[i].serials;
    b->n_serials = bad[i].n;
    CHECK_REFUSED(&w, inv_sign(a, w.maker, &b->base), INVALID, "serials");
  }
  CHECK_EQ(tree_size(&w.e), size);
  /* As many serials as units, or fewer. */
  const uint64_t quantity[] = {3, 10};
  for (size_t i = 0; i < 2; i++) {
    char *id = pl_arena_printf(a, "b-serials-%zu", i);
    Partsledger__V1__BatchRegistered *b =
        inv_batch_body(a, id, SUPPLIER, "SKU-1", quantity[i]);
    b->serials = too_many;
    b->n_serials = 3;
    CHECK_APPEND(&w, inv_sign(a, w.maker, &b->base), OK);
    Partsledger__V1__Batch *got;
    CHECK_STATUS(&w.e, inv_get_batch(&w.e, id, &got), OK);
    CHECK_EQ(got->serial_count, 3);
  }
  inv_world_stop(&w);
}

PL_TEST(reservation_expiry_after_log_time_within_90_days) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  uint64_t size = tree_size(&w.e);
  int64_t now = pl_now_ms();
  const int64_t bad[] = {0, -1, now - 60000, now - 1, now + 90 * DAY_MS + 60000,
                         now + 365 * DAY_MS, INT64_MAX};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    CHECK_REFUSED(&w, inv_reserve(a, w.clerk, "r-x", SITE_A, "SKU-1", 1, NULL, bad[i]),
                  INVALID, "expires_at_ms");
  CHECK_EQ(tree_size(&w.e), size);
  now = pl_now_ms();
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r-soon", SITE_A, "SKU-1", 1, NULL, now + 5000),
               OK);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r-far", SITE_A, "SKU-1", 1, NULL,
                               now + 90 * DAY_MS - 60000),
               OK);
  Partsledger__V1__Reservation *r;
  CHECK_STATUS(&w.e, inv_get_reservation(&w.e, "r-far", &r), OK);
  CHECK_EQ(r->expires_at_ms, now + 90 * DAY_MS - 60000);
  CHECK(r->expires_at_ms - r->reserved_at_ms <= 90 * DAY_MS);
  inv_world_stop(&w);
}

PL_TEST(reservation_of_a_batch_of_another_sku_invalid) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-2", 100, SITE_A, 10), OK);
  uint64_t size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 1, "b2", inv_later()),
                INVALID, "batch_id");
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 1, "b1", inv_later()),
               OK);
  inv_world_stop(&w);
}

/* --- references --------------------------------------------------------------- */

PL_TEST(unknown_references_not_found) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 1, NULL, inv_later()),
               OK);
  uint64_t size = tree_size(&w.e);
  int64_t later = inv_later();
  const pl_key *c = w.clerk;
  CHECK_APPEND(&w, inv_batch(a, w.maker, "b-new", "sup-nobody", "SKU-1", 5), NOT_FOUND);
  /* The clerk is bound to SITE_GHOST, which was never registered. */
  CHECK_APPEND(&w, inv_receive(a, c, SITE_GHOST, "b1", 1), NOT_FOUND);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b-nobody", 1), NOT_FOUND);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, "site-nowhere", "b1", 1), NOT_FOUND);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_GHOST, SITE_A, "b1", 1), NOT_FOUND);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, SITE_B, "b-nobody", 1), NOT_FOUND);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_GHOST, "b1", 1), NOT_FOUND);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b-nobody", -1), NOT_FOUND);
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_GHOST, "SKU-1", 1, NULL, later), NOT_FOUND);
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 1, "b-nobody", later),
               NOT_FOUND);
  CHECK_APPEND(&w, inv_release(a, c, "r-nobody"), NOT_FOUND);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r-nobody", "b1", 1), NOT_FOUND);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r1", "b-nobody", 1), NOT_FOUND);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b-nobody", "never made"), NOT_FOUND);
  CHECK_EQ(tree_size(&w.e), size);

  /* Queries of unknown ids. */
  Partsledger__V1__Site *s;
  Partsledger__V1__Batch *b;
  Partsledger__V1__Reservation *r;
  Partsledger__V1__GetStockResponse *st;
  Partsledger__V1__TraceBatchResponse *tb;
  Partsledger__V1__TraceSupplierResponse *ts;
  CHECK_STATUS(&w.e, inv_get_site(&w.e, SITE_GHOST, &s), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_get_batch(&w.e, "b-nobody", &b), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_get_reservation(&w.e, "r-nobody", &r), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_get_stock(&w.e, SITE_GHOST, "SKU-1", &st), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b-nobody", 0, 0, 1, &tb), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "sup-nobody", 0, 0, &ts), NOT_FOUND);
  /* A SKU nobody registered is no reference: there is just none of it. */
  CHECK_REFUSED(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-none", 1, NULL, later),
                FAILED, "available 0");
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_STATUS(&w.e, inv_get_stock(&w.e, SITE_A, "SKU-none", &st), OK);
  CHECK(st->on_hand == 0 && st->reserved == 0 && st->available == 0 && st->n_batches == 0);
  inv_world_stop(&w);
}

/* --- stock rules ---------------------------------------------------------------- */

static uint64_t units_in_network(inv_world *w, const char *batch_id) {
  Partsledger__V1__Batch *b;
  return inv_get_batch(&w->e, batch_id, &b) == OK ? b->units_in_network : UINT64_MAX;
}

PL_TEST(units_in_network_never_exceed_quantity) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 10, SITE_A, 6), OK);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_B, "b1", 4), OK);
  CHECK_EQ(units_in_network(&w, "b1"), 10);
  uint64_t size = tree_size(&w.e);
  /* The 11th unit of a batch of 10 is a counterfeit, at any site. */
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_receive(a, w.station, SITE_C, "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_B, "b1", 1), FAILED);
  CHECK_EQ(tree_size(&w.e), size);
  /* Moving units does not change the count, nor does scrapping make room. */
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, SITE_B, "b1", 2), OK);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_B, "b1", -3), OK);
  CHECK_EQ(units_in_network(&w, "b1"), 10);
  size = tree_size(&w.e);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b1", 1), FAILED);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_STOCK(&w, SITE_B, "SKU-1", 3, 0, 3);

  /* Positive adjustments count like receipts. */
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-1", 10, SITE_A, 8), OK);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b2", 2), OK);
  CHECK_EQ(units_in_network(&w, "b2"), 10);
  size = tree_size(&w.e);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b2", 1), FAILED);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_B, "b2", 1), FAILED);
  CHECK_EQ(tree_size(&w.e), size);
  /* One receipt larger than the batch. */
  CHECK_EQ(inv_stocked(&w, "b3", "SKU-1", 5, SITE_A, 0), OK);
  size = tree_size(&w.e);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b3", 6), FAILED);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b3", UINT64_MAX), FAILED);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b3", 5), OK);
  CHECK_EQ(units_in_network(&w, "b3"), 5);
  inv_world_stop(&w);
}

PL_TEST(taking_more_than_the_site_holds_failed_precondition) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 5), OK);
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-1", 100, SITE_B, 5), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r1", SITE_A, "SKU-1", 2, NULL, inv_later()), OK);
  uint64_t size = tree_size(&w.e);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, SITE_B, "b1", 6), FAILED);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b1", -6), FAILED);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b1", INT64_MIN + 1), FAILED);
  /* B holds none of b1, A none of b2. */
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_B, SITE_A, "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_B, "b1", -1), FAILED);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r1", "b2", 1), FAILED);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 5, 2, 3);
  inv_world_stop(&w);
}

PL_TEST(stock_invariant_refusals_name_the_available_figure) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  int64_t later = inv_later();
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 5), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r1", SITE_A, "SKU-1", 2, NULL, later), OK);
  uint64_t size = tree_size(&w.e);
  /* Per SKU: 5 on hand, 2 reserved. */
  CHECK_REFUSED(&w, inv_transfer(a, c, SITE_A, SITE_B, "b1", 4), FAILED, "available 3");
  CHECK_REFUSED(&w, inv_adjust(a, c, SITE_A, "b1", -4), FAILED, "available 3");
  CHECK_REFUSED(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 4, NULL, later), FAILED,
                "available 3");
  CHECK_REFUSED(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 4, "b1", later), FAILED,
                "available 3");
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 3, NULL, later), OK);
  size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_reserve(a, c, "r3", SITE_A, "SKU-1", 1, NULL, later), FAILED,
                "available 0");
  CHECK_REFUSED(&w, inv_transfer(a, c, SITE_A, SITE_B, "b1", 1), FAILED, "available 0");
  CHECK_EQ(tree_size(&w.e), size);

  /* Per batch: b2 brings 5 more; r4 names b2 for 4 of them. */
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-1", 100, SITE_A, 5), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r4", SITE_A, "SKU-1", 4, "b2", later), OK);
  size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_reserve(a, c, "r5", SITE_A, "SKU-1", 2, "b2", later), FAILED,
                "available 1");
  CHECK_REFUSED(&w, inv_transfer(a, c, SITE_A, SITE_B, "b2", 2), FAILED, "available 1");
  CHECK_REFUSED(&w, inv_adjust(a, c, SITE_A, "b2", -2), FAILED, "available 1");
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, SITE_B, "b2", 1), OK);
  size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_adjust(a, c, SITE_A, "b2", -1), FAILED, "available 0");
  CHECK_REFUSED(&w, inv_adjust(a, c, SITE_A, "b1", -1), FAILED, "available 0");
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 9, 9, 0);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b2", 4, 4, 0, 0);

  /* A fulfilment too: at B, c1 covers r6 (naming it) exactly; r7 names no
   * batch and is covered by c2. Fulfilling r7 from c1 would leave c1 short
   * of r6. */
  CHECK_EQ(inv_stocked(&w, "c1", "SKU-2", 100, SITE_B, 3), OK);
  CHECK_EQ(inv_stocked(&w, "c2", "SKU-2", 100, SITE_B, 2), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r6", SITE_B, "SKU-2", 3, "c1", later), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r7", SITE_B, "SKU-2", 2, NULL, later), OK);
  size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_fulfil(a, c, "r7", "c1", 2), FAILED, "available 0");
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_STATE(&w, "r7", ACTIVE);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r7", "c2", 2), OK);
  inv_world_stop(&w);
}

PL_TEST(recalled_batch_takes_no_stock_and_no_reservations) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  int64_t later = inv_later();
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r1", SITE_A, "SKU-1", 2, "b1", later), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 2, NULL, later), OK);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b1", "seal fails at 80 C"), OK);
  Partsledger__V1__Batch *b;
  CHECK_STATUS(&w.e, inv_get_batch(&w.e, "b1", &b), OK);
  CHECK(b->recalled);
  CHECK_STR(b->recall_reason, "seal fails at 80 C");

  uint64_t size = tree_size(&w.e);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, SITE_B, "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_reserve(a, c, "r3", SITE_A, "SKU-1", 1, "b1", later), FAILED);
  CHECK_APPEND(&w, inv_reserve(a, c, "r3", SITE_A, "SKU-1", 1, NULL, later), FAILED);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r1", "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r2", "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b1", 1), FAILED);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b1", "again"), FAILED);
  CHECK_EQ(tree_size(&w.e), size);
  /* Scrapping and returns go on. */
  Partsledger__V1__StockAdjusted *ad = inv_adjust_body(
      a, SITE_A, "b1", -3, PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_SCRAPPED);
  CHECK_APPEND(&w, inv_sign(a, c, &ad->base), OK);
  ad = inv_adjust_body(a, SITE_A, "b1", -1,
                       PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_RETURNED_TO_SUPPLIER);
  CHECK_APPEND(&w, inv_sign(a, c, &ad->base), OK);

  /* The recalled units are on hand but not available; the reservations the
   * recall left uncovered stay active. */
  CHECK_STOCK(&w, SITE_A, "SKU-1", 6, 4, 0);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b1", 6, 2, 0, 1);
  CHECK_STATE(&w, "r1", ACTIVE);
  CHECK_STATE(&w, "r2", ACTIVE);

  /* r1 can only be released; r2 is fulfilled from a good batch. Until the
   * invariant holds again no new reservation of the SKU succeeds. */
  CHECK_APPEND(&w, inv_release(a, c, "r1"), OK);
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-1", 100, SITE_A, 1), OK);
  size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_reserve(a, c, "r3", SITE_A, "SKU-1", 1, NULL, later), FAILED,
                "available 0");
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b2", 4), OK);
  size = tree_size(&w.e);
  CHECK_REFUSED(&w, inv_reserve(a, c, "r3", SITE_A, "SKU-1", 4, NULL, later), FAILED,
                "available 3");
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r2", "b2", 2), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r3", SITE_A, "SKU-1", 3, NULL, later), OK);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 9, 3, 0);
  inv_world_stop(&w);
}

PL_TEST(recall_never_refused_for_stock_reasons) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  int64_t later = inv_later();
  /* Every unit of b1 reserved, at two sites, and some moved on. */
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 20, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, SITE_B, "b1", 4), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r1", SITE_A, "SKU-1", 6, "b1", later), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_B, "SKU-1", 4, NULL, later), OK);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b1", "wrong alloy"), OK);
  /* Reserved as before, nothing available, and never below zero. */
  CHECK_STOCK(&w, SITE_A, "SKU-1", 6, 6, 0);
  CHECK_STOCK(&w, SITE_B, "SKU-1", 4, 4, 0);
  /* A recall of a batch with nothing received is fine too. */
  CHECK_EQ(inv_stocked(&w, "b-unsent", "SKU-1", 20, NULL, 0), OK);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b-unsent", "design flaw"), OK);
  CHECK_APPEND(&w, inv_release(a, c, "r2"), OK);
  inv_world_stop(&w);
}

/* --- the life of a reservation ---------------------------------------------- */

PL_TEST(reservation_read_back_and_released) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  int64_t expires = inv_later();
  Partsledger__V1__PartReserved *body =
      inv_reserve_body(a, "r1", SITE_A, "SKU-1", 3, "b1", expires);
  body->repair_order_id = "RO-2025-17";
  uint64_t index;
  CHECK_STATUS(&w.e, inv_append_at(&w.e, inv_sign(a, w.clerk, &body->base), &index), OK);
  Partsledger__V1__Reservation *r;
  CHECK_STATUS(&w.e, inv_get_reservation(&w.e, "r1", &r), OK);
  CHECK_STR(r->reservation_id, "r1");
  CHECK_STR(r->site_id, SITE_A);
  CHECK_STR(r->sku, "SKU-1");
  CHECK_STR(r->batch_id, "b1");
  CHECK_EQ(r->quantity, 3);
  CHECK_STR(r->repair_order_id, "RO-2025-17");
  CHECK_EQ(r->expires_at_ms, expires);
  CHECK_EQ(r->state, PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_ACTIVE);
  CHECK_EQ(r->reserved_index, index);
  CHECK_EQ(r->closed_index, 0);
  CHECK_STR(r->fulfilled_batch_id, "");
  CHECK_EQ(r->fulfilled_quantity, 0);
  /* reserved_at_ms is the log time of its leaf. */
  Partsledger__V1__EntryResponse *er;
  CHECK_EQ(pl_client_get_entry(w.e.c, index, a, &er), 0);
  Partsledger__V1__Leaf *leaf =
      partsledger__v1__leaf__unpack(pl_arena_allocator(a), er->leaf.len, er->leaf.data);
  CHECK(leaf != NULL);
  CHECK_EQ(r->reserved_at_ms, leaf->integrated_at_ms);

  uint64_t closed;
  CHECK_STATUS(&w.e, inv_append_at(&w.e, inv_release(a, w.clerk, "r1"), &closed), OK);
  CHECK_STATUS(&w.e, inv_get_reservation(&w.e, "r1", &r), OK);
  CHECK_EQ(r->state, PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_RELEASED);
  CHECK_EQ(r->closed_index, closed);
  CHECK_EQ(r->reserved_index, index);
  CHECK_EQ(r->quantity, 3);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 10, 0, 10);
  inv_world_stop(&w);
}

PL_TEST(only_active_reservations_released_or_fulfilled) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r-rel", SITE_A, "SKU-1", 2, NULL, inv_later()), OK);
  CHECK_APPEND(&w, inv_release(a, c, "r-rel"), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r-ful", SITE_A, "SKU-1", 2, NULL, inv_later()), OK);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r-ful", "b1", 2), OK);
  /* r-exp expires 20 s out, far enough for its own append on a slow
   * machine; the case then sleeps until the clock is past it. */
  int64_t expires = pl_now_ms() + 20000;
  CHECK_APPEND(&w, inv_reserve(a, c, "r-exp", SITE_A, "SKU-1", 2, NULL, expires), OK);
  while (pl_now_ms() <= expires + 200)
    usleep(50 * 1000);
  uint64_t size = tree_size(&w.e);
  const char *closed[] = {"r-rel", "r-ful", "r-exp"};
  for (int i = 0; i < 3; i++) {
    CHECK_APPEND(&w, inv_release(a, c, closed[i]), FAILED);
    CHECK_APPEND(&w, inv_fulfil(a, c, closed[i], "b1", 1), FAILED);
  }
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_STATE(&w, "r-rel", RELEASED);
  CHECK_STATE(&w, "r-ful", FULFILLED);
  CHECK_STATE(&w, "r-exp", EXPIRED);
  inv_world_stop(&w);
}

PL_TEST(fulfilment_takes_from_the_named_batch_and_closes) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_EQ(inv_stocked(&w, "c1", "SKU-2", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r1", SITE_A, "SKU-1", 3, "b1", inv_later()), OK);
  uint64_t size = tree_size(&w.e);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r1", "b2", 1), FAILED); /* not the batch it named */
  CHECK_APPEND(&w, inv_fulfil(a, c, "r1", "c1", 1), FAILED); /* another SKU */
  CHECK_APPEND(&w, inv_fulfil(a, c, "r1", "b1", 4), FAILED); /* more than reserved */
  CHECK_EQ(tree_size(&w.e), size);

  /* Two of three: the reservation closes, the third unit is free again. */
  uint64_t index;
  CHECK_STATUS(&w.e, inv_append_at(&w.e, inv_fulfil(a, c, "r1", "b1", 2), &index), OK);
  Partsledger__V1__Reservation *r;
  CHECK_STATUS(&w.e, inv_get_reservation(&w.e, "r1", &r), OK);
  CHECK_EQ(r->state, PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_FULFILLED);
  CHECK_STR(r->fulfilled_batch_id, "b1");
  CHECK_EQ(r->fulfilled_quantity, 2);
  CHECK_EQ(r->closed_index, index);
  CHECK_EQ(r->quantity, 3);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 18, 0, 18);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b1", 8, 0, 8, 0);

  /* A reservation naming no batch is fulfilled from any batch of its SKU. */
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 3, NULL, inv_later()), OK);
  size = tree_size(&w.e);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r2", "c1", 3), FAILED);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r2", "b2", 3), OK);
  CHECK_STATUS(&w.e, inv_get_reservation(&w.e, "r2", &r), OK);
  CHECK_STR(r->fulfilled_batch_id, "b2");
  CHECK_EQ(r->fulfilled_quantity, 3);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 15, 0, 15);
  inv_world_stop(&w);
}

PL_TEST(transfer_moves_units_between_sites) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_transfer(a, w.clerk, SITE_A, SITE_X, "b1", 4), OK);
  CHECK_APPEND(&w, inv_transfer(a, w.other, SITE_X, SITE_C, "b1", 1), OK);
  const struct {
    const char *site;
    uint64_t held;
  } want[] = {{SITE_A, 6}, {SITE_X, 3}, {SITE_C, 1}, {SITE_B, 0}};
  for (int i = 0; i < 4; i++)
    CHECK_STOCK(&w, want[i].site, "SKU-1", want[i].held, 0, want[i].held);
  CHECK_EQ(units_in_network(&w, "b1"), 10);
  inv_world_stop(&w);
}

PL_TEST_MAIN(PL_CASE(site_registered_and_read_back),
             PL_CASE(batch_registered_and_read_back),
             PL_CASE(gtin_checked_and_returned_as_gtin14),
             PL_CASE(gln_thirteen_digits_with_check_digit),
             PL_CASE(ids_registered_twice_already_exist),
             PL_CASE(registrations_and_recalls_by_their_roles_only),
             PL_CASE(stock_kinds_by_actors_bound_to_the_site),
             PL_CASE(ids_one_to_64_bytes_printable_without_spaces),
             PL_CASE(text_fields_at_most_256_bytes_printable),
             PL_CASE(coordinates_finite_and_in_range),
             PL_CASE(quantities_at_least_one_and_delta_not_zero),
             PL_CASE(kinds_classes_and_reasons_specified),
             PL_CASE(transfer_to_the_same_site_invalid),
             PL_CASE(serials_distinct_ids_no_more_than_quantity),
             PL_CASE(reservation_expiry_after_log_time_within_90_days),
             PL_CASE(reservation_of_a_batch_of_another_sku_invalid),
             PL_CASE(unknown_references_not_found),
             PL_CASE(units_in_network_never_exceed_quantity),
             PL_CASE(taking_more_than_the_site_holds_failed_precondition),
             PL_CASE(stock_invariant_refusals_name_the_available_figure),
             PL_CASE(recalled_batch_takes_no_stock_and_no_reservations),
             PL_CASE(recall_never_refused_for_stock_reasons),
             PL_CASE(reservation_read_back_and_released),
             PL_CASE(only_active_reservations_released_or_fulfilled),
             PL_CASE(fulfilment_takes_from_the_named_batch_and_closes),
             PL_CASE(transfer_moves_units_between_sites))
