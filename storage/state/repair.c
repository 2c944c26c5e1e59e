/*
 * state/repair.c - repair orders: the kinds repair_order_opened,
 * repair_order_responded, part_replaced and repair_order_closed, their SLA
 * deadlines, and the tables they keep:
 *
 *   repair_order  order -> RepairOrder, its replacements included
 *   order_site    site, reported_at, order -> "": a station's orders in
 *                 the order they were reported (StationReport)
 *
 * An order moves OPEN -> RESPONDED -> CLOSED and never back; an OPEN one
 * may also be closed as CANCELLED. Its times are the station's signed
 * statements, kept in order against each other and the log time.
 */
#include <string.h>

#include "caltime.h"
#include "error.h"
#include "state.h"

#define PL__REPORT_MAX_AGE_MS (30 * PL_DAY_MS)

int pl_order_get(pl_txn *t, const char *order_id, pl_arena *arena,
                 Partsledger__V1__RepairOrder **out) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, order_id);
  return pl_row_get(t, PL_T_ORDER, &k, &partsledger__v1__repair_order__descriptor, arena,
                    (ProtobufCMessage **)out);
}

int pl_order_put(pl_apply *a, const Partsledger__V1__RepairOrder *o) {
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(&k, o->order_id);
  return pl_row_put(a->txn, PL_T_ORDER, &k, &o->base, a->arena);
}

void pl_sla_deadlines(int priority, int64_t reported_at_ms, int64_t *respond_by,
                      int64_t *resolve_by) {
  switch (priority) {
  case PARTSLEDGER__V1__PRIORITY__PRIORITY_P1:
    *respond_by = reported_at_ms + 2 * PL_HOUR_MS;
    *resolve_by = reported_at_ms + 24 * PL_HOUR_MS;
    break;
  case PARTSLEDGER__V1__PRIORITY__PRIORITY_P2:
    *respond_by = reported_at_ms + 4 * PL_HOUR_MS;
    *resolve_by = reported_at_ms + 72 * PL_HOUR_MS;
    break;
  default: /* P3: clock hours to respond, working days to resolve */
    *respond_by = reported_at_ms + 8 * PL_HOUR_MS;
    *resolve_by = pl_cal_add_working_days(reported_at_ms, 5);
    break;
  }
}

/* An order an entry acts on: it exists, and the signer works at its site. */
static int pl__order_require(pl_apply *a, const char *order_id,
                             Partsledger__V1__RepairOrder **out) {
  int rc = pl_order_get(a->txn, order_id, a->arena, out);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "repair order %s does not exist", order_id);
  if (rc != 0)
    return rc;
  return pl_actor_require_site(a, (*out)->site_id);
}

static const char *pl__state_name(int state) {
  switch (state) {
  case PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_OPEN:
    return "open";
  case PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_RESPONDED:
    return "responded";
  default:
    return "closed";
  }
}

/* --- repair_order_opened ------------------------------------------------------ */

int pl_repair_order_opened_check(pl_apply *a, const Partsledger__V1__RepairOrderOpened *b) {
  Partsledger__V1__RepairOrder *old;
  int rc = pl_actor_require_site(a, b->site_id);
  if (rc != 0)
    return rc;
  if ((rc = pl_order_get(a->txn, b->order_id, a->arena, &old)) == 0)
    return pl_fail(a->msg, PL_EEXIST, "repair order %s already exists", b->order_id);
  if (rc != PL_ENOTFOUND)
    return rc;
  if (b->reported_at_ms > a->at_ms || a->at_ms - b->reported_at_ms > PL__REPORT_MAX_AGE_MS)
    return pl_fail(a->msg, PL_EINVAL,
                   "repair_order_opened: reported_at_ms must lie in the 30 days up to the "
                   "log time (%lld)", (long long)a->at_ms);
  return pl_site_require(a, b->site_id);
}

int pl_repair_order_opened_write(pl_apply *a, const Partsledger__V1__RepairOrderOpened *b) {
  Partsledger__V1__RepairOrder o = PARTSLEDGER__V1__REPAIR_ORDER__INIT;
  o.order_id = b->order_id;
  o.device_serial = b->device_serial;
  o.site_id = b->site_id;
  o.priority = b->priority;
  o.fault = b->fault;
  o.reported_at_ms = b->reported_at_ms;
  o.usage_reading = b->usage_reading;
  o.state = PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_OPEN;
  o.opened_index = a->index;
  pl_sla_deadlines(b->priority, b->reported_at_ms, &o.respond_by_ms, &o.resolve_by_ms);
  int rc = pl_order_put(a, &o);
  pl_key_buf k;
  pl_kb_init(&k);
  pl_kb_str(pl_kb_u64(pl_kb_str(&k, b->site_id), (uint64_t)b->reported_at_ms), b->order_id);
  if (rc == 0)
    rc = pl_kv_put(a->txn, PL_T_ORDER_SITE, &k, "", 0);
  if (rc == 0)
    rc = pl_reading_put(a, b->device_serial, b->reported_at_ms, b->usage_reading);
  if (rc == 0)
    rc = pl_device_fact(a, b->device_serial, "repair_order_opened", b->site_id, "", "");
  return rc;
}

/* --- repair_order_responded ---------------------------------------------------- */

int pl_repair_order_responded_check(pl_apply *a,
                                    const Partsledger__V1__RepairOrderResponded *b) {
  Partsledger__V1__RepairOrder *o;
  int rc = pl__order_require(a, b->order_id, &o);
  if (rc != 0)
    return rc;
  if (o->state != PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_OPEN)
    return pl_fail(a->msg, PL_ESTATE, "repair order %s is %s, not open", b->order_id,
                   pl__state_name(o->state));
  if (b->responded_at_ms < o->reported_at_ms || b->responded_at_ms > a->at_ms)
    return pl_fail(a->msg, PL_EINVAL,
                   "repair_order_responded: responded_at_ms must lie between the report "
                   "(%lld) and the log time (%lld)",
                   (long long)o->reported_at_ms, (long long)a->at_ms);
  a->scratch = o;
  return 0;
}

int pl_repair_order_responded_write(pl_apply *a,
                                    const Partsledger__V1__RepairOrderResponded *b) {
  Partsledger__V1__RepairOrder *o = a->scratch;
  o->state = PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_RESPONDED;
  o->responded_at_ms = b->responded_at_ms;
  o->responded_index = a->index;
  int rc = pl_order_put(a, o);
  if (rc == 0)
    rc = pl_device_fact(a, o->device_serial, "repair_order_responded", o->site_id, "", "");
  return rc;
}

/* --- part_replaced ---------------------------------------------------------------- */

typedef struct {
  Partsledger__V1__RepairOrder *o;
  Partsledger__V1__Batch *batch;            /* the installed part's */
  Partsledger__V1__DevicePart *removed;     /* what the device held, or NULL */
  Partsledger__V1__Reservation *reservation; /* the one it names, or NULL */
} pl__replace;

int pl_part_replaced_check(pl_apply *a, const Partsledger__V1__PartReplaced *b) {
  pl__replace *x = pl_arena_alloc(a->arena, sizeof(*x));
  if (x == NULL)
    return PL_ENOMEM;
  memset(x, 0, sizeof(*x));
  int rc = pl__order_require(a, b->order_id, &x->o);
  if (rc != 0)
    return rc;
  if (x->o->state == PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_CLOSED)
    return pl_fail(a->msg, PL_ESTATE, "repair order %s is closed", b->order_id);
  rc = pl_install_current(a->txn, x->o->device_serial, b->component, a->arena, &x->removed);
  if (rc == PL_ENOTFOUND)
    x->removed = NULL;
  else if (rc != 0)
    return rc;
  const char *holds = x->removed != NULL ? x->removed->part_serial : "";
  if (strcmp(holds, b->removed_serial) != 0)
    return pl_fail(a->msg, PL_ESTATE, "device %s holds %s%s for component %s, not %s",
                   x->o->device_serial, holds[0] ? "part " : "no part", holds,
                   b->component, b->removed_serial[0] ? b->removed_serial : "none");
  if ((rc = pl_install_check(a, b->installed_serial, b->installed_batch_id, 0, &x->batch)) !=
      0)
    return rc;
  if (b->reservation_id[0] != '\0') {
    Partsledger__V1__Reservation *r;
    rc = pl_reservation_get(a->txn, b->reservation_id, a->arena, &r);
    if (rc == PL_ENOTFOUND)
      return pl_fail(a->msg, PL_ENOTFOUND, "reservation %s does not exist",
                     b->reservation_id);
    if (rc != 0)
      return rc;
    if (r->state != PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_FULFILLED ||
        strcmp(r->repair_order_id, b->order_id) != 0 ||
        strcmp(r->fulfilled_batch_id, b->installed_batch_id) != 0)
      return pl_fail(a->msg, PL_ESTATE,
                     "reservation %s is not fulfilled for order %s from batch %s",
                     b->reservation_id, b->order_id, b->installed_batch_id);
    if (r->installed >= r->fulfilled_quantity)
      return pl_fail(a->msg, PL_ESTATE,
                     "the %llu units reservation %s fulfilled are installed already",
                     (unsigned long long)r->fulfilled_quantity, b->reservation_id);
    x->reservation = r;
  }
  a->scratch = x;
  return 0;
}

int pl_part_replaced_write(pl_apply *a, const Partsledger__V1__PartReplaced *b) {
  pl__replace *x = a->scratch;
  Partsledger__V1__RepairOrder *o = x->o;
  Partsledger__V1__DevicePart part = PARTSLEDGER__V1__DEVICE_PART__INIT;
  part.component = b->component;
  part.part_serial = b->installed_serial;
  part.batch_id = b->installed_batch_id;
  part.installed_index = a->index;
  part.installed_at_ms = a->at_ms;
  part.by_replacement = 1;
  const char *removed_batch = x->removed != NULL ? x->removed->batch_id : "";
  int rc = pl_install_put(a, o->device_serial, &part, b->removed_serial, removed_batch);

  /* The order lists its replacements. */
  Partsledger__V1__Replacement *rep = pl_arena_alloc(a->arena, sizeof(*rep));
  Partsledger__V1__Replacement **reps =
      pl_arena_alloc(a->arena, (o->n_replacements + 1) * sizeof(*reps));
  if (rep == NULL || reps == NULL)
    return PL_ENOMEM;
  partsledger__v1__replacement__init(rep);
  rep->index = a->index;
  rep->component = b->component;
  rep->removed_serial = b->removed_serial;
  rep->installed_serial = b->installed_serial;
  rep->installed_batch_id = b->installed_batch_id;
  rep->reservation_id = b->reservation_id;
  rep->at_ms = a->at_ms;
  if (o->n_replacements)
    memcpy(reps, o->replacements, o->n_replacements * sizeof(*reps));
  reps[o->n_replacements++] = rep;
  o->replacements = reps;
  if (rc == 0)
    rc = pl_order_put(a, o);
  if (rc == 0 && x->reservation != NULL) {
    pl_key_buf k;
    x->reservation->installed++;
    pl_kb_init(&k);
    pl_kb_str(&k, x->reservation->reservation_id);
    rc = pl_row_put(a->txn, PL_T_RESERVATION, &k, &x->reservation->base, a->arena);
  }

  /* The histories: the device's, both parts', both batches'. */
  if (rc == 0)
    rc = pl_device_fact(a, o->device_serial, "part_replaced", o->site_id,
                        b->installed_serial, b->component);
  if (rc == 0)
    rc = pl_part_fact_installed(a, b->installed_serial, x->batch, "part_replaced",
                                o->device_serial, b->component);
  if (rc == 0 && x->removed != NULL)
    rc = pl_part_fact(a, b->removed_serial, a->index, "part_replaced", o->device_serial,
                      removed_batch, b->component);
  int same = strcmp(removed_batch, b->installed_batch_id) == 0;
  if (rc == 0)
    rc = pl_trace_fact(a, b->installed_batch_id, "part_replaced", o->site_id, "",
                       same ? 0 : 1);
  if (rc == 0 && x->removed != NULL && !same)
    rc = pl_trace_fact(a, removed_batch, "part_replaced", o->site_id, "", -1);
  return rc;
}

/* --- repair_order_closed ------------------------------------------------------------ */

int pl_repair_order_closed_check(pl_apply *a, const Partsledger__V1__RepairOrderClosed *b) {
  Partsledger__V1__RepairOrder *o;
  int rc = pl__order_require(a, b->order_id, &o);
  if (rc != 0)
    return rc;
  if (o->state == PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_CLOSED)
    return pl_fail(a->msg, PL_ESTATE, "repair order %s is closed already", b->order_id);
  if (o->state == PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_OPEN &&
      b->outcome != PARTSLEDGER__V1__REPAIR_OUTCOME__REPAIR_OUTCOME_CANCELLED)
    return pl_fail(a->msg, PL_ESTATE,
                   "repair order %s was never responded to: it can only be cancelled",
                   b->order_id);
  int64_t from = o->state == PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_RESPONDED
                     ? o->responded_at_ms
                     : o->reported_at_ms;
  if (b->resolved_at_ms < from || b->resolved_at_ms > a->at_ms)
    return pl_fail(a->msg, PL_EINVAL,
                   "repair_order_closed: resolved_at_ms must lie between %lld and the log "
                   "time (%lld)", (long long)from, (long long)a->at_ms);
  a->scratch = o;
  return 0;
}

int pl_repair_order_closed_write(pl_apply *a, const Partsledger__V1__RepairOrderClosed *b) {
  Partsledger__V1__RepairOrder *o = a->scratch;
  o->state = PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_CLOSED;
  o->outcome = b->outcome;
  o->resolved_at_ms = b->resolved_at_ms;
  o->first_visit_fix = b->first_visit_fix;
  o->customer_acceptance_sha256 = b->customer_acceptance_sha256;
  o->closed_index = a->index;
  int rc = pl_order_put(a, o);
  if (rc == 0)
    rc = pl_device_fact(a, o->device_serial, "repair_order_closed", o->site_id, "", "");
  return rc;
}
