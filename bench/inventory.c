/*
 * inventory.c - the inventory data set and the phases that use it:
 * inventory-load, near, trace and reserve.
 *
 * The data set (issue 10's): --sites sites spread uniformly over longitude
 * 73-135 and latitude 18-53, of the four kinds in turn; --skus SKUs, each
 * with one batch big enough for every unit the load receives of it;
 * --stock-rows stock rows, --stock-rows / --sites distinct SKUs per site
 * with 0-19 units each, where a row of 0 units is no receipt; and warehouse
 * actors bound to 64 sites each, who sign their sites' receipts. The first
 * --trace-batches batches also get a hub receipt and --trace-facts
 * transfers of one unit from the hub to other sites, so that TraceBatch has
 * at least that many facts to return. Everything goes in through the API
 * (AppendBatch), in four steps whose entries depend only on earlier steps:
 * sites and actors, batches, receipts, transfers. Ids begin with the run's
 * prefix, so that runs against one server never meet.
 *
 * The phases:
 *   inventory-load  the load above, timed (signing excluded), as entries/s
 *                   and its ratio to the verify-only limit of AppendBatch;
 *   near            StockNear at --near-km of random probes, half random
 *                   points and SKUs, half within 20 km of a site holding
 *                   the SKU (and inside the radius, when it is smaller);
 *                   against the do-nothing server answering a
 *                   real reply of the mean size; and Redis GEOSEARCH over
 *                   the same sites when redis-server is there (redis.c);
 *   trace           TraceBatch pages of --trace-facts facts, against the
 *                   do-nothing server answering a real page, and with
 *                   proofs;
 *   reserve         --reserve-clients clients reserving one unit each of 10
 *                   SKUs at one site, then GetStock must show every
 *                   reservation that succeeded and no more than was there.
 *
 * Depends on bench.h, client/client.h (setup calls) and the generated
 * protobuf-c code.
 */
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "clock.h"
#include "geo.h"
#include "partsledger/v1/inventory.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"

#define INV_CHUNK 250000      /* entries signed and sent at a time */
#define INV_SITES_PER_ACTOR 64 /* as many as an enrollment may list */
#define INV_PROBES 65536
#define INV_PROBE_KM 20.0     /* in-stock probes lie at most this far from the site */
#define INV_LAT0 18.0
#define INV_LAT1 53.0
#define INV_LON0 73.0
#define INV_LON1 135.0
#define INV_SAMPLE 400        /* replies looked at for a typical one */
#define RES_SKUS 10

struct bench_inv {
  int loaded;
  size_t nsites, nskus;
  double *lat, *lon;
  /* (site, SKU) pairs that hold stock: the receipts, then the transfers'
   * destinations (units 0: one unit came by transfer) */
  size_t nrows, nreceipts, cap;
  uint32_t *row_site, *row_sku;
  uint8_t *row_units;
  uint64_t *sku_units; /* units received of each SKU's batch */
  size_t nactors;
  pl_key **actors; /* actor a works for sites 64a .. 64a + 63 */
  size_t ntrace;
  uint32_t *hub; /* per trace batch */
  bench_probe *probes;
  size_t nprobes;
  uint8_t *probe_buf;
  uint64_t entries;
};

static double inv_unit(uint64_t *rng) { return (double)(bench_rand(rng) >> 11) / 9007199254740992.0; }

void bench_inv_free(bench *b) {
  bench_inv *v = b->inv;
  if (v == NULL)
    return;
  for (size_t a = 0; a < v->nactors; a++)
    pl_key_free(v->actors[a]);
  free(v->actors);
  free(v->lat);
  free(v->lon);
  free(v->row_site);
  free(v->row_sku);
  free(v->row_units);
  free(v->sku_units);
  free(v->hub);
  free(v->probes);
  free(v->probe_buf);
  free(v);
  b->inv = NULL;
}

/* ---- the world -------------------------------------------------------------- */

/* The world's steps, each sent once: a phase after one that failed tries
 * again only the steps that have not succeeded, with the same manufacturer
 * key, so that no key is lost and none is enrolled twice. */
enum { WORLD_MAKER = 1, WORLD_SUPPLIER = 2, WORLD_ALL = 3 };

int bench_world_ready(bench *b, bench_result *res) {
  if (b->world == WORLD_ALL)
    return 0;
  if (b->maker == NULL && (b->maker = bench_key_new()) == NULL) {
    bench_failf(res, "cannot make a key");
    return -1;
  }
  char supplier[40];
  snprintf(supplier, sizeof(supplier), "%s-sup", b->prefix);
  for (int step = WORLD_MAKER; step < WORLD_ALL; step <<= 1) {
    if (b->world & step)
      continue;
    bench_todo t = {0};
    Partsledger__V1__Entry e;
    Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
    Partsledger__V1__SupplierRegistered sr = PARTSLEDGER__V1__SUPPLIER_REGISTERED__INIT;
    if (step == WORLD_MAKER) {
      ae.public_key.data = (uint8_t *)pl_key_public(b->maker);
      ae.public_key.len = PL_PUBLIC_KEY_BYTES;
      ae.role = PARTSLEDGER__V1__ROLE__ROLE_MANUFACTURER;
      ae.name = "bench manufacturer";
      BENCH_BODY(&e, ACTOR_ENROLLED, actor_enrolled, &ae);
    } else {
      sr.supplier_id = supplier;
      sr.name = "Bench supplier";
      sr.certified = 1;
      BENCH_BODY(&e, SUPPLIER_REGISTERED, supplier_registered, &sr);
    }
    bench_todo_add(&t, b->admin, &e);
    int rc = bench_sign_send(b, &t, res, step == WORLD_MAKER ? "the manufacturer's enrollment"
                                                               : "the supplier");
    bench_todo_free(&t);
    if (rc != 0)
      return -1;
    b->world |= step;
  }
  return 0;
}

/* ---- the data set ---------------------------------------------------------- */

static int inv_row_add(bench_inv *v, uint32_t site, uint32_t sku, uint8_t units) {
  if (v->nrows == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 4096;
    uint32_t *s = realloc(v->row_site, cap * sizeof(*s));
    if (s == NULL)
      return -1;
    v->row_site = s;
    uint32_t *k = realloc(v->row_sku, cap * sizeof(*k));
    if (k == NULL)
      return -1;
    v->row_sku = k;
    uint8_t *u = realloc(v->row_units, cap);
    if (u == NULL)
      return -1;
    v->row_units = u;
    v->cap = cap;
  }
  v->row_site[v->nrows] = site;
  v->row_sku[v->nrows] = sku;
  v->row_units[v->nrows] = units;
  v->nrows++;
  return 0;
}

/* The data set in memory: sites, rows, actors, hubs. 0 or -1. */
static int inv_make(bench *b, bench_inv *v) {
  uint64_t rng;
  randombytes_buf(&rng, sizeof(rng));
  v->nsites = b->o.sites;
  v->nskus = b->o.skus;
  v->lat = malloc(v->nsites * sizeof(double));
  v->lon = malloc(v->nsites * sizeof(double));
  v->sku_units = calloc(v->nskus, sizeof(uint64_t));
  if (v->lat == NULL || v->lon == NULL || v->sku_units == NULL)
    return -1;
  for (size_t i = 0; i < v->nsites; i++) {
    v->lat[i] = INV_LAT0 + (INV_LAT1 - INV_LAT0) * inv_unit(&rng);
    v->lon[i] = INV_LON0 + (INV_LON1 - INV_LON0) * inv_unit(&rng);
  }
  /* Rows: per site as many distinct SKUs as the rows divide into (never
   * more than there are: main.c refuses --stock-rows over sites x SKUs),
   * drawn by a partial Fisher-Yates shuffle of one permutation of the SKUs,
   * which stays a permutation from site to site. */
  size_t per = (size_t)(b->o.stock_rows / v->nsites), more = b->o.stock_rows % v->nsites;
  uint32_t *perm = malloc(v->nskus * sizeof(*perm));
  if (perm == NULL)
    return -1;
  for (size_t j = 0; j < v->nskus; j++)
    perm[j] = (uint32_t)j;
  for (size_t i = 0; i < v->nsites; i++) {
    size_t k = per + (i < more ? 1 : 0);
    for (size_t j = 0; j < k && j < v->nskus; j++) {
      size_t x = j + (size_t)(bench_rand(&rng) % (v->nskus - j));
      uint32_t sku = perm[x];
      perm[x] = perm[j];
      perm[j] = sku;
      uint8_t units = (uint8_t)(bench_rand(&rng) % 20);
      if (units == 0)
        continue; /* no receipt */
      if (inv_row_add(v, (uint32_t)i, sku, units) != 0) {
        free(perm);
        return -1;
      }
      v->sku_units[sku] += units;
    }
  }
  free(perm);
  v->nreceipts = v->nrows;
  v->nactors = (v->nsites + INV_SITES_PER_ACTOR - 1) / INV_SITES_PER_ACTOR;
  v->actors = calloc(v->nactors, sizeof(*v->actors));
  if (v->actors == NULL)
    return -1;
  for (size_t a = 0; a < v->nactors; a++)
    if ((v->actors[a] = bench_key_new()) == NULL)
      return -1;
  /* Trace batches: a hub receives one unit per transfer it will send. */
  v->ntrace = (size_t)b->o.trace_batches < v->nskus ? (size_t)b->o.trace_batches : v->nskus;
  if (v->nsites < 2)
    v->ntrace = 0;
  v->hub = calloc(v->ntrace ? v->ntrace : 1, sizeof(*v->hub));
  if (v->hub == NULL)
    return -1;
  for (size_t i = 0; i < v->ntrace; i++) {
    v->hub[i] = (uint32_t)(bench_rand(&rng) % v->nsites);
    v->sku_units[i] += (uint64_t)b->o.trace_facts;
    for (int f = 0; f < b->o.trace_facts; f++) {
      uint32_t to;
      do
        to = (uint32_t)(bench_rand(&rng) % v->nsites);
      while (to == v->hub[i]);
      if (inv_row_add(v, to, (uint32_t)i, 0) != 0)
        return -1;
    }
  }
  return 0;
}

static void inv_site_id(const bench *b, size_t i, char *out, size_t len) {
  snprintf(out, len, "%s-s%zu", b->prefix, i);
}
static void inv_sku_id(const bench *b, size_t i, char *out, size_t len) {
  snprintf(out, len, "%s-k%zu", b->prefix, i);
}
static void inv_batch_id(const bench *b, size_t i, char *out, size_t len) {
  snprintf(out, len, "%s-b%zu", b->prefix, i);
}

static const pl_key *inv_actor(const bench_inv *v, size_t site) {
  return v->actors[site / INV_SITES_PER_ACTOR];
}

/* The entries of the load's four steps; each adds entry i of its step. */
enum { STEP_SITES, STEP_BATCHES, STEP_RECEIPTS, STEP_TRANSFERS, STEPS };

static size_t inv_step_count(const bench *b, const bench_inv *v, int step) {
  switch (step) {
  case STEP_SITES: return v->nsites + v->nactors;
  case STEP_BATCHES: return v->nskus;
  case STEP_RECEIPTS: return v->nreceipts + v->ntrace;
  default: return v->ntrace * (size_t)b->o.trace_facts;
  }
}

static int inv_add(bench *b, bench_inv *v, int step, size_t i, bench_todo *t) {
  Partsledger__V1__Entry e;
  char id[48], id2[48], id3[48], name[48];
  if (step == STEP_SITES && i < v->nsites) {
    static const Partsledger__V1__SiteKind kinds[4] = {
        PARTSLEDGER__V1__SITE_KIND__SITE_KIND_WAREHOUSE,
        PARTSLEDGER__V1__SITE_KIND__SITE_KIND_REPAIR_STATION,
        PARTSLEDGER__V1__SITE_KIND__SITE_KIND_SERVICE_VAN,
        PARTSLEDGER__V1__SITE_KIND__SITE_KIND_CENTRAL_WAREHOUSE};
    Partsledger__V1__SiteRegistered s = PARTSLEDGER__V1__SITE_REGISTERED__INIT;
    inv_site_id(b, i, id, sizeof(id));
    snprintf(name, sizeof(name), "Site %zu", i);
    s.site_id = id;
    s.kind = kinds[i % 4];
    s.name = name;
    s.latitude = v->lat[i];
    s.longitude = v->lon[i];
    BENCH_BODY(&e, SITE_REGISTERED, site_registered, &s);
    return bench_todo_add(t, b->admin, &e);
  }
  if (step == STEP_SITES) {
    size_t a = i - v->nsites, first = a * INV_SITES_PER_ACTOR, n = INV_SITES_PER_ACTOR;
    if (first + n > v->nsites)
      n = v->nsites - first;
    char ids[INV_SITES_PER_ACTOR][48], *ptr[INV_SITES_PER_ACTOR];
    for (size_t k = 0; k < n; k++) {
      inv_site_id(b, first + k, ids[k], sizeof(ids[k]));
      ptr[k] = ids[k];
    }
    Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
    snprintf(name, sizeof(name), "bench warehouse %zu", a);
    ae.public_key.data = (uint8_t *)pl_key_public(v->actors[a]);
    ae.public_key.len = PL_PUBLIC_KEY_BYTES;
    ae.role = PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE;
    ae.name = name;
    ae.site_ids = ptr;
    ae.n_site_ids = n;
    BENCH_BODY(&e, ACTOR_ENROLLED, actor_enrolled, &ae);
    return bench_todo_add(t, b->admin, &e);
  }
  if (step == STEP_BATCHES) {
    Partsledger__V1__BatchRegistered br = PARTSLEDGER__V1__BATCH_REGISTERED__INIT;
    inv_batch_id(b, i, id, sizeof(id));
    inv_sku_id(b, i, id2, sizeof(id2));
    snprintf(id3, sizeof(id3), "%s-sup", b->prefix);
    br.batch_id = id;
    br.supplier_id = id3;
    br.sku = id2;
    br.part_class = PARTSLEDGER__V1__PART_CLASS__PART_CLASS_ORIGINAL;
    br.warranty_months = 24;
    br.produced_at_ms = pl_now_ms() - 30 * BENCH_DAY_MS;
    br.quantity = v->sku_units[i] + 1000; /* big enough */
    BENCH_BODY(&e, BATCH_REGISTERED, batch_registered, &br);
    return bench_todo_add(t, b->maker, &e);
  }
  if (step == STEP_RECEIPTS) {
    Partsledger__V1__StockReceived sr = PARTSLEDGER__V1__STOCK_RECEIVED__INIT;
    size_t site, sku;
    uint64_t units;
    if (i < v->nreceipts) {
      site = v->row_site[i];
      sku = v->row_sku[i];
      units = v->row_units[i];
    } else { /* a hub's receipt */
      sku = i - v->nreceipts;
      site = v->hub[sku];
      units = (uint64_t)b->o.trace_facts;
    }
    inv_site_id(b, site, id, sizeof(id));
    inv_batch_id(b, sku, id2, sizeof(id2));
    sr.site_id = id;
    sr.batch_id = id2;
    sr.quantity = units;
    BENCH_BODY(&e, STOCK_RECEIVED, stock_received, &sr);
    return bench_todo_add(t, inv_actor(v, site), &e);
  }
  /* Transfers: trace batch i / facts, to the destinations after the
   * receipts in the rows. */
  size_t sku = i / (size_t)b->o.trace_facts;
  size_t row = v->nreceipts + i;
  Partsledger__V1__StockTransferred st = PARTSLEDGER__V1__STOCK_TRANSFERRED__INIT;
  inv_site_id(b, v->hub[sku], id, sizeof(id));
  inv_site_id(b, v->row_site[row], id2, sizeof(id2));
  inv_batch_id(b, sku, id3, sizeof(id3));
  st.from_site_id = id;
  st.to_site_id = id2;
  st.batch_id = id3;
  st.quantity = 1;
  BENCH_BODY(&e, STOCK_TRANSFERRED, stock_transferred, &st);
  return bench_todo_add(t, inv_actor(v, v->hub[sku]), &e);
}

/* Loads the data set: each step signed a chunk at a time and sent with
 * AppendBatch of --batch, --batch-inflight in flight. Sending is counted in
 * res (secs, items, errors, commits); signing in res->sign_secs. 0 or -1. */
static int inv_load(bench *b, bench_inv *v, bench_result *res) {
  static const char *const names[STEPS] = {"sites and warehouse actors", "batches",
                                           "receipts", "transfers"};
  bench_dest d = {&b->server, NULL};
  bench_todo t = {0};
  int rc = 0;
  for (int step = 0; step < STEPS && rc == 0; step++) {
    size_t n = inv_step_count(b, v, step);
    for (size_t i = 0; i < n && rc == 0;) {
      size_t end = n - i > INV_CHUNK ? i + INV_CHUNK : n;
      bench_note("inventory-load: %s %zu..%zu of %zu: signing", names[step], i, end, n);
      for (; i < end; i++)
        if (inv_add(b, v, step, i, &t) != 0)
          break;
      bench_pool pool;
      if (i < end || bench_todo_sign(&t, (int)b->cores, &pool, &res->sign_secs) != 0) {
        bench_failf(res, "cannot sign the %s", names[step]);
        rc = -1;
        break;
      }
      uint64_t before = res->errors;
      if (bench_send(b, &d, (size_t)b->o.batch, b->o.batch_inflight, &pool, 0, res, 0) != 0) {
        bench_failf(res, "cannot send the %s", names[step]);
        rc = -1;
      } else if (res->errors > before) {
        rc = -1; /* the next steps need this one */
      }
      v->entries += pool.n;
      bench_pool_free(&pool);
    }
  }
  bench_todo_free(&t);
  if (rc == 0)
    v->loaded = 1;
  return rc;
}

/* The data set, loaded: by inventory-load (measured into res), or by the
 * first phase that needs it. 0 or -1. */
static int inv_ready(bench *b, bench_result *res, int measured) {
  if (b->inv != NULL && b->inv->loaded)
    return 0;
  if (b->inv != NULL) {
    bench_failf(res, "the inventory data set failed to load earlier");
    return -1;
  }
  if (bench_world_ready(b, res) != 0)
    return -1;
  bench_inv *v = calloc(1, sizeof(*v));
  if (v == NULL || (b->inv = v, inv_make(b, v)) != 0) {
    bench_failf(res, "out of memory making the inventory data set");
    return -1;
  }
  bench_note("inventory: %zu sites, %zu SKUs, %zu receipts, %zu warehouse actors, %zu trace "
             "batches of %d transfers%s", v->nsites, v->nskus, v->nreceipts, v->nactors,
             v->ntrace, b->o.trace_facts, measured ? "" : " (loaded for this phase, unmeasured)");
  if (measured)
    return inv_load(b, v, res);
  bench_result load;
  memset(&load, 0, sizeof(load));
  int rc = inv_load(b, v, &load);
  if (rc != 0)
    bench_failf(res, "loading the inventory data set: %s", load.first_error);
  return rc;
}

void bench_phase_invload(bench *b, bench_result *res) {
  res->ran = 1;
  /* The limit phase's AppendBatch entries: the batch phase, the only one
   * that sends them again, has run by now. */
  bench_pool_free(&b->kept[LIM_BATCH]);
  if (b->inv != NULL) {
    bench_failf(res, "the inventory data set is loaded already");
    return;
  }
  if (bench_world_ready(b, res) != 0)
    return;
  bench_head(b, &res->size_before, NULL);
  bench_mark *mk = bench_mark_take(b->o.server_pid, NULL, 0);
  bench_io io0, io1;
  bench_io_read(b->o.server_pid, BENCH_WRITER_THREAD, &io0);
  inv_ready(b, res, 1);
  bench_io_read(b->o.server_pid, BENCH_WRITER_THREAD, &io1);
  bench_io_diff(&io0, &io1, &res->io);
  /* Over signing and sending both: indicative only, as for fill. */
  bench_mark_diff(mk, res);
  bench_head(b, &res->size_after, NULL);
  bench_inv *v = b->inv;
  if (v == NULL)
    return;
  bench_fig(res, "sites", (double)v->nsites);
  bench_fig(res, "skus", (double)v->nskus);
  bench_fig(res, "receipts", (double)v->nreceipts);
  bench_fig(res, "warehouse_actors", (double)v->nactors);
  bench_fig(res, "transfers", (double)(v->ntrace * (size_t)b->o.trace_facts));
  bench_fig(res, "entries", (double)v->entries);
}

/* ---- near ------------------------------------------------------------------- */

/* A RESP bulk string. */
static size_t inv_resp(char *out, const char *s) {
  return (size_t)sprintf(out, "$%zu\r\n%s\r\n", strlen(s), s);
}

/* The probes: half random points and SKUs, half near a site holding the
 * SKU, each as a packed StockNearRequest and a GEOSEARCH command. 0 or -1.
 *
 * A probe near stock lies within INV_PROBE_KM of the site and inside the
 * radius with room to spare: 0.1 % of it, for Redis's earth radius (0.03 %
 * longer than the server's), and a metre, for where Redis's geohash puts
 * the site. So its answer is never empty whatever --near-km is; with a
 * radius under a metre no probe can be sure of that, and none is marked. */
static int inv_probes(bench *b, bench_inv *v) {
  uint64_t rng;
  randombytes_buf(&rng, sizeof(rng));
  size_t n = INV_PROBES, each = 96 + 320;
  double radius_m = b->o.near_km * 1000;
  double reach_m = fmin(INV_PROBE_KM * 1000, fmin(0.999 * radius_m, radius_m - 1));
  v->probes = calloc(n, sizeof(*v->probes));
  v->probe_buf = malloc(n * each);
  if (v->probes == NULL || v->probe_buf == NULL || v->nrows == 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    bench_probe *p = &v->probes[i];
    size_t sku;
    if (i % 2 == 0) {
      p->lat = INV_LAT0 + (INV_LAT1 - INV_LAT0) * inv_unit(&rng);
      p->lon = INV_LON0 + (INV_LON1 - INV_LON0) * inv_unit(&rng);
      sku = bench_rand(&rng) % v->nskus;
    } else {
      size_t r = bench_rand(&rng) % v->nrows;
      size_t site = v->row_site[r];
      sku = v->row_sku[r];
      /* A point at most reach_m away, uniform over the disc: the
       * destination at distance d and bearing th on the server's sphere, so
       * that its haversine from the site is d. */
      double d = fmax(reach_m, 0) * sqrt(inv_unit(&rng)) / PL_EARTH_RADIUS_M;
      double th = 2 * M_PI * inv_unit(&rng);
      double la = v->lat[site] * M_PI / 180, lo = v->lon[site] * M_PI / 180;
      double la2 = asin(sin(la) * cos(d) + cos(la) * sin(d) * cos(th));
      double lo2 = lo + atan2(sin(th) * sin(d) * cos(la), cos(d) - sin(la) * sin(la2));
      p->lat = la2 * 180 / M_PI;
      p->lon = lo2 * 180 / M_PI;
      p->in_stock = reach_m >= 0;
    }
    char skuid[48], num[3][40];
    inv_sku_id(b, sku, skuid, sizeof(skuid));
    Partsledger__V1__StockNearRequest rq = PARTSLEDGER__V1__STOCK_NEAR_REQUEST__INIT;
    rq.sku = skuid;
    rq.latitude = p->lat;
    rq.longitude = p->lon;
    rq.radius_km = b->o.near_km;
    uint8_t *at = v->probe_buf + i * each;
    size_t len = partsledger__v1__stock_near_request__get_packed_size(&rq);
    if (len > 96)
      return -1;
    partsledger__v1__stock_near_request__pack(&rq, at);
    p->req.len = len;
    p->req.data = at;
    char *c = (char *)at + 96;
    snprintf(num[0], sizeof(num[0]), "%.10f", p->lon);
    snprintf(num[1], sizeof(num[1]), "%.10f", p->lat);
    snprintf(num[2], sizeof(num[2]), "%g", b->o.near_km);
    size_t k = (size_t)sprintf(c, "*12\r\n");
    k += inv_resp(c + k, "GEOSEARCH");
    k += inv_resp(c + k, skuid);
    k += inv_resp(c + k, "FROMLONLAT");
    k += inv_resp(c + k, num[0]);
    k += inv_resp(c + k, num[1]);
    k += inv_resp(c + k, "BYRADIUS");
    k += inv_resp(c + k, num[2]);
    k += inv_resp(c + k, "km");
    k += inv_resp(c + k, "ASC");
    k += inv_resp(c + k, "COUNT");
    k += inv_resp(c + k, "20");
    k += inv_resp(c + k, "WITHDIST");
    p->cmd.data = (const uint8_t *)c;
    p->cmd.len = k;
  }
  v->nprobes = n;
  return 0;
}

/* Of INV_SAMPLE probes' real replies, the one whose size is closest to
 * `mean`, packed into *out (malloc). 0 or -1. */
static int inv_typical_near(bench *b, bench_inv *v, double mean, uint8_t **out, size_t *len,
                            bench_result *res) {
  pl_arena *a = pl_arena_new(0);
  double best = -1;
  *out = NULL;
  for (size_t i = 0; a != NULL && i < INV_SAMPLE && i < v->nprobes; i++) {
    Partsledger__V1__StockNearRequest *rq = partsledger__v1__stock_near_request__unpack(
        pl_arena_allocator(a), v->probes[i].req.len, v->probes[i].req.data);
    ProtobufCMessage *m;
    if (rq == NULL ||
        bench_call(b, BENCH_INVENTORY "StockNear", &rq->base,
                   &partsledger__v1__stock_near_response__descriptor, a, &m, res,
                   "StockNear for a typical reply") != 0)
      break;
    size_t n = protobuf_c_message_get_packed_size(m);
    double off = fabs((double)n - mean);
    if (best < 0 || off < best) {
      uint8_t *p = malloc(n ? n : 1);
      if (p == NULL)
        break;
      protobuf_c_message_pack(m, p);
      free(*out);
      *out = p;
      *len = n;
      best = off;
    }
    pl_arena_reset(a);
  }
  pl_arena_free(a);
  if (best < 0) {
    free(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

/* GEOADD of every (site, SKU) pair, one command per SKU, for redis.c. */
static char *inv_geoadd(bench *b, bench_inv *v, size_t *len, size_t *ncmds) {
  size_t *count = calloc(v->nskus, sizeof(size_t)), *first = calloc(v->nskus + 1, sizeof(size_t));
  uint32_t *order = malloc((v->nrows ? v->nrows : 1) * sizeof(uint32_t));
  char *out = malloc(v->nrows * 120 + v->nskus * 64 + 1);
  size_t k = 0, cmds = 0;
  if (count == NULL || first == NULL || order == NULL || out == NULL) {
    free(out);
    out = NULL;
    goto done;
  }
  for (size_t r = 0; r < v->nrows; r++)
    count[v->row_sku[r]]++;
  for (size_t s = 0; s < v->nskus; s++)
    first[s + 1] = first[s] + count[s];
  for (size_t r = 0; r < v->nrows; r++)
    order[first[v->row_sku[r]]++] = (uint32_t)r;
  for (size_t s = 0, at = 0; s < v->nskus; s++) {
    if (count[s] == 0)
      continue;
    char id[48], num[40];
    inv_sku_id(b, s, id, sizeof(id));
    k += (size_t)sprintf(out + k, "*%zu\r\n", 2 + 3 * count[s]);
    k += inv_resp(out + k, "GEOADD");
    k += inv_resp(out + k, id);
    for (size_t j = 0; j < count[s]; j++, at++) {
      size_t site = v->row_site[order[at]];
      snprintf(num, sizeof(num), "%.10f", v->lon[site]);
      k += inv_resp(out + k, num);
      snprintf(num, sizeof(num), "%.10f", v->lat[site]);
      k += inv_resp(out + k, num);
      inv_site_id(b, site, id, sizeof(id));
      k += inv_resp(out + k, id);
    }
    cmds++;
  }
  *len = k;
  *ncmds = cmds;
done:
  free(count);
  free(first);
  free(order);
  return out;
}

void bench_phase_near(bench *b, bench_result *res) {
  res->ran = 1;
  if (inv_ready(b, res, 0) != 0)
    return;
  bench_inv *v = b->inv;
  if (v->probes == NULL && inv_probes(b, v) != 0) {
    bench_failf(res, "cannot make the probes");
    return;
  }
  bench_head(b, &res->size_before, NULL);
  res->size_after = res->size_before;
  bench_near *nr = calloc(1, sizeof(*nr));
  if (nr == NULL) {
    bench_failf(res, "out of memory");
    return;
  }
  nr->probes = v->probes;
  nr->n = v->nprobes;
  nr->radius_m = b->o.near_km * 1000;
  nr->limit = 20;
  bench_dest d = {&b->server, NULL};
  bench_measure_query(b, &d, &bench_wl_near, nr, b->o.near_inflight, res);
  uint64_t replies = atomic_load(&nr->replies);
  double mean = replies ? (double)atomic_load(&nr->bytes) / (double)replies : 0;
  bench_fig(res, "reply_bytes", mean);
  bench_fig(res, "sites_per_reply", replies ? (double)atomic_load(&nr->sites) / (double)replies : 0);
  bench_fig(res, "radius_km", b->o.near_km);
  bench_fig(res, "inflight", b->o.near_inflight);

  /* The do-nothing server, answering a real reply of the mean size. */
  uint8_t *canned;
  size_t clen = 0;
  if (inv_typical_near(b, v, mean, &canned, &clen, res) == 0) {
    bench_fig(res, "limit_reply_bytes", (double)clen);
    bench_near *cn = calloc(1, sizeof(*cn));
    if (cn != NULL) {
      *cn = (bench_near){.probes = nr->probes, .n = nr->n, .radius_m = nr->radius_m,
                         .limit = nr->limit, .canned = 1};
      bench_measure_canned(b, &bench_wl_near, cn, canned, clen, 64, b->o.near_inflight,
                           &b->sub[PH_NEAR][SUB_LIMIT]);
    }
    free(cn);
    free(canned);
  }

  /* Redis over the same sites. */
  bench_result *rr = &b->sub[PH_NEAR][SUB_REDIS];
  size_t glen = 0, ncmds = 0;
  char *geoadd = NULL;
  if (strcmp(b->o.redis, "none") != 0)
    geoadd = inv_geoadd(b, v, &glen, &ncmds);
  if (strcmp(b->o.redis, "none") == 0)
    snprintf(rr->note, sizeof(rr->note), "not run (--redis none)");
  else if (geoadd == NULL)
    bench_failf(rr, "out of memory for the GEOADD commands");
  else
    bench_redis_near(b, geoadd, glen, ncmds, nr, rr);
  free(geoadd);
  free(nr);
}

/* ---- trace ------------------------------------------------------------------- */

void bench_phase_trace(bench *b, bench_result *res) {
  res->ran = 1;
  if (inv_ready(b, res, 0) != 0)
    return;
  bench_inv *v = b->inv;
  if (v->ntrace == 0) {
    bench_failf(res, "no trace batches (--trace-batches 0, or fewer than 2 sites)");
    return;
  }
  bench_head(b, &res->size_before, NULL);
  res->size_after = res->size_before;
  size_t n = v->ntrace;
  char (*ids)[48] = calloc(n, sizeof(*ids));
  const char **idp = calloc(n, sizeof(*idp));
  bench_bytes *req = calloc(2 * n, sizeof(*req));
  uint8_t *buf = malloc(2 * n * 80);
  bench_trace *tr = calloc(3, sizeof(*tr));
  if (ids == NULL || idp == NULL || req == NULL || buf == NULL || tr == NULL) {
    bench_failf(res, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < 2 * n; i++) {
    Partsledger__V1__TraceBatchRequest rq = PARTSLEDGER__V1__TRACE_BATCH_REQUEST__INIT;
    inv_batch_id(b, i % n, ids[i % n], sizeof(ids[0]));
    idp[i % n] = ids[i % n];
    rq.batch_id = ids[i % n];
    rq.page_size = (uint32_t)b->o.trace_facts;
    rq.with_proofs = i >= n;
    req[i].data = buf + i * 80;
    req[i].len = partsledger__v1__trace_batch_request__pack(&rq, buf + i * 80);
  }
  for (int k = 0; k < 3; k++) {
    tr[k].req = k == 2 ? req + n : req;
    tr[k].batch_id = idp;
    tr[k].n = n;
    tr[k].facts = (uint32_t)b->o.trace_facts;
    tr[k].proofs = k == 2;
    tr[k].canned = k == 1;
  }
  bench_dest d = {&b->server, NULL};
  bench_measure_query(b, &d, &bench_wl_trace, &tr[0], b->o.inflight, res);
  uint64_t replies = atomic_load(&tr[0].replies);
  bench_fig(res, "facts", b->o.trace_facts);
  bench_fig(res, "reply_bytes", replies ? (double)atomic_load(&tr[0].bytes) / (double)replies : 0);

  /* The do-nothing server, answering the first batch's real page. */
  pl_arena *a = pl_arena_new(0);
  Partsledger__V1__TraceBatchRequest *rq =
      a ? partsledger__v1__trace_batch_request__unpack(pl_arena_allocator(a), req[0].len,
                                                       req[0].data)
        : NULL;
  ProtobufCMessage *m;
  if (rq != NULL && bench_call(b, BENCH_TRACE "TraceBatch", &rq->base,
                               &partsledger__v1__trace_batch_response__descriptor, a, &m, res,
                               "TraceBatch for the ready reply") == 0) {
    size_t clen = protobuf_c_message_get_packed_size(m);
    uint8_t *canned = malloc(clen ? clen : 1);
    if (canned != NULL) {
      protobuf_c_message_pack(m, canned);
      bench_fig(res, "limit_reply_bytes", (double)clen);
      bench_measure_canned(b, &bench_wl_trace, &tr[1], canned, clen, 32, b->o.inflight,
                           &b->sub[PH_TRACE][SUB_LIMIT]);
      free(canned);
    }
  }
  pl_arena_free(a);

  /* With proofs. */
  bench_result *pr = &b->sub[PH_TRACE][SUB_PROOFS];
  bench_measure_query(b, &d, &bench_wl_trace, &tr[2], b->o.inflight, pr);
  replies = atomic_load(&tr[2].replies);
  bench_fig(pr, "reply_bytes", replies ? (double)atomic_load(&tr[2].bytes) / (double)replies : 0);
done:
  free(tr);
  free(buf);
  free(req);
  free(idp);
  free(ids);
}

/* ---- reserve ----------------------------------------------------------------- */

typedef struct {
  pl_key *actor;
  uint64_t received[RES_SKUS]; /* units received per SKU */
  uint64_t ok[RES_SKUS];       /* reservations logged per SKU */
  size_t next;                 /* reservations signed so far */
} inv_res;

/* Receives `units` more of each SKU at the site, in order. 0 or -1. */
static int inv_res_stock(bench *b, inv_res *r, uint64_t units, bench_result *res) {
  bench_todo t = {0};
  char site[48], batch[48];
  snprintf(site, sizeof(site), "%s-rs", b->prefix);
  for (int k = 0; k < RES_SKUS; k++) {
    Partsledger__V1__Entry e;
    Partsledger__V1__StockReceived sr = PARTSLEDGER__V1__STOCK_RECEIVED__INIT;
    snprintf(batch, sizeof(batch), "%s-rb%d", b->prefix, k);
    sr.site_id = site;
    sr.batch_id = batch;
    sr.quantity = units;
    BENCH_BODY(&e, STOCK_RECEIVED, stock_received, &sr);
    bench_todo_add(&t, r->actor, &e);
  }
  int rc = bench_sign_send(b, &t, res, "the reserve site's receipts");
  bench_todo_free(&t);
  for (int k = 0; rc == 0 && k < RES_SKUS; k++)
    r->received[k] += units;
  return rc;
}

/* The site, its warehouse and a batch per SKU. 0 or -1. */
static int inv_res_setup(bench *b, inv_res *r, bench_result *res) {
  char site[48], batch[48], sku[48], supplier[48];
  snprintf(site, sizeof(site), "%s-rs", b->prefix);
  snprintf(supplier, sizeof(supplier), "%s-sup", b->prefix);
  if ((r->actor = bench_key_new()) == NULL) {
    bench_failf(res, "cannot make a key");
    return -1;
  }
  bench_todo t = {0};
  Partsledger__V1__Entry e;
  Partsledger__V1__SiteRegistered s = PARTSLEDGER__V1__SITE_REGISTERED__INIT;
  s.site_id = site;
  s.kind = PARTSLEDGER__V1__SITE_KIND__SITE_KIND_WAREHOUSE;
  s.name = "Reserve site";
  s.latitude = 1.0; /* far from the inventory's sites */
  s.longitude = 1.0;
  BENCH_BODY(&e, SITE_REGISTERED, site_registered, &s);
  bench_todo_add(&t, b->admin, &e);
  char *sites[1] = {site};
  Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  ae.public_key.data = (uint8_t *)pl_key_public(r->actor);
  ae.public_key.len = PL_PUBLIC_KEY_BYTES;
  ae.role = PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE;
  ae.name = "bench reserve warehouse";
  ae.site_ids = sites;
  ae.n_site_ids = 1;
  BENCH_BODY(&e, ACTOR_ENROLLED, actor_enrolled, &ae);
  bench_todo_add(&t, b->admin, &e);
  for (int k = 0; k < RES_SKUS; k++) {
    Partsledger__V1__BatchRegistered br = PARTSLEDGER__V1__BATCH_REGISTERED__INIT;
    snprintf(batch, sizeof(batch), "%s-rb%d", b->prefix, k);
    snprintf(sku, sizeof(sku), "%s-rk%d", b->prefix, k);
    br.batch_id = batch;
    br.supplier_id = supplier;
    br.sku = sku;
    br.part_class = PARTSLEDGER__V1__PART_CLASS__PART_CLASS_ORIGINAL;
    br.quantity = 1000000000;
    BENCH_BODY(&e, BATCH_REGISTERED, batch_registered, &br);
    bench_todo_add(&t, b->maker, &e);
  }
  int rc = bench_sign_send(b, &t, res, "the reserve site");
  bench_todo_free(&t);
  return rc;
}

/* `n` reservations of one unit, SKU i mod RES_SKUS for the pool's record
 * i, after receiving enough of each; then sent by --reserve-clients for
 * `secs` (0: all of them) into res, with their rate in *rate (when not
 * NULL). 0, or -1 after counting the failure in res. */
static int inv_res_run(bench *b, inv_res *r, size_t n, double secs, bench_result *res,
                       int measure, double *rate) {
  uint64_t need = (uint64_t)(n + RES_SKUS - 1) / RES_SKUS;
  if (inv_res_stock(b, r, need, res) != 0)
    return -1;
  bench_todo t = {0};
  char site[48], sku[48], id[48];
  snprintf(site, sizeof(site), "%s-rs", b->prefix);
  int64_t expires = pl_now_ms() + BENCH_DAY_MS;
  for (size_t i = 0; i < n; i++) {
    Partsledger__V1__Entry e;
    Partsledger__V1__PartReserved pr = PARTSLEDGER__V1__PART_RESERVED__INIT;
    snprintf(sku, sizeof(sku), "%s-rk%zu", b->prefix, i % RES_SKUS);
    snprintf(id, sizeof(id), "%s-r%zu", b->prefix, r->next++);
    pr.reservation_id = id;
    pr.site_id = site;
    pr.sku = sku;
    pr.quantity = 1;
    pr.expires_at_ms = expires;
    BENCH_BODY(&e, PART_RESERVED, part_reserved, &pr);
    bench_todo_add(&t, r->actor, &e);
  }
  bench_pool pool;
  int rc = bench_todo_sign(&t, (int)b->cores, &pool, &res->sign_secs);
  bench_todo_free(&t);
  bench_reserve *ctx = calloc(1, sizeof(*ctx));
  if (rc != 0 || ctx == NULL) {
    bench_failf(res, "cannot sign the reservations");
    bench_pool_free(&pool);
    free(ctx);
    return -1;
  }
  ctx->nskus = RES_SKUS;
  bench_dest d = {&b->server, NULL};
  uint64_t items = res->items;
  double before = res->secs;
  rc = bench_write_run(b, &d, &bench_wl_reserve, ctx, &ctx->w, &pool, 0,
                       b->o.reserve_clients, secs, res, measure);
  for (int k = 0; k < RES_SKUS; k++)
    r->ok[k] += atomic_load(&ctx->ok[k]);
  free(ctx);
  bench_pool_free(&pool);
  if (rc != 0) {
    bench_failf(res, "the reservations could not be sent");
    return -1;
  }
  double took = res->secs - before;
  if (rate != NULL)
    *rate = took > 0 ? (double)(res->items - items) / took : 0;
  return 0;
}

void bench_phase_reserve(bench *b, bench_result *res) {
  res->ran = 1;
  if (bench_world_ready(b, res) != 0)
    return;
  inv_res r;
  memset(&r, 0, sizeof(r));
  if (inv_res_setup(b, &r, res) != 0) {
    pl_key_free(r.actor);
    return;
  }
  size_t cap = (size_t)b->o.max_pool;
  size_t wn = 30000 < cap ? 30000 : cap;
  bench_note("reserve: warming up (%zu reservations)", wn);
  bench_result warm;
  memset(&warm, 0, sizeof(warm));
  double rate = 0;
  int rc = inv_res_run(b, &r, wn, 1.0, &warm, 0, &rate);
  bench_merge_warmup(res, &warm);
  if (rc == 0) {
    double want = rate * b->o.duration * 2.0 + 2.0 * b->o.reserve_clients;
    if (want < 1000)
      want = 1000;
    if (want > (double)cap)
      want = (double)cap;
    bench_note("reserve: warm-up %.0f/s; signing %.0f reservations", rate, want);
    inv_res_run(b, &r, (size_t)want, b->o.duration, res, 1, NULL);
  }
  bench_head(b, &res->size_after, NULL);

  /* Never one unit more reserved than on hand: GetStock agrees with the
   * reservations that were logged, SKU by SKU. */
  pl_arena *a = pl_arena_new(0);
  char site[48], sku[48];
  snprintf(site, sizeof(site), "%s-rs", b->prefix);
  uint64_t on_hand = 0, reserved = 0, logged = 0;
  for (int k = 0; a != NULL && k < RES_SKUS; k++) {
    Partsledger__V1__GetStockRequest rq = PARTSLEDGER__V1__GET_STOCK_REQUEST__INIT;
    snprintf(sku, sizeof(sku), "%s-rk%d", b->prefix, k);
    rq.site_id = site;
    rq.sku = sku;
    ProtobufCMessage *m;
    if (bench_call(b, BENCH_INVENTORY "GetStock", &rq.base,
                   &partsledger__v1__get_stock_response__descriptor, a, &m, res,
                   "GetStock after the reservations") != 0)
      break;
    const Partsledger__V1__GetStockResponse *st = (void *)m;
    on_hand += st->on_hand;
    reserved += st->reserved;
    logged += r.ok[k];
    if (st->reserved > st->on_hand || st->on_hand != r.received[k] ||
        st->reserved != r.ok[k] || st->available != st->on_hand - st->reserved)
      bench_failf(res, "GetStock(%s, %s): on hand %" PRIu64 ", reserved %" PRIu64
                  ", available %" PRIu64 "; received %" PRIu64 " and logged %" PRIu64
                  " reservations", site, sku, st->on_hand, st->reserved, st->available,
                  r.received[k], r.ok[k]);
    pl_arena_reset(a);
  }
  pl_arena_free(a);
  bench_fig(res, "clients", b->o.reserve_clients);
  bench_fig(res, "skus", RES_SKUS);
  bench_fig(res, "on_hand", (double)on_hand);
  bench_fig(res, "reserved", (double)reserved);
  bench_fig(res, "reservations_logged", (double)logged);
  pl_key_free(r.actor);
}
