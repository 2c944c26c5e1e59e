/*
 * test_warranty_state.c - the repair, warranty and arbitration tables
 * without the server: a random run of device registrations, extensions,
 * orders, replacements (some consuming fulfilled reservations), closings,
 * claims, decisions honest and not, disputes and rulings must replay to
 * exactly the stored state (pl_log_check), and every decision the log
 * accepted with a reason of fact must agree with the status the ledger
 * computes from the final state.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caltime.h"
#include "clock.h"
#include "error.h"
#include "fixture.h"
#include "query.h"
#include "rules.h"
#include "test.h"

#define NDEVICES 6
#define NSERIALS 40

typedef struct {
  fixture f;
  pl_key *maker, *station, *arbiter[3];
  int orders, claims, serial, reservations;
  int ok[64], refused[64];
  char open_order[NDEVICES][16]; /* an order not closed yet, per device */
} world;

static const char *const components[] = {"battery", "board", "screen"};

static Partsledger__V1__Entry *entry(world *w, int body) {
  Partsledger__V1__Entry *e = pl_arena_alloc(w->f.arena, sizeof(*e));
  partsledger__v1__entry__init(e);
  e->body_case = body;
  return e;
}

#define NEW(w, T, init) ({ T *b_ = pl_arena_alloc((w)->f.arena, sizeof(T)); init(b_); b_; })

static char *str(world *w, const char *fmt, int n) {
  char buf[64];
  snprintf(buf, sizeof(buf), fmt, n);
  return pl_arena_dup(w->f.arena, buf, strlen(buf) + 1);
}

/* The warranty status through the query the Warranty service answers. */
static int status(world *w, pl_txn *t, const char *dev, const char *comp, int64_t at,
                  uint64_t reading, Partsledger__V1__GetWarrantyStatusResponse **out) {
  Partsledger__V1__GetWarrantyStatusRequest req =
      PARTSLEDGER__V1__GET_WARRANTY_STATUS_REQUEST__INIT;
  char msg[PL_MSG_MAX];
  req.device_serial = (char *)dev;
  req.component = (char *)comp;
  req.at_ms = at;
  req.usage_reading = reading;
  return pl_query_warranty_status(t, &req, pl_now_ms(), w->f.arena, out, msg);
}

static int put_cosigned(world *w, const pl_key *k, Partsledger__V1__Entry *e,
                        pl_key *const *co, size_t nco) {
  pl_head head;
  pl_append *it = make(&w->f, k, e);
  if (it == NULL)
    return PL_EINVAL;
  if (nco > 0) {
    /* Co-signatures over the same entry bytes, added to the envelope. */
    Partsledger__V1__SignedEntry *se = (Partsledger__V1__SignedEntry *)it->signed_entry;
    se->cosignatures = pl_arena_alloc(w->f.arena, nco * sizeof(*se->cosignatures));
    for (size_t i = 0; i < nco; i++) {
      Partsledger__V1__Cosignature *c = NEW(w, Partsledger__V1__Cosignature,
                                            partsledger__v1__cosignature__init);
      c->signer.data = (uint8_t *)pl_key_public(co[i]);
      c->signer.len = PL_PUBLIC_KEY_BYTES;
      c->signature.data = pl_arena_alloc(w->f.arena, PL_SIGNATURE_BYTES);
      c->signature.len = PL_SIGNATURE_BYTES;
      pl_entry_sign(co[i], se->entry.data, se->entry.len, c->signature.data);
      se->cosignatures[i] = c;
    }
    se->n_cosignatures = nco;
  }
  int rc = append1(&w->f, it, &head);
  if (e->body_case < 64)
    (rc == 0 ? w->ok : w->refused)[e->body_case]++;
  return rc;
}

static int put(world *w, const pl_key *k, Partsledger__V1__Entry *e) {
  return put_cosigned(w, k, e, NULL, 0);
}

static int enroll_at(world *w, pl_key *k, int role, const char *site) {
  Partsledger__V1__ActorEnrolled *ae =
      NEW(w, Partsledger__V1__ActorEnrolled, partsledger__v1__actor_enrolled__init);
  ae->public_key.data = (uint8_t *)pl_key_public(k);
  ae->public_key.len = PL_PUBLIC_KEY_BYTES;
  ae->role = role;
  ae->name = "someone";
  if (site != NULL) {
    ae->site_ids = pl_arena_alloc(w->f.arena, sizeof(char *));
    ae->site_ids[0] = (char *)site;
    ae->n_site_ids = 1;
  }
  Partsledger__V1__Entry *e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED);
  e->actor_enrolled = ae;
  return put(w, w->f.admin, e);
}

static int setup(world *w) {
  if (fx_init(&w->f) != 0)
    return -1;
  w->maker = new_key();
  w->station = new_key();
  for (int i = 0; i < 3; i++)
    w->arbiter[i] = new_key();
  if (enroll_at(w, w->maker, PARTSLEDGER__V1__ROLE__ROLE_MANUFACTURER, NULL) != 0 ||
      enroll_at(w, w->station, PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION, "st-1") != 0)
    return -1;
  for (int i = 0; i < 3; i++)
    if (enroll_at(w, w->arbiter[i], PARTSLEDGER__V1__ROLE__ROLE_ARBITER, NULL) != 0)
      return -1;
  Partsledger__V1__SiteRegistered *s =
      NEW(w, Partsledger__V1__SiteRegistered, partsledger__v1__site_registered__init);
  s->site_id = "st-1";
  s->kind = PARTSLEDGER__V1__SITE_KIND__SITE_KIND_REPAIR_STATION;
  s->latitude = 31;
  s->longitude = 121;
  Partsledger__V1__Entry *e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_SITE_REGISTERED);
  e->site_registered = s;
  Partsledger__V1__SupplierRegistered *sup =
      NEW(w, Partsledger__V1__SupplierRegistered, partsledger__v1__supplier_registered__init);
  sup->supplier_id = "acme";
  Partsledger__V1__Entry *e2 = entry(w, PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED);
  e2->supplier_registered = sup;
  if (put(w, w->f.admin, e) != 0 || put(w, w->f.admin, e2) != 0)
    return -1;
  /* One batch listing its serials, one not; parts with months of their own. */
  for (int b = 0; b < 2; b++) {
    Partsledger__V1__BatchRegistered *br =
        NEW(w, Partsledger__V1__BatchRegistered, partsledger__v1__batch_registered__init);
    br->batch_id = b == 0 ? "b-listed" : "b-open";
    br->supplier_id = "acme";
    br->sku = "part";
    br->part_class = b == 0 ? PARTSLEDGER__V1__PART_CLASS__PART_CLASS_ORIGINAL
                            : PARTSLEDGER__V1__PART_CLASS__PART_CLASS_CERTIFIED_ALTERNATIVE;
    br->warranty_months = b == 0 ? 24 : 6;
    br->quantity = 500;
    if (b == 0) {
      br->n_serials = NSERIALS;
      br->serials = pl_arena_alloc(w->f.arena, NSERIALS * sizeof(char *));
      for (int i = 0; i < NSERIALS; i++)
        br->serials[i] = str(w, "L-%d", i);
    }
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED);
    e->batch_registered = br;
    if (put(w, w->maker, e) != 0)
      return -1;
  }
  /* A policy: battery 12 months or 1000 cycles, board 36 months. */
  Partsledger__V1__WarrantyPolicyPublished *p = NEW(
      w, Partsledger__V1__WarrantyPolicyPublished, partsledger__v1__warranty_policy_published__init);
  p->policy_id = "pol-1";
  p->model = "M1";
  p->registration_window_days = 3650;
  p->max_extension_months = 12;
  p->n_terms = 2;
  p->terms = pl_arena_alloc(w->f.arena, 2 * sizeof(*p->terms));
  for (int i = 0; i < 2; i++) {
    p->terms[i] = NEW(w, Partsledger__V1__ComponentTerm, partsledger__v1__component_term__init);
    p->terms[i]->component = (char *)components[i];
    p->terms[i]->months = i == 0 ? 12 : 36;
    p->terms[i]->usage_limit = i == 0 ? 1000 : 0;
    p->terms[i]->usage_unit = "cycles";
  }
  e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_POLICY_PUBLISHED);
  e->warranty_policy_published = p;
  if (put(w, w->maker, e) != 0)
    return -1;
  Partsledger__V1__PanelConstituted *panel =
      NEW(w, Partsledger__V1__PanelConstituted, partsledger__v1__panel_constituted__init);
  panel->panel_id = "panel-1";
  panel->n_members = 3;
  panel->members = pl_arena_alloc(w->f.arena, 3 * sizeof(*panel->members));
  for (int i = 0; i < 3; i++) {
    panel->members[i].data = (uint8_t *)pl_key_public(w->arbiter[i]);
    panel->members[i].len = PL_PUBLIC_KEY_BYTES;
  }
  panel->quorum = 2;
  e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_PANEL_CONSTITUTED);
  e->panel_constituted = panel;
  if (put(w, w->f.admin, e) != 0)
    return -1;
  /* Devices bought from 2 to 40 months ago, with a battery and a board. */
  int64_t now = pl_now_ms();
  for (int d = 0; d < NDEVICES; d++) {
    Partsledger__V1__DeviceRegistered *dr =
        NEW(w, Partsledger__V1__DeviceRegistered, partsledger__v1__device_registered__init);
    dr->device_serial = str(w, "dev-%d", d);
    dr->model = "M1";
    dr->policy_id = "pol-1";
    dr->purchased_at_ms = pl_cal_add_months(now, -(2 + 8 * d));
    dr->n_parts = 2;
    dr->parts = pl_arena_alloc(w->f.arena, 2 * sizeof(*dr->parts));
    for (int i = 0; i < 2; i++) {
      dr->parts[i] =
          NEW(w, Partsledger__V1__InstalledPart, partsledger__v1__installed_part__init);
      dr->parts[i]->component = (char *)components[i];
      dr->parts[i]->part_serial = str(w, "L-%d", w->serial++);
      dr->parts[i]->batch_id = "b-listed";
    }
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED);
    e->device_registered = dr;
    if (put(w, w->maker, e) != 0)
      return -1;
  }
  return 0;
}

static void random_step(world *w, unsigned r) {
  int d = (int)(r % NDEVICES);
  const char *comp = components[(r >> 4) % 3];
  char *dev = str(w, "dev-%d", d);
  int64_t now = pl_now_ms();
  Partsledger__V1__Entry *e;
  switch ((r >> 8) % 8) {
  case 0: { /* open an order */
    Partsledger__V1__RepairOrderOpened *o = NEW(w, Partsledger__V1__RepairOrderOpened,
                                                partsledger__v1__repair_order_opened__init);
    snprintf(w->open_order[d], sizeof(w->open_order[d]), "o-%d", w->orders++);
    o->order_id = pl_arena_dup(w->f.arena, w->open_order[d], strlen(w->open_order[d]) + 1);
    o->device_serial = dev;
    o->site_id = "st-1";
    o->priority = 1 + (r >> 12) % 3;
    /* A report more than 30 days old is refused. */
    o->reported_at_ms = now - (int64_t)((r >> 14) % 800) * PL_HOUR_MS;
    o->usage_reading = (r >> 20) % 1400;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED);
    e->repair_order_opened = o;
    put(w, w->station, e);
    return;
  }
  case 1: { /* respond */
    Partsledger__V1__RepairOrderResponded *o = NEW(
        w, Partsledger__V1__RepairOrderResponded, partsledger__v1__repair_order_responded__init);
    o->order_id = w->open_order[d];
    o->responded_at_ms = now;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED);
    e->repair_order_responded = o;
    put(w, w->station, e);
    return;
  }
  case 2: { /* replace the component's part, the removed serial right or wrong */
    Partsledger__V1__GetWarrantyStatusResponse *st;
    pl_reader *rd;
    char removed[32] = "";
    if (pl_reader_new(w->f.log, &rd) == 0 && pl_reader_begin(rd) == 0) {
      if (status(w, pl_reader_txn(rd), dev, comp, 0, 0, &st) == 0 &&
          st->part_serial != NULL)
        snprintf(removed, sizeof(removed), "%s", st->part_serial);
      pl_reader_end(rd);
      pl_reader_free(rd);
    }
    Partsledger__V1__PartReplaced *p =
        NEW(w, Partsledger__V1__PartReplaced, partsledger__v1__part_replaced__init);
    p->order_id = w->open_order[d];
    p->component = (char *)comp;
    p->removed_serial = (r >> 12) % 5 == 0 ? "wrong" : pl_arena_dup(w->f.arena, removed,
                                                                    strlen(removed) + 1);
    int listed = (r >> 13) % 2;
    p->installed_serial = str(w, listed ? "L-%d" : "O-%d", w->serial++ % (NSERIALS + 5));
    p->installed_batch_id = listed ? "b-listed" : "b-open";
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED);
    e->part_replaced = p;
    put(w, w->station, e);
    return;
  }
  case 3: { /* close */
    Partsledger__V1__RepairOrderClosed *o = NEW(w, Partsledger__V1__RepairOrderClosed,
                                                partsledger__v1__repair_order_closed__init);
    o->order_id = w->open_order[d];
    o->outcome = 1 + (r >> 12) % 4;
    o->resolved_at_ms = now;
    o->first_visit_fix = o->outcome == PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_FIXED;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED);
    e->repair_order_closed = o;
    put(w, w->station, e);
    return;
  }
  case 4: { /* file a claim on the open order */
    Partsledger__V1__ClaimFiled *c =
        NEW(w, Partsledger__V1__ClaimFiled, partsledger__v1__claim_filed__init);
    c->claim_id = str(w, "c-%d", w->claims++);
    c->device_serial = dev;
    c->order_id = w->open_order[d];
    c->component = (char *)comp;
    c->usage_reading = (r >> 14) % 1500;
    c->failure_at_ms = pl_cal_add_months(now, -(int64_t)((r >> 18) % 30));
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED);
    e->claim_filed = c;
    put(w, w->station, e);
    return;
  }
  case 5: { /* decide a claim, for any reason: the log keeps only honest ones */
    Partsledger__V1__ClaimDecided *c =
        NEW(w, Partsledger__V1__ClaimDecided, partsledger__v1__claim_decided__init);
    c->claim_id = str(w, "c-%d", w->claims ? (int)((r >> 12) % w->claims) : 0);
    c->reason = 1 + (r >> 16) % 10;
    c->decision = c->reason <= 2 ? PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_APPROVED
                                 : PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED;
    c->note = "judged";
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED);
    e->claim_decided = c;
    put(w, w->maker, e);
    return;
  }
  case 6: { /* extend, or dispute and rule */
    if ((r >> 12) % 2) {
      Partsledger__V1__WarrantyExtended *x = NEW(w, Partsledger__V1__WarrantyExtended,
                                                 partsledger__v1__warranty_extended__init);
      x->device_serial = dev;
      x->component = (r >> 13) % 3 == 0 ? "" : (char *)comp;
      x->months = 1 + (r >> 15) % 6;
      e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED);
      e->warranty_extended = x;
      put(w, w->maker, e);
      return;
    }
    const char *claim = str(w, "c-%d", w->claims ? (int)((r >> 14) % w->claims) : 0);
    Partsledger__V1__DisputeOpened *x =
        NEW(w, Partsledger__V1__DisputeOpened, partsledger__v1__dispute_opened__init);
    x->claim_id = (char *)claim;
    x->panel_id = "panel-1";
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED);
    e->dispute_opened = x;
    put(w, w->station, e);
    Partsledger__V1__ArbitrationRuled *ru =
        NEW(w, Partsledger__V1__ArbitrationRuled, partsledger__v1__arbitration_ruled__init);
    ru->claim_id = (char *)claim;
    ru->ruling = 1 + (r >> 20) % 2;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED);
    e->arbitration_ruled = ru;
    /* Alone, or with one co-signer: a quorum of two is met half the time. */
    pl_key *co[1] = {w->arbiter[1]};
    put_cosigned(w, w->arbiter[0], e, co, (r >> 21) % 2);
    return;
  }
  default:
    return;
  }
}

/* A decision the log holds with a reason of fact was judged against the
 * log as it was then. Later entries may still add to what had happened by
 * the failure time (a reading reported later but taken earlier, a later
 * rejection of an earlier failure), so ACTIVE, EXPIRED and NOT_REGISTERED
 * may read otherwise now; LATE_REGISTRATION, NOT_COVERED and
 * USAGE_EXCEEDED cannot be undone by anything logged later (a later
 * rejection may only make it VOID). Those must still hold. */
static int decisions_honest(world *w) {
  pl_reader *rd;
  if (pl_reader_new(w->f.log, &rd) != 0 || pl_reader_begin(rd) != 0)
    return 0;
  int ok = 1, checked = 0;
  char msg[PL_MSG_MAX];
  for (int i = 0; i < w->claims && ok; i++) {
    Partsledger__V1__Claim *c;
    char id[16];
    snprintf(id, sizeof(id), "c-%d", i);
    if (pl_query_claim(pl_reader_txn(rd), id, w->f.arena, &c, msg) != 0)
      continue; /* refused when filed */
    int stated = pl_rule_reason_status(c->reason);
    if (c->decided_index == 0 ||
        (stated != PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_LATE_REGISTRATION &&
         stated != PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_COVERED &&
         stated != PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_USAGE_EXCEEDED))
      continue;
    checked++;
    Partsledger__V1__GetWarrantyStatusResponse *st;
    if (status(w, pl_reader_txn(rd), c->device_serial, c->component, c->failure_at_ms,
               c->usage_reading, &st) != 0)
      ok = 0;
    else if ((int)st->status != stated &&
             st->status != PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_VOID) {
      fprintf(stderr, "claim %s decided %s, status now %s\n", id,
              pl_rule_status_name(stated), pl_rule_status_name(st->status));
      ok = 0;
    }
  }
  pl_reader_end(rd);
  pl_reader_free(rd);
  fprintf(stderr, "%d decisions of lasting fact checked\n", checked);
  return ok && checked > 0;
}

PL_TEST(random_run_replays_exactly_and_decisions_stay_honest) {
  world w;
  memset(&w, 0, sizeof(w));
  for (int d = 0; d < NDEVICES; d++)
    snprintf(w.open_order[d], sizeof(w.open_order[d]), "o-none");
  CHECK(setup(&w) == 0);
  unsigned seed = 777;
  for (int step = 0; step < 1500; step++) {
    seed = seed * 1103515245u + 12345u;
    pl_arena_reset(w.f.arena);
    random_step(&w, seed >> 1);
  }
  static const int kinds[] = {PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED,
                              PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED,
                              PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED,
                              PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED,
                              PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED,
                              PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED,
                              PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED,
                              PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED,
                              PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    fprintf(stderr, "kind %d: %d passed, %d refused\n", kinds[i], w.ok[kinds[i]],
            w.refused[kinds[i]]);
    CHECK(w.ok[kinds[i]] > 0);
    CHECK(w.refused[kinds[i]] > 0);
  }
  pl_arena_reset(w.f.arena);
  CHECK(decisions_honest(&w));
  uint64_t checked;
  char why[256];
  int rc = pl_log_check(w.f.log, &checked, NULL, NULL, why, sizeof(why));
  if (rc != 0)
    fprintf(stderr, "check: %s\n", why);
  CHECK_EQ(rc, 0);
  pl_key_free(w.maker);
  pl_key_free(w.station);
  for (int i = 0; i < 3; i++)
    pl_key_free(w.arbiter[i]);
  fx_done(&w.f);
}

PL_TEST_MAIN(PL_CASE(random_run_replays_exactly_and_decisions_stay_honest))
