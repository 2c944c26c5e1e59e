/*
 * geo.h - the geometry of the radius check, with no storage: a point's cell
 * on a 2^26 x 2^26 grid of latitude and longitude, interleaved into one
 * 52-bit number (a Morton code: cells close on the map are mostly close in
 * number, and every square block of cells at a coarser level is one range),
 * the ranges of cells that cover a circle, and the great-circle distance.
 *
 * The covering ranges hold every cell a point within the radius can be in:
 * the circle's bounding box (exact for a spherical cap, widened by a hair,
 * split at the antimeridian, every longitude when it holds a pole), cut into
 * at most a few dozen blocks at the finest level that allows it. Callers
 * filter what the ranges hold by pl_geo_distance_m.
 */
#ifndef PL_GEO_H
#define PL_GEO_H

#include <stddef.h>
#include <stdint.h>

#define PL_GEO_BITS 26                /* per axis */
#define PL_GEO_CELLS (1ull << 52)     /* cells in all */
#define PL_EARTH_RADIUS_M 6371008.8   /* the mean radius */
#define PL_GEO_RANGES_MAX 64

/* The cell of a point (latitude in [-90, 90], longitude in [-180, 180]). */
uint64_t pl_geo_cell(double lat, double lon);

/* Haversine distance in metres on a sphere of PL_EARTH_RADIUS_M. */
double pl_geo_distance_m(double lat1, double lon1, double lat2, double lon2);

/* A range of cells [lo, hi). */
typedef struct {
  uint64_t lo, hi;
} pl_geo_range;

/* The ranges of cells, sorted and disjoint, that hold every point within
 * `radius_m` of (lat, lon). At most PL_GEO_RANGES_MAX; returns how many. */
size_t pl_geo_cover(double lat, double lon, double radius_m,
                    pl_geo_range out[PL_GEO_RANGES_MAX]);

#endif /* PL_GEO_H */
