/*
 * audit_html.c - the audit report: one self-contained HTML page that a
 * panel reads offline in any browser. No script, no external asset: the
 * style is inline, every string that came from the bundle is escaped. It
 * shows, top to bottom: the verification result with a line per check, the
 * claim, the device and its policy's terms, the warranty status at the
 * failure as the ledger computes it, the decision and its reason, the
 * dispute's grounds, the ruling with each member's signature, and a
 * timeline of every bundled entry in words.
 *
 * Everything shown comes from a pl_audit_report (audit.h): the page says
 * what the checks found, it checks nothing itself.
 *
 * May depend on: cli.h, audit.h (and the storage/ headers through them).
 */
#include "audit_html.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "partsledger/v1/inventory.pb-c.h"
#include "partsledger/v1/warranty.pb-c.h"
#include "rules.h"

typedef struct {
  struct cli *c;
  FILE *f;
} page;

/* ---- writing ---- */

/* Text as HTML: the five characters that mean markup escaped, control
 * characters (none of which a valid entry holds) shown as U+FFFD. */
static void esc(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p; p++) {
    switch (*p) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    case '\'':
      fputs("&#39;", f);
      break;
    case '\n':
    case '\t':
      fputc(*p, f);
      break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        fputs("&#xFFFD;", f);
      else
        fputc(*p, f);
    }
  }
}

/* printf, escaped as a whole: whatever the arguments hold is text. */
static void tf(page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tf(page *p, const char *fmt, ...) {
  va_list ap;
  char *s = NULL;
  va_start(ap, fmt);
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n >= 0)
    esc(p->f, s);
  free(s);
}

/* Markup, as written here (never from the bundle). */
static void raw(page *p, const char *s) { fputs(s, p->f); }

/* A row of a two-column table: the label is ours, the value is escaped. */
static void row(page *p, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void row(page *p, const char *label, const char *fmt, ...) {
  va_list ap;
  char *s = NULL;
  va_start(ap, fmt);
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  fprintf(p->f, "<tr><th>%s</th><td>", label);
  if (n >= 0)
    esc(p->f, s);
  free(s);
  raw(p, "</td></tr>\n");
}

/* ---- words ---- */

/* An enum value's name in words: cli_enum_name's, its underscores as
 * spaces. SITE_KIND_REPAIR_STATION is "repair station". In the arena. */
static const char *ename(struct cli *c, const ProtobufCEnumDescriptor *d, int value) {
  const char *name = cli_enum_name(c, d, value);
  char *s = pl_arena_dup(c->a, name, strlen(name) + 1);
  if (s == NULL)
    return name;
  for (char *q = s; *q; q++)
    if (*q == '_')
      *q = ' ';
  return s;
}

static const char *time_of(struct cli *c, int64_t ms) {
  return ms != 0 ? cli_iso_time(c, ms) : "(not given)";
}

static const char *tag(struct cli *c, const ProtobufCBinaryData *k) {
  return k->len >= 8 ? pl_arena_printf(c->a, "%s…", cli_hex(c, k->data, 8)) : "?";
}

/* What an entry says, in a sentence. In the arena. */
static const char *describe(struct cli *c, const Partsledger__V1__Entry *e) {
  pl_arena *a = c->a;
  switch (e->body_case) {
  case PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED: {
    const Partsledger__V1__ActorEnrolled *b = e->actor_enrolled;
    const char *sites = "";
    for (size_t i = 0; i < b->n_site_ids && sites != NULL; i++)
      sites = pl_arena_printf(a, "%s%s%s", sites, i ? ", " : " at ", b->site_ids[i]);
    return pl_arena_printf(a, "Enrolls %s as %s (key %s)%s.", b->name,
                           pl_role_name(b->role), tag(c, &b->public_key), sites ? sites : "");
  }
  case PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED:
    return pl_arena_printf(a, "Revokes key %s%s%s.", tag(c, &e->actor_revoked->public_key),
                           e->actor_revoked->reason[0] ? ": " : "", e->actor_revoked->reason);
  case PARTSLEDGER__V1__ENTRY__BODY_SITE_REGISTERED: {
    const Partsledger__V1__SiteRegistered *b = e->site_registered;
    return pl_arena_printf(a, "Registers site %s, %s (%s) in %s.", b->site_id, b->name,
                           ename(c, &partsledger__v1__site_kind__descriptor, b->kind),
                           b->region[0] ? b->region : "no region given");
  }
  case PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED:
    return pl_arena_printf(a, "Registers supplier %s, %s%s.",
                           e->supplier_registered->supplier_id, e->supplier_registered->name,
                           e->supplier_registered->certified ? ", certified" : "");
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED: {
    const Partsledger__V1__BatchRegistered *b = e->batch_registered;
    return pl_arena_printf(a,
                           "Registers batch %s of %s from supplier %s: %" PRIu64
                           " units, %s parts, %u months of warranty of their own.",
                           b->batch_id, b->sku, b->supplier_id, b->quantity,
                           ename(c, &partsledger__v1__part_class__descriptor, b->part_class),
                           b->warranty_months);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED:
    return pl_arena_printf(a, "Receives %" PRIu64 " units of batch %s at site %s.",
                           e->stock_received->quantity, e->stock_received->batch_id,
                           e->stock_received->site_id);
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_TRANSFERRED:
    return pl_arena_printf(a, "Moves %" PRIu64 " units of batch %s from site %s to %s.",
                           e->stock_transferred->quantity, e->stock_transferred->batch_id,
                           e->stock_transferred->from_site_id,
                           e->stock_transferred->to_site_id);
  case PARTSLEDGER__V1__ENTRY__BODY_STOCK_ADJUSTED:
    return pl_arena_printf(a, "Adjusts batch %s at site %s by %" PRId64 " (%s).",
                           e->stock_adjusted->batch_id, e->stock_adjusted->site_id,
                           e->stock_adjusted->delta,
                           ename(c, &partsledger__v1__adjust_reason__descriptor,
                                 e->stock_adjusted->reason));
  case PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED: {
    const Partsledger__V1__PartReserved *b = e->part_reserved;
    return pl_arena_printf(a, "Reserves %" PRIu64 " of %s%s%s at site %s%s%s (reservation %s).",
                           b->quantity, b->sku, b->batch_id[0] ? " from batch " : "",
                           b->batch_id, b->site_id,
                           b->repair_order_id[0] ? " for repair order " : "",
                           b->repair_order_id, b->reservation_id);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_RELEASED:
    return pl_arena_printf(a, "Releases reservation %s: %s.",
                           e->reservation_released->reservation_id,
                           e->reservation_released->reason);
  case PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED:
    return pl_arena_printf(a, "Fulfils reservation %s with %" PRIu64 " units of batch %s.",
                           e->reservation_fulfilled->reservation_id,
                           e->reservation_fulfilled->quantity,
                           e->reservation_fulfilled->batch_id);
  case PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED:
    return pl_arena_printf(a, "Recalls batch %s: %s.", e->batch_recalled->batch_id,
                           e->batch_recalled->reason);
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_POLICY_PUBLISHED: {
    const Partsledger__V1__WarrantyPolicyPublished *b = e->warranty_policy_published;
    const char *terms = "";
    for (size_t i = 0; i < b->n_terms && terms != NULL; i++) {
      const Partsledger__V1__ComponentTerm *t = b->terms[i];
      terms = t->usage_limit > 0
                  ? pl_arena_printf(a, "%s%s%s %u months or %" PRIu64 " %s", terms,
                                    i ? "; " : "", t->component, t->months, t->usage_limit,
                                    t->usage_unit)
                  : pl_arena_printf(a, "%s%s%s %u months", terms, i ? "; " : "",
                                    t->component, t->months);
    }
    return pl_arena_printf(a,
                           "Publishes warranty policy %s for model %s: %s. Registration "
                           "within %u days of purchase; extensions up to %u months.",
                           b->policy_id, b->model, terms ? terms : "?",
                           b->registration_window_days ? b->registration_window_days
                                                       : PL_WINDOW_DEFAULT_DAYS,
                           b->max_extension_months);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_DEVICE_REGISTERED: {
    const Partsledger__V1__DeviceRegistered *b = e->device_registered;
    const char *parts = "";
    for (size_t i = 0; i < b->n_parts && parts != NULL; i++)
      parts = pl_arena_printf(a, "%s%s%s %s (batch %s)", parts, i ? "; " : "",
                              b->parts[i]->component, b->parts[i]->part_serial,
                              b->parts[i]->batch_id);
    return pl_arena_printf(a, "Registers device %s, model %s, under policy %s; bought %s. "
                              "Parts: %s.",
                           b->device_serial, b->model, b->policy_id,
                           time_of(c, b->purchased_at_ms),
                           parts != NULL && parts[0] ? parts : "none listed");
  }
  case PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED: {
    const Partsledger__V1__WarrantyExtended *b = e->warranty_extended;
    return pl_arena_printf(a, "Extends the warranty of device %s, %s%s, by %u months "
                              "(contract %s).",
                           b->device_serial, b->component[0] ? "component " : "every component",
                           b->component, b->months,
                           b->contract_ref[0] ? b->contract_ref : "not named");
  }
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_OPENED: {
    const Partsledger__V1__RepairOrderOpened *b = e->repair_order_opened;
    return pl_arena_printf(a,
                           "Opens repair order %s for device %s at site %s, priority %s: "
                           "\"%s\". Reported %s, usage reading %" PRIu64 ".",
                           b->order_id, b->device_serial, b->site_id,
                           ename(c, &partsledger__v1__priority__descriptor, b->priority),
                           b->fault, time_of(c, b->reported_at_ms), b->usage_reading);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_RESPONDED:
    return pl_arena_printf(a, "Responds to repair order %s at %s.",
                           e->repair_order_responded->order_id,
                           time_of(c, e->repair_order_responded->responded_at_ms));
  case PARTSLEDGER__V1__ENTRY__BODY_PART_REPLACED: {
    const Partsledger__V1__PartReplaced *b = e->part_replaced;
    return pl_arena_printf(a, "Replaces the %s under repair order %s: removes %s, installs "
                              "%s of batch %s%s%s.",
                           b->component, b->order_id,
                           b->removed_serial[0] ? b->removed_serial : "nothing",
                           b->installed_serial, b->installed_batch_id,
                           b->reservation_id[0] ? ", taken from reservation " : "",
                           b->reservation_id);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_REPAIR_ORDER_CLOSED: {
    const Partsledger__V1__RepairOrderClosed *b = e->repair_order_closed;
    return pl_arena_printf(a, "Closes repair order %s: %s at %s%s.", b->order_id,
                           ename(c, &partsledger__v1__repair_outcome__descriptor, b->outcome),
                           time_of(c, b->resolved_at_ms),
                           b->first_visit_fix ? ", fixed on the first visit" : "");
  }
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_FILED: {
    const Partsledger__V1__ClaimFiled *b = e->claim_filed;
    return pl_arena_printf(a,
                           "Files warranty claim %s on the %s of device %s (repair order "
                           "%s): failed %s at usage reading %" PRIu64 ". \"%s\"",
                           b->claim_id, b->component, b->device_serial, b->order_id,
                           time_of(c, b->failure_at_ms), b->usage_reading, b->description);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_CLAIM_DECIDED: {
    const Partsledger__V1__ClaimDecided *b = e->claim_decided;
    return pl_arena_printf(a, "Decides claim %s: %s, for %s%s%s.", b->claim_id,
                           ename(c, &partsledger__v1__claim_decision__descriptor, b->decision),
                           ename(c, &partsledger__v1__decision_reason__descriptor, b->reason),
                           b->note[0] ? ". Note: " : "", b->note);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_PANEL_CONSTITUTED: {
    const Partsledger__V1__PanelConstituted *b = e->panel_constituted;
    return pl_arena_printf(a, "Constitutes arbitration panel %s, %s: %zu members, %u of "
                              "whom must sign a ruling.",
                           b->panel_id, b->name, b->n_members, b->quorum);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_DISPUTE_OPENED: {
    const Partsledger__V1__DisputeOpened *b = e->dispute_opened;
    return pl_arena_printf(a, "Disputes claim %s before panel %s: \"%s\" (%zu pieces of "
                              "evidence, by SHA-256).",
                           b->claim_id, b->panel_id, b->grounds, b->n_evidence_sha256);
  }
  case PARTSLEDGER__V1__ENTRY__BODY_ARBITRATION_RULED: {
    const Partsledger__V1__ArbitrationRuled *b = e->arbitration_ruled;
    return pl_arena_printf(a, "Rules on claim %s: %s. \"%s\"%s%s", b->claim_id,
                           ename(c, &partsledger__v1__ruling__descriptor, b->ruling),
                           b->reasoning, b->remedy[0] ? " Remedy: " : "", b->remedy);
  }
  default:
    return "An entry of a kind this program does not know.";
  }
}

static const char *author(struct cli *c, const pl_audit_entry *e) {
  if (e->by_log_key)
    return "the log key (genesis)";
  if (e->author_name == NULL)
    return e->se != NULL ? pl_arena_printf(c->a, "%s… (not enrolled in the bundle)",
                                           cli_hex(c, e->se->signer.data, 8))
                         : "?";
  return pl_arena_printf(c->a, "%s (%s)", e->author_name, pl_role_name(e->author_role));
}

/* ---- the page ---- */

static const char *const css =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "margin:0;background:#f4f5f7;color:#1d2330}"
    "main{max-width:1100px;margin:0 auto;padding:24px}"
    "section{background:#fff;border:1px solid #d9dde5;border-radius:8px;"
    "padding:16px 20px;margin:0 0 18px}"
    "h1{margin:0 0 6px;font-size:24px}h2{margin:0 0 10px;font-size:18px;"
    "color:#2c3e63}"
    "#verification.ok{border-left:10px solid #1e8e3e;background:#eef8f0}"
    "#verification.bad{border-left:10px solid #c5221f;background:#fdeeee}"
    ".verdict{font-size:20px;font-weight:700}.ok .verdict{color:#1e8e3e}"
    ".bad .verdict{color:#c5221f}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;vertical-align:top;padding:5px 8px;"
    "border-bottom:1px solid #e6e8ee}"
    "th{width:210px;color:#4a5466;font-weight:600}"
    "table.list th{width:auto;background:#f0f2f6}"
    ".holds{color:#1e8e3e;font-weight:700}.failed{color:#c5221f;font-weight:700}"
    ".skipped{color:#9a6700;font-weight:700}"
    ".status{display:inline-block;padding:2px 10px;border-radius:12px;"
    "background:#2c3e63;color:#fff;font-weight:700}"
    ".mono,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;"
    "word-break:break-all}"
    "pre{white-space:pre-wrap;background:#f7f7f9;padding:8px;border-radius:4px}"
    "tr.claim td{background:#fff8e1}"
    ".note{color:#5b6476}td.t{white-space:nowrap;font-size:13px}";

int cli_audit_failing(const pl_audit_report *r) {
  int n = 0;
  for (int i = 0; i < PL_AUDIT_N_CHECKS; i++)
    n += r->checks[i].result != PL_AUDIT_HOLDS;
  return n;
}

static void checks(page *p, const pl_audit_report *r, const char *vkey, int own_key) {
  int failing = cli_audit_failing(r);
  fprintf(p->f, "<section id=\"verification\" class=\"%s\">\n", failing ? "bad" : "ok");
  raw(p, "<h1>Audit of warranty claim ");
  tf(p, "%s", r->claim_id);
  raw(p, "</h1>\n<p class=\"verdict\" id=\"result\">");
  if (failing == 0)
    tf(p, "VERIFIED: all %d checks hold", PL_AUDIT_N_CHECKS);
  else
    tf(p, "NOT VERIFIED: %d of %d checks do not hold", failing, PL_AUDIT_N_CHECKS);
  raw(p, "</p>\n<p class=\"note\">Checked offline against the verifier key <span "
         "class=\"mono\">");
  tf(p, "%s", vkey);
  raw(p, "</span>");
  if (own_key)
    raw(p, " <strong>which the bundle itself names</strong>: this shows the bundle is "
           "consistent, not whose log it is. Check it again with the key you trust.");
  raw(p, "</p>\n<table class=\"list\"><tr><th>check</th><th>result</th><th>what it "
         "found</th></tr>\n");
  for (int i = 0; i < PL_AUDIT_N_CHECKS; i++) {
    const pl_audit_check *k = &r->checks[i];
    const char *cls = k->result == PL_AUDIT_HOLDS   ? "holds"
                      : k->result == PL_AUDIT_FAILS ? "failed"
                                                    : "skipped";
    fprintf(p->f, "<tr><td>%s</td><td class=\"%s\">%s</td><td>", k->name, cls,
            pl_audit_result_name(k->result));
    tf(p, "%s", k->reason);
    raw(p, "</td></tr>\n");
  }
  raw(p, "</table>\n</section>\n");
}

static void claim(page *p, const pl_audit_report *r) {
  struct cli *c = p->c;
  raw(p, "<section id=\"claim\"><h2>The claim</h2>\n");
  if (r->claim == NULL) {
    raw(p, "<p>The claim's own entry is not in the bundle.</p></section>\n");
    return;
  }
  const Partsledger__V1__ClaimFiled *b = r->claim->entry->claim_filed;
  raw(p, "<table>\n");
  row(p, "Claim", "%s", b->claim_id);
  row(p, "Device", "%s", b->device_serial);
  row(p, "Component", "%s", b->component);
  row(p, "Repair order", "%s", b->order_id);
  row(p, "Failure", "%s", time_of(c, b->failure_at_ms));
  row(p, "Usage reading", "%" PRIu64, b->usage_reading);
  row(p, "Description", "%s", b->description);
  row(p, "Filed", "entry %" PRIu64 ", logged %s by %s", r->claim->index,
      cli_iso_time(c, r->claim->at_ms), author(c, r->claim));
  raw(p, "</table>\n</section>\n");
}

static void device(page *p, const pl_audit_report *r) {
  struct cli *c = p->c;
  raw(p, "<section id=\"device\"><h2>The device and its warranty policy</h2>\n");
  if (r->device == NULL) {
    raw(p, "<p>No registration of the device is in the bundle: the ledger holds it "
           "NOT_REGISTERED.</p></section>\n");
    return;
  }
  const Partsledger__V1__DeviceRegistered *d = r->device->entry->device_registered;
  raw(p, "<table>\n");
  row(p, "Serial", "%s", d->device_serial);
  row(p, "Model", "%s", d->model);
  row(p, "Purchased", "%s", time_of(c, d->purchased_at_ms));
  row(p, "Registered", "entry %" PRIu64 ", logged %s by %s", r->device->index,
      cli_iso_time(c, r->device->at_ms), author(c, r->device));
  for (size_t i = 0; i < d->n_parts; i++)
    row(p, i == 0 ? "Parts at registration" : "", "%s: %s (batch %s)",
        d->parts[i]->component, d->parts[i]->part_serial, d->parts[i]->batch_id);
  int ext = 0;
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    if (e->entry == NULL ||
        e->entry->body_case != PARTSLEDGER__V1__ENTRY__BODY_WARRANTY_EXTENDED ||
        strcmp(e->entry->warranty_extended->device_serial, d->device_serial) != 0)
      continue;
    const Partsledger__V1__WarrantyExtended *x = e->entry->warranty_extended;
    row(p, ext++ == 0 ? "Extensions" : "", "%u months for %s%s (contract %s), entry %" PRIu64,
        x->months, x->component[0] ? "the " : "every component", x->component,
        x->contract_ref[0] ? x->contract_ref : "not named", e->index);
  }
  raw(p, "</table>\n");
  if (r->policy == NULL) {
    raw(p, "<p>Its policy is not in the bundle.</p></section>\n");
    return;
  }
  const Partsledger__V1__WarrantyPolicyPublished *pol =
      r->policy->entry->warranty_policy_published;
  raw(p, "<h2>Policy ");
  tf(p, "%s", pol->policy_id);
  raw(p, "</h2>\n<table>\n");
  row(p, "Model", "%s", pol->model);
  row(p, "Registration window", "%u days after purchase",
      pol->registration_window_days ? pol->registration_window_days
                                     : PL_WINDOW_DEFAULT_DAYS);
  row(p, "Extensions", "up to %u months", pol->max_extension_months);
  row(p, "Published", "entry %" PRIu64 ", logged %s by %s", r->policy->index,
      cli_iso_time(c, r->policy->at_ms), author(c, r->policy));
  raw(p, "</table>\n<table class=\"list\" id=\"terms\"><tr><th>component</th><th>"
         "months</th><th>usage limit</th></tr>\n");
  for (size_t i = 0; i < pol->n_terms; i++) {
    const Partsledger__V1__ComponentTerm *t = pol->terms[i];
    raw(p, "<tr><td>");
    tf(p, "%s", t->component);
    fprintf(p->f, "</td><td>%u</td><td>", t->months);
    if (t->usage_limit > 0)
      tf(p, "%" PRIu64 " %s", t->usage_limit, t->usage_unit);
    else
      raw(p, "none");
    raw(p, "</td></tr>\n");
  }
  raw(p, "</table>\n</section>\n");
}

static void verdict_rows(page *p, const pl_rule_verdict *v) {
  struct cli *c = p->c;
  raw(p, "<tr><th>Status</th><td><span class=\"status\">");
  tf(p, "%s", pl_rule_status_name(v->status));
  raw(p, "</span></td></tr>\n");
  row(p, "Why", "%s", v->reason);
  if (v->term_source[0] != '\0')
    row(p, "Coverage ends", "%s (the %s term)", time_of(c, v->coverage_ends_at),
        v->term_source);
  if (v->device_ends_at != 0)
    row(p, "Device term ends", "%s", time_of(c, v->device_ends_at));
  if (v->part_ends_at != 0)
    row(p, "Part term ends", "%s", time_of(c, v->part_ends_at));
  if (v->part != NULL)
    row(p, "Part in place", "%s of batch %s (%s, %s)", v->part->part_serial,
        v->part->batch_id,
        ename(c, &partsledger__v1__part_class__descriptor, v->part->part_class),
        v->part->by_replacement ? "put in by a replacement" : "listed at registration");
}

static void status(page *p, const pl_audit_report *r) {
  raw(p, "<section id=\"status\"><h2>Warranty status at the failure</h2>\n");
  if (!r->have_status) {
    raw(p, "<p>It cannot be computed from this bundle: ");
    tf(p, "%s", r->checks[PL_AUDIT_WARRANTY].reason);
    raw(p, "</p></section>\n");
    return;
  }
  raw(p, "<p class=\"note\">Computed here from the bundled entries alone, by the "
         "ledger's own rules, ");
  if (r->decision != NULL)
    tf(p, "from the %zu entries logged before the decision (index %" PRIu64
          "): what the ledger held when the claim was decided.",
       r->status_facts, r->status_before);
  else
    tf(p, "from all %zu entries.", r->status_facts);
  raw(p, "</p>\n<table>\n");
  verdict_rows(p, &r->status);
  raw(p, "</table>\n");
  if (r->status_now.status != r->status.status) {
    raw(p, "<h2>At the checkpoint, after what came later</h2>\n<table>\n");
    verdict_rows(p, &r->status_now);
    raw(p, "</table>\n");
  }
  raw(p, "</section>\n");
}

static void decision(page *p, const pl_audit_report *r) {
  struct cli *c = p->c;
  raw(p, "<section id=\"decision\"><h2>The decision</h2>\n");
  if (r->decision == NULL) {
    raw(p, "<p>The claim is not decided.</p></section>\n");
    return;
  }
  const Partsledger__V1__ClaimDecided *d = r->decision->entry->claim_decided;
  raw(p, "<table>\n<tr><th>Decision</th><td><span class=\"status\" id=\"decision-value\">");
  tf(p, "%s", ename(c, &partsledger__v1__claim_decision__descriptor, d->decision));
  raw(p, "</span></td></tr>\n");
  row(p, "Reason", "%s", ename(c, &partsledger__v1__decision_reason__descriptor, d->reason));
  if (d->note[0] != '\0')
    row(p, "Note", "%s", d->note);
  row(p, "Decided", "entry %" PRIu64 ", logged %s by %s", r->decision->index,
      cli_iso_time(c, r->decision->at_ms), author(c, r->decision));
  row(p, "Against the ledger", "%s", r->checks[PL_AUDIT_DECISION].reason);
  raw(p, "</table>\n</section>\n");
}

static void dispute(page *p, const pl_audit_report *r) {
  struct cli *c = p->c;
  raw(p, "<section id=\"dispute\"><h2>The dispute</h2>\n");
  if (r->dispute == NULL) {
    raw(p, "<p>The claim is not disputed.</p></section>\n");
    return;
  }
  const Partsledger__V1__DisputeOpened *d = r->dispute->entry->dispute_opened;
  raw(p, "<table>\n");
  row(p, "Grounds", "%s", d->grounds);
  row(p, "Panel", "%s", d->panel_id);
  for (size_t i = 0; i < d->n_evidence_sha256; i++)
    row(p, i == 0 ? "Evidence (SHA-256)" : "", "%s",
        cli_hex(c, d->evidence_sha256[i].data, d->evidence_sha256[i].len));
  row(p, "Opened", "entry %" PRIu64 ", logged %s by %s", r->dispute->index,
      cli_iso_time(c, r->dispute->at_ms), author(c, r->dispute));
  raw(p, "</table>\n</section>\n");
}

static void ruling(page *p, const pl_audit_report *r) {
  struct cli *c = p->c;
  raw(p, "<section id=\"ruling\"><h2>The ruling</h2>\n");
  if (r->panel != NULL) {
    const Partsledger__V1__PanelConstituted *pc = r->panel->entry->panel_constituted;
    raw(p, "<p>Panel ");
    tf(p, "%s, %s: %zu members, quorum %u; constituted at entry %" PRIu64 " by %s.",
       pc->panel_id, pc->name, pc->n_members, pc->quorum, r->panel->index,
       author(c, r->panel));
    raw(p, "</p>\n");
  }
  if (r->ruling == NULL) {
    raw(p, "<p>No ruling yet.</p></section>\n");
    return;
  }
  const Partsledger__V1__ArbitrationRuled *b = r->ruling->entry->arbitration_ruled;
  raw(p, "<table>\n<tr><th>Ruling</th><td><span class=\"status\" id=\"ruling-value\">");
  tf(p, "%s", ename(c, &partsledger__v1__ruling__descriptor, b->ruling));
  raw(p, "</span></td></tr>\n");
  row(p, "Reasoning", "%s", b->reasoning);
  row(p, "Remedy", "%s", b->remedy[0] ? b->remedy : "(none)");
  row(p, "Ruled", "entry %" PRIu64 ", logged %s", r->ruling->index,
      cli_iso_time(c, r->ruling->at_ms));
  row(p, "Quorum", "%u needed, %u counted: %s", r->quorum, r->counted,
      r->checks[PL_AUDIT_QUORUM].result == PL_AUDIT_HOLDS ? "reached" : "NOT reached");
  raw(p, "</table>\n<table class=\"list\" id=\"members\"><tr><th>member</th><th>public "
         "key</th><th>signature</th><th>counted</th></tr>\n");
  for (size_t i = 0; i < r->n_members; i++) {
    const pl_audit_member *m = &r->members[i];
    raw(p, "<tr><td>");
    tf(p, "%s", m->name != NULL ? m->name : "(enrollment not bundled)");
    raw(p, "</td><td class=\"mono\">");
    tf(p, "%s", cli_hex(c, m->key, PL_PUBLIC_KEY_BYTES));
    raw(p, "</td><td>");
    int sigs = r->checks[PL_AUDIT_SIGNATURES].result == PL_AUDIT_HOLDS;
    raw(p, m->signed_as == 0 ? "did not sign"
           : m->signed_as == 1 ? (sigs ? "author, verified" : "author, NOT verified")
                               : (sigs ? "co-signer, verified" : "co-signer, NOT verified"));
    fprintf(p->f, "</td><td class=\"%s\">", m->counted ? "holds" : "failed");
    tf(p, "%s%s%s", m->counted ? "yes" : "no", m->why[0] ? ": " : "", m->why);
    raw(p, "</td></tr>\n");
  }
  raw(p, "</table>\n</section>\n");
}

static void timeline(page *p, const pl_audit_report *r) {
  struct cli *c = p->c;
  raw(p, "<section id=\"timeline\"><h2>Every entry, in log order</h2>\n"
         "<p class=\"note\">Log time is when the log integrated the entry "
         "(Leaf.integrated_at_ms); the author is as its bundled enrollment names it. "
         "Entries of the claim itself are highlighted.</p>\n"
         "<table class=\"list\"><tr><th>#</th><th>log time</th><th>kind</th>"
         "<th>author</th><th>what it says</th><th>proof</th></tr>\n");
  for (size_t i = 0; i < r->n_entries; i++) {
    const pl_audit_entry *e = &r->entries[i];
    int ours = e == r->claim || e == r->decision || e == r->dispute || e == r->ruling;
    fprintf(p->f, "<tr%s><td>%" PRIu64 "</td><td class=\"t\">", ours ? " class=\"claim\"" : "",
            e->index);
    tf(p, "%s", e->l != NULL ? cli_iso_time(c, e->at_ms) : "?");
    raw(p, "</td><td>");
    tf(p, "%s", e->kind);
    raw(p, "</td><td>");
    tf(p, "%s", author(c, e));
    if (e->se != NULL && e->se->n_cosignatures > 0)
      tf(p, " and %zu co-signer%s", e->se->n_cosignatures,
         e->se->n_cosignatures == 1 ? "" : "s");
    raw(p, "</td><td>");
    const char *said = e->entry != NULL ? describe(c, e->entry) : NULL;
    tf(p, "%s", said != NULL ? said : "(the leaf does not decode)");
    fprintf(p->f, "</td><td class=\"%s\">%s</td></tr>\n", e->proven ? "holds" : "failed",
            e->proven ? "included" : "NOT proven");
  }
  raw(p, "</table>\n</section>\n");
}

char *cli_audit_html(struct cli *c, const pl_audit_report *r, const char *vkey,
                     int own_key) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return NULL;
  page p = {c, f};
  raw(&p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>Audit of claim ");
  tf(&p, "%s", r->claim_id);
  raw(&p, "</title>\n<style>");
  raw(&p, css);
  raw(&p, "</style>\n</head>\n<body><main>\n");
  checks(&p, r, vkey, own_key);
  claim(&p, r);
  device(&p, r);
  status(&p, r);
  decision(&p, r);
  dispute(&p, r);
  ruling(&p, r);
  timeline(&p, r);
  raw(&p, "<section id=\"log\"><h2>The log</h2>\n<table>\n");
  row(&p, "Origin", "%s", r->origin);
  row(&p, "Tree size", "%" PRIu64, r->tree_size);
  raw(&p, "<tr><th>Checkpoint</th><td><pre>");
  tf(&p, "%s", r->checkpoint);
  raw(&p, "</pre></td></tr>\n<tr><th>Manifest</th><td><pre>");
  tf(&p, "%s", r->manifest);
  raw(&p, "</pre></td></tr>\n</table>\n</section>\n</main></body></html>\n");
  int bad = ferror(f);
  if (fclose(f) != 0 || bad || buf == NULL) {
    free(buf);
    return NULL;
  }
  char *out = pl_arena_dup(c->a, buf, len + 1);
  free(buf);
  return out;
}
