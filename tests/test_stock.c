/*
 * test_stock.c - integration tests of the inventory queries and of stock
 * under load and failure, through the real server: GetStock's figures,
 * StockNear against the haversine distance and a brute-force answer
 * (poles, antimeridian, radius 0 and 20,016 km), reservations expiring by
 * the log time for writes and by the clock for queries, 32 clients racing
 * for the last units, kill -9 during a stream of receipts and reservations,
 * and every answer the same after a restart and a --rebuild.
 *
 * The rules of each kind are in test_inventory.c; traces in test_trace.c.
 */
#include <grpc/status.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "inv.h"
#include "mutate.h"
#include "test.h"

/* --- GetStock ---------------------------------------------------------------- */

PL_TEST(get_stock_counts_on_hand_reserved_and_available) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  int64_t later = inv_later();
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 5), OK);
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-1", 100, SITE_A, 7), OK);
  CHECK_EQ(inv_stocked(&w, "b3", "SKU-1", 100, SITE_A, 3), OK);
  CHECK_EQ(inv_stocked(&w, "b4", "SKU-1", 100, SITE_B, 9), OK); /* another site */
  CHECK_EQ(inv_stocked(&w, "c1", "SKU-2", 100, SITE_A, 4), OK); /* another SKU */
  CHECK_APPEND(&w, inv_reserve(a, c, "r1", SITE_A, "SKU-1", 2, "b1", later), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 3, NULL, later), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r3", SITE_A, "SKU-1", 1, "b2", later), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r4", SITE_A, "SKU-1", 4, NULL, later), OK);
  CHECK_APPEND(&w, inv_release(a, c, "r4"), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r5", SITE_A, "SKU-1", 2, "b2", later), OK);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r5", "b2", 1), OK);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b3", "bad seals"), OK);
  /* b1 5 (2 named), b2 6 (1 named), b3 3 recalled; 6 reserved in all. */
  Partsledger__V1__GetStockResponse *st;
  CHECK_STATUS(&w.e, inv_get_stock(&w.e, SITE_A, "SKU-1", &st), OK);
  CHECK_STR(st->site_id, SITE_A);
  CHECK_STR(st->sku, "SKU-1");
  CHECK_EQ(st->on_hand, 14);
  CHECK_EQ(st->reserved, 6);
  CHECK_EQ(st->available, 11 - 6);
  CHECK_EQ(st->n_batches, 3);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b1", 5, 2, 3, 0);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b2", 6, 1, 5, 0);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b3", 3, 0, 0, 1);
  CHECK_STOCK(&w, SITE_A, "SKU-2", 4, 0, 4);
  CHECK_STOCK(&w, SITE_B, "SKU-1", 9, 0, 9);
  CHECK_STOCK(&w, SITE_C, "SKU-1", 0, 0, 0);
  inv_world_stop(&w);
}

/* --- StockNear ---------------------------------------------------------------- */

PL_TEST(stock_near_nearest_first_by_haversine) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  /* Munich (A), Munich west (C, 8.5 km), Augsburg (B, 56 km), Berlin (X,
   * 504 km); two more at the same point 20 km north, registered in the
   * reverse order of their ids. */
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 1000, SITE_A, 3), OK);
  CHECK_APPEND(&w, inv_receive(a, w.clerk, SITE_B, "b1", 4), OK);
  CHECK_APPEND(&w, inv_receive(a, w.station, SITE_C, "b1", 5), OK);
  CHECK_APPEND(&w, inv_receive(a, w.other, SITE_X, "b1", 6), OK);
  const double lat[] = {48.3, 48.3}, lon[] = {11.6, 11.6};
  const uint64_t units[] = {2, 2};
  pl_key *k = inv_stock_sites(&w, "tie", 2, lat, lon, NULL, "b-tie", "SKU-1", units);
  CHECK(k != NULL);
  pl_key_free(k);

  Partsledger__V1__StockNearResponse *r;
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-1", INV_A_LAT, INV_A_LON, 50, 0, 0, &r), OK);
  const char *order[] = {SITE_A, SITE_C, "tie-00", "tie-01"};
  CHECK_EQ(r->n_sites, 4);
  for (size_t i = 0; i < 4; i++) {
    const Partsledger__V1__NearbyStock *s = r->sites[i];
    CHECK_STR(s->site_id, order[i]);
    double d = inv_haversine_m(INV_A_LAT, INV_A_LON, s->latitude, s->longitude);
    if (fabs(s->distance_m - d) > inv_tolerance_m(d))
      fprintf(stderr, "%s at %.6f m, haversine %.6f m\n", s->site_id, s->distance_m, d);
    CHECK(fabs(s->distance_m - d) <= inv_tolerance_m(d));
  }
  CHECK(r->sites[0]->distance_m == 0.0);
  CHECK(r->sites[2]->distance_m == r->sites[3]->distance_m);
  CHECK_EQ(r->sites[0]->available, 3);
  CHECK_EQ(r->sites[1]->available, 5);
  CHECK_EQ(r->sites[1]->kind, PARTSLEDGER__V1__SITE_KIND__SITE_KIND_REPAIR_STATION);
  CHECK_STR(r->sites[1]->name, "Site " SITE_C);
  CHECK(r->sites[1]->latitude == INV_C_LAT && r->sites[1]->longitude == INV_C_LON);

  /* Augsburg is 56.5 km away: in at 60 km, last. Berlin in at 600 km. */
  double to_b = inv_haversine_m(INV_A_LAT, INV_A_LON, INV_B_LAT, INV_B_LON);
  CHECK(to_b > 56000 && to_b < 57000);
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-1", INV_A_LAT, INV_A_LON, 60, 0, 0, &r), OK);
  CHECK_EQ(r->n_sites, 5);
  CHECK_STR(r->sites[4]->site_id, SITE_B);
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-1", INV_A_LAT, INV_A_LON, 600, 0, 0, &r), OK);
  CHECK_EQ(r->n_sites, 6);
  CHECK_STR(r->sites[5]->site_id, SITE_X);
  /* A limit that cuts a tie keeps the smaller id. */
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-1", INV_A_LAT, INV_A_LON, 50, 0, 3, &r), OK);
  CHECK_EQ(r->n_sites, 3);
  CHECK_STR(r->sites[2]->site_id, "tie-00");
  /* Radius 0 at a site's own point finds it. */
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-1", INV_C_LAT, INV_C_LON, 0, 0, 0, &r), OK);
  CHECK_EQ(r->n_sites, 1);
  CHECK_STR(r->sites[0]->site_id, SITE_C);
  /* A SKU nobody holds is an empty answer. */
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-none", INV_A_LAT, INV_A_LON, 20016, 0, 0, &r), OK);
  CHECK_EQ(r->n_sites, 0);
  inv_world_stop(&w);
}

PL_TEST(stock_near_filters_limits_and_arguments) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  /* 25 sites along a meridian 1 km apart, of every kind in turn, holding
   * 1..25 units. */
  enum { N = 25 };
  double lat[N], lon[N];
  uint64_t units[N];
  Partsledger__V1__SiteKind kind[N];
  for (int i = 0; i < N; i++) {
    lat[i] = 50.0 + i * (1000.0 / INV_EARTH_M) * (180.0 / M_PI);
    lon[i] = 8.0;
    units[i] = (uint64_t)i + 1;
    kind[i] = (Partsledger__V1__SiteKind)(1 + i % 4);
  }
  pl_key *k = inv_stock_sites(&w, "row", N, lat, lon, kind, "b-row", "SKU-9", units);
  CHECK(k != NULL);
  Partsledger__V1__StockNearResponse *r;
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", 50.0, 8.0, 100, 0, 0, &r), OK);
  CHECK_EQ(r->n_sites, 20); /* limit 0 means 20 */
  for (int i = 0; i < 20; i++) {
    CHECK_STR(r->sites[i]->site_id, pl_arena_printf(a, "row-%02d", i));
    CHECK_EQ(r->sites[i]->available, i + 1);
    CHECK_EQ(r->sites[i]->kind, kind[i]);
  }
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", 50.0, 8.0, 100, 0, 1000, &r), OK);
  CHECK_EQ(r->n_sites, N);
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", 50.0, 8.0, 100, 0, 7, &r), OK);
  CHECK_EQ(r->n_sites, 7);
  /* min_available: at least that many available now. */
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", 50.0, 8.0, 100, 20, 1000, &r), OK);
  CHECK_EQ(r->n_sites, 6);
  CHECK_STR(r->sites[0]->site_id, "row-19");
  /* min_available 0 means 1: reserve all of row-00 and it drops out of both. */
  CHECK_APPEND(&w, inv_reserve(a, k, "r-all", "row-00", "SKU-9", 1, NULL, inv_later()), OK);
  for (uint64_t min = 0; min <= 1; min++) {
    CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", 50.0, 8.0, 100, min, 1000, &r), OK);
    CHECK_EQ(r->n_sites, N - 1);
    CHECK_STR(r->sites[0]->site_id, "row-01");
  }
  /* The radius, by exact distance: 10.5 km holds row-00..row-10. */
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", 50.0, 8.0, 10.5, 0, 1000, &r), OK);
  CHECK_EQ(r->n_sites, 10);
  CHECK_STR(r->sites[9]->site_id, "row-10");
  /* kinds: only those asked for. */
  Partsledger__V1__StockNearRequest req = PARTSLEDGER__V1__STOCK_NEAR_REQUEST__INIT;
  Partsledger__V1__SiteKind kinds[] = {PARTSLEDGER__V1__SITE_KIND__SITE_KIND_REPAIR_STATION,
                                       PARTSLEDGER__V1__SITE_KIND__SITE_KIND_SERVICE_VAN};
  req.sku = "SKU-9";
  req.latitude = 50.0;
  req.longitude = 8.0;
  req.radius_km = 100;
  req.limit = 1000;
  req.kinds = kinds;
  req.n_kinds = 2;
  CHECK_STATUS(&w.e, inv_stock_near(&w.e, &req, &r), OK);
  CHECK_EQ(r->n_sites, 12);
  for (size_t i = 0; i < r->n_sites; i++)
    CHECK(r->sites[i]->kind == kinds[0] || r->sites[i]->kind == kinds[1]);
  req.n_kinds = 1;
  CHECK_STATUS(&w.e, inv_stock_near(&w.e, &req, &r), OK);
  CHECK_EQ(r->n_sites, 6);

  /* Arguments out of range. */
  const struct {
    double lat, lon, radius;
    uint32_t limit;
  } bad[] = {{50, 8, 100, 1001}, {50, 8, -0.001, 0}, {50, 8, 20016.001, 0},
             {50, 8, NAN, 0},    {50, 8, INFINITY, 0}, {90.5, 8, 100, 0},
             {-91, 8, 100, 0},   {50, 180.5, 100, 0}, {50, -181, 100, 0},
             {NAN, 8, 100, 0},   {50, NAN, 100, 0},   {INFINITY, 8, 100, 0}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", bad[i].lat, bad[i].lon, bad[i].radius, 0,
                            bad[i].limit, &r),
                 INVALID);
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", 50, 8, 20016, 0, 1000, &r), OK);
  CHECK_EQ(r->n_sites, N - 1);
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-9", -90, -180, 0, 0, 0, &r), OK);
  CHECK_EQ(r->n_sites, 0);
  pl_key_free(k);
  inv_world_stop(&w);
}

/* Sites at random and at the hard places (both poles, both sides of the
 * antimeridian, the same point twice), random stock, reservations and a
 * recalled batch; every probe's answer is checked against brute force over
 * what the test itself wrote. */
PL_TEST(stock_near_matches_brute_force) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  uint64_t rng = pl_mut_seed("stock_near_matches_brute_force");
  enum { N = 60, SKUS = 3 };
  double lat[N], lon[N];
  Partsledger__V1__SiteKind kind[N];
  int64_t avail[N][SKUS];
  uint64_t none[N];
  for (int i = 0; i < N; i++) {
    double u = (double)pl_mut_below(&rng, 1000001) / 1e6;
    double v = (double)pl_mut_below(&rng, 2000001) / 1e6 - 1.0; /* [-1, 1] */
    if (i < 10) { /* north pole */
      lat[i] = i < 2 ? 90.0 : 89.0 + u;
      lon[i] = 180.0 * v;
    } else if (i < 20) { /* south pole */
      lat[i] = i < 12 ? -90.0 : -89.0 - u;
      lon[i] = 180.0 * v;
    } else if (i < 34) { /* either side of the antimeridian */
      lat[i] = 10.0 * v;
      lon[i] = i % 2 ? 179.0 + u : -179.0 - u;
    } else if (i < 38) { /* the same point as the site 4 before */
      lat[i] = lat[i - 4];
      lon[i] = lon[i - 4];
    } else { /* anywhere, uniform on the sphere */
      lat[i] = asin(v) * 180.0 / M_PI;
      lon[i] = 360.0 * u - 180.0;
    }
    kind[i] = (Partsledger__V1__SiteKind)(1 + pl_mut_below(&rng, 4));
    none[i] = 0;
  }
  pl_key *k = inv_stock_sites(&w, "bf", N, lat, lon, kind, "b-none", "SKU-X", none);
  CHECK(k != NULL);
  /* Per SKU a good batch and, for SKU 0, one that is then recalled. */
  Partsledger__V1__SignedEntry **ses = pl_arena_alloc(a, 8 * N * sizeof(*ses));
  size_t m = 0;
  for (int s = 0; s < SKUS; s++)
    ses[m++] = inv_batch(a, w.maker, pl_arena_printf(a, "bf-b%d", s), SUPPLIER,
                         pl_arena_printf(a, "BF-%d", s), 1000000);
  ses[m++] = inv_batch(a, w.maker, "bf-bad", SUPPLIER, "BF-0", 1000000);
  for (int i = 0; i < N; i++) {
    const char *site = pl_arena_printf(a, "bf-%02d", i);
    for (int s = 0; s < SKUS; s++) {
      avail[i][s] = 0;
      uint64_t got = pl_mut_below(&rng, 3) == 0 ? 0 : 1 + pl_mut_below(&rng, 6);
      if (got == 0)
        continue;
      ses[m++] = inv_receive(a, k, site, pl_arena_printf(a, "bf-b%d", s), got);
      uint64_t held = pl_mut_below(&rng, got + 1);
      if (held > 0)
        ses[m++] = inv_reserve(a, k, pl_arena_printf(a, "bf-r%d-%d", i, s), site,
                               pl_arena_printf(a, "BF-%d", s), held, NULL, inv_later());
      avail[i][s] = (int64_t)(got - held);
    }
    if (pl_mut_below(&rng, 4) == 0)
      ses[m++] = inv_receive(a, k, site, "bf-bad", 1 + pl_mut_below(&rng, 5));
  }
  ses[m++] = inv_recall(a, w.maker, "bf-bad", "counterfeit lot");
  Partsledger__V1__AppendBatchResponse *ar;
  CHECK_EQ(pl_client_append_batch(w.e.c, ses, m, a, &ar), 0);
  CHECK_EQ(ar->n_results, m);
  for (size_t i = 0; i < ar->n_results; i++)
    CHECK_STATUS(&w.e, (int)ar->results[i]->code, OK);

  int found = 0;
  for (int p = 0; p < 300; p++) {
    pl_arena_reset(a);
    double u = (double)pl_mut_below(&rng, 1000001) / 1e6;
    double v = (double)pl_mut_below(&rng, 2000001) / 1e6 - 1.0;
    int at = (int)pl_mut_below(&rng, N);
    /* On a site, at a pole, on the antimeridian, or anywhere. */
    double qlat = p % 6 == 0 ? lat[at] : p % 6 == 1 ? (p % 12 == 1 ? 90.0 : -90.0)
                : p % 6 == 2 ? 10.0 * v : asin(v) * 180.0 / M_PI;
    double qlon = p % 6 == 0 ? lon[at] : p % 6 == 1 ? 180.0 * v
                : p % 6 == 2 ? (p % 12 == 2 ? 180.0 : -180.0) : 360.0 * u - 180.0;
    static const double radii[] = {0, 0.001, 50, 120, 500, 3000, 12000, 20016};
    double radius = radii[pl_mut_below(&rng, 8)];
    if (pl_mut_below(&rng, 3) == 0)
      radius = (double)pl_mut_below(&rng, 20016001) / 1000.0;
    uint64_t min = pl_mut_below(&rng, 4);
    static const uint32_t limits[] = {0, 1, 3, 10, 1000};
    uint32_t limit = limits[pl_mut_below(&rng, 5)];
    int sku = (int)pl_mut_below(&rng, SKUS + 1); /* SKUS: one nobody holds */
    Partsledger__V1__StockNearRequest req = PARTSLEDGER__V1__STOCK_NEAR_REQUEST__INIT;
    Partsledger__V1__SiteKind kinds[2] = {1 + pl_mut_below(&rng, 4),
                                          1 + pl_mut_below(&rng, 4)};
    req.sku = pl_arena_printf(a, "BF-%d", sku);
    req.latitude = qlat;
    req.longitude = qlon;
    req.radius_km = radius;
    req.min_available = min;
    req.limit = limit;
    if (pl_mut_below(&rng, 4) == 0) {
      req.kinds = kinds;
      req.n_kinds = 1 + pl_mut_below(&rng, 2);
    }
    Partsledger__V1__StockNearResponse *r;
    CHECK_STATUS(&w.e, inv_stock_near(&w.e, &req, &r), OK);

    /* Brute force: who qualifies, and how far. */
    double d[N];
    int qualifies[N], returned[N];
    uint64_t need = min == 0 ? 1 : min;
    uint32_t cap = limit == 0 ? 20 : limit;
    for (int i = 0; i < N; i++) {
      d[i] = inv_haversine_m(qlat, qlon, lat[i], lon[i]);
      int kind_ok = req.n_kinds == 0;
      for (size_t j = 0; j < req.n_kinds; j++)
        kind_ok |= kind[i] == req.kinds[j];
      qualifies[i] = sku < SKUS && avail[i][sku] >= (int64_t)need && kind_ok;
      returned[i] = 0;
    }
    CHECK(r->n_sites <= cap);
    for (size_t j = 0; j < r->n_sites; j++) {
      const Partsledger__V1__NearbyStock *s = r->sites[j];
      int i;
      CHECK(sscanf(s->site_id, "bf-%d", &i) == 1 && i >= 0 && i < N);
      CHECK(qualifies[i] && !returned[i]);
      returned[i] = 1;
      if (fabs(s->distance_m - d[i]) > inv_tolerance_m(d[i]))
        fprintf(stderr, "probe %d (%.6f, %.6f): %s at %.4f m, haversine %.4f m\n", p, qlat,
                qlon, s->site_id, s->distance_m, d[i]);
      CHECK(fabs(s->distance_m - d[i]) <= inv_tolerance_m(d[i]));
      CHECK(d[i] <= radius * 1000.0 + inv_tolerance_m(d[i]));
      CHECK_EQ(s->available, avail[i][sku]);
      if (j > 0) {
        const Partsledger__V1__NearbyStock *prev = r->sites[j - 1];
        CHECK(prev->distance_m <= s->distance_m);
        CHECK(prev->distance_m < s->distance_m || strcmp(prev->site_id, s->site_id) < 0);
      }
    }
    /* Nothing that surely qualifies is missing: every site well inside the
     * radius, or inside the last one returned when the limit was reached. */
    double bound = radius * 1000.0;
    if (r->n_sites == cap && cap > 0)
      bound = r->sites[cap - 1]->distance_m;
    for (int i = 0; i < N; i++)
      if (qualifies[i] && !returned[i] &&
          (d[i] < bound - inv_tolerance_m(d[i]) || (d[i] == 0 && r->n_sites < cap))) {
        fprintf(stderr, "probe %d (%.6f, %.6f) r=%.3f km: bf-%02d at %.3f m missing\n", p,
                qlat, qlon, radius, i, d[i]);
        CHECK(returned[i]);
      }
    found += (int)r->n_sites;
  }
  fprintf(stderr, "300 probes, %d sites returned\n", found);
  CHECK(found > 0);
  pl_key_free(k);
  inv_world_stop(&w);
}

/* --- expiry --------------------------------------------------------------------- */

/* How far out the expiry tests set their reservations: the checks made
 * before the expiry must be done by then even on a slow, loaded machine
 * (under ASan), and the case then waits for it. */
#define EXPIRY_MS 20000

/* The log time of leaf `index`, or INT64_MAX when it cannot be read. */
static int64_t log_time(env *e, uint64_t index) {
  Partsledger__V1__EntryResponse *r;
  if (pl_client_get_entry(e->c, index, e->a, &r) != 0)
    return INT64_MAX;
  Partsledger__V1__Leaf *l =
      partsledger__v1__leaf__unpack(pl_arena_allocator(e->a), r->leaf.len, r->leaf.data);
  return l != NULL ? l->integrated_at_ms : INT64_MAX;
}

/* Sleeps until the clock is past `t`. */
static void sleep_past(int64_t t) {
  while (pl_now_ms() <= t)
    usleep(50 * 1000);
}

/* With nothing written in between, a reservation the clock has expired
 * stops counting in GetStock and StockNear. */
PL_TEST(clock_expired_reservation_stops_counting) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 5), OK);
  int64_t expires = pl_now_ms() + EXPIRY_MS;
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r1", SITE_A, "SKU-1", 3, "b1", expires), OK);
  uint64_t size = tree_size(&w.e);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 5, 3, 2);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b1", 5, 3, 2, 0);
  Partsledger__V1__StockNearResponse *r;
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-1", INV_A_LAT, INV_A_LON, 10, 3, 0, &r), OK);
  CHECK_EQ(r->n_sites, 0);
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-1", INV_A_LAT, INV_A_LON, 10, 2, 0, &r), OK);
  CHECK_EQ(r->n_sites, 1);
  CHECK_EQ(r->sites[0]->available, 2);
  CHECK_STATE(&w, "r1", ACTIVE);

  sleep_past(expires + 200);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 5, 0, 5);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b1", 5, 0, 5, 0);
  CHECK_STATUS(&w.e, inv_near(&w.e, "SKU-1", INV_A_LAT, INV_A_LON, 10, 5, 0, &r), OK);
  CHECK_EQ(r->n_sites, 1);
  CHECK_EQ(r->sites[0]->available, 5);
  CHECK_STATE(&w, "r1", EXPIRED);
  /* And the units it held can be taken again. */
  CHECK_APPEND(&w, inv_reserve(a, w.clerk, "r2", SITE_A, "SKU-1", 5, "b1", inv_later()),
               OK);
  inv_world_stop(&w);
}

/* What the expiry test expects of the log at every stage. */
static void check_expiry_state(inv_world *w, uint64_t released_at, const char *stage) {
  fprintf(stderr, "expiry, %s\n", stage);
  Partsledger__V1__Reservation *r;
  CHECK_STATE(w, "r-exp", EXPIRED);
  CHECK_STATUS(&w->e, inv_get_reservation(&w->e, "r-rel", &r), OK);
  CHECK_EQ(r->state, PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_RELEASED);
  CHECK_EQ(r->closed_index, released_at);
  CHECK_STATUS(&w->e, inv_get_reservation(&w->e, "r-ful", &r), OK);
  CHECK_EQ(r->state, PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_FULFILLED);
  CHECK_EQ(r->fulfilled_quantity, 2);
  CHECK_STATE(w, "r-new", ACTIVE);
  CHECK_STOCK(w, SITE_A, "SKU-1", 8, 1, 7);
  uint64_t size = tree_size(&w->e);
  CHECK_APPEND(w, inv_release(w->e.a, w->clerk, "r-exp"), FAILED);
  CHECK_APPEND(w, inv_fulfil(w->e.a, w->clerk, "r-exp", "b1", 1), FAILED);
  CHECK_EQ(tree_size(&w->e), size);
}

/* A release and a fulfilment made before the expiry stand when the leaves
 * are applied again after it (restart, --rebuild); a release after it is
 * refused, and stays refused. */
PL_TEST(expiry_judged_at_log_time_survives_restart_and_rebuild) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  int64_t expires = pl_now_ms() + EXPIRY_MS;
  CHECK_APPEND(&w, inv_reserve(a, c, "r-exp", SITE_A, "SKU-1", 1, NULL, expires), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r-rel", SITE_A, "SKU-1", 1, NULL, expires), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r-ful", SITE_A, "SKU-1", 2, "b1", expires), OK);
  uint64_t released_at, fulfilled_at;
  CHECK_STATUS(&w.e, inv_append_at(&w.e, inv_release(a, c, "r-rel"), &released_at), OK);
  CHECK_STATUS(&w.e, inv_append_at(&w.e, inv_fulfil(a, c, "r-ful", "b1", 2), &fulfilled_at),
               OK);
  /* Both were logged before the expiry, which is what they are judged by
   * (the server took them, so it must say so). */
  CHECK(log_time(&w.e, released_at) < expires);
  CHECK(log_time(&w.e, fulfilled_at) < expires);
  CHECK_STATE(&w, "r-exp", ACTIVE);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 8, 1, 7);

  /* Past the expiry, a release is logged after it and refused. */
  sleep_past(expires + 300);
  CHECK_APPEND(&w, inv_release(a, c, "r-exp"), FAILED);
  CHECK_APPEND(&w, inv_reserve(a, c, "r-new", SITE_A, "SKU-1", 1, NULL, inv_later()), OK);
  check_expiry_state(&w, released_at, "as written");
  CHECK(!pl_test_failed);

  CHECK_EQ(pl_harness_stop(w.e.h), 0);
  CHECK_EQ(pl_harness_restart(w.e.h), 0);
  CHECK_EQ(env_reconnect(&w.e), 0);
  check_expiry_state(&w, released_at, "after a restart");
  CHECK(!pl_test_failed);

  CHECK_EQ(pl_harness_stop(w.e.h), 0);
  CHECK(inv_daemon(&w.e, "--rebuild", "rebuilt from"));
  CHECK(inv_daemon(&w.e, "--check", "derived state is the leaves' own"));
  CHECK_EQ(pl_harness_restart(w.e.h), 0);
  CHECK_EQ(env_reconnect(&w.e), 0);
  check_expiry_state(&w, released_at, "after --rebuild");
  CHECK(!pl_test_failed);
  inv_world_stop(&w);
}

/* --- concurrency -------------------------------------------------------------- */

#define RACERS 32
#define TRIES 5

typedef struct {
  const char *target;
  const pl_key *key;
  int id;
  pthread_barrier_t *go;
  int ok, named, refused, other;
} racer;

static void *race(void *arg) {
  racer *rc = arg;
  pl_client *c = NULL;
  pl_arena *a = pl_arena_new(0);
  int serving = 0;
  if (a == NULL || pl_client_open(rc->target, &c) != 0)
    abort();
  pl_client_set_timeout_ms(c, 30000);
  /* Connected and signed before the start, so the calls meet at the server. */
  pl_client_health(c, &serving);
  Partsledger__V1__SignedEntry *ses[TRIES];
  for (int t = 0; t < TRIES; t++)
    ses[t] = inv_reserve(a, rc->key, pl_arena_printf(a, "race-%02d-%d", rc->id, t), SITE_A,
                         "SKU-1", 1, (rc->id + t) % 2 ? "b1" : NULL, inv_later());
  pthread_barrier_wait(rc->go);
  for (int t = 0; t < TRIES; t++) {
    int code = inv_send(c, a, ses[t], NULL);
    if (code == OK) {
      rc->ok++;
      rc->named += (rc->id + t) % 2;
    } else if (code == FAILED) {
      rc->refused++;
    } else {
      fprintf(stderr, "racer %d: status %d %s\n", rc->id, code, inv_msg_of(c));
      rc->other++;
    }
  }
  pl_client_close(c);
  pl_arena_free(a);
  return NULL;
}

/* 32 clients, each its own connection and its own warehouse actor, reserve
 * one unit at a time of the 100 at a site, 160 tries at once: exactly 100
 * succeed, the others are FAILED_PRECONDITION, and GetStock agrees. */
PL_TEST(thirty_two_clients_reserve_exactly_the_hundred_on_hand) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 100), OK);
  static const char *const sites[] = {SITE_A, NULL};
  pl_key *keys[RACERS];
  racer rc[RACERS];
  pthread_t th[RACERS];
  pthread_barrier_t go;
  pthread_barrier_init(&go, NULL, RACERS);
  for (int i = 0; i < RACERS; i++) {
    keys[i] = inv_enroll(&w.e, PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE, sites);
    CHECK(keys[i] != NULL);
    rc[i] = (racer){pl_harness_target(w.e.h), keys[i], i, &go, 0, 0, 0, 0};
  }
  for (int i = 0; i < RACERS; i++)
    CHECK(pthread_create(&th[i], NULL, race, &rc[i]) == 0);
  int ok = 0, named = 0, refused = 0, other = 0;
  for (int i = 0; i < RACERS; i++) {
    pthread_join(th[i], NULL);
    ok += rc[i].ok;
    named += rc[i].named;
    refused += rc[i].refused;
    other += rc[i].other;
    pl_key_free(keys[i]);
  }
  pthread_barrier_destroy(&go);
  fprintf(stderr, "%d reserved (%d naming the batch), %d refused, %d other\n", ok, named,
          refused, other);
  CHECK_EQ(other, 0);
  CHECK_EQ(ok, 100);
  CHECK_EQ(refused, RACERS * TRIES - 100);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 100, 100, 0);
  CHECK_BATCH_STOCK(&w, SITE_A, "SKU-1", "b1", 100, named, 100 - named, 0);
  /* Every success is an active reservation of its own. */
  int active = 0;
  for (int i = 0; i < RACERS; i++)
    for (int t = 0; t < TRIES; t++) {
      pl_arena_reset(w.e.a);
      Partsledger__V1__Reservation *r;
      const char *id = pl_arena_printf(w.e.a, "race-%02d-%d", i, t);
      int code = inv_get_reservation(&w.e, id, &r);
      CHECK(code == OK || code == NOT_FOUND);
      active += code == OK &&
                r->state == PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_ACTIVE;
    }
  CHECK_EQ(active, 100);
  inv_world_stop(&w);
}

/* In one AppendBatch, each entry is judged on the state the ones before it
 * left: the single writer cannot be raced. */
PL_TEST(append_batch_judges_each_entry_after_those_before) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  int64_t later = inv_later();
  Partsledger__V1__SignedEntry *ses[] = {
      inv_batch(a, w.maker, "b1", SUPPLIER, "SKU-1", 5),
      inv_receive(a, c, SITE_A, "b1", 5),
      inv_reserve(a, c, "r1", SITE_A, "SKU-1", 3, NULL, later),
      inv_reserve(a, c, "r2", SITE_A, "SKU-1", 3, NULL, later),
      inv_reserve(a, c, "r3", SITE_A, "SKU-1", 2, "b1", later),
      inv_receive(a, c, SITE_B, "b1", 1),
      inv_release(a, c, "r1"),
      inv_reserve(a, c, "r3", SITE_A, "SKU-1", 1, NULL, later),
      inv_reserve(a, c, "r4", SITE_A, "SKU-1", 3, NULL, later),
  };
  const int want[] = {OK, OK, OK,
                      FAILED, OK,
                      FAILED, OK,
                      EXISTS, OK};
  const size_t n = sizeof(ses) / sizeof(ses[0]);
  for (size_t i = 0; i < n; i++)
    CHECK(ses[i] != NULL);
  uint64_t size = tree_size(&w.e);
  Partsledger__V1__AppendBatchResponse *r;
  CHECK_EQ(pl_client_append_batch(w.e.c, ses, n, a, &r), 0);
  CHECK_EQ(r->n_results, n);
  for (size_t i = 0; i < n; i++) {
    if ((int)r->results[i]->code != want[i])
      fprintf(stderr, "entry %zu: %d %s\n", i, r->results[i]->code, r->results[i]->message);
    CHECK_EQ(r->results[i]->code, want[i]);
  }
  CHECK_EQ(r->tree_size, size + 6);
  CHECK_STOCK(&w, SITE_A, "SKU-1", 5, 5, 0);
  inv_world_stop(&w);
}

/* --- kill -9 during a stream ------------------------------------------------- */

#define K9_SITES 4
#define K9_SKUS 3 /* two batches each: batch b is of SKU b / 2 */
#define K9_THREADS 4
#define K9_MAX 50000

static const char *const k9_sites[K9_SITES] = {SITE_A, SITE_B, SITE_C, SITE_X};

typedef struct {
  const char *target;
  pl_key *keys[K9_THREADS];
  pthread_mutex_t lock;
  int acked;
  uint64_t index[K9_MAX];
  uint8_t hash[K9_MAX][PL_HASH_BYTES];
  atomic_int unexpected;
  atomic_int ended; /* threads that have returned */
} k9_stream;

typedef struct {
  k9_stream *s;
  int id;
} k9_thread;

typedef struct {
  char id[32];
  int site, sku, batch; /* batch -1: any of the SKU */
  int64_t qty;          /* in the model of the log: */
  int active;
} k9_reservation;

/* One entry of the stream: mostly receipts and reservations, some releases
 * and fulfilments of the thread's own acknowledged reservations (`mine`,
 * each tried once). A new reservation is copied to *fresh, else
 * fresh->id is "". */
static Partsledger__V1__SignedEntry *k9_entry(pl_arena *a, const pl_key *k, uint64_t *rng,
                                              int seq, k9_reservation *mine, int *n_mine,
                                              k9_reservation *fresh) {
  int op = (int)pl_mut_below(rng, 10);
  int site = (int)pl_mut_below(rng, K9_SITES), batch = (int)pl_mut_below(rng, 2 * K9_SKUS);
  fresh->id[0] = '\0';
  if (op >= 8 && *n_mine > 0) {
    int i = (int)pl_mut_below(rng, (size_t)*n_mine);
    k9_reservation r = mine[i];
    mine[i] = mine[--*n_mine];
    if (op == 8)
      return inv_release(a, k, r.id);
    int from = r.batch >= 0 ? r.batch : 2 * r.sku + (int)pl_mut_below(rng, 2);
    return inv_fulfil(a, k, r.id, pl_arena_printf(a, "k9-b%d", from), 1);
  }
  if (op < 4 || op >= 8)
    return inv_receive(a, k, k9_sites[site], pl_arena_printf(a, "k9-b%d", batch),
                       1 + pl_mut_below(rng, 3));
  *fresh = (k9_reservation){{0}, site, batch / 2, pl_mut_below(rng, 3) == 0 ? batch : -1,
                            0, 0};
  snprintf(fresh->id, sizeof(fresh->id), "k9-r-%016llx-%d",
           (unsigned long long)pl_mut_next(rng), seq);
  const char *sku = pl_arena_printf(a, "K9-%d", fresh->sku);
  const char *named = fresh->batch >= 0 ? pl_arena_printf(a, "k9-b%d", fresh->batch) : NULL;
  return inv_reserve(a, k, fresh->id, k9_sites[site], sku, 1 + pl_mut_below(rng, 4), named,
                     inv_later());
}

static void k9_ack(k9_stream *s, uint64_t index, const uint8_t *hash) {
  pthread_mutex_lock(&s->lock);
  if (s->acked < K9_MAX) {
    s->index[s->acked] = index;
    memcpy(s->hash[s->acked], hash, PL_HASH_BYTES);
    s->acked++;
  }
  pthread_mutex_unlock(&s->lock);
}

/* 1 when `code` ends the stream: the server is gone. Counts the codes no
 * entry of the stream should get. */
static int k9_gone(k9_stream *s, int code, const char *msg) {
  if (code == OK || code == FAILED)
    return 0;
  if (code == GRPC_STATUS_UNAVAILABLE || code == GRPC_STATUS_CANCELLED)
    return 1;
  fprintf(stderr, "stream: status %d %s\n", code, msg ? msg : "");
  atomic_fetch_add(&s->unexpected, 1);
  return 1;
}

static void *k9_loop(void *arg) {
  k9_thread *t = arg;
  k9_stream *s = t->s;
  pl_client *c;
  if (pl_client_open(s->target, &c) != 0) {
    atomic_fetch_add(&s->ended, 1);
    return NULL;
  }
  pl_client_set_timeout_ms(c, 10000);
  pl_arena *a = pl_arena_new(0);
  uint64_t rng = 0x6b39000000ull + (uint64_t)t->id;
  k9_reservation mine[256], fresh[8];
  int n_mine = 0, gone = 0;
  /* The last thread sends groups of eight through AppendBatch. */
  size_t group = t->id == K9_THREADS - 1 ? 8 : 1;
  for (int seq = 0; !gone && seq < K9_MAX; seq += (int)group) {
    pl_arena_reset(a);
    Partsledger__V1__SignedEntry *ses[8];
    for (size_t j = 0; j < group; j++)
      ses[j] = k9_entry(a, s->keys[t->id], &rng, seq + (int)j, mine, &n_mine, &fresh[j]);
    const char *msg = NULL;
    Partsledger__V1__AppendResponse *one;
    Partsledger__V1__AppendBatchResponse *many;
    int rc = group == 1 ? pl_client_append(c, ses[0], a, &one)
                        : pl_client_append_batch(c, ses, group, a, &many);
    if (rc != 0) {
      gone = k9_gone(s, pl_client_last_status(c, &msg), msg);
      continue;
    }
    for (size_t j = 0; j < group; j++) {
      int code = group == 1 ? OK : (int)many->results[j]->code;
      if (code != OK) {
        gone |= k9_gone(s, code, many->results[j]->message);
        continue;
      }
      if (group == 1)
        k9_ack(s, one->index, one->leaf_hash.data);
      else
        k9_ack(s, many->results[j]->index, many->results[j]->leaf_hash.data);
      if (fresh[j].id[0] != '\0' && n_mine < 256)
        mine[n_mine++] = fresh[j]; /* a reservation to close later */
    }
  }
  pl_arena_free(a);
  pl_client_close(c);
  atomic_fetch_add(&s->ended, 1);
  return NULL;
}

typedef struct {
  int64_t on_hand[K9_SITES][2 * K9_SKUS];
  k9_reservation res[K9_MAX];
  int n;
} k9_model;

static int k9_site_of(const char *id) {
  for (int i = 0; i < K9_SITES; i++)
    if (strcmp(id, k9_sites[i]) == 0)
      return i;
  return -1;
}

static int k9_find(const k9_model *m, const char *id) {
  for (int i = m->n - 1; i >= 0; i--)
    if (strcmp(m->res[i].id, id) == 0)
      return i;
  return -1;
}

/* Applies one leaf of the log to the model: every leaf in the log was
 * accepted, so the model only needs to add up. 0, or -1 for what it cannot
 * place. */
static int k9_apply(k9_model *m, const Partsledger__V1__Entry *e) {
  int b, i;
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED:
    if (sscanf(e->stock_received->batch_id, "k9-b%d", &b) != 1 ||
        k9_site_of(e->stock_received->site_id) < 0)
      return -1;
    m->on_hand[k9_site_of(e->stock_received->site_id)][b] +=
        (int64_t)e->stock_received->quantity;
    return 0;
  case PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED: {
    const Partsledger__V1__PartReserved *p = e->part_reserved;
    k9_reservation *r = &m->res[m->n];
    if (m->n >= K9_MAX || sscanf(p->sku, "K9-%d", &r->sku) != 1)
      return -1;
    snprintf(r->id, sizeof(r->id), "%s", p->reservation_id);
    r->site = k9_site_of(p->site_id);
    r->batch = sscanf(p->batch_id, "k9-b%d", &b) == 1 ? b : -1;
    r->qty = (int64_t)p->quantity;
    r->active = 1;
    m->n++;
    return r->site >= 0 ? 0 : -1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_RELEASED:
    if ((i = k9_find(m, e->reservation_released->reservation_id)) < 0)
      return -1;
    m->res[i].active = 0;
    return 0;
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED:
    if ((i = k9_find(m, e->reservation_fulfilled->reservation_id)) < 0 ||
        sscanf(e->reservation_fulfilled->batch_id, "k9-b%d", &b) != 1)
      return -1;
    m->res[i].active = 0;
    m->on_hand[m->res[i].site][b] -= (int64_t)e->reservation_fulfilled->quantity;
    return 0;
  default:
    return 0; /* enrolments, registrations */
  }
}

/* Kills the server with SIGKILL in the middle of four clients' stream of
 * receipts, reservations, releases and fulfilments. After a restart every
 * acknowledged entry is there, GetStock gives what the leaves add up to,
 * and at every site, for every SKU, reservations never exceed the units
 * on hand (no batch is recalled here). */
PL_TEST(kill9_during_receipts_and_reservations_keeps_the_invariant) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  k9_stream *s = calloc(1, sizeof(*s));
  k9_model *m = calloc(1, sizeof(*m));
  CHECK(s != NULL && m != NULL);
  static const char *const sites[] = {SITE_A, SITE_B, SITE_C, SITE_X, NULL};
  for (int b = 0; b < 2 * K9_SKUS; b++)
    CHECK_APPEND(&w, inv_batch(a, w.maker, pl_arena_printf(a, "k9-b%d", b), SUPPLIER,
                               pl_arena_printf(a, "K9-%d", b / 2), 1000000),
                 OK);
  s->target = pl_harness_target(w.e.h);
  pthread_mutex_init(&s->lock, NULL);
  for (int i = 0; i < K9_THREADS; i++)
    CHECK((s->keys[i] = inv_enroll(&w.e, PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE, sites)) !=
          NULL);
  pthread_t th[K9_THREADS];
  k9_thread args[K9_THREADS];
  for (int i = 0; i < K9_THREADS; i++) {
    args[i] = (k9_thread){s, i};
    CHECK(pthread_create(&th[i], NULL, k9_loop, &args[i]) == 0);
  }
  /* Kill once 600 entries are acknowledged, however long that takes (ctest's
   * timeout is the bound), or once every thread has ended on its own. */
  for (;;) {
    pthread_mutex_lock(&s->lock);
    int acked = s->acked;
    pthread_mutex_unlock(&s->lock);
    if (acked >= 600 || atomic_load(&s->ended) == K9_THREADS)
      break;
    usleep(10 * 1000);
  }
  CHECK_EQ(pl_harness_kill(w.e.h), 0);
  for (int i = 0; i < K9_THREADS; i++)
    pthread_join(th[i], NULL);
  CHECK_EQ(atomic_load(&s->unexpected), 0);
  CHECK(s->acked >= 600);
  CHECK_EQ(pl_harness_restart(w.e.h), 0);
  CHECK_EQ(env_reconnect(&w.e), 0);

  /* Every acknowledged entry, as acknowledged. */
  for (int i = 0; i < s->acked; i++) {
    if (i % 256 == 0)
      pl_arena_reset(a);
    Partsledger__V1__EntryResponse *got;
    CHECK_EQ(pl_client_get_entry(w.e.c, s->index[i], a, &got), 0);
    CHECK_MEM(got->leaf_hash.data, s->hash[i], PL_HASH_BYTES);
  }
  /* The state the leaves add up to. */
  uint64_t size = tree_size(&w.e);
  for (uint64_t start = 0; start < size;) {
    pl_arena_reset(a);
    Partsledger__V1__ListEntriesResponse *list;
    CHECK_EQ(pl_client_list_entries(w.e.c, start, 1000, a, &list), 0);
    CHECK(list->n_entries > 0);
    for (size_t i = 0; i < list->n_entries; i++) {
      const ProtobufCBinaryData *bytes = &list->entries[i]->leaf;
      Partsledger__V1__Leaf *leaf =
          partsledger__v1__leaf__unpack(pl_arena_allocator(a), bytes->len, bytes->data);
      CHECK(leaf != NULL && leaf->signed_entry != NULL);
      const ProtobufCBinaryData *eb = &leaf->signed_entry->entry;
      Partsledger__V1__Entry *e =
          partsledger__v1__entry__unpack(pl_arena_allocator(a), eb->len, eb->data);
      CHECK(e != NULL);
      CHECK_EQ(k9_apply(m, e), 0);
    }
    start = list->next_start;
  }
  fprintf(stderr, "%d acknowledged, %llu leaves, %d reservations\n", s->acked,
          (unsigned long long)size, m->n);
  for (int st = 0; st < K9_SITES; st++)
    for (int k = 0; k < K9_SKUS; k++) {
      pl_arena_reset(a);
      int64_t on = m->on_hand[st][2 * k] + m->on_hand[st][2 * k + 1], reserved = 0;
      int64_t named[2] = {0, 0};
      for (int i = 0; i < m->n; i++)
        if (m->res[i].active && m->res[i].site == st && m->res[i].sku == k) {
          reserved += m->res[i].qty;
          if (m->res[i].batch >= 0)
            named[m->res[i].batch - 2 * k] += m->res[i].qty;
        }
      Partsledger__V1__GetStockResponse *got;
      const char *sku = pl_arena_printf(a, "K9-%d", k);
      CHECK_STATUS(&w.e, inv_get_stock(&w.e, k9_sites[st], sku, &got), OK);
      CHECK(got->reserved <= got->on_hand); /* the invariant: nothing is recalled */
      CHECK_EQ(got->on_hand, on);
      CHECK_EQ(got->reserved, reserved);
      CHECK_EQ(got->available, on - reserved);
      for (int j = 0; j < 2; j++) {
        const Partsledger__V1__BatchStock *row =
            inv_batch_row(got, pl_arena_printf(a, "k9-b%d", 2 * k + j));
        int64_t held = m->on_hand[st][2 * k + j];
        if (row == NULL) {
          CHECK_EQ(held, 0);
          continue;
        }
        CHECK(row->reserved <= row->on_hand);
        CHECK_EQ(row->on_hand, held);
        CHECK_EQ(row->reserved, named[j]);
        CHECK_EQ(row->available, held - named[j]);
      }
    }
  /* The log goes on, and the derived state is the leaves' own. */
  CHECK_APPEND(&w, inv_receive(w.e.a, s->keys[0], SITE_A, "k9-b0", 1), OK);
  CHECK_EQ(pl_harness_stop(w.e.h), 0);
  CHECK(inv_daemon(&w.e, "--check", "derived state is the leaves' own"));
  for (int i = 0; i < K9_THREADS; i++)
    pl_key_free(s->keys[i]);
  pthread_mutex_destroy(&s->lock);
  free(m);
  free(s);
  inv_world_stop(&w);
}

/* --- restart, kill -9 and --rebuild give the same answers --------------------- */

typedef struct {
  uint8_t *data;
  size_t len, cap;
  int failed;
} answers;

/* Appends a query's status and, when it answered, its packed reply. */
static void answers_add(answers *s, int code, const void *reply) {
  size_t n = code == OK ? protobuf_c_message_get_packed_size(reply) : 0;
  if (s->len + n + 8 > s->cap) {
    s->cap = 2 * (s->len + n + 8);
    s->data = realloc(s->data, s->cap);
    if (s->data == NULL)
      abort();
  }
  uint32_t head[2] = {(uint32_t)code, (uint32_t)n};
  memcpy(s->data + s->len, head, sizeof(head));
  s->len += sizeof(head);
  s->len += n > 0 ? protobuf_c_message_pack(reply, s->data + s->len) : 0;
  s->failed += code != OK;
}

/* Runs `call`, which answers into `reply` of type T, and adds the answer. */
#define ANSWER(T, call)                                                        \
  do {                                                                         \
    Partsledger__V1__##T *reply = NULL;                                        \
    int code = (call);                                                         \
    answers_add(&s, code, reply);                                              \
  } while (0)

/* Every inventory answer about the world of the test below. */
static answers all_answers(env *e) {
  answers s = {NULL, 0, 0, 0};
  static const char *const sites[] = {SITE_A, SITE_B, SITE_C, SITE_X};
  static const char *const skus[] = {"SKU-1", "SKU-2"};
  static const char *const batches[] = {"b1", "b2", "c1"};
  static const char *const reservations[] = {"r1", "r2", "r3", "r4"};
  for (int i = 0; i < 4; i++) {
    ANSWER(Site, inv_get_site(e, sites[i], &reply));
    for (int k = 0; k < 2; k++)
      ANSWER(GetStockResponse, inv_get_stock(e, sites[i], skus[k], &reply));
    ANSWER(Reservation, inv_get_reservation(e, reservations[i], &reply));
  }
  for (int i = 0; i < 3; i++) {
    ANSWER(Batch, inv_get_batch(e, batches[i], &reply));
    ANSWER(TraceBatchResponse, inv_trace_batch(e, batches[i], 0, 0, 0, &reply));
  }
  for (int k = 0; k < 2; k++)
    ANSWER(StockNearResponse, inv_near(e, skus[k], INV_A_LAT, INV_A_LON, 600, 0, 0,
                                       &reply));
  ANSWER(TraceSupplierResponse, inv_trace_supplier(e, SUPPLIER, 0, 0, &reply));
  return s;
}

static int same_answers(env *e, const answers *want, const char *after) {
  answers got = all_answers(e);
  int same = got.len == want->len && memcmp(got.data, want->data, got.len) == 0;
  if (!same)
    fprintf(stderr, "the inventory answers differ after %s\n", after);
  free(got.data);
  return same;
}

PL_TEST(restart_kill9_and_rebuild_give_the_same_answers) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  int64_t later = inv_later();
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 20), OK);
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-1", 100, SITE_B, 10), OK);
  CHECK_EQ(inv_stocked(&w, "c1", "SKU-2", 50, SITE_C, 7), OK);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, SITE_X, "b1", 5), OK);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_B, SITE_A, "b2", 3), OK);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b1", -2), OK);
  CHECK_APPEND(&w, inv_adjust(a, w.station, SITE_C, "c1", 1), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r1", SITE_A, "SKU-1", 4, "b1", later), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 3, NULL, later), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r3", SITE_B, "SKU-1", 2, "b2", later), OK);
  CHECK_APPEND(&w, inv_reserve(a, w.station, "r4", SITE_C, "SKU-2", 2, NULL, later), OK);
  CHECK_APPEND(&w, inv_release(a, c, "r2"), OK);
  CHECK_APPEND(&w, inv_fulfil(a, w.station, "r4", "c1", 1), OK);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b2", "batch mix-up"), OK);
  answers want = all_answers(&w.e);
  CHECK_EQ(want.failed, 0);

  CHECK_EQ(pl_harness_stop(w.e.h), 0);
  CHECK_EQ(pl_harness_restart(w.e.h), 0);
  CHECK_EQ(env_reconnect(&w.e), 0);
  CHECK(same_answers(&w.e, &want, "a restart"));
  CHECK_EQ(pl_harness_kill(w.e.h), 0);
  CHECK_EQ(pl_harness_restart(w.e.h), 0);
  CHECK_EQ(env_reconnect(&w.e), 0);
  CHECK(same_answers(&w.e, &want, "kill -9"));
  CHECK_EQ(pl_harness_stop(w.e.h), 0);
  CHECK(inv_daemon(&w.e, "--rebuild", "rebuilt from"));
  CHECK(inv_daemon(&w.e, "--check", "derived state is the leaves' own"));
  CHECK_EQ(pl_harness_restart(w.e.h), 0);
  CHECK_EQ(env_reconnect(&w.e), 0);
  CHECK(same_answers(&w.e, &want, "--rebuild"));
  free(want.data);
  CHECK_APPEND(&w, inv_reserve(a, c, "r5", SITE_A, "SKU-1", 1, NULL, inv_later()), OK);
  inv_world_stop(&w);
}

PL_TEST_MAIN(PL_CASE(get_stock_counts_on_hand_reserved_and_available),
             PL_CASE(stock_near_nearest_first_by_haversine),
             PL_CASE(stock_near_filters_limits_and_arguments),
             PL_CASE(stock_near_matches_brute_force),
             PL_CASE(clock_expired_reservation_stops_counting),
             PL_CASE(expiry_judged_at_log_time_survives_restart_and_rebuild),
             PL_CASE(thirty_two_clients_reserve_exactly_the_hundred_on_hand),
             PL_CASE(append_batch_judges_each_entry_after_those_before),
             PL_CASE(kill9_during_receipts_and_reservations_keeps_the_invariant),
             PL_CASE(restart_kill9_and_rebuild_give_the_same_answers))
