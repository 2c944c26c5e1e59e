/*
 * state/row.c - keys of several parts, and rows that hold protobuf
 * messages, for every state module.
 */
#include <string.h>

#include "error.h"
#include "state.h"

void pl_kb_init(pl_key_buf *k) {
  k->n = 0;
  k->over = 0;
}

static void pl__kb_add(pl_key_buf *k, const void *p, size_t n) {
  if (k->over || n > sizeof(k->b) - k->n) {
    k->over = 1;
    return;
  }
  memcpy(k->b + k->n, p, n);
  k->n += n;
}

pl_key_buf *pl_kb_str(pl_key_buf *k, const char *s) {
  pl__kb_add(k, s, strlen(s) + 1);
  return k;
}

pl_key_buf *pl_kb_u64(pl_key_buf *k, uint64_t v) {
  uint8_t b[8];
  pl_be64_put(b, v);
  pl__kb_add(k, b, sizeof(b));
  return k;
}

int pl_kv_get(pl_txn *t, pl_table tb, const pl_key_buf *k, pl_val *v) {
  if (k->over)
    return PL_EVALSIZE;
  return pl_db_get(t, tb, k->b, k->n, v);
}

int pl_kv_put(pl_txn *t, pl_table tb, const pl_key_buf *k, const void *v, size_t len) {
  if (k->over)
    return PL_EVALSIZE;
  return pl_db_put(t, tb, k->b, k->n, v, len, 0);
}

int pl_kv_del(pl_txn *t, pl_table tb, const pl_key_buf *k) {
  if (k->over)
    return PL_EVALSIZE;
  return pl_db_del(t, tb, k->b, k->n, NULL, 0);
}

int pl_row_get(pl_txn *t, pl_table tb, const pl_key_buf *k,
               const ProtobufCMessageDescriptor *d, pl_arena *arena,
               ProtobufCMessage **out) {
  pl_val v;
  int rc = pl_kv_get(t, tb, k, &v);
  if (rc != 0)
    return rc;
  *out = protobuf_c_message_unpack(d, pl_arena_allocator(arena), v.len, v.data);
  return *out != NULL ? 0 : PL_ECORRUPT;
}

int pl_row_put(pl_txn *t, pl_table tb, const pl_key_buf *k, const ProtobufCMessage *m,
               pl_arena *arena) {
  size_t len = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = pl_arena_alloc(arena, len ? len : 1);
  if (buf == NULL)
    return PL_ENOMEM;
  protobuf_c_message_pack(m, buf);
  return pl_kv_put(t, tb, k, buf, len);
}

int pl_kv_next_seq(pl_txn *t, pl_table tb, const pl_key_buf *prefix, uint64_t *next) {
  if (prefix->over)
    return PL_EVALSIZE;
  /* The last key under the prefix is the one before prefix || 0xff...:
   * sequence numbers are the key's last 8 bytes. */
  pl_key_buf end = *prefix;
  pl_kb_u64(&end, UINT64_MAX);
  pl_cursor *c;
  pl_val k;
  int rc = pl_cursor_open(t, tb, &c);
  if (rc != 0)
    return rc;
  rc = pl_cursor_seek_before(c, end.b, end.n, &k, NULL);
  *next = 0;
  if (rc == 0 && k.len == prefix->n + 8 && memcmp(k.data, prefix->b, prefix->n) == 0)
    *next = pl_be64_get((const uint8_t *)k.data + prefix->n) + 1;
  pl_cursor_close(c);
  return rc == PL_ENOTFOUND ? 0 : rc;
}
