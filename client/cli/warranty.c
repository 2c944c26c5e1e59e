/*
 * warranty.c - the commands that ask about repairs and warranty: warranty
 * (the status the ledger computes), device-info, order-info (with its SLA),
 * claim-info, station-report; batch-devices (the recall question: which
 * devices hold a batch's parts now); and the `trace` command's device and
 * part histories (their facts, with proofs, verified offline) and its EPCIS
 * 2.0 documents of a device, a part or a batch (cli_trace_subject, which
 * trace.c calls; a batch's own trace is trace.c's).
 *
 * The EPCIS document is the library's (epcis.h): this file fetches the facts
 * with their leaves, looks up what the document names better with GS1 keys
 * (batches' GTINs, sites' GLNs) and the orders of replacements, and writes
 * it. A batch's facts are fetched, and a history's verified, by trace.c's
 * shared functions (cli_trace_batch_fetch, cli_facts_verify).
 *
 * May depend on: cli.h, repair.h, client.h, epcis.h (and the storage/
 * headers through them), cJSON.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "epcis.h"
#include "repair.h"

/* TraceBatch and BatchDevices pages: the server's largest. */
#define CLI_TRACE_PAGE 1000

/* Prints a reply message as JSON. */
static int emit_message(struct cli *c, const ProtobufCMessage *m) {
  return cli_json_emit(cli_message_json(c, m), 0);
}

/* ---- warranty ---- */

static int cmd_warranty(struct cli *c) {
  int64_t at;
  uint64_t usage;
  int rc;
  if ((rc = cli_opt_time(c, "at", 0, &at)) != 0 ||
      (rc = cli_opt_u64(c, "usage", 0, &usage)) != 0 ||
      (rc = cli_connect(c)) != 0)
    return rc;
  Partsledger__V1__GetWarrantyStatusResponse *r;
  if ((rc = pl_client_warranty_status(c->client, c->pos[0], c->pos[1], at,
                                      usage, c->a, &r)) != 0)
    return cli_server_error(c, rc);
  const char *status = cli_enum_name(
      c, &partsledger__v1__warranty_status__descriptor, r->status);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_serial", c->pos[0]);
    cJSON_AddStringToObject(o, "component", c->pos[1]);
    cli_wty_json_merge(o, cli_message_json(c, &r->base));
    return cli_json_emit(o, 0);
  }
  printf("device:        %s\n", c->pos[0]);
  printf("component:     %s\n", c->pos[1]);
  printf("at:            %s\n", cli_wty_time_text(c, r->at_ms));
  printf("status:        %s\n", status);
  printf("coverage ends: %s\n", cli_wty_time_text(c, r->coverage_ends_at_ms));
  printf("term source:   %s\n", r->term_source[0] ? r->term_source : "-");
  printf("device term:   %s\n",
         cli_wty_time_text(c, r->device_term_ends_at_ms));
  printf("part term:     %s\n", cli_wty_time_text(c, r->part_term_ends_at_ms));
  printf("policy:        %s\n", r->policy_id[0] ? r->policy_id : "-");
  if (r->part_serial[0] != '\0')
    printf("part:          %s (batch %s, %s)\n", r->part_serial, r->batch_id,
           cli_enum_name(c, &partsledger__v1__part_class__descriptor,
                         r->part_class));
  if (r->usage_limit > 0)
    printf("usage limit:   %" PRIu64 " %s\n", r->usage_limit, r->usage_unit);
  for (size_t i = 0; i < r->n_reasons; i++)
    printf("%s%s\n", i == 0 ? "reasons:       " : "               ",
           r->reasons[i]);
  return CLI_EXIT_OK;
}

/* ---- device-info ---- */

static int cmd_device_info(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__Device *d;
  if ((rc = pl_client_get_device(c->client, c->pos[0], c->a, &d)) != 0)
    return cli_server_error(c, rc);
  if (c->json)
    return emit_message(c, &d->base);
  printf("device:        %s\n", d->device_serial);
  printf("model:         %s\n", d->model);
  printf("policy:        %s\n", d->policy_id);
  printf("purchased at:  %s\n", cli_wty_time_text(c, d->purchased_at_ms));
  printf("registered:    entry %" PRIu64 " at %s\n", d->registered_index,
         cli_iso_time(c, d->registered_at_ms));
  printf("owner ref:     %s\n",
         d->owner_ref.len ? cli_hex(c, d->owner_ref.data, d->owner_ref.len)
                          : "-");
  printf("parts:         %zu\n", d->n_parts);
  for (size_t i = 0; i < d->n_parts; i++) {
    const Partsledger__V1__DevicePart *p = d->parts[i];
    printf("  %-12s %-16s batch %-12s %s entry %" PRIu64 " at %s\n",
           p->component, p->part_serial, p->batch_id,
           p->by_replacement ? "replaced" : "original", p->installed_index,
           cli_iso_time(c, p->installed_at_ms));
  }
  for (size_t i = 0; i < d->n_extensions; i++) {
    const Partsledger__V1__Extension *x = d->extensions[i];
    printf("extension:     +%u months, %s, contract \"%s\" (entry %" PRIu64
           ")\n",
           x->months, x->component[0] ? x->component : "every component",
           x->contract_ref, x->index);
  }
  return CLI_EXIT_OK;
}

/* ---- order-info ---- */

static const char *sla_text(struct cli *c, int64_t by, int sla) {
  return pl_arena_printf(
      c->a, "%s  %s", cli_iso_time(c, by),
      cli_enum_name(c, &partsledger__v1__sla_status__descriptor, sla));
}

static int cmd_order_info(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__RepairOrder *o;
  if ((rc = pl_client_get_repair_order(c->client, c->pos[0], c->a, &o)) != 0)
    return cli_server_error(c, rc);
  if (c->json)
    return emit_message(c, &o->base);
  printf("order:         %s\n", o->order_id);
  printf("state:         %s\n",
         cli_enum_name(c, &partsledger__v1__order_state__descriptor, o->state));
  printf("device:        %s\n", o->device_serial);
  printf("site:          %s\n", o->site_id);
  printf("priority:      %s\n",
         cli_enum_name(c, &partsledger__v1__priority__descriptor, o->priority));
  printf("fault:         %s\n", o->fault);
  printf("reported at:   %s\n", cli_wty_time_text(c, o->reported_at_ms));
  printf("usage:         %" PRIu64 "\n", o->usage_reading);
  printf("respond by:    %s\n", sla_text(c, o->respond_by_ms, o->response_sla));
  printf("resolve by:    %s\n",
         sla_text(c, o->resolve_by_ms, o->resolution_sla));
  printf("responded at:  %s\n", cli_wty_time_text(c, o->responded_at_ms));
  printf("resolved at:   %s\n", cli_wty_time_text(c, o->resolved_at_ms));
  if (o->state == PARTSLEDGER__V1__ORDER_STATE__ORDER_STATE_CLOSED) {
    printf("outcome:       %s%s\n",
           cli_enum_name(c, &partsledger__v1__repair_outcome__descriptor,
                         o->outcome),
           o->first_visit_fix ? " (first visit)" : "");
    if (o->customer_acceptance_sha256.len > 0)
      printf("acceptance:    %s\n",
             cli_hex(c, o->customer_acceptance_sha256.data,
                     o->customer_acceptance_sha256.len));
  }
  printf("entries:       opened %" PRIu64, o->opened_index);
  if (o->responded_index != 0)
    printf(", responded %" PRIu64, o->responded_index);
  if (o->closed_index != 0)
    printf(", closed %" PRIu64, o->closed_index);
  printf("\nreplacements:  %zu\n", o->n_replacements);
  for (size_t i = 0; i < o->n_replacements; i++) {
    const Partsledger__V1__Replacement *r = o->replacements[i];
    printf("  %s: %s -> %s (batch %s%s%s), entry %" PRIu64 " at %s\n",
           r->component, r->removed_serial[0] ? r->removed_serial : "(none)",
           r->installed_serial, r->installed_batch_id,
           r->reservation_id[0] ? ", reservation " : "", r->reservation_id,
           r->index, cli_iso_time(c, r->at_ms));
  }
  return CLI_EXIT_OK;
}

/* ---- claim-info ---- */

static int cmd_claim_info(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__Claim *k;
  if ((rc = pl_client_get_claim(c->client, c->pos[0], c->a, &k)) != 0)
    return cli_server_error(c, rc);
  if (c->json)
    return emit_message(c, &k->base);
  printf("claim:         %s\n", k->claim_id);
  printf("state:         %s\n",
         cli_enum_name(c, &partsledger__v1__claim_state__descriptor, k->state));
  printf("device:        %s\n", k->device_serial);
  printf("order:         %s (site %s)\n", k->order_id, k->site_id);
  printf("component:     %s\n", k->component);
  printf("failure at:    %s\n", cli_wty_time_text(c, k->failure_at_ms));
  printf("usage:         %" PRIu64 "\n", k->usage_reading);
  printf("description:   %s\n", k->description);
  printf("filed:         entry %" PRIu64 "\n", k->filed_index);
  if (k->decided_index != 0) {
    printf("decision:      %s, %s (entry %" PRIu64 ")\n",
           cli_enum_name(c, &partsledger__v1__claim_decision__descriptor,
                         k->decision),
           cli_enum_name(c, &partsledger__v1__decision_reason__descriptor,
                         k->reason),
           k->decided_index);
    if (k->note[0] != '\0')
      printf("note:          %s\n", k->note);
  }
  if (k->dispute_index != 0)
    printf("dispute:       panel %s (entry %" PRIu64 ")\n", k->panel_id,
           k->dispute_index);
  if (k->ruling_index != 0)
    printf("ruling:        %s (entry %" PRIu64 ")\n",
           cli_enum_name(c, &partsledger__v1__ruling__descriptor, k->ruling),
           k->ruling_index);
  return CLI_EXIT_OK;
}

/* ---- station-report ---- */

static int cmd_station_report(struct cli *c) {
  int64_t from, to;
  int rc;
  if ((rc = cli_opt_time(c, "from", 0, &from)) != 0 ||
      (rc = cli_opt_time(c, "to", 0, &to)) != 0 || (rc = cli_connect(c)) != 0)
    return rc;
  Partsledger__V1__StationReportResponse *r;
  if ((rc = pl_client_station_report(c->client, c->pos[0], from, to, c->a,
                                     &r)) != 0)
    return cli_server_error(c, rc);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "site_id", c->pos[0]);
    cli_json_add_i64(o, "from_ms", from);
    cli_json_add_i64(o, "to_ms", to);
    cli_wty_json_merge(o, cli_message_json(c, &r->base));
    return cli_json_emit(o, 0);
  }
  printf("site:                %s\n", c->pos[0]);
  printf("reported in:         [%s, %s)\n", cli_iso_time(c, from),
         cli_iso_time(c, to));
  printf("orders opened:       %" PRIu64 "\n", r->orders_opened);
  printf("orders responded:    %" PRIu64 "\n", r->orders_responded);
  printf("orders closed:       %" PRIu64 "\n", r->orders_closed);
  printf("first-visit fixes:   %.1f%%\n", 100.0 * r->first_visit_fix_rate);
  printf("mean response:       %.0f ms\n", r->mean_response_ms);
  printf("p80 response:        %" PRId64 " ms\n", r->p80_response_ms);
  printf("response breaches:   %" PRIu64 "\n", r->response_breaches);
  printf("resolution breaches: %" PRIu64 "\n", r->resolution_breaches);
  printf("open past deadline:  %" PRIu64 "\n", r->open_past_deadline);
  printf("parts replaced:      %" PRIu64 "\n", r->parts_replaced);
  printf("claims filed:        %" PRIu64 " (approved %" PRIu64
         ", rejected %" PRIu64 ")\n",
         r->claims_filed, r->claims_approved, r->claims_rejected);
  return CLI_EXIT_OK;
}

/* ---- batch-devices ---- */

static int cmd_batch_devices(struct cli *c) {
  uint64_t start;
  uint32_t page;
  int rc;
  if ((rc = cli_opt_u64(c, "start", 0, &start)) != 0 ||
      (rc = cli_opt_u32(c, "page-size", 0, &page)) != 0)
    return rc;
  int all = cli_opt(c, "all") != NULL;
  if (all && page == 0)
    page = CLI_TRACE_PAGE;
  if ((rc = cli_connect(c)) != 0)
    return rc;
  cJSON *rows = c->json ? cJSON_CreateArray() : NULL;
  uint64_t next = start;
  for (;;) {
    Partsledger__V1__BatchDevicesResponse *r;
    if ((rc = pl_client_batch_devices(c->client, c->pos[0], next, page, c->a,
                                      &r)) != 0) {
      cJSON_Delete(rows);
      return cli_server_error(c, rc);
    }
    for (size_t i = 0; i < r->n_devices; i++) {
      const Partsledger__V1__BatchDevice *d = r->devices[i];
      if (c->json)
        cJSON_AddItemToArray(rows, cli_message_json(c, &d->base));
      else
        printf("%-20s %-12s %-20s entry %" PRIu64 "\n", d->device_serial,
               d->component, d->part_serial, d->index);
    }
    int more =
        all ? cli_page_more("list of a batch's devices", next, r->next_start)
            : 0;
    if (more < 0) {
      cJSON_Delete(rows);
      return CLI_EXIT_FAIL;
    }
    next = r->next_start;
    if (more == 0)
      break;
  }
  if (!c->json)
    return CLI_EXIT_OK;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "batch_id", c->pos[0]);
  cJSON_AddItemToObject(o, "devices", rows);
  cli_json_add_u64(o, "next_start", next);
  return cli_json_emit(o, 0);
}

/* ---- trace: fetching ---- */

/* The facts of h->subject and h->id, every page, with proofs in one
 * checkpoint's tree when asked. 0 or an exit status. */
static int fetch(struct cli *c, struct cli_facts *h, int proofs) {
  int rc;
  if (h->subject == CLI_SUBJECT_BATCH)
    return cli_trace_batch_fetch(c, h->id, 0, CLI_TRACE_PAGE, 1, proofs, h);
  if (h->subject == CLI_SUBJECT_DEVICE) {
    Partsledger__V1__DeviceHistoryResponse *r;
    if ((rc = pl_client_device_history(c->client, h->id, proofs, c->a, &r)) !=
        0)
      return cli_server_error(c, rc);
    h->facts = r->facts;
    h->n = r->n_facts;
    h->checkpoint = proofs ? r->checkpoint : NULL;
    h->tree_size = r->tree_size;
    return 0;
  }
  Partsledger__V1__PartHistoryResponse *r;
  if ((rc = pl_client_part_history(c->client, h->id, proofs, c->a, &r)) != 0)
    return cli_server_error(c, rc);
  h->facts = r->facts;
  h->n = r->n_facts;
  h->checkpoint = proofs ? r->checkpoint : NULL;
  h->tree_size = r->tree_size;
  return 0;
}

/* ---- trace: printing ---- */

/* One line: index, kind and what the fact names. */
static void fact_line(struct cli *c, const Partsledger__V1__Fact *f) {
  printf("%-6" PRIu64 " %-24s", f->index, f->kind);
  if (f->leaf.len > 0) {
    Partsledger__V1__Leaf *l = partsledger__v1__leaf__unpack(
        pl_arena_allocator(c->a), f->leaf.len, f->leaf.data);
    if (l != NULL)
      printf(" %s", cli_iso_time(c, l->integrated_at_ms));
  }
  cli_show_field("device", f->device_serial);
  cli_show_field("component", f->component);
  cli_show_field("part", f->part_serial);
  cli_show_field("batch", f->batch_id);
  cli_show_field("site", f->site_id);
  cli_show_field("to", f->to_site_id);
  if (f->quantity != 0)
    printf("  quantity=%" PRId64, f->quantity);
  putchar('\n');
}

static int history_print(struct cli *c, const struct cli_facts *h) {
  if (!c->json) {
    for (size_t i = 0; i < h->n; i++)
      fact_line(c, h->facts[i]);
    if (h->checkpoint != NULL)
      printf("-- %zu facts, proofs in the tree of size %" PRIu64 "\n", h->n,
             h->tree_size);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(
      o, "type",
      pl_arena_printf(c->a, "%s_%s", cli_subject_name(h->subject),
                      h->subject == CLI_SUBJECT_BATCH ? "trace" : "history"));
  cJSON_AddStringToObject(o, cli_subject_name(h->subject), h->id);
  cJSON *facts = cJSON_AddArrayToObject(o, "facts");
  for (size_t i = 0; i < h->n; i++)
    cJSON_AddItemToArray(facts, cli_message_json(c, &h->facts[i]->base));
  if (h->checkpoint != NULL)
    cJSON_AddStringToObject(o, "checkpoint", h->checkpoint);
  cli_json_add_u64(o, "tree_size", h->tree_size);
  return cli_json_emit(o, 0);
}

/* ---- trace: EPCIS ---- */

/* Looks up what the document names: GTINs, GLNs, orders. Unknown ids stay
 * unknown (a URN); other failures are reported. 0 or an exit status. */
static int epcis_lookups(struct cli *c, const struct cli_facts *h,
                         pl_epcis_input *in) {
  pl_epcis_refs refs;
  int rc = pl_epcis_refs_of(h->facts, h->n,
                            h->subject == CLI_SUBJECT_BATCH ? h->id : NULL,
                            c->a, &refs);
  if (rc != 0)
    return cli_fail("the facts cannot be read: %s", pl_strerror(rc));
  pl_epcis_name *gtins =
      pl_arena_alloc(c->a, (refs.n_batches + 1) * sizeof(*gtins));
  pl_epcis_order *orders =
      pl_arena_alloc(c->a, (refs.n_orders + 1) * sizeof(*orders));
  /* Sites: those of the facts, then those of the orders. */
  const char **sites =
      pl_arena_alloc(c->a, (refs.n_sites + refs.n_orders + 1) * sizeof(char *));
  if (gtins == NULL || orders == NULL || sites == NULL)
    return cli_fail("out of memory");
  for (size_t i = 0; i < refs.n_batches; i++) {
    Partsledger__V1__Batch *b;
    rc = pl_client_get_batch(c->client, refs.batches[i], c->a, &b);
    if (rc != 0 && rc != PL_ENOTFOUND)
      return cli_server_error(c, rc);
    gtins[in->n_gtins].id = refs.batches[i];
    gtins[in->n_gtins++].value = rc == 0 ? b->gtin : "";
  }
  size_t n_sites = refs.n_sites;
  memcpy(sites, refs.sites, n_sites * sizeof(char *));
  for (size_t i = 0; i < refs.n_orders; i++) {
    Partsledger__V1__RepairOrder *o;
    rc = pl_client_get_repair_order(c->client, refs.orders[i], c->a, &o);
    if (rc != 0)
      return cli_server_error(c, rc);
    orders[in->n_orders].order_id = refs.orders[i];
    orders[in->n_orders].device_serial = o->device_serial;
    orders[in->n_orders++].site_id = o->site_id;
    int known = 0;
    for (size_t k = 0; k < n_sites && !known; k++)
      known = strcmp(sites[k], o->site_id) == 0;
    if (!known)
      sites[n_sites++] = o->site_id;
  }
  pl_epcis_name *glns = pl_arena_alloc(c->a, (n_sites + 1) * sizeof(*glns));
  if (glns == NULL)
    return cli_fail("out of memory");
  for (size_t i = 0; i < n_sites; i++) {
    Partsledger__V1__Site *s;
    rc = pl_client_get_site(c->client, sites[i], c->a, &s);
    if (rc != 0 && rc != PL_ENOTFOUND)
      return cli_server_error(c, rc);
    glns[in->n_glns].id = sites[i];
    glns[in->n_glns++].value = rc == 0 ? s->gln : "";
  }
  in->gtins = gtins;
  in->orders = orders;
  in->glns = glns;
  return 0;
}

static int history_epcis(struct cli *c, const struct cli_facts *h) {
  const char *out = cli_opt(c, "out");
  int force = cli_opt(c, "force") != NULL;
  pl_epcis_input in;
  memset(&in, 0, sizeof(in));
  in.created_at_ms = pl_now_ms();
  in.batch_id = h->subject == CLI_SUBJECT_BATCH ? h->id : NULL;
  int rc = epcis_lookups(c, h, &in);
  if (rc != 0)
    return rc;
  cJSON *doc;
  size_t n_events;
  if ((rc = pl_epcis_document(h->facts, h->n, &in, c->a, &doc, &n_events)) != 0)
    return cli_fail("cannot make the EPCIS document: %s", pl_strerror(rc));
  if (out == NULL)
    return cli_json_emit(doc, 0);
  char *text = cJSON_Print(doc);
  cJSON_Delete(doc);
  if (text == NULL)
    return cli_fail("out of memory");
  char *copy = pl_arena_printf(c->a, "%s\n", text);
  cJSON_free(text);
  if (copy == NULL)
    return cli_fail("out of memory");
  if ((rc = cli_write_file(c, out, copy, force)) != 0)
    return rc;
  if (!c->json) {
    printf("wrote %zu EPCIS events of %zu facts of %s %s to %s\n", n_events,
           h->n, cli_subject_name(h->subject), h->id, out);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "out", out);
  cli_json_add_u64(o, "events", n_events);
  cli_json_add_u64(o, "facts", h->n);
  return cli_json_emit(o, 0);
}

int cli_trace_subject(struct cli *c) {
  struct cli_facts h;
  memset(&h, 0, sizeof(h));
  if (c->npos == 0)
    return cli_usage_error(c, "trace wants batch, device or part and an ID");
  /* `trace ID --epcis` is a batch's, as `trace ID` is. */
  const char *what = c->npos == 2 ? c->pos[0] : "batch";
  h.id = c->pos[c->npos - 1];
  if (strcmp(what, "batch") == 0)
    h.subject = CLI_SUBJECT_BATCH;
  else if (strcmp(what, "device") == 0)
    h.subject = CLI_SUBJECT_DEVICE;
  else if (strcmp(what, "part") == 0)
    h.subject = CLI_SUBJECT_PART;
  else
    return cli_usage_error(c, "trace wants batch, device or part, not '%s'",
                           what);
  int verify = cli_opt(c, "verify") != NULL,
      epcis = cli_opt(c, "epcis") != NULL;
  const char *out = cli_opt(c, "out");
  if (verify && epcis)
    return cli_usage_error(c, "--verify and --epcis go separately");
  if (!epcis && (out != NULL || cli_opt(c, "force") != NULL))
    return cli_usage_error(c, "--out and --force go with --epcis");
  if (cli_opt(c, "start") != NULL || cli_opt(c, "page-size") != NULL ||
      cli_opt(c, "all") != NULL || cli_opt(c, "file") != NULL ||
      cli_opt(c, "supplier") != NULL)
    return cli_usage_error(c, "--start, --page-size, --all, --file and "
                              "--supplier go with a batch's trace without "
                              "--epcis (a history and a document are whole)");
  if (!verify &&
      (cli_opt(c, "vkey") != NULL || cli_opt(c, "vkey-file") != NULL))
    return cli_usage_error(c, "--vkey and --vkey-file go with --verify");
  /* A document is written whole or not at all: refuse before asking. */
  if (out != NULL && cli_opt(c, "force") == NULL && access(out, F_OK) == 0)
    return cli_input_error("%s already exists; not overwriting it (--force "
                           "replaces it)",
                           out);
  int ex = CLI_EXIT_USAGE;
  const char *vkey = NULL;
  if (verify && (vkey = cli_verifier_key(c, 1, &ex)) == NULL)
    return ex;
  if ((ex = cli_connect(c)) != 0 ||
      (ex = fetch(c, &h, verify || epcis || cli_opt(c, "proofs") != NULL)) != 0)
    return ex;
  if (verify)
    return cli_facts_verify(c, vkey, &h);
  if (epcis)
    return history_epcis(c, &h);
  return history_print(c, &h);
}

/* ---- the rows ---- */

#define CLI_END                                                                \
  { NULL, CLI_FLAG, 0 }
static const struct cli_opt warranty_opts[] = {
    {"at", CLI_VALUE, 0}, {"usage", CLI_VALUE, 0}, CLI_END};
static const struct cli_opt no_opts[] = {CLI_END};
static const struct cli_opt report_opts[] = {{"from", CLI_VALUE, CLI_REQUIRED},
                                             {"to", CLI_VALUE, CLI_REQUIRED},
                                             CLI_END};
static const struct cli_opt batch_devices_opts[] = {{"start", CLI_VALUE, 0},
                                                    {"page-size", CLI_VALUE, 0},
                                                    {"all", CLI_FLAG, 0},
                                                    CLI_END};

static const struct cli_command commands[] = {
    {"warranty", "DEVICE COMPONENT [--at TIME] [--usage N]",
     "the warranty status the ledger computes",
     "Prints the warranty status of the device's component at --at (default\n"
     "now), as the ledger judges it from what it holds: active, expired,\n"
     "void, not_registered, late_registration, usage_exceeded or\n"
     "not_covered; when the coverage ends and which term gives it (the\n"
     "device's or the part's own), the part in place and why. --usage is a\n"
     "reading taken at that moment. TIME is unix ms, an ISO 8601 date-time,\n"
     "a date or \"now\".\n",
     warranty_opts, 2, 2, cmd_warranty},
    {"device-info", "SERIAL", "a device, its parts now and its extensions",
     "Prints a registered device: model, policy, purchase and registration,\n"
     "the parts it holds now (and the entry that put each there), and its\n"
     "warranty extensions.\n",
     no_opts, 1, 1, cmd_device_info},
    {"order-info", "ID", "a repair order with its SLA",
     "Prints a repair order: its state, the deadlines to respond and to\n"
     "resolve with each SLA met, breached or pending as of now, its times,\n"
     "outcome and replacements.\n",
     no_opts, 1, 1, cmd_order_info},
    {"claim-info", "ID", "a warranty claim and its decision",
     "Prints a claim: device, order, component, failure, the decision and\n"
     "its reason, and any dispute and ruling.\n",
     no_opts, 1, 1, cmd_claim_info},
    {"station-report", "SITE --from TIME --to TIME",
     "a repair station's figures",
     "Prints the figures of the site's orders reported in [--from, --to),\n"
     "cancelled ones left out: orders opened, responded and closed, the\n"
     "first-visit fix rate, mean and p80 response time, SLA breaches as of\n"
     "now, orders open past a deadline, parts replaced, claims filed,\n"
     "approved and rejected.\n",
     report_opts, 1, 1, cmd_station_report},
    {"batch-devices", "BATCH [--start N] [--page-size N] [--all]",
     "the devices that hold a batch's parts now",
     "Prints one row per part of the batch in a device now (BatchDevices):\n"
     "device, component, part and the entry that put it there; the recall\n"
     "question. One page (default 100, at most 1000) unless --all. With\n"
     "--json: {batch_id, devices, next_start} (0 when there are no more).\n",
     batch_devices_opts, 1, 1, cmd_batch_devices},
};

const struct cli_family cli_family_warranty = {"repair and warranty queries",
                                               CLI_ROWS(commands), NULL};
