/*
 * audit.c - the `audit` command and its three verbs, about the audit bundle
 * of a claim (README, "Audit bundles"):
 *   audit export CLAIM --out FILE    asks the server for the bundle
 *   audit verify BUNDLE --vkey VKEY  checks it offline, a verdict per check
 *   audit report BUNDLE --html FILE  the same checks, and one self-contained
 *                                    page for the panel (audit_html.c)
 *
 * The checks are the library's (audit.h); this file reads and writes the
 * files and prints the verdicts. `verify` exits 0 when every check holds,
 * 1 when one fails, 2 when the file cannot be read or is not a bundle.
 *
 * May depend on: cli.h, client.h, audit.h (and the storage/ headers
 * through them), audit_html.h, cJSON.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_html.h"
#include "cli.h"

/* The verbs, and the options each takes (the command's table lists them
 * all). */
static const struct {
  const char *verb;
  const char *opts[4];
} verbs[] = {
    {"export", {"out", "force", NULL}},
    {"verify", {"vkey", "vkey-file", NULL}},
    {"report", {"html", "vkey", "vkey-file", "force"}},
};

/* ---- export ---- */

static int audit_export(struct cli *c) {
  const char *claim = c->pos[1], *out = cli_opt(c, "out");
  if (out == NULL)
    return cli_usage_error(c, "audit export wants --out FILE (- for stdout)");
  int ex = cli_connect(c), rc;
  if (ex != 0)
    return ex;
  Partsledger__V1__ExportAuditBundleResponse *r;
  if ((rc = pl_client_export_audit_bundle(c->client, claim, c->a, &r)) != 0)
    return cli_server_error(c, rc);
  char *text = pl_arena_alloc(c->a, r->bundle.len + 2);
  if (text == NULL)
    return cli_fail("out of memory");
  memcpy(text, r->bundle.data, r->bundle.len);
  text[r->bundle.len] = '\n';
  text[r->bundle.len + 1] = '\0';
  if (memchr(r->bundle.data, '\0', r->bundle.len) != NULL)
    return cli_fail("the server's bundle holds a NUL byte");
  /* A summary, from the document itself. */
  cJSON *doc = cJSON_ParseWithLength((const char *)r->bundle.data, r->bundle.len);
  const cJSON *entries = cJSON_GetObjectItemCaseSensitive(doc, "entries");
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(doc, "tree_size");
  int n = cJSON_IsArray(entries) ? cJSON_GetArraySize(entries) : -1;
  double tree = cJSON_IsNumber(size) ? size->valuedouble : -1;
  cJSON_Delete(doc);
  if (n < 0 || tree < 0)
    return cli_fail("the server's answer is not an audit bundle");
  if (strcmp(out, "-") == 0) {
    if (cli_opt(c, "force") != NULL)
      return cli_usage_error(c, "--force goes with --out FILE");
    fputs(text, stdout);
    return CLI_EXIT_OK;
  }
  if ((ex = cli_write_file(c, out, text, cli_opt(c, "force") != NULL)) != 0)
    return ex;
  if (!c->json) {
    printf("wrote %s: the audit bundle of claim %s, %d entries at tree size %.0f "
           "(%zu bytes)\n",
           out, claim, n, tree, r->bundle.len);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", out);
  cJSON_AddStringToObject(o, "claim_id", claim);
  cJSON_AddNumberToObject(o, "entries", n);
  cli_json_add_u64(o, "tree_size", (uint64_t)tree);
  cli_json_add_u64(o, "bytes", r->bundle.len);
  return cli_json_emit(o, 0);
}

/* ---- verify and report ---- */

/* The bundle named in pos[1] ("-" is stdin), read once: `report` looks in
 * it for the key before the checks read it, and stdin can be read only
 * once. NULL after the error is printed (CLI_EXIT_USAGE). */
static const char *audit_read(struct cli *c) {
  const char *text = cli_read_file(c, c->pos[1]);
  if (text == NULL)
    cli_input_error("cannot read %s: %s", c->pos[1], cli_read_error());
  return text;
}

/* Verifies the bundle `text`, read from pos[1]. 0, or an exit status after
 * the error is printed (not a bundle). *r is to be destroyed either way. */
static int audit_check(struct cli *c, const char *text, const char *vkey,
                       pl_audit_report *r) {
  memset(r, 0, sizeof(*r));
  int rc = pl_audit_verify(text, strlen(text), vkey, r);
  if (rc == PL_ENOMEM)
    return cli_fail("out of memory");
  if (rc == PL_EINVAL)
    return cli_input_error("%s is not an audit bundle: %s", c->pos[1],
                           r->checks[PL_AUDIT_DOCUMENT].reason);
  return 0;
}

static int audit_verify(struct cli *c) {
  int ex;
  const char *vkey = cli_verifier_key(c, 1, &ex), *text;
  if (vkey == NULL)
    return ex;
  if ((text = audit_read(c)) == NULL)
    return CLI_EXIT_USAGE;
  pl_audit_report r;
  if ((ex = audit_check(c, text, vkey, &r)) != 0) {
    pl_audit_report_destroy(&r);
    return ex;
  }
  int failing = cli_audit_failing(&r);
  ex = failing == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", failing == 0);
    cJSON_AddStringToObject(o, "claim_id", r.claim_id);
    cJSON_AddStringToObject(o, "origin", r.origin);
    cli_json_add_u64(o, "tree_size", r.tree_size);
    cJSON_AddNumberToObject(o, "entries", (double)r.n_entries);
    cJSON *checks = cJSON_AddArrayToObject(o, "checks");
    for (int i = 0; checks != NULL && i < PL_AUDIT_N_CHECKS; i++) {
      cJSON *k = cJSON_CreateObject();
      cJSON_AddStringToObject(k, "name", r.checks[i].name);
      cJSON_AddStringToObject(k, "result", pl_audit_result_name(r.checks[i].result));
      cJSON_AddBoolToObject(k, "ok", r.checks[i].result == PL_AUDIT_HOLDS);
      cJSON_AddStringToObject(k, "reason", r.checks[i].reason);
      cJSON_AddItemToArray(checks, k);
    }
    if (r.have_status) {
      cJSON_AddStringToObject(o, "warranty_status", pl_rule_status_name(r.status.status));
      cJSON_AddStringToObject(o, "warranty_status_now",
                              pl_rule_status_name(r.status_now.status));
    }
    cli_json_emit(o, 0);
  } else {
    for (int i = 0; i < PL_AUDIT_N_CHECKS; i++)
      printf("%-7s %-11s %s\n", pl_audit_result_name(r.checks[i].result), r.checks[i].name,
             r.checks[i].reason);
    if (failing == 0)
      printf("OK the audit bundle of claim %s holds: all %d checks\n", r.claim_id,
             PL_AUDIT_N_CHECKS);
  }
  if (failing > 0)
    for (int i = 0; i < PL_AUDIT_N_CHECKS; i++)
      if (r.checks[i].result != PL_AUDIT_HOLDS) {
        fprintf(stderr, "FAILED: %d of %d checks do not hold; first %s: %s\n", failing,
                PL_AUDIT_N_CHECKS, r.checks[i].name, r.checks[i].reason);
        break;
      }
  pl_audit_report_destroy(&r);
  return ex;
}

static int audit_report(struct cli *c) {
  const char *out = cli_opt(c, "html");
  if (out == NULL)
    return cli_usage_error(c, "audit report wants --html FILE");
  int ex;
  /* Optional: without a key, the bundle's own (below). */
  const char *vkey = cli_verifier_key(c, 0, &ex);
  if (ex != 0)
    return ex;
  const char *text = audit_read(c);
  if (text == NULL)
    return CLI_EXIT_USAGE;
  int own_key = vkey == NULL;
  if (own_key) {
    /* No key given: the bundle's own, which proves the bundle consistent
     * but not whose log it is. The page says so at the top. */
    cJSON *doc = cJSON_Parse(text);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "verifier_key");
    vkey = cJSON_IsString(k) ? pl_arena_printf(c->a, "%s", k->valuestring) : NULL;
    cJSON_Delete(doc);
    if (vkey == NULL)
      return cli_input_error("%s is not an audit bundle: it names no verifier_key",
                             c->pos[1]);
  }
  pl_audit_report r;
  if ((ex = audit_check(c, text, vkey, &r)) != 0) {
    pl_audit_report_destroy(&r);
    return ex;
  }
  char *html = cli_audit_html(c, &r, vkey, own_key);
  if (html == NULL) {
    pl_audit_report_destroy(&r);
    return cli_fail("out of memory");
  }
  int failing = cli_audit_failing(&r);
  ex = cli_write_file(c, out, html, cli_opt(c, "force") != NULL);
  if (ex == 0 && !c->json) {
    printf("wrote %s: claim %s, %zu entries; the bundle %s\n", out, r.claim_id,
           r.n_entries,
           failing == 0 ? (own_key ? "holds against its own key (not one you gave)"
                                   : "holds: every check")
                        : "does NOT hold (see the top of the page)");
  } else if (ex == 0) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", out);
    cJSON_AddStringToObject(o, "claim_id", r.claim_id);
    cJSON_AddBoolToObject(o, "ok", failing == 0);
    cJSON_AddBoolToObject(o, "own_key", own_key);
    cli_json_emit(o, 0);
  }
  pl_audit_report_destroy(&r);
  if (ex != 0)
    return ex;
  return failing == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int cmd_audit(struct cli *c) {
  const char *verb = c->pos[0];
  size_t v = 0, nv = sizeof(verbs) / sizeof(verbs[0]);
  while (v < nv && strcmp(verbs[v].verb, verb) != 0)
    v++;
  if (v == nv)
    return cli_usage_error(c, "unknown audit verb '%s' (export, verify or report)", verb);
  if (c->npos != 2)
    return cli_usage_error(c, "audit %s wants %s", verb,
                           v == 0 ? "a CLAIM_ID" : "a BUNDLE file");
  /* One table of options serves three verbs: each takes only its own. */
  for (int i = 0; i < c->nopts; i++) {
    int ok = 0;
    for (size_t k = 0; k < 4 && verbs[v].opts[k] != NULL; k++)
      ok |= strcmp(verbs[v].opts[k], c->opts[i].name) == 0;
    if (!ok)
      return cli_usage_error(c, "--%s does not go with audit %s", c->opts[i].name, verb);
  }
  switch (v) {
  case 0:
    return audit_export(c);
  case 1:
    return audit_verify(c);
  default:
    return audit_report(c);
  }
}

/* ---- the rows ---- */

static const struct cli_opt audit_opts[] = {
    {"out", CLI_VALUE, 0},       {"force", CLI_FLAG, 0},  {"vkey", CLI_VALUE, 0},
    {"vkey-file", CLI_VALUE, 0}, {"html", CLI_VALUE, 0}, {NULL, CLI_FLAG, 0}};

static const struct cli_command commands[] = {
    {"audit",
     "export CLAIM_ID --out FILE [--force] | verify BUNDLE --vkey VKEY | "
     "report BUNDLE --html FILE [--vkey VKEY] [--force]",
     "export, verify offline, or report an audit bundle of a claim",
     "audit export CLAIM_ID --out FILE [--force]\n"
     "  Asks the server for the audit bundle of the claim (Audit/\n"
     "  ExportAuditBundle): every leaf linked to it, with proofs, a signed\n"
     "  checkpoint and the log's signed manifest of the indices (README, \"Audit\n"
     "  bundles\"). Writes it to FILE (- for stdout); refuses to replace a\n"
     "  file unless --force.\n"
     "audit verify BUNDLE --vkey VKEY | --vkey-file FILE\n"
     "  Checks the bundle offline against the log's verifier key, and prints\n"
     "  a verdict line per check: document, checkpoint, manifest, proofs,\n"
     "  leaves, signatures, signers, references, quorum, warranty (the status\n"
     "  at the failure, computed from the bundled entries alone) and\n"
     "  decision (whether the decision agrees with it).\n"
     "  Exit status: 0 when every check holds, 1 when one does not (the\n"
     "  first is repeated on stderr as \"FAILED: ...\"), 2 when BUNDLE cannot\n"
     "  be read or is not an audit bundle.\n"
     "audit report BUNDLE --html FILE [--vkey VKEY | --vkey-file F] [--force]\n"
     "  The same checks, and one self-contained HTML page for the panel (no\n"
     "  external assets; it works offline): the verification result at the\n"
     "  top, the claim, the device and its policy, the warranty status at\n"
     "  the failure, the decision, the dispute, the ruling with each member's\n"
     "  signature, and a timeline of every entry. Without a key the bundle's\n"
     "  own is used, and the page says it proves nothing about whose log it\n"
     "  is. Exit status: 0 written and every check holds, 1 written and a\n"
     "  check fails, 2 as for verify, or when FILE exists (without --force).\n",
     audit_opts, 1, 2, cmd_audit},
};

const struct cli_family cli_family_audit = {"audit bundles", CLI_ROWS(commands), NULL};
