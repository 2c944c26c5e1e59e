/*
 * geo.c - see geo.h.
 */
#include "geo.h"

#include <math.h>
#include <stdlib.h>

#define PL__PI 3.14159265358979323846
#define PL__DEG (PL__PI / 180.0)
/* Widens the bounding box by about a centimetre: the box's own arithmetic
 * must never leave out a point the distance keeps. */
#define PL__MARGIN_DEG 1e-7
/* Blocks per box at most: a 50 km circle is a dozen blocks. */
#define PL__BLOCKS_MAX 16

/* The row (or column) of a coordinate at `bits` bits, clamped. */
static uint32_t pl__q(double v, double min, double span, unsigned bits) {
  double f = (v - min) / span;
  if (f <= 0.0)
    return 0;
  uint64_t n = 1ull << bits;
  double x = floor(f * (double)n);
  if (x >= (double)n)
    return (uint32_t)(n - 1);
  return (uint32_t)x;
}

/* Spreads the low 26 bits of v to the even bits of the result. */
static uint64_t pl__spread(uint32_t v) {
  uint64_t x = v & 0x3ffffffu;
  x = (x | (x << 16)) & 0x0000ffff0000ffffull;
  x = (x | (x << 8)) & 0x00ff00ff00ff00ffull;
  x = (x | (x << 4)) & 0x0f0f0f0f0f0f0f0full;
  x = (x | (x << 2)) & 0x3333333333333333ull;
  x = (x | (x << 1)) & 0x5555555555555555ull;
  return x;
}

/* Latitude on the odd bits, longitude on the even ones. */
static uint64_t pl__interleave(uint32_t lat_q, uint32_t lon_q) {
  return pl__spread(lat_q) << 1 | pl__spread(lon_q);
}

uint64_t pl_geo_cell(double lat, double lon) {
  return pl__interleave(pl__q(lat, -90.0, 180.0, PL_GEO_BITS),
                        pl__q(lon, -180.0, 360.0, PL_GEO_BITS));
}

double pl_geo_distance_m(double lat1, double lon1, double lat2, double lon2) {
  double dlon = lon2 - lon1;
  /* The short way round: -180 and 180 are one meridian. */
  if (dlon > 180.0)
    dlon -= 360.0;
  else if (dlon < -180.0)
    dlon += 360.0;
  double p1 = lat1 * PL__DEG, p2 = lat2 * PL__DEG;
  double sdlat = sin((p2 - p1) / 2.0), sdlon = sin(dlon * PL__DEG / 2.0);
  double a = sdlat * sdlat + cos(p1) * cos(p2) * sdlon * sdlon;
  if (a > 1.0)
    a = 1.0;
  return 2.0 * PL_EARTH_RADIUS_M * asin(sqrt(a));
}

typedef struct {
  double lat0, lat1, lon0, lon1;
} pl__box;

/* Adds the blocks covering one box at the finest level with few enough. */
static size_t pl__cover_box(const pl__box *b, pl_geo_range *out, size_t n) {
  unsigned level = PL_GEO_BITS;
  uint32_t a0, a1, o0, o1;
  for (;; level--) {
    a0 = pl__q(b->lat0, -90.0, 180.0, level);
    a1 = pl__q(b->lat1, -90.0, 180.0, level);
    o0 = pl__q(b->lon0, -180.0, 360.0, level);
    o1 = pl__q(b->lon1, -180.0, 360.0, level);
    if (level == 0 || (uint64_t)(a1 - a0 + 1) * (o1 - o0 + 1) <= PL__BLOCKS_MAX)
      break;
  }
  unsigned shift = 2 * (PL_GEO_BITS - level);
  for (uint32_t a = a0; a <= a1; a++)
    for (uint32_t o = o0; o <= o1 && n < PL_GEO_RANGES_MAX; o++) {
      uint64_t prefix = pl__interleave(a, o);
      out[n].lo = prefix << shift;
      out[n].hi = (prefix + 1) << shift;
      n++;
    }
  return n;
}

static int pl__range_cmp(const void *x, const void *y) {
  const pl_geo_range *a = x, *b = y;
  return a->lo < b->lo ? -1 : a->lo > b->lo;
}

size_t pl_geo_cover(double lat, double lon, double radius_m,
                    pl_geo_range out[PL_GEO_RANGES_MAX]) {
  double d = radius_m / PL_EARTH_RADIUS_M; /* the angular radius */
  if (!(d < PL__PI)) {                     /* the whole sphere, NaN too */
    out[0].lo = 0;
    out[0].hi = PL_GEO_CELLS;
    return 1;
  }
  double dlat = d / PL__DEG + PL__MARGIN_DEG;
  pl__box boxes[3];
  size_t nb = 0;
  double lat0 = lat - dlat, lat1 = lat + dlat;
  if (lat0 <= -90.0 || lat1 >= 90.0) {
    /* A pole is inside: every longitude. */
    boxes[nb++] = (pl__box){lat0 < -90.0 ? -90.0 : lat0, lat1 > 90.0 ? 90.0 : lat1,
                            -180.0, 180.0};
  } else {
    double s = sin(d) / cos(lat * PL__DEG);
    double dlon = s >= 1.0 ? 360.0 : asin(s) / PL__DEG + PL__MARGIN_DEG;
    double lon0 = lon - dlon, lon1 = lon + dlon;
    if (dlon >= 180.0) {
      boxes[nb++] = (pl__box){lat0, lat1, -180.0, 180.0};
    } else {
      boxes[nb++] = (pl__box){lat0, lat1, lon0 < -180.0 ? -180.0 : lon0,
                              lon1 > 180.0 ? 180.0 : lon1};
      /* Across the antimeridian, or touching it: -180 and 180 are one
       * meridian in two cells. */
      if (lon0 <= -180.0)
        boxes[nb++] = (pl__box){lat0, lat1, lon0 + 360.0, 180.0};
      if (lon1 >= 180.0)
        boxes[nb++] = (pl__box){lat0, lat1, -180.0, lon1 - 360.0};
    }
  }
  size_t n = 0;
  for (size_t i = 0; i < nb; i++)
    n = pl__cover_box(&boxes[i], out, n);
  qsort(out, n, sizeof(*out), pl__range_cmp);
  /* Merge what touches or overlaps. */
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (m > 0 && out[i].lo <= out[m - 1].hi) {
      if (out[i].hi > out[m - 1].hi)
        out[m - 1].hi = out[i].hi;
    } else {
      out[m++] = out[i];
    }
  }
  return m;
}
