/*
 * spec/field.c - see field.h.
 */
#include "field.h"

#include <math.h>
#include <string.h>

#include "entry.h"
#include "error.h"
#include "text.h"

int pl_id_ok(const char *v) {
  size_t n = strlen(v);
  if (n < 1 || n > PL_ID_MAX || !pl_text_printable(v, n))
    return 0;
  /* No spaces: ids are keys, copied between systems and shells. */
  for (size_t i = 0; i < n; i++)
    if (v[i] == ' ')
      return 0;
  /* The printable check already refused controls and invisible spaces; a
   * no-break space is visible but still a space. */
  return strstr(v, "\xc2\xa0") == NULL && strstr(v, "\xe3\x80\x80") == NULL;
}

int pl_field_id(const char *kind, const char *field, const char *v, int optional,
                char *msg) {
  if (optional && v[0] == '\0')
    return 0;
  if (!pl_id_ok(v))
    return pl_fail(msg, PL_EINVAL,
                   "%s: %s must be 1-64 bytes of printable UTF-8 without spaces", kind,
                   field);
  return 0;
}

int pl_field_text(const char *kind, const char *field, const char *v, size_t max,
                  int required, char *msg) {
  if (max == 0)
    max = PL_TEXT_MAX;
  if (!pl_text_ok(v, required ? 1 : 0, max))
    return pl_fail(msg, PL_EINVAL, "%s: %s must be %s%zu bytes of printable UTF-8", kind,
                   field, required ? "1-" : "at most ", max);
  return 0;
}

int pl_gs1_check_ok(const char *v) {
  size_t n = strlen(v);
  if (n < 2)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (v[i] < '0' || v[i] > '9')
      return 0;
  /* From the right, leaving out the check digit: weights 3, 1, 3, ... */
  int sum = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    int d = v[n - 2 - i] - '0';
    sum += (i % 2 == 0) ? 3 * d : d;
  }
  return (10 - sum % 10) % 10 == v[n - 1] - '0';
}

int pl_field_gln(const char *kind, const char *field, const char *v, char *msg) {
  if (v[0] == '\0')
    return 0;
  if (strlen(v) != 13 || !pl_gs1_check_ok(v))
    return pl_fail(msg, PL_EINVAL,
                   "%s: %s must be a GLN: 13 digits with a valid GS1 check digit", kind,
                   field);
  return 0;
}

int pl_field_gtin(const char *kind, const char *field, const char *v, char *msg) {
  size_t n = strlen(v);
  if (n == 0)
    return 0;
  if ((n != 8 && n != 12 && n != 13 && n != 14) || !pl_gs1_check_ok(v))
    return pl_fail(msg, PL_EINVAL,
                   "%s: %s must be a GTIN: 8, 12, 13 or 14 digits with a valid GS1 "
                   "check digit", kind, field);
  return 0;
}

void pl_gtin14(const char *gtin, char out[PL_GTIN14]) {
  size_t n = strlen(gtin);
  if (n == 0 || n > 14) {
    out[0] = '\0';
    return;
  }
  memset(out, '0', 14 - n);
  memcpy(out + 14 - n, gtin, n);
  out[14] = '\0';
}

int pl_field_coords(const char *kind, double lat, double lon, char *msg) {
  if (!isfinite(lat) || lat < -90.0 || lat > 90.0)
    return pl_fail(msg, PL_EINVAL, "%s: latitude must be a finite number in [-90, 90]",
                   kind);
  if (!isfinite(lon) || lon < -180.0 || lon > 180.0)
    return pl_fail(msg, PL_EINVAL, "%s: longitude must be a finite number in [-180, 180]",
                   kind);
  return 0;
}

int pl_field_sha256(const char *kind, const char *field, size_t len, int optional,
                    char *msg) {
  if ((optional && len == 0) || len == 32)
    return 0;
  return pl_fail(msg, PL_EINVAL, "%s: %s must be a 32-byte SHA-256%s", kind, field,
                 optional ? ", or empty" : "");
}
