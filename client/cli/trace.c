/*
 * trace.c - the commands that follow batches through the log: trace (every
 * fact of a batch, with proofs on request, and their offline verification,
 * of a live trace or of one saved earlier) and supplier-batches (the
 * batches of a supplier).
 *
 * A trace with proofs is a document anyone can check with the log's
 * verifier key alone, no server needed:
 *   {"type": "batch_trace", "batch": {...}, "facts": [{"index", "kind",
 *    "site_id", "to_site_id", "quantity", "leaf", "inclusion_proof", ...}],
 *    "next_start", "checkpoint", "tree_size"}
 * with every fact's proof in the tree of the one checkpoint: when the log
 * grew between two pages, the facts of the earlier pages get new proofs at
 * the last page's size (GetInclusionProof). Each fact is checked by
 * pl_verify_fact (verify.h): its proof, its author's signature, and that
 * what it says is what the signed entry says.
 *
 * The fetching of a batch's trace and the verification of facts against one
 * checkpoint are shared with warranty.c, whose device and part histories
 * and EPCIS documents use them (cli.h: cli_trace_batch_fetch,
 * cli_facts_verify).
 *
 * May depend on: cli.h, client.h (and the storage/ headers through it),
 * cJSON.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

/* Integers in a saved trace must survive a trip through a double. */
#define CLI_JSON_MAX_INT 9007199254740992.0 /* 2^53 */

const char *cli_subject_name(enum cli_subject s) {
  return s == CLI_SUBJECT_BATCH    ? "batch"
         : s == CLI_SUBJECT_DEVICE ? "device"
                                   : "part";
}

/* Room for `more` facts in t->facts (and as many tree sizes in *sizes, when
 * `sizes` is given), at `cap` now. 0 or -1. */
static int facts_grow(struct cli *c, struct cli_facts *t, uint64_t **sizes,
                      size_t *cap, size_t more) {
  if (t->n + more <= *cap)
    return 0;
  size_t n = *cap ? *cap : 64;
  while (n < t->n + more)
    n *= 2;
  Partsledger__V1__Fact **f = pl_arena_alloc(c->a, n * sizeof(*f));
  uint64_t *s = sizes != NULL ? pl_arena_alloc(c->a, n * sizeof(*s)) : NULL;
  if (f == NULL || (sizes != NULL && s == NULL))
    return -1;
  if (t->n > 0) {
    memcpy(f, t->facts, t->n * sizeof(*f));
    if (sizes != NULL)
      memcpy(s, *sizes, t->n * sizeof(*s));
  }
  t->facts = f;
  if (sizes != NULL)
    *sizes = s;
  *cap = n;
  return 0;
}

/* ---- fetching ---- */

int cli_trace_batch_fetch(struct cli *c, const char *id, uint64_t start,
                          uint32_t page, int all, int proofs,
                          struct cli_facts *t) {
  memset(t, 0, sizeof(*t));
  t->subject = CLI_SUBJECT_BATCH;
  t->id = id;
  uint64_t next = start, *sizes = NULL; /* each fact's tree as fetched */
  size_t cap = 0;
  const char *what = pl_arena_printf(c->a, "trace of batch %s", id);
  int rc;
  for (;;) {
    Partsledger__V1__TraceBatchResponse *r;
    if ((rc = pl_client_trace_batch(c->client, id, next, page, proofs, c->a,
                                    &r)) != 0)
      return cli_server_error(c, rc);
    if (r->batch == NULL)
      return cli_fail("the server's trace of %s names no batch", id);
    if (facts_grow(c, t, &sizes, &cap, r->n_facts) != 0 || what == NULL)
      return cli_fail("out of memory");
    for (size_t i = 0; i < r->n_facts; i++) {
      t->facts[t->n] = r->facts[i];
      sizes[t->n++] = r->tree_size;
    }
    t->batch = r->batch;
    t->next_start = r->next_start;
    t->checkpoint = proofs ? r->checkpoint : NULL;
    t->tree_size = r->tree_size;
    if (!all)
      break;
    int more = cli_page_more(what, next, r->next_start);
    if (more < 0)
      return CLI_EXIT_FAIL;
    if (more == 0)
      break;
    next = r->next_start;
  }
  if (!proofs)
    return 0;
  /* One checkpoint for the whole document: the last page's. */
  for (size_t i = 0; i < t->n; i++) {
    Partsledger__V1__Fact *f = t->facts[i];
    if (sizes[i] == t->tree_size)
      continue;
    Partsledger__V1__GetInclusionProofResponse *p;
    if ((rc = pl_client_get_inclusion_proof(c->client, f->index, t->tree_size,
                                            c->a, &p)) != 0)
      return cli_server_error(c, rc);
    if (p->index != f->index || p->tree_size != t->tree_size)
      return cli_fail("the server answered for entry %" PRIu64
                      " in size %" PRIu64 " instead of entry %" PRIu64
                      " in size %" PRIu64,
                      p->index, p->tree_size, f->index, t->tree_size);
    f->inclusion_proof = p->hashes;
    f->n_inclusion_proof = p->n_hashes;
    sizes[i] = t->tree_size;
  }
  return 0;
}

/* ---- loading a saved trace ---- */

/* A JSON integer in [lo, 2^53), or the same as a decimal string. */
static int json_int(const cJSON *n, int64_t lo, int64_t *out) {
  if (cJSON_IsString(n))
    return cli_parse_i64(n->valuestring, out) == 0 && *out >= lo ? 0 : -1;
  if (!cJSON_IsNumber(n) || n->valuedouble >= CLI_JSON_MAX_INT ||
      n->valuedouble <= -CLI_JSON_MAX_INT || n->valuedouble < (double)lo ||
      n->valuedouble != (double)(int64_t)n->valuedouble)
    return -1;
  *out = (int64_t)n->valuedouble;
  return 0;
}

/* A string field, "" when absent; NULL when present and not a string. */
static const char *json_text(struct cli *c, const cJSON *o, const char *name) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, name);
  if (s == NULL)
    return "";
  if (!cJSON_IsString(s))
    return NULL;
  return pl_arena_dup(c->a, s->valuestring, strlen(s->valuestring) + 1);
}

/* One fact of a saved trace. NULL, with the reason in *why, when it is not
 * one. */
static Partsledger__V1__Fact *json_fact(struct cli *c, const cJSON *o,
                                        const char **why) {
  Partsledger__V1__Fact *f = pl_arena_alloc(c->a, sizeof(*f));
  int64_t index, qty = 0;
  if (f == NULL) {
    *why = "out of memory";
    return NULL;
  }
  partsledger__v1__fact__init(f);
  const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "quantity"),
              *leaf = cJSON_GetObjectItemCaseSensitive(o, "leaf"),
              *proof = cJSON_GetObjectItemCaseSensitive(o, "inclusion_proof");
  if (!cJSON_IsObject(o) ||
      json_int(cJSON_GetObjectItemCaseSensitive(o, "index"), 0, &index) != 0) {
    *why = "\"index\" is missing or not a non-negative integer";
    return NULL;
  }
  f->index = (uint64_t)index;
  if ((q != NULL && json_int(q, -INT64_MAX, &qty) != 0)) {
    *why = "\"quantity\" is not an integer";
    return NULL;
  }
  f->quantity = qty;
  f->kind = (char *)json_text(c, o, "kind");
  f->site_id = (char *)json_text(c, o, "site_id");
  f->to_site_id = (char *)json_text(c, o, "to_site_id");
  if (f->kind == NULL || f->site_id == NULL || f->to_site_id == NULL) {
    *why = "\"kind\", \"site_id\" and \"to_site_id\" must be strings";
    return NULL;
  }
  if (!cJSON_IsString(leaf) ||
      cli_unhex(c, leaf->valuestring, &f->leaf.data, &f->leaf.len) != 0) {
    *why = "\"leaf\" is missing or not hex";
    return NULL;
  }
  if (!cJSON_IsArray(proof)) {
    *why = "\"inclusion_proof\" is missing or not an array";
    return NULL;
  }
  size_t n = (size_t)cJSON_GetArraySize(proof);
  f->inclusion_proof =
      pl_arena_alloc(c->a, (n ? n : 1) * sizeof(*f->inclusion_proof));
  if (f->inclusion_proof == NULL) {
    *why = "out of memory";
    return NULL;
  }
  const cJSON *h;
  cJSON_ArrayForEach(h, proof) {
    ProtobufCBinaryData *b = &f->inclusion_proof[f->n_inclusion_proof++];
    if (!cJSON_IsString(h) ||
        cli_unhex(c, h->valuestring, &b->data, &b->len) != 0) {
      *why = "an \"inclusion_proof\" hash is not hex";
      return NULL;
    }
  }
  return f;
}

/* A trace saved by `trace --proofs --json`. 0 or an exit status. */
static int trace_load(struct cli *c, const char *path, struct cli_facts *t) {
  memset(t, 0, sizeof(*t));
  t->subject = CLI_SUBJECT_BATCH;
  char *text = cli_read_file(c, path);
  if (text == NULL)
    return cli_input_error("cannot read %s: %s", path, cli_read_error());
  pl_verdict v;
  cJSON *doc;
  /* Strict, as every document the CLI verifies: a field twice, for one,
   * would be read one way here and another way elsewhere. */
  if (pl_json_doc_parse(text, path, "a saved batch trace", &doc, &v) != 0)
    return cli_input_error("%s", v.message);
  int ex = 0;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type"),
              *note = cJSON_GetObjectItemCaseSensitive(doc, "checkpoint"),
              *batch = cJSON_GetObjectItemCaseSensitive(doc, "batch"),
              *facts = cJSON_GetObjectItemCaseSensitive(doc, "facts");
  const cJSON *bid = cJSON_GetObjectItemCaseSensitive(batch, "batch_id");
  int64_t size;
  if (!cJSON_IsString(type) || strcmp(type->valuestring, "batch_trace") != 0)
    ex = cli_input_error("%s is not a saved batch trace (\"type\": "
                         "\"batch_trace\")",
                         path);
  else if (!cJSON_IsString(note) ||
           json_int(cJSON_GetObjectItemCaseSensitive(doc, "tree_size"), 0,
                    &size) != 0)
    ex = cli_input_error("%s carries no checkpoint and tree_size: save the "
                         "trace with --proofs",
                         path);
  else if (!cJSON_IsString(bid) || !cJSON_IsArray(facts))
    ex = cli_input_error("%s has no \"batch\".\"batch_id\" or no \"facts\"",
                         path);
  if (ex != 0) {
    cJSON_Delete(doc);
    return ex;
  }
  t->id = pl_arena_dup(c->a, bid->valuestring, strlen(bid->valuestring) + 1);
  t->checkpoint =
      pl_arena_dup(c->a, note->valuestring, strlen(note->valuestring) + 1);
  t->tree_size = (uint64_t)size;
  size_t cap = 0;
  if (t->id == NULL || t->checkpoint == NULL ||
      facts_grow(c, t, NULL, &cap, (size_t)cJSON_GetArraySize(facts)) != 0) {
    cJSON_Delete(doc);
    return cli_fail("out of memory");
  }
  const cJSON *o;
  cJSON_ArrayForEach(o, facts) {
    const char *why = "";
    Partsledger__V1__Fact *f = json_fact(c, o, &why);
    if (f == NULL) {
      ex = cli_input_error("%s: fact %zu: %s", path, t->n, why);
      break;
    }
    t->facts[t->n++] = f;
  }
  cJSON_Delete(doc);
  return ex;
}

/* ---- verifying ---- */

/* The JSON name of a subject's id, as the proto names it. */
static const char *subject_key(enum cli_subject s) {
  return s == CLI_SUBJECT_BATCH    ? "batch_id"
         : s == CLI_SUBJECT_DEVICE ? "device_serial"
                                   : "part_serial";
}

/* One fact of `t` checked, into *v; its code. */
static int fact_verify(struct cli *c, const char *vkey,
                       const struct cli_facts *t,
                       const Partsledger__V1__Fact *f, pl_verdict *v) {
  if (t->subject == CLI_SUBJECT_BATCH)
    return pl_verify_fact(vkey, t->checkpoint, t->id, f, c->a, v);
  /* A history's facts are keyed by what they name: one about another
   * device or part is not this one's, whatever its proof says. */
  const char *about =
      t->subject == CLI_SUBJECT_DEVICE ? f->device_serial : f->part_serial;
  if (about == NULL || strcmp(about, t->id) != 0) {
    v->code = PL_EVERIFY;
    snprintf(v->message, sizeof(v->message), "the fact is not about %s %s",
             cli_subject_name(t->subject), t->id);
    return v->code;
  }
  return pl_verify_history_fact(vkey, t->checkpoint, f, c->a, v);
}

int cli_facts_verify(struct cli *c, const char *vkey,
                     const struct cli_facts *t) {
  pl_verdict v;
  uint64_t size = 0;
  uint8_t root[PL_HASH_BYTES];
  char origin[PL_NOTE_NAME_MAX + 1] = "";
  const char *what = cli_subject_name(t->subject);
  size_t failed = 0, unfit = 0;
  cJSON *list = c->json ? cJSON_CreateArray() : NULL;
  const char *whole = NULL;

  if (pl_verify_note(vkey, "checkpoint", t->checkpoint, &size, root, &v) != 0)
    whole = v.message;
  else if (size != t->tree_size)
    whole = pl_arena_printf(c->a,
                            "tree_size %" PRIu64 " does not match the "
                            "checkpoint's size %" PRIu64,
                            t->tree_size, size);
  else if (t->n == 0)
    whole = t->subject == CLI_SUBJECT_BATCH
                ? "the trace holds no facts to verify"
                : "the history holds no facts to verify";
  else
    pl_checkpoint_peek(t->checkpoint, origin, &size, root);
  if (whole == NULL && size != t->tree_size) /* the message, out of memory */
    whole = "tree_size does not match the checkpoint's size";

  for (size_t i = 0; whole == NULL && i < t->n; i++) {
    const Partsledger__V1__Fact *f = t->facts[i];
    int code = fact_verify(c, vkey, t, f, &v);
    if (code == PL_ENOMEM) {
      cJSON_Delete(list);
      return cli_fail("out of memory");
    }
    failed += code != 0;
    unfit += code == PL_EINVAL;
    if (list != NULL) {
      cJSON *o = cJSON_CreateObject();
      cli_json_add_u64(o, "index", f->index);
      cJSON_AddStringToObject(o, "kind", f->kind);
      cJSON_AddBoolToObject(o, "ok", code == 0);
      cJSON_AddStringToObject(o, "message", v.message);
      cJSON_AddItemToArray(list, o);
    } else if (code == 0) {
      printf("OK     %s\n", v.message);
    } else {
      printf("FAILED entry %" PRIu64 " (%s): %s\n", f->index, f->kind,
             v.message);
    }
  }
  if (whole == NULL && failed > 0) {
    whole = pl_arena_printf(c->a, "%zu of %zu facts of %s %s do not verify",
                            failed, t->n, what, t->id);
    if (whole == NULL)
      whole = "some facts do not verify";
  }
  if (list != NULL) {
    cJSON *report = cJSON_CreateObject();
    cJSON_AddBoolToObject(report, "ok", whole == NULL);
    cJSON_AddStringToObject(report, "subject", what);
    cJSON_AddStringToObject(report, subject_key(t->subject), t->id);
    cli_json_add_u64(report, "tree_size", t->tree_size);
    cJSON_AddStringToObject(report, "origin", origin);
    if (whole != NULL)
      cJSON_AddStringToObject(report, "reason", whole);
    cJSON_AddItemToObject(report, "facts", list);
    cli_json_emit(report, 0);
  } else if (whole == NULL) {
    printf("OK: all %zu facts of %s %s verify: entries of %s, in the tree of "
           "size %" PRIu64 ", signed as they say\n",
           t->n, what, t->id, origin, t->tree_size);
  }
  if (whole == NULL)
    return CLI_EXIT_OK;
  if (unfit > 0) {
    fprintf(stderr,
            "error: %zu of the %s's facts carry no proofs to check (a trace "
            "to verify is saved with --proofs)\n",
            unfit, t->subject == CLI_SUBJECT_BATCH ? "trace" : "history");
    return CLI_EXIT_USAGE;
  }
  fprintf(stderr, "FAILED: %s\n", whole);
  return CLI_EXIT_FAIL;
}

/* ---- showing ---- */

static int trace_print(struct cli *c, const struct cli_facts *t) {
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "batch_trace");
    cJSON_AddItemToObject(o, "batch", cli_message_json(c, &t->batch->base));
    cJSON *facts = cJSON_AddArrayToObject(o, "facts");
    for (size_t i = 0; facts != NULL && i < t->n; i++)
      cJSON_AddItemToArray(facts, cli_message_json(c, &t->facts[i]->base));
    cli_json_add_u64(o, "next_start", t->next_start);
    if (t->checkpoint != NULL) {
      cJSON_AddStringToObject(o, "checkpoint", t->checkpoint);
      cli_json_add_u64(o, "tree_size", t->tree_size);
    }
    return cli_json_emit(o, 0);
  }
  cli_batch_print(c, t->batch);
  printf("\n%-8s %-22s %-16s %-16s %9s\n", "index", "kind", "site", "to",
         "quantity");
  for (size_t i = 0; i < t->n; i++) {
    const Partsledger__V1__Fact *f = t->facts[i];
    printf("%-8" PRIu64 " %-22s %-16s %-16s %9" PRId64, f->index, f->kind,
           f->site_id[0] ? f->site_id : "-",
           f->to_site_id[0] ? f->to_site_id : "-", f->quantity);
    cli_show_field("device", f->device_serial);
    putchar('\n');
  }
  if (t->next_start != 0)
    printf("(more: --start %" PRIu64 ", or --all)\n", t->next_start);
  if (t->checkpoint != NULL)
    printf("(with proofs in the tree of size %" PRIu64
           "; --json keeps them, --verify checks them)\n",
           t->tree_size);
  return CLI_EXIT_OK;
}

/* ---- supplier-batches ---- */

static int supplier_batches(struct cli *c, const char *supplier) {
  uint64_t start;
  uint32_t page;
  int all = cli_opt(c, "all") != NULL, rc;
  if ((rc = cli_opt_u64(c, "start", 0, &start)) != 0 ||
      (rc = cli_opt_u32(c, "page-size", 0, &page)) != 0 ||
      (rc = cli_connect(c)) != 0)
    return rc;
  cJSON *list = c->json ? cJSON_CreateArray() : NULL;
  uint64_t next = start, last_next = 0;
  if (!c->json)
    printf("%-24s %-20s %10s %10s  %s\n", "batch", "sku", "quantity",
           "in network", "recalled");
  for (;;) {
    Partsledger__V1__TraceSupplierResponse *r;
    if ((rc = pl_client_trace_supplier(c->client, supplier, next, page, c->a,
                                       &r)) != 0) {
      cJSON_Delete(list);
      return cli_server_error(c, rc);
    }
    for (size_t i = 0; i < r->n_batches; i++) {
      const Partsledger__V1__Batch *b = r->batches[i];
      if (list != NULL)
        cJSON_AddItemToArray(list, cli_message_json(c, &b->base));
      else
        printf("%-24s %-20s %10" PRIu64 " %10" PRIu64 "  %s\n", b->batch_id,
               b->sku, b->quantity, b->units_in_network,
               b->recalled ? "yes" : "no");
    }
    last_next = r->next_start;
    int more =
        all ? cli_page_more("list of a supplier's batches", next, r->next_start)
            : 0;
    if (more < 0) {
      cJSON_Delete(list);
      return CLI_EXIT_FAIL;
    }
    if (more == 0)
      break;
    next = r->next_start;
  }
  if (list == NULL) {
    if (last_next != 0)
      printf("(more: --start %" PRIu64 ", or --all)\n", last_next);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "batches", list);
  cli_json_add_u64(o, "next_start", last_next);
  return cli_json_emit(o, 0);
}

static int cmd_supplier_batches(struct cli *c) {
  return supplier_batches(c, c->pos[0]);
}

/* ---- trace ---- */

static int cmd_trace(struct cli *c) {
  /* A device's or a part's history, and every EPCIS document, are
   * warranty.c's; "trace batch ID" is "trace ID". */
  if (cli_opt(c, "epcis") != NULL ||
      (c->npos == 2 && strcmp(c->pos[0], "batch") != 0))
    return cli_trace_subject(c);
  if (cli_opt(c, "out") != NULL || cli_opt(c, "force") != NULL)
    return cli_usage_error(c, "--out and --force go with --epcis");
  const char *batch = c->npos > 0 ? c->pos[c->npos - 1] : NULL;
  const char *supplier = cli_opt(c, "supplier"), *file = cli_opt(c, "file");
  int verify = cli_opt(c, "verify") != NULL;
  int proofs = verify || cli_opt(c, "proofs") != NULL;
  /* Verifying checks a whole trace unless told where to start. */
  int all = verify || cli_opt(c, "all") != NULL;
  if (supplier != NULL) {
    if (batch != NULL || file != NULL || proofs || cli_opt(c, "vkey") != NULL ||
        cli_opt(c, "vkey-file") != NULL)
      return cli_usage_error(c, "--supplier lists batches: it takes no BATCH, "
                                "--file, --proofs, --verify or --vkey");
    return supplier_batches(c, supplier);
  }
  if (file != NULL && !verify)
    return cli_usage_error(c, "--file goes with --verify");
  if (batch == NULL && file == NULL)
    return cli_usage_error(c, "trace wants a BATCH (or --verify --file FILE, "
                              "or --supplier ID)");
  const char *vkey = NULL;
  int ex = CLI_EXIT_USAGE;
  if (verify && (vkey = cli_verifier_key(c, 1, &ex)) == NULL)
    return ex;
  if (!verify &&
      (cli_opt(c, "vkey") != NULL || cli_opt(c, "vkey-file") != NULL))
    return cli_usage_error(c, "--vkey and --vkey-file go with --verify");

  struct cli_facts t;
  if (file != NULL) {
    if ((ex = trace_load(c, file, &t)) != 0)
      return ex;
    if (batch != NULL && strcmp(batch, t.id) != 0)
      return cli_input_error("%s is a trace of batch %s, not %s", file, t.id,
                             batch);
    return cli_facts_verify(c, vkey, &t);
  }
  uint64_t start;
  uint32_t page;
  if ((ex = cli_opt_u64(c, "start", 0, &start)) != 0 ||
      (ex = cli_opt_u32(c, "page-size", 0, &page)) != 0 ||
      (ex = cli_connect(c)) != 0 ||
      (ex = cli_trace_batch_fetch(c, batch, start, page, all, proofs, &t)) != 0)
    return ex;
  return verify ? cli_facts_verify(c, vkey, &t) : trace_print(c, &t);
}

/* ---- the rows ---- */

static const struct cli_opt trace_opts[] = {
    {"start", CLI_VALUE, 0},     {"page-size", CLI_VALUE, 0},
    {"all", CLI_FLAG, 0},        {"proofs", CLI_FLAG, 0},
    {"verify", CLI_FLAG, 0},     {"vkey", CLI_VALUE, 0},
    {"vkey-file", CLI_VALUE, 0}, {"file", CLI_VALUE, 0},
    {"supplier", CLI_VALUE, 0},  {"epcis", CLI_FLAG, 0},
    {"out", CLI_VALUE, 0},       {"force", CLI_FLAG, 0},
    {NULL, CLI_FLAG, 0}};
static const struct cli_opt supplier_batches_opts[] = {
    {"start", CLI_VALUE, 0},
    {"page-size", CLI_VALUE, 0},
    {"all", CLI_FLAG, 0},
    {NULL, CLI_FLAG, 0}};

static const struct cli_command commands[] = {
    {"trace",
     "[batch] BATCH [--start N] [--page-size N] [--all] [--proofs] | BATCH "
     "--verify (--vkey VKEY | --vkey-file FILE) | --verify (--vkey VKEY | "
     "--vkey-file FILE) --file TRACE.json | --supplier ID | device|part ID "
     "[--proofs] [--verify (--vkey VKEY | --vkey-file FILE)] | batch|device|"
     "part ID --epcis [--out FILE [--force]]",
     "the facts of a batch, device or part; verify; EPCIS",
     "Prints the batch, then every entry that touched it, in log order\n"
     "(TraceBatch): its registration, receipts, transfers (site the source,\n"
     "to the destination), adjustments (quantity the delta), reservations\n"
     "naming it and their release, fulfilments from it, its recall, and the\n"
     "registrations and replacements that put its parts in devices or took\n"
     "them out. \"trace batch BATCH\" is the same.\n"
     "  --start N       from position N of the batch's facts (0: the first)\n"
     "  --page-size N   facts per call (default 100, at most 1000); one page\n"
     "                  unless --all, which fetches them to the end\n"
     "  --proofs        each fact with its exact leaf and inclusion proof,\n"
     "                  all in one signed checkpoint's tree: with --json, a\n"
     "                  document {type: \"batch_trace\", batch, facts,\n"
     "                  next_start, checkpoint, tree_size} to keep and\n"
     "                  verify later\n"
     "  --verify        fetches the trace with proofs (from --start, to the\n"
     "                  end) and checks it offline with the log's verifier\n"
     "                  key (`partsledger info`): the checkpoint's\n"
     "                  signature, each fact's inclusion proof and author\n"
     "                  signature, and that the fact says what its signed\n"
     "                  entry says. Prints \"OK\" or \"FAILED\" per fact and\n"
     "                  a last line for the whole\n"
     "  --file TRACE.json  with --verify: checks a saved trace instead, with\n"
     "                  no server\n"
     "  --supplier ID   the same as supplier-batches ID\n"
     "A proof shows what is in the log, never what is missing from it: that\n"
     "a trace is complete is the server's word.\n"
     "Exit status with --verify: 0 when every fact holds, 1 when one does not\n"
     "(\"FAILED: ...\"), 2 when the file cannot be read or is not a trace\n"
     "with proofs.\n"
     "\n"
     "device SERIAL, part SERIAL: every entry naming the device\n"
     "(DeviceHistory: registration, extensions, orders and their steps,\n"
     "replacements, claims and decisions), or the part's story (PartHistory:\n"
     "its supplier and batch, what put it in a device, what took it out),\n"
     "one line each.\n"
     "--proofs adds each fact's leaf and inclusion proof in one checkpoint's\n"
     "tree (with --json a document to keep); --verify checks every fact\n"
     "offline as for a batch: the checkpoint, its inclusion proof and author\n"
     "signature, and that it names what its signed entry names.\n"
     "\n"
     "--epcis (batch, device or part): writes a GS1 EPCIS 2.0 JSON-LD\n"
     "document of the facts, to stdout or --out FILE (kept unless --force):\n"
     "batch registrations (commissioning), receipts (receiving), transfers\n"
     "(shipping, with source and destination) and recalls (disposition\n"
     "recalled) as ObjectEvents; device registrations and replacements\n"
     "(removing: DELETE, installing: ADD) as AssociationEvents with the\n"
     "device as parentID. GS1 Digital Link URIs where a GTIN or GLN is\n"
     "known (https://id.gs1.org/01/GTIN/10/LOT, /01/GTIN/21/SERIAL,\n"
     "/414/GLN), urn:partsledger:... otherwise; each event carries its\n"
     "leaf's index as partsledger:leafIndex, to ask for its proof.\n",
     trace_opts, 0, 2, cmd_trace},
    {"supplier-batches", "SUPPLIER [--start N] [--page-size N] [--all]",
     "list a supplier's batches",
     "Prints the supplier's batches in registration order (TraceSupplier):\n"
     "id, SKU, quantity, units in the network, whether recalled. One page\n"
     "(default 100, at most 1000) unless --all. With --json:\n"
     "{batches: [...], next_start} (0 when there are no more).\n",
     supplier_batches_opts, 1, 1, cmd_supplier_batches},
};

const struct cli_family cli_family_trace = {"traces", CLI_ROWS(commands), NULL};
