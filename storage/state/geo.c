/*
 * state/geo.c - the radius check: for each SKU, the sites that hold units
 * of it, keyed by the cell of their place (geo.h), and StockNear over them.
 *
 *   geo   sku, cell (8 bytes), site -> latitude, longitude (IEEE 754
 *         bits, big-endian), kind (1 byte)
 *
 * A query scans the few ranges of cells that cover its circle (the way
 * Redis's GEOSEARCH scans geohash boxes), keeps what lies within the exact
 * distance, and then asks each site's stock row for live availability.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "geo.h"
#include "query.h"
#include "spec/field.h"
#include "state.h"
#include "stock.h"

#define PL__GEO_ROW 17

static uint64_t pl__dbits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof(u));
  return u;
}

static double pl__bitsd(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof(d));
  return d;
}

int pl_geo_index_set(pl_apply *a, const char *sku, const char *site_id, int present) {
  Partsledger__V1__Site *site;
  int rc = pl_site_get(a->txn, site_id, a->arena, &site);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc; /* stock at no site */
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, sku);
  pl_kb_u64(&k, pl_geo_cell(site->latitude, site->longitude));
  pl_kb_str(&k, site_id);
  if (!present) {
    rc = pl_kv_del(a->txn, PL_T_GEO, &k);
    return rc == PL_ENOTFOUND ? 0 : rc;
  }
  uint8_t row[PL__GEO_ROW];
  pl_be64_put(row, pl__dbits(site->latitude));
  pl_be64_put(row + 8, pl__dbits(site->longitude));
  row[16] = (uint8_t)site->kind;
  return pl_kv_put(a->txn, PL_T_GEO, &k, row, sizeof(row));
}

/* --- StockNear ------------------------------------------------------------------ */

typedef struct {
  const char *site_id; /* borrowed from the snapshot */
  double lat, lon, distance;
  int kind;
} pl__near;

typedef struct {
  pl__near *v;
  size_t n, cap;
  pl_arena *arena;
} pl__nears;

static int pl__near_cmp(const void *x, const void *y) {
  const pl__near *a = x, *b = y;
  if (a->distance != b->distance)
    return a->distance < b->distance ? -1 : 1;
  return strcmp(a->site_id, b->site_id);
}

static int pl__nears_add(pl__nears *s, const pl__near *n) {
  pl__near *slot = pl_arena_push(s->arena, &s->v, &s->n, &s->cap, sizeof(*slot));
  if (slot == NULL)
    return PL_ENOMEM;
  *slot = *n;
  return 0;
}

static int pl__kind_wanted(const Partsledger__V1__StockNearRequest *req, int kind) {
  if (req->n_kinds == 0)
    return 1;
  for (size_t i = 0; i < req->n_kinds; i++)
    if ((int)req->kinds[i] == kind)
      return 1;
  return 0;
}

/* The sites of one range of cells within the radius. */
static int pl__near_range(pl_cursor *c, const pl_key_buf *prefix, const pl_geo_range *r,
                          const Partsledger__V1__StockNearRequest *req, double radius_m,
                          pl__nears *out) {
  pl_key_buf from = *prefix;
  pl_kb_u64(&from, r->lo);
  pl_val k, v;
  int rc;
  for (rc = pl_cursor_seek(c, from.b, from.n, &k, &v); rc == 0;
       rc = pl_cursor_next(c, &k, &v)) {
    if (k.len < prefix->n + 8 + 2 || memcmp(k.data, prefix->b, prefix->n) != 0)
      break;
    const uint8_t *p = (const uint8_t *)k.data + prefix->n;
    if (pl_be64_get(p) >= r->hi)
      break;
    if (v.len != PL__GEO_ROW)
      return PL_ECORRUPT;
    const uint8_t *row = v.data;
    pl__near n = {
        .site_id = (const char *)p + 8,
        .lat = pl__bitsd(pl_be64_get(row)),
        .lon = pl__bitsd(pl_be64_get(row + 8)),
        .kind = row[16],
    };
    if (!pl__kind_wanted(req, n.kind))
      continue;
    n.distance = pl_geo_distance_m(req->latitude, req->longitude, n.lat, n.lon);
    if (n.distance <= radius_m && (rc = pl__nears_add(out, &n)) != 0)
      return rc;
  }
  return rc == PL_ENOTFOUND ? 0 : rc;
}

static int pl__near_check(const Partsledger__V1__StockNearRequest *req, char *msg) {
  const char *k = "StockNear";
  int rc;
  if ((rc = pl_field_id(k, "sku", req->sku, 0, msg)) != 0 ||
      (rc = pl_field_coords(k, req->latitude, req->longitude, msg)) != 0)
    return rc;
  if (!isfinite(req->radius_km) || req->radius_km < 0 ||
      req->radius_km > PL_NEAR_RADIUS_MAX_KM)
    return pl_fail(msg, PL_EINVAL, "%s: radius_km must be a number in [0, 20016]", k);
  if (req->limit > PL_NEAR_LIMIT_MAX)
    return pl_fail(msg, PL_EINVAL, "%s: limit is at most %d", k, PL_NEAR_LIMIT_MAX);
  for (size_t i = 0; i < req->n_kinds; i++)
    if (req->kinds[i] <= PARTSLEDGER__V1__SITE_KIND__SITE_KIND_UNSPECIFIED ||
        req->kinds[i] > PARTSLEDGER__V1__SITE_KIND__SITE_KIND_SERVICE_VAN)
      return pl_fail(msg, PL_EINVAL, "%s: kinds[%zu] is not a site kind", k, i);
  return 0;
}

int pl_query_stock_near(pl_txn *t, const Partsledger__V1__StockNearRequest *req,
                        int64_t now_ms, pl_arena *a,
                        Partsledger__V1__StockNearResponse **out, char *msg) {
  int rc = pl__near_check(req, msg);
  if (rc != 0)
    return rc;
  double radius_m = req->radius_km * 1000.0;
  uint64_t want = req->min_available ? req->min_available : 1;
  size_t limit = req->limit ? req->limit : PL_NEAR_LIMIT_DEFAULT;

  pl_geo_range ranges[PL_GEO_RANGES_MAX];
  size_t nr = pl_geo_cover(req->latitude, req->longitude, radius_m, ranges);
  pl_key_buf prefix;
  pl_kb_init(&prefix);
  pl_kb_str(&prefix, req->sku);
  pl__nears found = {.arena = a};
  pl_cursor *c;
  if ((rc = pl_cursor_open(t, PL_T_GEO, &c)) != 0)
    return rc;
  for (size_t i = 0; rc == 0 && i < nr; i++)
    rc = pl__near_range(c, &prefix, &ranges[i], req, radius_m, &found);
  pl_cursor_close(c);
  if (rc != 0)
    return rc;
  if (found.n > 1)
    qsort(found.v, found.n, sizeof(*found.v), pl__near_cmp);

  Partsledger__V1__StockNearResponse *r = pl_arena_alloc(a, sizeof(*r));
  size_t cap = found.n < limit ? found.n : limit;
  Partsledger__V1__NearbyStock **sites = pl_arena_alloc(a, (cap ? cap : 1) * sizeof(*sites));
  if (r == NULL || sites == NULL)
    return PL_ENOMEM;
  partsledger__v1__stock_near_response__init(r);
  /* Nearest first: availability is asked only until the page is full. */
  for (size_t i = 0; i < found.n && r->n_sites < cap; i++) {
    uint64_t avail;
    if ((rc = pl_stock_available(t, found.v[i].site_id, req->sku, now_ms, &avail)) != 0)
      return rc;
    if (avail < want)
      continue;
    Partsledger__V1__Site *site;
    Partsledger__V1__NearbyStock *ns = pl_arena_alloc(a, sizeof(*ns));
    if (ns == NULL)
      return PL_ENOMEM;
    if ((rc = pl_site_get(t, found.v[i].site_id, a, &site)) != 0)
      return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
    partsledger__v1__nearby_stock__init(ns);
    ns->site_id = site->site_id;
    ns->kind = site->kind;
    ns->name = site->name;
    ns->latitude = site->latitude;
    ns->longitude = site->longitude;
    ns->distance_m = found.v[i].distance;
    ns->available = avail;
    sites[r->n_sites++] = ns;
  }
  r->sites = sites;
  *out = r;
  return 0;
}
