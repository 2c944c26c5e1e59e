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

/* ---- proto enums by name ----
 * A value's name is the proto's in lower case without the enum's prefix:
 * PRIORITY_P1 is "p1", DECISION_REASON_IN_TERM "in_term". */

/* The name of `value`, in the arena: "unspecified" for 0, "unknown(N)" for a
 * value the enum does not have. */
const char *cli_wty_enum_name(struct cli *c, const ProtobufCEnumDescriptor *d,
                              int value);
/* The value named `name` (any case), or -1, also for "unspecified". */
int cli_wty_enum_parse(const ProtobufCEnumDescriptor *d, const char *name);
/* The names cli_wty_enum_parse takes, "a, b or c", in the arena. */
const char *cli_wty_enum_names(struct cli *c, const ProtobufCEnumDescriptor *d);
/* --name as a value of enum `d`; 0 with *out set, or the exit status of the
 * usage error it printed (naming the values it takes). Absent: *out = 0. */
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
int cli_wty_opt_time(struct cli *c, const char *name, int64_t dflt, int64_t *ms);
/* "2024-05-01T12:00:00.000Z (1714564800000)", or "-" for 0. In the arena. */
const char *cli_wty_time_text(struct cli *c, int64_t ms);

/* ---- JSON ---- */

/* Every field of a message under its proto name: 64-bit integers exact,
 * enums by cli_wty_enum_name, bytes in hex, repeated fields as arrays,
 * nested messages as objects, a oneof as the member it holds. A new object
 * the caller owns; NULL when out of memory. */
cJSON *cli_wty_message_json(struct cli *c, const ProtobufCMessage *m);
/* Adds the fields of `m` to the object `o` (as cli_wty_message_json). */
void cli_wty_message_fields(struct cli *c, const ProtobufCMessage *m, cJSON *o);

#endif /* PL_CLI_REPAIR_H */
