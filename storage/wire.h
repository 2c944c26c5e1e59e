/*
 * wire.h - a look at protobuf wire bytes before, or beside, protobuf-c.
 *
 * protobuf-c decodes a whole message at once, with an allocation for every
 * field it meets, so a request of many tiny fields costs many times its size
 * in memory and time before any rule can look at it; and it hands a string
 * back NUL-terminated without its length, so a NUL inside one hides the rest
 * of it from every later check. pl_wire_check walks the bytes with the
 * message's descriptor first and refuses both. Depends on protobuf-c, and on
 * error.h and text.h of storage/.
 */
#ifndef PL_WIRE_H
#define PL_WIRE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct {
  /* Fields allowed in all, at every depth; a packed repeated field counts
   * one per byte, unknown fields count too. */
  size_t max_fields;
  /* Refuse a string field (at any depth) that holds a NUL byte or is not
   * UTF-8. */
  int strings;
} pl_wire_rules;

/* Checks the message `d` in p[0..len) against `rules`. 0; PL_ETOOBIG when it
 * has more fields than allowed; PL_EINVAL when a string has a NUL byte or is
 * not UTF-8, or the bytes do not parse or nest too deeply. *why is set to a
 * static phrase saying which ("has more fields than allowed", ...). */
int pl_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                  const pl_wire_rules *rules, const char **why);

#endif /* PL_WIRE_H */
