/*
 * ledger.c - the commands that read the log as it is: info, checkpoint,
 * list, get, follow, health; and how an entry is shown, in full, on one
 * line, or as JSON.
 *
 * An entry's envelope (index, times, signer, request id, kind, leaf hash)
 * is shown here; its body by the family that owns its kind (cli_show_body),
 * so a new kind needs no change in this file.
 *
 * May depend on: cli.h, client.h (and the storage/ headers through it),
 * entry.h for kind names, cJSON.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "entry.h"

/* The gRPC status a deadline ends a call with (this file needs no gRPC
 * header for one number). */
#define CLI_GRPC_DEADLINE_EXCEEDED 4
/* ListEntries pages of at most this many entries (the server's bound). */
#define CLI_LIST_PAGE 1000

/* ---- entries: decoding and showing ---- */

struct decoded {
  const Partsledger__V1__EntryResponse *resp;
  Partsledger__V1__Leaf *leaf;   /* NULL when the leaf does not parse */
  Partsledger__V1__Entry *entry; /* NULL when the entry does not parse */
  int sig_valid;
  int hash_valid; /* the server's leaf_hash is H(0x00 || leaf) */
};

static void decode(struct cli *c, const Partsledger__V1__EntryResponse *r,
                   struct decoded *d) {
  memset(d, 0, sizeof(*d));
  d->resp = r;
  uint8_t lh[PL_HASH_BYTES];
  pl_merkle_leaf_hash(r->leaf.data, r->leaf.len, lh);
  d->hash_valid = r->leaf_hash.len == PL_HASH_BYTES &&
                  memcmp(lh, r->leaf_hash.data, PL_HASH_BYTES) == 0;
  d->leaf = partsledger__v1__leaf__unpack(pl_arena_allocator(c->a), r->leaf.len,
                                          r->leaf.data);
  if (d->leaf == NULL || d->leaf->signed_entry == NULL)
    return;
  const Partsledger__V1__SignedEntry *se = d->leaf->signed_entry;
  d->entry = partsledger__v1__entry__unpack(pl_arena_allocator(c->a),
                                            se->entry.len, se->entry.data);
  d->sig_valid = se->signer.len == PL_PUBLIC_KEY_BYTES &&
                 se->signature.len == PL_SIGNATURE_BYTES &&
                 pl_entry_verify(se->signer.data, se->entry.data, se->entry.len,
                                 se->signature.data) == 0;
}

static cJSON *entry_json(struct cli *c, const struct decoded *d, int raw) {
  cJSON *o = cJSON_CreateObject();
  cli_json_add_u64(o, "index", d->resp->index);
  if (d->leaf != NULL) {
    cli_json_add_i64(o, "integrated_at_ms", d->leaf->integrated_at_ms);
    cJSON_AddStringToObject(o, "integrated_at",
                            cli_iso_time(c, d->leaf->integrated_at_ms));
    if (d->leaf->index != d->resp->index)
      cli_json_add_u64(o, "leaf_index", d->leaf->index);
  }
  if (d->leaf != NULL && d->leaf->signed_entry != NULL) {
    const Partsledger__V1__SignedEntry *se = d->leaf->signed_entry;
    cJSON_AddStringToObject(o, "signer",
                            cli_hex(c, se->signer.data, se->signer.len));
    cJSON_AddBoolToObject(o, "signature_valid", d->sig_valid);
    if (se->n_cosignatures > 0)
      cJSON_AddNumberToObject(o, "cosignatures", (double)se->n_cosignatures);
  }
  const Partsledger__V1__Entry *e = d->entry;
  if (e != NULL) {
    cJSON_AddStringToObject(o, "request_id",
                            cli_hex(c, e->request_id.data, e->request_id.len));
    cli_json_add_i64(o, "occurred_at_ms", e->occurred_at_ms);
    cJSON_AddStringToObject(o, "occurred_at", cli_iso_time(c, e->occurred_at_ms));
    cJSON_AddStringToObject(o, "kind", pl_kind_name(e->body_case));
    cJSON *b = cJSON_AddObjectToObject(o, "body");
    if (b != NULL)
      cli_show_body(c, e, CLI_SHOW_JSON, b);
  } else {
    cJSON_AddStringToObject(o, "kind", "undecodable");
  }
  cJSON_AddStringToObject(
      o, "leaf_hash",
      cli_hex(c, d->resp->leaf_hash.data, d->resp->leaf_hash.len));
  if (!d->hash_valid)
    cJSON_AddBoolToObject(o, "leaf_hash_valid", 0);
  if (raw)
    cJSON_AddStringToObject(o, "leaf",
                            cli_hex(c, d->resp->leaf.data, d->resp->leaf.len));
  return o;
}

/* The full readable form, for `get`. */
static void entry_print(struct cli *c, const struct decoded *d) {
  printf("index:         %" PRIu64 "\n", d->resp->index);
  if (d->leaf == NULL) {
    printf("leaf:          does not parse (%zu bytes)\n", d->resp->leaf.len);
  } else {
    printf("integrated at: %s (%" PRId64 ")\n",
           cli_iso_time(c, d->leaf->integrated_at_ms), d->leaf->integrated_at_ms);
    if (d->leaf->index != d->resp->index)
      printf("leaf index:    %" PRIu64 " (MISMATCH)\n", d->leaf->index);
  }
  if (d->leaf != NULL && d->leaf->signed_entry != NULL) {
    const Partsledger__V1__SignedEntry *se = d->leaf->signed_entry;
    printf("signer:        %s\n", cli_hex(c, se->signer.data, se->signer.len));
    printf("signature:     %s\n", d->sig_valid ? "valid" : "INVALID");
    if (se->n_cosignatures > 0)
      printf("cosignatures:  %zu\n", se->n_cosignatures);
  }
  const Partsledger__V1__Entry *e = d->entry;
  if (e != NULL) {
    printf("request id:    %s\n",
           cli_hex(c, e->request_id.data, e->request_id.len));
    printf("occurred at:   %s (%" PRId64 ")\n",
           cli_iso_time(c, e->occurred_at_ms), e->occurred_at_ms);
    printf("kind:          %s\n", pl_kind_name(e->body_case));
    cli_show_body(c, e, CLI_SHOW_FULL, NULL);
  } else if (d->leaf != NULL) {
    printf("entry:         does not parse\n");
  }
  printf("leaf hash:     %s%s\n",
         cli_hex(c, d->resp->leaf_hash.data, d->resp->leaf_hash.len),
         d->hash_valid ? "" : " (MISMATCH with the leaf bytes)");
}

/* The one-line form, for `list` and `follow`. */
static void entry_line(struct cli *c, const struct decoded *d) {
  const Partsledger__V1__Entry *e = d->entry;
  printf("%-6" PRIu64 " %s  %-14s", d->resp->index,
         d->leaf != NULL ? cli_iso_time(c, d->leaf->integrated_at_ms) : "?",
         e != NULL ? pl_kind_name(e->body_case) : "undecodable");
  if (e != NULL)
    cli_show_body(c, e, CLI_SHOW_LINE, NULL);
  if (d->leaf != NULL && d->leaf->signed_entry != NULL) {
    const Partsledger__V1__SignedEntry *se = d->leaf->signed_entry;
    printf("  by=%.16s%s", cli_hex(c, se->signer.data, se->signer.len),
           d->sig_valid ? "" : " (BAD SIGNATURE)");
  }
  putchar('\n');
}

/* ---- commands ---- */

static int cmd_info(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__GetLogInfoResponse *r;
  if ((rc = pl_client_get_log_info(c->client, c->a, &r)) != 0)
    return cli_server_error(c, rc);
  const char *pk = cli_hex(c, r->public_key.data, r->public_key.len);
  if (!c->json) {
    printf("origin:        %s\n", r->origin);
    printf("verifier key:  %s\n", r->verifier_key);
    printf("public key:    %s\n", pk);
    printf("size:          %" PRIu64 "\n", r->size);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "origin", r->origin);
  cJSON_AddStringToObject(o, "verifier_key", r->verifier_key);
  cJSON_AddStringToObject(o, "public_key", pk);
  cli_json_add_u64(o, "size", r->size);
  return cli_json_emit(o, 0);
}

static int cmd_checkpoint(struct cli *c) {
  const char *out = cli_opt(c, "out");
  int force = cli_opt(c, "force") != NULL;
  /* A kept checkpoint is what later proves the log did not fork: refuse
   * before asking the server, and again when writing (O_EXCL), in case the
   * file appears meanwhile. */
  if (out != NULL && !force && access(out, F_OK) == 0)
    return cli_input_error("%s already exists; not overwriting it (--force "
                           "replaces it)",
                           out);
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__GetCheckpointResponse *r;
  if ((rc = pl_client_get_checkpoint(c->client, c->a, &r)) != 0)
    return cli_server_error(c, rc);
  if (out != NULL && (rc = cli_write_file(c, out, r->checkpoint, force)) != 0)
    return rc;
  if (!c->json) {
    fputs(r->checkpoint, stdout);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "checkpoint", r->checkpoint);
  cli_json_add_u64(o, "size", r->size);
  cJSON_AddStringToObject(o, "root_hash",
                          cli_hex(c, r->root_hash.data, r->root_hash.len));
  return cli_json_emit(o, 0);
}

static int cmd_list(struct cli *c) {
  uint64_t start, limit;
  int rc;
  if ((rc = cli_opt_u64(c, "start", 0, &start)) != 0 ||
      (rc = cli_opt_u64(c, "limit", 100, &limit)) != 0)
    return rc;
  if ((rc = cli_connect(c)) != 0)
    return rc;
  cJSON *all = c->json ? cJSON_CreateArray() : NULL;
  uint64_t printed = 0, next = start, resume = start;
  /* Pages until the limit (0: no limit) or the end of the log. The server
   * answers a start at the end with an empty page, and one past it with
   * OUT_OF_RANGE, which is reported: a start the log never reached is a
   * mistake (or another log), as it is for `follow`. */
  while (limit == 0 || printed < limit) {
    uint64_t want = limit == 0 ? CLI_LIST_PAGE : limit - printed;
    Partsledger__V1__ListEntriesResponse *r;
    rc = pl_client_list_entries(
        c->client, next, want > CLI_LIST_PAGE ? CLI_LIST_PAGE : (uint32_t)want,
        c->a, &r);
    if (rc != 0) {
      cJSON_Delete(all);
      return cli_server_error(c, rc);
    }
    for (size_t i = 0; i < r->n_entries && (limit == 0 || printed < limit);
         i++) {
      struct decoded d;
      decode(c, r->entries[i], &d);
      if (c->json)
        cJSON_AddItemToArray(all, entry_json(c, &d, 0));
      else
        entry_line(c, &d);
      printed++;
      resume = r->entries[i]->index + 1;
    }
    if (r->n_entries == 0 || r->next_start <= next)
      break;
    next = r->next_start;
    /* Decoded entries are printed or copied into cJSON: the arena can go. */
    pl_arena_reset(c->a);
  }
  if (!c->json)
    return CLI_EXIT_OK;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "entries", all);
  cli_json_add_u64(o, "next_start", resume);
  return cli_json_emit(o, 0);
}

static int cmd_get(struct cli *c) {
  uint64_t index;
  if (cli_parse_u64(c->pos[0], &index) != 0)
    return cli_usage_error(c, "INDEX must be a non-negative integer, not '%s'",
                           c->pos[0]);
  int raw = cli_opt(c, "raw") != NULL;
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  Partsledger__V1__EntryResponse *r;
  if ((rc = pl_client_get_entry(c->client, index, c->a, &r)) != 0)
    return cli_server_error(c, rc);
  if (raw && !c->json) {
    puts(cli_hex(c, r->leaf.data, r->leaf.len));
    return CLI_EXIT_OK;
  }
  struct decoded d;
  decode(c, r, &d);
  if (c->json)
    return cli_json_emit(entry_json(c, &d, raw), 0);
  entry_print(c, &d);
  return CLI_EXIT_OK;
}

static int follow_one(void *ctx, const Partsledger__V1__EntryResponse *e) {
  struct cli *c = ctx;
  struct decoded d;
  decode(c, e, &d);
  if (c->json)
    cli_json_emit(entry_json(c, &d, 0), 1);
  else
    entry_line(c, &d);
  /* Each entry is shown as it arrives, even through a pipe. */
  fflush(stdout);
  pl_arena_reset(c->a);
  return 0;
}

static int cmd_follow(struct cli *c) {
  uint64_t start;
  int rc;
  if ((rc = cli_opt_u64(c, "start", 0, &start)) != 0)
    return rc;
  /* Following is open-ended: only an explicit --timeout bounds it. */
  if (!c->timeout_set)
    c->timeout_ms = 0;
  if ((rc = cli_connect(c)) != 0)
    return rc;
  /* A start at the end of the log waits for the next entry; one past it is
   * the server's OUT_OF_RANGE, as for `list`. */
  rc = pl_client_follow(c->client, start, follow_one, c);
  if (rc == 0)
    return CLI_EXIT_OK;
  if (c->timeout_set &&
      pl_client_last_status(c->client, NULL) == CLI_GRPC_DEADLINE_EXCEEDED)
    return CLI_EXIT_OK;
  return cli_server_error(c, rc);
}

static int cmd_health(struct cli *c) {
  int rc = cli_connect(c);
  if (rc != 0)
    return rc;
  int serving;
  if ((rc = pl_client_health(c->client, &serving)) != 0)
    return cli_server_error(c, rc);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "serving", serving);
    cli_json_emit(o, 0);
  } else {
    puts(serving ? "SERVING" : "NOT_SERVING");
  }
  return serving ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* ---- the rows ---- */

static const struct cli_opt no_opts[] = {{NULL, CLI_FLAG, 0}};
static const struct cli_opt get_opts[] = {{"raw", CLI_FLAG, 0},
                                          {NULL, CLI_FLAG, 0}};
static const struct cli_opt list_opts[] = {
    {"start", CLI_VALUE, 0}, {"limit", CLI_VALUE, 0}, {NULL, CLI_FLAG, 0}};
static const struct cli_opt checkpoint_opts[] = {
    {"out", CLI_VALUE, 0}, {"force", CLI_FLAG, 0}, {NULL, CLI_FLAG, 0}};
static const struct cli_opt follow_opts[] = {{"start", CLI_VALUE, 0},
                                             {NULL, CLI_FLAG, 0}};

static const struct cli_command commands[] = {
    {"info", "", "show the log's origin and keys",
     "Prints the log's origin, its verifier key (what `verify` needs), its\n"
     "public key and its current size.\n",
     no_opts, 0, 0, cmd_info},
    {"checkpoint", "[--out FILE [--force]]",
     "print the current signed checkpoint",
     "Prints the server's current checkpoint, a signed note. --out FILE also\n"
     "saves it, to check consistency against later (prove --consistency\n"
     "--old-checkpoint FILE). An existing FILE is kept (exit status 2)\n"
     "unless --force replaces it.\n"
     "With --json: the note, the size and the root hash.\n",
     checkpoint_opts, 0, 0, cmd_checkpoint},
    {"list", "[--start N] [--limit N]", "list entries, one line each",
     "Prints entries from index N (default 0), at most --limit of them\n"
     "(default 100; 0 means to the end of the log). N equal to the log's size\n"
     "prints nothing; N past it is an error (OUT_OF_RANGE, exit status 1).\n",
     list_opts, 0, 0, cmd_list},
    {"get", "INDEX [--raw]", "show one entry",
     "Prints entry INDEX decoded: integration time, signer, whether its\n"
     "signature verifies, request id, occurrence time, kind and fields, and\n"
     "its leaf hash. --raw prints the exact leaf bytes in hex instead (with\n"
     "--json: adds them as \"leaf\").\n",
     get_opts, 1, 1, cmd_get},
    {"follow", "[--start N]", "print entries as they are appended",
     "Streams entries from index N (default 0) and keeps waiting for new ones\n"
     "until interrupted, or until --timeout MS (global option) has passed,\n"
     "which ends it with exit status 0. N equal to the log's size waits for\n"
     "the next entry; N past it is an error (OUT_OF_RANGE, exit status 1).\n"
     "One line per entry, or one JSON object per line with --json.\n",
     follow_opts, 0, 0, cmd_follow},
    {"health", "", "ask the server whether it is serving",
     "Calls grpc.health.v1.Health/Check. Exit status 0 when SERVING, 1 when\n"
     "not or when the server cannot be reached.\n",
     no_opts, 0, 0, cmd_health},
};

const struct cli_family cli_family_ledger = {"the log", CLI_ROWS(commands),
                                             NULL};
