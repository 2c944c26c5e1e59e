/*
 * caltime.c - see caltime.h. The civil-date conversions are the
 * proleptic-Gregorian day counts of Howard Hinnant's chrono algorithms.
 */
#include "caltime.h"

#include <stdio.h>

/* Floor division: dates before 1970 count down, not towards zero. */
static int64_t pl__floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t pl__days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = pl__floordiv(y, 400);
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void pl__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = pl__floordiv(z, 146097);
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned pl__month_days(int64_t y, unsigned m) {
  static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

void pl_cal_date(int64_t ms, int64_t *y, unsigned *m, unsigned *d, int64_t *ms_of_day) {
  int64_t days = pl__floordiv(ms, PL_DAY_MS);
  *ms_of_day = ms - days * PL_DAY_MS;
  pl__civil_from_days(days, y, m, d);
}

int64_t pl_cal_ms(int64_t y, unsigned m, unsigned d, int64_t ms_of_day) {
  return pl__days_from_civil(y, m, d) * PL_DAY_MS + ms_of_day;
}

int64_t pl_cal_add_months(int64_t ms, int64_t months) {
  int64_t y, tod;
  unsigned m, d;
  pl_cal_date(ms, &y, &m, &d, &tod);
  int64_t index = y * 12 + (int64_t)(m - 1) + months;
  y = pl__floordiv(index, 12);
  m = (unsigned)(index - y * 12) + 1;
  unsigned last = pl__month_days(y, m);
  return pl_cal_ms(y, m, d > last ? last : d, tod);
}

int pl_cal_weekday(int64_t ms) {
  /* 1970-01-01 was a Thursday (3, counting Monday as 0). */
  int64_t days = pl__floordiv(ms, PL_DAY_MS);
  int64_t w = (days + 3) % 7;
  return (int)(w < 0 ? w + 7 : w);
}

int64_t pl_cal_add_working_days(int64_t ms, int n) {
  while (n > 0) {
    ms += PL_DAY_MS;
    if (pl_cal_weekday(ms) < 5)
      n--;
  }
  return ms;
}

char *pl_cal_iso(int64_t ms, char out[PL_ISO_TIME_MAX]) {
  int64_t y, tod;
  unsigned m, d;
  pl_cal_date(ms, &y, &m, &d, &tod);
  snprintf(out, PL_ISO_TIME_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, m, d,
           (unsigned)(tod / PL_HOUR_MS), (unsigned)(tod / 60000 % 60),
           (unsigned)(tod / 1000 % 60), (unsigned)(tod % 1000));
  return out;
}
