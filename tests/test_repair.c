/*
 * test_repair.c - integration tests of repair orders against the real
 * partsledgerd: who may act on an order, its fields and times, its states,
 * SLA deadlines and their MET / BREACHED / PENDING (the P3 weekend rule, and
 * across a restart and a rebuild), replacements and the reservations they
 * consume, and a station's report.
 *
 * Times are built relative to the clock ("reported 3 hours ago"), since the
 * server takes an entry's log time from its own clock; every boundary a case
 * asserts is hours away from the moment of the query, except where the case
 * places a step exactly on its deadline, and in sla_judged_at_query_time,
 * whose deadline is 20 s ahead so that the case can watch it pass.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "wty.h"

#define ORDER_OPEN PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_OPEN
#define ORDER_RESPONDED PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_RESPONDED
#define ORDER_CLOSED PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_CLOSED
#define RES_STATION PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION

/* The fixture, the catalogue, and device D1 bought 100 days ago. */
static int setup(wty *w) {
  if (wty_start(w) != 0 || wty_catalogue(w) != 0 ||
      wty_std_device(w, "D1", wty_now() - 100 * DAY) != 0) {
    fprintf(stderr, "setup: %s\n", w->msg);
    return -1;
  }
  return 0;
}

/* `t` plus `n` working days, stepping a day at a time from t's own day and
 * counting Monday to Friday, as the issue states the rule. */
static int64_t working_days(int64_t t, int n) {
  while (n > 0) {
    t += DAY;
    if (wty_weekday(t) < 5)
      n--;
  }
  return t;
}

/* The latest day of weekday `wd` (0 Monday) at hh:00 UTC that lies at least
 * `min_age` before now. */
static int64_t last_weekday(int wd, unsigned hh, int64_t min_age) {
  int64_t now = wty_now();
  int64_t t = now / DAY * DAY + (int64_t)hh * HOUR;
  while (t > now - min_age || wty_weekday(t) != wd)
    t -= DAY;
  return t;
}

/* --- an order's life ------------------------------------------------------- */

PL_TEST(order_lifecycle) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  Partsledger__V1__RepairOrder *o;
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - 3 * HOUR, 120), OK);
  uint64_t opened = w.index;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->state, ORDER_OPEN);
  CHECK_STR(o->device_serial, "D1");
  CHECK_STR(o->site_id, "S1");
  CHECK_EQ(o->priority, P2);
  CHECK_EQ(o->reported_at_ms, now - 3 * HOUR);
  CHECK_EQ(o->usage_reading, 120);
  CHECK_EQ(o->opened_index, opened);
  CHECK_EQ(o->n_replacements, 0);

  CHECK_CODE(&w, wty_respond(&w, w.st1, "O1", now - 2 * HOUR), OK);
  uint64_t responded = w.index;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->state, ORDER_RESPONDED);
  CHECK_EQ(o->responded_at_ms, now - 2 * HOUR);
  CHECK_EQ(o->responded_index, responded);

  int64_t before = wty_now();
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "", 32), OK);
  int64_t after = wty_now();
  uint64_t replaced = w.index;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->state, ORDER_RESPONDED);
  CHECK_EQ(o->n_replacements, 1);
  CHECK_EQ(o->replacements[0]->index, replaced);
  CHECK_STR(o->replacements[0]->component, "battery");
  CHECK_STR(o->replacements[0]->removed_serial, "D1-bat");
  CHECK_STR(o->replacements[0]->installed_serial, "N1");
  CHECK_STR(o->replacements[0]->installed_batch_id, "BB");
  CHECK(o->replacements[0]->at_ms >= before && o->replacements[0]->at_ms <= after);

  int64_t resolved = wty_now() - 1;
  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", OUT_FIXED, resolved, 1), OK);
  uint64_t closed = w.index;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->state, ORDER_CLOSED);
  CHECK_EQ(o->outcome, OUT_FIXED);
  CHECK(o->first_visit_fix);
  CHECK_EQ(o->resolved_at_ms, resolved);
  CHECK_EQ(o->closed_index, closed);
  CHECK_EQ(o->customer_acceptance_sha256.len, 32);
  CHECK_EQ(o->n_replacements, 1);

  /* The device holds the new battery; its screen is the registration's. */
  Partsledger__V1__Device *d;
  CHECK_CODE(&w, wty_get_device(&w, "D1", &d), OK);
  CHECK_EQ(d->n_parts, 2);
  int seen = 0;
  for (size_t i = 0; i < d->n_parts; i++) {
    const Partsledger__V1__DevicePart *p = d->parts[i];
    if (strcmp(p->component, "battery") == 0) {
      CHECK_STR(p->part_serial, "N1");
      CHECK_STR(p->batch_id, "BB");
      CHECK(p->by_replacement);
      CHECK_EQ(p->installed_index, replaced);
      seen |= 1;
    } else {
      CHECK_STR(p->component, "screen");
      CHECK_STR(p->part_serial, "D1-scr");
      CHECK(!p->by_replacement);
      CHECK_EQ(p->installed_index, d->registered_index);
      seen |= 2;
    }
  }
  CHECK_EQ(seen, 3);
  CHECK_CODE(&w, wty_get_order(&w, "NO-SUCH-ORDER", &o), NOT_FOUND);
  wty_stop(&w);
}

/* Only a repair station bound to the order's site acts on it. */
PL_TEST(order_roles) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_open(&w, w.mfr, "O1", "D1", "S1", P2, now - HOUR, 0), DENIED);
  CHECK_CODE(&w, wty_open(&w, w.st2, "O1", "D1", "S1", P2, now - HOUR, 0), DENIED);
  CHECK_CODE(&w, wty_open(&w, w.wh, "O1", "D1", "S1", P2, now - HOUR, 0), DENIED);
  CHECK_CODE(&w, wty_open(&w, w.admin, "O1", "D1", "S1", P2, now - HOUR, 0), DENIED);
  CHECK_EQ(tree_size(&w.e), size);
  Partsledger__V1__RepairOrder *o;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), NOT_FOUND);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - HOUR, 0), OK);
  uint64_t opened = w.index;

  size = tree_size(&w.e);
  CHECK_CODE(&w, wty_respond(&w, w.st2, "O1", now - HOUR), DENIED);
  CHECK_CODE(&w, wty_respond(&w, w.mfr, "O1", now - HOUR), DENIED);
  CHECK_CODE(&w, wty_replace(&w, w.st2, "O1", "battery", "D1-bat", "N1", "BB", "", 0),
             DENIED);
  CHECK_CODE(&w, wty_replace(&w, w.mfr, "O1", "battery", "D1-bat", "N1", "BB", "", 0),
             DENIED);
  CHECK_CODE(&w, wty_close(&w, w.st2, "O1", OUT_CANCELLED, now - HOUR, 0), DENIED);
  CHECK_CODE(&w, wty_claim(&w, w.st2, "C1", "D1", "O1", "battery", 0, now - HOUR), DENIED);
  CHECK_CODE(&w, wty_claim(&w, w.mfr, "C1", "D1", "O1", "battery", 0, now - HOUR), DENIED);
  /* None of it landed: the order is as opened, the claim does not exist and
   * the device still holds its own battery. */
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->state, ORDER_OPEN);
  CHECK_EQ(o->opened_index, opened);
  CHECK_EQ(o->responded_index, 0);
  CHECK_EQ(o->closed_index, 0);
  CHECK_EQ(o->n_replacements, 0);
  Partsledger__V1__Claim *c;
  CHECK_CODE(&w, wty_get_claim(&w, "C1", &c), NOT_FOUND);
  Partsledger__V1__Device *d;
  CHECK_CODE(&w, wty_get_device(&w, "D1", &d), OK);
  for (size_t i = 0; i < d->n_parts; i++)
    if (strcmp(d->parts[i]->component, "battery") == 0)
      CHECK_STR(d->parts[i]->part_serial, "D1-bat");

  /* A second station of the same site may carry the order on. */
  pl_key *st1b;
  CHECK_CODE(&w, wty_enroll(&w, RES_STATION, "S1", &st1b), OK);
  CHECK_CODE(&w, wty_respond(&w, st1b, "O1", now - HOUR), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "", 0), OK);
  CHECK_CODE(&w, wty_close(&w, st1b, "O1", OUT_FIXED, now - HOUR, 0), OK);
  pl_key_free(st1b);
  wty_stop(&w);
}

PL_TEST(order_fields_invalid) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t r = wty_now() - HOUR;
  char long_id[66];
  memset(long_id, 'o', 65);
  long_id[65] = '\0';
  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O 1", "D1", "S1", P2, r, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, "", "D1", "S1", P2, r, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, long_id, "D1", "S1", P2, r, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "", "S1", P2, r, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D 1", "S1", P2, r, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", 0, r, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", 7, r, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, 0, 0), INVALID);
  long_id[64] = '\0'; /* 64 bytes is the longest id */
  CHECK_CODE(&w, wty_open(&w, w.st1, long_id, "D1", "S1", P2, r, 0), OK);
  CHECK_EQ(tree_size(&w.e), size + 1);

  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, r, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O 1", r), INVALID);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O1", r), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", 0, r, 0), INVALID);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", 9, r, 0), INVALID);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", OUT_NOT_FIXED, r, 1), INVALID);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", OUT_REPLACED, r, 1), INVALID);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", OUT_CANCELLED, r, 1), INVALID);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", OUT_FIXED, r, 1), OK);
  wty_stop(&w);
}

/* reported <= responded <= resolved <= log time, the report at most 30
 * days old. */
PL_TEST(order_times) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now + HOUR, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - 31 * DAY, 0), INVALID);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - 29 * DAY, 0), OK);

  CHECK_CODE(&w, wty_open(&w, w.st1, "O2", "D1", "S1", P2, now - 5 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O2", now - 5 * HOUR - 1), INVALID);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O2", wty_now() + HOUR), INVALID);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O2", now - 4 * HOUR), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O2", OUT_FIXED, now - 4 * HOUR - 1, 0), INVALID);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O2", OUT_FIXED, wty_now() + HOUR, 0), INVALID);
  /* Resolved the moment it was responded to. */
  CHECK_CODE(&w, wty_close(&w, w.st1, "O2", OUT_FIXED, now - 4 * HOUR, 0), OK);

  /* Cancelled from OPEN: resolved no earlier than reported. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "O3", "D1", "S1", P1, now - 5 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O3", OUT_CANCELLED, now - 5 * HOUR - 1, 0), INVALID);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O3", OUT_CANCELLED, wty_now() + HOUR, 0), INVALID);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O3", OUT_CANCELLED, now - 5 * HOUR, 0), OK);

  /* Responded the moment it was reported. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "O4", "D1", "S1", P1, now - 2 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O4", now - 2 * HOUR), OK);
  wty_stop(&w);
}

/* OPEN -> RESPONDED -> CLOSED, never back; OPEN -> CLOSED only as
 * CANCELLED; ids are unique; unknown orders are not found. */
PL_TEST(order_states) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - 3 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - 3 * HOUR, 0), EXISTS);
  CHECK_CODE(&w, wty_open(&w, w.st2, "O1", "D1", "S2", P2, now - 3 * HOUR, 0), EXISTS);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O1", now - 2 * HOUR), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O1", now - HOUR), PRECONDITION);

  CHECK_CODE(&w, wty_open(&w, w.st1, "O2", "D1", "S1", P2, now - 3 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O2", OUT_FIXED, now - HOUR, 0), PRECONDITION);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O2", OUT_NOT_FIXED, now - HOUR, 0), PRECONDITION);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O2", OUT_REPLACED, now - HOUR, 0), PRECONDITION);
  /* A replacement needs an order not yet closed: an open one will do. */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O2", "case", "", "CASE1", "BC", "", 0), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O2", OUT_CANCELLED, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O2", now - HOUR), PRECONDITION);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O2", OUT_CANCELLED, now - HOUR, 0), PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O2", "case", "CASE1", "CASE2", "BC", "", 0),
             PRECONDITION);

  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", OUT_NOT_FIXED, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "O1", OUT_FIXED, now - HOUR, 0), PRECONDITION);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "O1", now - HOUR), PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "", 0),
             PRECONDITION);
  Partsledger__V1__RepairOrder *o;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->state, ORDER_CLOSED);
  CHECK_EQ(o->outcome, OUT_NOT_FIXED);
  CHECK_CODE(&w, wty_get_order(&w, "O2", &o), OK);
  CHECK_EQ(o->state, ORDER_CLOSED);
  CHECK_EQ(o->outcome, OUT_CANCELLED);
  CHECK_EQ(o->n_replacements, 1);

  CHECK_CODE(&w, wty_respond(&w, w.st1, "NOPE", now - HOUR), NOT_FOUND);
  CHECK_CODE(&w, wty_close(&w, w.st1, "NOPE", OUT_CANCELLED, now - HOUR, 0), NOT_FOUND);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "NOPE", "battery", "D1-bat", "N1", "BB", "", 0),
             NOT_FOUND);
  wty_stop(&w);
}

/* An order's steps in one AppendBatch: each entry sees the ones before it,
 * and one refused in the middle leaves the others alone. */
PL_TEST(order_steps_in_one_batch) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  int codes[16];
  size_t n;
  wty_collect(&w);
  wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - 2 * HOUR, 0);
  wty_close(&w, w.st1, "O1", OUT_FIXED, now - HOUR, 1); /* not responded yet */
  wty_respond(&w, w.st1, "O1", now - 3 * HOUR);        /* before the report */
  wty_respond(&w, w.st1, "O1", now - HOUR);
  wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "", 0);
  wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N2", "BB", "", 0); /* N1 is in */
  wty_close(&w, w.st1, "O1", OUT_FIXED, now - HOUR / 2, 1);
  wty_claim(&w, w.st1, "C1", "D1", "O1", "battery", 0, now - 2 * HOUR);
  wty_decide(&w, w.mfr, "C1", APPROVED, R_IN_TERM, "");
  CHECK_CODE(&w, wty_send(&w, codes, 16, &n), OK);
  const int want[] = {OK, PRECONDITION, INVALID, OK, OK, PRECONDITION, OK, OK, OK};
  CHECK_EQ(n, sizeof(want) / sizeof(want[0]));
  for (size_t i = 0; i < n; i++) {
    if (codes[i] != want[i])
      fprintf(stderr, "entry %zu: got %s, want %s\n", i, wty_code_name(codes[i]),
              wty_code_name(want[i]));
    CHECK_EQ(codes[i], want[i]);
  }
  Partsledger__V1__RepairOrder *o;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->state, ORDER_CLOSED);
  CHECK_EQ(o->n_replacements, 1);
  CHECK_EQ(o->responded_at_ms, now - HOUR);
  Partsledger__V1__Claim *c;
  CHECK_CODE(&w, wty_get_claim(&w, "C1", &c), OK);
  CHECK_EQ(c->decided_index, w.index);
  wty_stop(&w);
}

/* --- SLA -------------------------------------------------------------------- */

PL_TEST(sla_deadlines_by_priority) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t r = wty_now() - HOUR;
  Partsledger__V1__RepairOrder *o;
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P1, r, 0), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O2", "D1", "S1", P2, r, 0), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O3", "D1", "S1", P3, r, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->respond_by_ms, r + 2 * HOUR);
  CHECK_EQ(o->resolve_by_ms, r + 24 * HOUR);
  CHECK_CODE(&w, wty_get_order(&w, "O2", &o), OK);
  CHECK_EQ(o->respond_by_ms, r + 4 * HOUR);
  CHECK_EQ(o->resolve_by_ms, r + 72 * HOUR);
  CHECK_CODE(&w, wty_get_order(&w, "O3", &o), OK);
  CHECK_EQ(o->respond_by_ms, r + 8 * HOUR); /* clock hours, even for P3 */
  CHECK_EQ(o->resolve_by_ms, working_days(r, 5));
  wty_stop(&w);
}

/* P3 resolves in 5 working days stepped from the reported day: Saturday
 * 10:00 is due the next Friday 10:00, as is Sunday; Friday and Monday are
 * due a week later; the time of day is kept. */
PL_TEST(sla_p3_weekend_rule) {
  wty w;
  CHECK(setup(&w) == 0);
  Partsledger__V1__RepairOrder *o;
  int64_t sat = last_weekday(5, 10, HOUR);
  CHECK_CODE(&w, wty_open(&w, w.st1, "SAT", "D1", "S1", P3, sat, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "SAT", &o), OK);
  CHECK_EQ(o->resolve_by_ms, sat + 6 * DAY);
  CHECK_EQ(wty_weekday(o->resolve_by_ms), 4);
  CHECK_EQ(o->respond_by_ms, sat + 8 * HOUR);

  int64_t sat_late = last_weekday(5, 23, HOUR) + 30 * 60000;
  CHECK_CODE(&w, wty_open(&w, w.st1, "SAT2330", "D1", "S1", P3, sat_late, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "SAT2330", &o), OK);
  CHECK_EQ(o->resolve_by_ms, sat_late + 6 * DAY);

  int64_t sun = last_weekday(6, 10, HOUR);
  CHECK_CODE(&w, wty_open(&w, w.st1, "SUN", "D1", "S1", P3, sun, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "SUN", &o), OK);
  CHECK_EQ(o->resolve_by_ms, sun + 5 * DAY);

  int64_t fri = last_weekday(4, 10, HOUR);
  CHECK_CODE(&w, wty_open(&w, w.st1, "FRI", "D1", "S1", P3, fri, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "FRI", &o), OK);
  CHECK_EQ(o->resolve_by_ms, fri + 7 * DAY);

  int64_t mon = last_weekday(0, 10, HOUR);
  CHECK_CODE(&w, wty_open(&w, w.st1, "MON", "D1", "S1", P3, mon, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "MON", &o), OK);
  CHECK_EQ(o->resolve_by_ms, mon + 7 * DAY);

  /* The deadline decides MET and BREACHED: an order reported on a Saturday
   * whose Friday has passed, resolved on Thursday afternoon (five days and
   * five hours later, past five calendar days) is MET; resolved on Friday
   * one minute past 10:00 it is BREACHED. */
  int64_t old_sat = last_weekday(5, 10, 6 * DAY + HOUR);
  CHECK_CODE(&w, wty_open(&w, w.st1, "W1", "D1", "S1", P3, old_sat, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "W1", old_sat + HOUR), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "W1", OUT_FIXED, old_sat + 5 * DAY + 5 * HOUR, 1), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "W2", "D1", "S1", P3, old_sat, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "W2", old_sat + HOUR), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "W2", OUT_FIXED, old_sat + 6 * DAY + 60000, 1), OK);
  CHECK_CODE(&w, wty_get_order(&w, "W1", &o), OK);
  CHECK_EQ(o->resolve_by_ms, old_sat + 6 * DAY);
  CHECK_EQ(o->response_sla, SLA_MET);
  CHECK_EQ(o->resolution_sla, SLA_MET);
  CHECK_CODE(&w, wty_get_order(&w, "W2", &o), OK);
  CHECK_EQ(o->resolution_sla, SLA_BREACHED);
  wty_stop(&w);
}

PL_TEST(sla_met_breached_pending) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  Partsledger__V1__RepairOrder *o;
  /* Not responded, the response deadline passed; resolution still due. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "A", "D1", "S1", P1, now - 3 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "A", &o), OK);
  CHECK_EQ(o->response_sla, SLA_BREACHED);
  CHECK_EQ(o->resolution_sla, SLA_PENDING);
  /* Responded exactly at the deadline: MET. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "B", "D1", "S1", P1, now - 3 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "B", now - HOUR), OK);
  CHECK_CODE(&w, wty_get_order(&w, "B", &o), OK);
  CHECK_EQ(o->response_sla, SLA_MET);
  CHECK_EQ(o->resolution_sla, SLA_PENDING);
  /* Responded a millisecond late. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "C", "D1", "S1", P2, now - 6 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "C", now - 2 * HOUR + 1), OK);
  CHECK_CODE(&w, wty_get_order(&w, "C", &o), OK);
  CHECK_EQ(o->response_sla, SLA_BREACHED);
  /* Resolved exactly at the deadline, and an hour past it. */
  int64_t r = now - 30 * HOUR;
  CHECK_CODE(&w, wty_open(&w, w.st1, "D", "D1", "S1", P1, r, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "D", r + HOUR), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "D", OUT_FIXED, r + 24 * HOUR, 1), OK);
  CHECK_CODE(&w, wty_get_order(&w, "D", &o), OK);
  CHECK_EQ(o->response_sla, SLA_MET);
  CHECK_EQ(o->resolution_sla, SLA_MET);
  CHECK_CODE(&w, wty_open(&w, w.st1, "E", "D1", "S1", P1, r, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "E", r + HOUR), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "E", OUT_NOT_FIXED, r + 25 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "E", &o), OK);
  CHECK_EQ(o->resolution_sla, SLA_BREACHED);
  /* Not resolved, the deadline passed. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "F", "D1", "S1", P1, r, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "F", r + HOUR), OK);
  CHECK_CODE(&w, wty_get_order(&w, "F", &o), OK);
  CHECK_EQ(o->response_sla, SLA_MET);
  CHECK_EQ(o->resolution_sla, SLA_BREACHED);
  /* Just reported. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "G", "D1", "S1", P3, wty_now() - 60000, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "G", &o), OK);
  CHECK_EQ(o->response_sla, SLA_PENDING);
  CHECK_EQ(o->resolution_sla, SLA_PENDING);
  wty_stop(&w);
}

/* SLA figures are judged at the query: a deadline 20 s ahead (room for a
 * slow machine to open the order and ask) is PENDING, and BREACHED once it
 * has passed with nothing done. */
PL_TEST(sla_judged_at_query_time) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t r = wty_now() - 2 * HOUR + 20000;
  Partsledger__V1__RepairOrder *o;
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P1, r, 0), OK);
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->respond_by_ms, r + 2 * HOUR);
  CHECK_EQ(o->response_sla, SLA_PENDING);
  Partsledger__V1__StationReportResponse *rep;
  CHECK_CODE(&w, wty_report(&w, "S1", r - DAY, r + DAY, &rep), OK);
  CHECK_EQ(rep->response_breaches, 0);
  while (wty_now() <= r + 2 * HOUR + 10)
    nanosleep(&(struct timespec){0, 100000000}, NULL);
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->response_sla, SLA_BREACHED);
  CHECK_EQ(o->resolution_sla, SLA_PENDING);
  CHECK_CODE(&w, wty_report(&w, "S1", r - DAY, r + DAY, &rep), OK);
  CHECK_EQ(rep->response_breaches, 1);
  wty_stop(&w);
}

/* What an order's SLA says, to compare before and after. */
typedef struct {
  int state, response, resolution;
  int64_t respond_by, resolve_by, responded_at, resolved_at;
  size_t replacements;
  uint64_t opened, responded, closed;
} sla_view;

static int sla_get(wty *w, const char *order, sla_view *v) {
  Partsledger__V1__RepairOrder *o;
  if (wty_get_order(w, order, &o) != 0)
    return -1;
  *v = (sla_view){o->state,          o->response_sla,  o->resolution_sla, o->respond_by_ms,
                  o->resolve_by_ms,  o->responded_at_ms, o->resolved_at_ms,
                  o->n_replacements, o->opened_index,  o->responded_index, o->closed_index};
  return 0;
}

static int sla_same(const sla_view *a, const sla_view *b) {
  return a->state == b->state && a->response == b->response &&
         a->resolution == b->resolution && a->respond_by == b->respond_by &&
         a->resolve_by == b->resolve_by && a->responded_at == b->responded_at &&
         a->resolved_at == b->resolved_at && a->replacements == b->replacements &&
         a->opened == b->opened && a->responded == b->responded && a->closed == b->closed;
}

/* An order's SLA is the log's: the same after a restart and after the
 * derived state is rebuilt from the leaves alone. */
PL_TEST(sla_across_restart_and_rebuild) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  const char *orders[] = {"A", "C", "D", "SAT"};
  enum { N = 4 };
  CHECK_CODE(&w, wty_open(&w, w.st1, "A", "D1", "S1", P1, now - 3 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "C", "D1", "S1", P2, now - 6 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "C", now - HOUR), OK);
  int64_t r = now - 30 * HOUR;
  CHECK_CODE(&w, wty_open(&w, w.st1, "D", "D1", "S1", P1, r, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, w.st1, "D", r + HOUR), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "D", "battery", "D1-bat", "N1", "BB", "", 32), OK);
  CHECK_CODE(&w, wty_close(&w, w.st1, "D", OUT_FIXED, r + 20 * HOUR, 1), OK);
  /* At least 8 days old, so that its deadline (6 days later, over the
   * weekend) passed before the first snapshot: nothing about it changes
   * with the clock between the snapshots. */
  int64_t sat = last_weekday(5, 10, 8 * DAY);
  CHECK_CODE(&w, wty_open(&w, w.st1, "SAT", "D1", "S1", P3, sat, 0), OK);

  sla_view before[N], after[N];
  for (int i = 0; i < N; i++)
    CHECK(sla_get(&w, orders[i], &before[i]) == 0);
  CHECK_EQ(before[0].response, SLA_BREACHED);
  CHECK_EQ(before[0].resolution, SLA_PENDING);
  CHECK_EQ(before[1].response, SLA_BREACHED);
  CHECK_EQ(before[2].response, SLA_MET);
  CHECK_EQ(before[2].resolution, SLA_MET);
  CHECK_EQ(before[2].replacements, 1);
  CHECK_EQ(before[3].resolve_by, sat + 6 * DAY);
  CHECK_EQ(before[3].resolution, SLA_BREACHED);
  Partsledger__V1__StationReportResponse *rep0, *rep1;
  CHECK_CODE(&w, wty_report(&w, "S1", now - 20 * DAY, now, &rep0), OK);
  CHECK_EQ(rep0->orders_opened, 4);

  CHECK(wty_restart(&w) == 0);
  for (int i = 0; i < N; i++) {
    CHECK(sla_get(&w, orders[i], &after[i]) == 0);
    CHECK(sla_same(&before[i], &after[i]));
  }
  CHECK(wty_rebuild(&w) == 0);
  for (int i = 0; i < N; i++) {
    CHECK(sla_get(&w, orders[i], &after[i]) == 0);
    CHECK(sla_same(&before[i], &after[i]));
  }
  CHECK_CODE(&w, wty_report(&w, "S1", now - 20 * DAY, now, &rep1), OK);
  CHECK_EQ(rep1->orders_opened, rep0->orders_opened);
  CHECK_EQ(rep1->orders_closed, rep0->orders_closed);
  CHECK_EQ(rep1->response_breaches, rep0->response_breaches);
  CHECK_EQ(rep1->resolution_breaches, rep0->resolution_breaches);
  CHECK_EQ(rep1->parts_replaced, rep0->parts_replaced);
  CHECK_EQ(rep1->p80_response_ms, rep0->p80_response_ms);

  /* The order goes on from the rebuilt state: a late response is late. */
  CHECK_CODE(&w, wty_respond(&w, w.st1, "A", wty_now() - 1), OK);
  CHECK(sla_get(&w, "A", &after[0]) == 0);
  CHECK_EQ(after[0].state, ORDER_RESPONDED);
  CHECK_EQ(after[0].response, SLA_BREACHED);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "A", "battery", "D1-bat", "N2", "BB", "", 0),
             PRECONDITION); /* N1 is in its place since D's replacement */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "A", "battery", "N1", "N2", "BB", "", 0), OK);
  wty_stop(&w);
}

/* --- replacements ----------------------------------------------------------- */

PL_TEST(replacement_rules) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  const char *listed[] = {"L1", "L2"};
  CHECK_CODE(&w, wty_std_device(&w, "D2", now - 50 * DAY), OK);
  CHECK_CODE(&w, wty_batch(&w, "BL", "SKU-BAT", ORIGINAL, 12, 10, listed, 2), OK);
  CHECK_CODE(&w, wty_batch(&w, "BR", "SKU-BAT", ORIGINAL, 12, 10, NULL, 0), OK);
  CHECK_CODE(&w, wty_recall(&w, "BR"), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - HOUR, 0), OK);

  uint64_t size = tree_size(&w.e);
  /* The part removed must be the one the device holds there. */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "WRONG", "N1", "BB", "", 0),
             PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "", "N1", "BB", "", 0),
             PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D2-bat", "N1", "BB", "", 0),
             PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-scr", "N1", "BB", "", 0),
             PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "case", "X", "CASE1", "BC", "", 0),
             PRECONDITION);
  /* Malformed. */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "D1-bat", "BB", "", 0),
             INVALID);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "", "D1-bat", "N1", "BB", "", 0), INVALID);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "", "BB", "", 0), INVALID);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N 1", "BB", "", 0),
             INVALID);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "", "", 0), INVALID);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "", 31),
             INVALID);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "", 33),
             INVALID);
  /* The installed part: its batch registered, not recalled, its serial on
   * the batch's list when there is one, in no device already. */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "NOPE", "", 0),
             NOT_FOUND);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BR", "", 0),
             PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "L9", "BL", "", 0),
             PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "D2-bat", "BB", "", 0),
             PRECONDITION);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "D2-scr", "BS", "", 0),
             PRECONDITION);
  CHECK_EQ(tree_size(&w.e), size); /* nothing written */

  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "L1", "BL", "", 32), OK);
  /* A component the device had no part for: removed_serial "". */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "case", "", "CASE1", "BC", "", 0), OK);
  /* The removed part is free again; the installed one is taken. */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "L1", "D1-bat", "BB", "", 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "case", "CASE1", "L1", "BL", "", 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "screen", "D1-scr", "L1", "BL", "", 0),
             PRECONDITION);
  Partsledger__V1__RepairOrder *o;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->n_replacements, 4);
  CHECK_STR(o->replacements[3]->removed_serial, "CASE1");
  CHECK_STR(o->replacements[3]->installed_serial, "L1");
  Partsledger__V1__Device *d;
  CHECK_CODE(&w, wty_get_device(&w, "D1", &d), OK);
  CHECK_EQ(d->n_parts, 3);

  /* A device nobody registered is repaired all the same. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "O9", "GHOST", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O9", "battery", "", "N9", "BB", "", 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O9", "battery", "", "N10", "BB", "", 0),
             PRECONDITION);
  wty_stop(&w);
}

/* A named reservation must be FULFILLED for this order from the installed
 * batch, and each unit it fulfilled installs once. */
PL_TEST(replacement_reservations) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_receive(&w, w.st1, "S1", "BB", 10), OK);
  CHECK_CODE(&w, wty_receive(&w, w.st1, "S1", "BA", 5), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O2", "D1", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_reserve(&w, w.st1, "R1", "S1", "SKU-BAT", 1, "BB", "O1"), OK);
  CHECK_CODE(&w, wty_fulfil(&w, w.st1, "R1", "BB", 1), OK);
  CHECK_CODE(&w, wty_reserve(&w, w.st1, "R2", "S1", "SKU-BAT", 2, "", "O1"), OK);
  CHECK_CODE(&w, wty_fulfil(&w, w.st1, "R2", "BB", 2), OK);
  CHECK_CODE(&w, wty_reserve(&w, w.st1, "R3", "S1", "SKU-BAT", 1, "BB", "O2"), OK);
  CHECK_CODE(&w, wty_fulfil(&w, w.st1, "R3", "BB", 1), OK);
  CHECK_CODE(&w, wty_reserve(&w, w.st1, "R4", "S1", "SKU-BAT", 1, "BB", "O1"), OK);
  CHECK_CODE(&w, wty_reserve(&w, w.st1, "R5", "S1", "SKU-BAT", 1, "", "O1"), OK);
  CHECK_CODE(&w, wty_fulfil(&w, w.st1, "R5", "BA", 1), OK);
  CHECK_CODE(&w, wty_reserve(&w, w.st1, "R6", "S1", "SKU-BAT", 1, "BB", ""), OK);
  CHECK_CODE(&w, wty_fulfil(&w, w.st1, "R6", "BB", 1), OK);
  /* Two reserved, one fulfilled: one unit installs. */
  CHECK_CODE(&w, wty_reserve(&w, w.st1, "R7", "S1", "SKU-BAT", 2, "BB", "O2"), OK);
  CHECK_CODE(&w, wty_fulfil(&w, w.st1, "R7", "BB", 1), OK);

  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "NOPE", 0),
             NOT_FOUND);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "R4", 0),
             PRECONDITION); /* still active */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "R3", 0),
             PRECONDITION); /* for O2 */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "R6", 0),
             PRECONDITION); /* for no order */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BA", "R1", 0),
             PRECONDITION); /* fulfilled from BB */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "R5", 0),
             PRECONDITION); /* fulfilled from BA */
  CHECK_EQ(tree_size(&w.e), size);

  Partsledger__V1__Reservation *res;
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "D1-bat", "N1", "BB", "R1", 0), OK);
  CHECK_CODE(&w, wty_get_reservation(&w, "R1", &res), OK);
  CHECK_EQ(res->installed, 1);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "N1", "N2", "BB", "R1", 0),
             PRECONDITION); /* its one unit is in */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "N1", "N2", "BB", "R2", 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "N2", "N3", "BB", "R2", 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "N3", "N4", "BB", "R2", 0),
             PRECONDITION);
  CHECK_CODE(&w, wty_get_reservation(&w, "R2", &res), OK);
  CHECK_EQ(res->installed, 2);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "N3", "A1", "BA", "R5", 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O2", "battery", "A1", "N5", "BB", "R3", 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O2", "battery", "N5", "N6", "BB", "R7", 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O2", "battery", "N6", "N7", "BB", "R7", 0),
             PRECONDITION);
  Partsledger__V1__RepairOrder *o;
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), OK);
  CHECK_EQ(o->n_replacements, 4);
  CHECK_STR(o->replacements[0]->reservation_id, "R1");
  CHECK_STR(o->replacements[3]->reservation_id, "R5");
  wty_stop(&w);
}

/* --- the station report --------------------------------------------------- */

PL_TEST(station_report) {
  wty w;
  CHECK(setup(&w) == 0);
  const int64_t t0 = wty_now();
  const int64_t from = t0 - 10 * DAY, to = t0 - HOUR;
  const pl_key *st = w.st2;
  /* R1: responded in 1 h, fixed on the first visit, a part, an approval. */
  CHECK_CODE(&w, wty_open(&w, st, "R1", "D1", "S2", P2, from, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, st, "R1", from + HOUR), OK);
  CHECK_CODE(&w, wty_replace(&w, st, "R1", "battery", "D1-bat", "N1", "BB", "", 0), OK);
  CHECK_CODE(&w, wty_close(&w, st, "R1", OUT_FIXED, from + 2 * HOUR, 1), OK);
  CHECK_CODE(&w, wty_claim(&w, st, "C1", "D1", "R1", "battery", 0, from), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", APPROVED, R_GOODWILL, ""), OK);
  /* R2: 2 h, fixed but not on the first visit, resolved past 72 h; a
   * rejection. */
  int64_t r2 = t0 - 9 * DAY;
  CHECK_CODE(&w, wty_open(&w, st, "R2", "D1", "S2", P2, r2, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, st, "R2", r2 + 2 * HOUR), OK);
  CHECK_CODE(&w, wty_close(&w, st, "R2", OUT_FIXED, r2 + 80 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_claim(&w, st, "C2", "D1", "R2", "screen", 0, r2), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C2", REJECTED, R_HUMAN_DAMAGE, ""), OK);
  /* R3: 3 h, not fixed. */
  int64_t r3 = t0 - 8 * DAY;
  CHECK_CODE(&w, wty_open(&w, st, "R3", "D1", "S2", P2, r3, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, st, "R3", r3 + 3 * HOUR), OK);
  CHECK_CODE(&w, wty_close(&w, st, "R3", OUT_NOT_FIXED, r3 + 10 * HOUR, 0), OK);
  /* R4: 5 h (late), still open past its resolve deadline; a part; a claim
   * not decided. */
  int64_t r4 = t0 - 7 * DAY;
  CHECK_CODE(&w, wty_open(&w, st, "R4", "D1", "S2", P2, r4, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, st, "R4", r4 + 5 * HOUR), OK);
  CHECK_CODE(&w, wty_replace(&w, st, "R4", "battery", "N1", "N2", "BB", "", 0), OK);
  CHECK_CODE(&w, wty_claim(&w, st, "C4", "D1", "R4", "battery", 0, r4), OK);
  /* R5: 4 h, exactly on its deadline; resolution not yet due. */
  int64_t r5 = t0 - 6 * HOUR;
  CHECK_CODE(&w, wty_open(&w, st, "R5", "D1", "S2", P2, r5, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, st, "R5", r5 + 4 * HOUR), OK);
  /* R6: P1 not responded in 5 h: a response breach, resolution not due. */
  CHECK_CODE(&w, wty_open(&w, st, "R6", "D1", "S2", P1, t0 - 5 * HOUR, 0), OK);
  /* Left out: R7 cancelled, R8 before `from`, R9 at `to`, and S1's order. */
  CHECK_CODE(&w, wty_open(&w, st, "R7", "D1", "S2", P1, t0 - 6 * DAY, 0), OK);
  CHECK_CODE(&w, wty_close(&w, st, "R7", OUT_CANCELLED, t0 - 6 * DAY + HOUR, 0), OK);
  CHECK_CODE(&w, wty_open(&w, st, "R8", "D1", "S2", P1, from - 1, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, st, "R8", from + 10 * HOUR), OK);
  CHECK_CODE(&w, wty_claim(&w, st, "C8", "D1", "R8", "battery", 0, from - 1), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C8", APPROVED, R_GOODWILL, ""), OK);
  CHECK_CODE(&w, wty_open(&w, st, "R9", "D1", "S2", P1, to, 0), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "S1-1", "D1", "S1", P1, t0 - 2 * DAY, 0), OK);

  Partsledger__V1__StationReportResponse *r;
  CHECK_CODE(&w, wty_report(&w, "S2", from, to, &r), OK);
  CHECK_EQ(r->orders_opened, 6);
  CHECK_EQ(r->orders_closed, 3);
  CHECK(fabs(r->first_visit_fix_rate - 1.0 / 3.0) < 1e-9);
  CHECK_EQ(r->orders_responded, 5);
  CHECK(fabs(r->mean_response_ms - 3.0 * HOUR) < 1e-6);
  CHECK_EQ(r->p80_response_ms, 4 * HOUR); /* of 1, 2, 3, 4, 5 h: rank 4 */
  CHECK_EQ(r->response_breaches, 2);      /* R4 late, R6 not responded */
  CHECK_EQ(r->resolution_breaches, 2);    /* R2 late, R4 not resolved */
  CHECK_EQ(r->open_past_deadline, 1);     /* R4 */
  CHECK_EQ(r->parts_replaced, 2);
  CHECK_EQ(r->claims_filed, 3);
  CHECK_EQ(r->claims_approved, 1);
  CHECK_EQ(r->claims_rejected, 1);

  /* A window holding nothing, and unknown sites. */
  CHECK_CODE(&w, wty_report(&w, "S2", t0 - 29 * DAY, t0 - 20 * DAY, &r), OK);
  CHECK_EQ(r->orders_opened, 0);
  CHECK_EQ(r->orders_responded, 0);
  CHECK_EQ(r->p80_response_ms, 0);
  CHECK(r->first_visit_fix_rate == 0.0);
  CHECK_CODE(&w, wty_report(&w, "S3", from, to, &r), NOT_FOUND);
  wty_stop(&w);
}

/* Sites and orders whose ids share a prefix keep their own figures. */
PL_TEST(station_report_ids_sharing_a_prefix) {
  wty w;
  CHECK(setup(&w) == 0);
  pl_key *st10;
  CHECK_CODE(&w, wty_site(&w, "S10"), OK);
  CHECK_CODE(&w, wty_enroll(&w, RES_STATION, "S10", &st10), OK);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_open(&w, w.st1, "R1", "D1", "S1", P2, now - 3 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_open(&w, st10, "R10", "D1", "S10", P2, now - 3 * HOUR, 0), OK);
  CHECK_CODE(&w, wty_respond(&w, st10, "R10", now - 2 * HOUR), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C1", "D1", "R1", "battery", 0, now - 3 * HOUR), OK);
  CHECK_CODE(&w, wty_claim(&w, st10, "C10", "D1", "R10", "battery", 0, now - 3 * HOUR), OK);
  CHECK_CODE(&w, wty_claim(&w, st10, "C11", "D1", "R10", "screen", 0, now - 3 * HOUR), OK);
  Partsledger__V1__StationReportResponse *r;
  CHECK_CODE(&w, wty_report(&w, "S1", now - DAY, now, &r), OK);
  CHECK_EQ(r->orders_opened, 1);
  CHECK_EQ(r->orders_responded, 0);
  CHECK_EQ(r->claims_filed, 1);
  CHECK_CODE(&w, wty_report(&w, "S10", now - DAY, now, &r), OK);
  CHECK_EQ(r->orders_opened, 1);
  CHECK_EQ(r->orders_responded, 1);
  CHECK_EQ(r->claims_filed, 2);
  pl_key_free(st10);
  wty_stop(&w);
}

PL_TEST_MAIN(PL_CASE(order_lifecycle), PL_CASE(order_roles), PL_CASE(order_fields_invalid),
             PL_CASE(order_times), PL_CASE(order_states), PL_CASE(order_steps_in_one_batch),
             PL_CASE(sla_deadlines_by_priority), PL_CASE(sla_p3_weekend_rule),
             PL_CASE(sla_met_breached_pending), PL_CASE(sla_judged_at_query_time),
             PL_CASE(sla_across_restart_and_rebuild), PL_CASE(replacement_rules),
             PL_CASE(replacement_reservations), PL_CASE(station_report),
             PL_CASE(station_report_ids_sharing_a_prefix))
