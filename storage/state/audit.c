/*
 * state/audit.c - the leaves linked to a claim, which an audit bundle
 * carries: the claim, its decision, dispute, ruling and panel; the device's
 * registration, policy and extensions, and every leaf of its history (its
 * orders with their responses, replacements and closing, every claim and
 * decision on it); the disputes and rulings of those claims; the sites of
 * its orders; the reservations its replacements name and their fulfilments;
 * the batches and suppliers of every part that was in it. Then, until
 * nothing new comes, the defining entry of every id a linked leaf refers to
 * (pl__refs), and the enrollment (and any revocation) of every author and
 * co-signer and of every member of a panel, which brings in the admins who
 * enrolled them, back to the genesis leaf. An offline verifier checks
 * exactly this closure.
 *
 * The set is a plain array, searched on every add: a bundle holds tens to
 * hundreds of leaves, where a linear scan costs less than keeping a hash.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "query.h"
#include "spec/field.h"
#include "state.h"

typedef struct {
  pl_txn *t;
  pl_arena *a;
  uint64_t size;    /* leaves of the snapshot */
  uint64_t *v;      /* the set, unsorted, no repeats */
  size_t n, cap;
  size_t done;      /* v[0..done) have had their references followed */
} pl__linked;

static int pl__add(pl__linked *s, uint64_t index) {
  if (index >= s->size)
    return PL_ECORRUPT;
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i] == index)
      return 0;
  uint64_t *slot = pl_arena_push(s->a, &s->v, &s->n, &s->cap, sizeof(*slot));
  if (slot == NULL)
    return PL_ENOMEM;
  *slot = index;
  return 0;
}

static int pl__add_nonzero(pl__linked *s, uint64_t index) {
  return index != 0 ? pl__add(s, index) : 0;
}

/* The leaves that define ids; an id with no row defines nothing (a device
 * nobody registered). */
static int pl__site(pl__linked *s, const char *id) {
  Partsledger__V1__Site *r;
  int rc = pl_site_get(s->t, id, s->a, &r);
  return rc == 0 ? pl__add(s, r->registered_index) : rc == PL_ENOTFOUND ? 0 : rc;
}

static int pl__supplier(pl__linked *s, const char *id) {
  Partsledger__V1__Supplier *r;
  int rc = pl_supplier_get(s->t, id, s->a, &r);
  return rc == 0 ? pl__add(s, r->registered_index) : rc == PL_ENOTFOUND ? 0 : rc;
}

static int pl__batch(pl__linked *s, const char *id) {
  Partsledger__V1__Batch *r;
  int rc = pl_batch_get(s->t, id, s->a, &r);
  if (rc == 0)
    rc = pl__add(s, r->registered_index);
  if (rc == 0)
    rc = pl__supplier(s, r->supplier_id);
  return rc == PL_ENOTFOUND ? 0 : rc;
}

static int pl__policy(pl__linked *s, const char *id) {
  Partsledger__V1__Policy *r;
  int rc = pl_policy_get(s->t, id, s->a, &r);
  return rc == 0 ? pl__add(s, r->published_index) : rc == PL_ENOTFOUND ? 0 : rc;
}

static int pl__device(pl__linked *s, const char *id) {
  Partsledger__V1__Device *r;
  int rc = pl_device_get(s->t, id, s->a, &r);
  if (rc == PL_ENOTFOUND)
    return 0;
  if (rc == 0)
    rc = pl__add(s, r->registered_index);
  if (rc == 0)
    rc = pl__policy(s, r->policy_id);
  for (size_t i = 0; rc == 0 && i < r->n_extensions; i++)
    rc = pl__add(s, r->extensions[i]->index);
  return rc;
}

static int pl__order(pl__linked *s, const char *id) {
  Partsledger__V1__RepairOrder *r;
  int rc = pl_order_get(s->t, id, s->a, &r);
  if (rc == PL_ENOTFOUND)
    return 0;
  if (rc == 0)
    rc = pl__add(s, r->opened_index);
  if (rc == 0)
    rc = pl__site(s, r->site_id);
  return rc;
}

static int pl__reservation(pl__linked *s, const char *id) {
  Partsledger__V1__Reservation *r;
  int rc = pl_reservation_get(s->t, id, s->a, &r);
  if (rc == PL_ENOTFOUND)
    return 0;
  /* Its fulfilment goes with it: a replacement that names it rests on it. */
  if (rc == 0)
    rc = pl__add(s, r->reserved_index);
  if (rc == 0 && r->state == PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_FULFILLED)
    rc = pl__add_nonzero(s, r->closed_index);
  return rc;
}

static int pl__panel(pl__linked *s, const char *id) {
  Partsledger__V1__Panel *r;
  int rc = pl_panel_get(s->t, id, s->a, &r);
  return rc == 0 ? pl__add(s, r->constituted_index) : rc == PL_ENOTFOUND ? 0 : rc;
}

/* A claim, and all that decided it. */
static int pl__claim(pl__linked *s, const char *id) {
  Partsledger__V1__Claim *c;
  int rc = pl_claim_get(s->t, id, s->a, &c);
  if (rc == PL_ENOTFOUND)
    return 0;
  if (rc == 0)
    rc = pl__add(s, c->filed_index);
  if (rc == 0)
    rc = pl__add_nonzero(s, c->decided_index);
  if (rc == 0)
    rc = pl__add_nonzero(s, c->dispute_index);
  if (rc == 0)
    rc = pl__add_nonzero(s, c->ruling_index);
  if (rc == 0 && c->panel_id[0] != '\0')
    rc = pl__panel(s, c->panel_id);
  return rc;
}

/* An actor's enrollment, and its revocation if there is one. */
static int pl__actor(pl__linked *s, const uint8_t *key) {
  pl_actor m;
  int rc = pl_actor_get(s->t, key, &m);
  if (rc == PL_ENOTFOUND)
    return 0; /* the log key, which signed the genesis leaf */
  if (rc == 0)
    rc = pl__add(s, m.enrolled_index);
  if (rc == 0 && m.revoked)
    rc = pl__add(s, m.revoked_index);
  return rc;
}

/* Follows the references of one linked leaf. */
static int pl__refs(pl__linked *s, uint64_t index) {
  uint8_t k[8];
  pl_val v;
  pl_be64_put(k, index);
  int rc = pl_db_get(s->t, PL_T_LEAF, k, sizeof(k), &v);
  if (rc != 0)
    return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
  ProtobufCAllocator *alloc = pl_arena_allocator(s->a);
  Partsledger__V1__Leaf *leaf = partsledger__v1__leaf__unpack(alloc, v.len, v.data);
  if (leaf == NULL || leaf->signed_entry == NULL)
    return PL_ECORRUPT;
  const Partsledger__V1__SignedEntry *se = leaf->signed_entry;
  if ((rc = pl__actor(s, se->signer.data)) != 0)
    return rc;
  for (size_t i = 0; i < se->n_cosignatures; i++)
    if ((rc = pl__actor(s, se->cosignatures[i]->signer.data)) != 0)
      return rc;
  Partsledger__V1__Entry *e =
      partsledger__v1__entry__unpack(alloc, se->entry.len, se->entry.data);
  if (e == NULL)
    return PL_ECORRUPT;
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED:
    return pl__actor(s, e->actor_revoked->public_key.data);
  case PARTSLEDGER__V1__ENTRY__BODY_PANEL_CONSTITUTED:
    /* Every member, signing or not: a panel shows it was made of enrolled
     * arbiters, and whom a ruling's quorum was counted among. */
    for (size_t i = 0; rc == 0 && i < e->panel_constituted->n_members; i++)
      rc = pl__actor(s, e->panel_constituted->members[i].data);
    return rc;
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED:
    return pl__supplier(s, e->batch_registered->supplier_id);
  case PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED:
    rc = pl__site(s, e->part_reserved->site_id);
    if (rc == 0 && e->part_reserved->batch_id[0] != '\0')
      rc = pl__batch(s, e->part_reserved->batch_id);
    if (rc == 0 && e->part_reserved->repair_order_id[0] != '\0')
      rc = pl__order(s, e->part_reserved->repair_order_id);
    return rc;
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_RELEASED:
    return pl__reservation(s, e->reservation_released->reservation_id);
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED:
    rc = pl__reservation(s, e->reservation_fulfilled->reservation_id);
    return rc == 0 ? pl__batch(s, e->reservation_fulfilled->batch_id) : rc;
  case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED:
    rc = pl__policy(s, e->device_registered->policy_id);
    for (size_t i = 0; rc == 0 && i < e->device_registered->n_parts; i++)
      rc = pl__batch(s, e->device_registered->parts[i]->batch_id);
    return rc;
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED:
    return pl__device(s, e->warranty_extended->device_serial);
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED:
    rc = pl__site(s, e->repair_order_opened->site_id);
    return rc == 0 ? pl__device(s, e->repair_order_opened->device_serial) : rc;
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED:
    return pl__order(s, e->repair_order_responded->order_id);
  case PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED:
    rc = pl__order(s, e->part_replaced->order_id);
    if (rc == 0)
      rc = pl__batch(s, e->part_replaced->installed_batch_id);
    if (rc == 0 && e->part_replaced->reservation_id[0] != '\0')
      rc = pl__reservation(s, e->part_replaced->reservation_id);
    return rc;
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED:
    return pl__order(s, e->repair_order_closed->order_id);
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED:
    rc = pl__order(s, e->claim_filed->order_id);
    return rc == 0 ? pl__device(s, e->claim_filed->device_serial) : rc;
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED:
    return pl__claim(s, e->claim_decided->claim_id);
  case PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED:
    rc = pl__claim(s, e->dispute_opened->claim_id);
    return rc == 0 ? pl__panel(s, e->dispute_opened->panel_id) : rc;
  case PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED:
    return pl__claim(s, e->arbitration_ruled->claim_id);
  default:
    return 0;
  }
}

/* Every leaf of a device's history, and what its installs involved. */
static int pl__device_fact(void *ctx, pl_val key, pl_val val) {
  pl__linked *s = ctx;
  (void)key;
  Partsledger__V1__Fact *f =
      partsledger__v1__fact__unpack(pl_arena_allocator(s->a), val.len, val.data);
  return f != NULL ? pl__add(s, f->index) : PL_ECORRUPT;
}

static int pl__device_install(void *ctx, pl_val key, pl_val val) {
  pl__linked *s = ctx;
  (void)key;
  Partsledger__V1__DevicePart *p =
      partsledger__v1__device_part__unpack(pl_arena_allocator(s->a), val.len, val.data);
  return p != NULL ? pl__batch(s, p->batch_id) : PL_ECORRUPT;
}

static int pl__device_claim(void *ctx, pl_val key, pl_val val) {
  pl__linked *s = ctx;
  (void)val;
  const char *claim_id = key.data;
  claim_id += strlen(claim_id) + 1; /* device */
  claim_id += strlen(claim_id) + 1; /* component */
  return pl__claim(s, claim_id);
}

static int pl__u64_cmp(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

int pl_query_audit_leaves(pl_txn *t, const char *claim_id, uint64_t size, pl_arena *a,
                          uint64_t **out, size_t *n, char *msg) {
  Partsledger__V1__Claim *c;
  int rc = pl_field_id("request", "claim_id", claim_id, 0, msg);
  if (rc != 0)
    return rc;
  if ((rc = pl_claim_get(t, claim_id, a, &c)) == PL_ENOTFOUND)
    return pl_fail(msg, rc, "claim %s does not exist", claim_id);
  if (rc != 0)
    return rc;
  pl__linked s = {.t = t, .a = a, .size = size};
  if ((rc = pl__claim(&s, claim_id)) != 0 || (rc = pl__device(&s, c->device_serial)) != 0 ||
      (rc = pl__order(&s, c->order_id)) != 0)
    return rc;
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, c->device_serial);
  if (k.over)
    return PL_EVALSIZE;
  if ((rc = pl_db_scan(t, PL_T_DEVICE_FACT, k.b, k.n, NULL, 0, pl__device_fact, &s)) != 0 ||
      (rc = pl_db_scan(t, PL_T_INSTALL, k.b, k.n, NULL, 0, pl__device_install, &s)) != 0 ||
      (rc = pl_db_scan(t, PL_T_CLAIM_COMPONENT, k.b, k.n, NULL, 0, pl__device_claim,
                       &s)) != 0)
    return rc;
  /* The closure: each new leaf may bring more. */
  while (s.done < s.n)
    if ((rc = pl__refs(&s, s.v[s.done++])) != 0)
      return rc;
  qsort(s.v, s.n, sizeof(*s.v), pl__u64_cmp);
  *out = s.v;
  *n = s.n;
  return 0;
}
