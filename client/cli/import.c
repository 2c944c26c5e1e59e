/*
 * import.c - `partsledger import`: sites, suppliers, batches or stock from
 * a CSV file (RFC 4180), one signed entry per row, sent in AppendBatch
 * calls, for a warehouse system moving over.
 *
 * An import can be run again after it stopped half way, and appends
 * nothing twice: a row's entry comes out the same bytes each time it is
 * built. Its request_id is derived from the file's name, the type, the
 * row's number and the row's values (pl_request_id_derive), its
 * occurred_at_ms is left out (PL_OCCURRED_UNSET), and Ed25519 signatures
 * are deterministic; so the server answers a row already in the log as a
 * duplicate, with its original index. A row it refused left nothing behind,
 * and is judged again. A row edited in place gets a new id; a row inserted
 * or deleted renumbers the rows after it, which are then new rows.
 *
 * The rules of each kind are the server's: a row is skipped here (a "bad
 * row") only when it cannot be made into an entry at all, because its
 * column count is wrong, a number or a name does not parse, or its quoting
 * is broken.
 *
 * May depend on: cli.h, client.h (and the storage/ headers through it),
 * entry.h for the size of a request id, cJSON.
 */
#include <inttypes.h>
#include <libgen.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "entry.h"

#define CLI_IMPORT_BATCH 500      /* entries per AppendBatch, by default */
#define CLI_IMPORT_BATCH_MAX 1000 /* the server's bound */
#define CLI_CSV_MAX_FIELDS 32     /* more in a row is a bad row */
#define CLI_IMPORT_MAX_COLS 9

/* ---- the types ---- */

struct import;
struct row;

/* Builds the entry of a row whose fields are in the type's column order
 * ("" for a column the header leaves out). 0, or -1 with *why set: a bad
 * row. */
typedef int (*import_build)(struct import *im, char *const *v,
                            Partsledger__V1__Entry **e, const char **why);

struct import_type {
  const char *name;
  const char *cols[CLI_IMPORT_MAX_COLS + 1]; /* ends with NULL */
  unsigned required;                         /* bit per column */
  import_build build;
};

/* One run. */
struct import {
  struct cli *c;
  const struct import_type *type;
  const char *path, *name; /* as given; its base name */
  pl_arena *ba;            /* the batch being built; reset once it is sent */
  int col[CLI_IMPORT_MAX_COLS]; /* column of the type -> field in a row, -1 */
  size_t ncols;                 /* fields in the header */
  /* The batch. */
  Partsledger__V1__SignedEntry **ses;
  uint64_t *rows;
  size_t n, cap;
  /* Counts. */
  uint64_t read, appended, duplicates, refused, bad;
  int progress_pending;       /* a progress line without its newline (a tty) */
  uint64_t shown;             /* rows read when the last progress line was */
  cJSON *refusals, *bad_rows; /* with --json */
};

/* A field as a number, or a bad row. */
static int field_u64(const char *v, int optional, uint64_t *out) {
  *out = 0;
  return optional && v[0] == '\0' ? 0 : cli_parse_u64(v, out);
}

static int field_i64(const char *v, int optional, int64_t *out) {
  *out = 0;
  return optional && v[0] == '\0' ? 0 : cli_parse_i64(v, out);
}

/* A name of `d`, or a bad row with the names it takes. */
static int field_enum(struct import *im, const char *col, const char *v,
                      const ProtobufCEnumDescriptor *d, int *out,
                      const char **why) {
  *out = cli_enum_parse(d, v);
  if (*out >= 0)
    return 0;
  *why = pl_arena_printf(im->c->a, "%s '%s' is not %s", col, v,
                         cli_enum_names(im->c, d));
  return -1;
}

static int build_site(struct import *im, char *const *v,
                      Partsledger__V1__Entry **e, const char **why) {
  int kind;
  double lat, lon;
  if (field_enum(im, "kind", v[1], &partsledger__v1__site_kind__descriptor,
                 &kind, why) != 0)
    return -1;
  if (cli_parse_double(v[4], &lat) != 0 || cli_parse_double(v[5], &lon) != 0) {
    *why = "latitude and longitude must be decimal numbers";
    return -1;
  }
  int rc = pl_build_site_registered(im->ba, v[0], kind, v[2], v[3], lat, lon,
                                    v[6], e);
  *why = rc != 0 ? pl_strerror(rc) : NULL;
  return rc != 0 ? -1 : 0;
}

static int build_supplier(struct import *im, char *const *v,
                          Partsledger__V1__Entry **e, const char **why) {
  static const char *const yes[] = {"true", "yes", "y", "1"};
  static const char *const no[] = {"false", "no", "n", "0", ""};
  int certified = -1;
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
    if (strcasecmp(v[2], yes[i]) == 0)
      certified = 1;
  for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
    if (strcasecmp(v[2], no[i]) == 0)
      certified = 0;
  if (certified < 0) {
    *why = "certified must be true or false (yes/no, 1/0, or empty)";
    return -1;
  }
  int rc = pl_build_supplier_registered(im->ba, v[0], v[1], certified, v[3], e);
  *why = rc != 0 ? pl_strerror(rc) : NULL;
  return rc != 0 ? -1 : 0;
}

static int build_batch(struct import *im, char *const *v,
                       Partsledger__V1__Entry **e, const char **why) {
  int part_class;
  uint64_t months, quantity;
  int64_t produced;
  if (field_enum(im, "part_class", v[4],
                 &partsledger__v1__part_class__descriptor, &part_class,
                 why) != 0)
    return -1;
  if (field_u64(v[5], 1, &months) != 0 || months > UINT32_MAX) {
    *why = "warranty_months must be a whole number of months";
    return -1;
  }
  if (field_i64(v[6], 1, &produced) != 0) {
    *why = "produced_at_ms must be an integer (Unix milliseconds)";
    return -1;
  }
  if (field_u64(v[7], 0, &quantity) != 0) {
    *why = "quantity must be a non-negative integer";
    return -1;
  }
  /* serials: "S1;S2;S3", empty pieces skipped. */
  size_t n = 0, cap = 1;
  for (const char *p = v[8]; *p != '\0'; p++)
    cap += *p == ';';
  char **serials = pl_arena_alloc(im->ba, cap * sizeof(char *));
  char *copy = pl_arena_dup(im->ba, v[8], strlen(v[8]) + 1);
  if (serials == NULL || copy == NULL) {
    *why = "out of memory";
    return -1;
  }
  for (char *s = copy, *next; s != NULL; s = next) {
    next = strchr(s, ';');
    if (next != NULL)
      *next++ = '\0';
    if (*s != '\0')
      serials[n++] = s;
  }
  int rc = pl_build_batch_registered(im->ba, v[0], v[1], v[2], v[3], part_class,
                                     (uint32_t)months, produced, quantity,
                                     serials, n, e);
  *why = rc != 0 ? pl_strerror(rc) : NULL;
  return rc != 0 ? -1 : 0;
}

static int build_stock(struct import *im, char *const *v,
                       Partsledger__V1__Entry **e, const char **why) {
  uint64_t quantity;
  if (field_u64(v[2], 0, &quantity) != 0) {
    *why = "quantity must be a non-negative integer";
    return -1;
  }
  int rc = pl_build_stock_received(im->ba, v[0], v[1], quantity, v[3], e);
  *why = rc != 0 ? pl_strerror(rc) : NULL;
  return rc != 0 ? -1 : 0;
}

#define CLI_BIT(i) (1u << (i))

static const struct import_type import_types[] = {
    {"sites",
     {"site_id", "kind", "name", "region", "latitude", "longitude", "gln"},
     CLI_BIT(0) | CLI_BIT(1) | CLI_BIT(2) | CLI_BIT(4) | CLI_BIT(5),
     build_site},
    {"suppliers",
     {"supplier_id", "name", "certified", "gln"},
     CLI_BIT(0) | CLI_BIT(1),
     build_supplier},
    {"batches",
     {"batch_id", "supplier_id", "sku", "gtin", "part_class", "warranty_months",
      "produced_at_ms", "quantity", "serials"},
     CLI_BIT(0) | CLI_BIT(1) | CLI_BIT(2) | CLI_BIT(4) | CLI_BIT(7),
     build_batch},
    {"stock",
     {"site_id", "batch_id", "quantity", "reference"},
     CLI_BIT(0) | CLI_BIT(1) | CLI_BIT(2),
     build_stock},
};

#define CLI_N_TYPES (sizeof(import_types) / sizeof(import_types[0]))

static const struct import_type *type_named(const char *name) {
  for (size_t i = 0; i < CLI_N_TYPES; i++)
    if (strcmp(import_types[i].name, name) == 0)
      return &import_types[i];
  return NULL;
}

/* The type a file's base name says: "stock.csv", or "stock-2024-05.csv"
 * ("-", "_" or "." after the type's name). NULL when it says none. */
static const struct import_type *type_of_name(const char *base) {
  size_t len = strlen(base);
  if (len < 4 || strcasecmp(base + len - 4, ".csv") != 0)
    return NULL;
  for (size_t i = 0; i < CLI_N_TYPES; i++) {
    size_t n = strlen(import_types[i].name);
    if (strncasecmp(base, import_types[i].name, n) == 0 &&
        (base[n] == '.' || base[n] == '-' || base[n] == '_'))
      return &import_types[i];
  }
  return NULL;
}

/* ---- CSV (RFC 4180) ---- */

struct csv {
  const char *p, *end;
  uint64_t row; /* of the record last read; the header is row 1 */
};

struct record {
  char **fields;
  size_t n;
  const char *raw; /* the record's bytes, without its line break ("" for
                    * a blank line) */
  size_t raw_len;
  const char *err; /* why it is not a record, or NULL */
};

/* The next record, its fields decoded into `a`. 1, or 0 at the end of the
 * text. A malformed record (a quote left open, text after a closing quote,
 * a quote inside an unquoted field, too many fields) comes back with `err`
 * set, and reading goes on at the line after the one the record starts on:
 * a quote left open would otherwise take every line after it into one bad
 * record, up to the end of the file or the next quote. */
static int csv_next(struct csv *s, pl_arena *a, struct record *r) {
  if (s->p >= s->end)
    return 0;
  memset(r, 0, sizeof(*r));
  s->row++;
  r->raw = s->p;
  /* Where the record ends at the latest: the first line break outside
   * quotes. Its fields fit in that many bytes, and the parse below never
   * reads past it (it stops at the first misplaced quote). */
  const char *p = s->p, *end = s->p;
  for (int quoted = 0; end < s->end && (quoted || *end != '\n'); end++)
    quoted ^= *end == '"';
  if (end < s->end)
    end++;
  r->fields = pl_arena_alloc(a, CLI_CSV_MAX_FIELDS * sizeof(char *));
  char *buf = pl_arena_alloc(a, (size_t)(end - p) + 1);
  if (r->fields == NULL || buf == NULL) {
    r->err = "out of memory";
    s->p = s->end;
    return 1;
  }
  for (;;) {
    char *out = buf;
    if (p < end && *p == '"') {
      for (p++;;) {
        if (p >= end) {
          r->err = "a quoted field is not closed";
          break;
        }
        if (*p == '"' && p + 1 < end && p[1] == '"') {
          *out++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          *out++ = *p++;
        }
      }
      if (r->err == NULL && p < end && *p != ',' && *p != '\n' &&
          !(*p == '\r' && p + 1 < end && p[1] == '\n'))
        r->err = "text after a closing quote";
    } else {
      while (p < end && *p != ',' && *p != '\n' &&
             !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
        if (*p == '"')
          r->err = "a quote inside an unquoted field (quote the field, and "
                   "double the quote)";
        *out++ = *p++;
      }
    }
    if (r->err != NULL)
      break;
    *out++ = '\0';
    if (r->n == CLI_CSV_MAX_FIELDS) {
      r->err = "too many fields";
      break;
    }
    r->fields[r->n++] = buf;
    buf = out;
    if (p < end && *p == ',') {
      p++;
      continue;
    }
    break;
  }
  if (r->err != NULL) {
    /* Go on at the next line after the record's start: the first line
     * break, in quotes or not, ends the bad record. */
    const char *nl = memchr(r->raw, '\n', (size_t)(s->end - r->raw));
    p = nl != NULL ? nl : s->end;
    end = p < s->end ? p + 1 : s->end;
  }
  r->raw_len = (size_t)(p - r->raw);
  if (r->raw_len > 0 && p < end && *p == '\n' && p[-1] == '\r')
    r->raw_len--;
  if (p < end && *p == '\r')
    p++;
  if (p < end && *p == '\n')
    p++;
  s->p = p;
  return 1;
}

/* ---- reporting ---- */

/* Ends a progress line left open on a terminal, before another message. */
static void progress_break(struct import *im) {
  if (im->progress_pending) {
    fputc('\n', stderr);
    im->progress_pending = 0;
  }
}

static void progress(struct import *im, int last) {
  progress_break(im);
  fprintf(stderr,
          "import %s: %" PRIu64 " rows read, %" PRIu64 " appended, %" PRIu64
          " already there, %" PRIu64 " refused, %" PRIu64 " bad",
          im->name, im->read, im->appended, im->duplicates, im->refused,
          im->bad);
  im->shown = im->read;
  /* On a terminal the line is rewritten in place; in a log, one a batch. */
  if (!last && isatty(STDERR_FILENO)) {
    fputc('\r', stderr);
    im->progress_pending = 1;
  } else {
    fputc('\n', stderr);
  }
}

static void bad_row(struct import *im, uint64_t row, const char *why) {
  im->bad++;
  progress_break(im);
  fprintf(stderr, "%s: row %" PRIu64 ": %s; skipped\n", im->name, row, why);
  if (im->bad_rows != NULL) {
    cJSON *o = cJSON_CreateObject();
    cli_json_add_u64(o, "row", row);
    cJSON_AddStringToObject(o, "message", why);
    cJSON_AddItemToArray(im->bad_rows, o);
  }
}

static void refused(struct import *im, uint64_t row, int code,
                    const char *msg) {
  im->refused++;
  progress_break(im);
  fprintf(stderr, "%s: row %" PRIu64 ": %s: %s\n", im->name, row,
          pl_status_name(code), msg);
  if (im->refusals != NULL) {
    cJSON *o = cJSON_CreateObject();
    cli_json_add_u64(o, "row", row);
    cJSON_AddStringToObject(o, "status", pl_status_name(code));
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddItemToArray(im->refusals, o);
  }
}

/* ---- the run ---- */

/* Maps the header's columns to the type's. 0 or an exit status. */
static int read_header(struct import *im, const struct record *h) {
  struct cli *c = im->c;
  const struct import_type *t = im->type;
  if (h->err != NULL)
    return cli_input_error("%s: row 1 (the header): %s", im->path, h->err);
  for (size_t k = 0; k < CLI_IMPORT_MAX_COLS; k++)
    im->col[k] = -1;
  for (size_t i = 0; i < h->n; i++) {
    /* Names as people type them: any case, spaces around. */
    char *name = h->fields[i];
    name += strspn(name, " \t");
    size_t len = strlen(name);
    while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
      name[--len] = '\0';
    size_t k = 0;
    while (t->cols[k] != NULL && strcasecmp(t->cols[k], name) != 0)
      k++;
    if (t->cols[k] == NULL || im->col[k] >= 0) {
      const char *all = "";
      for (size_t j = 0; t->cols[j] != NULL; j++)
        all = pl_arena_printf(c->a, "%s%s%s", all, j ? "," : "", t->cols[j]);
      return cli_input_error("%s: the header %s '%s'; %s files have the "
                             "columns %s",
                             im->path,
                             t->cols[k] == NULL ? "has an unknown column"
                                                : "names twice the column",
                             name, t->name, all);
    }
    im->col[k] = (int)i;
  }
  for (size_t k = 0; t->cols[k] != NULL; k++)
    if ((t->required & CLI_BIT(k)) && im->col[k] < 0)
      return cli_input_error("%s: the header has no column '%s', which %s "
                             "files need",
                             im->path, t->cols[k], t->name);
  im->ncols = h->n;
  return 0;
}

/* Sends the batch and counts its answers. 0, or an exit status when the
 * call itself failed. */
static int send_batch(struct import *im) {
  struct cli *c = im->c;
  if (im->n == 0)
    return 0;
  Partsledger__V1__AppendBatchResponse *r;
  int rc = pl_client_append_batch(c->client, im->ses, im->n, im->ba, &r);
  if (rc == 0 && r->n_results != im->n)
    return cli_fail("the server answered %zu results for %zu entries",
                    r->n_results, im->n);
  if (rc != 0) {
    progress_break(im);
    int ex = cli_server_error(c, rc);
    fprintf(stderr,
            "%s: stopped before row %" PRIu64 "; run the same import again "
            "to go on (rows already in the log are not appended twice)\n",
            im->name, im->rows[0]);
    return ex;
  }
  for (size_t i = 0; i < im->n; i++) {
    const Partsledger__V1__AppendResult *x = r->results[i];
    if (x->code != 0)
      refused(im, im->rows[i], x->code, x->message);
    else if (x->duplicate)
      im->duplicates++;
    else
      im->appended++;
  }
  im->n = 0;
  pl_arena_reset(im->ba);
  progress(im, 0);
  return 0;
}

/* Signs one data row into the batch, or counts it bad. */
static int add_row(struct import *im, const pl_key *k, const struct record *r,
                   uint64_t row) {
  struct cli *c = im->c;
  const char *why = NULL;
  if (r->err != NULL) {
    bad_row(im, row, r->err);
    return 0;
  }
  if (r->n != im->ncols) {
    bad_row(im, row,
            pl_arena_printf(c->a, "%zu fields, and the header has %zu", r->n,
                            im->ncols));
    return 0;
  }
  char *v[CLI_IMPORT_MAX_COLS];
  for (size_t i = 0; i < CLI_IMPORT_MAX_COLS; i++)
    v[i] = im->col[i] >= 0 ? r->fields[im->col[i]] : "";
  Partsledger__V1__Entry *e;
  if (im->type->build(im, v, &e, &why) != 0) {
    bad_row(im, row, why);
    return 0;
  }
  /* The same row, the same entry: no clock, and an id from where the row
   * is and what it says. Its values are taken as read, in the type's
   * column order, so that a file saved again with other quoting, line
   * breaks or column order is still the same rows. */
  char num[24];
  snprintf(num, sizeof(num), "%" PRIu64, row);
  static const char domain[] = "partsledger/v1/import";
  const void *parts[4 + CLI_IMPORT_MAX_COLS] = {domain, im->type->name,
                                                im->name, num};
  size_t lens[4 + CLI_IMPORT_MAX_COLS] = {sizeof(domain) - 1,
                                          strlen(im->type->name),
                                          strlen(im->name), strlen(num)};
  size_t n = 4;
  for (size_t i = 0; im->type->cols[i] != NULL; i++, n++) {
    parts[n] = v[i];
    lens[n] = strlen(v[i]);
  }
  uint8_t *id = pl_arena_alloc(im->ba, PL_REQUEST_ID_BYTES);
  if (id == NULL)
    return cli_fail("out of memory");
  pl_request_id_derive(parts, lens, n, id);
  e->request_id.data = id;
  e->request_id.len = PL_REQUEST_ID_BYTES;
  e->occurred_at_ms = PL_OCCURRED_UNSET;
  Partsledger__V1__SignedEntry *se;
  int rc = pl_entry_build(k, e, im->ba, &se);
  if (rc != 0)
    return cli_fail("cannot sign row %" PRIu64 ": %s", row, pl_strerror(rc));
  im->ses[im->n] = se;
  im->rows[im->n++] = row;
  return im->n == im->cap ? send_batch(im) : 0;
}

static int import_run(struct import *im, const char *text, const pl_key *k) {
  struct cli *c = im->c;
  struct csv s = {text, text + strlen(text), 0};
  /* Spreadsheets start their CSV with a byte-order mark. */
  if (strncmp(s.p, "\xEF\xBB\xBF", 3) == 0)
    s.p += 3;
  struct record r;
  if (!csv_next(&s, c->a, &r))
    return cli_input_error("%s is empty: it needs a header row", im->path);
  int ex = read_header(im, &r);
  if (ex != 0)
    return ex;
  if ((ex = cli_connect(c)) != 0)
    return ex;
  while (csv_next(&s, im->ba, &r)) {
    if (r.err == NULL && r.raw_len == 0)
      continue; /* a blank line */
    im->read++;
    if ((ex = add_row(im, k, &r, s.row)) != 0)
      return ex;
  }
  return send_batch(im);
}

static int cmd_import(struct cli *c) {
  struct import im;
  memset(&im, 0, sizeof(im));
  im.c = c;
  im.path = c->pos[0];
  const char *type = cli_opt(c, "type");
  uint64_t size;
  int ex = cli_opt_u64(c, "batch-size", CLI_IMPORT_BATCH, &size);
  if (ex != 0)
    return ex;
  if (size < 1 || size > CLI_IMPORT_BATCH_MAX)
    return cli_usage_error(c, "--batch-size wants 1 to %d",
                           CLI_IMPORT_BATCH_MAX);
  if (strcmp(im.path, "-") == 0)
    return cli_usage_error(c, "import reads a file, not stdin: the file's "
                              "name is part of each row's request id");
  char *copy = pl_arena_dup(c->a, im.path, strlen(im.path) + 1);
  if (copy == NULL)
    return cli_fail("out of memory");
  im.name = basename(copy);
  im.type = type != NULL ? type_named(type) : type_of_name(im.name);
  if (im.type == NULL && type != NULL)
    return cli_usage_error(c,
                           "--type wants sites, suppliers, batches or "
                           "stock, not '%s'",
                           type);
  if (im.type == NULL)
    return cli_usage_error(c,
                           "cannot tell what %s holds from its name: name "
                           "it sites.csv, suppliers.csv, batches.csv or "
                           "stock.csv, or give --type",
                           im.name);
  const char *text = cli_read_file(c, im.path);
  if (text == NULL)
    return cli_input_error("cannot read %s: %s", im.path, cli_read_error());

  im.cap = (size_t)size;
  im.ses = pl_arena_alloc(c->a, im.cap * sizeof(*im.ses));
  im.rows = pl_arena_alloc(c->a, im.cap * sizeof(*im.rows));
  im.ba = pl_arena_new(0);
  if (c->json) {
    im.refusals = cJSON_CreateArray();
    im.bad_rows = cJSON_CreateArray();
  }
  pl_key *k = NULL;
  if (im.ses == NULL || im.rows == NULL || im.ba == NULL)
    ex = cli_fail("out of memory");
  else
    ex = cli_load_key(c, "key", &k);
  if (ex == 0)
    ex = import_run(&im, text, k);
  pl_key_free(k);
  pl_arena_free(im.ba);
  /* The last line, unless the last batch's already said it all. */
  if (ex == 0 && im.read != im.shown)
    progress(&im, 1);
  progress_break(&im);
  if (ex == 0 && (im.refused > 0 || im.bad > 0))
    ex = CLI_EXIT_FAIL;
  /* The summary, whenever the file was read through. */
  if (ex != CLI_EXIT_OK && ex != CLI_EXIT_FAIL) {
    cJSON_Delete(im.refusals);
    cJSON_Delete(im.bad_rows);
    return ex;
  }
  if (!c->json) {
    printf("%s: %" PRIu64 " rows: %" PRIu64 " appended, %" PRIu64
           " already there, %" PRIu64 " refused, %" PRIu64 " bad\n",
           im.name, im.read, im.appended, im.duplicates, im.refused, im.bad);
    return ex;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", im.path);
  cJSON_AddStringToObject(o, "type", im.type->name);
  cli_json_add_u64(o, "rows", im.read);
  cli_json_add_u64(o, "appended", im.appended);
  cli_json_add_u64(o, "already_there", im.duplicates);
  cli_json_add_u64(o, "refused", im.refused);
  cli_json_add_u64(o, "bad", im.bad);
  cJSON_AddItemToObject(o, "refusals", im.refusals);
  cJSON_AddItemToObject(o, "bad_rows", im.bad_rows);
  cJSON_AddBoolToObject(o, "complete", ex == CLI_EXIT_OK);
  cli_json_emit(o, 0);
  return ex;
}

/* ---- the row ---- */

static const struct cli_opt import_opts[] = {{"key", CLI_VALUE, CLI_REQUIRED},
                                             {"type", CLI_VALUE, 0},
                                             {"batch-size", CLI_VALUE, 0},
                                             {NULL, CLI_FLAG, 0}};

static const struct cli_command commands[] = {
    {"import", "FILE.csv --key KEYFILE [--type TYPE] [--batch-size N]",
     "sign and append the rows of a CSV file, resumably",
     "Reads FILE.csv (RFC 4180: comma-separated, a header row first, fields\n"
     "with commas, quotes or line breaks in double quotes, a quote in one\n"
     "doubled), makes one entry per row, signs it with KEYFILE and sends\n"
     "them in AppendBatch calls of --batch-size entries (default 500, at\n"
     "most 1000), with a progress line on stderr after each.\n"
     "What the file holds is its --type, or its name: sites.csv,\n"
     "suppliers.csv, batches.csv, stock.csv (or stock-2024-05.csv and the\n"
     "like). The header names the columns, in any order; those marked * are\n"
     "needed, the others may be left out:\n"
     "  sites      site_id*,kind*,name*,region,latitude*,longitude*,gln\n"
     "             kind: central_warehouse, warehouse, repair_station or\n"
     "             service_van (signed by an admin)\n"
     "  suppliers  supplier_id*,name*,certified,gln\n"
     "             certified: true/false, yes/no, 1/0 or empty (an admin)\n"
     "  batches    batch_id*,supplier_id*,sku*,gtin,part_class*,\n"
     "             warranty_months,produced_at_ms,quantity*,serials\n"
     "             part_class: original or certified_alternative; serials\n"
     "             separated by ';' (a manufacturer)\n"
     "  stock      site_id*,batch_id*,quantity*,reference\n"
     "             a receipt of the units at the site (a warehouse or\n"
     "             repair station enrolled with every site in the file)\n"
     "Rows are numbered from the header, row 1. A row that cannot be made\n"
     "into an entry (its field count differs from the header's, a number or\n"
     "a name does not parse, its quoting is broken) is reported and skipped\n"
     "(a quote left open ends its row at the end of its first line);\n"
     "one the server refuses is reported with the server's status and\n"
     "message. Blank lines are skipped.\n"
     "Resumable: each row's request id is derived from the file's name, the\n"
     "row's number and its values, and the entry carries no clock time, so\n"
     "running the same import again appends nothing twice: rows already in\n"
     "the log count as \"already there\". Fix a refused or bad row in place\n"
     "and run again; do not insert or delete rows above rows already\n"
     "imported, or rename the file, or those rows are new ones to the log\n"
     "(a registration again is refused as ALREADY_EXISTS; a receipt again\n"
     "would count twice).\n"
     "Exit status: 0 when every row is in the log (new or already there), 1\n"
     "when some were refused or bad or a call failed (run it again to go\n"
     "on), 2 when the file cannot be read or its header is wrong.\n"
     "With --json: {file, type, rows, appended, already_there, refused, bad,\n"
     "refusals: [{row, status, message}], bad_rows: [{row, message}],\n"
     "complete}.\n",
     import_opts, 1, 1, cmd_import},
};

const struct cli_family cli_family_import = {"import", CLI_ROWS(commands),
                                             NULL};
