/*
 * test_history.c - integration tests of the histories against the real
 * partsledgerd: a device's history (every leaf naming it, in log order), a
 * part's (its supplier, batch, what put it in a device and took it out),
 * the devices a batch's parts are in now (the recall question, paged),
 * TraceBatch's registration and replacement facts; with proofs, every fact
 * is checked offline against the signed checkpoint (client/verify.h), and
 * the histories come back the same from a rebuilt state.
 */
#include <string.h>

#include "wty.h"

/* The indices of what the device story below appended. */
typedef struct {
  uint64_t reg, ext, opened, responded, replaced, closed, filed, decided;
} story;

/* DEV-1 registered, extended, repaired (battery DEV-1-bat -> N1 from BB)
 * and claimed for; DEV-10, whose serial starts like it, registered with an
 * order of its own, in between. */
static int device_story(wty *w, story *s) {
  int64_t now = wty_now();
  int rc;
  if ((rc = wty_catalogue(w)) != 0 || (rc = wty_std_device(w, "DEV-1", now - 50 * DAY)) != 0)
    return rc;
  s->reg = w->index;
  if ((rc = wty_std_device(w, "DEV-10", now - 50 * DAY)) != 0 ||
      (rc = wty_extend(w, w->mfr, "DEV-1", "battery", 6)) != 0)
    return rc;
  s->ext = w->index;
  if ((rc = wty_open(w, w->st1, "O1", "DEV-1", "S1", P2, now - 3 * HOUR, 40)) != 0)
    return rc;
  s->opened = w->index;
  if ((rc = wty_open(w, w->st1, "O10", "DEV-10", "S1", P2, now - 3 * HOUR, 0)) != 0 ||
      (rc = wty_respond(w, w->st1, "O1", now - 2 * HOUR)) != 0)
    return rc;
  s->responded = w->index;
  if ((rc = wty_replace(w, w->st1, "O1", "battery", "DEV-1-bat", "N1", "BB", "", 32)) != 0)
    return rc;
  s->replaced = w->index;
  if ((rc = wty_close(w, w->st1, "O1", OUT_FIXED, now - HOUR, 1)) != 0)
    return rc;
  s->closed = w->index;
  if ((rc = wty_claim(w, w->st1, "C1", "DEV-1", "O1", "battery", 40, now - 3 * HOUR)) != 0)
    return rc;
  s->filed = w->index;
  if ((rc = wty_decide(w, w->mfr, "C1", APPROVED, R_IN_TERM, "")) != 0)
    return rc;
  s->decided = w->index;
  return 0;
}

PL_TEST(device_history_lists_every_fact) {
  wty w;
  story s;
  CHECK(wty_start(&w) == 0);
  CHECK_CODE(&w, device_story(&w, &s), OK);
  const char *kinds[] = {"device_registered",      "warranty_extended", "repair_order_opened",
                         "repair_order_responded", "part_replaced",     "repair_order_closed",
                         "claim_filed",            "claim_decided"};
  const uint64_t idx[] = {s.reg,      s.ext,    s.opened, s.responded,
                          s.replaced, s.closed, s.filed,  s.decided};
  const int bodies[] = {PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED,
                        PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED,
                        PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED,
                        PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED,
                        PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED,
                        PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED,
                        PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED,
                        PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED};
  enum { N = 8 };
  uint64_t size = tree_size(&w.e);

  Partsledger__V1__DeviceHistoryResponse *h;
  CHECK_CODE(&w, wty_device_history(&w, "DEV-1", 0, &h), OK);
  CHECK_EQ(h->n_facts, N);
  CHECK_EQ(h->tree_size, size);
  for (size_t i = 0; i < N; i++) {
    CHECK_STR(h->facts[i]->kind, kinds[i]);
    CHECK_EQ(h->facts[i]->index, idx[i]);
    CHECK_STR(h->facts[i]->device_serial, "DEV-1");
    CHECK_EQ(h->facts[i]->leaf.len, 0); /* no proofs asked */
  }
  CHECK_STR(h->facts[4]->part_serial, "N1");
  CHECK_STR(h->facts[4]->component, "battery");

  CHECK_CODE(&w, wty_device_history(&w, "DEV-1", 1, &h), OK);
  CHECK_EQ(h->n_facts, N);
  uint64_t cp_size;
  CHECK_EQ(pl_verify_checkpoint(w.e.vkey, h->checkpoint, &cp_size, NULL), 0);
  CHECK_EQ(cp_size, h->tree_size);
  CHECK(wty_facts_verify(&w, h->checkpoint, h->facts, h->n_facts) == 0);
  /* Each leaf is the entry its kind says, and names the device (or its
   * order, or its claim). */
  for (size_t i = 0; i < N; i++) {
    Partsledger__V1__Entry *e = wty_fact_entry(&w, h->facts[i]);
    CHECK(e != NULL);
    CHECK_EQ(e->body_case, bodies[i]);
  }
  CHECK_STR(wty_fact_entry(&w, h->facts[0])->device_registered->device_serial, "DEV-1");
  CHECK_STR(wty_fact_entry(&w, h->facts[1])->warranty_extended->device_serial, "DEV-1");
  CHECK_STR(wty_fact_entry(&w, h->facts[2])->repair_order_opened->device_serial, "DEV-1");
  CHECK_STR(wty_fact_entry(&w, h->facts[3])->repair_order_responded->order_id, "O1");
  CHECK_STR(wty_fact_entry(&w, h->facts[4])->part_replaced->installed_serial, "N1");
  CHECK_STR(wty_fact_entry(&w, h->facts[5])->repair_order_closed->order_id, "O1");
  CHECK_STR(wty_fact_entry(&w, h->facts[6])->claim_filed->device_serial, "DEV-1");
  CHECK_STR(wty_fact_entry(&w, h->facts[7])->claim_decided->claim_id, "C1");

  /* DEV-10's history is its own. */
  CHECK_CODE(&w, wty_device_history(&w, "DEV-10", 1, &h), OK);
  CHECK_EQ(h->n_facts, 2);
  CHECK_STR(h->facts[0]->kind, "device_registered");
  CHECK_STR(h->facts[1]->kind, "repair_order_opened");
  CHECK(wty_facts_verify(&w, h->checkpoint, h->facts, h->n_facts) == 0);
  wty_stop(&w);
}

/* Orders and claims may name a device nobody registered: its history is
 * theirs. A device no leaf names is not found. */
PL_TEST(device_history_of_unregistered_device) {
  wty w;
  CHECK(wty_start(&w) == 0);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "GHOST", "S1", P1, now - HOUR, 0), OK);
  uint64_t opened = w.index;
  CHECK_CODE(&w, wty_claim(&w, w.st1, "C1", "GHOST", "O1", "battery", 0, now - HOUR), OK);
  uint64_t filed = w.index;
  Partsledger__V1__DeviceHistoryResponse *h;
  CHECK_CODE(&w, wty_device_history(&w, "GHOST", 1, &h), OK);
  CHECK_EQ(h->n_facts, 2);
  CHECK_STR(h->facts[0]->kind, "repair_order_opened");
  CHECK_EQ(h->facts[0]->index, opened);
  CHECK_STR(h->facts[1]->kind, "claim_filed");
  CHECK_EQ(h->facts[1]->index, filed);
  CHECK(wty_facts_verify(&w, h->checkpoint, h->facts, h->n_facts) == 0);
  CHECK_CODE(&w, wty_device_history(&w, "NOPE", 0, &h), NOT_FOUND);
  CHECK_CODE(&w, wty_device_history(&w, "", 0, &h), INVALID);
  wty_stop(&w);
}

/* A part's story: its supplier's and batch's registrations, the entry that
 * put it in a device, the one that took it out, and any later one that put
 * it back in. */
PL_TEST(part_history) {
  wty w;
  story s;
  CHECK(wty_start(&w) == 0);
  CHECK_CODE(&w, device_story(&w, &s), OK);
  Partsledger__V1__PartHistoryResponse *h;
  CHECK_CODE(&w, wty_part_history(&w, "DEV-1-bat", 1, &h), OK);
  CHECK_EQ(h->n_facts, 4);
  CHECK_STR(h->facts[0]->kind, "supplier_registered");
  CHECK_STR(h->facts[1]->kind, "batch_registered");
  CHECK_STR(h->facts[2]->kind, "device_registered");
  CHECK_EQ(h->facts[2]->index, s.reg);
  CHECK_STR(h->facts[2]->device_serial, "DEV-1");
  CHECK_STR(h->facts[3]->kind, "part_replaced");
  CHECK_EQ(h->facts[3]->index, s.replaced);
  CHECK_STR(h->facts[3]->device_serial, "DEV-1");
  CHECK(wty_facts_verify(&w, h->checkpoint, h->facts, h->n_facts) == 0);
  Partsledger__V1__Entry *e = wty_fact_entry(&w, h->facts[0]);
  CHECK(e != NULL && e->body_case == PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED);
  CHECK_STR(e->supplier_registered->supplier_id, "SUP");
  e = wty_fact_entry(&w, h->facts[1]);
  CHECK(e != NULL && e->body_case == PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED);
  CHECK_STR(e->batch_registered->batch_id, "BB");
  CHECK(h->facts[0]->index < h->facts[1]->index && h->facts[1]->index < s.reg);

  CHECK_CODE(&w, wty_part_history(&w, "N1", 1, &h), OK);
  CHECK_EQ(h->n_facts, 3);
  CHECK_STR(h->facts[0]->kind, "supplier_registered");
  CHECK_STR(h->facts[1]->kind, "batch_registered");
  CHECK_STR(h->facts[2]->kind, "part_replaced");
  CHECK_EQ(h->facts[2]->index, s.replaced);
  CHECK(wty_facts_verify(&w, h->checkpoint, h->facts, h->n_facts) == 0);

  /* The removed battery goes into DEV-10. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "O2", "DEV-10", "S1", P2, wty_now() - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O2", "battery", "DEV-10-bat", "DEV-1-bat", "BB", "",
                             0), OK);
  uint64_t back = w.index;
  CHECK_CODE(&w, wty_part_history(&w, "DEV-1-bat", 0, &h), OK);
  CHECK_EQ(h->n_facts, 5);
  CHECK_STR(h->facts[4]->kind, "part_replaced");
  CHECK_EQ(h->facts[4]->index, back);
  CHECK_STR(h->facts[4]->device_serial, "DEV-10");
  CHECK_CODE(&w, wty_part_history(&w, "NOPE", 0, &h), NOT_FOUND);
  wty_stop(&w);
}

/* One row per part of the batch in a device now, by device serial, paged;
 * a replacement moves rows; a recall leaves them (it is the question). */
PL_TEST(batch_devices_paged) {
  wty w;
  CHECK(wty_start(&w) == 0);
  CHECK_CODE(&w, wty_catalogue(&w), OK);
  CHECK_CODE(&w, wty_batch(&w, "BX", "SKU-BAT", ORIGINAL, 12, 50, NULL, 0), OK);
  CHECK_CODE(&w, wty_batch(&w, "BX1", "SKU-BAT", ORIGINAL, 12, 50, NULL, 0), OK);
  CHECK_CODE(&w, wty_batch(&w, "BY", "SKU-BAT", ORIGINAL, 12, 50, NULL, 0), OK);
  int64_t p = wty_now() - 10 * DAY;
  /* Registered out of order: the rows come back by device serial. */
  const char *devices[] = {"DD", "DB", "DE", "DA", "DC"};
  uint64_t reg[5];
  for (int i = 0; i < 5; i++) {
    char part[16], scr[16];
    snprintf(part, sizeof(part), "X-%s", devices[i]);
    snprintf(scr, sizeof(scr), "S-%s", devices[i]);
    const wty_part both[] = {{"battery", part, "BX"}, {"screen", scr, "BS"}};
    CHECK_CODE(&w, wty_device(&w, w.mfr, devices[i], "X1", "POL", p, 0, both, 2), OK);
    reg[i] = w.index;
  }
  const wty_part two[] = {{"battery", "X-DF", "BX1"}, {"screen", "XS-DF", "BX"}};
  CHECK_CODE(&w, wty_device(&w, w.mfr, "DF", "X1", "POL", p, 0, two, 2), OK);
  uint64_t reg_df = w.index;

  Partsledger__V1__BatchDevicesResponse *r;
  CHECK_CODE(&w, wty_batch_devices(&w, "BX", 0, 0, &r), OK);
  CHECK_EQ(r->n_devices, 6);
  CHECK_EQ(r->next_start, 0);
  const char *want[] = {"DA", "DB", "DC", "DD", "DE", "DF"};
  for (int i = 0; i < 6; i++) {
    CHECK_STR(r->devices[i]->device_serial, want[i]);
    if (i < 5) {
      char part[16];
      snprintf(part, sizeof(part), "X-%s", want[i]);
      CHECK_STR(r->devices[i]->component, "battery");
      CHECK_STR(r->devices[i]->part_serial, part);
      for (int j = 0; j < 5; j++)
        if (strcmp(devices[j], want[i]) == 0)
          CHECK_EQ(r->devices[i]->index, reg[j]);
    } else {
      CHECK_STR(r->devices[i]->component, "screen");
      CHECK_STR(r->devices[i]->part_serial, "XS-DF");
      CHECK_EQ(r->devices[i]->index, reg_df);
    }
  }
  /* Pages of 4: the second one ends the list. */
  CHECK_CODE(&w, wty_batch_devices(&w, "BX", 0, 4, &r), OK);
  CHECK_EQ(r->n_devices, 4);
  CHECK_EQ(r->next_start, 4);
  CHECK_STR(r->devices[3]->device_serial, "DD");
  CHECK_CODE(&w, wty_batch_devices(&w, "BX", 4, 4, &r), OK);
  CHECK_EQ(r->n_devices, 2);
  CHECK_EQ(r->next_start, 0);
  CHECK_STR(r->devices[0]->device_serial, "DE");
  CHECK_STR(r->devices[1]->device_serial, "DF");
  /* A page that ends exactly at the end of the list. */
  CHECK_CODE(&w, wty_batch_devices(&w, "BX", 3, 3, &r), OK);
  CHECK_EQ(r->n_devices, 3);
  CHECK_EQ(r->next_start, 0);
  /* BX1 shares BX's prefix and not its rows. */
  CHECK_CODE(&w, wty_batch_devices(&w, "BX1", 0, 0, &r), OK);
  CHECK_EQ(r->n_devices, 1);
  CHECK_STR(r->devices[0]->part_serial, "X-DF");

  /* DB's battery is replaced from BY: the row moves. */
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "DB", "S1", P2, wty_now() - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "X-DB", "Y-DB", "BY", "", 0), OK);
  uint64_t replaced = w.index;
  CHECK_CODE(&w, wty_batch_devices(&w, "BX", 0, 0, &r), OK);
  CHECK_EQ(r->n_devices, 5);
  for (size_t i = 0; i < r->n_devices; i++)
    CHECK(strcmp(r->devices[i]->device_serial, "DB") != 0);
  CHECK_CODE(&w, wty_batch_devices(&w, "BY", 0, 0, &r), OK);
  CHECK_EQ(r->n_devices, 1);
  CHECK_STR(r->devices[0]->device_serial, "DB");
  CHECK_STR(r->devices[0]->part_serial, "Y-DB");
  CHECK_EQ(r->devices[0]->index, replaced);

  /* The recall question: a recalled batch's parts are still where they are. */
  CHECK_CODE(&w, wty_recall(&w, "BX"), OK);
  CHECK_CODE(&w, wty_batch_devices(&w, "BX", 0, 0, &r), OK);
  CHECK_EQ(r->n_devices, 5);
  /* A batch with no part in a device, and an unknown one. */
  CHECK_CODE(&w, wty_batch_devices(&w, "BC", 0, 0, &r), OK);
  CHECK_EQ(r->n_devices, 0);
  CHECK_EQ(r->next_start, 0);
  CHECK_CODE(&w, wty_batch_devices(&w, "NOPE", 0, 0, &r), NOT_FOUND);
  wty_stop(&w);
}

/* A device repaired before anyone registered it: the part a replacement put
 * in is in the device, and stays so once the device is registered with its
 * other parts: GetDevice lists it, the status judges it, BatchDevices
 * finds it. */
PL_TEST(registered_after_repair_keeps_its_parts) {
  wty w;
  CHECK(wty_start(&w) == 0);
  CHECK_CODE(&w, wty_catalogue(&w), OK);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "LATE-1", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "", "N9", "BB", "", 0), OK);
  uint64_t replaced = w.index;
  const wty_part parts[] = {{"screen", "LATE-1-scr", "BS"}};
  CHECK_CODE(&w, wty_device(&w, w.mfr, "LATE-1", "X1", "POL", now - 10 * DAY, 0, parts, 1),
             OK);
  Partsledger__V1__Device *d;
  CHECK_CODE(&w, wty_get_device(&w, "LATE-1", &d), OK);
  const Partsledger__V1__DevicePart *battery = NULL;
  for (size_t i = 0; i < d->n_parts; i++)
    if (strcmp(d->parts[i]->component, "battery") == 0)
      battery = d->parts[i];
  CHECK_EQ(d->n_parts, 2);
  CHECK(battery != NULL);
  CHECK_STR(battery->part_serial, "N9");
  CHECK_EQ(battery->installed_index, replaced);
  CHECK(battery->by_replacement);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "LATE-1", "battery", 0, 0, &st), OK);
  CHECK_STR(st->part_serial, "N9");
  Partsledger__V1__BatchDevicesResponse *r;
  CHECK_CODE(&w, wty_batch_devices(&w, "BB", 0, 0, &r), OK);
  CHECK_EQ(r->n_devices, 1);
  CHECK_STR(r->devices[0]->part_serial, "N9");
  wty_stop(&w);
}

/* The same, when the registration lists a part for the component a repair
 * already filled. Whatever the server decides (refuse the registration, or
 * let its part take the place), what it answers must agree: the part the
 * status and GetDevice say is in the device is the one BatchDevices lists
 * there, and a part no longer in it can go into another device. */
PL_TEST(registration_over_a_repaired_component_is_consistent) {
  wty w;
  CHECK(wty_start(&w) == 0);
  CHECK_CODE(&w, wty_catalogue(&w), OK);
  int64_t now = wty_now();
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "LATE-2", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "", "N8", "BB", "", 0), OK);
  const wty_part parts[] = {{"battery", "LATE-2-bat", "BA"}};
  int code = wty_device(&w, w.mfr, "LATE-2", "X1", "POL", now - 10 * DAY, 0, parts, 1);
  fprintf(stderr, "registration over a repaired battery: %s (%s)\n", wty_code_name(code),
          w.msg);
  /* Accepted, or refused as a precondition: nothing else is an answer. */
  CHECK(code == OK || code == PRECONDITION);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_CODE(&w, wty_status(&w, "LATE-2", "battery", 0, 0, &st), OK);
  const char *in_place = st->part_serial[0] ? pl_arena_dup(w.e.a, st->part_serial,
                                                           strlen(st->part_serial) + 1)
                                            : "";
  /* One of the two parts is in place; a refusal left the repair's. */
  CHECK(strcmp(in_place, "N8") == 0 || strcmp(in_place, "LATE-2-bat") == 0);
  if (code == PRECONDITION)
    CHECK_STR(in_place, "N8");
  Partsledger__V1__BatchDevicesResponse *bb, *ba;
  CHECK_CODE(&w, wty_batch_devices(&w, "BB", 0, 0, &bb), OK);
  CHECK_CODE(&w, wty_batch_devices(&w, "BA", 0, 0, &ba), OK);
  size_t rows = 0;
  for (size_t i = 0; i < bb->n_devices; i++) {
    CHECK_STR(bb->devices[i]->part_serial, in_place);
    rows++;
  }
  for (size_t i = 0; i < ba->n_devices; i++) {
    CHECK_STR(ba->devices[i]->part_serial, in_place);
    rows++;
  }
  CHECK_EQ(rows, 1); /* one part in the battery's place, listed once */
  /* The part not in place goes into another device. */
  const char *out = strcmp(in_place, "N8") == 0 ? "LATE-2-bat" : "N8";
  const char *out_batch = strcmp(out, "N8") == 0 ? "BB" : "BA";
  CHECK_CODE(&w, wty_open(&w, w.st1, "O2", "OTHER", "S1", P2, now - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O2", "battery", "", out, out_batch, "", 0), OK);
  wty_stop(&w);
}

/* The fact of `kind` at leaf `index` in a batch's trace, or NULL. */
static const Partsledger__V1__Fact *trace_fact(const Partsledger__V1__TraceBatchResponse *t,
                                               const char *kind, uint64_t index) {
  for (size_t i = 0; i < t->n_facts; i++)
    if (strcmp(t->facts[i]->kind, kind) == 0 && t->facts[i]->index == index)
      return t->facts[i];
  return NULL;
}

/* TraceBatch lists a registration with how many of the batch's parts it
 * lists, and a replacement with +1 on the installed part's batch and -1 on
 * the removed part's. */
PL_TEST(trace_batch_device_facts) {
  wty w;
  CHECK(wty_start(&w) == 0);
  CHECK_CODE(&w, wty_catalogue(&w), OK);
  CHECK_CODE(&w, wty_batch(&w, "BT", "SKU-BAT", ORIGINAL, 12, 50, NULL, 0), OK);
  const wty_part parts[] = {
      {"battery", "T1", "BT"}, {"screen", "S1", "BS"}, {"aux", "T2", "BT"}};
  CHECK_CODE(&w, wty_device(&w, w.mfr, "D1", "X1", "POL", wty_now() - DAY, 0, parts, 3), OK);
  uint64_t reg = w.index;
  CHECK_CODE(&w, wty_open(&w, w.st1, "O1", "D1", "S1", P2, wty_now() - HOUR, 0), OK);
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "battery", "T1", "A1", "BA", "", 0), OK);
  uint64_t across = w.index;
  CHECK_CODE(&w, wty_replace(&w, w.st1, "O1", "aux", "T2", "T3", "BT", "", 0), OK);
  uint64_t within = w.index;

  Partsledger__V1__TraceBatchResponse *t;
  const Partsledger__V1__Fact *f;
  CHECK_CODE(&w, wty_trace_batch(&w, "BT", 1, &t), OK);
  CHECK((f = trace_fact(t, "device_registered", reg)) != NULL);
  CHECK_EQ(f->quantity, 2);
  CHECK((f = trace_fact(t, "part_replaced", across)) != NULL);
  CHECK_EQ(f->quantity, -1);
  /* Out and in of the same batch: the batch's count does not move, whether
   * as one fact or two. */
  int64_t net = 0;
  int seen = 0;
  for (size_t i = 0; i < t->n_facts; i++)
    if (t->facts[i]->index == within) {
      CHECK_STR(t->facts[i]->kind, "part_replaced");
      net += t->facts[i]->quantity;
      seen++;
    }
  CHECK(seen >= 1);
  CHECK_EQ(net, 0);
  CHECK(wty_facts_verify(&w, t->checkpoint, t->facts, t->n_facts) == 0);

  CHECK_CODE(&w, wty_trace_batch(&w, "BA", 1, &t), OK);
  CHECK((f = trace_fact(t, "part_replaced", across)) != NULL);
  CHECK_EQ(f->quantity, 1);
  CHECK(wty_facts_verify(&w, t->checkpoint, t->facts, t->n_facts) == 0);
  CHECK_CODE(&w, wty_trace_batch(&w, "BS", 0, &t), OK);
  CHECK((f = trace_fact(t, "device_registered", reg)) != NULL);
  CHECK_EQ(f->quantity, 1);
  wty_stop(&w);
}

/* The histories are the log's: a rebuilt state answers them alike. */
PL_TEST(histories_survive_rebuild) {
  wty w;
  story s;
  CHECK(wty_start(&w) == 0);
  CHECK_CODE(&w, device_story(&w, &s), OK);
  Partsledger__V1__DeviceHistoryResponse *h0, *h1;
  Partsledger__V1__PartHistoryResponse *p0, *p1;
  Partsledger__V1__BatchDevicesResponse *b0, *b1;
  Partsledger__V1__GetWarrantyStatusResponse *s0, *s1;
  CHECK_CODE(&w, wty_device_history(&w, "DEV-1", 0, &h0), OK);
  CHECK_CODE(&w, wty_part_history(&w, "DEV-1-bat", 0, &p0), OK);
  CHECK_CODE(&w, wty_batch_devices(&w, "BB", 0, 0, &b0), OK);
  CHECK_CODE(&w, wty_status(&w, "DEV-1", "battery", 0, 0, &s0), OK);
  CHECK(wty_rebuild(&w) == 0);
  CHECK_CODE(&w, wty_device_history(&w, "DEV-1", 1, &h1), OK);
  CHECK_CODE(&w, wty_part_history(&w, "DEV-1-bat", 0, &p1), OK);
  CHECK_CODE(&w, wty_batch_devices(&w, "BB", 0, 0, &b1), OK);
  CHECK_CODE(&w, wty_status(&w, "DEV-1", "battery", 0, 0, &s1), OK);
  CHECK_EQ(h1->n_facts, h0->n_facts);
  for (size_t i = 0; i < h0->n_facts; i++) {
    CHECK_STR(h1->facts[i]->kind, h0->facts[i]->kind);
    CHECK_EQ(h1->facts[i]->index, h0->facts[i]->index);
  }
  CHECK(wty_facts_verify(&w, h1->checkpoint, h1->facts, h1->n_facts) == 0);
  CHECK_EQ(p1->n_facts, p0->n_facts);
  for (size_t i = 0; i < p0->n_facts; i++)
    CHECK_EQ(p1->facts[i]->index, p0->facts[i]->index);
  CHECK_EQ(b1->n_devices, b0->n_devices);
  for (size_t i = 0; i < b0->n_devices; i++) {
    CHECK_STR(b1->devices[i]->device_serial, b0->devices[i]->device_serial);
    CHECK_STR(b1->devices[i]->part_serial, b0->devices[i]->part_serial);
    CHECK_EQ(b1->devices[i]->index, b0->devices[i]->index);
  }
  CHECK_EQ(s1->status, s0->status);
  CHECK_EQ(s1->coverage_ends_at_ms, s0->coverage_ends_at_ms);
  CHECK_STR(s1->term_source, s0->term_source);
  CHECK_STR(s1->part_serial, s0->part_serial);
  wty_stop(&w);
}

/* Queries name their ids as entries do: an empty or malformed one is an
 * invalid argument, an unknown one is not found. */
PL_TEST(queries_of_malformed_and_unknown_ids) {
  wty w;
  CHECK(wty_start(&w) == 0);
  Partsledger__V1__RepairOrder *o;
  Partsledger__V1__Claim *c;
  Partsledger__V1__Device *d;
  Partsledger__V1__PartHistoryResponse *ph;
  Partsledger__V1__BatchDevicesResponse *bd;
  CHECK_CODE(&w, wty_get_order(&w, "", &o), INVALID);
  CHECK_CODE(&w, wty_get_order(&w, "O 1", &o), INVALID);
  CHECK_CODE(&w, wty_get_claim(&w, "", &c), INVALID);
  CHECK_CODE(&w, wty_get_device(&w, "", &d), INVALID);
  CHECK_CODE(&w, wty_part_history(&w, "", 0, &ph), INVALID);
  CHECK_CODE(&w, wty_batch_devices(&w, "", 0, 0, &bd), INVALID);
  CHECK_CODE(&w, wty_get_order(&w, "O1", &o), NOT_FOUND);
  CHECK_CODE(&w, wty_get_claim(&w, "C1", &c), NOT_FOUND);
  CHECK_CODE(&w, wty_get_device(&w, "D1", &d), NOT_FOUND);
  CHECK_CODE(&w, wty_part_history(&w, "P1", 0, &ph), NOT_FOUND);
  CHECK_CODE(&w, wty_batch_devices(&w, "B1", 0, 0, &bd), NOT_FOUND);
  wty_stop(&w);
}

PL_TEST_MAIN(PL_CASE(device_history_lists_every_fact),
             PL_CASE(device_history_of_unregistered_device), PL_CASE(part_history),
             PL_CASE(batch_devices_paged), PL_CASE(trace_batch_device_facts),
             PL_CASE(histories_survive_rebuild),
             PL_CASE(registered_after_repair_keeps_its_parts),
             PL_CASE(registration_over_a_repaired_component_is_consistent),
             PL_CASE(queries_of_malformed_and_unknown_ids))
