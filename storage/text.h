/*
 * text.h - UTF-8 validation for text fields.
 *
 * Strings in proto3 must be valid UTF-8, and other implementations refuse to
 * decode a message that breaks that rule: an entry whose name is not UTF-8
 * would make the log unreadable to an outside verifier. So every string an
 * entry carries, and every note, is checked here first.
 */
#ifndef PL_TEXT_H
#define PL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one UTF-8 sequence at s[0..n), n >= 1. Returns its length and the
 * code point in *cp, or 0 when it is malformed, overlong, a surrogate or
 * beyond U+10FFFF. */
size_t pl_utf8_next(const uint8_t *s, size_t n, uint32_t *cp);

/* 1 when text[0..n) is valid UTF-8 without control characters (C0, DEL,
 * C1), else 0. */
int pl_text_printable(const char *text, size_t n);

#endif /* PL_TEXT_H */
