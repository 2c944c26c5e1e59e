/*
 * cli.h - private to the `partsledger` command: the types of its command
 * table, the state of one run, and the helpers every family of commands
 * shares.
 *
 * The commands come in families, one file each (actor.c, ledger.c,
 * proof.c, ...). A family exports one struct cli_family: its rows of the
 * command table and, when it writes entries of its own kinds, how to show
 * their bodies. main.c lists the families once (CLI_FAMILIES), parses the
 * command line against their rows and calls the command's run function.
 * Adding a family is one new file and one line in that list.
 *
 * A run function returns the process's exit status; the helpers that report
 * an error print it and return the status too, so a command ends with
 * `return cli_fail(...)`. Names here start with cli_: they are the
 * program's own, never the library's (pl_).
 *
 * May depend on: client.h (and through it the storage/ headers), cJSON.
 */
#ifndef PL_CLI_H
#define PL_CLI_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client.h"

/* Exit statuses, the same for every command:
 * 0  done (verify: the proof holds; health: SERVING).
 * 1  done, and the answer is no: a proof that does not verify, a server
 *    that refused or could not be reached, NOT_SERVING, or a local failure
 *    (out of memory, a write that failed half way).
 * 2  not done, because of what it was given: a wrong command line, or a
 *    file it names that is missing, unreadable or not what the command needs
 *    (a key file, a proof document, a checkpoint note), or one it would
 *    write that already exists or whose directory does not. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

#define CLI_DEFAULT_SERVER "127.0.0.1:50051"
#define CLI_DEFAULT_TIMEOUT_MS 10000
#define CLI_MAX_OPTS 64
#define CLI_MAX_POS 4

struct cli;

/* ---- the command table ---- */

/* Whether an option takes a value. An optional value is the next argument
 * unless that starts with '-' ("--consistency 5", "--consistency=5", or a
 * bare "--consistency"); a bare one reads as "". */
enum cli_arg { CLI_FLAG, CLI_VALUE, CLI_OPTIONAL_VALUE };
#define CLI_REQUIRED 1

struct cli_opt {
  const char *name; /* without the leading "--" */
  enum cli_arg arg;
  int required;
};

struct cli_command {
  const char *name;
  const char *synopsis;
  const char *summary; /* one line, for the list in --help */
  const char *help;    /* for COMMAND --help */
  const struct cli_opt *opts; /* ends with a NULL name */
  int min_pos, max_pos;       /* positional arguments */
  int (*run)(struct cli *c);  /* the exit status */
};

/* The three ways an entry is shown: `get`'s full form (indented lines of
 * "  field:       value"), `list` and `follow`'s one line (each field as
 * "  name=value", appended to the line), and JSON (fields added to the
 * entry's "body" object). */
enum cli_show { CLI_SHOW_FULL, CLI_SHOW_LINE, CLI_SHOW_JSON };

struct cli_family {
  const char *title; /* heading of its commands in --help */
  const struct cli_command *commands;
  size_t n_commands;
  /* Shows the body of an entry of one of the family's kinds, and returns 1;
   * returns 0 for a kind it does not know. `body` is the JSON object to
   * fill for CLI_SHOW_JSON, else NULL. NULL for a family writing no kind. */
  int (*show)(struct cli *c, const Partsledger__V1__Entry *e, enum cli_show how,
              cJSON *body);
};

#define CLI_ROWS(rows) (rows), (sizeof(rows) / sizeof((rows)[0]))

/* Every family, in the order --help lists them (main.c). */
extern const struct cli_family *const cli_families[];
extern const size_t cli_n_families;

/* ---- one run ---- */

struct cli {
  const char *server;
  int64_t timeout_ms;
  int timeout_set;
  int json;
  const struct cli_command *cmd;
  const char *pos[CLI_MAX_POS];
  int npos;
  struct {
    const char *name, *value;
  } opts[CLI_MAX_OPTS];
  int nopts;
  pl_client *client; /* opened by cli_connect */
  pl_arena *a;       /* freed when the command ends */
};

/* ---- reporting: each prints "error: ..." and returns the exit status ---- */

/* A wrong command line: also prints the command's usage line. */
int cli_usage_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* What the command was given is not what it needs (a missing or malformed
 * file, a file it would overwrite): CLI_EXIT_USAGE, without the usage line. */
int cli_input_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Anything else that failed: CLI_EXIT_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A failed call, the way the server put it: "error: <STATUS>: <message>". */
int cli_server_error(const struct cli *c, int rc);

/* ---- options ---- */

/* The value of --name (the last one given), "1" for a flag, "" for an
 * optional value not given; NULL when absent. */
const char *cli_opt(const struct cli *c, const char *name);
int cli_opt_count(const struct cli *c, const char *name);
/* Strict unsigned decimal: digits only, no sign, no overflow. 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);
/* Strict signed decimal: an optional sign, then digits only. 0 or -1. */
int cli_parse_i64(const char *s, int64_t *out);
/* A finite decimal number ("52.52", "-0.5", "1e3"; not "nan" or hex). 0 or
 * -1. */
int cli_parse_double(const char *s, double *out);
/* Each cli_opt_* below reads --name and returns 0, or the exit status of
 * the usage error it printed (naming the option and what it wants). */

/* --name's value, `dflt` when absent ("" for an optional text left out). */
const char *cli_opt_or(const struct cli *c, const char *name, const char *dflt);
/* Every value of the repeated option --name, in the order given, into the
 * arena (room for one more, so never a 0-byte allocation). NULL when out of
 * memory. */
const char **cli_opt_all(struct cli *c, const char *name, size_t *n);
/* --name as an unsigned integer, `dflt` when absent. */
int cli_opt_u64(struct cli *c, const char *name, uint64_t dflt, uint64_t *out);
/* --name as an unsigned integer of 32 bits (months, days, a page size),
 * `dflt` when absent. */
int cli_opt_u32(struct cli *c, const char *name, uint32_t dflt, uint32_t *out);
/* --name as a signed integer, `dflt` when absent. */
int cli_opt_i64(struct cli *c, const char *name, int64_t dflt, int64_t *out);
/* --name as a value of enum `d` (cli_enum_parse); 0 when absent. */
int cli_opt_enum(struct cli *c, const char *name,
                 const ProtobufCEnumDescriptor *d, int *out);
/* --name as a public key of 64 hex characters (required). */
int cli_opt_public_key(struct cli *c, const char *name,
                       uint8_t pk[PL_PUBLIC_KEY_BYTES]);

/* A SHA-256 and a public key are both 32 bytes, 64 hex characters on the
 * command line. */
#define CLI_HEX32_BYTES 32
/* --name as 64 hex characters, decoded into the arena; {NULL, 0} when
 * absent. `what` names the value in the error: "a SHA-256". */
int cli_opt_hex32(struct cli *c, const char *name, const char *what,
                  ProtobufCBinaryData *out);
/* Every value of the repeated --name as 64 hex characters, decoded into the
 * arena in the order given. */
int cli_opt_hex32_all(struct cli *c, const char *name, const char *what,
                      uint8_t (**out)[CLI_HEX32_BYTES], size_t *n);

/* The log's verifier key, from --vkey or from the one line of --vkey-file
 * (the command must list both options). NULL after printing the error,
 * with the exit status in *ex; *ex is 0 otherwise. Unless `required`,
 * neither option given is no error: NULL with *ex 0. */
const char *cli_verifier_key(struct cli *c, int required, int *ex);

/* ---- times ----
 * A time on the command line is unix milliseconds (digits only), an ISO 8601
 * date-time ("2024-05-01T12:00:00Z", seconds and fraction optional, "Z" or
 * an offset "+02:00"), a date ("2024-05-01", midnight UTC), or "now". */

/* 0 and *ms, or -1. */
int cli_parse_time(const char *s, int64_t *ms);
/* --name as a time; `dflt` when absent. */
int cli_opt_time(struct cli *c, const char *name, int64_t dflt, int64_t *ms);
/* --name as a time that goes into an entry. A retry with --request-id must
 * be the same entry, so with --request-id the time must be fixed: "now" is
 * refused, and so is leaving out an option that defaults to now
 * (`dflt_now`). Absent and not `dflt_now`: 0. */
int cli_opt_entry_time(struct cli *c, const char *name, int dflt_now,
                       int64_t *ms);

/* ---- enums ----
 * A proto enum's values by their names in lower case without the enum's
 * prefix: SITE_KIND_CENTRAL_WAREHOUSE is "central_warehouse". The names are
 * the proto's, so they are written once. */

/* The name of `value`, in the arena: "unspecified" for 0, "unknown(N)" for
 * a value the enum does not have. */
const char *cli_enum_name(struct cli *c, const ProtobufCEnumDescriptor *d,
                          int value);
/* The value named `name` (any case), or -1: also for "unspecified", which
 * no command accepts. */
int cli_enum_parse(const ProtobufCEnumDescriptor *d, const char *name);
/* The names cli_enum_parse takes, as "a, b or c" for a message, in the
 * arena. */
const char *cli_enum_names(struct cli *c, const ProtobufCEnumDescriptor *d);

/* ---- text and JSON ---- */

/* Hex of `n` bytes, in the arena. */
char *cli_hex(struct cli *c, const uint8_t *p, size_t n);
/* A hex string of any even length, decoded into the arena. 0 or -1. */
int cli_unhex(struct cli *c, const char *s, uint8_t **out, size_t *n);
/* "2024-05-01T12:00:00.123Z", in the arena. */
const char *cli_iso_time(struct cli *c, int64_t ms);
/* Exact integers in JSON (cJSON numbers are doubles, which would round
 * values past 2^53). */
void cli_json_add_u64(cJSON *o, const char *name, uint64_t v);
void cli_json_add_i64(cJSON *o, const char *name, int64_t v);
/* Every field of a message, under its proto name, as the rest of the
 * CLI's JSON writes them: 64-bit integers exact, enums by cli_enum_name,
 * bytes in hex, repeated fields as arrays, a oneof as the member it holds.
 * The caller owns the object (NULL when out of memory). */
cJSON *cli_message_json(struct cli *c, const ProtobufCMessage *m);
/* Prints and frees a JSON value, formatted unless `compact`. An exit status. */
int cli_json_emit(cJSON *o, int compact);

/* ---- files ---- */

/* A whole text file ("-" is stdin), NUL-terminated, in the arena. NULL with
 * errno set when it cannot; EILSEQ when it holds a NUL byte, which would cut
 * the text short for C and not for other readers. */
char *cli_read_file(struct cli *c, const char *path);
/* Why cli_read_file failed, for a message. */
const char *cli_read_error(void);
/* Writes `data` to a new file `path` (mode 0644), or replaces an existing one
 * when `replace` (through a rename, so a failed write leaves the old file
 * whole). 0, or an exit status with the error printed: CLI_EXIT_USAGE when
 * the file exists (and !replace) or cannot be created there. */
int cli_write_file(struct cli *c, const char *path, const char *data,
                   int replace);
/* Says why a file cannot be created at `path` when its directory is the
 * reason (missing, not a directory, not writable): "directory /x does not
 * exist". NULL when the directory looks fine. In the arena. */
const char *cli_dir_problem(struct cli *c, const char *path);

/* ---- the server and keys ---- */

/* Opens the client on --server with --timeout. 0 or an exit status. */
int cli_connect(struct cli *c);
/* Loads the key file named by --opt. 0 or an exit status. */
int cli_load_key(struct cli *c, const char *opt, pl_key **k);
/* Loads the key file `path`. 0 or an exit status (CLI_EXIT_USAGE when the
 * file is missing or is not a key file). */
int cli_load_key_file(const char *path, pl_key **k);
/* cli_append in two steps, for commands that do something between them
 * (co-sign, or keep a draft): cli_sign sets the request id as cli_append
 * does and signs `e` with the key from --key into *se (in the arena);
 * cli_submit appends `se` and prints the result as cli_append does.
 * `request_id` is the entry's. Each returns an exit status. */
int cli_sign(struct cli *c, Partsledger__V1__Entry *e,
             Partsledger__V1__SignedEntry **se);
int cli_submit(struct cli *c, const Partsledger__V1__SignedEntry *se,
               const ProtobufCBinaryData *request_id);
/* Sets e's request_id from --request-id when the command was given one
 * (else pl_entry_build makes one), signs `e` with the key from --key,
 * appends it and prints the result: index, leaf hash, request id, whether
 * it was a duplicate, tree size (and with --json the checkpoint and the
 * inclusion proof). An exit status. */
int cli_append(struct cli *c, Partsledger__V1__Entry *e);
/* cli_append of the entry a builder (pl_build_*) made, given the builder's
 * return code `rc` (a builder fails only when out of memory). */
int cli_append_built(struct cli *c, int rc, Partsledger__V1__Entry *e);

/* ---- inventory, shared by its families ---- */

/* A batch as `batch-info` prints it: "label:  value" lines. */
void cli_batch_print(struct cli *c, const Partsledger__V1__Batch *b);

/* ---- traces and histories, shared by trace.c and warranty.c ---- */

enum cli_subject { CLI_SUBJECT_BATCH, CLI_SUBJECT_DEVICE, CLI_SUBJECT_PART };

/* The facts of one batch, device or part, in log order, with their proofs
 * (when fetched with them) in the tree of one checkpoint. In the arena. */
struct cli_facts {
  enum cli_subject subject;
  const char *id;
  Partsledger__V1__Batch *batch; /* a batch's, as fetched; else NULL */
  Partsledger__V1__Fact **facts;
  size_t n;
  uint64_t next_start;    /* a batch's: where the next page starts, 0: end */
  const char *checkpoint; /* NULL without proofs */
  uint64_t tree_size;
};

/* "batch", "device" or "part". */
const char *cli_subject_name(enum cli_subject s);

/* The trace of batch `id` (TraceBatch) from position `start`: one page of
 * `page` facts (0: the server's default), or with `all` every page to the
 * end. With `proofs`, facts of pages answered for an older tree are proven
 * again (GetInclusionProof) in the last page's, so that its checkpoint
 * covers them all. A server whose pages do not advance, or whose proof is
 * for another entry or size than asked, is an error. 0 or an exit status. */
int cli_trace_batch_fetch(struct cli *c, const char *id, uint64_t start,
                          uint32_t page, int all, int proofs,
                          struct cli_facts *t);

/* Checks every fact of `t` offline against its checkpoint with the log's
 * verifier key: the checkpoint's signature and size, then each fact's
 * inclusion proof, its author's signature, and that it says what its signed
 * entry says (pl_verify_fact for a batch's, pl_verify_history_fact and the
 * subject for a device's or a part's). Prints "OK     ..." or "FAILED entry
 * N (kind): ..." per fact and a last line, or with --json one report. The
 * exit status: 0 when every fact holds, 1 when one does not (or there is
 * none, or the checkpoint does not hold), 2 when facts carry no proofs. */
int cli_facts_verify(struct cli *c, const char *vkey,
                     const struct cli_facts *t);

/* Whether to ask for another page after an answer to position `start` whose
 * next_start is `next`: 0 at the end (next is 0), 1 when next is past start,
 * and -1 after printing an error naming `what` when it is not: a server
 * whose pages do not advance would be asked forever. */
int cli_page_more(const char *what, uint64_t start, uint64_t next);

/* ---- repair and warranty, shared with trace.c ---- */

/* `trace device|part ID` and `trace [batch] ID --epcis` (warranty.c): a
 * device's or a part's history, printed, with proofs or verified offline,
 * and the EPCIS 2.0 document of any of the three. An exit status. */
int cli_trace_subject(struct cli *c);

/* ---- entries ---- */

/* One field of the one-line form (CLI_SHOW_LINE), as every family writes
 * it: "  name=value", the value in double quotes (a quote or a backslash in
 * it escaped by a backslash) when it holds a space, a quote, an '=' or a
 * backslash, so that the line splits back into its fields. Nothing for an
 * empty value: the line keeps to what was said. */
void cli_show_field(const char *name, const char *value);

/* Asks the families to show e's body; 0 when none knows its kind. */
int cli_show_body(struct cli *c, const Partsledger__V1__Entry *e,
                  enum cli_show how, cJSON *body);

#endif /* PL_CLI_H */
