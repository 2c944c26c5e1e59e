/*
 * spec/field.h - the field rules every family's stateless checks share:
 * ids, free text, GS1 keys, coordinates. Each returns 0 or PL_EINVAL with
 * `msg` (PL_MSG_MAX) naming the kind and the field.
 */
#ifndef PL_SPEC_FIELD_H
#define PL_SPEC_FIELD_H

#include <stddef.h>
#include <stdint.h>

#define PL_ID_MAX 64    /* bytes of an id */
#define PL_TEXT_MAX 256 /* bytes of other text */
#define PL_GTIN14 15    /* a GTIN-14 and its NUL */

/* An id: 1-64 bytes of printable UTF-8 without spaces. `optional` lets it
 * be empty. */
int pl_field_id(const char *kind, const char *field, const char *v, int optional,
                char *msg);

/* 1 when `v` is an id as pl_field_id wants it (non-empty). */
int pl_id_ok(const char *v);

/* Free text: printable UTF-8 of at most `max` bytes (0: PL_TEXT_MAX), empty
 * allowed unless `required`. */
int pl_field_text(const char *kind, const char *field, const char *v, size_t max,
                  int required, char *msg);

/* A GS1 GLN (13 digits) with a valid check digit, or empty. */
int pl_field_gln(const char *kind, const char *field, const char *v, char *msg);

/* A GTIN of 8, 12, 13 or 14 digits with a valid check digit, or empty. */
int pl_field_gtin(const char *kind, const char *field, const char *v, char *msg);

/* The GTIN-14 of a valid GTIN (zeros on the left); "" for "". */
void pl_gtin14(const char *gtin, char out[PL_GTIN14]);

/* 1 when the digits of `v` (all but the last) give its last as the GS1
 * mod-10 check digit. */
int pl_gs1_check_ok(const char *v);

/* Latitude in [-90, 90] and longitude in [-180, 180], both finite. */
int pl_field_coords(const char *kind, double lat, double lon, char *msg);

/* A SHA-256 as bytes: exactly 32, or empty when `optional`. */
int pl_field_sha256(const char *kind, const char *field, size_t len, int optional,
                    char *msg);

#endif /* PL_SPEC_FIELD_H */
