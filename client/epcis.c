/*
 * epcis.c - EPCIS 2.0 JSON-LD documents of a trace's facts; see epcis.h for
 * the mapping from entry kinds to events and the identifiers used.
 *
 * Each fact's leaf is decoded (Leaf, then its SignedEntry's Entry) and turned
 * into zero, one or two events. Parts whose batch the entry does not state
 * (the part a replacement removes) take it from what the facts said earlier:
 * a registration or an installation in the same document, the fact's own
 * batch_id, or the traced batch.
 *
 * May depend on: the storage/ headers (arena, caltime, error, entry, keys,
 * merkle), the generated protobuf code, cJSON. No network.
 */
#include "epcis.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "caltime.h"
#include "entry.h"
#include "error.h"
#include "keys.h"
#include "merkle.h"

/* GS1 AI 10 (batch/lot) and AI 21 (serial) hold at most 20 characters. */
#define PL__GS1_AI_MAX 20

/* ---- small maps: id -> value, linear (a trace holds few ids) ---- */

typedef struct {
  pl_epcis_name *v;
  size_t n, cap;
} pl__map;

static const char *pl__map_get(const pl_epcis_name *v, size_t n,
                               const char *id) {
  if (id == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (v[i].id != NULL && strcmp(v[i].id, id) == 0)
      return v[i].value;
  return NULL;
}

/* Sets id -> value (the latest wins). 0 or PL_ENOMEM. */
static int pl__map_put(pl_arena *a, pl__map *m, const char *id,
                       const char *value) {
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->v[i].id, id) == 0) {
      m->v[i].value = value;
      return 0;
    }
  if (m->n == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 16;
    pl_epcis_name *v = pl_arena_alloc(a, cap * sizeof(*v));
    if (v == NULL)
      return PL_ENOMEM;
    if (m->n > 0)
      memcpy(v, m->v, m->n * sizeof(*v));
    m->v = v;
    m->cap = cap;
  }
  m->v[m->n].id = id;
  m->v[m->n++].value = value;
  return 0;
}

/* ---- decoding ---- */

typedef struct {
  const Partsledger__V1__Fact *f;
  Partsledger__V1__Leaf *leaf;
  Partsledger__V1__Entry *e;
} pl__fact;

static int pl__decode(pl_arena *a, const Partsledger__V1__Fact *f,
                      pl__fact *out) {
  out->f = f;
  if (f->leaf.len == 0)
    return PL_EINVAL;
  out->leaf = partsledger__v1__leaf__unpack(pl_arena_allocator(a), f->leaf.len,
                                            f->leaf.data);
  if (out->leaf == NULL || out->leaf->signed_entry == NULL)
    return PL_EINVAL;
  const ProtobufCBinaryData *b = &out->leaf->signed_entry->entry;
  out->e =
      partsledger__v1__entry__unpack(pl_arena_allocator(a), b->len, b->data);
  return out->e != NULL ? 0 : PL_EINVAL;
}

/* ---- identifiers ---- */

/* `s` percent-encoded: everything but RFC 3986's unreserved characters. */
static char *pl__pct(pl_arena *a, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *out = pl_arena_alloc(a, 3 * n + 1), *p = out;
  if (out == NULL)
    return NULL;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
        (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' ||
        *c == '~') {
      *p++ = (char)*c;
    } else {
      *p++ = '%';
      *p++ = hex[*c >> 4];
      *p++ = hex[*c & 15];
    }
  }
  *p = '\0';
  return out;
}

/* 1 when GS1's AI 10 or 21 can carry `s`: 1-20 characters of the GS1
 * character set 82. */
static int pl__gs1_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > PL__GS1_AI_MAX)
    return 0;
  for (const char *c = s; *c; c++)
    if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
          (*c >= '0' && *c <= '9') ||
          strchr("!\"%&'()*+,-./:;<=>?_", *c) != NULL))
      return 0;
  return 1;
}

static int pl__digits(const char *s, size_t n) {
  if (s == NULL || strlen(s) != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

typedef struct {
  pl_arena *a;
  const pl_epcis_input *in;
  pl__map part_batch; /* part serial -> batch id, as the facts tell it */
} pl__doc;

static const pl_epcis_order *pl__order(pl__doc *d, const char *order_id) {
  for (size_t i = 0; i < d->in->n_orders; i++)
    if (d->in->orders[i].order_id != NULL &&
        strcmp(d->in->orders[i].order_id, order_id) == 0)
      return &d->in->orders[i];
  return NULL;
}

static const char *pl__gtin(pl__doc *d, const char *batch_id) {
  const char *g = pl__map_get(d->in->gtins, d->in->n_gtins, batch_id);
  return pl__digits(g, 14) ? g : NULL;
}

static const char *pl__lot_uri(pl__doc *d, const char *batch_id) {
  const char *g = pl__gtin(d, batch_id);
  const char *id = pl__pct(d->a, batch_id);
  if (id == NULL)
    return NULL;
  if (g != NULL && pl__gs1_ok(batch_id))
    return pl_arena_printf(d->a, "https://id.gs1.org/01/%s/10/%s", g, id);
  return pl_arena_printf(d->a, "urn:partsledger:batch:%s", id);
}

/* A part, with the GTIN of its batch when known (batch_id may be NULL). */
static const char *pl__part_uri(pl__doc *d, const char *serial,
                                const char *batch_id) {
  if (batch_id == NULL)
    batch_id = pl__map_get(d->part_batch.v, d->part_batch.n, serial);
  const char *g = batch_id != NULL ? pl__gtin(d, batch_id) : NULL;
  const char *s = pl__pct(d->a, serial);
  if (s == NULL)
    return NULL;
  if (g != NULL && pl__gs1_ok(serial))
    return pl_arena_printf(d->a, "https://id.gs1.org/01/%s/21/%s", g, s);
  return pl_arena_printf(d->a, "urn:partsledger:part:%s", s);
}

static const char *pl__site_uri(pl__doc *d, const char *site_id) {
  const char *gln = pl__map_get(d->in->glns, d->in->n_glns, site_id);
  if (pl__digits(gln, 13))
    return pl_arena_printf(d->a, "https://id.gs1.org/414/%s", gln);
  const char *s = pl__pct(d->a, site_id);
  return s != NULL ? pl_arena_printf(d->a, "urn:partsledger:site:%s", s) : NULL;
}

static const char *pl__device_uri(pl__doc *d, const char *serial) {
  const char *s = pl__pct(d->a, serial);
  return s != NULL ? pl_arena_printf(d->a, "urn:partsledger:device:%s", s)
                   : NULL;
}

/* ---- events ---- */

/* Adds a string to `o`, failing on NULL (an identifier out of memory). */
static int pl__add_str(cJSON *o, const char *name, const char *v) {
  return v != NULL && cJSON_AddStringToObject(o, name, v) != NULL ? 0
                                                                  : PL_ENOMEM;
}

/* A new event of `type` for fact `x`, added to `list`: time, offset and
 * this project's fields. NULL when out of memory. */
static cJSON *pl__event(cJSON *list, const pl__fact *x, const char *type) {
  char when[PL_ISO_TIME_MAX];
  char hash_hex[2 * PL_HASH_BYTES + 1];
  uint8_t lh[PL_HASH_BYTES];
  pl_cal_iso(x->leaf->integrated_at_ms, when);
  pl_merkle_leaf_hash(x->f->leaf.data, x->f->leaf.len, lh);
  pl_hex_encode(lh, PL_HASH_BYTES, hash_hex);
  cJSON *ev = cJSON_CreateObject();
  if (ev == NULL || !cJSON_AddItemToArray(list, ev))
    return cJSON_Delete(ev), NULL;
  if (pl__add_str(ev, "type", type) != 0 ||
      pl__add_str(ev, "eventTime", when) != 0 ||
      pl__add_str(ev, "eventTimeZoneOffset", "+00:00") != 0 ||
      cJSON_AddNumberToObject(ev, PL_EPCIS_PREFIX ":leafIndex",
                              (double)x->f->index) == NULL ||
      pl__add_str(ev, PL_EPCIS_PREFIX ":leafHash", hash_hex) != 0 ||
      pl__add_str(ev, PL_EPCIS_PREFIX ":kind", pl_kind_name(x->e->body_case)) !=
          0)
    return NULL;
  return ev;
}

/* {"id": uri} under `name` (readPoint, bizLocation). */
static int pl__add_place(cJSON *ev, const char *name, const char *uri) {
  cJSON *o = cJSON_AddObjectToObject(ev, name);
  return o != NULL ? pl__add_str(o, "id", uri) : PL_ENOMEM;
}

/* quantityList [{epcClass, quantity}]; quantity < 0 leaves it out. */
static int pl__add_quantity(pl__doc *d, cJSON *ev, const char *batch_id,
                            double quantity) {
  cJSON *l = cJSON_AddArrayToObject(ev, "quantityList"),
        *q = cJSON_CreateObject();
  if (l == NULL || q == NULL || !cJSON_AddItemToArray(l, q))
    return cJSON_Delete(q), PL_ENOMEM;
  if (pl__add_str(q, "epcClass", pl__lot_uri(d, batch_id)) != 0)
    return PL_ENOMEM;
  if (quantity >= 0 && cJSON_AddNumberToObject(q, "quantity", quantity) == NULL)
    return PL_ENOMEM;
  return 0;
}

/* An ObjectEvent of a lot: action, bizStep and disposition ("" leaves
 * either out). The new event in *out. */
static int pl__lot_event(pl__doc *d, cJSON *list, const pl__fact *x,
                         const char *action, const char *biz_step,
                         const char *disposition, const char *batch_id,
                         double quantity, cJSON **out) {
  cJSON *ev = pl__event(list, x, "ObjectEvent");
  if (ev == NULL || cJSON_AddArrayToObject(ev, "epcList") == NULL ||
      pl__add_str(ev, "action", action) != 0)
    return PL_ENOMEM;
  if (biz_step[0] != '\0' && pl__add_str(ev, "bizStep", biz_step) != 0)
    return PL_ENOMEM;
  if (disposition[0] != '\0' &&
      pl__add_str(ev, "disposition", disposition) != 0)
    return PL_ENOMEM;
  *out = ev;
  return pl__add_quantity(d, ev, batch_id, quantity);
}

/* An AssociationEvent of the device and `n` parts. */
static int pl__assoc_event(pl__doc *d, cJSON *list, const pl__fact *x,
                           const char *action, const char *biz_step,
                           const char *device, const char *const *parts,
                           const char *const *batches, size_t n,
                           const char *site_id) {
  cJSON *ev = pl__event(list, x, "AssociationEvent");
  if (ev == NULL || pl__add_str(ev, "parentID", pl__device_uri(d, device)) != 0)
    return PL_ENOMEM;
  cJSON *kids = cJSON_AddArrayToObject(ev, "childEPCs");
  if (kids == NULL)
    return PL_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    const char *uri = pl__part_uri(d, parts[i], batches[i]);
    cJSON *s = uri != NULL ? cJSON_CreateString(uri) : NULL;
    if (s == NULL || !cJSON_AddItemToArray(kids, s))
      return cJSON_Delete(s), PL_ENOMEM;
  }
  if (pl__add_str(ev, "action", action) != 0)
    return PL_ENOMEM;
  if (biz_step[0] != '\0' && pl__add_str(ev, "bizStep", biz_step) != 0)
    return PL_ENOMEM;
  if (site_id != NULL && site_id[0] != '\0' &&
      pl__add_place(ev, "bizLocation", pl__site_uri(d, site_id)) != 0)
    return PL_ENOMEM;
  return 0;
}

/* source or destination list of one site. */
static int pl__add_party(pl__doc *d, cJSON *ev, const char *list,
                         const char *field, const char *site_id) {
  cJSON *l = cJSON_AddArrayToObject(ev, list), *o = cJSON_CreateObject();
  if (l == NULL || o == NULL || !cJSON_AddItemToArray(l, o))
    return cJSON_Delete(o), PL_ENOMEM;
  if (pl__add_str(o, "type", "location") != 0 ||
      pl__add_str(o, field, pl__site_uri(d, site_id)) != 0)
    return PL_ENOMEM;
  return 0;
}

/* The events of one fact, appended to `list`; *added counts them. */
static int pl__fact_events(pl__doc *d, cJSON *list, const pl__fact *x,
                           size_t *added) {
  const Partsledger__V1__Entry *e = x->e;
  const Partsledger__V1__Fact *f = x->f;
  size_t before = (size_t)cJSON_GetArraySize(list);
  cJSON *ev = NULL;
  int rc = 0;
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED: {
    const Partsledger__V1__BatchRegistered *b = e->batch_registered;
    rc = pl__lot_event(d, list, x, "ADD", "commissioning", "active",
                       b->batch_id, (double)b->quantity, &ev);
    cJSON *epcs =
        rc == 0 ? cJSON_GetObjectItemCaseSensitive(ev, "epcList") : NULL;
    for (size_t i = 0; rc == 0 && i < b->n_serials; i++) {
      const char *uri = pl__part_uri(d, b->serials[i], b->batch_id);
      cJSON *s = uri != NULL ? cJSON_CreateString(uri) : NULL;
      if (s == NULL || !cJSON_AddItemToArray(epcs, s)) {
        cJSON_Delete(s);
        rc = PL_ENOMEM;
      }
    }
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED: {
    const Partsledger__V1__StockReceived *b = e->stock_received;
    rc = pl__lot_event(d, list, x, "OBSERVE", "receiving", "in_progress",
                       b->batch_id, (double)b->quantity, &ev);
    if (rc == 0)
      rc = pl__add_place(ev, "readPoint", pl__site_uri(d, b->site_id));
    if (rc == 0)
      rc = pl__add_place(ev, "bizLocation", pl__site_uri(d, b->site_id));
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_TRANSFERRED: {
    const Partsledger__V1__StockTransferred *b = e->stock_transferred;
    rc = pl__lot_event(d, list, x, "OBSERVE", "shipping", "in_transit",
                       b->batch_id, (double)b->quantity, &ev);
    if (rc == 0)
      rc = pl__add_place(ev, "readPoint", pl__site_uri(d, b->from_site_id));
    if (rc == 0)
      rc = pl__add_party(d, ev, "sourceList", "source", b->from_site_id);
    if (rc == 0)
      rc =
          pl__add_party(d, ev, "destinationList", "destination", b->to_site_id);
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED: {
    const Partsledger__V1__BatchRecalled *b = e->batch_recalled;
    rc = pl__lot_event(d, list, x, "OBSERVE", "", "recalled", b->batch_id, -1,
                       &ev);
    if (rc == 0 && b->reason[0] != '\0')
      rc = pl__add_str(ev, PL_EPCIS_PREFIX ":reason", b->reason);
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED: {
    const Partsledger__V1__DeviceRegistered *b = e->device_registered;
    const char **parts =
        pl_arena_alloc(d->a, (b->n_parts + 1) * sizeof(char *));
    const char **batches =
        pl_arena_alloc(d->a, (b->n_parts + 1) * sizeof(char *));
    if (parts == NULL || batches == NULL)
      return PL_ENOMEM;
    for (size_t i = 0; rc == 0 && i < b->n_parts; i++) {
      parts[i] = b->parts[i]->part_serial;
      batches[i] = b->parts[i]->batch_id;
      rc = pl__map_put(d->a, &d->part_batch, parts[i], batches[i]);
    }
    if (rc == 0)
      rc = pl__assoc_event(d, list, x, "ADD", "", b->device_serial, parts,
                           batches, b->n_parts, NULL);
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED: {
    const Partsledger__V1__PartReplaced *b = e->part_replaced;
    /* A device's or a part's history names the device; a batch trace does
     * not, and the order does. */
    const pl_epcis_order *o = pl__order(d, b->order_id);
    const char *device = f->device_serial, *site = f->site_id;
    if (device == NULL || device[0] == '\0')
      device = o != NULL ? o->device_serial : NULL;
    if (site == NULL || site[0] == '\0')
      site = o != NULL ? o->site_id : NULL;
    if (device == NULL || device[0] == '\0')
      return PL_ENOTFOUND;
    if (b->removed_serial[0] != '\0') {
      const char *rb =
          pl__map_get(d->part_batch.v, d->part_batch.n, b->removed_serial);
      if (rb == NULL && f->batch_id != NULL && f->batch_id[0] != '\0' &&
          f->part_serial != NULL &&
          strcmp(f->part_serial, b->removed_serial) == 0)
        rb = f->batch_id;
      /* A batch trace's fact of a replacement counts -1 (or 0, both the
       * same batch) for the part it took out of the traced batch. */
      if (rb == NULL && d->in->batch_id != NULL && f->quantity <= 0)
        rb = d->in->batch_id;
      const char *removed = b->removed_serial;
      rc = pl__assoc_event(d, list, x, "DELETE", "removing", device, &removed,
                           &rb, 1, site);
    }
    if (rc == 0)
      rc = pl__map_put(d->a, &d->part_batch, b->installed_serial,
                       b->installed_batch_id);
    if (rc == 0) {
      const char *installed = b->installed_serial, *ib = b->installed_batch_id;
      rc = pl__assoc_event(d, list, x, "ADD", "installing", device, &installed,
                           &ib, 1, site);
    }
    break;
  }
  default:
    break;
  }
  *added += (size_t)cJSON_GetArraySize(list) - before;
  return rc;
}

int pl_epcis_document(Partsledger__V1__Fact *const *facts, size_t n,
                      const pl_epcis_input *in, pl_arena *a, cJSON **out,
                      size_t *n_events) {
  *out = NULL;
  if (n_events != NULL)
    *n_events = 0;
  pl__doc d;
  memset(&d, 0, sizeof(d));
  d.a = a;
  d.in = in;
  /* What the facts themselves say of parts and their batches, first: a part
   * history names its batch on every fact. */
  for (size_t i = 0; i < n; i++) {
    const Partsledger__V1__Fact *f = facts[i];
    if (f->part_serial != NULL && f->part_serial[0] != '\0' &&
        f->batch_id != NULL && f->batch_id[0] != '\0' &&
        pl__map_get(d.part_batch.v, d.part_batch.n, f->part_serial) == NULL &&
        pl__map_put(a, &d.part_batch, f->part_serial, f->batch_id) != 0)
      return PL_ENOMEM;
  }

  char created[PL_ISO_TIME_MAX];
  pl_cal_iso(in->created_at_ms, created);
  cJSON *doc = cJSON_CreateObject();
  cJSON *ctx = cJSON_AddArrayToObject(doc, "@context");
  cJSON *ns = cJSON_CreateObject();
  cJSON *std = cJSON_CreateString(PL_EPCIS_CONTEXT);
  int rc = PL_ENOMEM;
  if (doc == NULL || ctx == NULL || ns == NULL || std == NULL) {
    cJSON_Delete(ns);
    cJSON_Delete(std);
    goto fail;
  }
  cJSON_AddItemToArray(ctx, std);
  cJSON_AddItemToArray(ctx, ns);
  cJSON *body = NULL, *list = NULL;
  if (pl__add_str(ns, PL_EPCIS_PREFIX, PL_EPCIS_NAMESPACE) != 0 ||
      pl__add_str(doc, "type", "EPCISDocument") != 0 ||
      pl__add_str(doc, "schemaVersion", "2.0") != 0 ||
      pl__add_str(doc, "creationDate", created) != 0 ||
      (body = cJSON_AddObjectToObject(doc, "epcisBody")) == NULL ||
      (list = cJSON_AddArrayToObject(body, "eventList")) == NULL)
    goto fail;

  size_t added = 0;
  for (size_t i = 0; i < n; i++) {
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++)
      seen = facts[j]->index == facts[i]->index;
    if (seen)
      continue;
    pl__fact x;
    if ((rc = pl__decode(a, facts[i], &x)) != 0 ||
        (rc = pl__fact_events(&d, list, &x, &added)) != 0)
      goto fail;
  }
  if (n_events != NULL)
    *n_events = added;
  *out = doc;
  return 0;
fail:
  cJSON_Delete(doc);
  return rc;
}

int pl_epcis_refs_of(Partsledger__V1__Fact *const *facts, size_t n,
                     const char *batch_id, pl_arena *a, pl_epcis_refs *out) {
  memset(out, 0, sizeof(*out));
  pl__map batches = {0}, sites = {0}, orders = {0};
  int rc = 0;
#define PL__REF(m, id)                                                         \
  do {                                                                         \
    if (rc == 0 && (id) != NULL && (id)[0] != '\0')                            \
      rc = pl__map_put(a, &(m), (id), "");                                     \
  } while (0)
  PL__REF(batches, batch_id);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    pl__fact x;
    if ((rc = pl__decode(a, facts[i], &x)) != 0)
      return rc;
    const Partsledger__V1__Entry *e = x.e;
    PL__REF(batches, facts[i]->batch_id);
    PL__REF(sites, facts[i]->site_id);
    PL__REF(sites, facts[i]->to_site_id);
    switch (e->body_case) {
    case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED:
      PL__REF(batches, e->batch_registered->batch_id);
      break;
    case PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED:
      PL__REF(batches, e->stock_received->batch_id);
      PL__REF(sites, e->stock_received->site_id);
      break;
    case PARTSLEDGER__V1__ENTRY__BODY_STOCK_TRANSFERRED:
      PL__REF(batches, e->stock_transferred->batch_id);
      PL__REF(sites, e->stock_transferred->from_site_id);
      PL__REF(sites, e->stock_transferred->to_site_id);
      break;
    case PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED:
      PL__REF(batches, e->batch_recalled->batch_id);
      break;
    case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED:
      for (size_t k = 0; k < e->device_registered->n_parts; k++)
        PL__REF(batches, e->device_registered->parts[k]->batch_id);
      break;
    case PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED:
      PL__REF(batches, e->part_replaced->installed_batch_id);
      PL__REF(orders, e->part_replaced->order_id);
      break;
    default:
      break;
    }
  }
#undef PL__REF
  if (rc != 0)
    return rc;
  const char ***lists[3] = {&out->batches, &out->sites, &out->orders};
  size_t *counts[3] = {&out->n_batches, &out->n_sites, &out->n_orders};
  pl__map *maps[3] = {&batches, &sites, &orders};
  for (int k = 0; k < 3; k++) {
    const char **l = pl_arena_alloc(a, (maps[k]->n + 1) * sizeof(char *));
    if (l == NULL)
      return PL_ENOMEM;
    for (size_t i = 0; i < maps[k]->n; i++)
      l[i] = maps[k]->v[i].id;
    *lists[k] = l;
    *counts[k] = maps[k]->n;
  }
  return 0;
}
