/*
 * inventory.c - the commands that write the inventory kinds (entry kinds
 * 20-29): site and supplier (signed by an admin), batch and recall (a
 * manufacturer), receive, transfer, adjust, reserve, release and fulfil (a
 * warehouse or repair station bound to the site); and how those kinds'
 * bodies are shown by get, list and follow.
 *
 * Entries are made by the library's builders (pl_build_*) and sent by
 * cli_append, which signs them with --key and reports the result. A kind's
 * rules are the server's and pl_entry_check's, written once there: a
 * command checks only that its options parse, and shows the server's answer.
 *
 * May depend on: cli.h, client.h (and the storage/ headers through it),
 * clock.h for the time a reservation expires, cJSON.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "clock.h"

#define CLI_SHOW_SERIALS 10 /* serials `get` lists before "and N more" */

/* ---- showing the inventory kinds ---- */

/* One body being shown: each field goes through one of the show_* below,
 * which write it the way `how` asks (cli.h, enum cli_show). */
struct show {
  struct cli *c;
  enum cli_show how;
  cJSON *b;
};

/* "  site id:          " for the full form: the proto name, spaced. */
static void show_label(const char *name) {
  char label[40];
  size_t n = strlen(name);
  if (n > sizeof(label) - 2)
    n = sizeof(label) - 2;
  for (size_t i = 0; i < n; i++)
    label[i] = name[i] == '_' ? ' ' : name[i];
  label[n] = ':';
  label[n + 1] = '\0';
  printf("  %-17s ", label);
}

static void show_text(struct show *s, const char *name, const char *v) {
  switch (s->how) {
  case CLI_SHOW_FULL:
    show_label(name);
    printf("%s\n", v[0] != '\0' ? v : "(none)");
    break;
  case CLI_SHOW_LINE:
    cli_show_field(name, v);
    break;
  case CLI_SHOW_JSON:
    cJSON_AddStringToObject(s->b, name, v);
    break;
  }
}

static void show_u64(struct show *s, const char *name, uint64_t v) {
  switch (s->how) {
  case CLI_SHOW_FULL:
    show_label(name);
    printf("%" PRIu64 "\n", v);
    break;
  case CLI_SHOW_LINE:
    printf("  %s=%" PRIu64, name, v);
    break;
  case CLI_SHOW_JSON:
    cli_json_add_u64(s->b, name, v);
    break;
  }
}

static void show_i64(struct show *s, const char *name, int64_t v) {
  switch (s->how) {
  case CLI_SHOW_FULL:
    show_label(name);
    printf("%" PRId64 "\n", v);
    break;
  case CLI_SHOW_LINE:
    printf("  %s=%" PRId64, name, v);
    break;
  case CLI_SHOW_JSON:
    cli_json_add_i64(s->b, name, v);
    break;
  }
}

static void show_double(struct show *s, const char *name, double v) {
  switch (s->how) {
  case CLI_SHOW_FULL:
    show_label(name);
    printf("%.6f\n", v);
    break;
  case CLI_SHOW_LINE:
    printf("  %s=%.6f", name, v);
    break;
  case CLI_SHOW_JSON:
    cJSON_AddNumberToObject(s->b, name, v);
    break;
  }
}

static void show_bool(struct show *s, const char *name, int v) {
  if (s->how == CLI_SHOW_JSON)
    cJSON_AddBoolToObject(s->b, name, v);
  else
    show_text(s, name, v ? "yes" : "no");
}

static void show_enum(struct show *s, const char *name,
                      const ProtobufCEnumDescriptor *d, int v) {
  show_text(s, name, cli_enum_name(s->c, d, v));
}

/* A time in ms: ISO 8601 for people, the number for scripts; 0 is unset.
 * `name` ends in "_ms", which people are not shown. */
static void show_time(struct show *s, const char *name, int64_t ms) {
  char label[32];
  snprintf(label, sizeof(label), "%.*s", (int)(strlen(name) - 3), name);
  switch (s->how) {
  case CLI_SHOW_FULL:
    show_label(label);
    if (ms == 0)
      printf("(none)\n");
    else
      printf("%s (%" PRId64 ")\n", cli_iso_time(s->c, ms), ms);
    break;
  case CLI_SHOW_LINE:
    if (ms != 0)
      cli_show_field(label, cli_iso_time(s->c, ms));
    break;
  case CLI_SHOW_JSON:
    cli_json_add_i64(s->b, name, ms);
    break;
  }
}

static void show_serials(struct show *s, char *const *v, size_t n) {
  switch (s->how) {
  case CLI_SHOW_FULL:
    show_label("serials");
    for (size_t i = 0; i < n && i < CLI_SHOW_SERIALS; i++)
      printf("%s%s", i ? ", " : "", v[i]);
    if (n > CLI_SHOW_SERIALS)
      printf(" and %zu more", n - CLI_SHOW_SERIALS);
    printf("%s\n", n ? "" : "(none)");
    break;
  case CLI_SHOW_LINE:
    if (n > 0)
      printf("  serials=%zu", n);
    break;
  case CLI_SHOW_JSON: {
    cJSON *a = cJSON_AddArrayToObject(s->b, "serials");
    for (size_t i = 0; a != NULL && i < n; i++)
      cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    break;
  }
  }
}

static int show(struct cli *c, const Partsledger__V1__Entry *e,
                enum cli_show how, cJSON *body) {
  struct show s = {c, how, body};
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_SITE_REGISTERED: {
    const Partsledger__V1__SiteRegistered *b = e->site_registered;
    if (b == NULL)
      return 0;
    show_text(&s, "site_id", b->site_id);
    show_enum(&s, "kind", &partsledger__v1__site_kind__descriptor, b->kind);
    show_text(&s, "name", b->name);
    show_text(&s, "region", b->region);
    show_double(&s, "latitude", b->latitude);
    show_double(&s, "longitude", b->longitude);
    show_text(&s, "gln", b->gln);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED: {
    const Partsledger__V1__SupplierRegistered *b = e->supplier_registered;
    if (b == NULL)
      return 0;
    show_text(&s, "supplier_id", b->supplier_id);
    show_text(&s, "name", b->name);
    show_bool(&s, "certified", b->certified);
    show_text(&s, "gln", b->gln);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED: {
    const Partsledger__V1__BatchRegistered *b = e->batch_registered;
    if (b == NULL)
      return 0;
    show_text(&s, "batch_id", b->batch_id);
    show_text(&s, "supplier_id", b->supplier_id);
    show_text(&s, "sku", b->sku);
    show_text(&s, "gtin", b->gtin);
    show_enum(&s, "part_class", &partsledger__v1__part_class__descriptor,
              b->part_class);
    show_u64(&s, "warranty_months", b->warranty_months);
    show_time(&s, "produced_at_ms", b->produced_at_ms);
    show_u64(&s, "quantity", b->quantity);
    show_serials(&s, b->serials, b->n_serials);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED: {
    const Partsledger__V1__StockReceived *b = e->stock_received;
    if (b == NULL)
      return 0;
    show_text(&s, "site_id", b->site_id);
    show_text(&s, "batch_id", b->batch_id);
    show_u64(&s, "quantity", b->quantity);
    show_text(&s, "reference", b->reference);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_TRANSFERRED: {
    const Partsledger__V1__StockTransferred *b = e->stock_transferred;
    if (b == NULL)
      return 0;
    show_text(&s, "from_site_id", b->from_site_id);
    show_text(&s, "to_site_id", b->to_site_id);
    show_text(&s, "batch_id", b->batch_id);
    show_u64(&s, "quantity", b->quantity);
    show_text(&s, "reference", b->reference);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_ADJUSTED: {
    const Partsledger__V1__StockAdjusted *b = e->stock_adjusted;
    if (b == NULL)
      return 0;
    show_text(&s, "site_id", b->site_id);
    show_text(&s, "batch_id", b->batch_id);
    show_i64(&s, "delta", b->delta);
    show_enum(&s, "reason", &partsledger__v1__adjust_reason__descriptor,
              b->reason);
    show_text(&s, "note", b->note);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED: {
    const Partsledger__V1__PartReserved *b = e->part_reserved;
    if (b == NULL)
      return 0;
    show_text(&s, "reservation_id", b->reservation_id);
    show_text(&s, "site_id", b->site_id);
    show_text(&s, "sku", b->sku);
    show_u64(&s, "quantity", b->quantity);
    show_text(&s, "batch_id", b->batch_id);
    show_text(&s, "repair_order_id", b->repair_order_id);
    show_time(&s, "expires_at_ms", b->expires_at_ms);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_RELEASED: {
    const Partsledger__V1__ReservationReleased *b = e->reservation_released;
    if (b == NULL)
      return 0;
    show_text(&s, "reservation_id", b->reservation_id);
    show_text(&s, "reason", b->reason);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED: {
    const Partsledger__V1__ReservationFulfilled *b = e->reservation_fulfilled;
    if (b == NULL)
      return 0;
    show_text(&s, "reservation_id", b->reservation_id);
    show_text(&s, "batch_id", b->batch_id);
    show_u64(&s, "quantity", b->quantity);
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED: {
    const Partsledger__V1__BatchRecalled *b = e->batch_recalled;
    if (b == NULL)
      return 0;
    show_text(&s, "batch_id", b->batch_id);
    show_text(&s, "reason", b->reason);
    return 1;
  }
  default:
    return 0;
  }
}

/* ---- options ---- */

static int opt_double(struct cli *c, const char *name, double *out) {
  const char *v = cli_opt(c, name);
  if (cli_parse_double(v, out) != 0)
    return cli_usage_error(c, "--%s wants a decimal number, not '%s'", name,
                           v != NULL ? v : "");
  return 0;
}

/* A duration such as "90s", "30m", "2h", "1d" or "1h30m" ("ms" for
 * milliseconds), in ms. 0, or -1 when it does not parse or is 0. */
static int parse_duration(const char *s, int64_t *ms) {
  static const struct {
    const char *unit;
    int64_t ms;
  } units[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  int64_t total = 0;
  if (s == NULL || *s == '\0')
    return -1;
  while (*s != '\0') {
    if (*s < '0' || *s > '9')
      return -1;
    int64_t n = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
      if (n > (INT64_MAX - 9) / 10)
        return -1;
      n = n * 10 + (*s - '0');
    }
    size_t u = 0, len = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
      size_t l = strlen(units[i].unit);
      /* "ms" before "m": the longer unit that matches. */
      if (strncmp(s, units[i].unit, l) == 0 && l > len) {
        u = i;
        len = l;
      }
    }
    if (len == 0 || n > (INT64_MAX - total) / units[u].ms)
      return -1;
    total += n * units[u].ms;
    s += len;
  }
  if (total == 0)
    return -1;
  *ms = total;
  return 0;
}

/* Every --serial in the order given, then each line of --serials-file
 * (blank lines skipped). 0 or an exit status. */
static int opt_serials(struct cli *c, char ***out, size_t *n) {
  const char *path = cli_opt(c, "serials-file");
  char *text = NULL;
  *out = NULL;
  *n = 0;
  size_t cap = (size_t)cli_opt_count(c, "serial");
  if (path != NULL) {
    if ((text = cli_read_file(c, path)) == NULL)
      return cli_input_error("cannot read %s: %s", path, cli_read_error());
    for (const char *p = text; *p != '\0'; p++)
      cap += *p == '\n';
    cap++;
  }
  char **v = pl_arena_alloc(c->a, (cap ? cap : 1) * sizeof(char *));
  if (v == NULL)
    return cli_fail("out of memory");
  size_t k = 0;
  for (int i = 0; i < c->nopts; i++)
    if (strcmp(c->opts[i].name, "serial") == 0)
      v[k++] = (char *)c->opts[i].value;
  for (char *line = text; line != NULL && *line != '\0';) {
    char *eol = strchr(line, '\n');
    if (eol != NULL)
      *eol = '\0';
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
      line[--len] = '\0';
    if (len > 0)
      v[k++] = line;
    line = eol != NULL ? eol + 1 : NULL;
  }
  *out = v;
  *n = k;
  return 0;
}

/* ---- commands ---- */

static int cmd_site(struct cli *c) {
  int kind, rc;
  double lat, lon;
  if ((rc = cli_opt_enum(c, "kind", &partsledger__v1__site_kind__descriptor,
                         &kind)) != 0 ||
      (rc = opt_double(c, "lat", &lat)) != 0 ||
      (rc = opt_double(c, "lon", &lon)) != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_site_registered(c->a, cli_opt(c, "id"), kind,
                                cli_opt(c, "name"), cli_opt_or(c, "region", ""),
                                lat, lon, cli_opt_or(c, "gln", ""), &e);
  return cli_append_built(c, rc, e);
}

static int cmd_supplier(struct cli *c) {
  Partsledger__V1__Entry *e;
  int rc = pl_build_supplier_registered(
      c->a, cli_opt(c, "id"), cli_opt(c, "name"),
      cli_opt(c, "certified") != NULL, cli_opt_or(c, "gln", ""), &e);
  return cli_append_built(c, rc, e);
}

static int cmd_batch(struct cli *c) {
  int part_class, rc;
  uint64_t quantity;
  uint32_t months;
  int64_t produced;
  char **serials;
  size_t n;
  if ((rc = cli_opt_enum(c, "class", &partsledger__v1__part_class__descriptor,
                         &part_class)) != 0 ||
      (rc = cli_opt_u64(c, "quantity", 0, &quantity)) != 0 ||
      (rc = cli_opt_u32(c, "warranty-months", 0, &months)) != 0 ||
      (rc = cli_opt_entry_time(c, "produced-at", 0, &produced)) != 0)
    return rc;
  if ((rc = opt_serials(c, &serials, &n)) != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_batch_registered(c->a, cli_opt(c, "id"), cli_opt(c, "supplier"),
                                 cli_opt(c, "sku"), cli_opt_or(c, "gtin", ""),
                                 part_class, months, produced, quantity,
                                 serials, n, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_receive(struct cli *c) {
  uint64_t quantity;
  int rc = cli_opt_u64(c, "quantity", 0, &quantity);
  if (rc != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_stock_received(c->a, cli_opt(c, "site"), cli_opt(c, "batch"),
                               quantity, cli_opt_or(c, "reference", ""), &e);
  return cli_append_built(c, rc, e);
}

static int cmd_transfer(struct cli *c) {
  uint64_t quantity;
  int rc = cli_opt_u64(c, "quantity", 0, &quantity);
  if (rc != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_stock_transferred(c->a, cli_opt(c, "from"), cli_opt(c, "to"),
                                  cli_opt(c, "batch"), quantity,
                                  cli_opt_or(c, "reference", ""), &e);
  return cli_append_built(c, rc, e);
}

static int cmd_adjust(struct cli *c) {
  int64_t delta;
  int reason, rc;
  if ((rc = cli_opt_i64(c, "delta", 0, &delta)) != 0 ||
      (rc = cli_opt_enum(c, "reason",
                         &partsledger__v1__adjust_reason__descriptor,
                         &reason)) != 0)
    return rc;
  Partsledger__V1__Entry *e;
  rc = pl_build_stock_adjusted(c->a, cli_opt(c, "site"), cli_opt(c, "batch"),
                               delta, reason, cli_opt_or(c, "note", ""), &e);
  return cli_append_built(c, rc, e);
}

static int cmd_reserve(struct cli *c) {
  uint64_t quantity;
  int64_t expires = 0, in_ms;
  const char *in = cli_opt(c, "expires-in"), *at = cli_opt(c, "expires-at");
  int rc = cli_opt_u64(c, "quantity", 0, &quantity);
  if (rc != 0)
    return rc;
  if ((in == NULL) == (at == NULL))
    return cli_usage_error(c, "give exactly one of --expires-in DURATION and "
                              "--expires-at TIME");
  if (in != NULL && cli_opt(c, "request-id") != NULL)
    return cli_usage_error(c, "with --request-id, give --expires-at TIME: "
                              "--expires-in counts from now, which would "
                              "make a retry another entry");
  if (in != NULL) {
    if (parse_duration(in, &in_ms) != 0 || in_ms > INT64_MAX - pl_now_ms())
      return cli_usage_error(c,
                             "--expires-in wants a duration such as 90s, "
                             "30m, 2h, 1d or 1h30m, not '%s'",
                             in);
    expires = pl_now_ms() + in_ms;
  } else if ((rc = cli_opt_entry_time(c, "expires-at", 0, &expires)) != 0) {
    return rc;
  }
  Partsledger__V1__Entry *e;
  rc = pl_build_part_reserved(c->a, cli_opt(c, "id"), cli_opt(c, "site"),
                              cli_opt(c, "sku"), quantity,
                              cli_opt_or(c, "batch", ""),
                              cli_opt_or(c, "repair-order", ""), expires, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_release(struct cli *c) {
  Partsledger__V1__Entry *e;
  int rc = pl_build_reservation_released(c->a, cli_opt(c, "id"),
                                         cli_opt_or(c, "reason", ""), &e);
  return cli_append_built(c, rc, e);
}

static int cmd_fulfil(struct cli *c) {
  const char *id = cli_opt(c, "id"), *batch = cli_opt(c, "batch");
  uint64_t quantity;
  int rc = cli_opt_u64(c, "quantity", 0, &quantity);
  if (rc != 0)
    return rc;
  /* What was left out is the reservation's: its batch, all of it. */
  if (batch == NULL || cli_opt(c, "quantity") == NULL) {
    Partsledger__V1__Reservation *r;
    if ((rc = cli_connect(c)) != 0)
      return rc;
    if ((rc = pl_client_get_reservation(c->client, id, c->a, &r)) != 0)
      return cli_server_error(c, rc);
    if (batch == NULL && r->batch_id[0] == '\0')
      return cli_usage_error(c,
                             "reservation %s names no batch: give --batch, "
                             "the batch the parts come from",
                             id);
    if (batch == NULL)
      batch = r->batch_id;
    if (cli_opt(c, "quantity") == NULL)
      quantity = r->quantity;
  }
  Partsledger__V1__Entry *e;
  rc = pl_build_reservation_fulfilled(c->a, id, batch, quantity, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_recall(struct cli *c) {
  Partsledger__V1__Entry *e;
  int rc = pl_build_batch_recalled(c->a, cli_opt(c, "batch"),
                                   cli_opt_or(c, "reason", ""), &e);
  return cli_append_built(c, rc, e);
}

/* ---- the rows ---- */

#define CLI__KEY                                                               \
  {"key", CLI_VALUE, CLI_REQUIRED}, { "request-id", CLI_VALUE, 0 }
#define CLI__END                                                               \
  { NULL, CLI_FLAG, 0 }

/* How every command here ends its help. */
#define CLI__APPENDS                                                           \
  "Prints the entry's index, leaf hash, request id, whether it was a\n"        \
  "duplicate, and the tree size (with --json also the checkpoint and the\n"    \
  "inclusion proof). A refusal is \"error: STATUS: message\", exit status "    \
  "1.\n"                                                                       \
  "  --request-id HEX   16-byte idempotency key (default: random); the same\n" \
  "                     command sent again with it returns the original\n"     \
  "                     index, and another entry under it is refused;\n"       \
  "                     with it, a time must be fixed (not now, not\n"         \
  "                     --expires-in), or a retry is another entry\n"

static const struct cli_opt site_opts[] = {CLI__KEY,
                                           {"id", CLI_VALUE, CLI_REQUIRED},
                                           {"kind", CLI_VALUE, CLI_REQUIRED},
                                           {"name", CLI_VALUE, CLI_REQUIRED},
                                           {"region", CLI_VALUE, 0},
                                           {"lat", CLI_VALUE, CLI_REQUIRED},
                                           {"lon", CLI_VALUE, CLI_REQUIRED},
                                           {"gln", CLI_VALUE, 0},
                                           CLI__END};
static const struct cli_opt supplier_opts[] = {
    CLI__KEY,
    {"id", CLI_VALUE, CLI_REQUIRED},
    {"name", CLI_VALUE, CLI_REQUIRED},
    {"certified", CLI_FLAG, 0},
    {"gln", CLI_VALUE, 0},
    CLI__END};
static const struct cli_opt batch_opts[] = {
    CLI__KEY,
    {"id", CLI_VALUE, CLI_REQUIRED},
    {"supplier", CLI_VALUE, CLI_REQUIRED},
    {"sku", CLI_VALUE, CLI_REQUIRED},
    {"gtin", CLI_VALUE, 0},
    {"class", CLI_VALUE, CLI_REQUIRED},
    {"quantity", CLI_VALUE, CLI_REQUIRED},
    {"warranty-months", CLI_VALUE, 0},
    {"produced-at", CLI_VALUE, 0},
    {"serial", CLI_VALUE, 0},
    {"serials-file", CLI_VALUE, 0},
    CLI__END};
static const struct cli_opt receive_opts[] = {
    CLI__KEY,
    {"site", CLI_VALUE, CLI_REQUIRED},
    {"batch", CLI_VALUE, CLI_REQUIRED},
    {"quantity", CLI_VALUE, CLI_REQUIRED},
    {"reference", CLI_VALUE, 0},
    CLI__END};
static const struct cli_opt transfer_opts[] = {
    CLI__KEY,
    {"from", CLI_VALUE, CLI_REQUIRED},
    {"to", CLI_VALUE, CLI_REQUIRED},
    {"batch", CLI_VALUE, CLI_REQUIRED},
    {"quantity", CLI_VALUE, CLI_REQUIRED},
    {"reference", CLI_VALUE, 0},
    CLI__END};
static const struct cli_opt adjust_opts[] = {
    CLI__KEY,
    {"site", CLI_VALUE, CLI_REQUIRED},
    {"batch", CLI_VALUE, CLI_REQUIRED},
    {"delta", CLI_VALUE, CLI_REQUIRED},
    {"reason", CLI_VALUE, CLI_REQUIRED},
    {"note", CLI_VALUE, 0},
    CLI__END};
static const struct cli_opt reserve_opts[] = {
    CLI__KEY,
    {"id", CLI_VALUE, CLI_REQUIRED},
    {"site", CLI_VALUE, CLI_REQUIRED},
    {"sku", CLI_VALUE, CLI_REQUIRED},
    {"quantity", CLI_VALUE, CLI_REQUIRED},
    {"batch", CLI_VALUE, 0},
    {"repair-order", CLI_VALUE, 0},
    {"expires-in", CLI_VALUE, 0},
    {"expires-at", CLI_VALUE, 0},
    CLI__END};
static const struct cli_opt release_opts[] = {CLI__KEY,
                                              {"id", CLI_VALUE, CLI_REQUIRED},
                                              {"reason", CLI_VALUE, 0},
                                              CLI__END};
static const struct cli_opt fulfil_opts[] = {CLI__KEY,
                                             {"id", CLI_VALUE, CLI_REQUIRED},
                                             {"batch", CLI_VALUE, 0},
                                             {"quantity", CLI_VALUE, 0},
                                             CLI__END};
static const struct cli_opt recall_opts[] = {CLI__KEY,
                                             {"batch", CLI_VALUE, CLI_REQUIRED},
                                             {"reason", CLI_VALUE, 0},
                                             CLI__END};

static const struct cli_command commands[] = {
    {"site",
     "--key ADMIN_KEYFILE --id ID --kind KIND --name NAME [--region TEXT] "
     "--lat DEG --lon DEG [--gln GLN] [--request-id HEX]",
     "register a site (signed by an admin key)",
     "Appends a site_registered entry signed with ADMIN_KEYFILE.\n"
     "  --id ID         1-64 bytes of printable UTF-8 without spaces\n"
     "  --kind KIND     central_warehouse, warehouse, repair_station or\n"
     "                  service_van\n"
     "  --name NAME     --region TEXT: printable UTF-8, at most 256 bytes\n"
     "  --lat, --lon    degrees, in [-90, 90] and [-180, 180]\n"
     "  --gln GLN       its 13-digit GS1 Global Location Number, if known\n"
     "Its stock is kept by actors enrolled with it (--site).\n" CLI__APPENDS,
     site_opts, 0, 0, cmd_site},
    {"supplier",
     "--key ADMIN_KEYFILE --id ID --name NAME [--certified] [--gln GLN] "
     "[--request-id HEX]",
     "register a supplier (signed by an admin key)",
     "Appends a supplier_registered entry signed with ADMIN_KEYFILE.\n"
     "  --certified     the supplier is certified\n"
     "  --gln GLN       its 13-digit GS1 Global Location Number\n" CLI__APPENDS,
     supplier_opts, 0, 0, cmd_supplier},
    {"batch",
     "--key MANUFACTURER_KEYFILE --id ID --supplier ID --sku SKU --class "
     "CLASS --quantity N [--gtin GTIN] [--warranty-months N] [--produced-at "
     "TIME] [--serial S]... [--serials-file FILE] [--request-id HEX]",
     "register a batch of parts (signed by a manufacturer)",
     "Appends a batch_registered entry: QUANTITY units of SKU made by the\n"
     "supplier. No site ever holds more of its units than were made.\n"
     "  --class CLASS        original or certified_alternative\n"
     "  --gtin GTIN          GTIN-8, -12, -13 or -14 (kept as GTIN-14)\n"
     "  --warranty-months N  the parts' warranty\n"
     "  --produced-at TIME   when the batch was made: unix ms, an ISO 8601\n"
     "                       date-time (2024-05-01T12:00:00Z), a date\n"
     "                       (midnight UTC) or \"now\"\n"
     "  --serial S           a unit's serial; repeat for several, or list\n"
     "                       them one a line in --serials-file FILE (at most\n"
     "                       1000, and no more than QUANTITY)\n" CLI__APPENDS,
     batch_opts, 0, 0, cmd_batch},
    {"receive",
     "--key KEYFILE --site ID --batch ID --quantity N [--reference TEXT] "
     "[--request-id HEX]",
     "receive units of a batch at a site",
     "Appends a stock_received entry, signed by a warehouse or repair station\n"
     "enrolled with the site. --reference: a delivery note or the like.\n"
     "Refused (FAILED_PRECONDITION) when the batch would have more units in\n"
     "the network than were made, or when it is recalled.\n" CLI__APPENDS,
     receive_opts, 0, 0, cmd_receive},
    {"transfer",
     "--key KEYFILE --from SITE --to SITE --batch ID --quantity N "
     "[--reference TEXT] [--request-id HEX]",
     "move units of a batch from one site to another",
     "Appends a stock_transferred entry, signed by an actor of the --from\n"
     "site. Refused when the units there, less what is reserved, are\n"
     "fewer.\n" CLI__APPENDS,
     transfer_opts, 0, 0, cmd_transfer},
    {"adjust",
     "--key KEYFILE --site ID --batch ID --delta N --reason REASON [--note "
     "TEXT] [--request-id HEX]",
     "correct the units of a batch at a site",
     "Appends a stock_adjusted entry, signed by an actor of the site.\n"
     "  --delta N       units added (5) or taken away (-3); not 0\n"
     "  --reason REASON count, damaged, lost, scrapped or\n"
     "                  returned_to_supplier\n"
     "A recalled batch may still be adjusted down.\n" CLI__APPENDS,
     adjust_opts, 0, 0, cmd_adjust},
    {"reserve",
     "--key KEYFILE --id ID --site ID --sku SKU --quantity N (--expires-in "
     "DURATION | --expires-at TIME) [--batch ID] [--repair-order ID] "
     "[--request-id HEX]",
     "reserve units of a SKU at a site",
     "Appends a part_reserved entry, signed by an actor of the site. The\n"
     "reservation holds until released, fulfilled or expired; it is refused\n"
     "(FAILED_PRECONDITION, with what is available) when fewer are free.\n"
     "  --expires-in DURATION  from now: 90s, 30m, 2h, 1d, 1h30m (at most\n"
     "                         90 days); not with --request-id, whose retry\n"
     "                         must be the same entry\n"
     "  --expires-at TIME      at that time: unix ms, an ISO 8601 date-time\n"
     "                         (2024-05-01T12:00:00Z) or a date (midnight\n"
     "                         UTC)\n"
     "  --batch ID             only units of that batch (of the same SKU)\n"
     "  --repair-order ID      the repair order they are for\n" CLI__APPENDS,
     reserve_opts, 0, 0, cmd_reserve},
    {"release",
     "--key KEYFILE --id RESERVATION [--reason TEXT] [--request-id HEX]",
     "release an active reservation",
     "Appends a reservation_released entry, signed by an actor of the\n"
     "reservation's site: its units count as available again.\n" CLI__APPENDS,
     release_opts, 0, 0, cmd_release},
    {"fulfil",
     "--key KEYFILE --id RESERVATION [--batch ID] [--quantity N] "
     "[--request-id HEX]",
     "fulfil an active reservation: its parts leave the site",
     "Appends a reservation_fulfilled entry, signed by an actor of the\n"
     "reservation's site: QUANTITY units of the batch leave its stock and the\n"
     "reservation closes (what it held beyond that is released).\n"
     "  --batch ID      the batch the parts come from (default: the one the\n"
     "                  reservation names; needed when it names none)\n"
     "  --quantity N    at most the reserved quantity (default: all of it)\n"
     "The defaults are read first (GetReservation).\n" CLI__APPENDS,
     fulfil_opts, 0, 0, cmd_fulfil},
    {"recall",
     "--key MANUFACTURER_KEYFILE --batch ID [--reason TEXT] "
     "[--request-id HEX]",
     "recall a batch (signed by a manufacturer)",
     "Appends a batch_recalled entry. The batch's units stop counting as\n"
     "available everywhere and can no longer be received, moved, reserved\n"
     "or fulfilled from; they may still be adjusted down.\n" CLI__APPENDS,
     recall_opts, 0, 0, cmd_recall},
};

const struct cli_family cli_family_inventory = {"inventory (writes)",
                                                CLI_ROWS(commands), show};
