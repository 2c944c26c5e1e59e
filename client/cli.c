/*
 * cli.c - `partsledger`, the command-line client: a thin layer over client.h.
 *
 * One table lists the commands; main() parses the global options and the
 * command's own options against it and dispatches. Each command prints
 * readable text by default and JSON with --json. Proof documents (`prove`)
 * are always JSON: they are meant to be stored and checked later by `verify`,
 * which needs no server, only the log's verifier key.
 *
 * Exit status: 0 ok, 1 verification failed or the server (or the local
 * system) refused, 2 the command line is wrong. Server errors are printed as
 * "error: <gRPC status name>: <server's message>".
 *
 * May depend on: client.h (and through it storage/ headers), cJSON.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "entry.h"
#include "note.h"
#include "text.h"

#define PL_EXIT_OK 0
#define PL_EXIT_FAIL 1
#define PL_EXIT_USAGE 2

#define PL_DEFAULT_SERVER "127.0.0.1:50051"
#define PL_DEFAULT_TIMEOUT_MS 10000
#define PL_REQUEST_ID_BYTES 16
#define PL_MAX_OPTS 64
#define PL_MAX_POS 4
/* Integers in JSON documents must survive a trip through a double. */
#define PL_JSON_MAX_INT 9007199254740992.0 /* 2^53 */
/* The gRPC status a deadline ends a call with (this file needs no gRPC
 * header for one number). */
#define PL_GRPC_DEADLINE_EXCEEDED 4

/* ---- the command table ---- */

struct cli;

struct opt_spec {
  const char *name; /* without the leading "--" */
  int takes_value;
  int required;
};

struct command {
  const char *name;
  const char *synopsis;
  const char *summary;
  const char *help;
  const struct opt_spec *opts; /* terminated by a NULL name */
  int min_pos, max_pos;
  int (*run)(struct cli *c);
};

struct cli {
  const char *server;
  int64_t timeout_ms;
  int timeout_set;
  int json;
  const struct command *cmd;
  const char *pos[PL_MAX_POS];
  int npos;
  struct {
    const char *name, *value;
  } opts[PL_MAX_OPTS];
  int nopts;
  pl_client *client;
  pl_arena *a;
};

/* ---- small helpers ---- */

static int usage_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const struct cli *c, const char *fmt, ...) {
  va_list ap;
  fputs("error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if (c->cmd != NULL)
    fprintf(stderr, "usage: partsledger %s %s\n(see partsledger %s --help)\n",
            c->cmd->name, c->cmd->synopsis, c->cmd->name);
  else
    fputs("usage: partsledger [--server HOST:PORT] [--timeout MS] [--json] "
          "COMMAND [ARGS]\n(see partsledger --help)\n",
          stderr);
  return PL_EXIT_USAGE;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...) {
  va_list ap;
  fputs("error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return PL_EXIT_FAIL;
}

/* Reports a failed call the way the server put it. */
static int server_error(const struct cli *c, int rc) {
  const char *msg = "";
  int st = c->client != NULL ? pl_client_last_status(c->client, &msg) : 0;
  if (st != 0)
    fprintf(stderr, "error: %s: %s\n", pl_status_name(st),
            msg[0] != '\0' ? msg : pl_strerror(rc));
  else
    fprintf(stderr, "error: %s: %s\n", pl_err_name(rc), pl_strerror(rc));
  return PL_EXIT_FAIL;
}

static const char *opt_get(const struct cli *c, const char *name) {
  const char *v = NULL;
  for (int i = 0; i < c->nopts; i++)
    if (strcmp(c->opts[i].name, name) == 0)
      v = c->opts[i].value;
  return v;
}

static int opt_count(const struct cli *c, const char *name) {
  int n = 0;
  for (int i = 0; i < c->nopts; i++)
    n += strcmp(c->opts[i].name, name) == 0;
  return n;
}

/* Strict unsigned decimal: digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out) {
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

static int opt_u64(struct cli *c, const char *name, uint64_t dflt,
                   uint64_t *out, int *exit_code) {
  const char *v = opt_get(c, name);
  *out = dflt;
  if (v != NULL && parse_u64(v, out) != 0) {
    *exit_code =
        usage_error(c, "--%s wants a non-negative integer, not '%s'", name, v);
    return -1;
  }
  return 0;
}

static char *hex(struct cli *c, const uint8_t *p, size_t n) {
  char *s = pl_arena_alloc(c->a, 2 * n + 1);
  if (s == NULL) {
    fputs("error: out of memory\n", stderr);
    exit(PL_EXIT_FAIL);
  }
  return pl_hex_encode(p, n, s);
}

/* Decodes a hex string of any even length into the arena. */
static int unhex(struct cli *c, const char *s, uint8_t **out, size_t *n) {
  size_t len = strlen(s);
  if (len % 2 != 0)
    return -1;
  *n = len / 2;
  *out = pl_arena_alloc(c->a, *n ? *n : 1);
  if (*out == NULL)
    return -1;
  return *n == 0 ? 0 : pl_hex_decode(s, *out, *n);
}

/* "2024-05-01T12:00:00.123Z", in the arena. */
static const char *iso_time(struct cli *c, int64_t ms) {
  time_t secs = (time_t)(ms / 1000);
  int frac = (int)(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  struct tm tm;
  char buf[64];
  if (gmtime_r(&secs, &tm) == NULL ||
      strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    return "?";
  return pl_arena_printf(c->a, "%s.%03dZ", buf, frac);
}

/* Adds an exact unsigned integer to a JSON object (cJSON numbers are doubles,
 * which would round values past 2^53). */
static void json_add_u64(cJSON *o, const char *name, uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRIu64, v);
  cJSON_AddRawToObject(o, name, buf);
}

static void json_add_i64(cJSON *o, const char *name, int64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRId64, v);
  cJSON_AddRawToObject(o, name, buf);
}

/* Prints and frees a JSON value; formatted unless `compact`. */
static int json_emit(cJSON *o, int compact) {
  char *s =
      o != NULL ? (compact ? cJSON_PrintUnformatted(o) : cJSON_Print(o)) : NULL;
  cJSON_Delete(o);
  if (s == NULL)
    return fail("out of memory");
  puts(s);
  free(s);
  return PL_EXIT_OK;
}

/* Reads a whole text file ("-" is stdin) into the arena, NUL-terminated.
 * NULL with errno set when it cannot; EILSEQ when the file holds a NUL byte,
 * which would cut the text short for C and not for other readers. */
static char *read_file(struct cli *c, const char *path) {
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
  if (nul)
    errno = EILSEQ;
  return out;
}

/* Why read_file failed, for a message. */
static const char *read_error(void) {
  return errno == EILSEQ ? "it holds a NUL byte, so it is not text" : strerror(errno);
}

static int write_file(const char *path, const char *data) {
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return -1;
  size_t n = strlen(data);
  int ok = fwrite(data, 1, n, f) == n;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static int open_client(struct cli *c) {
  int rc = pl_client_open(c->server, &c->client);
  if (rc != 0)
    return rc;
  pl_client_set_timeout_ms(c->client, c->timeout_ms);
  return 0;
}

static int load_key(struct cli *c, const char *opt, pl_key **k) {
  const char *path = opt_get(c, opt);
  char why[256] = "";
  int rc = pl_key_load(path, k, why, sizeof(why));
  if (rc != 0)
    return fail("cannot load key %s: %s", path, why[0] ? why : pl_strerror(rc));
  return 0;
}

/* ---- checkpoints ---- */

/* Size and origin of a checkpoint note, without checking its signature (the
 * caller only wants to know which tree it names; `verify` checks it). */
static int note_peek(const char *note, char origin[PL_NOTE_NAME_MAX + 1],
                     uint64_t *size, uint8_t root[PL_HASH_BYTES]) {
  const char *end = strstr(note, "\n\n");
  if (end == NULL)
    return PL_EINVAL;
  return pl_checkpoint_parse(note, (size_t)(end - note) + 1, origin,
                             PL_NOTE_NAME_MAX + 1, size, root);
}

/* ---- entries: decoding and printing ---- */

struct decoded {
  const Partsledger__V1__EntryResponse *resp;
  Partsledger__V1__Leaf *leaf;   /* NULL when the leaf does not parse */
  Partsledger__V1__Entry *entry; /* NULL when the entry does not parse */
  int sig_valid;
  int hash_valid; /* the server's leaf_hash is H(0x00 || leaf) */
};

static void decode(struct cli *c, const Partsledger__V1__EntryResponse *r,
                   struct decoded *d) {
  memset(d, 0, sizeof(*d));
  d->resp = r;
  uint8_t lh[PL_HASH_BYTES];
  pl_merkle_leaf_hash(r->leaf.data, r->leaf.len, lh);
  d->hash_valid = r->leaf_hash.len == PL_HASH_BYTES &&
                  memcmp(lh, r->leaf_hash.data, PL_HASH_BYTES) == 0;
  d->leaf = partsledger__v1__leaf__unpack(pl_arena_allocator(c->a), r->leaf.len,
                                          r->leaf.data);
  if (d->leaf == NULL || d->leaf->signed_entry == NULL)
    return;
  const Partsledger__V1__SignedEntry *se = d->leaf->signed_entry;
  d->entry = partsledger__v1__entry__unpack(pl_arena_allocator(c->a),
                                            se->entry.len, se->entry.data);
  d->sig_valid = se->signer.len == PL_PUBLIC_KEY_BYTES &&
                 se->signature.len == PL_SIGNATURE_BYTES &&
                 pl_entry_verify(se->signer.data, se->entry.data, se->entry.len,
                                 se->signature.data) == 0;
}

static cJSON *entry_json(struct cli *c, const struct decoded *d, int raw) {
  cJSON *o = cJSON_CreateObject();
  json_add_u64(o, "index", d->resp->index);
  if (d->leaf != NULL) {
    json_add_i64(o, "integrated_at_ms", d->leaf->integrated_at_ms);
    cJSON_AddStringToObject(o, "integrated_at",
                            iso_time(c, d->leaf->integrated_at_ms));
    if (d->leaf->index != d->resp->index)
      json_add_u64(o, "leaf_index", d->leaf->index);
  }
  if (d->leaf != NULL && d->leaf->signed_entry != NULL) {
    const Partsledger__V1__SignedEntry *se = d->leaf->signed_entry;
    cJSON_AddStringToObject(o, "signer",
                            hex(c, se->signer.data, se->signer.len));
    cJSON_AddBoolToObject(o, "signature_valid", d->sig_valid);
    if (se->n_cosignatures > 0)
      cJSON_AddNumberToObject(o, "cosignatures", (double)se->n_cosignatures);
  }
  const Partsledger__V1__Entry *e = d->entry;
  if (e != NULL) {
    cJSON_AddStringToObject(o, "request_id",
                            hex(c, e->request_id.data, e->request_id.len));
    json_add_i64(o, "occurred_at_ms", e->occurred_at_ms);
    cJSON_AddStringToObject(o, "occurred_at", iso_time(c, e->occurred_at_ms));
    cJSON_AddStringToObject(o, "kind", pl_kind_name(e->body_case));
    cJSON *b = cJSON_AddObjectToObject(o, "body");
    if (e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED &&
        e->actor_enrolled != NULL) {
      const Partsledger__V1__ActorEnrolled *ae = e->actor_enrolled;
      cJSON_AddStringToObject(b, "public_key",
                              hex(c, ae->public_key.data, ae->public_key.len));
      cJSON_AddStringToObject(b, "role", pl_role_name(ae->role));
      cJSON_AddStringToObject(b, "name", ae->name);
      cJSON *sites = cJSON_AddArrayToObject(b, "site_ids");
      for (size_t i = 0; i < ae->n_site_ids; i++)
        cJSON_AddItemToArray(sites, cJSON_CreateString(ae->site_ids[i]));
    } else if (e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED &&
               e->actor_revoked != NULL) {
      const Partsledger__V1__ActorRevoked *ar = e->actor_revoked;
      cJSON_AddStringToObject(b, "public_key",
                              hex(c, ar->public_key.data, ar->public_key.len));
      cJSON_AddStringToObject(b, "reason", ar->reason);
    }
  } else {
    cJSON_AddStringToObject(o, "kind", "undecodable");
  }
  cJSON_AddStringToObject(
      o, "leaf_hash", hex(c, d->resp->leaf_hash.data, d->resp->leaf_hash.len));
  if (!d->hash_valid)
    cJSON_AddBoolToObject(o, "leaf_hash_valid", 0);
  if (raw)
    cJSON_AddStringToObject(o, "leaf",
                            hex(c, d->resp->leaf.data, d->resp->leaf.len));
  return o;
}

/* The full readable form, for `get`. */
static void entry_print(struct cli *c, const struct decoded *d) {
  printf("index:         %" PRIu64 "\n", d->resp->index);
  if (d->leaf == NULL) {
    printf("leaf:          does not parse (%zu bytes)\n", d->resp->leaf.len);
  } else {
    printf("integrated at: %s (%" PRId64 ")\n",
           iso_time(c, d->leaf->integrated_at_ms), d->leaf->integrated_at_ms);
    if (d->leaf->index != d->resp->index)
      printf("leaf index:    %" PRIu64 " (MISMATCH)\n", d->leaf->index);
  }
  if (d->leaf != NULL && d->leaf->signed_entry != NULL) {
    const Partsledger__V1__SignedEntry *se = d->leaf->signed_entry;
    printf("signer:        %s\n", hex(c, se->signer.data, se->signer.len));
    printf("signature:     %s\n", d->sig_valid ? "valid" : "INVALID");
    if (se->n_cosignatures > 0)
      printf("cosignatures:  %zu\n", se->n_cosignatures);
  }
  const Partsledger__V1__Entry *e = d->entry;
  if (e != NULL) {
    printf("request id:    %s\n",
           hex(c, e->request_id.data, e->request_id.len));
    printf("occurred at:   %s (%" PRId64 ")\n", iso_time(c, e->occurred_at_ms),
           e->occurred_at_ms);
    printf("kind:          %s\n", pl_kind_name(e->body_case));
    if (e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED &&
        e->actor_enrolled != NULL) {
      const Partsledger__V1__ActorEnrolled *ae = e->actor_enrolled;
      printf("  public key:  %s\n",
             hex(c, ae->public_key.data, ae->public_key.len));
      printf("  role:        %s\n", pl_role_name(ae->role));
      printf("  name:        %s\n", ae->name);
      printf("  sites:       ");
      for (size_t i = 0; i < ae->n_site_ids; i++)
        printf("%s%s", i ? ", " : "", ae->site_ids[i]);
      printf("%s\n", ae->n_site_ids ? "" : "(none)");
    } else if (e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED &&
               e->actor_revoked != NULL) {
      const Partsledger__V1__ActorRevoked *ar = e->actor_revoked;
      printf("  public key:  %s\n",
             hex(c, ar->public_key.data, ar->public_key.len));
      printf("  reason:      %s\n", ar->reason);
    }
  } else if (d->leaf != NULL) {
    printf("entry:         does not parse\n");
  }
  printf("leaf hash:     %s%s\n",
         hex(c, d->resp->leaf_hash.data, d->resp->leaf_hash.len),
         d->hash_valid ? "" : " (MISMATCH with the leaf bytes)");
}

/* The one-line form, for `list` and `follow`. */
static void entry_line(struct cli *c, const struct decoded *d) {
  const Partsledger__V1__Entry *e = d->entry;
  printf("%-6" PRIu64 " %s  %-14s", d->resp->index,
         d->leaf != NULL ? iso_time(c, d->leaf->integrated_at_ms) : "?",
         e != NULL ? pl_kind_name(e->body_case) : "undecodable");
  if (e != NULL &&
      e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED &&
      e->actor_enrolled != NULL) {
    const Partsledger__V1__ActorEnrolled *ae = e->actor_enrolled;
    printf("  %s \"%s\" key=%s", pl_role_name(ae->role), ae->name,
           hex(c, ae->public_key.data, ae->public_key.len));
  } else if (e != NULL &&
             e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED &&
             e->actor_revoked != NULL) {
    const Partsledger__V1__ActorRevoked *ar = e->actor_revoked;
    printf("  key=%s reason=\"%s\"",
           hex(c, ar->public_key.data, ar->public_key.len), ar->reason);
  }
  if (d->leaf != NULL && d->leaf->signed_entry != NULL) {
    const Partsledger__V1__SignedEntry *se = d->leaf->signed_entry;
    printf("  by=%.16s%s", hex(c, se->signer.data, se->signer.len),
           d->sig_valid ? "" : " (BAD SIGNATURE)");
  }
  putchar('\n');
}

/* ---- commands ---- */

static int cmd_keygen(struct cli *c) {
  const char *path = opt_get(c, "out");
  pl_key *k = NULL;
  int rc = pl_key_generate_file(path, &k);
  if (rc == PL_EEXIST)
    return fail("%s already exists; not overwriting it", path);
  if (rc != 0)
    return fail("cannot write key file %s: %s", path, pl_strerror(rc));
  const char *pub = hex(c, pl_key_public(k), PL_PUBLIC_KEY_BYTES);
  pl_key_free(k);
  if (!c->json) {
    puts(pub);
    return PL_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "key_file", path);
  cJSON_AddStringToObject(o, "public_key", pub);
  return json_emit(o, 0);
}

static int cmd_pubkey(struct cli *c) {
  pl_key *k = NULL;
  if (load_key(c, "key", &k) != 0)
    return PL_EXIT_FAIL;
  const char *pub = hex(c, pl_key_public(k), PL_PUBLIC_KEY_BYTES);
  pl_key_free(k);
  if (!c->json) {
    puts(pub);
    return PL_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "public_key", pub);
  return json_emit(o, 0);
}

/* Reads --public-key into a 32-byte arena buffer. */
static int public_key_opt(struct cli *c, ProtobufCBinaryData *out,
                          int *exit_code) {
  const char *v = opt_get(c, "public-key");
  uint8_t *pk = pl_arena_alloc(c->a, PL_PUBLIC_KEY_BYTES);
  if (pk == NULL || strlen(v) != 2 * PL_PUBLIC_KEY_BYTES ||
      pl_hex_decode(v, pk, PL_PUBLIC_KEY_BYTES) != 0) {
    *exit_code = usage_error(c, "--public-key wants %d hex characters",
                             2 * PL_PUBLIC_KEY_BYTES);
    return -1;
  }
  out->data = pk;
  out->len = PL_PUBLIC_KEY_BYTES;
  return 0;
}

static int request_id_opt(struct cli *c, Partsledger__V1__Entry *e,
                          int *exit_code) {
  const char *v = opt_get(c, "request-id");
  if (v == NULL)
    return 0; /* pl_entry_build picks a random one */
  uint8_t *id;
  size_t n;
  if (unhex(c, v, &id, &n) != 0 || n != PL_REQUEST_ID_BYTES) {
    *exit_code = usage_error(c, "--request-id wants %d hex characters",
                             2 * PL_REQUEST_ID_BYTES);
    return -1;
  }
  e->request_id.data = id;
  e->request_id.len = n;
  /* A retry must be the same entry, byte for byte: with an id of the
   * caller's, the clock stays out of it. */
  e->occurred_at_ms = PL_OCCURRED_UNSET;
  return 0;
}

/* Signs `e` with the key from --key, appends it and reports the result. */
static int sign_and_append(struct cli *c, Partsledger__V1__Entry *e) {
  pl_key *k = NULL;
  if (load_key(c, "key", &k) != 0)
    return PL_EXIT_FAIL;
  Partsledger__V1__SignedEntry *se;
  int rc = pl_entry_build(k, e, c->a, &se);
  pl_key_free(k);
  if (rc != 0)
    return fail("cannot sign the entry: %s", pl_strerror(rc));
  if ((rc = open_client(c)) != 0)
    return fail("cannot create a client: %s", pl_strerror(rc));
  Partsledger__V1__AppendResponse *r;
  if ((rc = pl_client_append(c->client, se, c->a, &r)) != 0)
    return server_error(c, rc);

  const char *lh = hex(c, r->leaf_hash.data, r->leaf_hash.len);
  const char *rid = hex(c, e->request_id.data, e->request_id.len);
  if (!c->json) {
    printf("index:      %" PRIu64 "\n", r->index);
    printf("leaf hash:  %s\n", lh);
    printf("request id: %s\n", rid);
    printf("duplicate:  %s\n", r->duplicate ? "yes (already logged)" : "no");
    printf("tree size:  %" PRIu64 "\n", r->tree_size);
    return PL_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  json_add_u64(o, "index", r->index);
  cJSON_AddStringToObject(o, "leaf_hash", lh);
  cJSON_AddStringToObject(o, "request_id", rid);
  cJSON_AddBoolToObject(o, "duplicate", r->duplicate);
  json_add_u64(o, "tree_size", r->tree_size);
  cJSON_AddStringToObject(o, "checkpoint", r->checkpoint);
  cJSON *proof = cJSON_AddArrayToObject(o, "inclusion_proof");
  for (size_t i = 0; i < r->n_inclusion_proof; i++)
    cJSON_AddItemToArray(proof,
                         cJSON_CreateString(hex(c, r->inclusion_proof[i].data,
                                                r->inclusion_proof[i].len)));
  return json_emit(o, 0);
}

static int cmd_enroll(struct cli *c) {
  int ex = PL_EXIT_USAGE;
  Partsledger__V1__Entry e = PARTSLEDGER__V1__ENTRY__INIT;
  Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
  if (public_key_opt(c, &ae.public_key, &ex) != 0 ||
      request_id_opt(c, &e, &ex) != 0)
    return ex;
  const char *role = opt_get(c, "role");
  int r = pl_role_parse(role);
  ae.role = r > 0 ? (Partsledger__V1__Role)r : PARTSLEDGER__V1__ROLE__ROLE_UNSPECIFIED;
  if (r <= 0)
    return usage_error(c,
                       "unknown role '%s' (admin, manufacturer, warehouse, "
                       "repair_station, arbiter, auditor)",
                       role);
  ae.name = (char *)opt_get(c, "name");
  int n = opt_count(c, "site");
  if (n > 0) {
    ae.site_ids = pl_arena_alloc(c->a, (size_t)n * sizeof(char *));
    if (ae.site_ids == NULL)
      return fail("out of memory");
    for (int i = 0; i < c->nopts; i++)
      if (strcmp(c->opts[i].name, "site") == 0)
        ae.site_ids[ae.n_site_ids++] = (char *)c->opts[i].value;
  }
  e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
  e.actor_enrolled = &ae;
  return sign_and_append(c, &e);
}

static int cmd_revoke(struct cli *c) {
  int ex = PL_EXIT_USAGE;
  Partsledger__V1__Entry e = PARTSLEDGER__V1__ENTRY__INIT;
  Partsledger__V1__ActorRevoked ar = PARTSLEDGER__V1__ACTOR_REVOKED__INIT;
  if (public_key_opt(c, &ar.public_key, &ex) != 0 ||
      request_id_opt(c, &e, &ex) != 0)
    return ex;
  const char *reason = opt_get(c, "reason");
  ar.reason = (char *)(reason != NULL ? reason : "");
  e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED;
  e.actor_revoked = &ar;
  return sign_and_append(c, &e);
}

static int cmd_get(struct cli *c) {
  uint64_t index;
  if (parse_u64(c->pos[0], &index) != 0)
    return usage_error(c, "INDEX must be a non-negative integer, not '%s'",
                       c->pos[0]);
  int raw = opt_get(c, "raw") != NULL;
  int rc = open_client(c);
  if (rc != 0)
    return fail("cannot create a client: %s", pl_strerror(rc));
  Partsledger__V1__EntryResponse *r;
  if ((rc = pl_client_get_entry(c->client, index, c->a, &r)) != 0)
    return server_error(c, rc);
  if (raw && !c->json) {
    puts(hex(c, r->leaf.data, r->leaf.len));
    return PL_EXIT_OK;
  }
  struct decoded d;
  decode(c, r, &d);
  if (c->json)
    return json_emit(entry_json(c, &d, raw), 0);
  entry_print(c, &d);
  return PL_EXIT_OK;
}

static int cmd_list(struct cli *c) {
  uint64_t start, limit;
  int ex = PL_EXIT_USAGE;
  if (opt_u64(c, "start", 0, &start, &ex) != 0 ||
      opt_u64(c, "limit", 100, &limit, &ex) != 0)
    return ex;
  int rc = open_client(c);
  if (rc != 0)
    return fail("cannot create a client: %s", pl_strerror(rc));
  cJSON *all = c->json ? cJSON_CreateArray() : NULL;
  uint64_t printed = 0, next = start, resume = start;
  /* Pages until the limit (0: no limit) or the end of the log. */
  while (limit == 0 || printed < limit) {
    uint64_t want = limit == 0 ? 1000 : limit - printed;
    Partsledger__V1__ListEntriesResponse *r;
    rc = pl_client_list_entries(c->client, next,
                                want > 1000 ? 1000 : (uint32_t)want, c->a, &r);
    if (rc == PL_ERANGE)
      break; /* starting at or past the end: nothing (more) to list */
    if (rc != 0) {
      cJSON_Delete(all);
      return server_error(c, rc);
    }
    for (size_t i = 0; i < r->n_entries && (limit == 0 || printed < limit);
         i++) {
      struct decoded d;
      decode(c, r->entries[i], &d);
      if (c->json)
        cJSON_AddItemToArray(all, entry_json(c, &d, 0));
      else
        entry_line(c, &d);
      printed++;
      resume = r->entries[i]->index + 1;
    }
    if (r->n_entries == 0 || r->next_start <= next)
      break;
    next = r->next_start;
    /* Decoded entries are printed or copied into cJSON: the arena can go. */
    pl_arena_reset(c->a);
  }
  if (!c->json)
    return PL_EXIT_OK;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "entries", all);
  json_add_u64(o, "next_start", resume);
  return json_emit(o, 0);
}

static int cmd_checkpoint(struct cli *c) {
  int rc = open_client(c);
  if (rc != 0)
    return fail("cannot create a client: %s", pl_strerror(rc));
  Partsledger__V1__GetCheckpointResponse *r;
  if ((rc = pl_client_get_checkpoint(c->client, c->a, &r)) != 0)
    return server_error(c, rc);
  const char *out = opt_get(c, "out");
  if (out != NULL && write_file(out, r->checkpoint) != 0)
    return fail("cannot write %s: %s", out, strerror(errno));
  if (!c->json) {
    fputs(r->checkpoint, stdout);
    return PL_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "checkpoint", r->checkpoint);
  json_add_u64(o, "size", r->size);
  cJSON_AddStringToObject(o, "root_hash",
                          hex(c, r->root_hash.data, r->root_hash.len));
  return json_emit(o, 0);
}

static int cmd_info(struct cli *c) {
  int rc = open_client(c);
  if (rc != 0)
    return fail("cannot create a client: %s", pl_strerror(rc));
  Partsledger__V1__GetLogInfoResponse *r;
  if ((rc = pl_client_get_log_info(c->client, c->a, &r)) != 0)
    return server_error(c, rc);
  const char *pk = hex(c, r->public_key.data, r->public_key.len);
  if (!c->json) {
    printf("origin:        %s\n", r->origin);
    printf("verifier key:  %s\n", r->verifier_key);
    printf("public key:    %s\n", pk);
    printf("size:          %" PRIu64 "\n", r->size);
    return PL_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "origin", r->origin);
  cJSON_AddStringToObject(o, "verifier_key", r->verifier_key);
  cJSON_AddStringToObject(o, "public_key", pk);
  json_add_u64(o, "size", r->size);
  return json_emit(o, 0);
}

static int cmd_health(struct cli *c) {
  int rc = open_client(c);
  if (rc != 0)
    return fail("cannot create a client: %s", pl_strerror(rc));
  int serving;
  if ((rc = pl_client_health(c->client, &serving)) != 0)
    return server_error(c, rc);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "serving", serving);
    json_emit(o, 0);
  } else {
    puts(serving ? "SERVING" : "NOT_SERVING");
  }
  return serving ? PL_EXIT_OK : PL_EXIT_FAIL;
}

/* The checkpoint a proof is anchored to: from --checkpoint FILE when given
 * (a note the user kept), else the server's current one. */
static int anchor_checkpoint(struct cli *c, const char **note, uint64_t *size) {
  const char *path = opt_get(c, "checkpoint");
  char origin[PL_NOTE_NAME_MAX + 1];
  uint8_t root[PL_HASH_BYTES];
  if (path != NULL) {
    *note = read_file(c, path);
    if (*note == NULL)
      return fail("cannot read %s: %s", path, read_error());
    if (note_peek(*note, origin, size, root) != 0)
      return fail("%s does not hold a checkpoint note", path);
    return 0;
  }
  Partsledger__V1__GetCheckpointResponse *r;
  int rc = pl_client_get_checkpoint(c->client, c->a, &r);
  if (rc != 0)
    return server_error(c, rc);
  *note = r->checkpoint;
  *size = r->size;
  return 0;
}

static cJSON *proof_json(struct cli *c, ProtobufCBinaryData *h, size_t n) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(hex(c, h[i].data, h[i].len)));
  return a;
}

static int prove_consistency(struct cli *c, uint64_t old_size) {
  const char *old_note = NULL, *old_path = opt_get(c, "old-checkpoint");
  if (old_path != NULL) {
    char origin[PL_NOTE_NAME_MAX + 1];
    uint8_t root[PL_HASH_BYTES];
    uint64_t s;
    old_note = read_file(c, old_path);
    if (old_note == NULL)
      return fail("cannot read %s: %s", old_path, read_error());
    if (note_peek(old_note, origin, &s, root) != 0)
      return fail("%s does not hold a checkpoint note", old_path);
    if (s != old_size)
      return fail("%s is a checkpoint of size %" PRIu64 ", not %" PRIu64,
                  old_path, s, old_size);
  }
  const char *new_note;
  uint64_t new_size, want;
  int ex = PL_EXIT_USAGE;
  if (opt_u64(c, "size", 0, &want, &ex) != 0)
    return ex;
  if (anchor_checkpoint(c, &new_note, &new_size) != 0)
    return PL_EXIT_FAIL;
  if (want != 0 && want != new_size)
    return fail("the checkpoint is for size %" PRIu64 ", not %" PRIu64
                "; pass --checkpoint FILE with a note of size %" PRIu64
                " (the server signs only the current size)",
                new_size, want, want);
  if (old_size > new_size)
    return fail("old size %" PRIu64 " is larger than the new size %" PRIu64,
                old_size, new_size);

  cJSON *proof;
  if (old_size == 0) {
    proof = cJSON_CreateArray(); /* the empty tree needs no proof */
  } else {
    Partsledger__V1__GetConsistencyProofResponse *r;
    int rc = pl_client_get_consistency_proof(c->client, old_size, new_size,
                                             c->a, &r);
    if (rc != 0)
      return server_error(c, rc);
    if (r->old_size != old_size || r->new_size != new_size)
      return fail("the server answered for sizes %" PRIu64 " -> %" PRIu64
                  " instead of %" PRIu64 " -> %" PRIu64,
                  r->old_size, r->new_size, old_size, new_size);
    proof = proof_json(c, r->hashes, r->n_hashes);
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "consistency");
  json_add_u64(o, "old_size", old_size);
  json_add_u64(o, "new_size", new_size);
  if (old_note != NULL)
    cJSON_AddStringToObject(o, "old_checkpoint", old_note);
  cJSON_AddStringToObject(o, "new_checkpoint", new_note);
  cJSON_AddItemToObject(o, "proof", proof);
  return json_emit(o, 0);
}

static int cmd_prove(struct cli *c) {
  const char *cons = opt_get(c, "consistency");
  uint64_t index = 0, old_size = 0;
  if (cons != NULL) {
    if (c->npos != 0)
      return usage_error(c, "--consistency takes no INDEX");
    if (parse_u64(cons, &old_size) != 0)
      return usage_error(c, "--consistency wants the old tree size, not '%s'",
                         cons);
  } else {
    if (c->npos != 1)
      return usage_error(c, "prove wants an INDEX (or --consistency OLD)");
    if (parse_u64(c->pos[0], &index) != 0)
      return usage_error(c, "INDEX must be a non-negative integer, not '%s'",
                         c->pos[0]);
    if (opt_get(c, "old-checkpoint") != NULL)
      return usage_error(c, "--old-checkpoint goes with --consistency");
  }
  int rc = open_client(c);
  if (rc != 0)
    return fail("cannot create a client: %s", pl_strerror(rc));
  if (cons != NULL)
    return prove_consistency(c, old_size);

  const char *note;
  uint64_t size, want;
  int ex = PL_EXIT_USAGE;
  if (opt_u64(c, "size", 0, &want, &ex) != 0)
    return ex;
  /* The checkpoint comes first: its size fixes the tree the proof is for,
   * whatever is appended meanwhile. */
  if (anchor_checkpoint(c, &note, &size) != 0)
    return PL_EXIT_FAIL;
  if (want != 0 && want != size)
    return fail("the checkpoint is for size %" PRIu64 ", not %" PRIu64
                "; pass --checkpoint FILE with a note of size %" PRIu64
                " (the server signs only the current size)",
                size, want, want);
  if (index >= size)
    return fail("entry %" PRIu64 " is not in the tree of size %" PRIu64, index,
                size);
  Partsledger__V1__GetInclusionProofResponse *p;
  if ((rc = pl_client_get_inclusion_proof(c->client, index, size, c->a, &p)) !=
      0)
    return server_error(c, rc);
  if (p->tree_size != size || p->index != index)
    return fail("the server answered for entry %" PRIu64 " in size %" PRIu64
                " instead of entry %" PRIu64 " in size %" PRIu64,
                p->index, p->tree_size, index, size);
  Partsledger__V1__EntryResponse *e;
  if ((rc = pl_client_get_entry(c->client, index, c->a, &e)) != 0)
    return server_error(c, rc);

  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "inclusion");
  json_add_u64(o, "index", index);
  json_add_u64(o, "tree_size", size);
  cJSON_AddStringToObject(o, "leaf", hex(c, e->leaf.data, e->leaf.len));
  cJSON_AddItemToObject(o, "proof", proof_json(c, p->hashes, p->n_hashes));
  cJSON_AddStringToObject(o, "checkpoint", note);
  return json_emit(o, 0);
}

/* ---- verify: offline ---- */

struct verdict {
  int ok;
  char reason[512];
};

static int verdict_fail(struct verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int verdict_fail(struct verdict *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
  va_end(ap);
  v->ok = 0;
  return -1;
}

static int doc_u64(const cJSON *doc, const char *name, uint64_t *out,
                   struct verdict *v) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, name);
  if (cJSON_IsString(n) && parse_u64(n->valuestring, out) == 0)
    return 0;
  if (!cJSON_IsNumber(n) || n->valuedouble < 0 ||
      n->valuedouble >= PL_JSON_MAX_INT ||
      n->valuedouble != (double)(uint64_t)n->valuedouble)
    return verdict_fail(
        v, "field \"%s\" is missing or not a non-negative integer", name);
  *out = (uint64_t)n->valuedouble;
  return 0;
}

static const char *doc_str(const cJSON *doc, const char *name) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, name);
  return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* Parses a proof document strictly, so that it cannot say one thing to this
 * verifier and another to a different JSON reader: nothing may follow the
 * object, no string may hold \u0000 (cJSON would end the string there, other
 * readers would not), and no field may appear twice (readers differ on which
 * one wins). */
#define PL_DOC_MAX_FIELDS 64
static int doc_parse(const char *text, const char *name, cJSON **out,
                     struct verdict *v) {
  *out = NULL;
  for (const char *p = strchr(text, '\\'); p != NULL && p[1] != '\0';
       p = strchr(p + 2, '\\'))
    if (strncmp(p + 1, "u0000", 5) == 0)
      return verdict_fail(v, "%s has \\u0000 in a string; a proof document "
                             "never does", name);
  cJSON *doc = cJSON_ParseWithOpts(text, NULL, 1);
  if (doc == NULL || !cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    return verdict_fail(v, "%s is not a JSON proof document (one object, "
                           "nothing after it)", name);
  }
  int fields = 0;
  for (const cJSON *a = doc->child; a != NULL; a = a->next) {
    if (++fields > PL_DOC_MAX_FIELDS) {
      cJSON_Delete(doc);
      return verdict_fail(v, "%s has over %d fields; a proof document has a "
                             "handful", name, PL_DOC_MAX_FIELDS);
    }
    for (const cJSON *b = a->next; b != NULL; b = b->next)
      if (strcmp(a->string, b->string) == 0) {
        verdict_fail(v, "field \"%s\" appears twice in %s", a->string, name);
        cJSON_Delete(doc);
        return -1;
      }
  }
  *out = doc;
  return 0;
}

static int doc_proof(struct cli *c, const cJSON *doc, pl_hash **out, size_t *n,
                     struct verdict *v) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "proof");
  if (!cJSON_IsArray(p))
    return verdict_fail(v, "field \"proof\" is missing or not an array");
  int count = cJSON_GetArraySize(p);
  if (count > PL_MERKLE_MAX_PROOF)
    return verdict_fail(v, "the proof has %d hashes; at most %d make sense",
                        count, PL_MERKLE_MAX_PROOF);
  *out = pl_arena_alloc(c->a, sizeof(pl_hash) * (size_t)(count ? count : 1));
  if (*out == NULL)
    return verdict_fail(v, "out of memory");
  for (int i = 0; i < count; i++) {
    const cJSON *h = cJSON_GetArrayItem(p, i);
    if (!cJSON_IsString(h) || strlen(h->valuestring) != 2 * PL_HASH_BYTES ||
        pl_hex_decode(h->valuestring, (*out)[i], PL_HASH_BYTES) != 0)
      return verdict_fail(v, "proof hash %d is not %d hex characters", i,
                          2 * PL_HASH_BYTES);
  }
  *n = (size_t)count;
  return 0;
}

/* Verifies a checkpoint note alone, with a reason a person can act on. */
static int check_note(const char *vkey, const char *what, const char *note,
                      uint64_t *size, uint8_t root[PL_HASH_BYTES],
                      struct verdict *v) {
  char origin[PL_NOTE_NAME_MAX + 1];
  uint8_t r[PL_HASH_BYTES];
  if (note_peek(note, origin, size, r) != 0)
    return verdict_fail(v, "the %s is not a well-formed checkpoint note", what);
  int rc = pl_verify_checkpoint(vkey, note, size, root);
  if (rc == PL_EVERIFY) {
    char name[PL_NOTE_NAME_MAX + 1];
    uint8_t pk[PL_PUBLIC_KEY_BYTES];
    if (pl_note_vkey_parse(vkey, name, sizeof(name), pk) == 0 &&
        strcmp(name, origin) != 0)
      return verdict_fail(v,
                          "the %s is for origin \"%s\" but the verifier key is "
                          "for \"%s\"",
                          what, origin, name);
    return verdict_fail(v, "the %s is not signed by the verifier key", what);
  }
  if (rc != 0)
    return verdict_fail(v, "the %s does not verify: %s", what, pl_strerror(rc));
  return 0;
}

/* The author's signature and every co-signature over the entry's bytes,
 * by the log's own rule (pl_signed_entry_verify): what makes a proven leaf
 * say "by whom". Whether those keys were enrolled and allowed to write that
 * kind is the log's rule, checked when it was appended, and shown by the
 * enrollment entries' own proofs. */
static int check_signatures(const Partsledger__V1__SignedEntry *se,
                            struct verdict *v) {
  char msg[PL_MSG_MAX];
  if (se == NULL)
    return verdict_fail(v, "the leaf holds no signed entry");
  if (pl_signed_entry_verify(se, msg) != 0)
    return verdict_fail(v, "%s: the log holds an entry not signed as it says", msg);
  return 0;
}

static int verify_inclusion(struct cli *c, const char *vkey, const cJSON *doc,
                            struct verdict *v, cJSON *res) {
  uint64_t index, tree_size, size;
  uint8_t root[PL_HASH_BYTES];
  const char *leaf_hex = doc_str(doc, "leaf"),
             *note = doc_str(doc, "checkpoint");
  pl_hash *proof;
  size_t n, leaf_len;
  uint8_t *leaf;
  if (doc_u64(doc, "index", &index, v) != 0 ||
      doc_u64(doc, "tree_size", &tree_size, v) != 0)
    return -1;
  if (leaf_hex == NULL || unhex(c, leaf_hex, &leaf, &leaf_len) != 0)
    return verdict_fail(v, "field \"leaf\" is missing or not hex");
  if (note == NULL)
    return verdict_fail(v, "field \"checkpoint\" is missing");
  if (doc_proof(c, doc, &proof, &n, v) != 0)
    return -1;
  if (check_note(vkey, "checkpoint", note, &size, root, v) != 0)
    return -1;
  if (size != tree_size)
    return verdict_fail(v,
                        "tree_size %" PRIu64 " does not match the checkpoint's "
                        "size %" PRIu64,
                        tree_size, size);
  if (index >= size)
    return verdict_fail(
        v, "index %" PRIu64 " is outside the tree of size %" PRIu64, index,
        size);
  Partsledger__V1__Leaf *l =
      partsledger__v1__leaf__unpack(pl_arena_allocator(c->a), leaf_len, leaf);
  if (l == NULL)
    return verdict_fail(v, "the leaf bytes do not parse as a Leaf");
  if (l->index != index)
    return verdict_fail(v,
                        "the leaf says it is entry %" PRIu64 ", not %" PRIu64,
                        l->index, index);
  int rc = pl_verify_inclusion(vkey, note, index, leaf, leaf_len, proof, n);
  if (rc != 0)
    return verdict_fail(v,
                        "the proof does not lead from the leaf to the "
                        "checkpoint's root%s%s",
                        rc == PL_EVERIFY ? "" : ": ",
                        rc == PL_EVERIFY ? "" : pl_strerror(rc));
  /* Only now is the leaf known to be the log's: a bad signature from here on
   * is the log's doing, not the document's. */
  if (check_signatures(l->signed_entry, v) != 0)
    return -1;
  const Partsledger__V1__SignedEntry *se = l->signed_entry;
  uint8_t lh[PL_HASH_BYTES];
  pl_merkle_leaf_hash(leaf, leaf_len, lh);
  char origin[PL_NOTE_NAME_MAX + 1];
  note_peek(note, origin, &size, root);
  const char *signer = hex(c, se->signer.data, PL_PUBLIC_KEY_BYTES);
  snprintf(v->reason, sizeof(v->reason),
           "inclusion: entry %" PRIu64 " (leaf hash %s), signed by %s%s, is in "
           "the tree of size %" PRIu64 " of %s, root %s",
           index, hex(c, lh, PL_HASH_BYTES), signer,
           se->n_cosignatures == 0
               ? ""
               : pl_arena_printf(c->a, " and %zu co-signer%s", se->n_cosignatures,
                                 se->n_cosignatures == 1 ? "" : "s"),
           size, origin, hex(c, root, PL_HASH_BYTES));
  json_add_u64(res, "index", index);
  json_add_u64(res, "tree_size", size);
  cJSON_AddStringToObject(res, "origin", origin);
  cJSON_AddStringToObject(res, "root_hash", hex(c, root, PL_HASH_BYTES));
  cJSON_AddStringToObject(res, "leaf_hash", hex(c, lh, PL_HASH_BYTES));
  cJSON_AddStringToObject(res, "signer", signer);
  cJSON *cos = cJSON_AddArrayToObject(res, "cosigners");
  for (size_t i = 0; cos != NULL && i < se->n_cosignatures; i++)
    cJSON_AddItemToArray(cos, cJSON_CreateString(hex(
        c, se->cosignatures[i]->signer.data, PL_PUBLIC_KEY_BYTES)));
  v->ok = 1;
  return 0;
}

static int verify_consistency(struct cli *c, const char *vkey, const cJSON *doc,
                              struct verdict *v, cJSON *res) {
  uint64_t old_size, new_size, s_old, s_new;
  uint8_t r_old[PL_HASH_BYTES], r_new[PL_HASH_BYTES];
  const char *new_note = doc_str(doc, "new_checkpoint");
  const char *doc_old = doc_str(doc, "old_checkpoint");
  const char *old_path = opt_get(c, "old-checkpoint");
  const char *old_note = doc_old;
  pl_hash *proof;
  size_t n;
  if (doc_u64(doc, "old_size", &old_size, v) != 0 ||
      doc_u64(doc, "new_size", &new_size, v) != 0)
    return -1;
  if (new_note == NULL)
    return verdict_fail(v, "field \"new_checkpoint\" is missing or not a string");
  if (doc_old == NULL && cJSON_GetObjectItemCaseSensitive(doc, "old_checkpoint") != NULL)
    return verdict_fail(v, "field \"old_checkpoint\" is not a string");
  if (old_size > new_size)
    return verdict_fail(v,
                        "old_size %" PRIu64 " is larger than new_size %" PRIu64
                        ": a tree can only grow",
                        old_size, new_size);
  if (doc_proof(c, doc, &proof, &n, v) != 0)
    return -1;
  if (old_path != NULL) {
    old_note = read_file(c, old_path);
    if (old_note == NULL)
      return verdict_fail(v, "cannot read %s: %s", old_path, read_error());
  }
  if (old_note == NULL)
    return verdict_fail(v,
                        "the document carries no old_checkpoint: pass the one "
                        "you kept with --old-checkpoint FILE");
  if (check_note(vkey, "old checkpoint", old_note, &s_old, r_old, v) != 0 ||
      check_note(vkey, "new checkpoint", new_note, &s_new, r_new, v) != 0)
    return -1;
  if (old_path != NULL && doc_old != NULL) {
    /* Both must name the same tree; two signed roots for one size would be
     * proof that the log forked. */
    uint64_t s_doc;
    uint8_t r_doc[PL_HASH_BYTES];
    if (check_note(vkey, "document's old checkpoint", doc_old, &s_doc, r_doc,
                   v) != 0)
      return -1;
    if (s_doc == s_old && memcmp(r_doc, r_old, PL_HASH_BYTES) != 0)
      return verdict_fail(v,
                          "the document's old checkpoint and yours are both "
                          "signed for size %" PRIu64
                          " but have different roots: "
                          "the log has forked",
                          s_old);
    if (s_doc != s_old)
      return verdict_fail(v,
                          "the document's old checkpoint (size %" PRIu64
                          ") is not yours (size %" PRIu64 ")",
                          s_doc, s_old);
  }
  if (s_old != old_size)
    return verdict_fail(v,
                        "old_size %" PRIu64 " does not match the old "
                        "checkpoint's size %" PRIu64,
                        old_size, s_old);
  if (s_new != new_size)
    return verdict_fail(v,
                        "new_size %" PRIu64 " does not match the new "
                        "checkpoint's size %" PRIu64,
                        new_size, s_new);
  int rc = pl_verify_consistency(vkey, old_note, new_note, proof, n);
  if (rc != 0)
    return verdict_fail(v,
                        "the proof does not show the tree of size %" PRIu64
                        " to be a prefix of the tree of size %" PRIu64 "%s%s",
                        old_size, new_size, rc == PL_EVERIFY ? "" : ": ",
                        rc == PL_EVERIFY ? "" : pl_strerror(rc));
  snprintf(v->reason, sizeof(v->reason),
           "consistency: the tree of size %" PRIu64 " (root %s) is a prefix of "
           "the tree of size %" PRIu64 " (root %s)",
           old_size, hex(c, r_old, PL_HASH_BYTES), new_size,
           hex(c, r_new, PL_HASH_BYTES));
  json_add_u64(res, "old_size", old_size);
  json_add_u64(res, "new_size", new_size);
  cJSON_AddStringToObject(res, "old_root_hash", hex(c, r_old, PL_HASH_BYTES));
  cJSON_AddStringToObject(res, "new_root_hash", hex(c, r_new, PL_HASH_BYTES));
  v->ok = 1;
  return 0;
}

static int cmd_verify(struct cli *c) {
  const char *vkey = opt_get(c, "vkey"), *vkey_file = opt_get(c, "vkey-file");
  if ((vkey == NULL) == (vkey_file == NULL))
    return usage_error(c,
                       "give exactly one of --vkey VKEY and --vkey-file FILE");
  if (vkey_file != NULL) {
    char *s = read_file(c, vkey_file);
    if (s == NULL)
      return fail("cannot read %s: %s", vkey_file, read_error());
    char *eol = s + strcspn(s, "\r\n");
    if (strcmp(eol, "\n") != 0 && strcmp(eol, "\r\n") != 0 && *eol != '\0')
      return fail("%s holds more than one line; a verifier key file holds "
                  "the key alone", vkey_file);
    *eol = '\0';
    vkey = s;
  }
  char name[PL_NOTE_NAME_MAX + 1];
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  if (pl_note_vkey_parse(vkey, name, sizeof(name), pk) != 0)
    return usage_error(c, "'%s' is not a verifier key (name+hexid+base64)",
                       vkey);

  struct verdict v = {0, ""};
  cJSON *res = cJSON_CreateObject();
  char *text = read_file(c, c->pos[0]);
  cJSON *doc = NULL;
  if (text == NULL) {
    verdict_fail(&v, "cannot read %s: %s", c->pos[0], read_error());
  } else if (doc_parse(text, c->pos[0], &doc, &v) == 0) {
    const char *type = doc_str(doc, "type");
    if (type != NULL && strcmp(type, "inclusion") == 0 &&
        opt_get(c, "old-checkpoint") != NULL)
      verdict_fail(&v, "--old-checkpoint goes with a consistency proof, and "
                       "%s is an inclusion proof", c->pos[0]);
    else if (type != NULL && strcmp(type, "inclusion") == 0)
      verify_inclusion(c, vkey, doc, &v, res);
    else if (type != NULL && strcmp(type, "consistency") == 0)
      verify_consistency(c, vkey, doc, &v, res);
    else
      verdict_fail(&v, "unknown proof type \"%s\" (inclusion or consistency)",
                   type != NULL ? type : "");
    if (type != NULL)
      cJSON_AddStringToObject(res, "type", type);
  }
  cJSON_Delete(doc);

  if (c->json) {
    cJSON_AddBoolToObject(res, "ok", v.ok);
    if (!v.ok)
      cJSON_AddStringToObject(res, "reason", v.reason);
    json_emit(res, 0);
  } else {
    cJSON_Delete(res);
    if (v.ok)
      printf("OK %s\n", v.reason);
  }
  if (!v.ok)
    fprintf(stderr, "FAILED: %s\n", v.reason);
  return v.ok ? PL_EXIT_OK : PL_EXIT_FAIL;
}

/* ---- follow ---- */

static int follow_one(void *ctx, const Partsledger__V1__EntryResponse *e) {
  struct cli *c = ctx;
  struct decoded d;
  decode(c, e, &d);
  if (c->json)
    json_emit(entry_json(c, &d, 0), 1);
  else
    entry_line(c, &d);
  /* Each entry is shown as it arrives, even through a pipe. */
  fflush(stdout);
  pl_arena_reset(c->a);
  return 0;
}

static int cmd_follow(struct cli *c) {
  uint64_t start;
  int ex = PL_EXIT_USAGE;
  if (opt_u64(c, "start", 0, &start, &ex) != 0)
    return ex;
  /* Following is open-ended: only an explicit --timeout bounds it. */
  if (!c->timeout_set)
    c->timeout_ms = 0;
  int rc = open_client(c);
  if (rc != 0)
    return fail("cannot create a client: %s", pl_strerror(rc));
  rc = pl_client_follow(c->client, start, follow_one, c);
  if (rc == 0)
    return PL_EXIT_OK;
  if (c->timeout_set &&
      pl_client_last_status(c->client, NULL) == PL_GRPC_DEADLINE_EXCEEDED)
    return PL_EXIT_OK;
  return server_error(c, rc);
}

/* ---- the table ---- */

/* {name, takes a value, required} */
static const struct opt_spec no_opts[] = {{NULL, 0, 0}};
static const struct opt_spec keygen_opts[] = {{"out", 1, 1}, {NULL, 0, 0}};
static const struct opt_spec key_opts[] = {{"key", 1, 1}, {NULL, 0, 0}};
static const struct opt_spec enroll_opts[] = {
    {"key", 1, 1},  {"public-key", 1, 1}, {"role", 1, 1}, {"name", 1, 1},
    {"site", 1, 0}, {"request-id", 1, 0}, {NULL, 0, 0}};
static const struct opt_spec revoke_opts[] = {{"key", 1, 1},
                                              {"public-key", 1, 1},
                                              {"reason", 1, 0},
                                              {"request-id", 1, 0},
                                              {NULL, 0, 0}};
static const struct opt_spec get_opts[] = {{"raw", 0, 0}, {NULL, 0, 0}};
static const struct opt_spec list_opts[] = {
    {"start", 1, 0}, {"limit", 1, 0}, {NULL, 0, 0}};
static const struct opt_spec checkpoint_opts[] = {{"out", 1, 0}, {NULL, 0, 0}};
static const struct opt_spec prove_opts[] = {{"size", 1, 0},
                                             {"consistency", 1, 0},
                                             {"old-checkpoint", 1, 0},
                                             {"checkpoint", 1, 0},
                                             {NULL, 0, 0}};
static const struct opt_spec verify_opts[] = {{"vkey", 1, 0},
                                              {"vkey-file", 1, 0},
                                              {"old-checkpoint", 1, 0},
                                              {NULL, 0, 0}};
static const struct opt_spec follow_opts[] = {{"start", 1, 0}, {NULL, 0, 0}};

static const struct command commands[] = {
    {"keygen", "--out FILE", "write a new key file and print its public key",
     "Writes a new random Ed25519 key to FILE (its 32-byte seed as 64 hex\n"
     "characters, mode 0600) and prints the public key in hex. Refuses to\n"
     "overwrite an existing file. Needs no server.\n",
     keygen_opts, 0, 0, cmd_keygen},
    {"pubkey", "--key FILE", "print the public key of a key file",
     "Prints the public key (hex) of the key in FILE. Needs no server.\n",
     key_opts, 0, 0, cmd_pubkey},
    {"enroll",
     "--key ADMIN_KEYFILE --public-key HEX --role ROLE --name NAME [--site "
     "ID]... "
     "[--request-id HEX]",
     "enroll an actor (signed by an admin key)",
     "Appends an actor_enrolled entry signed with ADMIN_KEYFILE, and prints "
     "the\n"
     "entry's index, leaf hash, whether it was a duplicate, and the tree "
     "size.\n"
     "  --public-key HEX   the actor's Ed25519 public key (64 hex characters)\n"
     "  --role ROLE        admin, manufacturer, warehouse, repair_station,\n"
     "                     arbiter or auditor\n"
     "  --name NAME        a human-readable name (1-128 bytes of printable UTF-8)\n"
     "  --site ID          a site the actor works at; repeat for several. A\n"
     "                     warehouse needs at least one, a repair station\n"
     "                     exactly one\n"
     "  --request-id HEX   16-byte idempotency key (default: random); sending\n"
     "                     the same entry again returns the original index\n",
     enroll_opts, 0, 0, cmd_enroll},
    {"revoke",
     "--key ADMIN_KEYFILE --public-key HEX [--reason TEXT] [--request-id HEX]",
     "revoke an actor (signed by an admin key)",
     "Appends an actor_revoked entry for the key, signed with ADMIN_KEYFILE,\n"
     "and prints the entry's index, leaf hash and the tree size.\n",
     revoke_opts, 0, 0, cmd_revoke},
    {"get", "INDEX [--raw]", "show one entry",
     "Prints entry INDEX decoded: integration time, signer, whether its\n"
     "signature verifies, request id, occurrence time, kind and fields, and\n"
     "its leaf hash. --raw prints the exact leaf bytes in hex instead (with\n"
     "--json: adds them as \"leaf\").\n",
     get_opts, 1, 1, cmd_get},
    {"list", "[--start N] [--limit N]", "list entries, one line each",
     "Prints entries from index N (default 0), at most --limit of them\n"
     "(default 100; 0 means to the end of the log).\n",
     list_opts, 0, 0, cmd_list},
    {"checkpoint", "[--out FILE]", "print the current signed checkpoint",
     "Prints the server's current checkpoint, a signed note. --out FILE also\n"
     "saves it, to check consistency against later (prove --consistency).\n"
     "With --json: the note, the size and the root hash.\n",
     checkpoint_opts, 0, 0, cmd_checkpoint},
    {"info", "", "show the log's origin and keys",
     "Prints the log's origin, its verifier key (what `verify` needs), its\n"
     "public key and its current size.\n",
     no_opts, 0, 0, cmd_info},
    {"health", "", "ask the server whether it is serving",
     "Calls grpc.health.v1.Health/Check. Exit status 0 when SERVING.\n",
     no_opts, 0, 0, cmd_health},
    {"prove",
     "INDEX [--size N] [--checkpoint FILE] | --consistency OLD [--size NEW] "
     "[--old-checkpoint FILE] [--checkpoint FILE]",
     "print a self-contained inclusion or consistency proof",
     "With INDEX: fetches the checkpoint, the inclusion proof of entry INDEX "
     "in\n"
     "its tree and the entry's leaf, and prints a JSON document\n"
     "  {type: \"inclusion\", index, tree_size, leaf, proof, checkpoint}\n"
     "that `verify` checks offline.\n"
     "With --consistency OLD: prints\n"
     "  {type: \"consistency\", old_size, new_size, old_checkpoint,\n"
     "   new_checkpoint, proof}\n"
     "proving the tree of size OLD is a prefix of the current one.\n"
     "old_checkpoint is the note in --old-checkpoint FILE (one you saved with\n"
     "`checkpoint --out`), omitted without it.\n"
     "The server signs only its current size: --size N must be that size,\n"
     "unless --checkpoint FILE supplies a saved note of size N.\n",
     prove_opts, 0, 1, cmd_prove},
    {"verify",
     "--vkey VKEY | --vkey-file FILE [--old-checkpoint FILE] PROOF_FILE",
     "check a proof document offline",
     "Checks a document from `prove` (PROOF_FILE, or - for stdin) against the\n"
     "log's verifier key, with no server: the checkpoint signature(s), then\n"
     "the Merkle proof, and for an inclusion proof the entry's author\n"
     "signature and co-signatures (the signer is printed). Prints \"OK ...\"\n"
     "and exits 0 when it holds; prints the reason and exits 1 when not.\n"
     "The document must be strict JSON: one object, no field twice.\n"
     "For a consistency document, --old-checkpoint FILE gives the old\n"
     "checkpoint you kept yourself.\n",
     verify_opts, 1, 1, cmd_verify},
    {"follow", "[--start N]", "print entries as they are appended",
     "Streams entries from index N (default 0) and keeps waiting for new ones\n"
     "until interrupted, or until --timeout MS (global option) has passed,\n"
     "which ends it with exit status 0. One line per entry, or one JSON\n"
     "object per line with --json.\n",
     follow_opts, 0, 0, cmd_follow},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *f) {
  fputs("usage: partsledger [--server HOST:PORT] [--timeout MS] [--json] "
        "COMMAND [ARGS]\n\ncommands:\n",
        f);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fputs("\nglobal options (anywhere on the line):\n"
        "  --server HOST:PORT  the server (default: $PARTSLEDGER_SERVER, "
        "else " PL_DEFAULT_SERVER ")\n"
        "  --timeout MS        deadline of each call (default 10000; follow: "
        "none)\n"
        "  --json              JSON output for scripts\n"
        "  -h, --help          this text; COMMAND --help for a command's\n"
        "\nexit status: 0 ok, 1 verification failed or server error, 2 usage "
        "error\n",
        f);
}

static void print_command_help(const struct command *cmd) {
  printf("usage: partsledger %s %s\n\n%s", cmd->name, cmd->synopsis, cmd->help);
  printf("\nglobal options: --server HOST:PORT, --timeout MS, --json\n");
}

/* Parses argv into `c`. Returns -1 to go on, or an exit code. */
static int parse_args(struct cli *c, int argc, char **argv) {
  int help = 0, only_pos = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
      if (c->cmd == NULL) {
        for (size_t k = 0; k < N_COMMANDS; k++)
          if (strcmp(commands[k].name, arg) == 0)
            c->cmd = &commands[k];
        if (c->cmd == NULL)
          return usage_error(c, "unknown command '%s'", arg);
        continue;
      }
      if (c->npos == PL_MAX_POS || c->npos == c->cmd->max_pos)
        return usage_error(c, "unexpected argument '%s'", arg);
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
    if (strncmp(arg, "--", 2) != 0)
      return usage_error(c, "unknown option '%s'", arg);

    /* --name=value or --name value */
    char name[64];
    const char *value = NULL, *eq = strchr(arg + 2, '=');
    size_t len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    if (len == 0 || len >= sizeof(name))
      return usage_error(c, "unknown option '%s'", arg);
    memcpy(name, arg + 2, len);
    name[len] = '\0';

    int takes_value = -1, global = 0;
    if (strcmp(name, "server") == 0 || strcmp(name, "timeout") == 0) {
      takes_value = 1;
      global = 1;
    } else if (strcmp(name, "json") == 0) {
      takes_value = 0;
      global = 1;
    } else if (c->cmd != NULL) {
      for (const struct opt_spec *o = c->cmd->opts; o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
          takes_value = o->takes_value;
    }
    if (takes_value < 0)
      return usage_error(c, "unknown option '--%s'%s", name,
                         c->cmd == NULL ? " (options go after the command)"
                                        : "");
    if (takes_value) {
      if (eq != NULL)
        value = eq + 1;
      else if (i + 1 < argc)
        value = argv[++i];
      else
        return usage_error(c, "--%s needs a value", name);
    } else if (eq != NULL) {
      return usage_error(c, "--%s takes no value", name);
    } else {
      value = "1";
    }

    if (global) {
      if (strcmp(name, "server") == 0) {
        if (!pl_host_port_ok(value))
          return usage_error(
              c, "--server wants HOST:PORT with PORT 0..65535, not '%s'", value);
        c->server = value;
      } else if (strcmp(name, "json") == 0) {
        c->json = 1;
      } else {
        uint64_t ms;
        if (parse_u64(value, &ms) != 0 || ms == 0 || ms > INT64_MAX / 1000000)
          return usage_error(
              c, "--timeout wants a positive number of ms, not '%s'", value);
        c->timeout_ms = (int64_t)ms;
        c->timeout_set = 1;
      }
      continue;
    }
    if (c->nopts == PL_MAX_OPTS)
      return usage_error(c, "too many options");
    /* The option name must outlive this loop: point into the spec. */
    for (const struct opt_spec *o = c->cmd->opts; o->name != NULL; o++)
      if (strcmp(o->name, name) == 0)
        c->opts[c->nopts].name = o->name;
    c->opts[c->nopts++].value = value;
  }

  if (help) {
    if (c->cmd != NULL)
      print_command_help(c->cmd);
    else
      print_usage(stdout);
    return PL_EXIT_OK;
  }
  if (c->cmd == NULL) {
    print_usage(stderr);
    return PL_EXIT_USAGE;
  }
  if (c->npos < c->cmd->min_pos)
    return usage_error(c, "missing argument");
  for (const struct opt_spec *o = c->cmd->opts; o->name != NULL; o++)
    if (o->required && opt_get(c, o->name) == NULL)
      return usage_error(c, "--%s is required", o->name);
  return -1;
}

int main(int argc, char **argv) {
  struct cli c;
  memset(&c, 0, sizeof(c));
  c.server = getenv("PARTSLEDGER_SERVER");
  if (c.server == NULL || c.server[0] == '\0')
    c.server = PL_DEFAULT_SERVER;
  c.timeout_ms = PL_DEFAULT_TIMEOUT_MS;

  int rc = parse_args(&c, argc, argv);
  if (rc >= 0)
    return rc;
  if (!pl_host_port_ok(c.server)) /* only the environment's can be wrong here */
    return usage_error(&c, "PARTSLEDGER_SERVER wants HOST:PORT with PORT 0..65535, not '%s'",
                       c.server);
  if (pl_crypto_init() != 0)
    return fail("cannot initialize libsodium");
  c.a = pl_arena_new(0);
  if (c.a == NULL)
    return fail("out of memory");
  rc = c.cmd->run(&c);
  pl_client_close(c.client);
  pl_arena_free(c.a);
  if (fflush(stdout) != 0 && rc == PL_EXIT_OK)
    rc = fail("cannot write the output: %s", strerror(errno));
  return rc;
}
