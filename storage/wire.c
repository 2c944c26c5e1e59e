/*
 * wire.c - protobuf wire bytes checked against a descriptor (see wire.h).
 */
#include "wire.h"

#include <stdint.h>

#include "error.h"
#include "text.h"

#define PL__WIRE_DEPTH 16

typedef struct {
  const pl_wire_rules *rules;
  size_t fields;
  const char *why;
} pl__walk;

static int pl__varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0)
      return 0;
  }
  return -1;
}

static int pl__fail(pl__walk *w, int err, const char *why) {
  w->why = why;
  return err;
}

static int pl__utf8_no_nul(const uint8_t *s, size_t n) {
  for (size_t i = 0, step; i < n; i += step) {
    uint32_t cp;
    step = pl_utf8_next(s + i, n - i, &cp);
    if (step == 0 || cp == 0)
      return 0;
  }
  return 1;
}

static int pl__walk_msg(pl__walk *w, const ProtobufCMessageDescriptor *d,
                        const uint8_t *p, size_t len, int depth) {
  const uint8_t *end = p + len;
  if (depth > PL__WIRE_DEPTH)
    return pl__fail(w, PL_EINVAL, "nests too deeply");
  while (p < end) {
    uint64_t tag, n;
    if (pl__varint(&p, end, &tag) != 0)
      return pl__fail(w, PL_EINVAL, "does not parse");
    if (++w->fields > w->rules->max_fields)
      return pl__fail(w, PL_ETOOBIG, "has more fields than allowed");
    switch (tag & 7) {
    case 0: /* varint */
      if (pl__varint(&p, end, &n) != 0)
        return pl__fail(w, PL_EINVAL, "does not parse");
      break;
    case 1: /* 64-bit */
      if (end - p < 8)
        return pl__fail(w, PL_EINVAL, "does not parse");
      p += 8;
      break;
    case 5: /* 32-bit */
      if (end - p < 4)
        return pl__fail(w, PL_EINVAL, "does not parse");
      p += 4;
      break;
    case 2: { /* length-delimited: bytes, string, message or packed scalars */
      if (pl__varint(&p, end, &n) != 0 || n > (uint64_t)(end - p))
        return pl__fail(w, PL_EINVAL, "does not parse");
      const ProtobufCFieldDescriptor *f =
          (tag >> 3) <= UINT32_MAX
              ? protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3))
              : NULL;
      if (f == NULL) {
        /* Unknown: kept as one blob. */
      } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        int rc = pl__walk_msg(w, f->descriptor, p, (size_t)n, depth + 1);
        if (rc != 0)
          return rc;
      } else if (f->type == PROTOBUF_C_TYPE_STRING) {
        if (w->rules->strings && !pl__utf8_no_nul(p, (size_t)n))
          return pl__fail(w, PL_EINVAL, "has a string with a NUL byte or not UTF-8");
      } else if (f->type != PROTOBUF_C_TYPE_BYTES) {
        /* Packed scalars: at least one byte each. */
        if (n > w->rules->max_fields - w->fields)
          return pl__fail(w, PL_ETOOBIG, "has more fields than allowed");
        w->fields += (size_t)n;
      }
      p += n;
      break;
    }
    default: /* groups: not in proto3, and protobuf-c refuses them */
      return pl__fail(w, PL_EINVAL, "does not parse");
    }
  }
  return 0;
}

int pl_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                  const pl_wire_rules *rules, const char **why) {
  pl__walk w = {rules, 0, NULL};
  int rc = pl__walk_msg(&w, d, p, len, 0);
  *why = w.why;
  return rc;
}
