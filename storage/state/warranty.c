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
#include "rules.h"
#include "state.h"

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
  Partsledger__V1__DevicePart *part; /* the last install */
} pl__installs;

static int pl__install_row(void *ctx, pl_val key, pl_val val) {
  pl__installs *w = ctx;
  (void)key;
  Partsledger__V1__DevicePart *p =
      partsledger__v1__device_part__unpack(pl_arena_allocator(w->arena), val.len, val.data);
  if (p == NULL)
    return PL_ECORRUPT;
  w->part = p;
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
  pl__installs w = {.arena = arena, .part = NULL};
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

/* --- the warranty status ----------------------------------------------------- */

/* Facts are gathered here from the tables and judged by rules.c, the same
 * judgment an offline verifier makes from an audit bundle's entries. */

typedef struct {
  pl_txn *t;
  pl_arena *arena;
  pl_rule_install *v;
  size_t n, cap;
} pl__install_list;

static int pl__install_fact(void *ctx, pl_val key, pl_val val) {
  pl__install_list *w = ctx;
  (void)key;
  Partsledger__V1__DevicePart *p =
      partsledger__v1__device_part__unpack(pl_arena_allocator(w->arena), val.len, val.data);
  Partsledger__V1__Batch *batch;
  if (p == NULL)
    return PL_ECORRUPT;
  int rc = pl_batch_get(w->t, p->batch_id, w->arena, &batch);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  pl_rule_install *slot = pl_arena_push(w->arena, &w->v, &w->n, &w->cap, sizeof(*slot));
  if (slot == NULL)
    return PL_ENOMEM;
  *slot = (pl_rule_install){.at = p->installed_at_ms,
                                   .part_serial = p->part_serial,
                                   .batch_id = p->batch_id,
                                   .part_class = batch->part_class,
                                   .by_replacement = p->by_replacement,
                                   .warranty_months = batch->warranty_months};
  return 0;
}

typedef struct {
  pl_arena *arena;
  pl_rule_reading *v;
  size_t n, cap;
} pl__reading_list;

static int pl__reading_fact(void *ctx, pl_val key, pl_val val) {
  pl__reading_list *w = ctx;
  if (val.len != 8 || key.len < 16)
    return PL_ECORRUPT;
  pl_rule_reading *slot = pl_arena_push(w->arena, &w->v, &w->n, &w->cap, sizeof(*slot));
  if (slot == NULL)
    return PL_ENOMEM;
  slot->at = (int64_t)pl_be64_get((const uint8_t *)key.data + key.len - 16);
  slot->reading = pl_be64_get(val.data);
  return 0;
}

typedef struct {
  pl_txn *t;
  pl_arena *arena;
  pl_rule_exclusion *v;
  size_t n, cap;
} pl__exclusion_list;

/* A rejection for human damage or an unauthorised modification that no
 * ruling upheld the claim against. */
static int pl__exclusion_fact(void *ctx, pl_val key, pl_val val) {
  pl__exclusion_list *w = ctx;
  (void)val;
  const char *claim_id = (const char *)key.data;
  /* key: device NUL component NUL claim NUL */
  claim_id += strlen(claim_id) + 1;
  claim_id += strlen(claim_id) + 1;
  Partsledger__V1__Claim *c;
  int rc = pl_claim_get(w->t, claim_id, w->arena, &c);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  if (c->decision != PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED ||
      (c->reason != PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_HUMAN_DAMAGE &&
       c->reason !=
           PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_UNAUTHORIZED_MODIFICATION) ||
      c->ruling == PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD)
    return 0;
  pl_rule_exclusion *slot = pl_arena_push(w->arena, &w->v, &w->n, &w->cap, sizeof(*slot));
  if (slot == NULL)
    return PL_ENOMEM;
  slot->claim_id = c->claim_id;
  slot->failure_at = c->failure_at_ms;
  return 0;
}

int pl_warranty_status(pl_txn *t, const char *device_serial, const char *component,
                       int64_t at, uint64_t reading, pl_arena *arena,
                       Partsledger__V1__GetWarrantyStatusResponse **out) {
  Partsledger__V1__GetWarrantyStatusResponse *r = pl_arena_alloc(arena, sizeof(*r));
  pl_rule_verdict *v = pl_arena_alloc(arena, sizeof(*v));
  if (r == NULL || v == NULL)
    return PL_ENOMEM;
  partsledger__v1__get_warranty_status_response__init(r);
  r->at_ms = at;
  *out = r;
  pl_rule_facts f = {.device_serial = device_serial, .component = component};
  Partsledger__V1__Device *d;
  Partsledger__V1__Policy *p;
  int rc = pl_device_get(t, device_serial, arena, &d);
  if (rc != 0 && rc != PL_ENOTFOUND)
    return rc;
  if (rc == 0) {
    if ((rc = pl_policy_get(t, d->policy_id, arena, &p)) != 0)
      return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
    const Partsledger__V1__ComponentTerm *term = pl__term(p, component);
    f.registered = 1;
    f.policy_id = p->policy_id;
    f.purchased_at = d->purchased_at_ms;
    f.registered_at = d->registered_at_ms;
    f.window_days = p->registration_window_days;
    f.has_term = term != NULL;
    f.months = term ? term->months : 0;
    f.usage_limit = term ? term->usage_limit : 0;
    f.usage_unit = term ? term->usage_unit : "";
    f.extended_months = pl__extended(d, component);
    r->policy_id = p->policy_id;
    r->usage_limit = f.usage_limit;
    r->usage_unit = (char *)f.usage_unit;
  }
  /* Installs, readings and rejections are gathered for any device: a
   * device nobody registered still has the parts its repairs put in. */
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(pl_kb_str(&k, device_serial), component);
  pl__install_list ins = {.t = t, .arena = arena};
  pl__exclusion_list exc = {.t = t, .arena = arena};
  if (k.over)
    return PL_EVALSIZE;
  if ((rc = pl_db_scan(t, PL_T_INSTALL, k.b, k.n, NULL, 0, pl__install_fact, &ins)) != 0 ||
      (rc = pl_db_scan(t, PL_T_CLAIM_COMPONENT, k.b, k.n, NULL, 0, pl__exclusion_fact,
                       &exc)) != 0)
    return rc;
  pl_kb_init(&k);
  pl_kb_str(&k, device_serial);
  pl__reading_list rd = {.arena = arena};
  if ((rc = pl_db_scan(t, PL_T_READING, k.b, k.n, NULL, 0, pl__reading_fact, &rd)) != 0)
    return rc;
  f.installs = ins.v;
  f.n_installs = ins.n;
  f.exclusions = exc.v;
  f.n_exclusions = exc.n;
  f.readings = rd.v;
  f.n_readings = rd.n;
  pl_rule_judge(&f, at, reading, v);
  r->status = v->status;
  r->coverage_ends_at_ms = v->coverage_ends_at;
  r->device_term_ends_at_ms = v->device_ends_at;
  r->part_term_ends_at_ms = v->part_ends_at;
  r->term_source = (char *)v->term_source;
  if (v->part != NULL) {
    r->part_serial = (char *)v->part->part_serial;
    r->batch_id = (char *)v->part->batch_id;
    r->part_class = v->part->part_class;
  }
  char **reasons = pl_arena_alloc(arena, sizeof(*reasons));
  if (reasons == NULL)
    return PL_ENOMEM;
  reasons[0] = v->reason;
  r->reasons = reasons;
  r->n_reasons = 1;
  return 0;
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
      b->registration_window_days ? b->registration_window_days : PL_WINDOW_DEFAULT_DAYS;
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
    const Partsledger__V1__InstalledPart *ip = b->parts[i];
    Partsledger__V1__Batch *batch;
    Partsledger__V1__DevicePart *now;
    /* Orders may name a device before anyone registers it, and their
     * replacements put parts in it: a registration must agree with them. */
    rc = pl_install_current(a->txn, b->device_serial, ip->component, a->arena, &now);
    if (rc == 0 && strcmp(now->part_serial, ip->part_serial) != 0)
      return pl_fail(a->msg, PL_ESTATE,
                     "device %s holds part %s for component %s since index %llu, not %s",
                     b->device_serial, now->part_serial, ip->component,
                     (unsigned long long)now->installed_index, ip->part_serial);
    if (rc == 0)
      continue; /* already in place, put there by a repair */
    if (rc != PL_ENOTFOUND)
      return rc;
    /* Parts made before a recall may be in devices sold since. */
    if ((rc = pl_install_check(a, ip->part_serial, ip->batch_id, 1, &batch)) != 0)
      return rc;
  }
  return 0;
}

typedef struct {
  pl_arena *arena;
  Partsledger__V1__DevicePart **v; /* the last install of each component */
  size_t n, cap;
} pl__current;

static int pl__current_row(void *ctx, pl_val key, pl_val val) {
  pl__current *w = ctx;
  (void)key;
  Partsledger__V1__DevicePart *p =
      partsledger__v1__device_part__unpack(pl_arena_allocator(w->arena), val.len, val.data);
  if (p == NULL)
    return PL_ECORRUPT;
  /* Rows come by component, then index: a later one of the same component
   * replaces the one before. */
  if (w->n > 0 && strcmp(w->v[w->n - 1]->component, p->component) == 0) {
    w->v[w->n - 1] = p;
    return 0;
  }
  Partsledger__V1__DevicePart **slot =
      pl_arena_push(w->arena, &w->v, &w->n, &w->cap, sizeof(*slot));
  if (slot == NULL)
    return PL_ENOMEM;
  *slot = p;
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
  /* What repairs put in before the registration stays in its parts. */
  pl_key_buf k;
  pl__current now = {.arena = a->arena};
  pl_kb_init(&k);
  pl_kb_str(&k, b->device_serial);
  int rc = k.over ? PL_EVALSIZE
                  : pl_db_scan(a->txn, PL_T_INSTALL, k.b, k.n, NULL, 0, pl__current_row, &now);
  if (rc != 0)
    return rc;
  d.parts = now.v;
  d.n_parts = now.n;
  rc = pl_device_put(a, &d);
  if (rc == 0)
    rc = pl_device_fact(a, b->device_serial, "device_registered", "", "", "");
  for (size_t i = 0; rc == 0 && i < b->n_parts; i++) {
    const Partsledger__V1__InstalledPart *ip = b->parts[i];
    int placed = 0;
    for (size_t j = 0; j < now.n && !placed; j++)
      placed = strcmp(now.v[j]->component, ip->component) == 0;
    if (placed)
      continue; /* the check found the same part there already */
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
