/*
 * repair.c - the commands that write repair and warranty entries (kinds
 * 40-48): policy, device, extend (a manufacturer's; a repair station may
 * register a device at sale), order, respond, replace, close and claim (a
 * repair station's, at the order's site), decide (the manufacturer's); how
 * get, list and follow show those kinds; and the helpers the queries in
 * warranty.c share with this file (repair.h).
 *
 * Entries are made by the library's builders (pl_build_*) and sent by
 * cli_append, which signs them with --key and takes --request-id. What a
 * command checks itself is only what its command line can get wrong (a time,
 * a number, a name of an enum, hex); the kind's rules are the server's, and
 * its refusal is printed as it put it.
 *
 * May depend on: cli.h, repair.h, client.h (and the storage/ headers through
 * it), cJSON.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "repair.h"

/* ---- helpers shared with warranty.c (repair.h) ---- */

const char *cli_wty_time_text(struct cli *c, int64_t ms) {
  if (ms == 0)
    return "-";
  const char *s =
      pl_arena_printf(c->a, "%s (%" PRId64 ")", cli_iso_time(c, ms), ms);
  return s != NULL ? s : "?";
}

void cli_wty_json_merge(cJSON *into, cJSON *from) {
  if (from == NULL)
    return;
  while (from->child != NULL) {
    cJSON *item = cJSON_DetachItemViaPointer(from, from->child);
    cJSON_AddItemToObject(into, item->string, item);
  }
  cJSON_Delete(from);
}

/* ---- option helpers of the write commands ---- */

/* Splits `s` at its first ':' into the arena: the head, and *rest after it
 * (NULL when there is no ':'). */
static char *split(struct cli *c, const char *s, const char **rest) {
  const char *colon = strchr(s, ':');
  size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);
  char *head = pl_arena_alloc(c->a, n + 1);
  if (head != NULL) {
    memcpy(head, s, n);
    head[n] = '\0';
  }
  *rest = colon != NULL ? colon + 1 : NULL;
  return head;
}

/* ---- commands ---- */

/* --term COMPONENT:MONTHS[:USAGE_LIMIT[:UNIT]] */
static int parse_term(struct cli *c, const char *s,
                      Partsledger__V1__ComponentTerm *t) {
  const char *rest, *more;
  uint64_t v;
  partsledger__v1__component_term__init(t);
  t->component = split(c, s, &rest);
  if (t->component == NULL || rest == NULL)
    goto bad;
  char *months = split(c, rest, &more);
  if (months == NULL || cli_parse_u64(months, &v) != 0 || v > UINT32_MAX)
    goto bad;
  t->months = (uint32_t)v;
  t->usage_unit = "";
  if (more != NULL) {
    char *limit = split(c, more, &rest);
    if (limit == NULL || cli_parse_u64(limit, &t->usage_limit) != 0)
      goto bad;
    if (rest != NULL)
      t->usage_unit = (char *)rest;
  }
  return 0;
bad:
  return cli_usage_error(c,
                         "--term wants COMPONENT:MONTHS[:USAGE_LIMIT[:UNIT]], "
                         "not '%s'",
                         s);
}

static int cmd_policy(struct cli *c) {
  uint32_t window, max_ext;
  int rc;
  if ((rc = cli_opt_u32(c, "window-days", 0, &window)) != 0 ||
      (rc = cli_opt_u32(c, "max-extension-months", 0, &max_ext)) != 0)
    return rc;
  size_t n;
  const char **specs = cli_opt_all(c, "term", &n);
  Partsledger__V1__ComponentTerm *terms =
      pl_arena_alloc(c->a, (n + 1) * sizeof(*terms));
  if (specs == NULL || terms == NULL)
    return cli_fail("out of memory");
  for (size_t i = 0; i < n; i++)
    if ((rc = parse_term(c, specs[i], &terms[i])) != 0)
      return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_warranty_policy_published(c->a, cli_opt(c, "id"),
                                          cli_opt(c, "model"), window, terms, n,
                                          max_ext, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_device(struct cli *c) {
  int64_t purchased;
  ProtobufCBinaryData owner;
  int rc;
  if ((rc = cli_opt_entry_time(c, "purchased-at", 0, &purchased)) != 0 ||
      (rc = cli_opt_hex32(c, "owner-ref", "a SHA-256", &owner)) != 0)
    return rc;
  size_t n;
  const char **specs = cli_opt_all(c, "part", &n);
  Partsledger__V1__InstalledPart *parts =
      pl_arena_alloc(c->a, (n + 1) * sizeof(*parts));
  if (specs == NULL || parts == NULL)
    return cli_fail("out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *rest = NULL, *batch = NULL;
    partsledger__v1__installed_part__init(&parts[i]);
    parts[i].component = split(c, specs[i], &rest);
    parts[i].part_serial = rest != NULL ? split(c, rest, &batch) : NULL;
    if (parts[i].component == NULL || parts[i].part_serial == NULL ||
        batch == NULL)
      return cli_usage_error(c, "--part wants COMPONENT:SERIAL:BATCH, not '%s'",
                             specs[i]);
    parts[i].batch_id = (char *)batch;
  }
  Partsledger__V1__Entry *e;
  rc = pl_build_device_registered(
      c->a, cli_opt(c, "serial"), cli_opt(c, "model"), cli_opt(c, "policy"),
      purchased, owner.data, owner.len, parts, n, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_extend(struct cli *c) {
  uint32_t months;
  int rc = cli_opt_u32(c, "months", 0, &months);
  if (rc != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_warranty_extended(c->a, cli_opt(c, "device"),
                                  cli_opt_or(c, "component", ""), months,
                                  cli_opt_or(c, "contract", ""), &e);
  return cli_append_built(c, rc, e);
}

static int cmd_order(struct cli *c) {
  int priority;
  int64_t reported;
  uint64_t usage;
  int rc;
  if ((rc = cli_opt_enum(c, "priority", &partsledger__v1__priority__descriptor,
                         &priority)) != 0 ||
      (rc = cli_opt_entry_time(c, "reported-at", 1, &reported)) != 0 ||
      (rc = cli_opt_u64(c, "usage", 0, &usage)) != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_repair_order_opened(
      c->a, cli_opt(c, "id"), cli_opt(c, "device"), cli_opt(c, "site"),
      priority, cli_opt_or(c, "fault", ""), reported, usage, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_respond(struct cli *c) {
  int64_t at;
  int rc = cli_opt_entry_time(c, "at", 1, &at);
  if (rc != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_repair_order_responded(c->a, cli_opt(c, "order"), at, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_replace(struct cli *c) {
  uint8_t(*hex)[CLI_HEX32_BYTES];
  size_t n;
  int rc = cli_opt_hex32_all(c, "evidence", "a SHA-256", &hex, &n);
  if (rc != 0)
    return rc;
  ProtobufCBinaryData *ev = pl_arena_alloc(c->a, (n + 1) * sizeof(*ev));
  if (ev == NULL)
    return cli_fail("out of memory");
  for (size_t i = 0; i < n; i++) {
    ev[i].data = hex[i];
    ev[i].len = CLI_HEX32_BYTES;
  }
  Partsledger__V1__Entry *e;
  rc = pl_build_part_replaced(
      c->a, cli_opt(c, "order"), cli_opt(c, "component"),
      cli_opt_or(c, "removed", ""), cli_opt(c, "installed"),
      cli_opt(c, "batch"), cli_opt_or(c, "reservation", ""), ev, n, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_close(struct cli *c) {
  int outcome;
  int64_t resolved;
  ProtobufCBinaryData acc;
  int rc;
  if ((rc = cli_opt_enum(c, "outcome",
                         &partsledger__v1__repair_outcome__descriptor,
                         &outcome)) != 0 ||
      (rc = cli_opt_entry_time(c, "resolved-at", 1, &resolved)) != 0 ||
      (rc = cli_opt_hex32(c, "acceptance", "a SHA-256", &acc)) != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_repair_order_closed(
      c->a, cli_opt(c, "order"), outcome, resolved,
      cli_opt(c, "first-visit-fix") != NULL, acc.data, acc.len, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_claim(struct cli *c) {
  int64_t failure;
  uint64_t usage;
  int rc;
  if ((rc = cli_opt_entry_time(c, "failure-at", 0, &failure)) != 0 ||
      (rc = cli_opt_u64(c, "usage", 0, &usage)) != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_claim_filed(c->a, cli_opt(c, "id"), cli_opt(c, "device"),
                            cli_opt(c, "order"), cli_opt(c, "component"), usage,
                            failure, cli_opt_or(c, "description", ""), &e);
  return cli_append_built(c, rc, e);
}

static int cmd_decide(struct cli *c) {
  int decision, reason, rc;
  if ((rc = cli_opt_enum(c, "decision",
                         &partsledger__v1__claim_decision__descriptor,
                         &decision)) != 0 ||
      (rc = cli_opt_enum(c, "reason",
                         &partsledger__v1__decision_reason__descriptor,
                         &reason)) != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_claim_decided(c->a, cli_opt(c, "claim"), decision, reason,
                              cli_opt_or(c, "note", ""), &e);
  return cli_append_built(c, rc, e);
}

/* ---- showing kinds 40-48 ----
 * Each kind as label/value pairs, shown the three ways: "  label:  value"
 * lines, "  name=value" on one line, or JSON (the body's own fields, by
 * cli_message_json, so that scripts see the proto's names). */

struct pair {
  const char *label, *value;
};
#define CLI_MAX_PAIRS 16

static void pairs_show(const struct pair *p, size_t n, enum cli_show how) {
  for (size_t i = 0; i < n; i++) {
    if (p[i].value == NULL)
      continue;
    if (how == CLI_SHOW_FULL) {
      /* "  label:" in 15 columns, as the envelope's lines are. */
      int pad = 12 - (int)strlen(p[i].label);
      printf("  %s:%*s%s\n", p[i].label, pad > 1 ? pad : 1, "", p[i].value);
    } else {
      cli_show_field(p[i].label, p[i].value);
    }
  }
}

static const char *u64_text(struct cli *c, uint64_t v) {
  return pl_arena_printf(c->a, "%" PRIu64, v);
}

/* Fills `p` with the readable fields of e's body; their number, 0 for a
 * kind that is not this family's. */
static size_t body_pairs(struct cli *c, const Partsledger__V1__Entry *e,
                         struct pair *p) {
  size_t n = 0;
#define CLI_PAIR(l, v) (p[n].label = (l), p[n++].value = (v))
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_POLICY_PUBLISHED: {
    const Partsledger__V1__WarrantyPolicyPublished *b =
        e->warranty_policy_published;
    const char *terms = "";
    for (size_t i = 0; i < b->n_terms; i++) {
      const Partsledger__V1__ComponentTerm *t = b->terms[i];
      terms = pl_arena_printf(c->a, "%s%s%s:%u", terms, i ? "," : "",
                              t->component, t->months);
      if (t->usage_limit > 0)
        terms =
            pl_arena_printf(c->a, "%s:%" PRIu64 "%s%s", terms, t->usage_limit,
                            t->usage_unit[0] ? ":" : "", t->usage_unit);
    }
    CLI_PAIR("policy", b->policy_id);
    CLI_PAIR("model", b->model);
    CLI_PAIR("window_days", u64_text(c, b->registration_window_days));
    CLI_PAIR("terms", terms);
    CLI_PAIR("max_ext_months", u64_text(c, b->max_extension_months));
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED: {
    const Partsledger__V1__DeviceRegistered *b = e->device_registered;
    const char *parts = "";
    for (size_t i = 0; i < b->n_parts; i++)
      parts = pl_arena_printf(c->a, "%s%s%s:%s:%s", parts, i ? "," : "",
                              b->parts[i]->component, b->parts[i]->part_serial,
                              b->parts[i]->batch_id);
    CLI_PAIR("device", b->device_serial);
    CLI_PAIR("model", b->model);
    CLI_PAIR("policy", b->policy_id);
    CLI_PAIR("purchased_at", cli_iso_time(c, b->purchased_at_ms));
    CLI_PAIR("owner_ref", cli_hex(c, b->owner_ref.data, b->owner_ref.len));
    CLI_PAIR("parts", parts);
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED: {
    const Partsledger__V1__WarrantyExtended *b = e->warranty_extended;
    CLI_PAIR("device", b->device_serial);
    CLI_PAIR("component", b->component[0] ? b->component : "(every)");
    CLI_PAIR("months", u64_text(c, b->months));
    CLI_PAIR("contract", b->contract_ref);
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED: {
    const Partsledger__V1__RepairOrderOpened *b = e->repair_order_opened;
    CLI_PAIR("order", b->order_id);
    CLI_PAIR("device", b->device_serial);
    CLI_PAIR("site", b->site_id);
    CLI_PAIR(
        "priority",
        cli_enum_name(c, &partsledger__v1__priority__descriptor, b->priority));
    CLI_PAIR("fault", b->fault);
    CLI_PAIR("reported_at", cli_iso_time(c, b->reported_at_ms));
    CLI_PAIR("usage", u64_text(c, b->usage_reading));
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED:
    CLI_PAIR("order", e->repair_order_responded->order_id);
    CLI_PAIR("responded_at",
             cli_iso_time(c, e->repair_order_responded->responded_at_ms));
    break;
  case PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED: {
    const Partsledger__V1__PartReplaced *b = e->part_replaced;
    CLI_PAIR("order", b->order_id);
    CLI_PAIR("component", b->component);
    CLI_PAIR("removed", b->removed_serial);
    CLI_PAIR("installed", b->installed_serial);
    CLI_PAIR("batch", b->installed_batch_id);
    CLI_PAIR("reservation", b->reservation_id);
    CLI_PAIR("evidence", u64_text(c, b->n_evidence_sha256));
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED: {
    const Partsledger__V1__RepairOrderClosed *b = e->repair_order_closed;
    CLI_PAIR("order", b->order_id);
    CLI_PAIR("outcome",
             cli_enum_name(c, &partsledger__v1__repair_outcome__descriptor,
                           b->outcome));
    CLI_PAIR("resolved_at", cli_iso_time(c, b->resolved_at_ms));
    CLI_PAIR("first_visit", b->first_visit_fix ? "yes" : "no");
    CLI_PAIR("acceptance", cli_hex(c, b->customer_acceptance_sha256.data,
                                   b->customer_acceptance_sha256.len));
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED: {
    const Partsledger__V1__ClaimFiled *b = e->claim_filed;
    CLI_PAIR("claim", b->claim_id);
    CLI_PAIR("device", b->device_serial);
    CLI_PAIR("order", b->order_id);
    CLI_PAIR("component", b->component);
    CLI_PAIR("usage", u64_text(c, b->usage_reading));
    CLI_PAIR("failure_at", cli_iso_time(c, b->failure_at_ms));
    CLI_PAIR("description", b->description);
    break;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED: {
    const Partsledger__V1__ClaimDecided *b = e->claim_decided;
    CLI_PAIR("claim", b->claim_id);
    CLI_PAIR("decision",
             cli_enum_name(c, &partsledger__v1__claim_decision__descriptor,
                           b->decision));
    CLI_PAIR("reason",
             cli_enum_name(c, &partsledger__v1__decision_reason__descriptor,
                           b->reason));
    CLI_PAIR("note", b->note);
    break;
  }
  default:
    break;
  }
#undef CLI_PAIR
  return n;
}

/* The body message of an entry of kinds 40-48 (its first member is the
 * message's base), or NULL. */
static const ProtobufCMessage *body_message(const Partsledger__V1__Entry *e) {
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_POLICY_PUBLISHED:
    return (const ProtobufCMessage *)e->warranty_policy_published;
  case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED:
    return (const ProtobufCMessage *)e->device_registered;
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED:
    return (const ProtobufCMessage *)e->warranty_extended;
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED:
    return (const ProtobufCMessage *)e->repair_order_opened;
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED:
    return (const ProtobufCMessage *)e->repair_order_responded;
  case PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED:
    return (const ProtobufCMessage *)e->part_replaced;
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED:
    return (const ProtobufCMessage *)e->repair_order_closed;
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED:
    return (const ProtobufCMessage *)e->claim_filed;
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED:
    return (const ProtobufCMessage *)e->claim_decided;
  default:
    return NULL;
  }
}

static int show(struct cli *c, const Partsledger__V1__Entry *e,
                enum cli_show how, cJSON *body) {
  const ProtobufCMessage *m = body_message(e);
  if (m == NULL)
    return 0;
  if (how == CLI_SHOW_JSON) {
    cli_wty_json_merge(body, cli_message_json(c, m));
    return 1;
  }
  struct pair p[CLI_MAX_PAIRS];
  pairs_show(p, body_pairs(c, e, p), how);
  return 1;
}

/* ---- the rows ---- */

#define CLI_WRITE_OPTS                                                         \
  {"key", CLI_VALUE, CLI_REQUIRED}, { "request-id", CLI_VALUE, 0 }
#define CLI_END                                                                \
  { NULL, CLI_FLAG, 0 }

static const struct cli_opt policy_opts[] = {
    CLI_WRITE_OPTS,
    {"id", CLI_VALUE, CLI_REQUIRED},
    {"model", CLI_VALUE, CLI_REQUIRED},
    {"window-days", CLI_VALUE, 0},
    {"term", CLI_VALUE, 0},
    {"max-extension-months", CLI_VALUE, 0},
    CLI_END};
static const struct cli_opt device_opts[] = {
    CLI_WRITE_OPTS,
    {"serial", CLI_VALUE, CLI_REQUIRED},
    {"model", CLI_VALUE, CLI_REQUIRED},
    {"policy", CLI_VALUE, CLI_REQUIRED},
    {"purchased-at", CLI_VALUE, CLI_REQUIRED},
    {"owner-ref", CLI_VALUE, 0},
    {"part", CLI_VALUE, 0},
    CLI_END};
static const struct cli_opt extend_opts[] = {
    CLI_WRITE_OPTS,
    {"device", CLI_VALUE, CLI_REQUIRED},
    {"months", CLI_VALUE, CLI_REQUIRED},
    {"component", CLI_VALUE, 0},
    {"contract", CLI_VALUE, 0},
    CLI_END};
static const struct cli_opt order_opts[] = {
    CLI_WRITE_OPTS,
    {"id", CLI_VALUE, CLI_REQUIRED},
    {"device", CLI_VALUE, CLI_REQUIRED},
    {"site", CLI_VALUE, CLI_REQUIRED},
    {"priority", CLI_VALUE, CLI_REQUIRED},
    {"fault", CLI_VALUE, 0},
    {"reported-at", CLI_VALUE, 0},
    {"usage", CLI_VALUE, 0},
    CLI_END};
static const struct cli_opt respond_opts[] = {
    CLI_WRITE_OPTS,
    {"order", CLI_VALUE, CLI_REQUIRED},
    {"at", CLI_VALUE, 0},
    CLI_END};
static const struct cli_opt replace_opts[] = {
    CLI_WRITE_OPTS,
    {"order", CLI_VALUE, CLI_REQUIRED},
    {"component", CLI_VALUE, CLI_REQUIRED},
    {"removed", CLI_VALUE, 0},
    {"installed", CLI_VALUE, CLI_REQUIRED},
    {"batch", CLI_VALUE, CLI_REQUIRED},
    {"reservation", CLI_VALUE, 0},
    {"evidence", CLI_VALUE, 0},
    CLI_END};
static const struct cli_opt close_opts[] = {
    CLI_WRITE_OPTS,
    {"order", CLI_VALUE, CLI_REQUIRED},
    {"outcome", CLI_VALUE, CLI_REQUIRED},
    {"resolved-at", CLI_VALUE, 0},
    {"first-visit-fix", CLI_FLAG, 0},
    {"acceptance", CLI_VALUE, 0},
    CLI_END};
static const struct cli_opt claim_opts[] = {
    CLI_WRITE_OPTS,
    {"id", CLI_VALUE, CLI_REQUIRED},
    {"device", CLI_VALUE, CLI_REQUIRED},
    {"order", CLI_VALUE, CLI_REQUIRED},
    {"component", CLI_VALUE, CLI_REQUIRED},
    {"failure-at", CLI_VALUE, CLI_REQUIRED},
    {"usage", CLI_VALUE, 0},
    {"description", CLI_VALUE, 0},
    CLI_END};
static const struct cli_opt decide_opts[] = {
    CLI_WRITE_OPTS,
    {"claim", CLI_VALUE, CLI_REQUIRED},
    {"decision", CLI_VALUE, CLI_REQUIRED},
    {"reason", CLI_VALUE, CLI_REQUIRED},
    {"note", CLI_VALUE, 0},
    CLI_END};

#define CLI_WRITE_HELP                                                         \
  "Prints the new entry's index, leaf hash, request id and the tree size\n"    \
  "(with --json also the checkpoint and the inclusion proof).\n"               \
  "  --key FILE         the signer's key file\n"                               \
  "  --request-id HEX   16-byte idempotency key (default: new); the same\n"    \
  "                     entry sent again returns the original index. With\n"   \
  "                     it, every time must be given and fixed (not now):\n"   \
  "                     a time of the clock makes a retry another entry\n"     \
  "Times are unix ms, an ISO 8601 date-time (2024-05-01T12:00:00Z), a date\n"  \
  "(midnight UTC) or \"now\".\n"

static const struct cli_command commands[] = {
    {"policy",
     "--key FILE --id ID --model MODEL [--window-days N] [--term "
     "COMPONENT:MONTHS[:USAGE_LIMIT[:UNIT]]]... [--max-extension-months N]",
     "publish a warranty policy (manufacturer)",
     "Appends warranty_policy_published. Policies never change: a new version\n"
     "is a new --id.\n"
     "  --window-days N    days after purchase a device may be registered in\n"
     "                     (0, the default, means 30; at most 3650); later it\n"
     "                     is LATE_REGISTRATION\n"
     "  --term C:M[:L[:U]] component C is covered M months from purchase,\n"
     "                     or until a usage reading reaches L (0: no\n"
     "                     limit) in unit U, whichever comes first; one\n"
     "                     per component. Without a term a component is\n"
     "                     covered only by the own warranty (batch\n"
     "                     --warranty-months) of a part a replacement put\n"
     "                     in; a policy with none is a model sold without\n"
     "                     warranty, whose devices are still registered\n"
     "  --max-extension-months N\n"
     "                     the most `extend` may add per\n"
     "                     component\n" CLI_WRITE_HELP,
     policy_opts, 0, 0, cmd_policy},
    {"device",
     "--key FILE --serial SERIAL --model MODEL --policy ID --purchased-at TIME "
     "[--owner-ref HEX] [--part COMPONENT:SERIAL:BATCH]...",
     "register a device and its parts (manufacturer or repair station)",
     "Appends device_registered: the device, the policy of its model, when it\n"
     "was bought and the parts it holds (each part's batch must be\n"
     "registered, and list the serial when the batch lists serials).\n"
     "  --owner-ref HEX    a SHA-256 (64 hex characters) standing for the\n"
     "                     owner; never personal data\n" CLI_WRITE_HELP,
     device_opts, 0, 0, cmd_device},
    {"extend",
     "--key FILE --device SERIAL --months N [--component C] [--contract REF]",
     "extend a device's warranty (manufacturer)",
     "Appends warranty_extended: N more months for component C (without\n"
     "--component: every component), up to the policy's\n"
     "max-extension-months, logged before the term it extends has\n"
     "ended.\n" CLI_WRITE_HELP,
     extend_opts, 0, 0, cmd_extend},
    {"order",
     "--key FILE --id ID --device SERIAL --site SITE --priority p1|p2|p3 "
     "[--fault TEXT] [--reported-at TIME] [--usage N]",
     "open a repair order (repair station at SITE)",
     "Appends repair_order_opened. SLA from --reported-at (default now;\n"
     "needed with --request-id; at most 30 days ago): p1 respond in 2 h,\n"
     "resolve in 24 h; p2 4 h / 72 h; p3 8 h / 5 working days. --usage is\n"
     "the device's usage reading then.\n" CLI_WRITE_HELP,
     order_opts, 0, 0, cmd_order},
    {"respond", "--key FILE --order ID [--at TIME]",
     "record the response to an order (its station)",
     "Appends repair_order_responded at --at (default now; needed with\n"
     "--request-id).\n" CLI_WRITE_HELP,
     respond_opts, 0, 0, cmd_respond},
    {"replace",
     "--key FILE --order ID --component C [--removed SERIAL] --installed "
     "SERIAL --batch BATCH [--reservation ID] [--evidence HEX]...",
     "record a part replaced on an order (its station)",
     "Appends part_replaced: on an order not yet closed, the part the device\n"
     "holds for C (--removed, which must be that part) is replaced by\n"
     "--installed from --batch (registered, not recalled). --reservation\n"
     "names a reservation FULFILLED for this order from that batch; each of\n"
     "its units installs once. --evidence: SHA-256 of a photo or a report,\n"
     "64 hex characters, repeatable.\n" CLI_WRITE_HELP,
     replace_opts, 0, 0, cmd_replace},
    {"close",
     "--key FILE --order ID --outcome "
     "fixed|not_fixed|device_replaced|cancelled "
     "[--resolved-at TIME] [--first-visit-fix] [--acceptance HEX]",
     "close a repair order (its station)",
     "Appends repair_order_closed at --resolved-at (default now; needed with\n"
     "--request-id). An order never responded to can only be cancelled.\n"
     "--first-visit-fix goes with fixed only; --acceptance is the SHA-256 of\n"
     "the customer's sign-off.\n" CLI_WRITE_HELP,
     close_opts, 0, 0, cmd_close},
    {"claim",
     "--key FILE --id ID --device SERIAL --order ID --component C --failure-at "
     "TIME [--usage N] [--description TEXT]",
     "file a warranty claim (the order's station)",
     "Appends claim_filed: component C of the device failed at --failure-at\n"
     "with usage reading --usage.\n" CLI_WRITE_HELP,
     claim_opts, 0, 0, cmd_claim},
    {"decide",
     "--key FILE --claim ID --decision approved|rejected --reason REASON "
     "[--note TEXT]",
     "decide a warranty claim (manufacturer)",
     "Appends claim_decided. approved takes in_term or goodwill; rejected\n"
     "takes out_of_term, usage_exceeded, not_registered, late_registration,\n"
     "not_covered, human_damage, unauthorized_modification or other (which\n"
     "needs --note). The ledger refuses (FAILED_PRECONDITION, naming its own\n"
     "status) an in_term approval or a rejection for a status that is not\n"
     "the warranty status it computes at the failure time.\n" CLI_WRITE_HELP,
     decide_opts, 0, 0, cmd_decide},
};

const struct cli_family cli_family_repair = {"repair orders and warranty",
                                             CLI_ROWS(commands), show};
