/*
 * clock.h - the one wall clock of the project, in unix milliseconds.
 */
#ifndef PL_CLOCK_H
#define PL_CLOCK_H

#include <stdint.h>

/* CLOCK_REALTIME in milliseconds since the epoch. */
int64_t pl_now_ms(void);

#endif /* PL_CLOCK_H */
