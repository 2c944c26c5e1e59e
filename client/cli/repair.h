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

/* ---- options ---- */

/* --name as a value of enum `d` by cli_enum_parse; 0 with *out set, or the
 * exit status of the usage error it printed (naming the values it takes).
 * Absent: *out = 0. */
int cli_wty_opt_enum(struct cli *c, const char *name,
                     const ProtobufCEnumDescriptor *d, int *out);

/* ---- times ----
 * A time on the command line is unix milliseconds (digits only), an ISO 8601
 * date-time ("2024-05-01T12:00:00Z", seconds and fraction optional, "Z" or
 * an offset "+02:00"), a date ("2024-05-01", midnight UTC), or "now". */

/* 0 and *ms, or -1. */
int cli_wty_parse_time(const char *s, int64_t *ms);
/* --name as a time; `dflt` when absent. 0, or the exit status of the usage
 * error it printed. */
int cli_wty_opt_time(struct cli *c, const char *name, int64_t dflt,
                     int64_t *ms);
/* "2024-05-01T12:00:00.000Z (1714564800000)", or "-" for 0. In the arena. */
const char *cli_wty_time_text(struct cli *c, int64_t ms);

/* ---- JSON ---- */

/* Moves every member of the object `from` into `into` and frees `from`
 * (NULL: nothing). For replies shown with fields of the command's own. */
void cli_wty_json_merge(cJSON *into, cJSON *from);

#endif /* PL_CLI_REPAIR_H */
