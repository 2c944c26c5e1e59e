/*
 * caltime.h - calendar arithmetic on unix milliseconds, in UTC: months
 * (warranty terms), working days (SLA deadlines), civil dates and back, and
 * ISO 8601 text (EPCIS event times, audit reports). Pure functions.
 */
#ifndef PL_CALTIME_H
#define PL_CALTIME_H

#include <stdint.h>

#define PL_HOUR_MS 3600000LL
#define PL_DAY_MS 86400000LL

/* `ms` plus `months` calendar months, the day of the month clamped to the
 * month's last day and the time of day kept: Jan 31 + 1 month is Feb 28
 * (Feb 29 in a leap year). `months` may be negative. */
int64_t pl_cal_add_months(int64_t ms, int64_t months);

/* Day of the week of `ms`: 0 Monday .. 6 Sunday. */
int pl_cal_weekday(int64_t ms);

/* `ms` plus `n` working days (Monday to Friday), stepping day by day from
 * its own day and keeping the time of day: Saturday 10:00 plus 5 is the
 * next Friday 10:00, Monday 10:00 plus 5 the next Monday 10:00. */
int64_t pl_cal_add_working_days(int64_t ms, int n);

/* The civil date of `ms`, and back: y-m-d at the given milliseconds of the
 * day. */
void pl_cal_date(int64_t ms, int64_t *y, unsigned *m, unsigned *d, int64_t *ms_of_day);
int64_t pl_cal_ms(int64_t y, unsigned m, unsigned d, int64_t ms_of_day);

/* `ms` as ISO 8601 in UTC with milliseconds, "2026-12-02T08:30:05.123Z",
 * NUL-terminated in `out`. Returns out. */
#define PL_ISO_TIME_MAX 40
char *pl_cal_iso(int64_t ms, char out[PL_ISO_TIME_MAX]);

#endif /* PL_CALTIME_H */
