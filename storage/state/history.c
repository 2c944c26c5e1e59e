/*
 * state/history.c - the histories a trace reads: every leaf naming a
 * device, and every leaf that made, placed or removed a part.
 *
 *   device_fact  device, seq -> Fact (trace.proto), in log order
 *   part_fact    part, seq -> Fact: its supplier's and batch's
 *                registrations, then what put it in a device and took it out
 */
#include <string.h>

#include "error.h"
#include "query.h"
#include "state.h"

static int pl__fact_put(pl_apply *a, pl_table tb, const char *owner,
                        const Partsledger__V1__Fact *f) {
  pl_key_buf k;
  uint64_t seq;
  pl_kb_init(&k);
  pl_kb_str(&k, owner);
  int rc = pl_kv_next_seq(a->txn, tb, &k, &seq);
  if (rc != 0)
    return rc;
  pl_kb_u64(&k, seq);
  return pl_row_put(a->txn, tb, &k, &f->base, a->arena);
}

int pl_device_fact(pl_apply *a, const char *device_serial, const char *kind,
                   const char *site_id, const char *part_serial, const char *component) {
  Partsledger__V1__Fact f = PARTSLEDGER__V1__FACT__INIT;
  f.index = a->index;
  f.kind = (char *)kind;
  f.site_id = (char *)site_id;
  f.device_serial = (char *)device_serial;
  f.part_serial = (char *)part_serial;
  f.component = (char *)component;
  return pl__fact_put(a, PL_T_DEVICE_FACT, device_serial, &f);
}

int pl_part_fact(pl_apply *a, const char *part_serial, uint64_t index, const char *kind,
                 const char *device_serial, const char *batch_id, const char *component) {
  Partsledger__V1__Fact f = PARTSLEDGER__V1__FACT__INIT;
  f.index = index;
  f.kind = (char *)kind;
  f.device_serial = (char *)device_serial;
  f.part_serial = (char *)part_serial;
  f.batch_id = (char *)batch_id;
  f.component = (char *)component;
  return pl__fact_put(a, PL_T_PART_FACT, part_serial, &f);
}

int pl_part_fact_installed(pl_apply *a, const char *part_serial,
                           const Partsledger__V1__Batch *batch, const char *kind,
                           const char *device_serial, const char *component) {
  pl_key_buf k;
  uint64_t seq;
  pl_kb_init(&k);
  pl_kb_str(&k, part_serial);
  int rc = pl_kv_next_seq(a->txn, PL_T_PART_FACT, &k, &seq);
  if (rc == 0 && seq == 0) {
    /* A new part's story starts where it was made: its supplier, then its
     * batch, both earlier in the log than anything that installs it. */
    Partsledger__V1__Supplier *sup;
    rc = pl_supplier_get(a->txn, batch->supplier_id, a->arena, &sup);
    if (rc == 0)
      rc = pl_part_fact(a, part_serial, sup->registered_index, "supplier_registered", "",
                        batch->batch_id, "");
    if (rc == 0)
      rc = pl_part_fact(a, part_serial, batch->registered_index, "batch_registered", "",
                        batch->batch_id, "");
    if (rc == PL_ENOTFOUND)
      rc = PL_ECORRUPT; /* a batch of no supplier */
  }
  if (rc == 0)
    rc = pl_part_fact(a, part_serial, a->index, kind, device_serial, batch->batch_id,
                      component);
  return rc;
}

/* A stored Fact's leaf index, its first field when it is not 0 (protobuf-c
 * writes fields in number order and leaves out zeros): read from the bytes,
 * since a page of a hundred facts should not cost a hundred decodes. */
static int pl__fact_index(pl_val v, uint64_t *index) {
  const uint8_t *p = v.data;
  *index = 0;
  if (v.len == 0 || p[0] != 0x08) /* field 1, varint */
    return 0;
  for (size_t i = 1, shift = 0; i < v.len && shift < 64; i++, shift += 7) {
    *index |= (uint64_t)(p[i] & 0x7f) << shift;
    if (!(p[i] & 0x80))
      return 0;
  }
  return PL_ECORRUPT;
}

int pl_facts_read(pl_txn *t, pl_table tb, const pl_key_buf *owner, uint64_t start,
                  uint64_t count, pl_arena *a, pl_trace_page *out) {
  out->n = 0;
  out->facts = pl_arena_alloc(a, (size_t)(count + 1) * sizeof(pl_val));
  out->indices = pl_arena_alloc(a, (size_t)(count + 1) * sizeof(uint64_t));
  if (out->facts == NULL || out->indices == NULL)
    return PL_ENOMEM;
  if (owner->over)
    return PL_EVALSIZE;
  pl_cursor *c;
  pl_val fk, fv;
  pl_key_buf from = *owner;
  pl_kb_u64(&from, start);
  int rc = pl_cursor_open(t, tb, &c);
  if (rc != 0)
    return rc;
  for (rc = pl_cursor_seek(c, from.b, from.n, &fk, &fv); rc == 0 && out->n < count;
       rc = pl_cursor_next(c, &fk, &fv)) {
    if (fk.len != owner->n + 8 || memcmp(fk.data, owner->b, owner->n) != 0)
      break;
    if ((rc = pl__fact_index(fv, &out->indices[out->n])) != 0)
      break;
    out->facts[out->n++] = fv;
  }
  pl_cursor_close(c);
  if (rc != 0 && rc != PL_ENOTFOUND)
    return rc;
  return out->n == count ? 0 : PL_ECORRUPT;
}
