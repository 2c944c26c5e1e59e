/*
 * test_trace.c - integration tests of the Trace service through the real
 * server: TraceBatch's facts (one per leaf that touched the batch, in log
 * order, with their site, destination and quantity), its pages, and its
 * proofs, verified offline from the log's verifier key alone and refused
 * when any byte of a leaf or a proof changes; TraceSupplier's batches in
 * registration order, paged the same way.
 *
 * The rules of the kinds are in test_inventory.c, the stock queries in
 * test_stock.c.
 */
#include <grpc/status.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "inv.h"
#include "test.h"

/* What a fact should say: the leaf, its kind, where, where to, how many. */
typedef struct {
  uint64_t index;
  const char *kind, *site, *to;
  int64_t quantity;
} want_fact;

/* The Entry body field's name of each inventory kind, written out here
 * rather than taken from the server's own list. */
static const struct {
  int body;
  const char *name;
} kind_names[] = {
    {PARTSLEDGER__V1__ENTRY__BODY_SITE_REGISTERED, "site_registered"},
    {PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED, "supplier_registered"},
    {PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED, "batch_registered"},
    {PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED, "stock_received"},
    {PARTSLEDGER__V1__ENTRY__BODY_STOCK_TRANSFERRED, "stock_transferred"},
    {PARTSLEDGER__V1__ENTRY__BODY_STOCK_ADJUSTED, "stock_adjusted"},
    {PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED, "part_reserved"},
    {PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_RELEASED, "reservation_released"},
    {PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED, "reservation_fulfilled"},
    {PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED, "batch_recalled"},
};

static const char *kind_name(int body) {
  for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
    if (kind_names[i].body == body)
      return kind_names[i].name;
  return "?";
}

/* Appends `se` and, when it is accepted, notes the fact it should make. */
static int fact_append(inv_world *w, const Partsledger__V1__SignedEntry *se, want_fact *f,
                       size_t *n, const char *kind, const char *site, const char *to,
                       int64_t quantity) {
  uint64_t index;
  int code = inv_append_at(&w->e, se, &index);
  if (code == OK)
    f[(*n)++] = (want_fact){index, kind, site, to, quantity};
  return code;
}

/* The packed bytes of two messages are the same. */
static int same_message(const void *x, const void *y) {
  size_t nx = protobuf_c_message_get_packed_size(x);
  size_t ny = protobuf_c_message_get_packed_size(y);
  uint8_t *bx = malloc(nx + 1), *by = malloc(ny + 1);
  int same = bx != NULL && by != NULL && nx == ny &&
             protobuf_c_message_pack(x, bx) == nx && protobuf_c_message_pack(y, by) == ny &&
             memcmp(bx, by, nx) == 0;
  free(bx);
  free(by);
  return same;
}

#define FACT(se, kind, site, to, q)                                            \
  CHECK_STATUS(&w.e, fact_append(&w, (se), want, &n, kind, site, to, q), OK)

PL_TEST(trace_batch_facts_in_log_order) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  int64_t later = inv_later();
  want_fact want[32];
  size_t n = 0;
  FACT(inv_batch(a, w.maker, "b1", SUPPLIER, "SKU-1", 50), "batch_registered", "", "", 50);
  /* Another batch of the same SKU: none of its leaves are b1's facts. */
  CHECK_EQ(inv_stocked(&w, "b2", "SKU-1", 50, SITE_B, 5), OK);
  FACT(inv_receive(a, c, SITE_A, "b1", 10), "stock_received", SITE_A, "", 10);
  FACT(inv_transfer(a, c, SITE_A, SITE_B, "b1", 3), "stock_transferred", SITE_A, SITE_B, 3);
  FACT(inv_adjust(a, c, SITE_B, "b1", -1), "stock_adjusted", SITE_B, "", -1);
  FACT(inv_adjust(a, c, SITE_A, "b1", 2), "stock_adjusted", SITE_A, "", 2);
  /* Reservations naming b1, and their release; not those naming none. */
  FACT(inv_reserve(a, c, "r1", SITE_A, "SKU-1", 2, "b1", later),
       "part_reserved", SITE_A, "", 2);
  CHECK_APPEND(&w, inv_reserve(a, c, "r2", SITE_A, "SKU-1", 1, NULL, later), OK);
  FACT(inv_release(a, c, "r1"), "reservation_released", SITE_A, "", 0);
  CHECK_APPEND(&w, inv_release(a, c, "r2"), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r-b2", SITE_B, "SKU-1", 1, "b2", later), OK);
  /* Fulfilments from b1, whether or not the reservation named it. */
  FACT(inv_reserve(a, c, "r3", SITE_B, "SKU-1", 1, "b1", later),
       "part_reserved", SITE_B, "", 1);
  FACT(inv_fulfil(a, c, "r3", "b1", 1), "reservation_fulfilled", SITE_B, "", 1);
  CHECK_APPEND(&w, inv_reserve(a, c, "r4", SITE_A, "SKU-1", 3, NULL, later), OK);
  FACT(inv_fulfil(a, c, "r4", "b1", 2), "reservation_fulfilled", SITE_A, "", 2);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r-b2", "b2", 1), OK);
  FACT(inv_reserve(a, c, "r5", SITE_A, "SKU-1", 1, "b1", later),
       "part_reserved", SITE_A, "", 1);
  /* The recall, and scrapping after it; what was refused is no fact. */
  FACT(inv_recall(a, w.maker, "b1", "porous castings"), "batch_recalled", NULL, "", 0);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_A, "b1", 1), FAILED);
  FACT(inv_adjust(a, c, SITE_A, "b1", -4), "stock_adjusted", SITE_A, "", -4);
  CHECK_APPEND(&w, inv_receive(a, c, SITE_B, "b2", 1), OK);

  Partsledger__V1__TraceBatchResponse *t;
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b1", 0, 0, 0, &t), OK);
  CHECK_EQ(t->n_facts, n);
  CHECK_EQ(t->next_start, 0);
  for (size_t i = 0; i < n; i++) {
    const Partsledger__V1__Fact *f = t->facts[i];
    if (f->index != want[i].index || strcmp(f->kind, want[i].kind) != 0)
      fprintf(stderr, "fact %zu: %llu %s, wanted %llu %s\n", i,
              (unsigned long long)f->index, f->kind, (unsigned long long)want[i].index,
              want[i].kind);
    CHECK_EQ(f->index, want[i].index);
    CHECK_STR(f->kind, want[i].kind);
    if (want[i].site != NULL)
      CHECK_STR(f->site_id, want[i].site);
    CHECK_STR(f->to_site_id, want[i].to);
    CHECK_EQ(f->quantity, want[i].quantity);
    CHECK_EQ(f->leaf.len, 0); /* no proofs asked for */
    CHECK_EQ(f->n_inclusion_proof, 0);
  }
  /* The batch as GetBatch gives it. */
  Partsledger__V1__Batch *b;
  CHECK_STATUS(&w.e, inv_get_batch(&w.e, "b1", &b), OK);
  CHECK(t->batch != NULL);
  CHECK(b->recalled && t->batch->recalled);
  CHECK(same_message(t->batch, b));
  /* b2's trace is its own. */
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b2", 0, 0, 0, &t), OK);
  CHECK_EQ(t->n_facts, 5); /* registered, received, reserved, fulfilled, received */
  CHECK_STR(t->facts[0]->kind, "batch_registered");
  CHECK_STR(t->facts[4]->kind, "stock_received");
  inv_world_stop(&w);
}

/* Registers `batch` and receives one unit of it at A `receipts` times, in
 * AppendBatch calls: a batch with 1 + receipts facts. */
static int many_facts(inv_world *w, const char *batch, size_t receipts) {
  pl_arena *a = w->e.a;
  int code = inv_append(&w->e, inv_batch(a, w->maker, batch, SUPPLIER, "SKU-1", 100000));
  for (size_t done = 0; code == OK && done < receipts;) {
    Partsledger__V1__SignedEntry *ses[100];
    size_t m = receipts - done < 100 ? receipts - done : 100;
    for (size_t i = 0; i < m; i++)
      ses[i] = inv_receive(a, w->clerk, SITE_A, batch, 1);
    Partsledger__V1__AppendBatchResponse *r;
    if (pl_client_append_batch(w->e.c, ses, m, a, &r) != 0)
      return last_code(&w->e);
    if (r->n_results != m) {
      fprintf(stderr, "AppendBatch of %zu entries: %zu results\n", m, r->n_results);
      return GRPC_STATUS_INTERNAL;
    }
    for (size_t i = 0; i < m && code == OK; i++)
      code = (int)r->results[i]->code;
    done += m;
  }
  return code;
}

PL_TEST(trace_batch_pages) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  CHECK_EQ(many_facts(&w, "b25", 24), OK);
  CHECK_EQ(many_facts(&w, "b121", 120), OK);
  Partsledger__V1__TraceBatchResponse *all, *t;
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b25", 0, 1000, 0, &all), OK);
  CHECK_EQ(all->n_facts, 25);
  CHECK_EQ(all->next_start, 0);
  for (size_t i = 1; i < 25; i++)
    CHECK(all->facts[i]->index > all->facts[i - 1]->index);

  /* Pages of 10: 0-9, 10-19, 20-24; each the same facts, and the batch. */
  const struct {
    uint64_t start;
    uint32_t size;
    size_t n;
    uint64_t next;
  } pages[] = {{0, 10, 10, 10},  {10, 10, 10, 20}, {20, 10, 5, 0},  {3, 7, 7, 10},
               {20, 5, 5, 0},    {24, 1, 1, 0},    {0, 25, 25, 0},  {0, 24, 24, 24},
               {25, 10, 0, 0},   {25, 0, 0, 0}};
  for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
    CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b25", pages[p].start, pages[p].size, 0, &t),
                 OK);
    if (t->n_facts != pages[p].n || t->next_start != pages[p].next)
      fprintf(stderr, "page at %llu of %u: %zu facts, next %llu\n",
              (unsigned long long)pages[p].start, pages[p].size, t->n_facts,
              (unsigned long long)t->next_start);
    CHECK_EQ(t->n_facts, pages[p].n);
    CHECK_EQ(t->next_start, pages[p].next);
    CHECK(t->batch != NULL);
    CHECK_STR(t->batch->batch_id, "b25");
    for (size_t i = 0; i < t->n_facts; i++)
      CHECK(same_message(t->facts[i], all->facts[pages[p].start + i]));
  }
  /* Past the end; a page too large. */
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b25", 26, 0, 0, &t), OUT_OF_RANGE);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b25", UINT64_MAX, 0, 0, &t), OUT_OF_RANGE);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b25", 0, 1001, 0, &t), INVALID);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b25", 0, 1001, 1, &t), INVALID);

  /* page_size 0 means 100. */
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b121", 0, 0, 0, &t), OK);
  CHECK_EQ(t->n_facts, 100);
  CHECK_EQ(t->next_start, 100);
  CHECK_STR(t->facts[0]->kind, "batch_registered");
  uint64_t last = t->facts[99]->index;
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b121", 100, 0, 0, &t), OK);
  CHECK_EQ(t->n_facts, 21);
  CHECK_EQ(t->next_start, 0);
  CHECK(t->facts[0]->index > last);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b121", 0, 1000, 0, &t), OK);
  CHECK_EQ(t->n_facts, 121);
  inv_world_stop(&w);
}

/* The fact's proof, as hashes; -1 when a hash has the wrong length. */
static int fact_proof(const Partsledger__V1__Fact *f, pl_hash *proof) {
  if (f->n_inclusion_proof > PL_MERKLE_MAX_PROOF)
    return -1;
  for (size_t i = 0; i < f->n_inclusion_proof; i++) {
    if (f->inclusion_proof[i].len != PL_HASH_BYTES)
      return -1;
    memcpy(proof[i], f->inclusion_proof[i].data, PL_HASH_BYTES);
  }
  return 0;
}

/* 1 when the leaf at `index` is proven in the checkpoint's tree. */
static int proves(const char *vkey, const char *note, uint64_t index, const uint8_t *leaf,
                  size_t len, const pl_hash *proof, size_t n) {
  return pl_verify_inclusion(vkey, note, index, leaf, len, proof, n) == 0;
}

/* Everything about one fact an offline verifier can check, from the
 * verifier key, the response's checkpoint and the fact alone. */
static void verify_fact_offline(const char *vkey, const char *note,
                                const Partsledger__V1__Fact *f, pl_arena *a) {
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  size_t n = f->n_inclusion_proof, len = f->leaf.len;
  uint64_t at = f->index;
  CHECK(len > 0);
  CHECK_EQ(fact_proof(f, proof), 0);
  CHECK(proves(vkey, note, at, f->leaf.data, len, proof, n));
  /* The leaf is the fact: its index, a signed entry of the fact's kind. */
  Partsledger__V1__Leaf *leaf =
      partsledger__v1__leaf__unpack(pl_arena_allocator(a), len, f->leaf.data);
  CHECK(leaf != NULL && leaf->signed_entry != NULL);
  CHECK_EQ(leaf->index, at);
  char msg[PL_MSG_MAX];
  CHECK_EQ(pl_signed_entry_verify(leaf->signed_entry, msg), 0);
  const ProtobufCBinaryData *eb = &leaf->signed_entry->entry;
  Partsledger__V1__Entry *e =
      partsledger__v1__entry__unpack(pl_arena_allocator(a), eb->len, eb->data);
  CHECK(e != NULL);
  CHECK_STR(kind_name(e->body_case), f->kind);

  /* Any byte of the leaf changed, or any byte of the proof, and it fails. */
  uint8_t *bytes = pl_arena_alloc(a, len + 1);
  CHECK(bytes != NULL);
  memcpy(bytes, f->leaf.data, len);
  for (size_t i = 0; i < len; i++) {
    bytes[i] ^= 0x01;
    CHECK(!proves(vkey, note, at, bytes, len, proof, n));
    bytes[i] ^= 0x01;
  }
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < PL_HASH_BYTES; i++) {
      proof[k][i] ^= 0x80;
      CHECK(!proves(vkey, note, at, bytes, len, proof, n));
      proof[k][i] ^= 0x80;
    }
  /* Nor does it prove another place, with a hash less, or a byte more. */
  CHECK(proves(vkey, note, at, bytes, len, proof, n));
  CHECK(!proves(vkey, note, at + 1, bytes, len, proof, n));
  CHECK(n == 0 || !proves(vkey, note, at, bytes, len, proof, n - 1));
  bytes[len] = 0;
  CHECK(!proves(vkey, note, at, bytes, len + 1, proof, n));
}

PL_TEST(trace_proofs_verify_offline_and_fail_when_a_byte_changes) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  const pl_key *c = w.clerk;
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 100, SITE_A, 10), OK);
  CHECK_APPEND(&w, inv_transfer(a, c, SITE_A, SITE_B, "b1", 4), OK);
  CHECK_APPEND(&w, inv_reserve(a, c, "r1", SITE_B, "SKU-1", 2, "b1", inv_later()), OK);
  CHECK_APPEND(&w, inv_fulfil(a, c, "r1", "b1", 2), OK);
  CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b1", -1), OK);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "b1", "fails under load"), OK);
  /* The verifier key, as a client that trusts nothing else would get it. */
  Partsledger__V1__GetLogInfoResponse *info;
  CHECK_EQ(pl_client_get_log_info(w.e.c, a, &info), 0);
  const char *vkey = pl_arena_dup(a, info->verifier_key, strlen(info->verifier_key) + 1);

  Partsledger__V1__TraceBatchResponse *t, *plain;
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b1", 0, 0, 1, &t), OK);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b1", 0, 0, 0, &plain), OK);
  CHECK_EQ(t->n_facts, 7);
  CHECK_EQ(plain->n_facts, 7);
  uint64_t size;
  uint8_t root[PL_HASH_BYTES];
  CHECK_EQ(pl_verify_checkpoint(vkey, t->checkpoint, &size, root), 0);
  CHECK_EQ(size, t->tree_size);
  CHECK(t->tree_size > t->facts[6]->index);
  for (size_t i = 0; i < t->n_facts; i++) {
    const Partsledger__V1__Fact *f = t->facts[i];
    /* The same fact as without proofs, and the log's own leaf bytes. */
    CHECK_EQ(f->index, plain->facts[i]->index);
    CHECK_STR(f->kind, plain->facts[i]->kind);
    CHECK_STR(f->site_id, plain->facts[i]->site_id);
    CHECK_EQ(f->quantity, plain->facts[i]->quantity);
    Partsledger__V1__EntryResponse *er;
    CHECK_EQ(pl_client_get_entry(w.e.c, f->index, a, &er), 0);
    CHECK_EQ(er->leaf.len, f->leaf.len);
    CHECK_MEM(er->leaf.data, f->leaf.data, f->leaf.len);
    verify_fact_offline(vkey, t->checkpoint, f, a);
    if (pl_test_failed)
      fprintf(stderr, "fact %zu (%s at leaf %llu)\n", i, f->kind,
              (unsigned long long)f->index);
    CHECK(!pl_test_failed);
  }
  /* A checkpoint changed anywhere no longer verifies, nor proves the facts. */
  char *note = pl_arena_dup(a, t->checkpoint, strlen(t->checkpoint) + 1);
  pl_hash proof[PL_MERKLE_MAX_PROOF];
  const Partsledger__V1__Fact *f1 = t->facts[1];
  size_t n1 = f1->n_inclusion_proof;
  CHECK_EQ(fact_proof(f1, proof), 0);
  CHECK(proves(vkey, note, f1->index, f1->leaf.data, f1->leaf.len, proof, n1));
  for (size_t i = 0; note[i] != '\0'; i++) {
    char was = note[i];
    note[i] = was == '1' ? '2' : '1';
    CHECK(!proves(vkey, note, f1->index, f1->leaf.data, f1->leaf.len, proof, n1));
    note[i] = was;
  }
  /* Another log's key verifies none of it. */
  pl_key *other = new_key();
  char other_vkey[PL_VKEY_MAX];
  CHECK_EQ(pl_note_vkey(pl_harness_origin(w.e.h), pl_key_public(other), other_vkey,
                        sizeof(other_vkey)),
           0);
  pl_key_free(other);
  CHECK(pl_verify_checkpoint(other_vkey, t->checkpoint, &size, root) != 0);

  /* The log grows; the trace already given still verifies offline, and a
   * new one, in a larger tree, too. */
  for (int i = 0; i < 5; i++)
    CHECK_APPEND(&w, inv_adjust(a, c, SITE_A, "b1", -1), OK);
  CHECK(proves(vkey, t->checkpoint, f1->index, f1->leaf.data, f1->leaf.len, proof, n1));
  Partsledger__V1__TraceBatchResponse *later;
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b1", 0, 0, 1, &later), OK);
  CHECK_EQ(later->n_facts, 12);
  CHECK(later->tree_size >= t->tree_size + 5);
  for (size_t i = 0; i < later->n_facts; i++) {
    verify_fact_offline(vkey, later->checkpoint, later->facts[i], a);
    CHECK(!pl_test_failed);
  }
  /* Paged with proofs: each page proves its facts in its own checkpoint. */
  for (uint64_t start = 0;;) {
    Partsledger__V1__TraceBatchResponse *page;
    CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b1", start, 5, 1, &page), OK);
    CHECK_EQ(pl_verify_checkpoint(vkey, page->checkpoint, &size, root), 0);
    CHECK_EQ(size, page->tree_size);
    for (size_t i = 0; i < page->n_facts; i++) {
      pl_hash p[PL_MERKLE_MAX_PROOF];
      const Partsledger__V1__Fact *f = page->facts[i];
      CHECK_EQ(fact_proof(f, p), 0);
      CHECK(proves(vkey, page->checkpoint, f->index, f->leaf.data, f->leaf.len, p,
                   f->n_inclusion_proof));
    }
    if (page->next_start == 0)
      break;
    start = page->next_start;
  }
  inv_world_stop(&w);
}

PL_TEST(trace_supplier_batches_in_registration_order) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  pl_arena *a = w.e.a;
  CHECK_APPEND(&w, inv_supplier(a, w.admin, "sup-2"), OK);
  CHECK_APPEND(&w, inv_supplier(a, w.admin, "sup-empty"), OK);
  /* Interleaved with another supplier's, and not in the order of the ids. */
  const struct {
    const char *batch, *supplier;
  } made[] = {{"zeta", SUPPLIER}, {"alpha", "sup-2"}, {"alpha-1", SUPPLIER},
              {"mid", SUPPLIER},  {"beta", "sup-2"},  {"aaa", SUPPLIER}};
  for (size_t i = 0; i < 6; i++)
    CHECK_APPEND(&w, inv_batch(a, w.maker, made[i].batch, made[i].supplier, "SKU-1", 20),
                 OK);
  CHECK_APPEND(&w, inv_receive(a, w.clerk, SITE_A, "mid", 7), OK);
  CHECK_APPEND(&w, inv_recall(a, w.maker, "aaa", "wrong drawing"), OK);
  const char *order[] = {"zeta", "alpha-1", "mid", "aaa"};

  Partsledger__V1__TraceSupplierResponse *t;
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, SUPPLIER, 0, 0, &t), OK);
  CHECK_EQ(t->n_batches, 4);
  CHECK_EQ(t->next_start, 0);
  for (size_t i = 0; i < 4; i++) {
    CHECK_STR(t->batches[i]->batch_id, order[i]);
    Partsledger__V1__Batch *b;
    CHECK_STATUS(&w.e, inv_get_batch(&w.e, order[i], &b), OK);
    CHECK(same_message(t->batches[i], b)); /* units, recall and all */
  }
  CHECK_EQ(t->batches[2]->units_in_network, 7);
  CHECK(t->batches[3]->recalled);
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "sup-2", 0, 0, &t), OK);
  CHECK_EQ(t->n_batches, 2);
  CHECK_STR(t->batches[0]->batch_id, "alpha");
  CHECK_STR(t->batches[1]->batch_id, "beta");
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "sup-empty", 0, 0, &t), OK);
  CHECK_EQ(t->n_batches, 0);
  CHECK_EQ(t->next_start, 0);

  /* Pages. */
  const struct {
    uint64_t start;
    uint32_t size;
    size_t n;
    uint64_t next;
  } pages[] = {{0, 2, 2, 2}, {2, 2, 2, 0}, {1, 2, 2, 3}, {3, 2, 1, 0}, {4, 2, 0, 0},
               {0, 3, 3, 3}, {0, 4, 4, 0}};
  for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
    uint64_t start = pages[p].start;
    CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, SUPPLIER, start, pages[p].size, &t), OK);
    CHECK_EQ(t->n_batches, pages[p].n);
    CHECK_EQ(t->next_start, pages[p].next);
    for (size_t i = 0; i < t->n_batches; i++)
      CHECK_STR(t->batches[i]->batch_id, order[pages[p].start + i]);
  }
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, SUPPLIER, 5, 0, &t), OUT_OF_RANGE);
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "sup-empty", 1, 0, &t), OUT_OF_RANGE);
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, SUPPLIER, 0, 1001, &t), INVALID);
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "sup-nobody", 0, 0, &t), NOT_FOUND);

  /* page_size 0 means 100. */
  CHECK_APPEND(&w, inv_supplier(a, w.admin, "sup-many"), OK);
  Partsledger__V1__SignedEntry *ses[105];
  for (int i = 0; i < 105; i++)
    ses[i] = inv_batch(a, w.maker, pl_arena_printf(a, "many-%03d", 104 - i), "sup-many",
                       "SKU-1", 1);
  Partsledger__V1__AppendBatchResponse *r;
  CHECK_EQ(pl_client_append_batch(w.e.c, ses, 105, a, &r), 0);
  CHECK_EQ(r->n_results, 105);
  for (int i = 0; i < 105; i++)
    CHECK_EQ(r->results[i]->code, OK);
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "sup-many", 0, 0, &t), OK);
  CHECK_EQ(t->n_batches, 100);
  CHECK_EQ(t->next_start, 100);
  CHECK_STR(t->batches[0]->batch_id, "many-104");
  CHECK_STR(t->batches[99]->batch_id, "many-005");
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "sup-many", 100, 0, &t), OK);
  CHECK_EQ(t->n_batches, 5);
  CHECK_EQ(t->next_start, 0);
  CHECK_STR(t->batches[4]->batch_id, "many-000");
  inv_world_stop(&w);
}

PL_TEST(traces_of_unknown_ids_not_found) {
  inv_world w;
  CHECK(inv_world_start(&w) == 0);
  CHECK_EQ(inv_stocked(&w, "b1", "SKU-1", 10, SITE_A, 1), OK);
  Partsledger__V1__TraceBatchResponse *tb;
  Partsledger__V1__TraceSupplierResponse *ts;
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b-nobody", 0, 0, 0, &tb), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b-nobody", 0, 0, 1, &tb), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b-nobody", 5, 10, 0, &tb), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "sup-nobody", 0, 0, &ts), NOT_FOUND);
  /* An id that is a batch is not a supplier, nor the other way round. */
  CHECK_STATUS(&w.e, inv_trace_supplier(&w.e, "b1", 0, 0, &ts), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, SUPPLIER, 0, 0, 0, &tb), NOT_FOUND);
  CHECK_STATUS(&w.e, inv_trace_batch(&w.e, "b1", 0, 0, 0, &tb), OK);
  CHECK_EQ(tb->n_facts, 2);
  inv_world_stop(&w);
}

PL_TEST_MAIN(PL_CASE(trace_batch_facts_in_log_order), PL_CASE(trace_batch_pages),
             PL_CASE(trace_proofs_verify_offline_and_fail_when_a_byte_changes),
             PL_CASE(trace_supplier_batches_in_registration_order),
             PL_CASE(traces_of_unknown_ids_not_found))
