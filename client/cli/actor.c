/*
 * actor.c - the commands about actors and their keys: keygen and pubkey
 * (local, no server), enroll and revoke (entries signed by an admin key);
 * and how the actor kinds' bodies are shown.
 *
 * Entries are made by the library's builders (pl_build_actor_*) and sent by
 * cli_append, which signs them with --key and reports the result.
 *
 * May depend on: cli.h, client.h (and the storage/ headers through it),
 * entry.h for role names, cJSON.
 */
#include <string.h>

#include "cli.h"
#include "entry.h"

/* ---- commands ---- */

static int cmd_keygen(struct cli *c) {
  const char *path = cli_opt(c, "out");
  pl_key *k = NULL;
  int rc = pl_key_generate_file(path, &k);
  if (rc == PL_EEXIST)
    return cli_input_error("%s already exists; not overwriting it", path);
  if (rc == PL_EKEYFILE) {
    /* The library says only that the key file failed; the usual reason is
     * the directory, and then the directory is what to name. */
    const char *dir = cli_dir_problem(c, path);
    if (dir != NULL)
      return cli_input_error("cannot write key file %s: %s", path, dir);
    return cli_fail("cannot write key file %s", path);
  }
  if (rc != 0)
    return cli_fail("cannot write key file %s: %s", path, pl_strerror(rc));
  const char *pub = cli_hex(c, pl_key_public(k), PL_PUBLIC_KEY_BYTES);
  pl_key_free(k);
  if (!c->json) {
    puts(pub);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "key_file", path);
  cJSON_AddStringToObject(o, "public_key", pub);
  return cli_json_emit(o, 0);
}

static int cmd_pubkey(struct cli *c) {
  pl_key *k = NULL;
  int rc = cli_load_key(c, "key", &k);
  if (rc != 0)
    return rc;
  const char *pub = cli_hex(c, pl_key_public(k), PL_PUBLIC_KEY_BYTES);
  pl_key_free(k);
  if (!c->json) {
    puts(pub);
    return CLI_EXIT_OK;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "public_key", pub);
  return cli_json_emit(o, 0);
}

static int cmd_enroll(struct cli *c) {
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  int rc = cli_opt_public_key(c, "public-key", pk);
  if (rc != 0)
    return rc;
  const char *role = cli_opt(c, "role");
  int r = pl_role_parse(role);
  if (r <= 0)
    return cli_usage_error(c,
                           "unknown role '%s' (admin, manufacturer, warehouse, "
                           "repair_station, arbiter, auditor)",
                           role);
  /* Every --site, in the order given. */
  int n = cli_opt_count(c, "site");
  char **sites = pl_arena_alloc(c->a, (size_t)(n > 0 ? n : 1) * sizeof(char *));
  if (sites == NULL)
    return cli_fail("out of memory");
  size_t k = 0;
  for (int i = 0; i < c->nopts; i++)
    if (strcmp(c->opts[i].name, "site") == 0)
      sites[k++] = (char *)c->opts[i].value;
  Partsledger__V1__Entry *e;
  rc = pl_build_actor_enrolled(c->a, pk, r, cli_opt(c, "name"), sites, k, &e);
  if (rc != 0)
    return cli_fail("cannot build the entry: %s", pl_strerror(rc));
  return cli_append(c, e);
}

static int cmd_revoke(struct cli *c) {
  uint8_t pk[PL_PUBLIC_KEY_BYTES];
  int rc = cli_opt_public_key(c, "public-key", pk);
  if (rc != 0)
    return rc;
  const char *reason = cli_opt(c, "reason");
  Partsledger__V1__Entry *e;
  rc = pl_build_actor_revoked(c->a, pk, reason != NULL ? reason : "", &e);
  if (rc != 0)
    return cli_fail("cannot build the entry: %s", pl_strerror(rc));
  return cli_append(c, e);
}

/* ---- showing the actor kinds ---- */

static void show_enrolled(struct cli *c, const Partsledger__V1__ActorEnrolled *ae,
                          enum cli_show how, cJSON *b) {
  const char *pk = cli_hex(c, ae->public_key.data, ae->public_key.len);
  switch (how) {
  case CLI_SHOW_FULL:
    printf("  public key:  %s\n", pk);
    printf("  role:        %s\n", pl_role_name(ae->role));
    printf("  name:        %s\n", ae->name);
    printf("  sites:       ");
    for (size_t i = 0; i < ae->n_site_ids; i++)
      printf("%s%s", i ? ", " : "", ae->site_ids[i]);
    printf("%s\n", ae->n_site_ids ? "" : "(none)");
    break;
  case CLI_SHOW_LINE:
    cli_show_field("role", pl_role_name(ae->role));
    cli_show_field("name", ae->name);
    cli_show_field("key", pk);
    break;
  case CLI_SHOW_JSON: {
    cJSON_AddStringToObject(b, "public_key", pk);
    cJSON_AddStringToObject(b, "role", pl_role_name(ae->role));
    cJSON_AddStringToObject(b, "name", ae->name);
    cJSON *sites = cJSON_AddArrayToObject(b, "site_ids");
    for (size_t i = 0; sites != NULL && i < ae->n_site_ids; i++)
      cJSON_AddItemToArray(sites, cJSON_CreateString(ae->site_ids[i]));
    break;
  }
  }
}

static void show_revoked(struct cli *c, const Partsledger__V1__ActorRevoked *ar,
                         enum cli_show how, cJSON *b) {
  const char *pk = cli_hex(c, ar->public_key.data, ar->public_key.len);
  switch (how) {
  case CLI_SHOW_FULL:
    printf("  public key:  %s\n", pk);
    printf("  reason:      %s\n", ar->reason);
    break;
  case CLI_SHOW_LINE:
    cli_show_field("key", pk);
    cli_show_field("reason", ar->reason);
    break;
  case CLI_SHOW_JSON:
    cJSON_AddStringToObject(b, "public_key", pk);
    cJSON_AddStringToObject(b, "reason", ar->reason);
    break;
  }
}

static int show(struct cli *c, const Partsledger__V1__Entry *e,
                enum cli_show how, cJSON *body) {
  if (e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED &&
      e->actor_enrolled != NULL) {
    show_enrolled(c, e->actor_enrolled, how, body);
    return 1;
  }
  if (e->body_case == PARTSLEDGER__V1__ENTRY__BODY_ACTOR_REVOKED &&
      e->actor_revoked != NULL) {
    show_revoked(c, e->actor_revoked, how, body);
    return 1;
  }
  return 0;
}

/* ---- the rows ---- */

static const struct cli_opt keygen_opts[] = {{"out", CLI_VALUE, CLI_REQUIRED},
                                             {NULL, CLI_FLAG, 0}};
static const struct cli_opt key_opts[] = {{"key", CLI_VALUE, CLI_REQUIRED},
                                          {NULL, CLI_FLAG, 0}};
static const struct cli_opt enroll_opts[] = {
    {"key", CLI_VALUE, CLI_REQUIRED},  {"public-key", CLI_VALUE, CLI_REQUIRED},
    {"role", CLI_VALUE, CLI_REQUIRED}, {"name", CLI_VALUE, CLI_REQUIRED},
    {"site", CLI_VALUE, 0},            {"request-id", CLI_VALUE, 0},
    {NULL, CLI_FLAG, 0}};
static const struct cli_opt revoke_opts[] = {
    {"key", CLI_VALUE, CLI_REQUIRED}, {"public-key", CLI_VALUE, CLI_REQUIRED},
    {"reason", CLI_VALUE, 0},         {"request-id", CLI_VALUE, 0},
    {NULL, CLI_FLAG, 0}};

static const struct cli_command commands[] = {
    {"keygen", "--out FILE", "write a new key file and print its public key",
     "Writes a new random Ed25519 key to FILE (its 32-byte seed as 64 hex\n"
     "characters, mode 0600) and prints the public key in hex. Refuses to\n"
     "overwrite an existing file (exit status 2). Needs no server.\n",
     keygen_opts, 0, 0, cmd_keygen},
    {"pubkey", "--key FILE", "print the public key of a key file",
     "Prints the public key (hex) of the key in FILE. Needs no server.\n",
     key_opts, 0, 0, cmd_pubkey},
    {"enroll",
     "--key ADMIN_KEYFILE --public-key HEX --role ROLE --name NAME [--site "
     "ID]... [--request-id HEX]",
     "enroll an actor (signed by an admin key)",
     "Appends an actor_enrolled entry signed with ADMIN_KEYFILE, and prints "
     "the\n"
     "entry's index, leaf hash, whether it was a duplicate, and the tree "
     "size.\n"
     "  --public-key HEX   the actor's Ed25519 public key (64 hex characters)\n"
     "  --role ROLE        admin, manufacturer, warehouse, repair_station,\n"
     "                     arbiter or auditor\n"
     "  --name NAME        a human-readable name (1-128 bytes of printable "
     "UTF-8)\n"
     "  --site ID          a site the actor works at; repeat for several. A\n"
     "                     warehouse needs at least one, a repair station\n"
     "                     exactly one\n"
     "  --request-id HEX   16-byte idempotency key (default: random); sending\n"
     "                     the same entry again returns the original index,\n"
     "                     and another entry under it is refused\n",
     enroll_opts, 0, 0, cmd_enroll},
    {"revoke",
     "--key ADMIN_KEYFILE --public-key HEX [--reason TEXT] [--request-id HEX]",
     "revoke an actor (signed by an admin key)",
     "Appends an actor_revoked entry for the key, signed with ADMIN_KEYFILE,\n"
     "and prints the entry's index, leaf hash and the tree size.\n",
     revoke_opts, 0, 0, cmd_revoke},
};

const struct cli_family cli_family_actor = {"actors and keys",
                                            CLI_ROWS(commands), show};
