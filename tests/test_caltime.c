/*
 * test_caltime.c - calendar months and working days: month ends, leap days,
 * the year's turn, and the P3 rule's weekends.
 */
#include <stdint.h>

#include "caltime.h"
#include "test.h"

static int64_t at(int64_t y, unsigned m, unsigned d, unsigned hh, unsigned mm) {
  return pl_cal_ms(y, m, d, (int64_t)hh * PL_HOUR_MS + (int64_t)mm * 60000);
}

PL_TEST(months_clamp_to_the_month_end) {
  CHECK_EQ(pl_cal_add_months(at(2025, 1, 31, 10, 30), 1), at(2025, 2, 28, 10, 30));
  CHECK_EQ(pl_cal_add_months(at(2024, 1, 31, 10, 30), 1), at(2024, 2, 29, 10, 30));
  CHECK_EQ(pl_cal_add_months(at(2025, 1, 31, 0, 0), 3), at(2025, 4, 30, 0, 0));
  CHECK_EQ(pl_cal_add_months(at(2025, 3, 31, 23, 59), -1), at(2025, 2, 28, 23, 59));
  CHECK_EQ(pl_cal_add_months(at(2025, 11, 15, 8, 0), 2), at(2026, 1, 15, 8, 0));
  CHECK_EQ(pl_cal_add_months(at(2025, 5, 1, 8, 0), 0), at(2025, 5, 1, 8, 0));
}

PL_TEST(leap_days) {
  /* Feb 29 plus a year is Feb 28; plus four years Feb 29 again. */
  CHECK_EQ(pl_cal_add_months(at(2024, 2, 29, 12, 0), 12), at(2025, 2, 28, 12, 0));
  CHECK_EQ(pl_cal_add_months(at(2024, 2, 29, 12, 0), 48), at(2028, 2, 29, 12, 0));
  /* 2100 is not a leap year, 2000 was. */
  CHECK_EQ(pl_cal_add_months(at(2100, 1, 31, 0, 0), 1), at(2100, 2, 28, 0, 0));
  CHECK_EQ(pl_cal_add_months(at(2000, 1, 31, 0, 0), 1), at(2000, 2, 29, 0, 0));
  /* Known epoch values. */
  CHECK_EQ(at(1970, 1, 1, 0, 0), 0);
  CHECK_EQ(at(2000, 3, 1, 0, 0), 951868800000LL);
}

PL_TEST(working_days_skip_weekends) {
  /* 2026-12-05 is a Saturday. */
  CHECK_EQ(pl_cal_weekday(at(2026, 12, 5, 10, 0)), 5);
  CHECK_EQ(pl_cal_weekday(at(2026, 12, 7, 0, 0)), 0);
  CHECK_EQ(pl_cal_add_working_days(at(2026, 12, 5, 10, 0), 5), at(2026, 12, 11, 10, 0));
  CHECK_EQ(pl_cal_add_working_days(at(2026, 12, 6, 23, 0), 5), at(2026, 12, 11, 23, 0));
  /* Monday plus five is the next Monday; Friday plus one the Monday. */
  CHECK_EQ(pl_cal_add_working_days(at(2026, 12, 7, 9, 15), 5), at(2026, 12, 14, 9, 15));
  CHECK_EQ(pl_cal_add_working_days(at(2026, 12, 11, 17, 0), 1), at(2026, 12, 14, 17, 0));
  /* Across the year's end. */
  CHECK_EQ(pl_cal_add_working_days(at(2026, 12, 31, 8, 0), 5), at(2027, 1, 7, 8, 0));
}

PL_TEST(dates_before_1970) {
  int64_t y, tod;
  unsigned m, d;
  pl_cal_date(-1, &y, &m, &d, &tod);
  CHECK_EQ(y, 1969);
  CHECK_EQ(m, 12);
  CHECK_EQ(d, 31);
  CHECK_EQ(tod, PL_DAY_MS - 1);
  CHECK_EQ(pl_cal_weekday(-1), 2); /* 1969-12-31 was a Wednesday */
}

PL_TEST(iso_text) {
  char buf[PL_ISO_TIME_MAX];
  CHECK_STR(pl_cal_iso(0, buf), "1970-01-01T00:00:00.000Z");
  CHECK_STR(pl_cal_iso(at(2024, 2, 29, 23, 59) + 59999, buf), "2024-02-29T23:59:59.999Z");
  CHECK_STR(pl_cal_iso(-1, buf), "1969-12-31T23:59:59.999Z");
}

PL_TEST_MAIN(PL_CASE(months_clamp_to_the_month_end), PL_CASE(leap_days),
             PL_CASE(working_days_skip_weekends), PL_CASE(dates_before_1970),
             PL_CASE(iso_text))
