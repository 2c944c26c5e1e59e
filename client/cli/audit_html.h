/*
 * audit_html.h - private to the `partsledger` command: the audit report's
 * page (audit_html.c), which `audit report` (audit.c) writes.
 *
 * May depend on: cli.h, audit.h (and the storage/ headers through them).
 */
#ifndef PL_CLI_AUDIT_HTML_H
#define PL_CLI_AUDIT_HTML_H

#include "audit.h"
#include "cli.h"

/* The number of r's checks that do not hold (failed or skipped). */
int cli_audit_failing(const pl_audit_report *r);

/* The whole page for a verified bundle, NUL-terminated, in the arena; NULL
 * when out of memory. `vkey` is the key it was checked against; `own_key`
 * says it is the bundle's own rather than one the user gave. */
char *cli_audit_html(struct cli *c, const pl_audit_report *r, const char *vkey,
                     int own_key);

#endif /* PL_CLI_AUDIT_HTML_H */
