/*
 * test_geo.c - the radius check's geometry against brute force: on random
 * points (with many on the poles, on the antimeridian and on the same spot),
 * the cells of the covering ranges, filtered by distance, must give exactly
 * the points a scan of all of them finds, for radii from 0 to half the
 * Earth's circumference.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "spec/field.h"
#include "test.h"

#define NPOINTS 4000

typedef struct {
  double lat, lon;
  uint64_t cell;
} point;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

static double uniform(double lo, double hi) {
  return lo + (hi - lo) * ((double)(rnd() >> 11) / (double)(1ull << 53));
}

/* A point, often on a pole, the antimeridian or a round coordinate. */
static void random_point(double *lat, double *lon) {
  switch (rnd() % 8) {
  case 0:
    *lat = rnd() % 2 ? 90.0 : -90.0;
    *lon = uniform(-180, 180);
    break;
  case 1:
    *lat = uniform(-90, 90);
    *lon = rnd() % 2 ? 180.0 : -180.0;
    break;
  case 2:
    *lat = uniform(-90, 90);
    *lon = (rnd() % 2 ? 179.9 : -179.9) + uniform(-0.2, 0.2);
    if (*lon > 180.0)
      *lon = 180.0;
    if (*lon < -180.0)
      *lon = -180.0;
    break;
  case 3:
    *lat = (double)((int)(rnd() % 181) - 90);
    *lon = (double)((int)(rnd() % 361) - 180);
    break;
  default:
    *lat = asin(uniform(-1, 1)) * 180.0 / 3.14159265358979323846;
    *lon = uniform(-180, 180);
  }
}

static int in_ranges(const pl_geo_range *r, size_t n, uint64_t cell) {
  for (size_t i = 0; i < n; i++)
    if (cell >= r[i].lo && cell < r[i].hi)
      return 1;
  return 0;
}

static int check_query(const point *pts, size_t np, double lat, double lon,
                       double radius_m) {
  pl_geo_range r[PL_GEO_RANGES_MAX];
  size_t n = pl_geo_cover(lat, lon, radius_m, r);
  if (n == 0 || n > PL_GEO_RANGES_MAX)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (r[i].lo >= r[i].hi || r[i].hi > PL_GEO_CELLS || (i > 0 && r[i].lo <= r[i - 1].hi))
      return 0; /* sorted, disjoint, not touching (merged) */
  for (size_t i = 0; i < np; i++) {
    int near = pl_geo_distance_m(lat, lon, pts[i].lat, pts[i].lon) <= radius_m;
    int found = near && in_ranges(r, n, pts[i].cell);
    if (near != found) {
      fprintf(stderr, "query (%.9f, %.9f) r=%.3f m misses (%.9f, %.9f) at %.3f m\n",
              lat, lon, radius_m, pts[i].lat, pts[i].lon,
              pl_geo_distance_m(lat, lon, pts[i].lat, pts[i].lon));
      return 0;
    }
  }
  return 1;
}

PL_TEST(cover_matches_brute_force) {
  static point pts[NPOINTS];
  for (size_t i = 0; i < NPOINTS; i++) {
    random_point(&pts[i].lat, &pts[i].lon);
    pts[i].cell = pl_geo_cell(pts[i].lat, pts[i].lon);
  }
  static const double radii_km[] = {0, 0.001, 1, 50, 500, 3000, 10000, 20015, 20016};
  for (int q = 0; q < 400; q++) {
    double lat, lon;
    /* Half the queries sit on a stored point: radius 0 must find it. */
    if (q % 2 == 0) {
      const point *p = &pts[rnd() % NPOINTS];
      lat = p->lat;
      lon = p->lon;
    } else {
      random_point(&lat, &lon);
    }
    for (size_t k = 0; k < sizeof(radii_km) / sizeof(radii_km[0]); k++)
      CHECK(check_query(pts, NPOINTS, lat, lon, radii_km[k] * 1000.0));
    CHECK(check_query(pts, NPOINTS, lat, lon, uniform(0, 20016) * 1000.0));
  }
}

/* A point exactly at the radius is within it, however the box rounds. */
PL_TEST(edge_of_the_radius_is_inside) {
  for (int q = 0; q < 2000; q++) {
    point p[1];
    double lat, lon;
    random_point(&lat, &lon);
    random_point(&p[0].lat, &p[0].lon);
    p[0].cell = pl_geo_cell(p[0].lat, p[0].lon);
    double d = pl_geo_distance_m(lat, lon, p[0].lat, p[0].lon);
    CHECK(check_query(p, 1, lat, lon, d));
  }
}

/* Known distances, and -180 / 180 and the poles as the same places. */
PL_TEST(distance_known_answers) {
  /* A quarter of a great circle. */
  double quarter = PL_EARTH_RADIUS_M * 3.14159265358979323846 / 2.0;
  CHECK(fabs(pl_geo_distance_m(0, 0, 0, 90) - quarter) < 1e-6);
  CHECK(fabs(pl_geo_distance_m(0, 0, 90, 0) - quarter) < 1e-6);
  CHECK(pl_geo_distance_m(10, -180, 10, 180) == 0.0);
  CHECK(pl_geo_distance_m(45, 179.5, 45, -179.5) < 80000.0);
  CHECK(pl_geo_distance_m(90, 10, 90, -170) < 1e-6);
  /* Beijing to Shanghai, about 1,067 km. */
  double bs = pl_geo_distance_m(39.9042, 116.4074, 31.2304, 121.4737);
  CHECK(bs > 1060000.0 && bs < 1075000.0);
}

/* GS1 check digits: known valid keys, and each one with a digit changed. */
PL_TEST(gs1_check_digits) {
  static const char *const valid[] = {"4006381333931", "96385074", "036000291452",
                                      "10614141000415", "0614141000012"};
  for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
    CHECK(pl_gs1_check_ok(valid[i]));
    char bad[20];
    snprintf(bad, sizeof(bad), "%s", valid[i]);
    bad[strlen(bad) - 1] = (char)('0' + (bad[strlen(bad) - 1] - '0' + 1) % 10);
    CHECK(!pl_gs1_check_ok(bad));
  }
  char g14[PL_GTIN14];
  pl_gtin14("96385074", g14);
  CHECK_STR(g14, "00000096385074");
  pl_gtin14("10614141000415", g14);
  CHECK_STR(g14, "10614141000415");
  CHECK(!pl_gs1_check_ok("40063813339a1"));
}

PL_TEST_MAIN(PL_CASE(cover_matches_brute_force), PL_CASE(edge_of_the_radius_is_inside),
             PL_CASE(distance_known_answers), PL_CASE(gs1_check_digits))
