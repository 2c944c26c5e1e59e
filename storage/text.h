/*
 * text.h - UTF-8 validation for text fields, and the HOST:PORT syntax of
 * addresses given on command lines.
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
 * C1) and without the invisible ones that change how text is shown
 * (bidirectional controls, invisible spaces, the byte-order mark, line and
 * paragraph separators), else 0. Names end up in audit reports read by
 * people who must not be misled. */
int pl_text_printable(const char *text, size_t n);

/* 1 when the NUL-terminated `s` is printable (as above) and its length in
 * bytes lies in [min, max]. */
int pl_text_ok(const char *s, size_t min, size_t max);

/* 1 when `s` is HOST:PORT with a non-empty HOST (an IPv6 one in brackets,
 * "[::1]:50051") and PORT a decimal 0..65535 of at most five digits, else 0.
 * gRPC takes a port beyond 65535 modulo 65536 without a word, so that a
 * typo would serve or call somewhere else: both sides check first. */
int pl_host_port_ok(const char *s);

#endif /* PL_TEXT_H */
