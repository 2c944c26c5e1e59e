/*
 * test_warranty.c - integration tests of warranty against the real
 * partsledgerd: policies and device registrations, the warranty status the
 * ledger computes (terms by calendar months at month ends and leap days,
 * usage or time whichever first, a part's own term outliving the device's,
 * late registration, VOID, NOT_COVERED), extensions, claims, and honest
 * decisions (a dishonest rejection refused).
 *
 * Term ends are computed here (wty_add_months, or literal dates) and
 * compared with the server's coverage_ends_at_ms to the millisecond.
 */
#include <string.h>
#include <time.h>

#include "wty.h"

#define CLAIM_FILED PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_FILED
#define CLAIM_APPROVED PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_APPROVED
#define CLAIM_REJECTED PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_REJECTED

static int setup(wty *w) {
  if (wty_start(w) != 0 || wty_catalogue(w) != 0) {
    fprintf(stderr, "setup: %s\n", w->msg);
    return -1;
  }
  return 0;
}

/* A device of model X1 under `policy` with no parts, by the manufacturer. */
static int bare_device(wty *w, const char *serial, const char *policy, int64_t purchased) {
  return wty_device(w, w->mfr, serial, "X1", policy, purchased, 0, NULL, 0);
}

/* An order at S1 reported `ago` before now, and a claim on `component`. */
static int order_and_claim(wty *w, const char *order, const char *claim, const char *device,
                           const char *component, uint64_t reading, int64_t failure_at) {
  int rc = wty_open(w, w->st1, order, device, "S1", P2, wty_now() - HOUR, 0);
  if (rc == 0)
    rc = wty_claim(w, w->st1, claim, device, order, component, reading, failure_at);
  return rc;
}

/* --- policies and devices --------------------------------------------------- */

PL_TEST(policy_rules) {
  wty w;
  CHECK(setup(&w) == 0);
  const wty_term ok[] = {{"battery", 24, 0, ""}};
  const wty_term zero[] = {{"battery", 0, 0, ""}};
  const wty_term twice[] = {{"battery", 24, 0, ""}, {"battery", 12, 0, ""}};
  const wty_term unnamed[] = {{"", 24, 0, ""}};
  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_policy(&w, w.st1, "P1", "X2", 0, 0, ok, 1), DENIED);
  CHECK_CODE(&w, wty_policy(&w, w.wh, "P1", "X2", 0, 0, ok, 1), DENIED);
  CHECK_CODE(&w, wty_policy(&w, w.admin, "P1", "X2", 0, 0, ok, 1), DENIED);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1", "X2", 0, 0, zero, 1), INVALID);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1", "X2", 0, 0, twice, 2), INVALID);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1", "X2", 0, 0, unnamed, 1), INVALID);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1", "", 0, 0, ok, 1), INVALID);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P 1", "X2", 0, 0, ok, 1), INVALID);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "", "X2", 0, 0, ok, 1), INVALID);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1", "X2", 3651, 0, ok, 1), INVALID);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1", "X2", 3650, 0, ok, 1), OK);
  /* Immutable: a new version is a new policy_id. */
  size = tree_size(&w.e);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1", "X2", 0, 0, ok, 1), EXISTS);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1", "X3", 0, 6, twice, 1), EXISTS);
  CHECK_EQ(tree_size(&w.e), size);
  /* P1 is still as first published: for X2, not X3; a window of 3650 days,
   * not the default 30 (a purchase months ago is not late); battery 24
   * months. */
  int64_t bought = wty_mid_month_ago(3);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "DX3", "X3", "P1", bought, 0, NULL, 0), PRECONDITION);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "DX2", "X2", "P1", bought, 0, NULL, 0), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "DX2", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_EQ(st->coverage_ends_at_ms, wty_add_months(bought, 24));
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P1-v2", "X2", 0, 0, ok, 1), OK);
  /* A policy of no terms covers nothing. */
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P0", "X1", 0, 0, NULL, 0), OK);
  CHECK_CODE(&w, bare_device(&w, "D0", "P0", wty_now() - DAY), OK);
  CHECK_EQ(wty_st(&w, "D0", "battery", 0, 0), ST_NOT_COVERED);
  wty_stop(&w);
}

PL_TEST(device_rules) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  const char *listed[] = {"L1", "L2"};
  CHECK_CODE(&w, wty_batch(&w, "BL", "SKU-BAT", ORIGINAL, 12, 10, listed, 2), OK);
  const wty_part p1[] = {{"battery", "P-1", "BB"}};
  const wty_part nobatch[] = {{"battery", "P-1", "NOPE"}};
  const wty_part comp2[] = {{"battery", "P-1", "BB"}, {"battery", "P-2", "BB"}};
  const wty_part part2[] = {{"battery", "P-1", "BB"}, {"screen", "P-1", "BS"}};
  const wty_part unlisted[] = {{"battery", "L9", "BL"}};
  const wty_part onlist[] = {{"battery", "L2", "BL"}};
  const wty_part taken[] = {{"screen", "P-1", "BS"}};
  int64_t p = now - 10 * DAY;

  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_device(&w, w.wh, "D1", "X1", "POL", p, 32, p1, 1), DENIED);
  CHECK_CODE(&w, wty_device(&w, w.admin, "D1", "X1", "POL", p, 32, p1, 1), DENIED);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X9", "POL", p, 32, p1, 1), PRECONDITION);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "NOPE", p, 32, p1, 1), NOT_FOUND);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", p, 32, nobatch, 1), NOT_FOUND);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", p, 31, p1, 1), INVALID);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", p, 33, p1, 1), INVALID);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", p, 32, comp2, 2), INVALID);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", p, 32, part2, 2), INVALID);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "", "POL", p, 32, p1, 1), INVALID);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D 1", "X1", "POL", p, 32, p1, 1), INVALID);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", wty_now() + HOUR, 32, p1, 1),
             INVALID);
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", p, 32, unlisted, 1),
             PRECONDITION);
  CHECK_EQ(tree_size(&w.e), size);

  int64_t before = wty_now();
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", p, 32, p1, 1), OK);
  int64_t after = wty_now();
  uint64_t reg = w.index;
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", p, 0, NULL, 0), EXISTS);
  /* A part sits in one device at a time. */
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D2", "X1", "POL", p, 0, taken, 1), PRECONDITION);
  /* A repair station registers at sale; owner_ref may be left out. */
  CHECK_CODE(&w, wty_device(&w, w.st2, "D2", "X1", "POL", p, 0, onlist, 1), OK);
  CHECK_CODE(&w, wty_device(&w, w.st1, "D3", "X1", "POL", p, 0, NULL, 0), OK);

  Partsledger__V1__Device *d;
  CHECK_CODE(&w, wty_get_device(&w, "D1", &d), OK);
  CHECK_STR(d->device_serial, "D1");
  CHECK_STR(d->model, "X1");
  CHECK_STR(d->policy_id, "POL");
  CHECK_EQ(d->purchased_at_ms, p);
  CHECK_EQ(d->owner_ref.len, 32);
  CHECK_EQ(d->registered_index, reg);
  CHECK(d->registered_at_ms >= before && d->registered_at_ms <= after);
  CHECK_EQ(d->n_parts, 1);
  CHECK_STR(d->parts[0]->component, "battery");
  CHECK_STR(d->parts[0]->part_serial, "P-1");
  CHECK_STR(d->parts[0]->batch_id, "BB");
  CHECK_EQ(d->parts[0]->installed_index, reg);
  CHECK_EQ(d->parts[0]->installed_at_ms, d->registered_at_ms);
  CHECK(!d->parts[0]->by_replacement);
  CHECK_EQ(d->n_extensions, 0);
  CHECK_CODE(&w, wty_get_device(&w, "D2", &d), OK);
  CHECK_EQ(d->owner_ref.len, 0);

  /* Unknown devices: GetDevice does not find them, the status says so. */
  CHECK_CODE(&w, wty_get_device(&w, "NOPE", &d), NOT_FOUND);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "NOPE", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_NOT_REGISTERED);
  CHECK(st->n_reasons > 0);
  CHECK_CODE(&w, wty_status(&w, "", "battery", 0, 0, &st), INVALID);
  CHECK_CODE(&w, wty_status(&w, "D1", "", 0, 0, &st), INVALID);
  wty_stop(&w);
}

/* --- terms by the calendar ---------------------------------------------------- */

/* Bought 13 months ago, a 12-month term: EXPIRED now, ACTIVE six months
 * ago; the term ends at purchase + 12 months to the millisecond. */
PL_TEST(status_expired_now_active_then) {
  wty w;
  CHECK(setup(&w) == 0);
  const wty_term terms[] = {{"battery", 12, 0, ""}};
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P12", "X1", 3650, 0, terms, 1), OK);
  int64_t p = wty_mid_month_ago(13);
  const wty_part parts[] = {{"battery", "E1-bat", "BB"}};
  CHECK_CODE(&w, wty_device(&w, w.mfr, "E1", "X1", "P12", p, 32, parts, 1), OK);
  int64_t end = wty_add_months(p, 12);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  int64_t before = wty_now();
  CHECK_CODE(&w, wty_status(&w, "E1", "battery", 0, 0, &st), OK);
  CHECK(st->at_ms >= before && st->at_ms <= wty_now());
  CHECK_EQ(st->status, ST_EXPIRED);
  CHECK_EQ(st->coverage_ends_at_ms, end);
  CHECK_EQ(st->device_term_ends_at_ms, end);
  CHECK_EQ(st->part_term_ends_at_ms, 0);
  CHECK_STR(st->term_source, "device");
  CHECK_STR(st->policy_id, "P12");
  CHECK_STR(st->part_serial, "E1-bat");
  CHECK_STR(st->batch_id, "BB");
  CHECK_EQ(st->part_class, ORIGINAL);
  CHECK(st->n_reasons > 0);
  int64_t then = wty_add_months(wty_now(), -6);
  CHECK_CODE(&w, wty_status(&w, "E1", "battery", then, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_EQ(st->at_ms, then);
  CHECK_EQ(st->coverage_ends_at_ms, end);
  CHECK_EQ(wty_st(&w, "E1", "battery", end - 1, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "E1", "battery", end, 0), ST_EXPIRED);
  wty_stop(&w);
}

/* The policy MONTHS: components one, three and thirteen of that many
 * months; extensions up to 12. */
static int months_policy(wty *w) {
  const wty_term terms[] = {{"one", 1, 0, ""}, {"three", 3, 0, ""}, {"thirteen", 13, 0, ""}};
  return wty_policy(w, w->mfr, "MONTHS", "X1", 3650, 12, terms, 3);
}

/* The latest `m`/`d` hh:mm UTC before now whose year passes `year_ok`
 * (NULL: any). */
static int64_t last_date(unsigned m, unsigned d, unsigned hh, unsigned mm,
                         int (*year_ok)(int64_t)) {
  int64_t y, now = wty_now();
  unsigned cm, cd;
  wty_date(now, &y, &cm, &cd);
  for (;; y--)
    if ((year_ok == NULL || year_ok(y)) && wty_civil(y, m, d, hh, mm) < now - HOUR)
      return wty_civil(y, m, d, hh, mm);
}

/* Jan 31 + 1 month is Feb 28 (29 in a leap year), + 3 is Apr 30, + 13 is
 * Feb 28/29 of the next year; the time of day is kept; Mar 31 + 1 is Apr 30. */
PL_TEST(month_end_jan31) {
  wty w;
  CHECK(setup(&w) == 0);
  CHECK_CODE(&w, months_policy(&w), OK);
  int64_t jan31 = last_date(1, 31, 10, 0, NULL), y;
  unsigned m, d;
  wty_date(jan31, &y, &m, &d);
  CHECK_CODE(&w, bare_device(&w, "J1", "MONTHS", jan31), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  int64_t feb_end = wty_civil(y, 2, wty_leap(y) ? 29 : 28, 10, 0);
  CHECK_CODE(&w, wty_status(&w, "J1", "one", jan31 + DAY, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_EQ(st->coverage_ends_at_ms, feb_end);
  CHECK_EQ(wty_st(&w, "J1", "one", feb_end - 1, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "J1", "one", feb_end, 0), ST_EXPIRED);
  CHECK_CODE(&w, wty_status(&w, "J1", "three", jan31 + DAY, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_civil(y, 4, 30, 10, 0));
  CHECK_CODE(&w, wty_status(&w, "J1", "thirteen", jan31 + DAY, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_civil(y + 1, 2, wty_leap(y + 1) ? 29 : 28, 10, 0));

  /* Late in the day: the time is kept, the day clamped. */
  int64_t late = last_date(1, 31, 23, 30, NULL);
  wty_date(late, &y, &m, &d);
  CHECK_CODE(&w, bare_device(&w, "J2", "MONTHS", late), OK);
  CHECK_CODE(&w, wty_status(&w, "J2", "one", late, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_civil(y, 2, wty_leap(y) ? 29 : 28, 23, 30));

  int64_t mar31 = last_date(3, 31, 8, 15, NULL);
  wty_date(mar31, &y, &m, &d);
  CHECK_CODE(&w, bare_device(&w, "J3", "MONTHS", mar31), OK);
  CHECK_CODE(&w, wty_status(&w, "J3", "one", mar31, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_civil(y, 4, 30, 8, 15));
  wty_stop(&w);
}

/* Bought on Feb 29: + 12 months is Feb 28, + 1 is Mar 29, + 48 is Feb 29
 * again. Jan 31 + 1 month in a leap year is Feb 29. */
PL_TEST(leap_day) {
  wty w;
  CHECK(setup(&w) == 0);
  const wty_term terms[] = {
      {"one", 1, 0, ""}, {"twelve", 12, 0, ""}, {"fortyeight", 48, 0, ""}};
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "LEAP", "X1", 3650, 0, terms, 3), OK);
  int64_t feb29 = last_date(2, 29, 10, 0, wty_leap), y;
  unsigned m, d;
  wty_date(feb29, &y, &m, &d);
  CHECK_EQ(m, 2);
  CHECK_EQ(d, 29);
  CHECK_CODE(&w, bare_device(&w, "F29", "LEAP", feb29), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  int64_t end12 = wty_civil(y + 1, 2, 28, 10, 0);
  CHECK_CODE(&w, wty_status(&w, "F29", "twelve", feb29, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_EQ(st->coverage_ends_at_ms, end12);
  CHECK_EQ(wty_st(&w, "F29", "twelve", end12 - 1, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "F29", "twelve", end12, 0), ST_EXPIRED);
  CHECK_CODE(&w, wty_status(&w, "F29", "one", feb29, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_civil(y, 3, 29, 10, 0));
  CHECK_CODE(&w, wty_status(&w, "F29", "fortyeight", feb29, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_civil(y + 4, 2, 29, 10, 0));

  int64_t jan31 = wty_civil(y, 1, 31, 10, 0);
  CHECK_CODE(&w, bare_device(&w, "J31", "LEAP", jan31), OK);
  int64_t feb29_end = wty_civil(y, 2, 29, 10, 0);
  CHECK_CODE(&w, wty_status(&w, "J31", "one", jan31, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, feb29_end);
  CHECK_EQ(wty_st(&w, "J31", "one", feb29_end - 1, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "J31", "one", feb29_end, 0), ST_EXPIRED);
  wty_stop(&w);
}

/* Extensions add to the term as one number of months: Jan 31 + (13 + 1)
 * months is Mar 31, not Feb 28 + 1 month = Mar 28. */
PL_TEST(extension_months_added_as_one) {
  wty w;
  CHECK(setup(&w) == 0);
  CHECK_CODE(&w, months_policy(&w), OK);
  int64_t jan31 = last_date(1, 31, 10, 0, NULL), y;
  unsigned m, d;
  wty_date(jan31, &y, &m, &d);
  CHECK_CODE(&w, bare_device(&w, "J1", "MONTHS", jan31), OK);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "J1", "thirteen", 1), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "J1", "thirteen", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_EQ(st->coverage_ends_at_ms, wty_civil(y + 1, 3, 31, 10, 0));
  wty_stop(&w);
}

/* --- registration window ---------------------------------------------------- */

PL_TEST(late_registration) {
  wty w;
  CHECK(setup(&w) == 0);
  const wty_term terms[] = {{"battery", 24, 0, ""}};
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "PDEF", "X1", 0, 0, terms, 1), OK);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P10", "X1", 10, 0, terms, 1), OK);
  int64_t now = wty_now();
  CHECK_CODE(&w, bare_device(&w, "L31", "PDEF", now - 31 * DAY), OK);
  CHECK_CODE(&w, bare_device(&w, "L29", "PDEF", now - 29 * DAY), OK);
  CHECK_CODE(&w, bare_device(&w, "L11", "P10", now - 11 * DAY), OK);
  CHECK_CODE(&w, bare_device(&w, "L9", "P10", now - 9 * DAY), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "L31", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_LATE);
  CHECK(st->n_reasons > 0);
  /* Late is late at any moment, even within the term. */
  CHECK_EQ(wty_st(&w, "L31", "battery", now - 20 * DAY, 0), ST_LATE);
  CHECK_EQ(wty_st(&w, "L29", "battery", 0, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "L11", "battery", 0, 0), ST_LATE);
  CHECK_EQ(wty_st(&w, "L9", "battery", 0, 0), ST_ACTIVE);
  /* What lateness is judged from: the purchase as registered, and the
   * registration's log time more than the default 30 days after it. */
  Partsledger__V1__Device *d;
  CHECK_CODE(&w, wty_get_device(&w, "L31", &d), OK);
  CHECK_STR(d->policy_id, "PDEF");
  CHECK_EQ(d->purchased_at_ms, now - 31 * DAY);
  CHECK(d->registered_at_ms >= now);
  CHECK(d->registered_at_ms - d->purchased_at_ms > 30 * DAY);
  wty_stop(&w);
}

/* --- usage ------------------------------------------------------------------- */

/* The battery's term (24 months or 1000 cycles) ends at whichever comes
 * first: a reading that reaches the limit ends it from the reading's time. */
PL_TEST(usage_or_time_whichever_first) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_std_device(&w, "U1", now - 100 * DAY), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "U1", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_EQ(st->usage_limit, 1000);
  CHECK_STR(st->usage_unit, "cycles");
  /* The query's own reading. */
  CHECK_EQ(wty_st(&w, "U1", "battery", 0, 999), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "U1", "battery", 0, 1000), ST_USAGE);
  /* An order's reading: from its report on, not before. */
  int64_t r = now - 10 * DAY;
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "U1", "S1", P2, now - 20 * DAY, 500), OK);
  CHECK_EQ(wty_st(&w, "U1", "battery", 0, 0), ST_ACTIVE);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O2", "U1", "S1", P2, r, 1200), OK);
  CHECK_CODE(&w, wty_status(&w, "U1", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_USAGE);
  CHECK_EQ(st->device_term_ends_at_ms, r);
  CHECK_EQ(st->coverage_ends_at_ms, r);
  CHECK_EQ(wty_st(&w, "U1", "battery", r - 1, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "U1", "battery", r, 0), ST_USAGE);
  /* The screen's term has no usage limit. */
  CHECK_EQ(wty_st(&w, "U1", "screen", 0, 0), ST_ACTIVE);

  /* Time first: past 24 months with readings under the limit, EXPIRED; and
   * EXPIRED too once both have ended. */
  int64_t p = wty_mid_month_ago(25);
  int64_t end = wty_add_months(p, 24);
  CHECK_CODE(&w, wty_std_device(&w, "U2", p), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O3", "U2", "S1", P2, now - 5 * DAY, 900), OK);
  CHECK_EQ(wty_st(&w, "U2", "battery", 0, 0), ST_EXPIRED);
  CHECK_CODE(&w, wty_std_device(&w, "U3", p), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O4", "U3", "S1", P2, now - 5 * DAY, 1500), OK);
  CHECK_CODE(&w, wty_status(&w, "U3", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_EXPIRED);
  CHECK_EQ(st->coverage_ends_at_ms, end);
  /* Before the time ran out, a reading at the limit was usage alone. */
  CHECK_EQ(wty_st(&w, "U3", "battery", end - DAY, 1000), ST_USAGE);
  CHECK_EQ(wty_st(&w, "U3", "battery", end - DAY, 0), ST_ACTIVE);

  /* A claim's reading counts from its failure time. */
  CHECK_CODE(&w, wty_std_device(&w, "U4", now - 100 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "O5", "C5", "U4", "battery", 1000, now - 3 * DAY), OK);
  CHECK_EQ(wty_st(&w, "U4", "battery", 0, 0), ST_USAGE);
  CHECK_EQ(wty_st(&w, "U4", "battery", now - 4 * DAY, 0), ST_ACTIVE);
  wty_stop(&w);
}

/* --- a part's own term --------------------------------------------------------- */

/* The install time of the replacement just logged on `order`, or 0. */
static int64_t installed_at(wty *w, const char *order) {
  Partsledger__V1__RepairOrder *o;
  if (wty_get_order(w, order, &o) != 0 || o->n_replacements == 0)
    return 0;
  return o->replacements[o->n_replacements - 1]->at_ms;
}

PL_TEST(part_warranty_outlives_device_term) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  /* Bought 20 months ago: the battery's 24 months end in about 4; a new
   * original battery brings 12 months of its own. */
  int64_t p = wty_mid_month_ago(20);
  int64_t device_end = wty_add_months(p, 24);
  CHECK_CODE(&w, wty_std_device(&w, "W1", p), OK);
  Partsledger__V1__Device *d;
  CHECK_CODE(&w, wty_get_device(&w, "W1", &d), OK);
  int64_t registered = d->registered_at_ms;
  nanosleep(&(struct timespec){0, 5000000}, NULL); /* a later log time */
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "W1", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "W1-bat", "NB1", "BB", "", 0), OK);
  int64_t at = installed_at(&w, "O1");
  CHECK(at > registered);
  int64_t part_end = wty_add_months(at, 12);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "W1", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_STR(st->term_source, "part");
  CHECK_EQ(st->coverage_ends_at_ms, part_end);
  CHECK_EQ(st->part_term_ends_at_ms, part_end);
  CHECK_EQ(st->device_term_ends_at_ms, device_end);
  CHECK_STR(st->part_serial, "NB1");
  CHECK_STR(st->batch_id, "BB");
  CHECK_EQ(st->part_class, ORIGINAL);
  /* Past the device's term, the part's still covers; then it ends too. */
  CHECK_EQ(wty_st(&w, "W1", "battery", device_end + DAY, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "W1", "battery", part_end - 1, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "W1", "battery", part_end, 0), ST_EXPIRED);
  /* Before the replacement (installations count by their log time) the
   * registration's part was in place, with no term of its own. */
  CHECK_CODE(&w, wty_status(&w, "W1", "battery", at - 1, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_STR(st->part_serial, "W1-bat");
  CHECK_STR(st->term_source, "device");
  CHECK_EQ(st->coverage_ends_at_ms, device_end);
  CHECK_EQ(st->part_term_ends_at_ms, 0);
  CHECK_CODE(&w, wty_status(&w, "W1", "battery", now - DAY, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_STR(st->term_source, "device");

  /* A certified alternative brings its own batch's months (6). */
  CHECK_CODE(&w, wty_std_device(&w, "W2", p), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O2", "W2", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O2", "battery", "W2-bat", "AB1", "BA", "", 0), OK);
  int64_t alt_end = wty_add_months(installed_at(&w, "O2"), 6);
  CHECK_CODE(&w, wty_status(&w, "W2", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->part_class, ALTERNATIVE);
  CHECK_EQ(st->coverage_ends_at_ms, alt_end);
  CHECK_STR(st->term_source, "part");
  CHECK_EQ(wty_st(&w, "W2", "battery", alt_end, 0), ST_EXPIRED);

  /* A young device: its own term is the later end. */
  int64_t young = now - 60 * DAY;
  CHECK_CODE(&w, wty_std_device(&w, "W3", young), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O3", "W3", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O3", "battery", "W3-bat", "NB3", "BB", "", 0), OK);
  CHECK_CODE(&w, wty_status(&w, "W3", "battery", 0, 0, &st), OK);
  CHECK_STR(st->term_source, "device");
  CHECK_EQ(st->coverage_ends_at_ms, wty_add_months(young, 24));

  /* An expired device: the part alone covers, from its installation. */
  int64_t old = wty_mid_month_ago(30);
  CHECK_CODE(&w, wty_std_device(&w, "W4", old), OK);
  CHECK_EQ(wty_st(&w, "W4", "battery", 0, 0), ST_EXPIRED);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O4", "W4", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O4", "battery", "W4-bat", "NB4", "BB", "", 0), OK);
  CHECK_EQ(wty_st(&w, "W4", "battery", 0, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "W4", "battery", now - DAY, 0), ST_EXPIRED);
  wty_stop(&w);
}

/* A reading at the limit ends the device's term; a part with a term of its
 * own still covers, and the later end is the part's. */
PL_TEST(usage_ends_device_term_part_term_covers) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_std_device(&w, "U1", now - 100 * DAY), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "U1", "S1", P2, now - HOUR, 1500), OK);
  CHECK_EQ(wty_st(&w, "U1", "battery", 0, 0), ST_USAGE);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "U1-bat", "NB1", "BB", "", 0), OK);
  int64_t part_end = wty_add_months(installed_at(&w, "O1"), 12);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "U1", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_STR(st->term_source, "part");
  CHECK_EQ(st->coverage_ends_at_ms, part_end);
  CHECK_EQ(st->device_term_ends_at_ms, now - HOUR);
  /* After the part's term only the usage had ended the device's: the
   * status says so. */
  CHECK_EQ(wty_st(&w, "U1", "battery", part_end, 0), ST_USAGE);
  wty_stop(&w);
}

/* Decisions are judged with the part in place at the failure: a part's own
 * term makes a failure after its installation IN_TERM on a device whose
 * own term has ended, and one before it OUT_OF_TERM. */
PL_TEST(honest_decision_with_part_term) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_std_device(&w, "W4", wty_mid_month_ago(30)), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O4", "W4", "S1", P2, now - 2 * DAY, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O4", "battery", "W4-bat", "NB4", "BB", "", 0), OK);
  int64_t at = installed_at(&w, "O4");
  nanosleep(&(struct timespec){0, 5000000}, NULL); /* a failure after it */
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C-AFTER", "W4", "O4", "battery", 0, at + 1), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C-BEFORE", "W4", "O4", "battery", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C-AFTER", REJECTED, R_OUT_OF_TERM, ""),
             PRECONDITION);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C-AFTER", APPROVED, R_IN_TERM, ""), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C-BEFORE", APPROVED, R_IN_TERM, ""), PRECONDITION);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C-BEFORE", REJECTED, R_OUT_OF_TERM, ""), OK);
  wty_stop(&w);
}

/* A part listed at registration has no term of its own, whatever its
 * batch's warranty_months. */
PL_TEST(registration_part_has_no_own_term) {
  wty w;
  CHECK(setup(&w) == 0);
  CHECK_CODE(&w, wty_std_device(&w, "R1", wty_mid_month_ago(25)), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "R1", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_EXPIRED);
  CHECK_STR(st->term_source, "device");
  CHECK_EQ(st->part_term_ends_at_ms, 0);
  CHECK_STR(st->batch_id, "BB");
  wty_stop(&w);
}

/* No term in the policy and no part term: NOT_COVERED. A part with a term
 * of its own covers, and once that ends it is EXPIRED. */
PL_TEST(not_covered_component) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_std_device(&w, "N1", now - 10 * DAY), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "N1", "case", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_NOT_COVERED);
  CHECK_STR(st->part_serial, "");
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "N1", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "case", "", "CASE1", "BC", "", 0), OK);
  int64_t part_end = wty_add_months(installed_at(&w, "O1"), 3);
  CHECK_CODE(&w, wty_status(&w, "N1", "case", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_ACTIVE);
  CHECK_STR(st->term_source, "part");
  CHECK_EQ(st->coverage_ends_at_ms, part_end);
  CHECK_STR(st->part_serial, "CASE1");
  CHECK_EQ(wty_st(&w, "N1", "case", part_end, 0), ST_EXPIRED);
  CHECK_EQ(wty_st(&w, "N1", "case", now - DAY, 0), ST_NOT_COVERED);
  /* A part of a batch with no warranty of its own. */
  CHECK_CODE(&w, wty_batch(&w, "BC0", "SKU-CASE", ORIGINAL, 0, 10, NULL, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "case", "CASE1", "CASE2", "BC0", "", 0), OK);
  CHECK_EQ(wty_st(&w, "N1", "case", 0, 0), ST_NOT_COVERED);
  wty_stop(&w);
}

/* --- VOID ------------------------------------------------------------------------ */

PL_TEST(void_until_replaced) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  int64_t f = now - 5 * DAY;
  CHECK_CODE(&w, wty_std_device(&w, "V1", now - 100 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "O1", "C1", "V1", "battery", 0, f), OK);
  /* Filed, not yet rejected: nothing voids. */
  CHECK_EQ(wty_st(&w, "V1", "battery", 0, 0), ST_ACTIVE);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_HUMAN_DAMAGE, "dropped"), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "V1", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->status, ST_VOID);
  CHECK(st->n_reasons > 0);
  CHECK_EQ(wty_st(&w, "V1", "battery", f, 0), ST_VOID);
  CHECK_EQ(wty_st(&w, "V1", "battery", f - 1, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "V1", "screen", 0, 0), ST_ACTIVE);
  /* A replacement of the component after the failure lifts it from then. */
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "V1-bat", "NB1", "BB", "", 0), OK);
  CHECK_EQ(wty_st(&w, "V1", "battery", 0, 0), ST_ACTIVE);
  CHECK_EQ(wty_st(&w, "V1", "battery", now - DAY, 0), ST_VOID);

  /* An unauthorised modification voids as well; a rejection for another
   * reason does not. */
  CHECK_CODE(&w, wty_std_device(&w, "V2", now - 100 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "O2", "C2", "V2", "screen", 0, f), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C2", REJECTED, R_UNAUTHORIZED, ""), OK);
  CHECK_EQ(wty_st(&w, "V2", "screen", 0, 0), ST_VOID);
  CHECK_EQ(wty_st(&w, "V2", "battery", 0, 0), ST_ACTIVE);
  CHECK_CODE(&w, wty_std_device(&w, "V3", now - 100 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "O3", "C3", "V3", "screen", 0, f), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C3", REJECTED, R_OTHER, "not a fault"), OK);
  CHECK_EQ(wty_st(&w, "V3", "screen", 0, 0), ST_ACTIVE);

  /* VOID comes before EXPIRED; LATE_REGISTRATION before VOID. */
  CHECK_CODE(&w, wty_std_device(&w, "V4", wty_mid_month_ago(30)), OK);
  CHECK_CODE(&w, order_and_claim(&w, "O4", "C4", "V4", "battery", 0, f), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C4", REJECTED, R_HUMAN_DAMAGE, ""), OK);
  CHECK_EQ(wty_st(&w, "V4", "battery", 0, 0), ST_VOID);
  const wty_term terms[] = {{"battery", 24, 0, ""}};
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "PDEF", "X1", 0, 0, terms, 1), OK);
  CHECK_CODE(&w, bare_device(&w, "V5", "PDEF", now - 40 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "O5", "C5", "V5", "battery", 0, f), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C5", REJECTED, R_HUMAN_DAMAGE, ""), OK);
  CHECK_EQ(wty_st(&w, "V5", "battery", 0, 0), ST_LATE);
  wty_stop(&w);
}

/* --- extensions ------------------------------------------------------------------ */

PL_TEST(extension_rules) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t p = wty_now() - 100 * DAY;
  CHECK_CODE(&w, wty_std_device(&w, "E1", p), OK);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "battery", 6), OK);
  uint64_t first = w.index;
  CHECK_CODE(&w, wty_status(&w, "E1", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_add_months(p, 30));
  CHECK_CODE(&w, wty_status(&w, "E1", "screen", 0, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_add_months(p, 12));
  /* "" extends every component. */
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "", 3), OK);
  CHECK_CODE(&w, wty_status(&w, "E1", "battery", 0, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_add_months(p, 33));
  CHECK_CODE(&w, wty_status(&w, "E1", "screen", 0, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_add_months(p, 15));
  /* At most 12 months per component (battery has 9). */
  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "battery", 4), PRECONDITION);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "case", 1), PRECONDITION); /* no term */
  CHECK_CODE(&w, wty_extend(&w, w.st1, "E1", "battery", 1), DENIED);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "NOPE", "battery", 1), NOT_FOUND);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "battery", 0), INVALID);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E 1", "battery", 1), INVALID);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "battery", 3), OK);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "", 1), PRECONDITION); /* battery at 12 */
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "screen", 9), OK);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E1", "screen", 1), PRECONDITION);
  CHECK_CODE(&w, wty_status(&w, "E1", "screen", 0, 0, &st), OK);
  CHECK_EQ(st->coverage_ends_at_ms, wty_add_months(p, 24));
  Partsledger__V1__Device *d;
  CHECK_CODE(&w, wty_get_device(&w, "E1", &d), OK);
  CHECK_EQ(d->n_extensions, 4);
  CHECK_STR(d->extensions[0]->component, "battery");
  CHECK_EQ(d->extensions[0]->months, 6);
  CHECK_STR(d->extensions[0]->contract_ref, "care-plus");
  CHECK_EQ(d->extensions[0]->index, first);
  CHECK_STR(d->extensions[1]->component, "");

  /* A term that has ended is not extended; one that still runs is. */
  CHECK_CODE(&w, wty_std_device(&w, "E2", wty_mid_month_ago(13)), OK);
  CHECK_EQ(wty_st(&w, "E2", "screen", 0, 0), ST_EXPIRED);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E2", "screen", 1), PRECONDITION);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E2", "", 1), PRECONDITION);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E2", "battery", 1), OK);

  /* A policy that allows no extension, and one with no terms. */
  const wty_term terms[] = {{"battery", 24, 0, ""}};
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "PNOEXT", "X1", 3650, 0, terms, 1), OK);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P0", "X1", 3650, 12, NULL, 0), OK);
  CHECK_CODE(&w, bare_device(&w, "E3", "PNOEXT", p), OK);
  CHECK_CODE(&w, bare_device(&w, "E4", "P0", p), OK);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E3", "battery", 1), PRECONDITION);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E3", "", 1), PRECONDITION);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E4", "", 1), PRECONDITION);
  CHECK_CODE(&w, wty_extend(&w, w.mfr, "E4", "battery", 1), PRECONDITION);
  wty_stop(&w);
}

/* --- claims and decisions ------------------------------------------------------- */

PL_TEST(claim_rules) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_std_device(&w, "D1", now - 100 * DAY), OK);
  CHECK_CODE(&w, wty_std_device(&w, "D2", now - 100 * DAY), OK);
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, now - HOUR, 0), OK);
  int64_t f = now - 2 * HOUR;
  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_claim(&w, w.st2, "C1", "D1", "O1", "battery", 5, f), DENIED);
  CHECK_CODE(&w, wty_claim(&w, w.mfr, "C1", "D1", "O1", "battery", 5, f), DENIED);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C1", "D1", "NOPE", "battery", 5, f), NOT_FOUND);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C1", "D2", "O1", "battery", 5, f), PRECONDITION);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C1", "D1", "O1", "battery", 5, wty_now() + HOUR),
             INVALID);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C 1", "D1", "O1", "battery", 5, f), INVALID);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C1", "D1", "O1", "", 5, f), INVALID);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C1", "D1", "O1", "battery", 5, f), OK);
  uint64_t filed = w.index;
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C1", "D1", "O1", "screen", 5, f), EXISTS);
  Partsledger__V1__Claim *c;
  CHECK_CODE(&w, wty_get_claim(&w, "C1", &c), OK);
  CHECK_STR(c->device_serial, "D1");
  CHECK_STR(c->order_id, "O1");
  CHECK_STR(c->component, "battery");
  CHECK_STR(c->site_id, "S1");
  CHECK_EQ(c->usage_reading, 5);
  CHECK_EQ(c->failure_at_ms, f);
  CHECK_EQ(c->filed_index, filed);
  CHECK_EQ(c->state, CLAIM_FILED);
  CHECK_EQ(c->decided_index, 0);
  CHECK_CODE(&w, wty_get_claim(&w, "NOPE", &c), NOT_FOUND);
  wty_stop(&w);
}

PL_TEST(decision_fields) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_std_device(&w, "D1", now - 100 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "O1", "C1", "D1", "battery", 0, now - DAY), OK);
  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", APPROVED, R_OUT_OF_TERM, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", APPROVED, R_HUMAN_DAMAGE, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", APPROVED, R_OTHER, "why not"), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_IN_TERM, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_GOODWILL, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", 0, R_IN_TERM, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", 3, R_IN_TERM, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", APPROVED, 0, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, 11, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_OTHER, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C 1", APPROVED, R_IN_TERM, ""), INVALID);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "NOPE", APPROVED, R_IN_TERM, ""), NOT_FOUND);
  CHECK_CODE(&w, wty_decide(&w, w.st1, "C1", APPROVED, R_IN_TERM, ""), DENIED);
  CHECK_CODE(&w, wty_decide(&w, w.admin, "C1", APPROVED, R_IN_TERM, ""), DENIED);
  CHECK_EQ(tree_size(&w.e), size);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_OTHER, "no fault found"), OK);
  Partsledger__V1__Claim *c;
  CHECK_CODE(&w, wty_get_claim(&w, "C1", &c), OK);
  CHECK_EQ(c->state, CLAIM_REJECTED);
  CHECK_EQ(c->reason, R_OTHER);
  CHECK_STR(c->note, "no fault found");
  wty_stop(&w);
}

/* The ledger refuses a rejection that contradicts its own status, naming
 * that status, and writes nothing; the honest decision then passes, once. */
PL_TEST(dishonest_rejection_refused) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_std_device(&w, "D1", now - 100 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "O1", "C1", "D1", "battery", 10, now - 2 * DAY), OK);
  uint64_t size = tree_size(&w.e);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_OUT_OF_TERM, ""), PRECONDITION);
  CHECK(strstr(w.msg, "is ACTIVE, not EXPIRED") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_USAGE, ""), PRECONDITION);
  CHECK(strstr(w.msg, "ACTIVE") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_NOT_REGISTERED, ""), PRECONDITION);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_LATE, ""), PRECONDITION);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_NOT_COVERED, ""), PRECONDITION);
  CHECK_EQ(tree_size(&w.e), size);
  Partsledger__V1__Claim *c;
  CHECK_CODE(&w, wty_get_claim(&w, "C1", &c), OK);
  CHECK_EQ(c->state, CLAIM_FILED);
  CHECK_EQ(c->decided_index, 0);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", APPROVED, R_IN_TERM, ""), OK);
  uint64_t decided = w.index;
  CHECK_CODE(&w, wty_get_claim(&w, "C1", &c), OK);
  CHECK_EQ(c->state, CLAIM_APPROVED);
  CHECK_EQ(c->decision, APPROVED);
  CHECK_EQ(c->reason, R_IN_TERM);
  CHECK_EQ(c->decided_index, decided);
  /* Decided once. */
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", APPROVED, R_GOODWILL, ""), PRECONDITION);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "C1", REJECTED, R_HUMAN_DAMAGE, ""), PRECONDITION);
  wty_stop(&w);
}

/* Each reason that states a fact must match the status at the failure,
 * with the claim's reading; judgment reasons are not checked. */
PL_TEST(honest_decisions_match_status) {
  wty w;
  CHECK(setup(&w) == 0);
  int64_t now = wty_now();
  const wty_term terms12[] = {{"battery", 12, 0, ""}};
  const wty_term terms24[] = {{"battery", 24, 1000, "cycles"}};
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "P12", "X1", 3650, 0, terms12, 1), OK);
  CHECK_CODE(&w, wty_policy(&w, w.mfr, "PDEF", "X1", 0, 0, terms24, 1), OK);

  /* Expired now, in term six months ago: judged at the failure. */
  CHECK_CODE(&w, bare_device(&w, "X", "P12", wty_mid_month_ago(13)), OK);
  CHECK_CODE(&w, order_and_claim(&w, "OX", "CX", "X", "battery", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CX", APPROVED, R_IN_TERM, ""), PRECONDITION);
  CHECK(strstr(w.msg, "EXPIRED") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CX", REJECTED, R_OUT_OF_TERM, ""), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "CY", "X", "OX", "battery", 0,
                           wty_add_months(now, -6)), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CY", REJECTED, R_OUT_OF_TERM, ""), PRECONDITION);
  CHECK(strstr(w.msg, "ACTIVE") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CY", APPROVED, R_IN_TERM, ""), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "CZ", "X", "OX", "battery", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CZ", APPROVED, R_GOODWILL, ""), OK);

  /* Usage: the claim's own reading decides. The earlier failure is judged
   * without the later reading. */
  CHECK_CODE(&w, wty_std_device(&w, "U", now - 100 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "OU", "CU1", "U", "battery", 1000, now - DAY), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "CU2", "U", "OU", "battery", 999, now - 3 * DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CU2", REJECTED, R_USAGE, ""), PRECONDITION);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CU2", APPROVED, R_IN_TERM, ""), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CU1", REJECTED, R_OUT_OF_TERM, ""), PRECONDITION);
  CHECK(strstr(w.msg, "USAGE_EXCEEDED") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CU1", REJECTED, R_USAGE, ""), OK);

  /* Not registered. */
  CHECK_CODE(&w, order_and_claim(&w, "OG", "CG1", "GHOST", "battery", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "CG2", "GHOST", "OG", "battery", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CG1", APPROVED, R_IN_TERM, ""), PRECONDITION);
  CHECK(strstr(w.msg, "NOT_REGISTERED") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CG1", REJECTED, R_NOT_REGISTERED, ""), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CG2", REJECTED, R_OUT_OF_TERM, ""), PRECONDITION);

  /* Registered late. */
  CHECK_CODE(&w, bare_device(&w, "L", "PDEF", now - 40 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "OL", "CL1", "L", "battery", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "CL2", "L", "OL", "battery", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CL1", REJECTED, R_OUT_OF_TERM, ""), PRECONDITION);
  CHECK(strstr(w.msg, "LATE_REGISTRATION") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CL1", REJECTED, R_LATE, ""), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CL2", APPROVED, R_IN_TERM, ""), PRECONDITION);

  /* Not covered. */
  CHECK_CODE(&w, wty_std_device(&w, "N", now - 10 * DAY), OK);
  CHECK_CODE(&w, order_and_claim(&w, "ON", "CN1", "N", "case", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CN1", APPROVED, R_IN_TERM, ""), PRECONDITION);
  CHECK(strstr(w.msg, "NOT_COVERED") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CN1", REJECTED, R_NOT_COVERED, ""), OK);

  /* Judgment: exclusions on an ACTIVE claim pass; after a human-damage
   * rejection the component is VOID and neither IN_TERM nor OUT_OF_TERM
   * fits a later failure. */
  CHECK_CODE(&w, order_and_claim(&w, "OH", "CH1", "N", "battery", 0, now - 2 * DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CH1", REJECTED, R_HUMAN_DAMAGE, ""), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "CH2", "N", "OH", "battery", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CH2", APPROVED, R_IN_TERM, ""), PRECONDITION);
  CHECK(strstr(w.msg, "VOID") != NULL);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CH2", REJECTED, R_OUT_OF_TERM, ""), PRECONDITION);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CH2", APPROVED, R_GOODWILL, ""), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "CH3", "N", "OH", "screen", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CH3", REJECTED, R_UNAUTHORIZED, ""), OK);
  CHECK_CODE(&w, wty_claim(&w, w.st1, "CH4", "N", "OH", "case", 0, now - DAY), OK);
  CHECK_CODE(&w, wty_decide(&w, w.mfr, "CH4", REJECTED, R_OTHER, "wear"), OK);
  wty_stop(&w);
}

PL_TEST_MAIN(PL_CASE(policy_rules), PL_CASE(device_rules),
             PL_CASE(status_expired_now_active_then), PL_CASE(month_end_jan31),
             PL_CASE(leap_day), PL_CASE(extension_months_added_as_one),
             PL_CASE(late_registration), PL_CASE(usage_or_time_whichever_first),
             PL_CASE(part_warranty_outlives_device_term),
             PL_CASE(usage_ends_device_term_part_term_covers),
             PL_CASE(honest_decision_with_part_term),
             PL_CASE(registration_part_has_no_own_term), PL_CASE(not_covered_component),
             PL_CASE(void_until_replaced), PL_CASE(extension_rules), PL_CASE(claim_rules),
             PL_CASE(decision_fields), PL_CASE(dishonest_rejection_refused),
             PL_CASE(honest_decisions_match_status))
