/*
 * state/warranty.c - devices and what covers them: the kinds
 * warranty_policy_published, device_registered and warranty_extended; the
 * parts in each device over time; usage readings; and the warranty status
 * the ledger computes itself, which claim decisions must agree with.
 *
 *   policy        policy_id -> Policy (immutable)
 *   device        device -> Device: its parts now, its extensions
 *   install       device, component, index -> DevicePart: every part that
 *                 went into the device, by the leaf that put it there
 *   part_at       part -> device, component: where a part is now (a part
 *                 sits in one device at a time)
 *   batch_device  batch, device, component -> BatchDevice: the batch's
 *                 parts in a device now (the recall question)
 *   reading       device, time, index -> usage reading (8 bytes)
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "caltime.h"
#include "error.h"
#include "state.h"

#define PL__WINDOW_DEFAULT_DAYS 30

int pl_policy_get(pl_txn *t, const char *policy_id, pl_arena *arena,
                  Partsledger__V1__Policy **out) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, policy_id);
  return pl_row_get(t, PL_T_POLICY, &k, &partsledger__v1__policy__descriptor, arena,
                    (ProtobufCMessage **)out);
}

int pl_device_get(pl_txn *t, const char *device_serial, pl_arena *arena,
                  Partsledger__V1__Device **out) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, device_serial);
  return pl_row_get(t, PL_T_DEVICE, &k, &partsledger__v1__device__descriptor, arena,
                    (ProtobufCMessage **)out);
}

int pl_device_put(pl_apply *a, const Partsledger__V1__Device *d) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, d->device_serial);
  return pl_row_put(a->txn, PL_T_DEVICE, &k, &d->base, a->arena);
}

static const Partsledger__V1__ComponentTerm *pl__term(const Partsledger__V1__Policy *p,
                                                      const char *component) {
  for (size_t i = 0; i < p->n_terms; i++)
    if (strcmp(p->terms[i]->component, component) == 0)
      return p->terms[i];
  return NULL;
}

/* Months of extension a component has (those naming it, and those for
 * every component). */
static uint64_t pl__extended(const Partsledger__V1__Device *d, const char *component) {
  uint64_t months = 0;
  for (size_t i = 0; i < d->n_extensions; i++)
    if (d->extensions[i]->component[0] == '\0' ||
        strcmp(d->extensions[i]->component, component) == 0)
      months += d->extensions[i]->months;
  return months;
}

/* --- parts in devices ------------------------------------------------------- */

typedef struct {
  pl_arena *arena;
  int64_t at;      /* the last install by this log time, or INT64_MAX */
  Partsledger__V1__DevicePart *part;
  int64_t replaced_after, replaced_until; /* a replacement in (after, until] */
  int replaced;
} pl__installs;

static int pl__install_row(void *ctx, pl_val key, pl_val val) {
  pl__installs *w = ctx;
  (void)key;
  Partsledger__V1__DevicePart *p =
      partsledger__v1__device_part__unpack(pl_arena_allocator(w->arena), val.len, val.data);
  if (p == NULL)
    return PL_ECORRUPT;
  if (p->installed_at_ms <= w->at)
    w->part = p;
  if (p->by_replacement && p->installed_at_ms > w->replaced_after &&
      p->installed_at_ms <= w->replaced_until)
    w->replaced = 1;
  return 0;
}

static int pl__installs_walk(pl_txn *t, const char *device, const char *component,
                             pl__installs *w) {
  pl_key_buf prefix;
  pl_kb_init(&prefix);
  pl_kb_str(pl_kb_str(&prefix, device), component);
  if (prefix.over)
    return PL_EVALSIZE;
  return pl_db_scan(t, PL_T_INSTALL, prefix.b, prefix.n, NULL, 0, pl__install_row, w);
}

int pl_install_current(pl_txn *t, const char *device_serial, const char *component,
                       pl_arena *arena, Partsledger__V1__DevicePart **out) {
  pl__installs w = {.arena = arena, .at = INT64_MAX, .replaced_after = INT64_MAX};
  int rc = pl__installs_walk(t, device_serial, component, &w);
  if (rc != 0)
    return rc;
  if (w.part == NULL)
    return PL_ENOTFOUND;
  *out = w.part;
  return 0;
}

int pl_install_check(pl_apply *a, const char *part_serial, const char *batch_id,
                     int recalled_ok, Partsledger__V1__Batch **batch) {
  int rc = pl_batch_get(a->txn, batch_id, a->arena, batch);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "batch %s is not registered", batch_id);
  if (rc != 0)
    return rc;
  if (!recalled_ok && (*batch)->recalled)
    return pl_fail(a->msg, PL_ESTATE, "batch %s is recalled", batch_id);
  pl_key_buf k;
  pl_val v;
  pl_kb_init(&k);
  pl_kb_str(&k, part_serial);
  rc = pl_kv_get(a->txn, PL_T_PART_AT, &k, &v);
  if (rc == 0)
    return pl_fail(a->msg, PL_ESTATE, "part %s is in device %.*s already", part_serial,
                   (int)strnlen(v.data, v.len), (const char *)v.data);
  if (rc != PL_ENOTFOUND)
    return rc;
  /* The counterfeit check at installation: a batch that listed its serials
   * made no part with another one. */
  if ((*batch)->serial_count > 0) {
    rc = pl_batch_has_serial(a->txn, batch_id, part_serial);
    if (rc == 0)
      return pl_fail(a->msg, PL_ESTATE, "batch %s lists no serial %s", batch_id,
                     part_serial);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int pl_install_put(pl_apply *a, const char *device_serial,
                   const Partsledger__V1__DevicePart *part, const char *removed_serial,
                   const char *removed_batch_id) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_u64(pl_kb_str(pl_kb_str(&k, device_serial), part->component), part->installed_index);
  int rc = pl_row_put(a->txn, PL_T_INSTALL, &k, &part->base, a->arena);

  /* Where the parts are now. */
  pl_key_buf at, bd;
  if (rc == 0 && removed_serial[0] != '\0') {
    pl_kb_init(&at);
    pl_kb_str(&at, removed_serial);
    pl_kb_init(&bd);
    pl_kb_str(pl_kb_str(pl_kb_str(&bd, removed_batch_id), device_serial), part->component);
    if ((rc = pl_kv_del(a->txn, PL_T_PART_AT, &at)) == 0)
      rc = pl_kv_del(a->txn, PL_T_BATCH_DEVICE, &bd);
    if (rc == PL_ENOTFOUND)
      rc = PL_ECORRUPT;
  }
  if (rc == 0) {
    pl_key_buf where;
    pl_kb_init(&where);
    pl_kb_str(pl_kb_str(&where, device_serial), part->component);
    pl_kb_init(&at);
    pl_kb_str(&at, part->part_serial);
    rc = where.over ? PL_EVALSIZE
                    : pl_kv_put(a->txn, PL_T_PART_AT, &at, where.b, where.n);
  }
  if (rc == 0) {
    Partsledger__V1__BatchDevice row = PARTSLEDGER__V1__BATCH_DEVICE__INIT;
    row.device_serial = (char *)device_serial;
    row.component = part->component;
    row.part_serial = part->part_serial;
    row.index = part->installed_index;
    pl_kb_init(&bd);
    pl_kb_str(pl_kb_str(pl_kb_str(&bd, part->batch_id), device_serial), part->component);
    rc = pl_row_put(a->txn, PL_T_BATCH_DEVICE, &bd, &row.base, a->arena);
  }

  /* A registered device's row lists its parts now. */
  Partsledger__V1__Device *d;
  if (rc == 0 && (rc = pl_device_get(a->txn, device_serial, a->arena, &d)) == 0) {
    size_t i = 0;
    while (i < d->n_parts && strcmp(d->parts[i]->component, part->component) != 0)
      i++;
    if (i == d->n_parts) {
      Partsledger__V1__DevicePart **parts =
          pl_arena_alloc(a->arena, (d->n_parts + 1) * sizeof(*parts));
      if (parts == NULL)
        return PL_ENOMEM;
      if (d->n_parts)
        memcpy(parts, d->parts, d->n_parts * sizeof(*parts));
      d->parts = parts;
      d->n_parts++;
    }
    d->parts[i] = (Partsledger__V1__DevicePart *)part;
    rc = pl_device_put(a, d);
  } else if (rc == PL_ENOTFOUND) {
    rc = 0; /* parts of a device nobody registered are tracked all the same */
  }
  return rc;
}

int pl_reading_put(pl_apply *a, const char *device_serial, int64_t at_ms,
                   uint64_t reading) {
  if (reading == 0)
    return 0; /* no reading was taken */
  pl_key_buf k;
  uint8_t v[8];
  pl_kb_init(&k);
  pl_kb_u64(pl_kb_u64(pl_kb_str(&k, device_serial), (uint64_t)at_ms), a->index);
  pl_be64_put(v, reading);
  return pl_kv_put(a->txn, PL_T_READING, &k, v, sizeof(v));
}

typedef struct {
  int64_t by;      /* readings taken by this time */
  uint64_t limit;
  int64_t reached; /* the earliest time one reached the limit, or INT64_MAX */
} pl__readings;

static int pl__reading_row(void *ctx, pl_val key, pl_val val) {
  pl__readings *r = ctx;
  if (val.len != 8 || key.len < 16)
    return PL_ECORRUPT;
  int64_t at = (int64_t)pl_be64_get((const uint8_t *)key.data + key.len - 16);
  if (at > r->by)
    return 1; /* in time order: the rest are later */
  if (pl_be64_get(val.data) >= r->limit && at < r->reached)
    r->reached = at;
  return 0;
}

/* --- the warranty status ----------------------------------------------------- */

static int pl__reason(pl_arena *arena, Partsledger__V1__GetWarrantyStatusResponse *r,
                      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int pl__reason(pl_arena *arena, Partsledger__V1__GetWarrantyStatusResponse *r,
                      const char *fmt, ...) {
  char buf[PL_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  char **v = pl_arena_alloc(arena, (r->n_reasons + 1) * sizeof(*v));
  char *s = pl_arena_dup(arena, buf, strlen(buf) + 1);
  if (v == NULL || s == NULL)
    return PL_ENOMEM;
  if (r->n_reasons)
    memcpy(v, r->reasons, r->n_reasons * sizeof(*v));
  v[r->n_reasons++] = s;
  r->reasons = v;
  return 0;
}

/* A rejection for human damage or an unauthorised modification, of a
 * failure by `at`, voids the component until it is replaced. */
typedef struct {
  pl_txn *t;
  pl_arena *arena;
  const char *device, *component;
  int64_t at;
  const char *void_claim; /* the claim that voids it, or NULL */
} pl__voids;

static int pl__void_row(void *ctx, pl_val key, pl_val val) {
  pl__voids *w = ctx;
  (void)val;
  const char *claim_id = (const char *)key.data;
  /* key: device NUL component NUL claim NUL */
  claim_id += strlen(claim_id) + 1;
  claim_id += strlen(claim_id) + 1;
  Partsledger__V1__Claim *c;
  int rc = pl_claim_get(w->t, claim_id, w->arena, &c);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  int excluded =
      c->decision == PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED &&
      (c->reason == PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_HUMAN_DAMAGE ||
       c->reason == PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_UNAUTHORIZED_MODIFICATION);
  /* A ruling that upholds the claim lifts the VOID its rejection caused. */
  if (!excluded || c->failure_at_ms > w->at ||
      c->ruling == PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD)
    return 0;
  pl__installs ins = {.arena = w->arena, .at = INT64_MAX,
                      .replaced_after = c->failure_at_ms, .replaced_until = w->at};
  if ((rc = pl__installs_walk(w->t, w->device, w->component, &ins)) != 0)
    return rc;
  if (!ins.replaced) {
    w->void_claim = c->claim_id;
    return 1;
  }
  return 0;
}

/*
 * The status of (device, component) at time t, from what the log holds now,
 * taking only what had happened by t: the part in place at t (installs by
 * their log time), readings taken by t and the query's own, rejections of
 * failures by t. In order: NOT_REGISTERED; LATE_REGISTRATION when the
 * registration was logged more than the policy's window after purchase;
 * VOID (see pl__void_row); else covered while t is before the device term's
 * end (purchase + the component's months + its extensions, cut short by the
 * first reading to reach the usage limit) or the part's own term (a part a
 * replacement installed: install time + its batch's warranty months).
 */
int pl_warranty_status(pl_txn *t, const char *device_serial, const char *component,
                       int64_t at, uint64_t reading, pl_arena *arena,
                       Partsledger__V1__GetWarrantyStatusResponse **out) {
  Partsledger__V1__GetWarrantyStatusResponse *r = pl_arena_alloc(arena, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  partsledger__v1__get_warranty_status_response__init(r);
  r->at_ms = at;
  *out = r;
  Partsledger__V1__Device *d;
  Partsledger__V1__Policy *p;
  int rc = pl_device_get(t, device_serial, arena, &d);
  if (rc == PL_ENOTFOUND) {
    r->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_REGISTERED;
    return pl__reason(arena, r, "device %s is not registered", device_serial);
  }
  if (rc != 0 || (rc = pl_policy_get(t, d->policy_id, arena, &p)) != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  r->policy_id = p->policy_id;

  /* The part in place at t. */
  pl__installs ins = {.arena = arena, .at = at, .replaced_after = INT64_MAX};
  if ((rc = pl__installs_walk(t, device_serial, component, &ins)) != 0)
    return rc;
  Partsledger__V1__Batch *batch = NULL;
  if (ins.part != NULL) {
    r->part_serial = ins.part->part_serial;
    r->batch_id = ins.part->batch_id;
    if ((rc = pl_batch_get(t, ins.part->batch_id, arena, &batch)) != 0)
      return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
    r->part_class = batch->part_class;
  }
  const Partsledger__V1__ComponentTerm *term = pl__term(p, component);
  if (term != NULL) {
    r->usage_limit = term->usage_limit;
    r->usage_unit = term->usage_unit;
  }

  /* The device's term: by time, and by usage, whichever ends first. */
  int device_covers = 0, usage_ended = 0;
  int64_t device_end = 0, time_end = 0;
  if (term != NULL) {
    time_end = pl_cal_add_months(d->purchased_at_ms,
                                 (int64_t)term->months + (int64_t)pl__extended(d, component));
    device_end = time_end;
    if (term->usage_limit > 0) {
      pl__readings rd = {.by = at, .limit = term->usage_limit, .reached = INT64_MAX};
      pl_key_buf rk;
      pl_kb_init(&rk);
      pl_kb_str(&rk, device_serial);
      if ((rc = pl_db_scan(t, PL_T_READING, rk.b, rk.n, NULL, 0, pl__reading_row, &rd)) != 0)
        return rc;
      if (reading >= term->usage_limit && at < rd.reached)
        rd.reached = at;
      if (rd.reached < device_end) {
        device_end = rd.reached;
        usage_ended = 1;
      }
    }
    device_covers = at < device_end;
    r->device_term_ends_at_ms = device_end;
  }
  /* The part's own term, for a part a replacement put in. */
  int part_applies = ins.part != NULL && ins.part->by_replacement && batch != NULL &&
                     batch->warranty_months > 0;
  int64_t part_end = 0;
  if (part_applies) {
    part_end = pl_cal_add_months(ins.part->installed_at_ms, batch->warranty_months);
    r->part_term_ends_at_ms = part_end;
  }
  int part_covers = part_applies && at < part_end;

  if (term != NULL && (!part_applies || device_end >= part_end)) {
    r->coverage_ends_at_ms = device_end;
    r->term_source = "device";
  } else if (part_applies) {
    r->coverage_ends_at_ms = part_end;
    r->term_source = "part";
  }
  int64_t window = (int64_t)(p->registration_window_days ? p->registration_window_days
                                                          : PL__WINDOW_DEFAULT_DAYS) *
                   PL_DAY_MS;
  if (d->registered_at_ms - d->purchased_at_ms > window) {
    r->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_LATE_REGISTRATION;
    return pl__reason(arena, r,
                      "registered %lld days after purchase; the window is %lld days",
                      (long long)((d->registered_at_ms - d->purchased_at_ms) / PL_DAY_MS),
                      (long long)(window / PL_DAY_MS));
  }

  pl__voids v = {t, arena, device_serial, component, at, NULL};
  pl_key_buf prefix;
  pl_kb_init(&prefix);
  pl_kb_str(pl_kb_str(&prefix, device_serial), component);
  if ((rc = pl_db_scan(t, PL_T_CLAIM_PART, prefix.b, prefix.n, NULL, 0, pl__void_row, &v)) !=
      0)
    return rc;
  if (v.void_claim != NULL) {
    r->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_VOID;
    return pl__reason(arena, r,
                      "claim %s was rejected for human damage or an unauthorised "
                      "modification, and the component was not replaced since",
                      v.void_claim);
  }

  if (device_covers || part_covers) {
    r->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_ACTIVE;
    return pl__reason(arena, r, "covered by the %s term until %lld", r->term_source,
                      (long long)r->coverage_ends_at_ms);
  }
  if (term == NULL && !part_applies) {
    r->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_COVERED;
    return pl__reason(arena, r, "policy %s has no term for component %s, and the part "
                      "has no term of its own", p->policy_id, component);
  }
  if (usage_ended && at < time_end) {
    r->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_USAGE_EXCEEDED;
    return pl__reason(arena, r, "a reading reached the usage limit of %llu %s",
                      (unsigned long long)term->usage_limit, term->usage_unit);
  }
  r->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_EXPIRED;
  return pl__reason(arena, r, "coverage ended at %lld", (long long)r->coverage_ends_at_ms);
}

/* --- warranty_policy_published ----------------------------------------------- */

int pl_warranty_policy_published_check(pl_apply *a,
                                       const Partsledger__V1__WarrantyPolicyPublished *b) {
  Partsledger__V1__Policy *old;
  int rc = pl_policy_get(a->txn, b->policy_id, a->arena, &old);
  if (rc == 0)
    return pl_fail(a->msg, PL_EEXIST,
                   "policy %s is already published; a new version is a new policy_id",
                   b->policy_id);
  return rc == PL_ENOTFOUND ? 0 : rc;
}

int pl_warranty_policy_published_write(pl_apply *a,
                                       const Partsledger__V1__WarrantyPolicyPublished *b) {
  Partsledger__V1__Policy p = PARTSLEDGER__V1__POLICY__INIT;
  p.policy_id = b->policy_id;
  p.model = b->model;
  p.registration_window_days =
      b->registration_window_days ? b->registration_window_days : PL__WINDOW_DEFAULT_DAYS;
  p.n_terms = b->n_terms;
  p.terms = b->terms;
  p.max_extension_months = b->max_extension_months;
  p.published_index = a->index;
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, b->policy_id);
  return pl_row_put(a->txn, PL_T_POLICY, &k, &p.base, a->arena);
}

/* --- device_registered ------------------------------------------------------- */

int pl_device_registered_check(pl_apply *a, const Partsledger__V1__DeviceRegistered *b) {
  Partsledger__V1__Device *old;
  Partsledger__V1__Policy *p;
  int rc = pl_device_get(a->txn, b->device_serial, a->arena, &old);
  if (rc == 0)
    return pl_fail(a->msg, PL_EEXIST, "device %s is already registered", b->device_serial);
  if (rc != PL_ENOTFOUND)
    return rc;
  if (b->purchased_at_ms > a->at_ms)
    return pl_fail(a->msg, PL_EINVAL,
                   "device_registered: purchased_at_ms (%lld) is after the log time (%lld)",
                   (long long)b->purchased_at_ms, (long long)a->at_ms);
  rc = pl_policy_get(a->txn, b->policy_id, a->arena, &p);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "policy %s is not published", b->policy_id);
  if (rc != 0)
    return rc;
  if (strcmp(p->model, b->model) != 0)
    return pl_fail(a->msg, PL_ESTATE, "policy %s covers model %s, not %s", b->policy_id,
                   p->model, b->model);
  for (size_t i = 0; i < b->n_parts; i++) {
    Partsledger__V1__Batch *batch;
    /* Parts made before a recall may be in devices sold since. */
    if ((rc = pl_install_check(a, b->parts[i]->part_serial, b->parts[i]->batch_id, 1,
                               &batch)) != 0)
      return rc;
  }
  return 0;
}

int pl_device_registered_write(pl_apply *a, const Partsledger__V1__DeviceRegistered *b) {
  Partsledger__V1__Device d = PARTSLEDGER__V1__DEVICE__INIT;
  d.device_serial = b->device_serial;
  d.model = b->model;
  d.policy_id = b->policy_id;
  d.purchased_at_ms = b->purchased_at_ms;
  d.owner_ref = b->owner_ref;
  d.registered_index = a->index;
  d.registered_at_ms = a->at_ms;
  int rc = pl_device_put(a, &d);
  if (rc == 0)
    rc = pl_device_fact(a, b->device_serial, "device_registered", "", "", "");
  for (size_t i = 0; rc == 0 && i < b->n_parts; i++) {
    const Partsledger__V1__InstalledPart *ip = b->parts[i];
    Partsledger__V1__DevicePart *part = pl_arena_alloc(a->arena, sizeof(*part));
    Partsledger__V1__Batch *batch;
    if (part == NULL)
      return PL_ENOMEM;
    partsledger__v1__device_part__init(part);
    part->component = ip->component;
    part->part_serial = ip->part_serial;
    part->batch_id = ip->batch_id;
    part->installed_index = a->index;
    part->installed_at_ms = a->at_ms;
    if ((rc = pl_batch_get(a->txn, ip->batch_id, a->arena, &batch)) != 0)
      return rc;
    rc = pl_install_put(a, b->device_serial, part, "", "");
    if (rc == 0)
      rc = pl_part_fact_installed(a, ip->part_serial, batch, "device_registered",
                                  b->device_serial, ip->component);
    /* One fact per batch on its trace, however many of its parts. */
    int first = 1;
    for (size_t j = 0; j < i && first; j++)
      first = strcmp(b->parts[j]->batch_id, ip->batch_id) != 0;
    if (rc == 0 && first) {
      int64_t n = 0;
      for (size_t j = i; j < b->n_parts; j++)
        n += strcmp(b->parts[j]->batch_id, ip->batch_id) == 0;
      rc = pl_trace_fact(a, ip->batch_id, "device_registered", "", "", n);
    }
  }
  return rc;
}

/* --- warranty_extended --------------------------------------------------------- */

typedef struct {
  Partsledger__V1__Device *d;
  Partsledger__V1__Policy *p;
} pl__ext;

int pl_warranty_extended_check(pl_apply *a, const Partsledger__V1__WarrantyExtended *b) {
  pl__ext *x = pl_arena_alloc(a->arena, sizeof(*x));
  if (x == NULL)
    return PL_ENOMEM;
  int rc = pl_device_get(a->txn, b->device_serial, a->arena, &x->d);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "device %s is not registered", b->device_serial);
  if (rc != 0 || (rc = pl_policy_get(a->txn, x->d->policy_id, a->arena, &x->p)) != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  if (b->component[0] != '\0' && pl__term(x->p, b->component) == NULL)
    return pl_fail(a->msg, PL_ESTATE, "policy %s has no term for component %s",
                   x->p->policy_id, b->component);
  if (x->p->n_terms == 0)
    return pl_fail(a->msg, PL_ESTATE, "policy %s has no terms to extend", x->p->policy_id);
  for (size_t i = 0; i < x->p->n_terms; i++) {
    const Partsledger__V1__ComponentTerm *term = x->p->terms[i];
    if (b->component[0] != '\0' && strcmp(term->component, b->component) != 0)
      continue;
    uint64_t have = pl__extended(x->d, term->component);
    if (have + b->months > x->p->max_extension_months)
      return pl_fail(a->msg, PL_ESTATE,
                     "component %s is extended by %llu months; %u more would pass the "
                     "policy's cap of %u",
                     term->component, (unsigned long long)have, b->months,
                     x->p->max_extension_months);
    /* An extension extends a term that still runs. */
    Partsledger__V1__GetWarrantyStatusResponse *st;
    if ((rc = pl_warranty_status(a->txn, b->device_serial, term->component, a->at_ms, 0,
                                 a->arena, &st)) != 0)
      return rc;
    if (st->device_term_ends_at_ms <= a->at_ms)
      return pl_fail(a->msg, PL_ESTATE,
                     "the device term of component %s ended at %lld, before this "
                     "extension", term->component, (long long)st->device_term_ends_at_ms);
  }
  a->scratch = x;
  return 0;
}

int pl_warranty_extended_write(pl_apply *a, const Partsledger__V1__WarrantyExtended *b) {
  pl__ext *x = a->scratch;
  Partsledger__V1__Device *d = x->d;
  Partsledger__V1__Extension **v =
      pl_arena_alloc(a->arena, (d->n_extensions + 1) * sizeof(*v));
  Partsledger__V1__Extension *e = pl_arena_alloc(a->arena, sizeof(*e));
  if (v == NULL || e == NULL)
    return PL_ENOMEM;
  partsledger__v1__extension__init(e);
  e->component = b->component;
  e->months = b->months;
  e->contract_ref = b->contract_ref;
  e->index = a->index;
  if (d->n_extensions)
    memcpy(v, d->extensions, d->n_extensions * sizeof(*v));
  v[d->n_extensions++] = e;
  d->extensions = v;
  int rc = pl_device_put(a, d);
  if (rc == 0)
    rc = pl_device_fact(a, b->device_serial, "warranty_extended", "", "", b->component);
  return rc;
}
