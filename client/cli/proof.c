/*
 * proof.c - the commands about proofs: prove (asks the server for an
 * inclusion or a consistency proof and writes it as a self-contained JSON
 * document) and verify (checks such a document offline, with the log's
 * verifier key alone).
 *
 * The checking itself is the library's (verify.h): this file reads the
 * files, calls it, and prints the verdict. `verify` exits 0 when the proof
 * holds, 1 when it does not, and 2 when it could not judge: a file that
 * cannot be read, a document that is not a proof document, or a
 * consistency document without the old checkpoint it needs.
 *
 * May depend on: cli.h, client.h, verify.h and audit.h (the C2SP
 * tlog-proof text), and the storage/ headers through them; cJSON.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "audit.h"
#include "cli.h"

/* ---- prove ---- */

/* Reads a checkpoint note the user kept. 0 or an exit status. */
static int kept_checkpoint(struct cli *c, const char *path, const char **note,
                           uint64_t *size) {
  char origin[PL_NOTE_NAME_MAX + 1];
  uint8_t root[PL_HASH_BYTES];
  *note = cli_read_file(c, path);
  if (*note == NULL)
    return cli_input_error("cannot read %s: %s", path, cli_read_error());
  if (pl_checkpoint_peek(*note, origin, size, root) != 0)
    return cli_input_error("%s does not hold a checkpoint note", path);
  return 0;
}

/* The checkpoint a proof is anchored to: from --checkpoint FILE when given
 * (a note the user kept), else the server's current one. Its size fixes the
 * tree the proof is for, whatever is appended meanwhile. --size N, when
 * given, must be that size. 0 or an exit status. */
static int anchor_checkpoint(struct cli *c, const char **note, uint64_t *size) {
  uint64_t want;
  int rc = cli_opt_u64(c, "size", 0, &want);
  if (rc != 0)
    return rc;
  const char *path = cli_opt(c, "checkpoint");
  if (path != NULL) {
    if ((rc = kept_checkpoint(c, path, note, size)) != 0)
      return rc;
  } else {
    Partsledger__V1__GetCheckpointResponse *r;
    if ((rc = pl_client_get_checkpoint(c->client, c->a, &r)) != 0)
      return cli_server_error(c, rc);
    *note = r->checkpoint;
    *size = r->size;
  }
  if (want != 0 && want != *size)
    return cli_fail("the checkpoint is for size %" PRIu64 ", not %" PRIu64
                    "; pass --checkpoint FILE with a note of size %" PRIu64
                    " (the server signs only the current size)",
                    *size, want, want);
  return 0;
}

static cJSON *proof_json(struct cli *c, ProtobufCBinaryData *h, size_t n) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(cli_hex(c, h[i].data, h[i].len)));
  return a;
}

/* `cons` is --consistency's value: the old size, or "" to take it from
 * --old-checkpoint FILE. */
static int prove_consistency(struct cli *c, const char *cons) {
  const char *old_path = cli_opt(c, "old-checkpoint"), *old_note = NULL;
  uint64_t old_size = 0, kept_size;
  int have_size = cons[0] != '\0';
  if (c->npos != 0)
    return cli_usage_error(c, "--consistency takes no INDEX");
  if (have_size && cli_parse_u64(cons, &old_size) != 0)
    return cli_usage_error(c, "--consistency wants the old tree size, not '%s'",
                           cons);
  if (!have_size && old_path == NULL)
    return cli_usage_error(c, "--consistency wants the old tree size, or "
                              "--old-checkpoint FILE to take it from");
  int rc;
  if (old_path != NULL) {
    if ((rc = kept_checkpoint(c, old_path, &old_note, &kept_size)) != 0)
      return rc;
    if (have_size && kept_size != old_size)
      return cli_usage_error(c,
                             "%s is a checkpoint of size %" PRIu64
                             ", not %" PRIu64 "; the sizes must agree (or give "
                             "only the file)",
                             old_path, kept_size, old_size);
    old_size = kept_size;
  }
  /* A document for size 0 would carry no checkpoint the verifier could
   * check (no log signs an empty tree: each starts with its genesis
   * entry), so `verify` could never accept it. */
  if (old_size == 0)
    return cli_usage_error(c, "the old size is 0: the empty tree is a prefix "
                              "of every tree and has no proof; give the size "
                              "of a checkpoint you kept (1 or more)");

  const char *new_note;
  uint64_t new_size;
  if ((rc = cli_connect(c)) != 0 ||
      (rc = anchor_checkpoint(c, &new_note, &new_size)) != 0)
    return rc;
  if (old_size > new_size)
    return cli_fail("old size %" PRIu64 " is larger than the new size %" PRIu64,
                    old_size, new_size);
  Partsledger__V1__GetConsistencyProofResponse *r;
  if ((rc = pl_client_get_consistency_proof(c->client, old_size, new_size, c->a,
                                            &r)) != 0)
    return cli_server_error(c, rc);
  if (r->old_size != old_size || r->new_size != new_size)
    return cli_fail("the server answered for sizes %" PRIu64 " -> %" PRIu64
                    " instead of %" PRIu64 " -> %" PRIu64,
                    r->old_size, r->new_size, old_size, new_size);

  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "consistency");
  cli_json_add_u64(o, "old_size", old_size);
  cli_json_add_u64(o, "new_size", new_size);
  if (old_note != NULL)
    cJSON_AddStringToObject(o, "old_checkpoint", old_note);
  cJSON_AddStringToObject(o, "new_checkpoint", new_note);
  cJSON_AddItemToObject(o, "proof", proof_json(c, r->hashes, r->n_hashes));
  return cli_json_emit(o, 0);
}

/* The inclusion proof as C2SP tlog-proof text (audit.h), the same form an
 * audit bundle's entries carry. */
static int prove_tlog(struct cli *c, const Partsledger__V1__GetInclusionProofResponse *p,
                      const char *note) {
  pl_hash *h = pl_arena_alloc(c->a, sizeof(pl_hash) * (p->n_hashes + 1));
  if (h == NULL)
    return cli_fail("out of memory");
  for (size_t i = 0; i < p->n_hashes; i++) {
    if (p->hashes[i].len != PL_HASH_BYTES)
      return cli_fail("the server sent a proof hash of %zu bytes", p->hashes[i].len);
    memcpy(h[i], p->hashes[i].data, PL_HASH_BYTES);
  }
  char *text;
  int rc = pl_tlog_proof_format(p->index, h, p->n_hashes, note, c->a, &text);
  if (rc != 0)
    return cli_fail("cannot write the proof: %s", pl_strerror(rc));
  if (!c->json) {
    fputs(text, stdout);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "tlog-proof");
  cli_json_add_u64(o, "index", p->index);
  cli_json_add_u64(o, "tree_size", p->tree_size);
  cJSON_AddStringToObject(o, "tlog_proof", text);
  return cli_json_emit(o, 0);
}

static int cmd_prove(struct cli *c) {
  const char *cons = cli_opt(c, "consistency");
  if (cons != NULL && cli_opt(c, "tlog-proof") != NULL)
    return cli_usage_error(c, "--tlog-proof goes with an INDEX, not --consistency");
  if (cons != NULL)
    return prove_consistency(c, cons);
  uint64_t index;
  if (c->npos != 1)
    return cli_usage_error(c, "prove wants an INDEX (or --consistency OLD)");
  if (cli_parse_u64(c->pos[0], &index) != 0)
    return cli_usage_error(c, "INDEX must be a non-negative integer, not '%s'",
                           c->pos[0]);
  if (cli_opt(c, "old-checkpoint") != NULL)
    return cli_usage_error(c, "--old-checkpoint goes with --consistency");

  const char *note;
  uint64_t size;
  int rc;
  if ((rc = cli_connect(c)) != 0 ||
      (rc = anchor_checkpoint(c, &note, &size)) != 0)
    return rc;
  if (index >= size)
    return cli_fail("entry %" PRIu64 " is not in the tree of size %" PRIu64,
                    index, size);
  Partsledger__V1__GetInclusionProofResponse *p;
  if ((rc = pl_client_get_inclusion_proof(c->client, index, size, c->a, &p)) !=
      0)
    return cli_server_error(c, rc);
  if (p->tree_size != size || p->index != index)
    return cli_fail("the server answered for entry %" PRIu64 " in size %" PRIu64
                    " instead of entry %" PRIu64 " in size %" PRIu64,
                    p->index, p->tree_size, index, size);
  if (cli_opt(c, "tlog-proof") != NULL)
    return prove_tlog(c, p, note);
  Partsledger__V1__EntryResponse *e;
  if ((rc = pl_client_get_entry(c->client, index, c->a, &e)) != 0)
    return cli_server_error(c, rc);

  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "inclusion");
  cli_json_add_u64(o, "index", index);
  cli_json_add_u64(o, "tree_size", size);
  cJSON_AddStringToObject(o, "leaf", cli_hex(c, e->leaf.data, e->leaf.len));
  cJSON_AddItemToObject(o, "proof", proof_json(c, p->hashes, p->n_hashes));
  cJSON_AddStringToObject(o, "checkpoint", note);
  return cli_json_emit(o, 0);
}

/* ---- verify ---- */

static void set_verdict(pl_verdict *v, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_verdict(pl_verdict *v, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->message, sizeof(v->message), fmt, ap);
  va_end(ap);
  v->code = code;
}

/* Prints the verdict, as text or JSON, and returns the exit status. */
static int verdict_report(struct cli *c, const pl_verdict *v,
                          const pl_proof_facts *f) {
  int ex = v->code == 0                                   ? CLI_EXIT_OK
           : v->code == PL_EINVAL || v->code == PL_ENOTFOUND ? CLI_EXIT_USAGE
                                                           : CLI_EXIT_FAIL;
  const char *hint = v->code == PL_ENOTFOUND
                         ? "; pass it with --old-checkpoint FILE"
                         : "";
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    if (f->type != PL_PROOF_UNKNOWN)
      cJSON_AddStringToObject(o, "type", f->type == PL_PROOF_INCLUSION
                                             ? "inclusion"
                                             : "consistency");
    cJSON_AddBoolToObject(o, "ok", v->code == 0);
    if (v->code != 0)
      cJSON_AddStringToObject(
          o, "reason", pl_arena_printf(c->a, "%s%s", v->message, hint));
    if (v->code == 0 && f->type == PL_PROOF_INCLUSION) {
      const Partsledger__V1__SignedEntry *se = f->signed_entry;
      cli_json_add_u64(o, "index", f->index);
      cli_json_add_u64(o, "tree_size", f->tree_size);
      cJSON_AddStringToObject(o, "origin", f->origin);
      cJSON_AddStringToObject(o, "root_hash",
                              cli_hex(c, f->root_hash, PL_HASH_BYTES));
      cJSON_AddStringToObject(o, "leaf_hash",
                              cli_hex(c, f->leaf_hash, PL_HASH_BYTES));
      cJSON_AddStringToObject(o, "signer",
                              cli_hex(c, se->signer.data, PL_PUBLIC_KEY_BYTES));
      cJSON *cos = cJSON_AddArrayToObject(o, "cosigners");
      for (size_t i = 0; cos != NULL && i < se->n_cosignatures; i++)
        cJSON_AddItemToArray(
            cos, cJSON_CreateString(cli_hex(c, se->cosignatures[i]->signer.data,
                                            PL_PUBLIC_KEY_BYTES)));
    } else if (v->code == 0) {
      cli_json_add_u64(o, "old_size", f->old_size);
      cli_json_add_u64(o, "new_size", f->new_size);
      cJSON_AddStringToObject(o, "origin", f->origin);
      cJSON_AddStringToObject(o, "old_root_hash",
                              cli_hex(c, f->old_root_hash, PL_HASH_BYTES));
      cJSON_AddStringToObject(o, "new_root_hash",
                              cli_hex(c, f->new_root_hash, PL_HASH_BYTES));
    }
    cli_json_emit(o, 0);
  } else if (v->code == 0) {
    printf("OK %s\n", v->message);
  }
  /* FAILED: the proof does not hold. error: it could not be judged. */
  if (ex == CLI_EXIT_FAIL)
    fprintf(stderr, "FAILED: %s\n", v->message);
  else if (ex == CLI_EXIT_USAGE)
    fprintf(stderr, "error: %s%s\n", v->message, hint);
  return ex;
}

static int cmd_verify(struct cli *c) {
  int ex = CLI_EXIT_USAGE;
  const char *vkey = cli_verifier_key(c, 1, &ex);
  if (vkey == NULL)
    return ex;
  const char *name = c->pos[0], *old_path = cli_opt(c, "old-checkpoint");
  const char *kept_old = NULL;
  pl_verdict v = {0, ""};
  pl_proof_facts f;
  memset(&f, 0, sizeof(f));
  cJSON *doc = NULL;
  char *text = cli_read_file(c, name);
  if (text == NULL) {
    set_verdict(&v, PL_EINVAL, "cannot read %s: %s", name, cli_read_error());
  } else if (pl_proof_doc_parse(text, name, &doc, &v) == 0) {
    f.type = pl_proof_doc_type(doc);
    if (old_path != NULL && f.type == PL_PROOF_INCLUSION)
      set_verdict(&v, PL_EINVAL,
                  "--old-checkpoint goes with a consistency proof, and %s is "
                  "an inclusion proof",
                  name);
    else if (old_path != NULL &&
             (kept_old = cli_read_file(c, old_path)) == NULL)
      set_verdict(&v, PL_EINVAL, "cannot read %s: %s", old_path,
                  cli_read_error());
    else
      v.code = pl_verify_proof_doc(vkey, doc, kept_old, c->a, &f, &v);
  }
  cJSON_Delete(doc);
  return verdict_report(c, &v, &f);
}

/* ---- the rows ---- */

static const struct cli_opt prove_opts[] = {
    {"size", CLI_VALUE, 0},           {"consistency", CLI_OPTIONAL_VALUE, 0},
    {"old-checkpoint", CLI_VALUE, 0}, {"checkpoint", CLI_VALUE, 0},
    {"tlog-proof", CLI_FLAG, 0},      {NULL, CLI_FLAG, 0}};
static const struct cli_opt verify_opts[] = {{"vkey", CLI_VALUE, 0},
                                             {"vkey-file", CLI_VALUE, 0},
                                             {"old-checkpoint", CLI_VALUE, 0},
                                             {NULL, CLI_FLAG, 0}};

static const struct cli_command commands[] = {
    {"prove",
     "INDEX [--size N] [--checkpoint FILE] [--tlog-proof] | --consistency [OLD] "
     "[--old-checkpoint FILE] [--size NEW] [--checkpoint FILE]",
     "print a self-contained inclusion or consistency proof",
     "With INDEX: fetches the checkpoint, the inclusion proof of entry INDEX "
     "in\n"
     "its tree and the entry's leaf, and prints a JSON document\n"
     "  {type: \"inclusion\", index, tree_size, leaf, proof, checkpoint}\n"
     "that `verify` checks offline. With --tlog-proof it prints the same proof\n"
     "as C2SP tlog-proof text instead (c2sp.org/tlog-proof@v1, `index N`, the\n"
     "base64 hashes, an empty line, the checkpoint verbatim; no `extra` line),\n"
     "the form audit bundles carry, for generic tlog tooling; the leaf is not\n"
     "in it (`get INDEX --raw` gives it).\n"
     "With --consistency: prints\n"
     "  {type: \"consistency\", old_size, new_size, old_checkpoint,\n"
     "   new_checkpoint, proof}\n"
     "proving the tree of size OLD is a prefix of the current one.\n"
     "old_checkpoint is the note in --old-checkpoint FILE (one you saved with\n"
     "`checkpoint --out`), omitted without it. With the file, OLD may be left\n"
     "out: it is the file's size (given both, they must agree). OLD is 1 or\n"
     "more: the empty tree has no proof.\n"
     "The server signs only its current size: --size N must be that size,\n"
     "unless --checkpoint FILE supplies a saved note of size N.\n",
     prove_opts, 0, 1, cmd_prove},
    {"verify",
     "--vkey VKEY | --vkey-file FILE [--old-checkpoint FILE] PROOF_FILE",
     "check a proof document offline",
     "Checks a document from `prove` (PROOF_FILE, or - for stdin) against the\n"
     "log's verifier key, with no server: the checkpoint signature(s), then\n"
     "the Merkle proof, and for an inclusion proof the entry's author\n"
     "signature and co-signatures (the signer is printed).\n"
     "The document must be strict JSON: one object, no field twice.\n"
     "For a consistency document, --old-checkpoint FILE gives the old\n"
     "checkpoint you kept yourself.\n"
     "Exit status: 0 and \"OK ...\" when the proof holds; 1 and \"FAILED: ...\"\n"
     "when it does not; 2 and \"error: ...\" when it cannot be judged (a file\n"
     "that cannot be read, a document that is not a proof document, a\n"
     "consistency document without its old checkpoint).\n",
     verify_opts, 1, 1, cmd_verify},
};

const struct cli_family cli_family_proof = {"proofs", CLI_ROWS(commands),
                                            NULL};
