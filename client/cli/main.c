/*
 * main.c - `partsledger`, the command-line client: the list of command
 * families, the parsing of the command line against their rows, usage and
 * help, and the helpers every command shares (cli.h).
 *
 * main() parses the global options and the command's own options, then calls
 * the command. Each command prints readable text by default and JSON with
 * --json. Errors go to stderr as "error: ..."; a server's error as
 * "error: <gRPC status name>: <server's message>". The exit statuses are
 * listed in cli.h and in --help.
 *
 * May depend on: client.h (and through it the storage/ headers), clock.h
 * and caltime.h for times, cJSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caltime.h"
#include "cli.h"
#include "clock.h"
#include "entry.h"
#include "text.h"

#ifndef PL_VERSION
#error "PL_VERSION must be defined (CMake passes PROJECT_VERSION)"
#endif

/* The families of commands, in the order --help lists them. A new family is
 * a file exporting `const struct cli_family cli_family_<name>`, and one line
 * here. */
#define CLI_FAMILIES(X)                                                        \
  X(ledger)                                                                    \
  X(proof)                                                                     \
  X(actor)                                                                     \
  X(inventory)                                                                 \
  X(inventory_query)                                                           \
  X(trace)                                                                     \
  X(import)                                                                    \
  X(repair)                                                                    \
  X(warranty)                                                                  \
  X(arbitration)                                                               \
  X(audit)

#define CLI__DECLARE(name) extern const struct cli_family cli_family_##name;
CLI_FAMILIES(CLI__DECLARE)
#undef CLI__DECLARE

static const struct cli_family cli__general; /* `version`, below */

#define CLI__ROW(name) &cli_family_##name,
const struct cli_family *const cli_families[] = {
    CLI_FAMILIES(CLI__ROW) /* and last: */ &cli__general,
};
#undef CLI__ROW
const size_t cli_n_families = sizeof(cli_families) / sizeof(cli_families[0]);

#define CLI__USAGE                                                             \
  "usage: partsledger [--server HOST:PORT] [--timeout MS] [--json] "           \
  "COMMAND [ARGS]\n"

/* ---- reporting ---- */

static void cli__error(const char *fmt, va_list ap) {
  fputs("error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

int cli_usage_error(const struct cli *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cli__error(fmt, ap);
  va_end(ap);
  if (c->cmd != NULL)
    fprintf(stderr, "usage: partsledger %s %s\n(see partsledger %s --help)\n",
            c->cmd->name, c->cmd->synopsis, c->cmd->name);
  else
    fputs(CLI__USAGE "(see partsledger --help)\n", stderr);
  return CLI_EXIT_USAGE;
}

int cli_input_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cli__error(fmt, ap);
  va_end(ap);
  return CLI_EXIT_USAGE;
}

int cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cli__error(fmt, ap);
  va_end(ap);
  return CLI_EXIT_FAIL;
}

int cli_server_error(const struct cli *c, int rc) {
  const char *msg = "";
  int st = c->client != NULL ? pl_client_last_status(c->client, &msg) : 0;
  if (st != 0)
    fprintf(stderr, "error: %s: %s\n", pl_status_name(st),
            msg[0] != '\0' ? msg : pl_strerror(rc));
  else
    fprintf(stderr, "error: %s: %s\n", pl_err_name(rc), pl_strerror(rc));
  return CLI_EXIT_FAIL;
}

/* ---- options ---- */

const char *cli_opt(const struct cli *c, const char *name) {
  const char *v = NULL;
  for (int i = 0; i < c->nopts; i++)
    if (strcmp(c->opts[i].name, name) == 0)
      v = c->opts[i].value;
  return v;
}

int cli_opt_count(const struct cli *c, const char *name) {
  int n = 0;
  for (int i = 0; i < c->nopts; i++)
    n += strcmp(c->opts[i].name, name) == 0;
  return n;
}

int cli_parse_u64(const char *s, uint64_t *out) {
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int cli_parse_i64(const char *s, int64_t *out) {
  if (s == NULL || !((*s >= '0' && *s <= '9') ||
                     ((*s == '-' || *s == '+') && s[1] >= '0' && s[1] <= '9')))
    return -1;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int cli_parse_double(const char *s, double *out) {
  /* Decimal only: strtod would also take "nan", "inf" and hex floats. */
  if (s == NULL || s[0] == '\0' || strspn(s, "+-.0123456789eE") != strlen(s))
    return -1;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (errno != 0 || *end != '\0' || !isfinite(v))
    return -1;
  *out = v;
  return 0;
}

int cli_opt_u64(struct cli *c, const char *name, uint64_t dflt, uint64_t *out) {
  const char *v = cli_opt(c, name);
  *out = dflt;
  if (v != NULL && cli_parse_u64(v, out) != 0)
    return cli_usage_error(c, "--%s wants a non-negative integer, not '%s'",
                           name, v);
  return 0;
}

int cli_opt_public_key(struct cli *c, const char *name,
                       uint8_t pk[PL_PUBLIC_KEY_BYTES]) {
  const char *v = cli_opt(c, name);
  if (v == NULL || strlen(v) != 2 * PL_PUBLIC_KEY_BYTES ||
      pl_hex_decode(v, pk, PL_PUBLIC_KEY_BYTES) != 0)
    return cli_usage_error(c, "--%s wants %d hex characters", name,
                           2 * PL_PUBLIC_KEY_BYTES);
  return 0;
}

const char *cli_opt_or(const struct cli *c, const char *name,
                       const char *dflt) {
  const char *v = cli_opt(c, name);
  return v != NULL ? v : dflt;
}

const char **cli_opt_all(struct cli *c, const char *name, size_t *n) {
  int count = cli_opt_count(c, name);
  const char **v = pl_arena_alloc(c->a, (size_t)(count + 1) * sizeof(char *));
  *n = 0;
  if (v == NULL)
    return NULL;
  for (int i = 0; i < c->nopts; i++)
    if (strcmp(c->opts[i].name, name) == 0)
      v[(*n)++] = c->opts[i].value;
  return v;
}

int cli_opt_u32(struct cli *c, const char *name, uint32_t dflt, uint32_t *out) {
  uint64_t v;
  *out = dflt;
  int ex = cli_opt_u64(c, name, dflt, &v);
  if (ex != 0)
    return ex;
  if (v > UINT32_MAX)
    return cli_usage_error(c, "--%s is out of range (at most %" PRIu32 ")",
                           name, UINT32_MAX);
  *out = (uint32_t)v;
  return 0;
}

int cli_opt_i64(struct cli *c, const char *name, int64_t dflt, int64_t *out) {
  const char *v = cli_opt(c, name);
  *out = dflt;
  if (v != NULL && cli_parse_i64(v, out) != 0)
    return cli_usage_error(c, "--%s wants an integer, not '%s'", name, v);
  return 0;
}

int cli_opt_enum(struct cli *c, const char *name,
                 const ProtobufCEnumDescriptor *d, int *out) {
  const char *v = cli_opt(c, name);
  *out = 0;
  if (v == NULL)
    return 0;
  if ((*out = cli_enum_parse(d, v)) < 0)
    return cli_usage_error(c, "--%s wants %s, not '%s'", name,
                           cli_enum_names(c, d), v);
  return 0;
}

_Static_assert(PL_HASH_BYTES == CLI_HEX32_BYTES &&
                   PL_PUBLIC_KEY_BYTES == CLI_HEX32_BYTES,
               "a SHA-256 and a public key are 64 hex characters");

/* `v` (a value of --name) as 64 hex characters into `out`. 0 or an exit
 * status. */
static int cli__hex32(struct cli *c, const char *name, const char *what,
                      const char *v, uint8_t out[CLI_HEX32_BYTES]) {
  if (strlen(v) != 2 * CLI_HEX32_BYTES ||
      pl_hex_decode(v, out, CLI_HEX32_BYTES) != 0)
    return cli_usage_error(c, "--%s wants %s as %d hex characters, not '%s'",
                           name, what, 2 * CLI_HEX32_BYTES, v);
  return 0;
}

int cli_opt_hex32(struct cli *c, const char *name, const char *what,
                  ProtobufCBinaryData *out) {
  const char *v = cli_opt(c, name);
  out->data = NULL;
  out->len = 0;
  if (v == NULL)
    return 0;
  uint8_t *b = pl_arena_alloc(c->a, CLI_HEX32_BYTES);
  if (b == NULL)
    return cli_fail("out of memory");
  int ex = cli__hex32(c, name, what, v, b);
  if (ex != 0)
    return ex;
  out->data = b;
  out->len = CLI_HEX32_BYTES;
  return 0;
}

int cli_opt_hex32_all(struct cli *c, const char *name, const char *what,
                      uint8_t (**out)[CLI_HEX32_BYTES], size_t *n) {
  size_t count;
  const char **v = cli_opt_all(c, name, &count);
  *n = 0;
  *out = pl_arena_alloc(c->a, (count + 1) * CLI_HEX32_BYTES);
  if (v == NULL || *out == NULL)
    return cli_fail("out of memory");
  for (size_t i = 0; i < count; i++) {
    int ex = cli__hex32(c, name, what, v[i], (*out)[i]);
    if (ex != 0)
      return ex;
  }
  *n = count;
  return 0;
}

/* ---- times ---- */

/* `n` digits at *s as a number, *s moved past them. -1 when not digits. */
static int64_t cli__digits(const char **s, int n) {
  int64_t v = 0;
  for (int i = 0; i < n; i++, (*s)++) {
    if (**s < '0' || **s > '9')
      return -1;
    v = v * 10 + (**s - '0');
  }
  return v;
}

int cli_parse_time(const char *s, int64_t *ms) {
  if (strcmp(s, "now") == 0) {
    *ms = pl_now_ms();
    return 0;
  }
  uint64_t u;
  if (cli_parse_u64(s, &u) == 0) {
    if (u > (uint64_t)INT64_MAX)
      return -1;
    *ms = (int64_t)u;
    return 0;
  }
  const char *p = s;
  int64_t y = cli__digits(&p, 4), mo, d, h = 0, mi = 0, sec = 0, frac = 0;
  if (y < 0 || *p++ != '-' || (mo = cli__digits(&p, 2)) < 1 || mo > 12 ||
      *p++ != '-' || (d = cli__digits(&p, 2)) < 1 || d > 31)
    return -1;
  int64_t offset_ms = 0;
  if (*p == 'T' || *p == 't') {
    p++;
    if ((h = cli__digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
        (mi = cli__digits(&p, 2)) < 0 || mi > 59)
      return -1;
    if (*p == ':') {
      p++;
      if ((sec = cli__digits(&p, 2)) < 0 || sec > 59)
        return -1;
      if (*p == '.') {
        p++;
        int n = 0;
        for (; *p >= '0' && *p <= '9'; p++, n++)
          if (n < 3)
            frac = frac * 10 + (*p - '0');
        if (n == 0)
          return -1;
        for (; n < 3; n++)
          frac *= 10;
      }
    }
    if (*p == 'Z' || *p == 'z') {
      p++;
    } else if (*p == '+' || *p == '-') {
      int sign = *p++ == '-' ? -1 : 1;
      int64_t oh = cli__digits(&p, 2), om;
      if (oh < 0 || oh > 23 || *p++ != ':' || (om = cli__digits(&p, 2)) < 0 ||
          om > 59)
        return -1;
      offset_ms = sign * (oh * PL_HOUR_MS + om * 60000);
    } else {
      return -1; /* a time of day needs its zone: never the local one */
    }
  }
  if (*p != '\0')
    return -1;
  /* A day the month does not have (Feb 30) is refused, not carried over. */
  int64_t day = pl_cal_ms(y, (unsigned)mo, (unsigned)d, 0);
  int64_t yy;
  unsigned mm, dd;
  int64_t rest;
  pl_cal_date(day, &yy, &mm, &dd, &rest);
  if (yy != y || mm != (unsigned)mo || dd != (unsigned)d)
    return -1;
  *ms = day + h * PL_HOUR_MS + mi * 60000 + sec * 1000 + frac - offset_ms;
  return 0;
}

int cli_opt_time(struct cli *c, const char *name, int64_t dflt, int64_t *ms) {
  const char *v = cli_opt(c, name);
  *ms = dflt;
  if (v != NULL && cli_parse_time(v, ms) != 0)
    return cli_usage_error(
        c,
        "--%s wants unix milliseconds, an ISO 8601 date-time "
        "(2024-05-01T12:00:00Z), a date or \"now\", not '%s'",
        name, v);
  return 0;
}

int cli_opt_entry_time(struct cli *c, const char *name, int dflt_now,
                       int64_t *ms) {
  const char *v = cli_opt(c, name);
  if (cli_opt(c, "request-id") != NULL) {
    /* The clock would make each retry another entry, which the ledger
     * refuses under the same id (ALREADY_EXISTS). */
    if (v == NULL && dflt_now)
      return cli_usage_error(c,
                             "with --request-id, give --%s TIME: its "
                             "default, now, would make a retry another entry",
                             name);
    if (v != NULL && strcmp(v, "now") == 0)
      return cli_usage_error(c,
                             "with --request-id, give --%s a fixed TIME, not "
                             "now, which would make a retry another entry",
                             name);
  }
  return cli_opt_time(c, name, dflt_now ? pl_now_ms() : 0, ms);
}

/* ---- text and JSON ---- */

char *cli_hex(struct cli *c, const uint8_t *p, size_t n) {
  char *s = pl_arena_alloc(c->a, 2 * n + 1);
  if (s == NULL) {
    fputs("error: out of memory\n", stderr);
    exit(CLI_EXIT_FAIL);
  }
  return pl_hex_encode(p, n, s);
}

int cli_unhex(struct cli *c, const char *s, uint8_t **out, size_t *n) {
  size_t len = strlen(s);
  if (len % 2 != 0)
    return -1;
  *n = len / 2;
  *out = pl_arena_alloc(c->a, *n ? *n : 1);
  if (*out == NULL)
    return -1;
  return *n == 0 ? 0 : pl_hex_decode(s, *out, *n);
}

const char *cli_iso_time(struct cli *c, int64_t ms) {
  char buf[PL_ISO_TIME_MAX];
  pl_cal_iso(ms, buf);
  const char *s = pl_arena_dup(c->a, buf, strlen(buf) + 1);
  return s != NULL ? s : "?";
}

void cli_json_add_u64(cJSON *o, const char *name, uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRIu64, v);
  cJSON_AddRawToObject(o, name, buf);
}

void cli_json_add_i64(cJSON *o, const char *name, int64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRId64, v);
  cJSON_AddRawToObject(o, name, buf);
}

int cli_json_emit(cJSON *o, int compact) {
  char *s =
      o != NULL ? (compact ? cJSON_PrintUnformatted(o) : cJSON_Print(o)) : NULL;
  cJSON_Delete(o);
  if (s == NULL)
    return cli_fail("out of memory");
  puts(s);
  free(s);
  return CLI_EXIT_OK;
}

/* ---- enums ---- */

/* The part of every value's name before the value itself: "SITE_KIND_",
 * from SITE_KIND_UNSPECIFIED, which every enum of the protocol has at 0. */
static size_t cli__enum_prefix(const ProtobufCEnumDescriptor *d) {
  const ProtobufCEnumValue *zero = protobuf_c_enum_descriptor_get_value(d, 0);
  const char *u = zero != NULL ? strstr(zero->name, "UNSPECIFIED") : NULL;
  return u != NULL ? (size_t)(u - zero->name) : 0;
}

const char *cli_enum_name(struct cli *c, const ProtobufCEnumDescriptor *d,
                          int value) {
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
  if (v == NULL) {
    const char *s = pl_arena_printf(c->a, "unknown(%d)", value);
    return s != NULL ? s : "unknown";
  }
  const char *name = v->name + cli__enum_prefix(d);
  char *s = pl_arena_dup(c->a, name, strlen(name) + 1);
  if (s == NULL)
    return "?";
  for (char *p = s; *p != '\0'; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return s;
}

int cli_enum_parse(const ProtobufCEnumDescriptor *d, const char *name) {
  size_t skip = cli__enum_prefix(d);
  if (name == NULL)
    return -1;
  for (unsigned i = 0; i < d->n_values; i++) {
    const ProtobufCEnumValue *v = &d->values[i];
    if (v->value != 0 && strlen(v->name) >= skip &&
        strcasecmp(v->name + skip, name) == 0)
      return v->value;
  }
  return -1;
}

const char *cli_enum_names(struct cli *c, const ProtobufCEnumDescriptor *d) {
  const char *out = "";
  unsigned listed = 0, n = d->n_values;
  for (unsigned i = 0; i < n; i++) {
    if (d->values[i].value == 0)
      continue;
    const char *name = cli_enum_name(c, d, d->values[i].value);
    const char *sep = listed == 0 ? "" : i + 1 == n ? " or " : ", ";
    out = pl_arena_printf(c->a, "%s%s%s", out, sep, name);
    if (out == NULL)
      return "?";
    listed++;
  }
  return out;
}

/* ---- messages as JSON ---- */

/* One value of field `f` at `p` (an element, for a repeated field). */
static cJSON *cli__field_json(struct cli *c, const ProtobufCFieldDescriptor *f,
                              const void *p) {
  char buf[32];
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
    return cJSON_CreateNumber(*(const int32_t *)p);
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
    return cJSON_CreateNumber(*(const uint32_t *)p);
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
    snprintf(buf, sizeof(buf), "%" PRId64, *(const int64_t *)p);
    return cJSON_CreateRaw(buf);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    snprintf(buf, sizeof(buf), "%" PRIu64, *(const uint64_t *)p);
    return cJSON_CreateRaw(buf);
  case PROTOBUF_C_TYPE_FLOAT:
    return cJSON_CreateNumber(*(const float *)p);
  case PROTOBUF_C_TYPE_DOUBLE:
    return cJSON_CreateNumber(*(const double *)p);
  case PROTOBUF_C_TYPE_BOOL:
    return cJSON_CreateBool(*(const protobuf_c_boolean *)p);
  case PROTOBUF_C_TYPE_ENUM:
    return cJSON_CreateString(cli_enum_name(c, f->descriptor, *(const int *)p));
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(char *const *)p;
    return cJSON_CreateString(s != NULL ? s : "");
  }
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *b = p;
    return cJSON_CreateString(cli_hex(c, b->data, b->len));
  }
  case PROTOBUF_C_TYPE_MESSAGE: {
    const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
    return m != NULL ? cli_message_json(c, m) : cJSON_CreateNull();
  }
  }
  return cJSON_CreateNull();
}

/* The size in a message of one element of field `f`. */
static size_t cli__field_size(const ProtobufCFieldDescriptor *f) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    return sizeof(uint64_t);
  case PROTOBUF_C_TYPE_DOUBLE:
    return sizeof(double);
  case PROTOBUF_C_TYPE_BOOL:
    return sizeof(protobuf_c_boolean);
  case PROTOBUF_C_TYPE_ENUM:
    return sizeof(int);
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_MESSAGE:
    return sizeof(void *);
  case PROTOBUF_C_TYPE_BYTES:
    return sizeof(ProtobufCBinaryData);
  default:
    return sizeof(uint32_t);
  }
}

cJSON *cli_message_json(struct cli *c, const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  cJSON *o = cJSON_CreateObject();
  for (unsigned i = 0; o != NULL && i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    const char *base = (const char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      /* Only the member the oneof holds. */
      if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
        continue;
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *(const size_t *)(base + f->quantifier_offset);
      const char *arr = *(char *const *)(base + f->offset);
      cJSON *a = cJSON_AddArrayToObject(o, f->name);
      for (size_t k = 0; a != NULL && k < n; k++)
        cJSON_AddItemToArray(
            a, cli__field_json(c, f, arr + k * cli__field_size(f)));
    } else {
      cJSON_AddItemToObject(o, f->name,
                            cli__field_json(c, f, base + f->offset));
    }
  }
  return o;
}

/* ---- files ---- */

char *cli_read_file(struct cli *c, const char *path) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (buf == NULL)
      break;
    size_t got = fread(buf + len, 1, cap - len - 1, f);
    len += got;
    if (got == 0)
      break;
    if (len + 1 == cap) {
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  int bad = ferror(f);
  int saved = errno;
  if (f != stdin)
    fclose(f);
  char *out = NULL;
  int nul = 0;
  if (buf != NULL && !bad) {
    buf[len] = '\0';
    nul = memchr(buf, '\0', len) != NULL;
    if (!nul)
      out = pl_arena_dup(c->a, buf, len + 1);
  }
  free(buf);
  errno = nul ? EILSEQ : out == NULL && !bad ? ENOMEM : saved;
  return out;
}

const char *cli_read_error(void) {
  return errno == EILSEQ ? "it holds a NUL byte, so it is not text"
                         : strerror(errno);
}

const char *cli_dir_problem(struct cli *c, const char *path) {
  char *copy = pl_arena_dup(c->a, path, strlen(path) + 1);
  if (copy == NULL)
    return NULL;
  const char *dir = dirname(copy);
  struct stat st;
  if (stat(dir, &st) != 0)
    return errno == ENOENT
               ? pl_arena_printf(c->a, "directory %s does not exist", dir)
               : pl_arena_printf(c->a, "directory %s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return pl_arena_printf(c->a, "%s is not a directory", dir);
  if (access(dir, W_OK | X_OK) != 0)
    return pl_arena_printf(c->a, "directory %s: %s", dir, strerror(errno));
  return NULL;
}

/* Writes all of `data` to `fd` and closes it. 0 or -1 with errno set. */
static int cli__write_close(int fd, const char *data) {
  size_t n = strlen(data), done = 0;
  while (done < n) {
    ssize_t put = write(fd, data + done, n - done);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0) {
      int saved = put < 0 ? errno : EIO;
      close(fd);
      errno = saved;
      return -1;
    }
    done += (size_t)put;
  }
  return close(fd);
}

/* The reason a file cannot be created at `path`: its directory's problem
 * when it has one, else strerror(err). */
static const char *cli__create_error(struct cli *c, const char *path, int err) {
  const char *dir = cli_dir_problem(c, path);
  return dir != NULL ? dir : strerror(err);
}

int cli_write_file(struct cli *c, const char *path, const char *data,
                   int replace) {
  if (!replace) {
    /* O_EXCL: a file that appears between a check and the write is still
     * not overwritten. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
      return cli_input_error("%s already exists; not overwriting it", path);
    if (fd < 0)
      return cli_input_error("cannot create %s: %s", path,
                             cli__create_error(c, path, errno));
    if (cli__write_close(fd, data) != 0) {
      int saved = errno;
      unlink(path);
      return cli_fail("cannot write %s: %s", path, strerror(saved));
    }
    return 0;
  }
  /* Replacing: a new file next to it, renamed over it once whole. */
  size_t len = strlen(path);
  char *tmp = malloc(len + sizeof(".XXXXXX"));
  if (tmp == NULL)
    return cli_fail("out of memory");
  memcpy(tmp, path, len);
  memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int saved = errno;
    free(tmp);
    return cli_input_error("cannot create %s: %s", path,
                           cli__create_error(c, path, saved));
  }
  /* mkstemp makes the file 0600; give it what open(0644) would have. */
  mode_t mask = umask(0);
  umask(mask);
  int rc = -1, saved = 0;
  if (fchmod(fd, 0644 & ~mask) != 0) {
    saved = errno;
    close(fd);
  } else if (cli__write_close(fd, data) != 0 || rename(tmp, path) != 0) {
    saved = errno;
  } else {
    rc = 0;
  }
  if (rc != 0)
    unlink(tmp);
  free(tmp);
  if (rc != 0)
    return cli_fail("cannot write %s: %s", path, strerror(saved));
  return 0;
}

/* ---- the server and keys ---- */

int cli_connect(struct cli *c) {
  int rc = pl_client_open(c->server, &c->client);
  if (rc != 0)
    return cli_fail("cannot create a client: %s", pl_strerror(rc));
  pl_client_set_timeout_ms(c->client, c->timeout_ms);
  return 0;
}

int cli_load_key(struct cli *c, const char *opt, pl_key **k) {
  return cli_load_key_file(cli_opt(c, opt), k);
}

int cli_load_key_file(const char *path, pl_key **k) {
  char why[512] = "";
  int rc = pl_key_load(path, k, why, sizeof(why));
  if (rc == PL_EKEYFILE)
    return cli_input_error("cannot load key %s: %s", path,
                           why[0] ? why : pl_strerror(rc));
  if (rc != 0)
    return cli_fail("cannot load key %s: %s", path, pl_strerror(rc));
  return 0;
}

int cli_sign(struct cli *c, Partsledger__V1__Entry *e,
             Partsledger__V1__SignedEntry **se) {
  const char *rid_hex = cli_opt(c, "request-id");
  if (rid_hex != NULL) {
    uint8_t *id;
    size_t n;
    if (cli_unhex(c, rid_hex, &id, &n) != 0 || n != PL_REQUEST_ID_BYTES)
      return cli_usage_error(c, "--request-id wants %d hex characters",
                             2 * PL_REQUEST_ID_BYTES);
    e->request_id.data = id;
    e->request_id.len = n;
    /* A retry must be the same entry, byte for byte: with an id of the
     * caller's, the clock stays out of it. */
    if (e->occurred_at_ms == 0)
      e->occurred_at_ms = PL_OCCURRED_UNSET;
  }
  pl_key *k = NULL;
  int ex = cli_load_key(c, "key", &k);
  if (ex != 0)
    return ex;
  int rc = pl_entry_build(k, e, c->a, se);
  pl_key_free(k);
  if (rc != 0)
    return cli_fail("cannot sign the entry: %s", pl_strerror(rc));
  return 0;
}

int cli_append(struct cli *c, Partsledger__V1__Entry *e) {
  Partsledger__V1__SignedEntry *se;
  int ex = cli_sign(c, e, &se);
  return ex != 0 ? ex : cli_submit(c, se, &e->request_id);
}

int cli_append_built(struct cli *c, int rc, Partsledger__V1__Entry *e) {
  if (rc != 0)
    return cli_fail("cannot build the entry: %s", pl_strerror(rc));
  return cli_append(c, e);
}

int cli_submit(struct cli *c, const Partsledger__V1__SignedEntry *se,
               const ProtobufCBinaryData *request_id) {
  int ex, rc;
  if ((ex = cli_connect(c)) != 0)
    return ex;
  Partsledger__V1__AppendResponse *r;
  if ((rc = pl_client_append(c->client, se, c->a, &r)) != 0)
    return cli_server_error(c, rc);

  const char *lh = cli_hex(c, r->leaf_hash.data, r->leaf_hash.len);
  const char *rid = cli_hex(c, request_id->data, request_id->len);
  if (!c->json) {
    printf("index:      %" PRIu64 "\n", r->index);
    printf("leaf hash:  %s\n", lh);
    printf("request id: %s\n", rid);
    printf("duplicate:  %s\n", r->duplicate ? "yes (already logged)" : "no");
    printf("tree size:  %" PRIu64 "\n", r->tree_size);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cli_json_add_u64(o, "index", r->index);
  cJSON_AddStringToObject(o, "leaf_hash", lh);
  cJSON_AddStringToObject(o, "request_id", rid);
  cJSON_AddBoolToObject(o, "duplicate", r->duplicate);
  cli_json_add_u64(o, "tree_size", r->tree_size);
  cJSON_AddStringToObject(o, "checkpoint", r->checkpoint);
  cJSON *proof = cJSON_AddArrayToObject(o, "inclusion_proof");
  for (size_t i = 0; i < r->n_inclusion_proof; i++)
    cJSON_AddItemToArray(
        proof, cJSON_CreateString(cli_hex(c, r->inclusion_proof[i].data,
                                          r->inclusion_proof[i].len)));
  return cli_json_emit(o, 0);
}

const char *cli_verifier_key(struct cli *c, int required, int *ex) {
  const char *vkey = cli_opt(c, "vkey"), *path = cli_opt(c, "vkey-file");
  *ex = 0;
  if (vkey != NULL && path != NULL) {
    *ex = cli_usage_error(c, "give one of --vkey VKEY and --vkey-file FILE, "
                             "not both");
    return NULL;
  }
  if (vkey == NULL && path == NULL) {
    if (required)
      *ex = cli_usage_error(c, "give the log's verifier key: --vkey VKEY or "
                               "--vkey-file FILE");
    return NULL;
  }
  if (path != NULL) {
    char *s = cli_read_file(c, path);
    if (s == NULL) {
      *ex = cli_input_error("cannot read %s: %s", path, cli_read_error());
      return NULL;
    }
    char *eol = s + strcspn(s, "\r\n");
    if (strcmp(eol, "\n") != 0 && strcmp(eol, "\r\n") != 0 && *eol != '\0') {
      *ex = cli_input_error("%s holds more than one line; a verifier key file "
                            "holds the key alone",
                            path);
      return NULL;
    }
    *eol = '\0';
    vkey = s;
  }
  char name[PL_NOTE_NAME_MAX + 1];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  if (pl_note_vkey_parse(vkey, name, sizeof(name), pk) != 0) {
    /* A file's content is input, not the command line: name the file. */
    if (path != NULL)
      *ex = cli_input_error("%s does not hold a verifier key "
                            "(name+hexid+base64)",
                            path);
    else
      *ex = cli_usage_error(c, "'%s' is not a verifier key (name+hexid+base64)",
                            vkey);
    return NULL;
  }
  return vkey;
}

int cli_page_more(const char *what, uint64_t start, uint64_t next) {
  if (next == 0)
    return 0;
  if (next > start)
    return 1;
  cli_fail("the server's %s does not advance: asked from %" PRIu64
           ", the next page starts at %" PRIu64,
           what, start, next);
  return -1;
}

/* ---- entries ---- */

void cli_show_field(const char *name, const char *value) {
  if (value == NULL || value[0] == '\0')
    return;
  if (strpbrk(value, " \"=\\") == NULL) {
    printf("  %s=%s", name, value);
    return;
  }
  printf("  %s=\"", name);
  for (const char *p = value; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\')
      putchar('\\');
    putchar(*p);
  }
  putchar('"');
}

int cli_show_body(struct cli *c, const Partsledger__V1__Entry *e,
                  enum cli_show how, cJSON *body) {
  for (size_t i = 0; i < cli_n_families; i++)
    if (cli_families[i]->show != NULL && cli_families[i]->show(c, e, how, body))
      return 1;
  return 0;
}

/* ---- version ---- */

static int cmd_version(struct cli *c) {
  if (!c->json) {
    puts("partsledger " PL_VERSION);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "version", PL_VERSION);
  return cli_json_emit(o, 0);
}

static const struct cli_opt no_opts[] = {{NULL, CLI_FLAG, 0}};

static const struct cli_command general_commands[] = {
    {"version", "", "print the version",
     "Prints \"partsledger VERSION\" (with --json: {\"version\": ...}); the\n"
     "same as partsledger --version. Needs no server.\n",
     no_opts, 0, 0, cmd_version},
};

static const struct cli_family cli__general = {
    "other", CLI_ROWS(general_commands), NULL};

/* ---- usage and help ---- */

static void print_usage(FILE *f) {
  fputs(CLI__USAGE, f);
  for (size_t i = 0; i < cli_n_families; i++) {
    const struct cli_family *fam = cli_families[i];
    fprintf(f, "\n%s:\n", fam->title);
    for (size_t k = 0; k < fam->n_commands; k++)
      fprintf(f, "  %-16s %s\n", fam->commands[k].name,
              fam->commands[k].summary);
  }
  fputs("\nglobal options (anywhere on the line):\n"
        "  --server HOST:PORT  the server (default: $PARTSLEDGER_SERVER, "
        "else " CLI_DEFAULT_SERVER ")\n"
        "  --timeout MS        deadline of each call (default 10000; follow: "
        "none)\n"
        "  --json              JSON output for scripts\n"
        "  -h, --help          this text; COMMAND --help for a command's\n"
        "  --version           the version\n"
        "\nexit status:\n"
        "  0  done (verify: the proof holds; health: SERVING)\n"
        "  1  the answer is no: a proof that does not verify, a server that\n"
        "     refused or cannot be reached, NOT_SERVING, a local failure\n"
        "  2  a wrong command line, or a file it names missing, unreadable,\n"
        "     not what the command needs, or one it would not overwrite\n",
        f);
}

static void print_command_help(const struct cli_command *cmd) {
  printf("usage: partsledger %s %s\n\n%s", cmd->name, cmd->synopsis, cmd->help);
  printf("\nglobal options: --server HOST:PORT, --timeout MS, --json\n"
         "exit status: 0 done, 1 the answer is no or the call failed, 2 wrong\n"
         "command line or input (see partsledger --help)\n");
}

static const struct cli_command *find_command(const char *name) {
  for (size_t i = 0; i < cli_n_families; i++)
    for (size_t k = 0; k < cli_families[i]->n_commands; k++)
      if (strcmp(cli_families[i]->commands[k].name, name) == 0)
        return &cli_families[i]->commands[k];
  return NULL;
}

/* Parses argv into `c`. Returns -1 to go on, or an exit status. */
static int parse_args(struct cli *c, int argc, char **argv) {
  int help = 0, version = 0, only_pos = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
      if (c->cmd == NULL) {
        c->cmd = find_command(arg);
        if (c->cmd == NULL)
          return cli_usage_error(c, "unknown command '%s'", arg);
        continue;
      }
      if (c->npos == CLI_MAX_POS || c->npos == c->cmd->max_pos)
        return cli_usage_error(c, "unexpected argument '%s'", arg);
      c->pos[c->npos++] = arg;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      only_pos = 1;
      continue;
    }
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      help = 1;
      continue;
    }
    if (strcmp(arg, "--version") == 0) {
      version = 1;
      continue;
    }
    if (strncmp(arg, "--", 2) != 0)
      return cli_usage_error(c, "unknown option '%s'", arg);

    /* --name=value or --name value */
    char name[64];
    const char *value = NULL, *eq = strchr(arg + 2, '=');
    size_t len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    if (len == 0 || len >= sizeof(name))
      return cli_usage_error(c, "unknown option '%s'", arg);
    memcpy(name, arg + 2, len);
    name[len] = '\0';

    const struct cli_opt *spec = NULL;
    int takes = -1, global = 0;
    if (strcmp(name, "server") == 0 || strcmp(name, "timeout") == 0) {
      takes = CLI_VALUE;
      global = 1;
    } else if (strcmp(name, "json") == 0) {
      takes = CLI_FLAG;
      global = 1;
    } else if (c->cmd != NULL) {
      for (const struct cli_opt *o = c->cmd->opts; o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
          spec = o;
      if (spec != NULL)
        takes = (int)spec->arg;
    }
    if (takes < 0)
      return cli_usage_error(c, "unknown option '--%s'%s", name,
                             c->cmd == NULL ? " (options go after the command)"
                                            : "");
    if (takes == CLI_VALUE) {
      if (eq != NULL)
        value = eq + 1;
      else if (i + 1 < argc)
        value = argv[++i];
      else
        return cli_usage_error(c, "--%s needs a value", name);
    } else if (takes == CLI_OPTIONAL_VALUE) {
      if (eq != NULL)
        value = eq + 1;
      else if (i + 1 < argc && argv[i + 1][0] != '-')
        value = argv[++i];
      else
        value = "";
    } else if (eq != NULL) {
      return cli_usage_error(c, "--%s takes no value", name);
    } else {
      value = "1";
    }

    if (global) {
      if (strcmp(name, "server") == 0) {
        if (!pl_host_port_ok(value))
          return cli_usage_error(
              c, "--server wants HOST:PORT with PORT 0..65535, not '%s'", value);
        c->server = value;
      } else if (strcmp(name, "json") == 0) {
        c->json = 1;
      } else {
        uint64_t ms;
        if (cli_parse_u64(value, &ms) != 0 || ms == 0 ||
            ms > INT64_MAX / 1000000)
          return cli_usage_error(
              c, "--timeout wants a positive number of ms, not '%s'", value);
        c->timeout_ms = (int64_t)ms;
        c->timeout_set = 1;
      }
      continue;
    }
    if (c->nopts == CLI_MAX_OPTS)
      return cli_usage_error(c, "too many options");
    /* The option name must outlive this loop: point into the spec. */
    c->opts[c->nopts].name = spec->name;
    c->opts[c->nopts++].value = value;
  }

  if (help) {
    if (c->cmd != NULL)
      print_command_help(c->cmd);
    else
      print_usage(stdout);
    return CLI_EXIT_OK;
  }
  if (version)
    return cmd_version(c);
  if (c->cmd == NULL) {
    print_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if (c->npos < c->cmd->min_pos)
    return cli_usage_error(c, "missing argument");
  for (const struct cli_opt *o = c->cmd->opts; o->name != NULL; o++)
    if (o->required && cli_opt(c, o->name) == NULL)
      return cli_usage_error(c, "--%s is required", o->name);
  return -1;
}

int main(int argc, char **argv) {
  struct cli c;
  memset(&c, 0, sizeof(c));
  c.server = getenv("PARTSLEDGER_SERVER");
  if (c.server == NULL || c.server[0] == '\0')
    c.server = CLI_DEFAULT_SERVER;
  c.timeout_ms = CLI_DEFAULT_TIMEOUT_MS;

  int rc = parse_args(&c, argc, argv);
  if (rc >= 0)
    return rc;
  if (!pl_host_port_ok(c.server)) /* only the environment's can be wrong here */
    return cli_usage_error(
        &c, "PARTSLEDGER_SERVER wants HOST:PORT with PORT 0..65535, not '%s'",
        c.server);
  if (pl_crypto_init() != 0)
    return cli_fail("cannot initialize libsodium");
  c.a = pl_arena_new(0);
  if (c.a == NULL)
    return cli_fail("out of memory");
  rc = c.cmd->run(&c);
  pl_client_close(c.client);
  pl_arena_free(c.a);
  if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
    rc = cli_fail("cannot write the output: %s", strerror(errno));
  return rc;
}
