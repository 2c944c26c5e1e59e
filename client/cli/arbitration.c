/*
 * arbitration.c - the commands of disputes and arbitration: panel (an
 * admin constitutes a panel of arbiters), dispute (a repair station takes a
 * rejected claim to a panel), rule (a panel member rules, with the
 * co-signatures of others), and the draft workflow for members who do not
 * share a machine: `rule --draft FILE` keeps the signed ruling unsent,
 * `cosign FILE` adds one member's co-signature to it, `submit FILE` appends
 * it. Also how the arbitration kinds' bodies are shown.
 *
 * A draft is a JSON document holding the SignedEntry exactly:
 *   {"type": "signed_entry", "kind": "arbitration_ruled", "entry": hex of
 *    the Entry bytes, "signer": hex, "signature": hex,
 *    "cosignatures": [{"signer": hex, "signature": hex}, ...]}
 * Every co-signature is over the same context and entry bytes as the
 * author's (pl_entry_cosign), so co-signing never changes what was signed.
 *
 * May depend on: cli.h, client.h (and the storage/ headers through it),
 * entry.h, cJSON.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "entry.h"

#define CLI__DRAFT_TYPE "signed_entry"

/* ---- helpers ---- */

/* A ruling's name, as every enum is shown (cli_enum_name). */
static const char *ruling_name(struct cli *c, int r) {
  return cli_enum_name(c, &partsledger__v1__ruling__descriptor, r);
}

/* ---- drafts ---- */

static char *draft_text(struct cli *c, const Partsledger__V1__SignedEntry *se,
                        const Partsledger__V1__Entry *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", CLI__DRAFT_TYPE);
  cJSON_AddStringToObject(o, "kind", pl_kind_name(e->body_case));
  cJSON_AddStringToObject(o, "entry", cli_hex(c, se->entry.data, se->entry.len));
  cJSON_AddStringToObject(o, "signer", cli_hex(c, se->signer.data, se->signer.len));
  cJSON_AddStringToObject(o, "signature",
                          cli_hex(c, se->signature.data, se->signature.len));
  cJSON *cos = cJSON_AddArrayToObject(o, "cosignatures");
  for (size_t i = 0; cos != NULL && i < se->n_cosignatures; i++) {
    cJSON *co = cJSON_CreateObject();
    const Partsledger__V1__Cosignature *s = se->cosignatures[i];
    cJSON_AddStringToObject(co, "signer", cli_hex(c, s->signer.data, s->signer.len));
    cJSON_AddStringToObject(co, "signature",
                            cli_hex(c, s->signature.data, s->signature.len));
    cJSON_AddItemToArray(cos, co);
  }
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  if (text == NULL)
    return NULL;
  char *out = pl_arena_printf(c->a, "%s\n", text);
  cJSON_free(text);
  return out;
}

/* A hex field of a draft object, decoded into the arena; `len` 0 takes any
 * length. 0 or -1. */
static int draft_hex(struct cli *c, const cJSON *o, const char *name, size_t len,
                     ProtobufCBinaryData *out) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, name);
  if (!cJSON_IsString(s) || cli_unhex(c, s->valuestring, &out->data, &out->len) != 0)
    return -1;
  return len == 0 || out->len == len ? 0 : -1;
}

/* Reads a draft: the signed entry, its decoded Entry, and checks that its
 * signatures hold. 0 or an exit status (2: the file is not a good draft). */
static int draft_read(struct cli *c, const char *path, Partsledger__V1__SignedEntry **out,
                      Partsledger__V1__Entry **entry) {
  char *text = cli_read_file(c, path);
  if (text == NULL)
    return cli_input_error("cannot read %s: %s", path, cli_read_error());
  cJSON *doc;
  pl_verdict v;
  if (pl_json_doc_parse(text, path, "a draft of a signed entry", &doc, &v) != 0)
    return cli_input_error("%s", v.message);
  Partsledger__V1__SignedEntry *se = pl_arena_alloc(c->a, sizeof(*se));
  if (se == NULL) {
    cJSON_Delete(doc);
    return cli_fail("out of memory");
  }
  partsledger__v1__signed_entry__init(se);
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type");
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  const char *kind = cJSON_IsString(k) ? pl_arena_printf(c->a, "%s", k->valuestring) : "";
  if (kind == NULL)
    kind = "";
  const cJSON *cos = cJSON_GetObjectItemCaseSensitive(doc, "cosignatures");
  const char *bad = NULL;
  if (!cJSON_IsString(type) || strcmp(type->valuestring, CLI__DRAFT_TYPE) != 0)
    bad = "its type is not \"" CLI__DRAFT_TYPE "\"";
  else if (draft_hex(c, doc, "entry", 0, &se->entry) != 0 || se->entry.len == 0)
    bad = "its entry is missing or not hex";
  else if (draft_hex(c, doc, "signer", PL_PUBLIC_KEY_BYTES, &se->signer) != 0)
    bad = "its signer is not 64 hex characters";
  else if (draft_hex(c, doc, "signature", PL_SIGNATURE_BYTES, &se->signature) != 0)
    bad = "its signature is not 128 hex characters";
  else if (cos != NULL && !cJSON_IsArray(cos))
    bad = "its cosignatures are not an array";
  size_t n = cos != NULL && bad == NULL ? (size_t)cJSON_GetArraySize(cos) : 0;
  if (bad == NULL && n > PL_COSIGNATURES_MAX)
    bad = "it has too many co-signatures";
  if (bad == NULL && n > 0) {
    se->cosignatures = pl_arena_alloc(c->a, n * sizeof(*se->cosignatures));
    if (se->cosignatures == NULL)
      bad = "out of memory";
    for (const cJSON *o = cos->child; bad == NULL && o != NULL; o = o->next) {
      Partsledger__V1__Cosignature *co = pl_arena_alloc(c->a, sizeof(*co));
      if (co == NULL) {
        bad = "out of memory";
        break;
      }
      partsledger__v1__cosignature__init(co);
      if (draft_hex(c, o, "signer", PL_PUBLIC_KEY_BYTES, &co->signer) != 0 ||
          draft_hex(c, o, "signature", PL_SIGNATURE_BYTES, &co->signature) != 0)
        bad = "a co-signature is not {signer, signature} in hex";
      se->cosignatures[se->n_cosignatures++] = co;
    }
  }
  cJSON_Delete(doc);
  if (bad != NULL)
    return cli_input_error("%s is not a draft: %s", path, bad);
  char msg[PL_MSG_MAX];
  Partsledger__V1__Entry *e;
  int rc = pl_signed_entry_open(se, pl_arena_allocator(c->a), &e, msg);
  if (rc != 0)
    return cli_input_error("%s: %s", path, msg);
  if (kind[0] != '\0' && strcmp(kind, pl_kind_name(e->body_case)) != 0)
    return cli_input_error("%s says it holds a %s, but its entry is a %s", path, kind,
                           pl_kind_name(e->body_case));
  *out = se;
  *entry = e;
  return 0;
}

/* ---- commands ---- */

static int cmd_panel(struct cli *c) {
  uint8_t(*members)[CLI_HEX32_BYTES];
  size_t n;
  uint32_t quorum;
  int ex;
  if ((ex = cli_opt_hex32_all(c, "member", "a public key", &members, &n)) != 0 ||
      (ex = cli_opt_u32(c, "quorum", 0, &quorum)) != 0)
    return ex;
  Partsledger__V1__Entry *e;
  int rc = pl_build_panel_constituted(c->a, cli_opt(c, "id"), cli_opt(c, "name"),
                                      (const uint8_t(*)[CLI_HEX32_BYTES])members, n,
                                      quorum, &e);
  return cli_append_built(c, rc, e);
}

static int cmd_dispute(struct cli *c) {
  uint8_t(*evidence)[CLI_HEX32_BYTES];
  size_t n;
  int ex = cli_opt_hex32_all(c, "evidence", "a SHA-256", &evidence, &n);
  if (ex != 0)
    return ex;
  Partsledger__V1__Entry *e;
  int rc = pl_build_dispute_opened(c->a, cli_opt(c, "claim"), cli_opt(c, "panel"),
                                   cli_opt(c, "grounds"),
                                   (const uint8_t(*)[CLI_HEX32_BYTES])evidence, n, &e);
  return cli_append_built(c, rc, e);
}

/* Adds the co-signature of the key in `path`. 0 or an exit status. */
static int cosign_with(struct cli *c, const char *path, Partsledger__V1__SignedEntry *se) {
  pl_key *k = NULL;
  int ex = cli_load_key_file(path, &k);
  if (ex != 0)
    return ex;
  const char *pub = cli_hex(c, pl_key_public(k), PL_PUBLIC_KEY_BYTES);
  int rc = pl_entry_cosign(k, se, c->a);
  pl_key_free(k);
  if (rc == PL_EEXIST)
    return cli_input_error("key %s (%s) has signed this entry already", path, pub);
  if (rc == PL_EINVAL)
    return cli_input_error("the entry has %d co-signatures already, the most it may "
                           "carry", PL_COSIGNATURES_MAX);
  if (rc != 0)
    return cli_fail("cannot co-sign with %s: %s", path, pl_strerror(rc));
  return 0;
}

static int cmd_rule(struct cli *c) {
  int ruling;
  int ex = cli_opt_enum(c, "ruling", &partsledger__v1__ruling__descriptor, &ruling);
  if (ex != 0)
    return ex;
  const char *draft = cli_opt(c, "draft");
  if (cli_opt(c, "force") != NULL && draft == NULL)
    return cli_usage_error(c, "--force goes with --draft FILE");
  Partsledger__V1__Entry *e;
  int rc = pl_build_arbitration_ruled(c->a, cli_opt(c, "claim"), ruling,
                                      cli_opt_or(c, "reasoning", ""),
                                      cli_opt_or(c, "remedy", ""), &e);
  if (rc != 0)
    return cli_fail("cannot build the entry: %s", pl_strerror(rc));
  Partsledger__V1__SignedEntry *se;
  if ((ex = cli_sign(c, e, &se)) != 0)
    return ex;
  size_t n;
  const char **keys = cli_opt_all(c, "cosign-key", &n);
  if (keys == NULL)
    return cli_fail("out of memory");
  for (size_t i = 0; i < n; i++)
    if ((ex = cosign_with(c, keys[i], se)) != 0)
      return ex;
  if (draft == NULL)
    return cli_submit(c, se, &e->request_id);

  char *text = draft_text(c, se, e);
  if (text == NULL)
    return cli_fail("out of memory");
  if ((ex = cli_write_file(c, draft, text, cli_opt(c, "force") != NULL)) != 0)
    return ex;
  const char *rid = cli_hex(c, e->request_id.data, e->request_id.len);
  if (!c->json) {
    printf("draft:        %s (not sent)\n", draft);
    printf("request id:   %s\n", rid);
    printf("co-signers:   %zu\n", se->n_cosignatures);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "draft", draft);
  cJSON_AddStringToObject(o, "request_id", rid);
  cJSON_AddNumberToObject(o, "cosignatures", (double)se->n_cosignatures);
  return cli_json_emit(o, 0);
}

static int cmd_cosign(struct cli *c) {
  const char *path = c->pos[0];
  Partsledger__V1__SignedEntry *se;
  Partsledger__V1__Entry *e;
  int ex;
  if ((ex = draft_read(c, path, &se, &e)) != 0 ||
      (ex = cosign_with(c, cli_opt(c, "key"), se)) != 0)
    return ex;
  char *text = draft_text(c, se, e);
  if (text == NULL)
    return cli_fail("out of memory");
  if ((ex = cli_write_file(c, path, text, 1)) != 0)
    return ex;
  const Partsledger__V1__Cosignature *co = se->cosignatures[se->n_cosignatures - 1];
  const char *who = cli_hex(c, co->signer.data, co->signer.len);
  if (!c->json) {
    printf("co-signed:    %s %s by %s\n", pl_kind_name(e->body_case), path, who);
    printf("co-signers:   %zu\n", se->n_cosignatures);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "draft", path);
  cJSON_AddStringToObject(o, "kind", pl_kind_name(e->body_case));
  cJSON_AddStringToObject(o, "cosigner", who);
  cJSON_AddNumberToObject(o, "cosignatures", (double)se->n_cosignatures);
  return cli_json_emit(o, 0);
}

static int cmd_submit(struct cli *c) {
  Partsledger__V1__SignedEntry *se;
  Partsledger__V1__Entry *e;
  int ex = draft_read(c, c->pos[0], &se, &e);
  return ex != 0 ? ex : cli_submit(c, se, &e->request_id);
}

/* ---- showing the arbitration kinds ---- */

static const char *hex_list(struct cli *c, const ProtobufCBinaryData *v, size_t n) {
  const char *s = "";
  for (size_t i = 0; i < n && s != NULL; i++)
    s = pl_arena_printf(c->a, "%s%s%s", s, i ? ", " : "", cli_hex(c, v[i].data, v[i].len));
  return s != NULL ? s : "?";
}

static cJSON *hex_array(struct cli *c, const ProtobufCBinaryData *v, size_t n) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a != NULL && i < n; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(cli_hex(c, v[i].data, v[i].len)));
  return a;
}

static int show(struct cli *c, const Partsledger__V1__Entry *e, enum cli_show how,
                cJSON *b) {
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_PANEL_CONSTITUTED: {
    const Partsledger__V1__PanelConstituted *p = e->panel_constituted;
    if (how == CLI_SHOW_FULL) {
      printf("  panel:       %s\n  name:        %s\n  quorum:      %u of %zu\n", p->panel_id,
             p->name, p->quorum, p->n_members);
      printf("  members:     %s\n", hex_list(c, p->members, p->n_members));
    } else if (how == CLI_SHOW_LINE) {
      cli_show_field("panel", p->panel_id);
      printf("  quorum=%u/%zu", p->quorum, p->n_members);
      cli_show_field("name", p->name);
    } else {
      cJSON_AddStringToObject(b, "panel_id", p->panel_id);
      cJSON_AddStringToObject(b, "name", p->name);
      cJSON_AddItemToObject(b, "members", hex_array(c, p->members, p->n_members));
      cJSON_AddNumberToObject(b, "quorum", p->quorum);
    }
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED: {
    const Partsledger__V1__DisputeOpened *d = e->dispute_opened;
    if (how == CLI_SHOW_FULL) {
      printf("  claim:       %s\n  panel:       %s\n  grounds:     %s\n", d->claim_id,
             d->panel_id, d->grounds);
      printf("  evidence:    %s\n",
             d->n_evidence_sha256 ? hex_list(c, d->evidence_sha256, d->n_evidence_sha256)
                                  : "(none)");
    } else if (how == CLI_SHOW_LINE) {
      cli_show_field("claim", d->claim_id);
      cli_show_field("panel", d->panel_id);
    } else {
      cJSON_AddStringToObject(b, "claim_id", d->claim_id);
      cJSON_AddStringToObject(b, "panel_id", d->panel_id);
      cJSON_AddStringToObject(b, "grounds", d->grounds);
      cJSON_AddItemToObject(b, "evidence_sha256",
                            hex_array(c, d->evidence_sha256, d->n_evidence_sha256));
    }
    return 1;
  }
  case PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED: {
    const Partsledger__V1__ArbitrationRuled *r = e->arbitration_ruled;
    if (how == CLI_SHOW_FULL) {
      printf("  claim:       %s\n  ruling:      %s\n  reasoning:   %s\n  remedy:      %s\n",
             r->claim_id, ruling_name(c, r->ruling), r->reasoning, r->remedy);
    } else if (how == CLI_SHOW_LINE) {
      cli_show_field("claim", r->claim_id);
      cli_show_field("ruling", ruling_name(c, r->ruling));
    } else {
      cJSON_AddStringToObject(b, "claim_id", r->claim_id);
      cJSON_AddStringToObject(b, "ruling", ruling_name(c, r->ruling));
      cJSON_AddStringToObject(b, "reasoning", r->reasoning);
      cJSON_AddStringToObject(b, "remedy", r->remedy);
    }
    return 1;
  }
  default:
    return 0;
  }
}

/* ---- the rows ---- */

static const struct cli_opt panel_opts[] = {
    {"key", CLI_VALUE, CLI_REQUIRED},    {"id", CLI_VALUE, CLI_REQUIRED},
    {"name", CLI_VALUE, CLI_REQUIRED},   {"member", CLI_VALUE, CLI_REQUIRED},
    {"quorum", CLI_VALUE, CLI_REQUIRED}, {"request-id", CLI_VALUE, 0},
    {NULL, CLI_FLAG, 0}};
static const struct cli_opt dispute_opts[] = {
    {"key", CLI_VALUE, CLI_REQUIRED},     {"claim", CLI_VALUE, CLI_REQUIRED},
    {"panel", CLI_VALUE, CLI_REQUIRED},   {"grounds", CLI_VALUE, CLI_REQUIRED},
    {"evidence", CLI_VALUE, 0},           {"request-id", CLI_VALUE, 0},
    {NULL, CLI_FLAG, 0}};
static const struct cli_opt rule_opts[] = {
    {"key", CLI_VALUE, CLI_REQUIRED},    {"claim", CLI_VALUE, CLI_REQUIRED},
    {"ruling", CLI_VALUE, CLI_REQUIRED}, {"reasoning", CLI_VALUE, 0},
    {"remedy", CLI_VALUE, 0},            {"cosign-key", CLI_VALUE, 0},
    {"draft", CLI_VALUE, 0},             {"force", CLI_FLAG, 0},
    {"request-id", CLI_VALUE, 0},        {NULL, CLI_FLAG, 0}};
static const struct cli_opt cosign_opts[] = {{"key", CLI_VALUE, CLI_REQUIRED},
                                             {NULL, CLI_FLAG, 0}};
static const struct cli_opt submit_opts[] = {{NULL, CLI_FLAG, 0}};

static const struct cli_command commands[] = {
    {"panel",
     "--key ADMIN_KEYFILE --id PANEL --name NAME --member HEX... --quorum N "
     "[--request-id HEX]",
     "constitute an arbitration panel (signed by an admin key)",
     "Appends a panel_constituted entry: the members (--member, one per\n"
     "arbiter's public key, repeated) of whom --quorum must sign a ruling.\n"
     "Members are distinct, enrolled, unrevoked arbiters; 1 <= N <= members.\n",
     panel_opts, 0, 0, cmd_panel},
    {"dispute",
     "--key STATION_KEYFILE --claim CLAIM --panel PANEL --grounds TEXT "
     "[--evidence SHA256]... [--request-id HEX]",
     "take a rejected claim to a panel (signed by a repair station)",
     "Appends a dispute_opened entry: claim CLAIM, rejected, goes to panel\n"
     "PANEL on the grounds given, with the SHA-256 (64 hex characters) of each\n"
     "piece of evidence (--evidence, repeated). Only a repair station bound to\n"
     "the site of the claim's repair order may open it, once per claim.\n",
     dispute_opts, 0, 0, cmd_dispute},
    {"rule",
     "--key ARBITER_KEYFILE --claim CLAIM --ruling claim_upheld|rejection_upheld "
     "[--reasoning TEXT] [--remedy TEXT] [--cosign-key FILE]... [--draft FILE "
     "[--force]] [--request-id HEX]",
     "rule on a disputed claim (signed and co-signed by panel members)",
     "Builds an arbitration_ruled entry signed with ARBITER_KEYFILE and\n"
     "co-signed with each --cosign-key FILE, then appends it. The distinct,\n"
     "unrevoked panel members among the signers must reach the panel's\n"
     "quorum. claim_upheld makes the claim count as approved; rejection_upheld\n"
     "closes the dispute.\n"
     "With --draft FILE the signed entry is written to FILE instead of sent\n"
     "(--force replaces an existing file): other members add their\n"
     "co-signatures with `cosign FILE --key KEY` on their own machines, and\n"
     "`submit FILE` appends it.\n",
     rule_opts, 0, 0, cmd_rule},
    {"cosign", "DRAFT --key KEYFILE", "add a co-signature to a draft entry",
     "Checks the draft's entry and its signatures so far, and adds the\n"
     "co-signature of KEYFILE over the same entry bytes (context\n"
     "partsledger/v1/entry\\n), rewriting DRAFT. Needs no server. Refuses a key\n"
     "that has signed the entry already.\n",
     cosign_opts, 1, 1, cmd_cosign},
    {"submit", "DRAFT", "append a draft entry",
     "Appends the signed entry of DRAFT (from `rule --draft`, with the\n"
     "co-signatures `cosign` added) and prints the result as `enroll` does.\n",
     submit_opts, 1, 1, cmd_submit},
};

const struct cli_family cli_family_arbitration = {"disputes and arbitration",
                                                  CLI_ROWS(commands), show};
