/*
 * inventory_query.c - the commands that ask the Inventory service: a
 * site, a batch, the stock of a SKU at a site, the sites near a point that
 * have a SKU available, a reservation. None writes; none needs a key.
 *
 * The readable forms are written here; the JSON is each answer's message
 * as cli_message_json writes it, field for field under the proto names, so
 * that what a script reads is what inventory.proto documents.
 *
 * May depend on: cli.h, client.h (and the storage/ headers through it),
 * cJSON.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

#define CLI_NEAR_RADIUS_KM 50.0

/* "  label:        value" lines, aligned. */
#define CLI_ROW(label, fmt, ...)                                               \
  printf("%-18s " fmt "\n", label ":", __VA_ARGS__)

static const char *or_none(const char *s) {
  return s[0] != '\0' ? s : "(none)";
}

/* A message's JSON on stdout; the exit status. */
static int emit(struct cli *c, const ProtobufCMessage *m) {
  return cli_json_emit(cli_message_json(c, m), 0);
}

/* ---- site-info, batch-info ---- */

static int cmd_site_info(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__Site *s;
  if ((rc = pl_client_get_site(c->client, c->pos[0], c->a, &s)) != 0)
    return cli_server_error(c, rc);
  if (c->json)
    return emit(c, &s->base);
  CLI_ROW("site", "%s", s->site_id);
  CLI_ROW("kind", "%s",
          cli_enum_name(c, &partsledger__v1__site_kind__descriptor, s->kind));
  CLI_ROW("name", "%s", s->name);
  CLI_ROW("region", "%s", or_none(s->region));
  CLI_ROW("latitude", "%.6f", s->latitude);
  CLI_ROW("longitude", "%.6f", s->longitude);
  CLI_ROW("gln", "%s", or_none(s->gln));
  CLI_ROW("registered", "entry %" PRIu64, s->registered_index);
  return CLI_EXIT_OK;
}

void cli_batch_print(struct cli *c, const Partsledger__V1__Batch *b) {
  CLI_ROW("batch", "%s", b->batch_id);
  CLI_ROW("supplier", "%s", b->supplier_id);
  CLI_ROW("sku", "%s", b->sku);
  CLI_ROW("gtin", "%s", or_none(b->gtin));
  CLI_ROW("part class", "%s",
          cli_enum_name(c, &partsledger__v1__part_class__descriptor,
                        b->part_class));
  CLI_ROW("warranty months", "%" PRIu32, b->warranty_months);
  if (b->produced_at_ms != 0)
    CLI_ROW("produced at", "%s (%" PRId64 ")",
            cli_iso_time(c, b->produced_at_ms), b->produced_at_ms);
  else
    CLI_ROW("produced at", "%s", "(not given)");
  CLI_ROW("quantity", "%" PRIu64, b->quantity);
  CLI_ROW("units in network", "%" PRIu64, b->units_in_network);
  CLI_ROW("serials listed", "%" PRIu32, b->serial_count);
  if (b->recalled)
    CLI_ROW("recalled", "yes: %s", or_none(b->recall_reason));
  else
    CLI_ROW("recalled", "%s", "no");
  CLI_ROW("registered", "entry %" PRIu64, b->registered_index);
}

static int cmd_batch_info(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__Batch *b;
  if ((rc = pl_client_get_batch(c->client, c->pos[0], c->a, &b)) != 0)
    return cli_server_error(c, rc);
  if (c->json)
    return emit(c, &b->base);
  cli_batch_print(c, b);
  return CLI_EXIT_OK;
}

/* ---- stock ---- */

static int cmd_stock(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__GetStockResponse *r;
  if ((rc = pl_client_get_stock(c->client, c->pos[0], c->pos[1], c->a, &r)) !=
      0)
    return cli_server_error(c, rc);
  if (c->json)
    return emit(c, &r->base);
  CLI_ROW("site", "%s", r->site_id);
  CLI_ROW("sku", "%s", r->sku);
  CLI_ROW("on hand", "%" PRIu64, r->on_hand);
  CLI_ROW("reserved", "%" PRIu64, r->reserved);
  CLI_ROW("available", "%" PRIu64, r->available);
  if (r->n_batches == 0)
    return CLI_EXIT_OK;
  printf("\n%-24s %10s %10s %10s\n", "batch", "on hand", "reserved",
         "available");
  for (size_t i = 0; i < r->n_batches; i++) {
    const Partsledger__V1__BatchStock *b = r->batches[i];
    printf("%-24s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "%s\n", b->batch_id,
           b->on_hand, b->reserved, b->available,
           b->recalled ? "  recalled" : "");
  }
  return CLI_EXIT_OK;
}

/* ---- near ---- */

static int cmd_near(struct cli *c) {
  Partsledger__V1__StockNearRequest req =
      PARTSLEDGER__V1__STOCK_NEAR_REQUEST__INIT;
  uint64_t min;
  int rc;
  req.sku = (char *)c->pos[0];
  req.radius_km = CLI_NEAR_RADIUS_KM;
  const char *lat = cli_opt(c, "lat"), *lon = cli_opt(c, "lon"),
             *radius = cli_opt(c, "radius-km");
  if (cli_parse_double(lat, &req.latitude) != 0 ||
      cli_parse_double(lon, &req.longitude) != 0)
    return cli_usage_error(c, "--lat and --lon want decimal degrees");
  if (radius != NULL && cli_parse_double(radius, &req.radius_km) != 0)
    return cli_usage_error(c, "--radius-km wants a decimal number, not '%s'",
                           radius);
  if ((rc = cli_opt_u64(c, "min", 0, &min)) != 0 ||
      (rc = cli_opt_u32(c, "limit", 0, &req.limit)) != 0)
    return rc;
  req.min_available = min;
  /* Every --kind, in the order given. */
  int nk = cli_opt_count(c, "kind");
  Partsledger__V1__SiteKind *kinds =
      pl_arena_alloc(c->a, (size_t)(nk > 0 ? nk : 1) * sizeof(*kinds));
  if (kinds == NULL)
    return cli_fail("out of memory");
  for (int i = 0; i < c->nopts; i++) {
    if (strcmp(c->opts[i].name, "kind") != 0)
      continue;
    int k = cli_enum_parse(&partsledger__v1__site_kind__descriptor,
                           c->opts[i].value);
    if (k < 0)
      return cli_usage_error(
          c, "--kind wants %s, not '%s'",
          cli_enum_names(c, &partsledger__v1__site_kind__descriptor),
          c->opts[i].value);
    kinds[req.n_kinds++] = (Partsledger__V1__SiteKind)k;
  }
  req.kinds = kinds;

  if ((rc = cli_connect(c)) != 0)
    return rc;
  Partsledger__V1__StockNearResponse *r;
  if ((rc = pl_client_stock_near(c->client, &req, c->a, &r)) != 0)
    return cli_server_error(c, rc);
  if (c->json)
    return emit(c, &r->base);
  if (r->n_sites == 0) {
    if (min > 1)
      printf("no site within %g km has %" PRIu64 " units of %s available\n",
             req.radius_km, min, req.sku);
    else
      printf("no site within %g km has %s available\n", req.radius_km, req.sku);
    return CLI_EXIT_OK;
  }
  printf("%10s %10s  %-20s %-17s %s\n", "km", "available", "site", "kind",
         "name");
  for (size_t i = 0; i < r->n_sites; i++) {
    const Partsledger__V1__NearbyStock *s = r->sites[i];
    printf("%10.3f %10" PRIu64 "  %-20s %-17s %s\n", s->distance_m / 1000.0,
           s->available, s->site_id,
           cli_enum_name(c, &partsledger__v1__site_kind__descriptor, s->kind),
           s->name);
  }
  return CLI_EXIT_OK;
}

/* ---- reservation ---- */

static int cmd_reservation(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__Reservation *r;
  if ((rc = pl_client_get_reservation(c->client, c->pos[0], c->a, &r)) != 0)
    return cli_server_error(c, rc);
  if (c->json)
    return emit(c, &r->base);
  CLI_ROW("reservation", "%s", r->reservation_id);
  CLI_ROW("state", "%s",
          cli_enum_name(c, &partsledger__v1__reservation_state__descriptor,
                        r->state));
  CLI_ROW("site", "%s", r->site_id);
  CLI_ROW("sku", "%s", r->sku);
  CLI_ROW("batch", "%s", r->batch_id[0] != '\0' ? r->batch_id : "(any)");
  CLI_ROW("quantity", "%" PRIu64, r->quantity);
  CLI_ROW("repair order", "%s", or_none(r->repair_order_id));
  CLI_ROW("reserved", "entry %" PRIu64 " at %s", r->reserved_index,
          cli_iso_time(c, r->reserved_at_ms));
  CLI_ROW("expires at", "%s (%" PRId64 ")", cli_iso_time(c, r->expires_at_ms),
          r->expires_at_ms);
  if (r->closed_index != 0)
    CLI_ROW("closed", "entry %" PRIu64, r->closed_index);
  if (r->state ==
      PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_FULFILLED)
    CLI_ROW("fulfilled", "%" PRIu64 " from batch %s", r->fulfilled_quantity,
            r->fulfilled_batch_id);
  return CLI_EXIT_OK;
}

/* ---- the rows ---- */

static const struct cli_opt no_opts[] = {{NULL, CLI_FLAG, 0}};
static const struct cli_opt near_opts[] = {{"lat", CLI_VALUE, CLI_REQUIRED},
                                           {"lon", CLI_VALUE, CLI_REQUIRED},
                                           {"radius-km", CLI_VALUE, 0},
                                           {"min", CLI_VALUE, 0},
                                           {"limit", CLI_VALUE, 0},
                                           {"kind", CLI_VALUE, 0},
                                           {NULL, CLI_FLAG, 0}};

static const struct cli_command commands[] = {
    {"site-info", "SITE", "show a site",
     "Prints what the site was registered with (GetSite) and the entry that\n"
     "registered it. An unknown site is NOT_FOUND (exit status 1).\n",
     no_opts, 1, 1, cmd_site_info},
    {"batch-info", "BATCH", "show a batch",
     "Prints the batch (GetBatch): what it was registered with, its units in\n"
     "the network (every unit ever received, plus positive adjustments; never\n"
     "more than its quantity) and whether it is recalled.\n",
     no_opts, 1, 1, cmd_batch_info},
    {"stock", "SITE SKU", "show the stock of a SKU at a site",
     "Prints the units of SKU at SITE (GetStock): on hand (every unit there,\n"
     "recalled ones too), reserved (active reservations, as of now) and\n"
     "available (units of batches not recalled, less what is reserved), then\n"
     "the same per batch. A SKU the site does not hold is all zeros; an\n"
     "unknown site is NOT_FOUND (exit status 1).\n",
     no_opts, 2, 2, cmd_stock},
    {"near",
     "SKU --lat DEG --lon DEG [--radius-km KM] [--min N] [--limit N] "
     "[--kind KIND]...",
     "find the sites near a point with a SKU available",
     "Prints the sites within --radius-km (default 50) of the point that\n"
     "have at least --min (default 1) units of SKU available now, nearest\n"
     "first (StockNear): distance in km (great circle), units available,\n"
     "site, kind, name. At most --limit sites (default 20, at most 1000).\n"
     "  --kind KIND   only sites of that kind (central_warehouse, warehouse,\n"
     "                repair_station, service_van); repeat for several\n"
     "No site is an answer too (exit status 0); with --json, \"sites\": [].\n",
     near_opts, 1, 1, cmd_near},
    {"reservation", "ID", "show a reservation",
     "Prints the reservation (GetReservation): its state as of now (active,\n"
     "released, fulfilled, or expired once its time has passed), site, SKU,\n"
     "batch, quantity, the entries that made and closed it, and what a\n"
     "fulfilment took.\n",
     no_opts, 1, 1, cmd_reservation},
};

const struct cli_family cli_family_inventory_query = {"inventory (queries)",
                                                      CLI_ROWS(commands), NULL};
