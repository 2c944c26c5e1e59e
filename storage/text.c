/*
 * text.c - UTF-8 checks for text that ends up in signed records, and the
 * syntax of addresses; see text.h.
 */
#include "text.h"

#include <string.h>

size_t pl_utf8_next(const uint8_t *s, size_t n, uint32_t *cp) {
  uint32_t c = s[0], min;
  size_t len, i;

  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    c &= 0x1f;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    c &= 0x0f;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    c &= 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return len;
}


/* Invisible characters that change how the text around them is shown:
 * bidirectional controls (a name that reads one way and is stored another,
 * as in "Trojan Source"), invisible spaces and hyphens, the byte-order mark,
 * and the line and paragraph separators that break a line in a log. The
 * zero-width (non-)joiners U+200C and U+200D stay: Persian and Indic names
 * and emoji need them. */
static int pl__deceptive(uint32_t c) {
  return c == 0x00ad || c == 0x061c || c == 0x180e || c == 0x200b ||
         (c >= 0x200e && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
         (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f) || c == 0xfeff ||
         (c >= 0xfff9 && c <= 0xfffb);
}

int pl_text_printable(const char *text, size_t n) {
  const uint8_t *s = (const uint8_t *)text;
  size_t i = 0, step;
  uint32_t c;

  while (i < n) {
    step = pl_utf8_next(s + i, n - i, &c);
    if (step == 0 || c < 0x20 || (c >= 0x7f && c <= 0x9f) || pl__deceptive(c))
      return 0;
    i += step;
  }
  return 1;
}

int pl_host_port_ok(const char *s) {
  const char *colon = strrchr(s, ':');
  if (colon == NULL || colon == s || colon[1] == '\0')
    return 0;
  size_t hlen = (size_t)(colon - s);
  if (s[0] == '[' ? hlen < 3 || colon[-1] != ']' : memchr(s, ':', hlen) != NULL)
    return 0;
  unsigned long port = 0;
  for (const char *p = colon + 1; *p != '\0'; p++) {
    if (*p < '0' || *p > '9' || p - colon > 5)
      return 0;
    port = port * 10 + (unsigned long)(*p - '0');
  }
  return port <= 65535;
}

int pl_text_ok(const char *s, size_t min, size_t max) {
  size_t n = strlen(s);
  return n >= min && n <= max && pl_text_printable(s, n);
}
