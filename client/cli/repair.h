/*
 * repair.h - private to the repair and warranty families of the CLI
 * (repair.c: the entries; warranty.c: the queries, traces and the EPCIS
 * export): the helpers both use, defined in repair.c. Names start with
 * cli_wty_ so that they never meet another family's.
 *
 * May depend on: cli.h (and through it client.h), cJSON.
 */
#ifndef PL_CLI_REPAIR_H
#define PL_CLI_REPAIR_H

#include "cli.h"

/* ---- times ---- */

/* "2024-05-01T12:00:00.000Z (1714564800000)", or "-" for 0. In the arena. */
const char *cli_wty_time_text(struct cli *c, int64_t ms);

/* ---- JSON ---- */

/* Moves every member of the object `from` into `into` and frees `from`
 * (NULL: nothing). For replies shown with fields of the command's own. */
void cli_wty_json_merge(cJSON *into, cJSON *from);

#endif /* PL_CLI_REPAIR_H */
