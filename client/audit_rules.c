/*
 * audit_rules.c - the half of the bundle verifier that reads what the
 * entries say, from the bundled entries alone: who signed with what
 * authority, whether every id an entry names is defined in the bundle, a
 * ruling's quorum, and the warranty status at a claim's failure with
 * whether its decision agrees. Each mirrors the server's rule: kinds.h for
 * roles, storage/state/audit.c for references, storage/state/dispute.c for
 * the quorum, rules.h for the warranty judgment. Shares audit_private.h
 * with audit.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_private.h"
#include "entry.h"
#include "error.h"
#include "keys.h"
#include "kinds.h"
#include "rules.h"

/* ---- what entries say: lookups ---- */

/* The id an entry defines, for the kinds that define one. */
static const char *pl__defined_id(const Partsledger__V1__Entry *e) {
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_SITE_REGISTERED:
    return e->site_registered->site_id;
  case PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED:
    return e->supplier_registered->supplier_id;
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED:
    return e->batch_registered->batch_id;
  case PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED:
    return e->part_reserved->reservation_id;
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_POLICY_PUBLISHED:
    return e->warranty_policy_published->policy_id;
  case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED:
    return e->device_registered->device_serial;
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED:
    return e->repair_order_opened->order_id;
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED:
    return e->claim_filed->claim_id;
  case PARTSLEDGER__V1__ENTRY__BODY_PANEL_CONSTITUTED:
    return e->panel_constituted->panel_id;
  /* What acts on one: the reservation or claim it is about. */
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED:
    return e->reservation_fulfilled->reservation_id;
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED:
    return e->claim_decided->claim_id;
  case PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED:
    return e->dispute_opened->claim_id;
  case PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED:
    return e->arbitration_ruled->claim_id;
  default:
    return NULL;
  }
}

/* The earliest bundled entry of `body` whose id (pl__defined_id) is `id`,
 * logged before index `before`; NULL when none. `count`, when not NULL,
 * gets how many there are before `before`. */
static const pl_audit_entry *pl__find(const pl__audit_ctx *x, int body, const char *id,
                                      uint64_t before, size_t *count) {
  const pl_audit_entry *best = NULL;
  size_t n = 0;
  for (size_t i = 0; i < x->r->n_entries; i++) {
    const pl_audit_entry *e = &x->r->entries[i];
    if (e->entry == NULL || (int)e->entry->body_case != body || e->index >= before)
      continue;
    const char *d = pl__defined_id(e->entry);
    if (d == NULL || strcmp(d, id) != 0)
      continue;
    n++;
    if (best == NULL || e->index < best->index)
      best = e;
  }
  if (count != NULL)
    *count = n;
  return best;
}

/* The bundled actor_enrolled (or actor_revoked) of `key` before `before`. */
static const pl_audit_entry *pl__actor(const pl__audit_ctx *x, int body, const uint8_t *key,
                                       uint64_t before) {
  const pl_audit_entry *best = NULL;
  for (size_t i = 0; i < x->r->n_entries; i++) {
    const pl_audit_entry *e = &x->r->entries[i];
    if (e->entry == NULL || (int)e->entry->body_case != body || e->index >= before)
      continue;
    const ProtobufCBinaryData *pk =
        body == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED
            ? &e->entry->actor_enrolled->public_key
            : &e->entry->actor_revoked->public_key;
    if (pk->len == PL_PUBLIC_KEY_BYTES && memcmp(pk->data, key, PL_PUBLIC_KEY_BYTES) == 0 &&
        (best == NULL || e->index < best->index))
      best = e;
  }
  return best;
}

#define PL__BODY(CASE) PARTSLEDGER__V1__ENTRY__BODY_##CASE

/* ---- signers ---- */

/* The site an entry acts at, for the kinds whose signer must be bound to
 * it (the server's pl_actor_require_site); NULL for other kinds, or when
 * what names the site is not bundled (the references check says so). */
static const char *pl__site_of(const pl__audit_ctx *x, const Partsledger__V1__Entry *e) {
  const char *order = NULL;
  const pl_audit_entry *d;
  switch (e->body_case) {
  case PL__BODY(STOCK_RECEIVED):
    return e->stock_received->site_id;
  case PL__BODY(STOCK_TRANSFERRED):
    return e->stock_transferred->from_site_id;
  case PL__BODY(STOCK_ADJUSTED):
    return e->stock_adjusted->site_id;
  case PL__BODY(PART_RESERVED):
    return e->part_reserved->site_id;
  case PL__BODY(RESERVATION_RELEASED):
  case PL__BODY(RESERVATION_FULFILLED):
    d = pl__find(x, PL__BODY(PART_RESERVED),
                 e->body_case == PL__BODY(RESERVATION_RELEASED)
                     ? e->reservation_released->reservation_id
                     : e->reservation_fulfilled->reservation_id,
                 UINT64_MAX, NULL);
    return d != NULL ? d->entry->part_reserved->site_id : NULL;
  case PL__BODY(REPAIR_ORDER_OPENED):
    return e->repair_order_opened->site_id;
  case PL__BODY(REPAIR_ORDER_RESPONDED):
    order = e->repair_order_responded->order_id;
    break;
  case PL__BODY(PART_REPLACED):
    order = e->part_replaced->order_id;
    break;
  case PL__BODY(REPAIR_ORDER_CLOSED):
    order = e->repair_order_closed->order_id;
    break;
  case PL__BODY(CLAIM_FILED):
    order = e->claim_filed->order_id;
    break;
  case PL__BODY(DISPUTE_OPENED):
    d = pl__find(x, PL__BODY(CLAIM_FILED), e->dispute_opened->claim_id, UINT64_MAX, NULL);
    if (d == NULL)
      return NULL;
    order = d->entry->claim_filed->order_id;
    break;
  default:
    return NULL;
  }
  d = pl__find(x, PL__BODY(REPAIR_ORDER_OPENED), order, UINT64_MAX, NULL);
  return d != NULL ? d->entry->repair_order_opened->site_id : NULL;
}

static int pl__bound(const Partsledger__V1__ActorEnrolled *ae, const char *site) {
  for (size_t i = 0; i < ae->n_site_ids; i++)
    if (strcmp(ae->site_ids[i], site) == 0)
      return 1;
  return 0;
}

void pl__audit_signers(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  pl__audit_fails f = {0, ""};
  int genesis = 0;
  for (size_t i = 0; i < r->n_entries; i++) {
    pl_audit_entry *e = &r->entries[i];
    if (e->entry == NULL)
      continue;
    const char *what = pl__audit_what(x->a, e);
    const uint8_t *signer = e->se->signer.data;
    const pl_kind_spec *spec = pl_kind_spec_of(e->entry->body_case);
    if (memcmp(signer, x->log_key, PL_PUBLIC_KEY_BYTES) == 0 && e->index == 0) {
      /* The genesis leaf: the log key enrolls the first admin. */
      e->by_log_key = 1;
      e->author_name = "the log key";
      if (e->entry->body_case != PL__BODY(ACTOR_ENROLLED) ||
          e->entry->actor_enrolled->role != PARTSLEDGER__V1__ROLE__ROLE_ADMIN)
        pl__audit_fail(&f, "%s: the log key signs only the genesis leaf, which enrolls an "
                           "admin", what);
      else
        genesis = 1;
      continue;
    }
    const pl_audit_entry *en = pl__actor(x, PL__BODY(ACTOR_ENROLLED), signer, e->index);
    if (en == NULL) {
      pl__audit_fail(&f, "%s is signed by %s, which no bundled entry enrolled before it%s",
                     what, pl__audit_tag(x->a, signer),
                     memcmp(signer, x->log_key, PL_PUBLIC_KEY_BYTES) == 0
                         ? " (the log key signs the genesis leaf only)"
                         : "");
      continue;
    }
    const Partsledger__V1__ActorEnrolled *ae = en->entry->actor_enrolled;
    e->author_role = ae->role;
    e->author_name = ae->name;
    if (ae->role <= 0 || ae->role >= 32 || !(spec->roles & (1u << ae->role))) {
      pl__audit_fail(&f, "%s is signed by %s, enrolled at index %" PRIu64
                         " as %s, a role that may not write %s",
                     what, pl__audit_tag(x->a, signer), en->index, pl_role_name(ae->role),
                     e->kind);
      continue;
    }
    const pl_audit_entry *rv = pl__actor(x, PL__BODY(ACTOR_REVOKED), signer, e->index);
    if (rv != NULL) {
      pl__audit_fail(&f, "%s is signed by %s, revoked at index %" PRIu64 " before it", what,
                     pl__audit_tag(x->a, signer), rv->index);
      continue;
    }
    /* Who works for sites signs only at the sites it is bound to. */
    const char *site = pl__site_of(x, e->entry);
    if (site != NULL && (PL_SITE_ROLES & (1u << ae->role)) && !pl__bound(ae, site)) {
      pl__audit_fail(&f, "%s is signed by %s (%s), who is not bound to site %s", what,
                     pl__audit_tag(x->a, signer), ae->name, site);
      continue;
    }
    /* A ruling's co-signers speak for the panel: they must be enrolled
     * arbiters too (the quorum check counts them). Other kinds' co-signers
     * the log does not require to be enrolled. */
    if (e->entry->body_case != PL__BODY(ARBITRATION_RULED))
      continue;
    for (size_t k = 0; k < e->se->n_cosignatures; k++) {
      const uint8_t *co = e->se->cosignatures[k]->signer.data;
      const pl_audit_entry *cen = pl__actor(x, PL__BODY(ACTOR_ENROLLED), co, e->index);
      if (cen == NULL)
        pl__audit_fail(&f, "%s is co-signed by %s, which no bundled entry enrolled before it",
                       what, pl__audit_tag(x->a, co));
      else if (!(spec->roles & (1u << cen->entry->actor_enrolled->role)))
        pl__audit_fail(&f, "%s is co-signed by %s, enrolled at index %" PRIu64 " as %s",
                       what, pl__audit_tag(x->a, co), cen->index,
                       pl_role_name(cen->entry->actor_enrolled->role));
    }
  }
  /* Without the genesis leaf no chain of enrollments is shown to end at
   * the log key, whatever else failed. */
  if (!genesis) {
    const pl_audit_entry *zero = NULL;
    for (size_t i = 0; i < r->n_entries; i++)
      if (r->entries[i].index == 0)
        zero = &r->entries[i];
    if (zero == NULL)
      pl__audit_fail(&f, "the genesis leaf (index 0) is not in the bundle");
    else if (zero->entry == NULL)
      pl__audit_fail(&f, "leaf 0 does not decode, so no genesis leaf is shown");
    else
      pl__audit_fail(&f, "leaf 0 is not the genesis leaf signed by the log key");
  }
  pl__audit_end(r, PL_AUDIT_SIGNERS, &f,
                "every author was enrolled by a bundled entry before it, with a role its "
                "kind allows (and bound to the site it acts at), and not revoked before it; "
                "every chain of enrollments ends at the genesis leaf, which the log key signs");
}

/* ---- references ---- */

typedef struct {
  int body;         /* the defining kind */
  const char *id;
  int optional;     /* may have no defining entry at all (a device) */
  const char *name; /* "batch" */
} pl__ref;

/* The most ids one entry refers to: a device's policy and the batch of
 * each of its parts. No other kind names more than four. */
#define PL__REFS_MAX (1 + PL_DEVICE_PARTS_MAX)

/* The ids an entry refers to: storage/state/audit.c's pl__refs, plus the
 * claim a decision, dispute or ruling is about. The first `cap` go to `v`;
 * returns how many there are, which is over `cap` only for an entry the
 * stateless rules refuse. */
static size_t pl__refs(const Partsledger__V1__Entry *e, pl__ref *v, size_t cap) {
  size_t n = 0;
#define PL__REF(CASE, idv, opt, nm)                                            \
  do {                                                                         \
    if (n < cap)                                                               \
      v[n] = (pl__ref){PL__BODY(CASE), (idv), (opt), (nm)};                    \
    n++;                                                                       \
  } while (0)
  switch (e->body_case) {
  case PL__BODY(BATCH_REGISTERED):
    PL__REF(SUPPLIER_REGISTERED, e->batch_registered->supplier_id, 0, "supplier");
    break;
  case PL__BODY(PART_RESERVED):
    PL__REF(SITE_REGISTERED, e->part_reserved->site_id, 0, "site");
    if (e->part_reserved->batch_id[0] != '\0')
      PL__REF(BATCH_REGISTERED, e->part_reserved->batch_id, 0, "batch");
    if (e->part_reserved->repair_order_id[0] != '\0')
      PL__REF(REPAIR_ORDER_OPENED, e->part_reserved->repair_order_id, 0, "repair order");
    break;
  case PL__BODY(RESERVATION_RELEASED):
    PL__REF(PART_RESERVED, e->reservation_released->reservation_id, 0, "reservation");
    break;
  case PL__BODY(RESERVATION_FULFILLED):
    PL__REF(PART_RESERVED, e->reservation_fulfilled->reservation_id, 0, "reservation");
    PL__REF(BATCH_REGISTERED, e->reservation_fulfilled->batch_id, 0, "batch");
    break;
  case PL__BODY(DEVICE_REGISTERED):
    PL__REF(WARRANTY_POLICY_PUBLISHED, e->device_registered->policy_id, 0, "policy");
    for (size_t i = 0; i < e->device_registered->n_parts; i++)
      PL__REF(BATCH_REGISTERED, e->device_registered->parts[i]->batch_id, 0, "batch");
    break;
  case PL__BODY(WARRANTY_EXTENDED):
    /* An extension needs a registered device (the server's rule). */
    PL__REF(DEVICE_REGISTERED, e->warranty_extended->device_serial, 0, "device");
    break;
  case PL__BODY(REPAIR_ORDER_OPENED):
    PL__REF(SITE_REGISTERED, e->repair_order_opened->site_id, 0, "site");
    PL__REF(DEVICE_REGISTERED, e->repair_order_opened->device_serial, 1, "device");
    break;
  case PL__BODY(REPAIR_ORDER_RESPONDED):
    PL__REF(REPAIR_ORDER_OPENED, e->repair_order_responded->order_id, 0, "repair order");
    break;
  case PL__BODY(PART_REPLACED):
    PL__REF(REPAIR_ORDER_OPENED, e->part_replaced->order_id, 0, "repair order");
    PL__REF(BATCH_REGISTERED, e->part_replaced->installed_batch_id, 0, "batch");
    if (e->part_replaced->reservation_id[0] != '\0') {
      PL__REF(PART_RESERVED, e->part_replaced->reservation_id, 0, "reservation");
      /* It consumes a fulfilled reservation, and the fulfilment goes with it. */
      PL__REF(RESERVATION_FULFILLED, e->part_replaced->reservation_id, 0,
              "fulfilment of reservation");
    }
    break;
  case PL__BODY(REPAIR_ORDER_CLOSED):
    PL__REF(REPAIR_ORDER_OPENED, e->repair_order_closed->order_id, 0, "repair order");
    break;
  case PL__BODY(CLAIM_FILED):
    PL__REF(REPAIR_ORDER_OPENED, e->claim_filed->order_id, 0, "repair order");
    PL__REF(DEVICE_REGISTERED, e->claim_filed->device_serial, 1, "device");
    break;
  case PL__BODY(CLAIM_DECIDED):
    PL__REF(CLAIM_FILED, e->claim_decided->claim_id, 0, "claim");
    break;
  case PL__BODY(DISPUTE_OPENED):
    PL__REF(CLAIM_FILED, e->dispute_opened->claim_id, 0, "claim");
    PL__REF(PANEL_CONSTITUTED, e->dispute_opened->panel_id, 0, "panel");
    break;
  case PL__BODY(ARBITRATION_RULED):
    PL__REF(CLAIM_FILED, e->arbitration_ruled->claim_id, 0, "claim");
    PL__REF(DISPUTE_OPENED, e->arbitration_ruled->claim_id, 0, "dispute of claim");
    break;
  default:
    break;
  }
#undef PL__REF
  return n;
}

void pl__audit_references(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  pl__audit_fails f = {0, ""};
  size_t refs = 0, unregistered = 0;
  pl__ref v[PL__REFS_MAX];
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    if (e->entry == NULL)
      continue;
    const char *what = pl__audit_what(x->a, e);
    if (e->entry->body_case == PL__BODY(ACTOR_REVOKED)) {
      refs++;
      if (pl__actor(x, PL__BODY(ACTOR_ENROLLED), e->entry->actor_revoked->public_key.data,
                    e->index) == NULL)
        pl__audit_fail(&f, "%s revokes %s, whose enrollment is not bundled before it", what,
                       pl__audit_tag(x->a, e->entry->actor_revoked->public_key.data));
      continue;
    }
    size_t n = pl__refs(e->entry, v, PL__REFS_MAX);
    if (n > PL__REFS_MAX) {
      /* Checking some of its ids would pass off the rest as checked. */
      pl__audit_fail(&f, "%s names %zu ids, over the %d an entry may", what, n,
                     PL__REFS_MAX);
      continue;
    }
    for (size_t k = 0; k < n; k++) {
      refs++;
      const pl_audit_entry *d = pl__find(x, v[k].body, v[k].id, UINT64_MAX, NULL);
      if (d == NULL && v[k].optional) {
        unregistered++;
        continue;
      }
      if (d == NULL)
        pl__audit_fail(&f, "%s names %s %s, which no bundled entry defines", what, v[k].name,
                       v[k].id);
      else if (d->index >= e->index)
        pl__audit_fail(&f, "%s names %s %s, defined only later, at index %" PRIu64, what,
                       v[k].name, v[k].id, d->index);
    }
  }
  /* The claim itself, and one decision, dispute and ruling per claim. */
  if (pl__find(x, PL__BODY(CLAIM_FILED), r->claim_id, UINT64_MAX, NULL) == NULL)
    pl__audit_fail(&f, "the claim %s itself is not in the bundle", r->claim_id);
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    size_t count;
    if (e->entry == NULL || (e->entry->body_case != PL__BODY(CLAIM_DECIDED) &&
                             e->entry->body_case != PL__BODY(DISPUTE_OPENED) &&
                             e->entry->body_case != PL__BODY(ARBITRATION_RULED)))
      continue;
    pl__find(x, (int)e->entry->body_case, pl__defined_id(e->entry), UINT64_MAX, &count);
    if (count > 1)
      pl__audit_fail(&f, "claim %s has %zu entries of kind %s; the log allows one",
                     pl__defined_id(e->entry), count, e->kind);
  }
  char ok[PL_VERDICT_MAX];
  snprintf(ok, sizeof(ok),
           "each of the %zu references has its defining entry earlier in the bundle%s",
           refs, unregistered > 0 ? " (a device nobody registered has none, and "
                                    "counts as NOT_REGISTERED)"
                                  : "");
  pl__audit_end(r, PL_AUDIT_REFERENCES, &f, ok);
}

/* ---- quorum ---- */

static int pl__is_member(const Partsledger__V1__PanelConstituted *p, const uint8_t *key) {
  for (size_t i = 0; i < p->n_members; i++)
    if (p->members[i].len == PL_PUBLIC_KEY_BYTES &&
        memcmp(p->members[i].data, key, PL_PUBLIC_KEY_BYTES) == 0)
      return 1;
  return 0;
}

/* One ruling against its panel; fills the report's members when it is the
 * ruling on the bundle's claim. 0 when the quorum holds. */
static int pl__ruling_quorum(pl__audit_ctx *x, const pl_audit_entry *e, pl__audit_fails *f,
                             char *said, size_t said_cap) {
  pl_audit_report *r = x->r;
  const char *what = pl__audit_what(x->a, e);
  const char *claim = e->entry->arbitration_ruled->claim_id;
  const pl_audit_entry *d = pl__find(x, PL__BODY(DISPUTE_OPENED), claim, e->index, NULL);
  if (d == NULL) {
    pl__audit_fail(f, "%s: no dispute of claim %s is bundled before it", what, claim);
    return -1;
  }
  const pl_audit_entry *pe = pl__find(x, PL__BODY(PANEL_CONSTITUTED),
                                      d->entry->dispute_opened->panel_id, e->index, NULL);
  if (pe == NULL) {
    pl__audit_fail(f, "%s: panel %s is not bundled before it", what,
                   d->entry->dispute_opened->panel_id);
    return -1;
  }
  const Partsledger__V1__PanelConstituted *p = pe->entry->panel_constituted;
  int ours = strcmp(claim, r->claim_id) == 0;
  pl_audit_member *m = pl_arena_alloc(x->a, (p->n_members ? p->n_members : 1) * sizeof(*m));
  if (m == NULL) {
    pl__audit_fail(f, "out of memory");
    return -1;
  }
  memset(m, 0, (p->n_members ? p->n_members : 1) * sizeof(*m));
  for (size_t i = 0; i < p->n_members; i++) {
    m[i].key = p->members[i].data;
    m[i].why = "did not sign";
    const pl_audit_entry *en = pl__actor(x, PL__BODY(ACTOR_ENROLLED), m[i].key, UINT64_MAX);
    if (en != NULL)
      m[i].name = en->entry->actor_enrolled->name;
  }
  /* Everyone who signed must sit on the panel; the distinct members among
   * them who were enrolled and not revoked before the ruling count. */
  const Partsledger__V1__SignedEntry *se = e->se;
  int bad = 0;
  uint32_t counted = 0;
  for (size_t k = 0; k <= se->n_cosignatures; k++) {
    const uint8_t *key = k == 0 ? se->signer.data : se->cosignatures[k - 1]->signer.data;
    if (!pl__is_member(p, key)) {
      pl__audit_fail(f, "%s is %s by %s, who is not a member of panel %s", what,
                     k == 0 ? "signed" : "co-signed", pl__audit_tag(x->a, key), p->panel_id);
      bad = 1;
      continue;
    }
    for (size_t i = 0; i < p->n_members; i++) {
      if (memcmp(m[i].key, key, PL_PUBLIC_KEY_BYTES) != 0 || m[i].signed_as != 0)
        continue;
      m[i].signed_as = k == 0 ? 1 : 2;
      const pl_audit_entry *rv = pl__actor(x, PL__BODY(ACTOR_REVOKED), key, e->index);
      if (pl__actor(x, PL__BODY(ACTOR_ENROLLED), key, e->index) == NULL) {
        m[i].why = "not enrolled before the ruling";
      } else if (rv != NULL) {
        m[i].why = pl_arena_printf(x->a, "revoked at index %" PRIu64 ", before the ruling",
                                   rv->index);
        if (m[i].why == NULL) /* out of memory: audit.h promises a reason */
          m[i].why = "revoked before the ruling";
      } else {
        m[i].counted = 1;
        m[i].why = "";
        counted++;
      }
    }
  }
  if (ours) {
    r->members = m;
    r->n_members = p->n_members;
    r->quorum = p->quorum;
    r->counted = counted;
  }
  size_t signers = 1 + se->n_cosignatures;
  snprintf(said, said_cap,
           "the ruling at index %" PRIu64 " on claim %s: %u of %zu members of panel %s "
           "needed, %zu signed, %u counted",
           e->index, claim, p->quorum, p->n_members, p->panel_id, signers, counted);
  if (bad)
    return -1;
  if (counted < p->quorum) {
    pl__audit_fail(f, "%s: %u of %zu members needed, %u signed and unrevoked", what, p->quorum,
                   p->n_members, counted);
    return -1;
  }
  return 0;
}

void pl__audit_quorum(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  pl__audit_fails f = {0, ""};
  char said[PL_VERDICT_MAX] = "", one[PL_VERDICT_MAX];
  size_t rulings = 0;
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    if (e->entry == NULL || e->entry->body_case != PL__BODY(ARBITRATION_RULED))
      continue;
    rulings++;
    if (pl__ruling_quorum(x, e, &f, one, sizeof(one)) == 0) {
      /* Several rulings (the device's other claims) say as much as fits. */
      size_t w = strlen(said), n = strlen(one);
      if (w + n + 3 < sizeof(said)) {
        memcpy(said + w, w ? "; " : "", w ? 2 : 0);
        memcpy(said + w + (w ? 2 : 0), one, n + 1);
      }
    }
  }
  if (rulings == 0)
    snprintf(said, sizeof(said), "no ruling in the bundle: nothing needs a quorum");
  pl__audit_end(r, PL_AUDIT_QUORUM, &f, said);
}

/* ---- the warranty status, from the bundled entries alone ---- */

/* A growing array in the arena. */
#define PL__PUSH(a, v, n, cap, item)                                           \
  do {                                                                         \
    if ((n) == (cap)) {                                                        \
      size_t pl__c = (cap) ? (cap) * 2 : 8;                                    \
      void *pl__v = pl_arena_alloc((a), pl__c * sizeof(*(v)));                 \
      if (pl__v == NULL)                                                       \
        return PL_ENOMEM;                                                      \
      if (n)                                                                   \
        memcpy(pl__v, (v), (n) * sizeof(*(v)));                                \
      (v) = pl__v;                                                             \
      (cap) = pl__c;                                                           \
    }                                                                          \
    (v)[(n)++] = (item);                                                       \
  } while (0)

/* The batch of an install, for its class and months; NULL when it is not
 * bundled before `before`. */
static const Partsledger__V1__BatchRegistered *pl__batch(const pl__audit_ctx *x, const char *id,
                                                         uint64_t before) {
  const pl_audit_entry *b = pl__find(x, PL__BODY(BATCH_REGISTERED), id, before, NULL);
  return b != NULL ? b->entry->batch_registered : NULL;
}

/* Gathers the facts of (device, component) from the entries logged before
 * `before`, as storage/state/warranty.c gathers them from its tables, and
 * judges them at the claim's failure with its reading. 0, or PL_ENOTFOUND
 * with `why` (PL_MSG_MAX) when a fact's defining entry is missing, or
 * PL_ENOMEM. */
static int pl__judge(pl__audit_ctx *x, const Partsledger__V1__ClaimFiled *cf, uint64_t before,
                     pl_rule_verdict *out, char *why) {
  pl_rule_facts f;
  memset(&f, 0, sizeof(f));
  f.device_serial = cf->device_serial;
  f.component = cf->component;
  const pl_audit_entry *dev =
      pl__find(x, PL__BODY(DEVICE_REGISTERED), cf->device_serial, before, NULL);
  pl_rule_install *ins = NULL;
  pl_rule_reading *rd = NULL;
  pl_rule_exclusion *exc = NULL;
  size_t n_ins = 0, c_ins = 0, n_rd = 0, c_rd = 0, n_exc = 0, c_exc = 0;
  if (dev != NULL) {
    const Partsledger__V1__DeviceRegistered *d = dev->entry->device_registered;
    const pl_audit_entry *pol =
        pl__find(x, PL__BODY(WARRANTY_POLICY_PUBLISHED), d->policy_id, before, NULL);
    if (pol == NULL)
      return pl_fail(why, PL_ENOTFOUND, "policy %s of device %s is not bundled",
                     d->policy_id, d->device_serial);
    const Partsledger__V1__WarrantyPolicyPublished *p = pol->entry->warranty_policy_published;
    const Partsledger__V1__ComponentTerm *term = NULL;
    for (size_t i = 0; i < p->n_terms; i++)
      if (strcmp(p->terms[i]->component, cf->component) == 0)
        term = p->terms[i];
    f.registered = 1;
    f.policy_id = p->policy_id;
    f.purchased_at = d->purchased_at_ms;
    f.registered_at = dev->at_ms;
    f.window_days = p->registration_window_days;
    f.has_term = term != NULL;
    f.months = term ? term->months : 0;
    f.usage_limit = term ? term->usage_limit : 0;
    f.usage_unit = term ? term->usage_unit : "";
  }
  /* In log order: installs must be. */
  for (size_t i = 0; i < x->r->n_entries; i++) {
    const pl_audit_entry *e = x->order[i];
    if (e->entry == NULL || e->index >= before)
      continue;
    const Partsledger__V1__Entry *en = e->entry;
    switch (en->body_case) {
    case PL__BODY(DEVICE_REGISTERED):
      if (strcmp(en->device_registered->device_serial, cf->device_serial) != 0)
        break;
      for (size_t k = 0; k < en->device_registered->n_parts; k++) {
        const Partsledger__V1__InstalledPart *ip = en->device_registered->parts[k];
        if (strcmp(ip->component, cf->component) != 0)
          continue;
        const Partsledger__V1__BatchRegistered *b = pl__batch(x, ip->batch_id, before);
        if (b == NULL)
          return pl_fail(why, PL_ENOTFOUND, "batch %s of part %s is not bundled",
                         ip->batch_id, ip->part_serial);
        PL__PUSH(x->a, ins, n_ins, c_ins,
                 ((pl_rule_install){.at = e->at_ms,
                                    .part_serial = ip->part_serial,
                                    .batch_id = ip->batch_id,
                                    .part_class = b->part_class,
                                    .by_replacement = 0,
                                    .warranty_months = b->warranty_months}));
      }
      break;
    case PL__BODY(PART_REPLACED): {
      const Partsledger__V1__PartReplaced *pr = en->part_replaced;
      const pl_audit_entry *o =
          pl__find(x, PL__BODY(REPAIR_ORDER_OPENED), pr->order_id, before, NULL);
      if (o == NULL)
        return pl_fail(why, PL_ENOTFOUND, "repair order %s of entry %" PRIu64
                       " is not bundled", pr->order_id, e->index);
      if (strcmp(o->entry->repair_order_opened->device_serial, cf->device_serial) != 0 ||
          strcmp(pr->component, cf->component) != 0)
        break;
      const Partsledger__V1__BatchRegistered *b =
          pl__batch(x, pr->installed_batch_id, before);
      if (b == NULL)
        return pl_fail(why, PL_ENOTFOUND, "batch %s of part %s is not bundled",
                       pr->installed_batch_id, pr->installed_serial);
      PL__PUSH(x->a, ins, n_ins, c_ins,
               ((pl_rule_install){.at = e->at_ms,
                                  .part_serial = pr->installed_serial,
                                  .batch_id = pr->installed_batch_id,
                                  .part_class = b->part_class,
                                  .by_replacement = 1,
                                  .warranty_months = b->warranty_months}));
      break;
    }
    case PL__BODY(WARRANTY_EXTENDED):
      if (strcmp(en->warranty_extended->device_serial, cf->device_serial) == 0 &&
          (en->warranty_extended->component[0] == '\0' ||
           strcmp(en->warranty_extended->component, cf->component) == 0))
        f.extended_months += en->warranty_extended->months;
      break;
    case PL__BODY(REPAIR_ORDER_OPENED):
      /* A reading of 0 is no reading (storage/state/warranty.c). */
      if (strcmp(en->repair_order_opened->device_serial, cf->device_serial) == 0 &&
          en->repair_order_opened->usage_reading != 0)
        PL__PUSH(x->a, rd, n_rd, c_rd,
                 ((pl_rule_reading){en->repair_order_opened->reported_at_ms,
                                    en->repair_order_opened->usage_reading}));
      break;
    case PL__BODY(CLAIM_FILED): {
      const Partsledger__V1__ClaimFiled *c = en->claim_filed;
      if (strcmp(c->device_serial, cf->device_serial) != 0)
        break;
      if (c->usage_reading != 0)
        PL__PUSH(x->a, rd, n_rd, c_rd, ((pl_rule_reading){c->failure_at_ms,
                                                          c->usage_reading}));
      if (strcmp(c->component, cf->component) != 0)
        break;
      /* A rejection for human damage or an unauthorised modification that
       * no ruling upheld the claim against. */
      const pl_audit_entry *dec = pl__find(x, PL__BODY(CLAIM_DECIDED), c->claim_id, before, NULL);
      const pl_audit_entry *rul =
          pl__find(x, PL__BODY(ARBITRATION_RULED), c->claim_id, before, NULL);
      if (dec == NULL ||
          dec->entry->claim_decided->decision !=
              PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED ||
          (dec->entry->claim_decided->reason !=
               PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_HUMAN_DAMAGE &&
           dec->entry->claim_decided->reason !=
               PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_UNAUTHORIZED_MODIFICATION) ||
          (rul != NULL &&
           rul->entry->arbitration_ruled->ruling == PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD))
        break;
      PL__PUSH(x->a, exc, n_exc, c_exc, ((pl_rule_exclusion){c->claim_id, c->failure_at_ms}));
      break;
    }
    default:
      break;
    }
  }
  f.installs = ins;
  f.n_installs = n_ins;
  f.readings = rd;
  f.n_readings = n_rd;
  f.exclusions = exc;
  f.n_exclusions = n_exc;
  pl_rule_judge(&f, cf->failure_at_ms, cf->usage_reading, out);
  return 0;
}

/* The claim's story: its entries, its device and policy. */
void pl__audit_story(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  r->claim = pl__find(x, PL__BODY(CLAIM_FILED), r->claim_id, UINT64_MAX, NULL);
  r->decision = pl__find(x, PL__BODY(CLAIM_DECIDED), r->claim_id, UINT64_MAX, NULL);
  r->dispute = pl__find(x, PL__BODY(DISPUTE_OPENED), r->claim_id, UINT64_MAX, NULL);
  r->ruling = pl__find(x, PL__BODY(ARBITRATION_RULED), r->claim_id, UINT64_MAX, NULL);
  if (r->dispute != NULL)
    r->panel = pl__find(x, PL__BODY(PANEL_CONSTITUTED), r->dispute->entry->dispute_opened->panel_id,
                        UINT64_MAX, NULL);
  if (r->claim != NULL)
    r->device = pl__find(x, PL__BODY(DEVICE_REGISTERED),
                         r->claim->entry->claim_filed->device_serial, UINT64_MAX, NULL);
  if (r->device != NULL)
    r->policy = pl__find(x, PL__BODY(WARRANTY_POLICY_PUBLISHED),
                         r->device->entry->device_registered->policy_id, UINT64_MAX, NULL);
}

void pl__audit_warranty(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  char why[PL_MSG_MAX];
  if (r->claim == NULL) {
    pl__audit_set(r, PL_AUDIT_WARRANTY, PL_AUDIT_SKIPPED, "the claim %s is not in the bundle",
                  r->claim_id);
    return;
  }
  const Partsledger__V1__ClaimFiled *cf = r->claim->entry->claim_filed;
  r->status_before = r->decision != NULL ? r->decision->index : UINT64_MAX;
  for (size_t i = 0; i < r->n_entries; i++)
    r->status_facts += r->entries[i].entry != NULL && r->entries[i].index < r->status_before;
  int rc = pl__judge(x, cf, r->status_before, &r->status, why);
  if (rc == 0)
    rc = pl__judge(x, cf, UINT64_MAX, &r->status_now, why);
  if (rc == PL_ENOMEM) {
    pl__audit_set(r, PL_AUDIT_WARRANTY, PL_AUDIT_FAILS, "out of memory");
    return;
  }
  if (rc != 0) {
    pl__audit_set(r, PL_AUDIT_WARRANTY, PL_AUDIT_FAILS,
                  "cannot judge %s %s from the bundle: %s", cf->device_serial, cf->component,
                  why);
    return;
  }
  r->have_status = 1;
  char from[128];
  if (r->decision != NULL)
    snprintf(from, sizeof(from), "from the %zu bundled entries logged before the "
                                 "decision at index %" PRIu64,
             r->status_facts, r->decision->index);
  else
    snprintf(from, sizeof(from), "from all %zu bundled entries (the claim is not "
                                 "decided)", r->status_facts);
  const char *now = "";
  if (r->status_now.status != r->status.status)
    now = pl_arena_printf(x->a, "; at the checkpoint the ledger says %s (%s)",
                          pl_rule_status_name(r->status_now.status),
                          r->status_now.reason);
  if (now == NULL)
    now = "";
  /* rules.c says times in milliseconds; people read dates. */
  const char *ends = r->status.coverage_ends_at != 0
                         ? pl_arena_printf(x->a, " (coverage ends %s)",
                                           pl__audit_time(x->a, r->status.coverage_ends_at))
                         : "";
  pl__audit_set(r, PL_AUDIT_WARRANTY, PL_AUDIT_HOLDS,
                "%s %s at the failure (%s, reading %" PRIu64 ") was %s: %s%s, %s%s",
                cf->device_serial, cf->component, pl__audit_time(x->a, cf->failure_at_ms),
                cf->usage_reading, pl_rule_status_name(r->status.status), r->status.reason,
                ends != NULL ? ends : "", from, now);
}

void pl__audit_decision(pl__audit_ctx *x) {
  pl_audit_report *r = x->r;
  if (!r->have_status) {
    pl__audit_set(r, PL_AUDIT_DECISION, PL_AUDIT_SKIPPED,
                  "no warranty status to hold the decision against");
    return;
  }
  if (r->decision == NULL) {
    pl__audit_set(r, PL_AUDIT_DECISION, PL_AUDIT_HOLDS, "the claim is not decided yet");
    return;
  }
  const Partsledger__V1__ClaimDecided *d = r->decision->entry->claim_decided;
  char ruled[192] = "";
  if (r->ruling != NULL)
    snprintf(ruled, sizeof(ruled), "; the panel ruled %s at index %" PRIu64,
             PL__RULING(r->ruling->entry->arbitration_ruled->ruling), r->ruling->index);
  else if (r->dispute != NULL)
    snprintf(ruled, sizeof(ruled), "; disputed at index %" PRIu64 ", not ruled on yet",
             r->dispute->index);
  int stated = pl_rule_reason_status(d->reason);
  if (stated == 0) {
    pl__audit_set(r, PL_AUDIT_DECISION, PL_AUDIT_HOLDS,
                  "%s for %s at index %" PRIu64 ": a judgment of the manufacturer, not a fact "
                  "of the ledger, whose status at the failure was %s%s",
                  PL__DECISION(d->decision), PL__REASON(d->reason), r->decision->index,
                  pl_rule_status_name(r->status.status), ruled);
    return;
  }
  if (stated != r->status.status) {
    pl__audit_set(r, PL_AUDIT_DECISION, PL_AUDIT_FAILS,
                  "%s for %s at index %" PRIu64 " states the status %s, but the bundled "
                  "entries give %s",
                  PL__DECISION(d->decision), PL__REASON(d->reason), r->decision->index,
                  pl_rule_status_name(stated), pl_rule_status_name(r->status.status));
    return;
  }
  pl__audit_set(r, PL_AUDIT_DECISION, PL_AUDIT_HOLDS,
                "%s for %s at index %" PRIu64 " agrees with the ledger's status %s%s",
                PL__DECISION(d->decision), PL__REASON(d->reason), r->decision->index,
                pl_rule_status_name(stated), ruled);
}

