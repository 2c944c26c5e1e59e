/*
 * state/state.h - what the state modules share: the context of one entry
 * being applied, each kind's rules (check) and effects (write), and the
 * actor lookups every family uses for its signers.
 *
 * One file per family of kinds (actor.c, site.c, inventory.c, repair.c,
 * claim.c, warranty.c, dispute.c) holds its kinds' check and write
 * functions and the tables they keep; stock.c, geo.c and history.c keep
 * tables several families write, and row.c the keys. The queries over a
 * read snapshot are in inventory_query.c, warranty_query.c and audit.c. A check reads and never writes (the
 * transaction refuses writes while it runs, db.h), so an entry a rule
 * refuses leaves nothing behind; its write then only writes. Both judge
 * time by the entry's own log time (at_ms), never the clock, so a rebuild
 * from the leaves gives the same state.
 *
 * Depends on db.h, entry.h and the generated protobuf code.
 */
#ifndef PL_STATE_H
#define PL_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "entry.h"
#include "keys.h"
#include "kinds.h"
#include "partsledger/v1/inventory.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"
#include "partsledger/v1/warranty.pb-c.h"
#include "partsledger/v1/audit.pb-c.h"

/* An enrolled key, as the actor table holds it. */
typedef struct {
  int role;               /* a Role value */
  int revoked;
  uint64_t enrolled_index; /* the leaf that enrolled it */
  uint64_t revoked_index;  /* the leaf that revoked it, when revoked */
} pl_actor;

/* One entry being applied, inside the writer's transaction. */
typedef struct {
  pl_txn *txn;
  pl_arena *arena; /* the entry's: reset after it */
  const Partsledger__V1__SignedEntry *signed_entry; /* co-signers too */
  const Partsledger__V1__Entry *entry;
  uint64_t index;   /* the leaf index it gets */
  int64_t at_ms;    /* its log time (Leaf.integrated_at_ms), fixed before */
  int genesis;      /* the log's first leaf, signed by the log key */
  const uint8_t *signer; /* PL_PUBLIC_KEY_BYTES */
  pl_actor author;  /* the signer's row, read before the kind's check */
  void *scratch;    /* a kind's check leaves here what its write needs */
  char *msg;        /* PL_MSG_MAX: why a check refused the entry */
} pl_apply;

/* The state functions of each kind in kinds.h, typed by its body. */
#define PL__STATE_DECL(CASE, name, Type, roles)                                \
  int pl_##name##_check(pl_apply *a, const Partsledger__V1__##Type *b);        \
  int pl_##name##_write(pl_apply *a, const Partsledger__V1__##Type *b);
PL_KINDS(PL__STATE_DECL)
#undef PL__STATE_DECL

/* --- keys and rows (state/row.c) --- */

/* A key of several parts: strings end with a NUL (ids never hold one), so
 * a key's leading parts are a prefix of it; numbers are big-endian. Longer
 * than LMDB allows sets `over`, and the key is refused where it is used. */
typedef struct {
  uint8_t b[511];
  size_t n;
  int over;
} pl_key_buf;

void pl_kb_init(pl_key_buf *k);
pl_key_buf *pl_kb_str(pl_key_buf *k, const char *s);
pl_key_buf *pl_kb_u64(pl_key_buf *k, uint64_t v);

/* Reads a row holding a protobuf message into `arena`. 0, PL_ENOTFOUND,
 * PL_ECORRUPT (it does not decode), PL_EVALSIZE (an over-long key). */
int pl_row_get(pl_txn *t, pl_table tb, const pl_key_buf *k,
               const ProtobufCMessageDescriptor *d, pl_arena *arena,
               ProtobufCMessage **out);
/* Writes a message as a row. */
int pl_row_put(pl_txn *t, pl_table tb, const pl_key_buf *k, const ProtobufCMessage *m,
               pl_arena *arena);
/* Plain get, put and delete under a built key. */
int pl_kv_get(pl_txn *t, pl_table tb, const pl_key_buf *k, pl_val *v);
int pl_kv_put(pl_txn *t, pl_table tb, const pl_key_buf *k, const void *v, size_t len);
int pl_kv_del(pl_txn *t, pl_table tb, const pl_key_buf *k);
/* The number after the last key under `prefix` whose tail is a u64
 * sequence number (0 when there is none): the next free one. */
int pl_kv_next_seq(pl_txn *t, pl_table tb, const pl_key_buf *prefix, uint64_t *next);

/* --- actors (state/actor.c) --- */

/* The actor row of a key. 0 or PL_ENOTFOUND. */
int pl_actor_get(pl_txn *t, const uint8_t pk[PL_PUBLIC_KEY_BYTES], pl_actor *out);

/* 1 when the key was enrolled for `site_id`, 0 when not, or an error. */
int pl_actor_bound(pl_txn *t, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                   const char *site_id);

/* The check every site-bound kind makes of its signer: bound to `site_id`,
 * or PL_EROLE with a message naming the site. */
int pl_actor_require_site(pl_apply *a, const char *site_id);

/* Short hex prefix of a key for messages ("3f9a0c2d1b7e4455"). */
const char *pl_key_tag(const uint8_t *pk, char buf[17]);

/* --- sites and suppliers (state/site.c) --- */

/* A site's or supplier's row, in `arena`. 0 or PL_ENOTFOUND. */
int pl_site_get(pl_txn *t, const char *site_id, pl_arena *arena,
                Partsledger__V1__Site **out);
int pl_supplier_get(pl_txn *t, const char *supplier_id, pl_arena *arena,
                    Partsledger__V1__Supplier **out);
/* The check every kind naming a site makes: registered, or PL_ENOTFOUND
 * with a message. */
int pl_site_require(pl_apply *a, const char *site_id);

/* --- inventory (state/inventory.c), for the families that build on it --- */

/* A batch's row, in `arena`. 0 or PL_ENOTFOUND. */
int pl_batch_get(pl_txn *t, const char *batch_id, pl_arena *arena,
                 Partsledger__V1__Batch **out);
/* 1 when the batch's registration listed `serial`, else 0 (or an error). */
int pl_batch_has_serial(pl_txn *t, const char *batch_id, const char *serial);
/* A reservation's row, in `arena`. 0 or PL_ENOTFOUND. The stored state is
 * ACTIVE, RELEASED or FULFILLED; whether an ACTIVE one has expired is the
 * caller's to judge by its own time. */
int pl_reservation_get(pl_txn *t, const char *reservation_id, pl_arena *arena,
                       Partsledger__V1__Reservation **out);
/* Adds a fact to a batch's trace (TraceBatch), as leaf a->index. */
int pl_trace_fact(pl_apply *a, const char *batch_id, const char *kind,
                  const char *site_id, const char *to_site_id, int64_t quantity);
/* Expires the reservations whose time has come by a->at_ms: run before
 * every entry's write, so the derived state never counts one for long. */
int pl_inventory_tick(pl_apply *a);

/* --- the geo index (state/geo.c) --- */

/* Puts a site in (or takes it out of) the geo index of a SKU. */
int pl_geo_index_set(pl_apply *a, const char *sku, const char *site_id, int present);

/* --- devices, policies and warranty (state/warranty.c) --- */

int pl_policy_get(pl_txn *t, const char *policy_id, pl_arena *arena,
                  Partsledger__V1__Policy **out);
int pl_device_get(pl_txn *t, const char *device_serial, pl_arena *arena,
                  Partsledger__V1__Device **out);
int pl_device_put(pl_apply *a, const Partsledger__V1__Device *d);

/* The warranty status of a device's component at `at_ms`, with a reading
 * taken then (0: none), judged from what `t` holds by the rules of
 * rules.h; warranty.c says which facts it gathers for them. */
int pl_warranty_status(pl_txn *t, const char *device_serial, const char *component,
                       int64_t at_ms, uint64_t reading, pl_arena *arena,
                       Partsledger__V1__GetWarrantyStatusResponse **out);

/* The part a device holds for a component now (in `arena`), or
 * PL_ENOTFOUND. */
int pl_install_current(pl_txn *t, const char *device_serial, const char *component,
                       pl_arena *arena, Partsledger__V1__DevicePart **out);
/* Puts a part in a device (registration or replacement): its install row,
 * where it is, the batch's devices, the device's row when it has one. */
int pl_install_put(pl_apply *a, const char *device_serial,
                   const Partsledger__V1__DevicePart *part, const char *removed_serial,
                   const char *removed_batch_id);
/* Checks a part about to go in a device: its batch is registered (NOT_FOUND)
 * and, unless `recalled_ok`, not recalled; the serial is in no device now
 * and is one the batch listed, if it listed any (FAILED_PRECONDITION). */
int pl_install_check(pl_apply *a, const char *part_serial, const char *batch_id,
                     int recalled_ok, Partsledger__V1__Batch **batch);
/* Records a usage reading of a device taken at `at_ms`. */
int pl_reading_put(pl_apply *a, const char *device_serial, int64_t at_ms,
                   uint64_t reading);

/* --- histories (state/history.c) --- */

/* Adds this entry (a->index) to a device's or a part's history. */
int pl_device_fact(pl_apply *a, const char *device_serial, const char *kind,
                   const char *site_id, const char *part_serial, const char *component);
int pl_part_fact(pl_apply *a, const char *part_serial, uint64_t index, const char *kind,
                 const char *device_serial, const char *batch_id, const char *component);
/* Adds a leaf (not necessarily this entry) to a part's history, and the
 * part's batch and supplier registrations before it when its history is
 * new. */
int pl_part_fact_installed(pl_apply *a, const char *part_serial,
                           const Partsledger__V1__Batch *batch, const char *kind,
                           const char *device_serial, const char *component);

/* Reads `count` facts of an owner's list (a table of owner, seq -> Fact)
 * from position `start`, borrowed from the snapshot, into `out` (its batch
 * and next_start untouched). */
struct pl_trace_page;
int pl_facts_read(pl_txn *t, pl_table tb, const pl_key_buf *owner, uint64_t start,
                  uint64_t count, pl_arena *a, struct pl_trace_page *out);

/* --- repair orders (state/repair.c) --- */

int pl_order_get(pl_txn *t, const char *order_id, pl_arena *arena,
                 Partsledger__V1__RepairOrder **out);
int pl_order_put(pl_apply *a, const Partsledger__V1__RepairOrder *o);
/* The SLA deadlines of an order, from its priority and reported time. */
void pl_sla_deadlines(int priority, int64_t reported_at_ms, int64_t *respond_by,
                      int64_t *resolve_by);

/* --- claims (state/claim.c) --- */

int pl_claim_get(pl_txn *t, const char *claim_id, pl_arena *arena,
                 Partsledger__V1__Claim **out);
int pl_claim_put(pl_apply *a, const Partsledger__V1__Claim *c);

/* --- arbitration (state/dispute.c) --- */

int pl_panel_get(pl_txn *t, const char *panel_id, pl_arena *arena,
                 Partsledger__V1__Panel **out);

#endif /* PL_STATE_H */
