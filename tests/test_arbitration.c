/*
 * test_arbitration.c - integration tests of disputes and arbitration
 * (Entry.body 60-62) through the real server: the panel's rules (members
 * distinct, enrolled, unrevoked arbiters; 1 <= quorum <= members), who may
 * open a dispute and on what claim, the quorum of a ruling's distinct,
 * unrevoked members among its author and co-signers, one ruling per
 * dispute, and what a ruling does to the claim, the warranty status and a
 * station's report. The CLI's panel, dispute, rule, cosign and submit end
 * to end.
 *
 * The entries are built by claims.c (and the client library's builders);
 * audit bundles are test_audit.c's.
 */
#include <grpc/status.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "caltime.h"
#include "claims.h"
#include "clock.h"
#include "entry.h"
#include "test.h"

#define HUMAN_DAMAGE PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_HUMAN_DAMAGE
#define IN_TERM PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_IN_TERM
#define CLAIM_UPHELD PARTSLEDGER__V1__RULING__RULING_CLAIM_UPHELD
#define REJECTION_UPHELD PARTSLEDGER__V1__RULING__RULING_REJECTION_UPHELD
#define STATE(s) PARTSLEDGER__V1__CLAIM_STATE__CLAIM_STATE_##s
#define WSTATUS(s) PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_##s

/* The message of the last refusal contains `needle`. */
#define CHECK_SAYS(w, needle)                                                  \
  do {                                                                         \
    if (!inv_says(CL_ENV(w), needle)) {                                        \
      fprintf(stderr, "%s:%d: message \"%s\" does not say \"%s\"\n", __FILE__, \
              __LINE__, inv_msg(CL_ENV(w)), needle);                           \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* A world with a claim rejected for human damage (device D-1, order O-1,
 * claim C-1) and panel P-1 of the first three arbiters, quorum 2. */
static int disputed_world(cl_world *w, int open_dispute) {
  if (cl_world_start(w) != 0 || cl_claim(w, "D-1", "O-1", "C-1", HUMAN_DAMAGE) != OK ||
      cl_panel(w, "P-1", NULL, 3, 2) != OK)
    return -1;
  return open_dispute ? cl_dispute(w, w->w.station, "C-1", "P-1") : OK;
}

/* --- panels ------------------------------------------------------------------ */

PL_TEST(panel_constituted_and_read_back) {
  cl_world w;
  CHECK(cl_world_start(&w) == 0);
  CHECK_STATUS(CL_ENV(&w), cl_panel(&w, "P-1", NULL, 3, 2), OK);
  Partsledger__V1__Panel *p;
  CHECK_STATUS(CL_ENV(&w), cl_get_panel(&w, "P-1", &p), OK);
  CHECK_STR(p->panel_id, "P-1");
  CHECK_EQ(p->n_members, 3);
  CHECK_EQ(p->quorum, 2);
  for (int i = 0; i < 3; i++)
    CHECK_MEM(p->members[i].data, pl_key_public(w.arb[i]), PL_PUBLIC_KEY_BYTES);
  CHECK(p->constituted_index > 0);
  CHECK_STATUS(CL_ENV(&w), cl_get_panel(&w, "P-none", &p), NOT_FOUND);
  CHECK_STATUS(CL_ENV(&w), cl_panel(&w, "P-1", NULL, 3, 2), EXISTS);
  cl_world_stop(&w);
}

PL_TEST(panel_members_distinct_enrolled_unrevoked_arbiters) {
  cl_world w;
  CHECK(cl_world_start(&w) == 0);
  env *e = CL_ENV(&w);
  pl_key *twice[] = {w.arb[0], w.arb[1], w.arb[0]};
  CHECK_STATUS(e, cl_panel(&w, "P-twice", twice, 3, 2), INVALID);
  CHECK_SAYS(&w, "listed twice");
  pl_key *stranger = new_key();
  CHECK(stranger != NULL);
  pl_key *unknown[] = {w.arb[0], stranger};
  CHECK_STATUS(e, cl_panel(&w, "P-unknown", unknown, 2, 1), NOT_FOUND);
  CHECK_SAYS(&w, "is not an enrolled actor");
  pl_key_free(stranger);
  pl_key *station[] = {w.arb[0], w.w.station};
  CHECK_STATUS(e, cl_panel(&w, "P-station", station, 2, 1), FAILED);
  CHECK_SAYS(&w, "not an arbiter");
  CHECK_STATUS(e, cl_revoke(&w, w.arb[3]), OK);
  pl_key *revoked[] = {w.arb[0], w.arb[3]};
  CHECK_STATUS(e, cl_panel(&w, "P-revoked", revoked, 2, 1), FAILED);
  CHECK_SAYS(&w, "has been revoked");
  /* Only an admin constitutes one. */
  uint8_t keys[1][PL_PUBLIC_KEY_BYTES];
  memcpy(keys[0], pl_key_public(w.arb[0]), PL_PUBLIC_KEY_BYTES);
  Partsledger__V1__Entry *en;
  Partsledger__V1__SignedEntry *se;
  CHECK(pl_build_panel_constituted(e->a, "P-maker", "by a manufacturer",
                                   (const uint8_t(*)[32])keys, 1, 1, &en) == 0);
  CHECK(pl_entry_build(w.w.maker, en, e->a, &se) == 0);
  CHECK_STATUS(e, cl_send(&w, se, NULL), DENIED);
  Partsledger__V1__Panel *p;
  CHECK_STATUS(e, cl_get_panel(&w, "P-twice", &p), NOT_FOUND);
  cl_world_stop(&w);
}

PL_TEST(panel_quorum_between_one_and_members) {
  cl_world w;
  CHECK(cl_world_start(&w) == 0);
  env *e = CL_ENV(&w);
  CHECK_STATUS(e, cl_panel(&w, "P-0", NULL, 3, 0), INVALID);
  CHECK_SAYS(&w, "quorum");
  CHECK_STATUS(e, cl_panel(&w, "P-4", NULL, 3, 4), INVALID);
  CHECK_SAYS(&w, "quorum");
  CHECK_STATUS(e, cl_panel(&w, "P-none", NULL, 0, 1), INVALID);
  CHECK_STATUS(e, cl_panel(&w, "P-1of1", NULL, 1, 1), OK);
  CHECK_STATUS(e, cl_panel(&w, "P-3of3", NULL, 3, 3), OK);
  cl_world_stop(&w);
}

/* --- disputes ------------------------------------------------------------------ */

PL_TEST(dispute_only_on_a_rejected_claim_once) {
  cl_world w;
  CHECK(disputed_world(&w, 0) == OK);
  env *e = CL_ENV(&w);
  /* An approved claim, and one not decided yet. */
  CHECK_STATUS(e, cl_claim(&w, "D-2", "O-2", "C-2", IN_TERM), OK);
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-2", "P-1"), FAILED);
  CHECK_SAYS(&w, "approved");
  CHECK_STATUS(e, cl_claim(&w, "D-3", "O-3", "C-3", 0), OK);
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-3", "P-1"), FAILED);
  CHECK_SAYS(&w, "not decided yet");
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-none", "P-1"), NOT_FOUND);
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-1", "P-none"), NOT_FOUND);
  CHECK_SAYS(&w, "panel P-none");

  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->state, STATE(REJECTED));
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-1", "P-1"), OK);
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->state, STATE(DISPUTED));
  CHECK_STR(c->panel_id, "P-1");
  CHECK(c->dispute_index > c->decided_index);
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-1", "P-1"), EXISTS);
  CHECK_SAYS(&w, "disputed already");
  cl_world_stop(&w);
}

PL_TEST(dispute_by_the_station_of_the_claims_order_only) {
  cl_world w;
  CHECK(disputed_world(&w, 0) == OK);
  env *e = CL_ENV(&w);
  /* Another station, bound to another site; a manufacturer; an arbiter. */
  CHECK_STATUS(e, cl_dispute(&w, w.station2, "C-1", "P-1"), DENIED);
  CHECK_SAYS(&w, "not bound to site " SITE_C);
  CHECK_STATUS(e, cl_dispute(&w, w.w.maker, "C-1", "P-1"), DENIED);
  CHECK_STATUS(e, cl_dispute(&w, w.arb[0], "C-1", "P-1"), DENIED);
  CHECK_STATUS(e, cl_dispute(&w, w.w.clerk, "C-1", "P-1"), DENIED);
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-1", "P-1"), OK);
  cl_world_stop(&w);
}

/* --- rulings -------------------------------------------------------------------- */

PL_TEST(quorum_reached) {
  cl_world w;
  CHECK(disputed_world(&w, 1) == OK);
  env *e = CL_ENV(&w);
  pl_key *co[] = {w.arb[1]};
  uint64_t index;
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], co, 1, "C-1", CLAIM_UPHELD),
                          &index),
               OK);
  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->ruling, CLAIM_UPHELD);
  CHECK_EQ(c->ruling_index, index);
  /* The whole quorum, and more than it, do as well. */
  CHECK_STATUS(e, cl_claim(&w, "D-2", "O-2", "C-2", HUMAN_DAMAGE), OK);
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-2", "P-1"), OK);
  pl_key *all[] = {w.arb[0], w.arb[1]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[2], all, 2, "C-2", REJECTION_UPHELD),
                          NULL),
               OK);
  cl_world_stop(&w);
}

PL_TEST(quorum_missed) {
  cl_world w;
  CHECK(disputed_world(&w, 1) == OK);
  env *e = CL_ENV(&w);
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], NULL, 0, "C-1", CLAIM_UPHELD), NULL),
               FAILED);
  CHECK_SAYS(&w, "2 of 3 members needed, 1 signed");
  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->state, STATE(DISPUTED));
  CHECK_EQ(c->ruling_index, 0);
  cl_world_stop(&w);
}

/* A copy of `se`'s envelope with its co-signature list replaced. */
static Partsledger__V1__SignedEntry *
with_cosignatures(pl_arena *a, const Partsledger__V1__SignedEntry *se,
                  Partsledger__V1__Cosignature *const *v, size_t n) {
  Partsledger__V1__SignedEntry *copy = pl_arena_dup(a, se, sizeof(*se));
  Partsledger__V1__Cosignature **list = pl_arena_alloc(a, (n ? n : 1) * sizeof(*list));
  if (copy == NULL || list == NULL)
    return NULL;
  memcpy(list, v, n * sizeof(*list));
  copy->cosignatures = list;
  copy->n_cosignatures = n;
  return copy;
}

PL_TEST(duplicate_cosigner_invalid_at_the_envelope) {
  cl_world w;
  CHECK(disputed_world(&w, 1) == OK);
  env *e = CL_ENV(&w);
  pl_key *co[] = {w.arb[1]};
  Partsledger__V1__SignedEntry *se = cl_ruling(e->a, w.arb[0], co, 1, "C-1", CLAIM_UPHELD);
  CHECK(se != NULL);
  /* The library refuses to co-sign twice, or as the author... */
  CHECK_EQ(pl_entry_cosign(w.arb[1], se, e->a), PL_EEXIST);
  CHECK_EQ(pl_entry_cosign(w.arb[0], se, e->a), PL_EEXIST);
  /* ...and the server refuses such an envelope before any rule. */
  Partsledger__V1__Cosignature *twice[] = {se->cosignatures[0], se->cosignatures[0]};
  CHECK_STATUS(e, cl_send(&w, with_cosignatures(e->a, se, twice, 2), NULL), INVALID);
  CHECK_SAYS(&w, "appears twice");
  /* The author as its own co-signer. */
  Partsledger__V1__SignedEntry *self = cl_ruling(e->a, w.arb[1], NULL, 0, "C-1", CLAIM_UPHELD);
  CHECK(self != NULL);
  CHECK(pl_entry_cosign(w.arb[0], self, e->a) == 0);
  self->cosignatures[0]->signer.data = (uint8_t *)pl_key_public(w.arb[1]);
  CHECK_STATUS(e, cl_send(&w, self, NULL), INVALID);
  CHECK_SAYS(&w, "is the author");
  /* The quorum was never reached by counting one member twice. */
  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->ruling_index, 0);
  CHECK_STATUS(e, cl_send(&w, se, NULL), OK);
  cl_world_stop(&w);
}

PL_TEST(non_member_cosigner_or_author_denied) {
  cl_world w;
  CHECK(disputed_world(&w, 1) == OK);
  env *e = CL_ENV(&w);
  /* arb[3] is an enrolled arbiter, but not on panel P-1. */
  pl_key *outsider[] = {w.arb[3]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], outsider, 1, "C-1", CLAIM_UPHELD),
                          NULL),
               DENIED);
  CHECK_SAYS(&w, "is not a member of panel P-1");
  pl_key *members[] = {w.arb[0], w.arb[1]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[3], members, 2, "C-1", CLAIM_UPHELD),
                          NULL),
               DENIED);
  CHECK_SAYS(&w, "is not a member of panel P-1");
  /* One outsider among enough members still spoils it. */
  pl_key *mixed[] = {w.arb[1], w.arb[3]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], mixed, 2, "C-1", CLAIM_UPHELD),
                          NULL),
               DENIED);
  /* A co-signer who is no arbiter at all; an author who is no arbiter. */
  pl_key *station[] = {w.w.station};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], station, 1, "C-1", CLAIM_UPHELD),
                          NULL),
               DENIED);
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.w.maker, members, 2, "C-1", CLAIM_UPHELD),
                          NULL),
               DENIED);
  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->ruling_index, 0);
  cl_world_stop(&w);
}

PL_TEST(revoked_members_cosignature_valid_but_not_counted) {
  cl_world w;
  CHECK(disputed_world(&w, 1) == OK);
  env *e = CL_ENV(&w);
  CHECK_STATUS(e, cl_revoke(&w, w.arb[1]), OK);
  pl_key *revoked[] = {w.arb[1]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], revoked, 1, "C-1", CLAIM_UPHELD),
                          NULL),
               FAILED);
  CHECK_SAYS(&w, "2 of 3 members needed, 1 signed");
  /* The revoked member may co-sign along, but another must make the count. */
  pl_key *two[] = {w.arb[1], w.arb[2]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], two, 2, "C-1", CLAIM_UPHELD), NULL),
               OK);
  /* A revoked member cannot author one. */
  CHECK_STATUS(e, cl_claim(&w, "D-2", "O-2", "C-2", HUMAN_DAMAGE), OK);
  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-2", "P-1"), OK);
  pl_key *others[] = {w.arb[0], w.arb[2]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[1], others, 2, "C-2", CLAIM_UPHELD),
                          NULL),
               DENIED);
  CHECK_SAYS(&w, "revoked");
  cl_world_stop(&w);
}

PL_TEST(one_ruling_per_dispute) {
  cl_world w;
  CHECK(disputed_world(&w, 1) == OK);
  env *e = CL_ENV(&w);
  pl_key *co[] = {w.arb[1]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], co, 1, "C-1", REJECTION_UPHELD),
                          NULL),
               OK);
  pl_key *co2[] = {w.arb[0]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[2], co2, 1, "C-1", CLAIM_UPHELD), NULL),
               FAILED);
  CHECK_SAYS(&w, "was ruled on already");
  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->ruling, REJECTION_UPHELD);
  /* No ruling without a dispute, nor on a claim that does not exist. */
  CHECK_STATUS(e, cl_claim(&w, "D-2", "O-2", "C-2", HUMAN_DAMAGE), OK);
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], co, 1, "C-2", CLAIM_UPHELD), NULL),
               FAILED);
  CHECK_SAYS(&w, "is not disputed");
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], co, 1, "C-none", CLAIM_UPHELD),
                          NULL),
               NOT_FOUND);
  cl_world_stop(&w);
}

/* --- what a ruling does ------------------------------------------------------------- */

PL_TEST(claim_upheld_approves_and_lifts_the_void) {
  cl_world w;
  CHECK(disputed_world(&w, 0) == OK);
  env *e = CL_ENV(&w);
  int64_t now = pl_now_ms();
  Partsledger__V1__GetWarrantyStatusResponse *st;
  /* The rejection for human damage voids the compressor from its failure
   * on, and not the fan. */
  CHECK_STATUS(e, cl_status(&w, "D-1", CL_COMPRESSOR, now, &st), OK);
  CHECK_EQ(st->status, WSTATUS(VOID));
  CHECK_STATUS(e, cl_status(&w, "D-1", CL_COMPRESSOR, now - 3 * PL_HOUR_MS, &st), OK);
  CHECK_EQ(st->status, WSTATUS(ACTIVE));
  CHECK_STATUS(e, cl_status(&w, "D-1", CL_FAN, now, &st), OK);
  CHECK_EQ(st->status, WSTATUS(ACTIVE));
  Partsledger__V1__StationReportResponse *rep;
  CHECK_STATUS(e, cl_report(&w, SITE_C, w.t0 - PL_DAY_MS, now + PL_DAY_MS, &rep), OK);
  CHECK_EQ(rep->claims_filed, 1);
  CHECK_EQ(rep->claims_approved, 0);
  CHECK_EQ(rep->claims_rejected, 1);

  CHECK_STATUS(e, cl_dispute(&w, w.w.station, "C-1", "P-1"), OK);
  CHECK_STATUS(e, cl_status(&w, "D-1", CL_COMPRESSOR, now, &st), OK);
  CHECK_EQ(st->status, WSTATUS(VOID)); /* a dispute alone changes nothing */
  pl_key *co[] = {w.arb[2]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], co, 1, "C-1", CLAIM_UPHELD), NULL),
               OK);
  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->state, STATE(APPROVED));
  CHECK_EQ(c->decision, PARTSLEDGER__V1__CLAIM_DECISION__CLAIM_DECISION_REJECTED);
  CHECK_EQ(c->ruling, CLAIM_UPHELD);
  CHECK_STATUS(e, cl_status(&w, "D-1", CL_COMPRESSOR, pl_now_ms(), &st), OK);
  CHECK_EQ(st->status, WSTATUS(ACTIVE));
  /* The station's figures count it approved now. */
  CHECK_STATUS(e, cl_report(&w, SITE_C, w.t0 - PL_DAY_MS, now + PL_DAY_MS, &rep), OK);
  CHECK_EQ(rep->claims_filed, 1);
  CHECK_EQ(rep->claims_approved, 1);
  CHECK_EQ(rep->claims_rejected, 0);
  cl_world_stop(&w);
}

PL_TEST(rejection_upheld_leaves_it_rejected) {
  cl_world w;
  CHECK(disputed_world(&w, 1) == OK);
  env *e = CL_ENV(&w);
  Partsledger__V1__StationReportResponse *rep;
  int64_t now = pl_now_ms();
  CHECK_STATUS(e, cl_report(&w, SITE_C, w.t0 - PL_DAY_MS, now + PL_DAY_MS, &rep), OK);
  CHECK_EQ(rep->claims_rejected, 1); /* disputed counts as rejected meanwhile */
  pl_key *co[] = {w.arb[1], w.arb[2]};
  CHECK_STATUS(e, cl_send(&w, cl_ruling(e->a, w.arb[0], co, 2, "C-1", REJECTION_UPHELD),
                          NULL),
               OK);
  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->state, STATE(REJECTED));
  CHECK_EQ(c->ruling, REJECTION_UPHELD);
  Partsledger__V1__GetWarrantyStatusResponse *st;
  CHECK_STATUS(e, cl_status(&w, "D-1", CL_COMPRESSOR, pl_now_ms(), &st), OK);
  CHECK_EQ(st->status, WSTATUS(VOID));
  CHECK_STATUS(e, cl_report(&w, SITE_C, w.t0 - PL_DAY_MS, now + PL_DAY_MS, &rep), OK);
  CHECK_EQ(rep->claims_approved, 0);
  CHECK_EQ(rep->claims_rejected, 1);
  cl_world_stop(&w);
}

/* --- the CLI -------------------------------------------------------------------------- */

/* Runs the CLI and checks its exit status. */
#define CHECK_CLI(w, want, ...)                                                \
  do {                                                                         \
    const char *pl__out, *pl__err;                                             \
    int pl__code = cl_cli(w, &pl__out, &pl__err, __VA_ARGS__, (const char *)NULL); \
    if (pl__code != (want)) {                                                  \
      fprintf(stderr, "%s:%d: exit %d, wanted %d\nstdout: %s\nstderr: %s\n",   \
              __FILE__, __LINE__, pl__code, (want), pl__out, pl__err);         \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
    g_out = pl__out;                                                           \
    g_err = pl__err;                                                           \
  } while (0)

static const char *g_out, *g_err;

PL_TEST(cli_panel_dispute_rule_with_a_draft) {
  cl_world w;
  CHECK(cl_world_start(&w) == 0);
  env *e = CL_ENV(&w);
  /* Key files for the CLI: a station at SITE_C and three arbiters. */
  static const char *const c_sites[] = {SITE_C, NULL};
  const char *st_key = cl_path(&w, "station.key"), *k[3];
  pl_key *station = cl_enroll(&w, PARTSLEDGER__V1__ROLE__ROLE_REPAIR_STATION, c_sites,
                              "Munich west repair", st_key);
  CHECK(station != NULL);
  pl_key *arb[3];
  const char *hex[3];
  for (int i = 0; i < 3; i++) {
    k[i] = cl_path(&w, i == 0 ? "a.key" : i == 1 ? "b.key" : "c.key");
    arb[i] = cl_enroll(&w, PARTSLEDGER__V1__ROLE__ROLE_ARBITER, NULL, "CLI arbiter", k[i]);
    CHECK(arb[i] != NULL);
    hex[i] = pl_arena_printf(e->a, "%s", "");
    char h[65];
    hex[i] = pl_arena_printf(e->a, "%s", pl_hex_encode(pl_key_public(arb[i]), 32, h));
  }
  CHECK_STATUS(e, cl_claim(&w, "D-1", "O-1", "C-1", HUMAN_DAMAGE), OK);
  const char *admin = pl_harness_admin_key_path(e->h);

  CHECK_CLI(&w, 0, "panel", "--key", admin, "--id", "P-cli", "--name", "CLI panel",
            "--member", hex[0], "--member", hex[1], "--member", hex[2], "--quorum", "2");
  CHECK(strstr(g_out, "index:") != NULL);
  CHECK_CLI(&w, 2, "panel", "--key", admin, "--id", "P-x", "--name", "x", "--member",
            "abcd", "--quorum", "1");
  CHECK_CLI(&w, 1, "panel", "--key", admin, "--id", "P-cli", "--name", "again", "--member",
            hex[0], "--quorum", "1");
  CHECK(strstr(g_err, "ALREADY_EXISTS") != NULL);
  /* The station that runs the order disputes, with evidence by hash. */
  CHECK_CLI(&w, 1, "dispute", "--key", admin, "--claim", "C-1", "--panel", "P-cli",
            "--grounds", "wrong signer");
  CHECK(strstr(g_err, "PERMISSION_DENIED") != NULL);
  CHECK_CLI(&w, 0, "dispute", "--key", st_key, "--claim", "C-1", "--panel", "P-cli",
            "--grounds", "the dent predates the failure", "--evidence",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  Partsledger__V1__Claim *c;
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->state, STATE(DISPUTED));

  /* A draft, signed by one member, unsent. */
  const char *draft = cl_path(&w, "ruling.json");
  CHECK_CLI(&w, 0, "rule", "--key", k[0], "--claim", "C-1", "--ruling", "claim_upheld",
            "--reasoning", "valve wear, a defect", "--remedy", "new compressor", "--draft",
            draft);
  struct stat sb;
  CHECK(stat(draft, &sb) == 0);
  CHECK_CLI(&w, 2, "rule", "--key", k[0], "--claim", "C-1", "--ruling", "claim_upheld",
            "--draft", draft);
  CHECK(strstr(g_err, "already exists") != NULL);
  CHECK_CLI(&w, 2, "rule", "--key", k[0], "--claim", "C-1", "--ruling", "maybe");
  CHECK_CLI(&w, 1, "submit", draft);
  CHECK(strstr(g_err, "2 of 3 members needed, 1 signed") != NULL);
  CHECK_CLI(&w, 0, "cosign", draft, "--key", k[1]);
  CHECK(strstr(g_out, "co-signers:   1") != NULL);
  CHECK_CLI(&w, 2, "cosign", draft, "--key", k[1]);
  CHECK(strstr(g_err, "has signed this entry already") != NULL);
  CHECK_CLI(&w, 2, "cosign", draft, "--key", k[0]);
  /* A draft whose entry changed is refused, signatures and all: the last
   * byte of the entry is the remedy's last letter. */
  char *text = pl_read_file(draft);
  CHECK(text != NULL);
  char *entry = strstr(text, "\"entry\":");
  CHECK(entry != NULL);
  char *end = strchr(strchr(entry + 8, '"') + 1, '"');
  char *bad = pl_arena_printf(e->a, "%s", text);
  bad[end - text - 1] = bad[end - text - 1] == '2' ? '3' : '2';
  const char *bad_path = cl_path(&w, "bad.json");
  CHECK(pl_write_file(bad_path, bad) == 0);
  free(text);
  CHECK_CLI(&w, 2, "submit", bad_path);
  CHECK(strstr(g_err, "signature over the entry does not verify") != NULL);
  CHECK_CLI(&w, 2, "cosign", bad_path, "--key", k[2]);
  CHECK_CLI(&w, 2, "submit", cl_path(&w, "missing.json"));
  /* A draft that says it is another kind than its entry. */
  text = pl_read_file(draft);
  CHECK(text != NULL);
  char *kind = strstr(text, "\"arbitration_ruled\"");
  CHECK(kind != NULL);
  const char *other = pl_arena_printf(e->a, "%.*s\"dispute_opened\"%s", (int)(kind - text),
                                      text, kind + strlen("\"arbitration_ruled\""));
  free(text);
  CHECK(pl_write_file(bad_path, other) == 0);
  CHECK_CLI(&w, 2, "submit", bad_path);
  CHECK(strstr(g_err, "says it holds a dispute_opened") != NULL);
  CHECK_CLI(&w, 0, "--json", "submit", draft);
  CHECK(strstr(g_out, "\"duplicate\":\tfalse") != NULL);
  CHECK_STATUS(e, cl_get_claim(&w, "C-1", &c), OK);
  CHECK_EQ(c->state, STATE(APPROVED));
  CHECK(c->ruling_index > 0);
  char idx[24];
  snprintf(idx, sizeof(idx), "%llu", (unsigned long long)c->ruling_index);
  CHECK_CLI(&w, 0, "get", idx);
  CHECK(strstr(g_out, "claim_upheld") != NULL);
  CHECK(strstr(g_out, "valve wear, a defect") != NULL);

  /* All keys at hand: --cosign-key, repeated. */
  CHECK_STATUS(e, cl_claim(&w, "D-2", "O-2", "C-2", HUMAN_DAMAGE), OK);
  CHECK_CLI(&w, 0, "dispute", "--key", st_key, "--claim", "C-2", "--panel", "P-cli",
            "--grounds", "same again");
  CHECK_CLI(&w, 0, "rule", "--key", k[2], "--claim", "C-2", "--ruling", "rejection_upheld",
            "--reasoning", "the dent caused it", "--cosign-key", k[0], "--cosign-key",
            k[1]);
  CHECK_STATUS(e, cl_get_claim(&w, "C-2", &c), OK);
  CHECK_EQ(c->state, STATE(REJECTED));
  CHECK_EQ(c->ruling, REJECTION_UPHELD);
  CHECK_CLI(&w, 0, "--json", "get", pl_arena_printf(e->a, "%llu",
                                                      (unsigned long long)c->ruling_index));
  CHECK(strstr(g_out, "rejection_upheld") != NULL);
  CHECK(strstr(g_out, "\"cosignatures\":\t2") != NULL);
  pl_key_free(station);
  for (int i = 0; i < 3; i++)
    pl_key_free(arb[i]);
  cl_world_stop(&w);
}

PL_TEST_MAIN(PL_CASE(panel_constituted_and_read_back),
             PL_CASE(panel_members_distinct_enrolled_unrevoked_arbiters),
             PL_CASE(panel_quorum_between_one_and_members),
             PL_CASE(dispute_only_on_a_rejected_claim_once),
             PL_CASE(dispute_by_the_station_of_the_claims_order_only),
             PL_CASE(quorum_reached), PL_CASE(quorum_missed),
             PL_CASE(duplicate_cosigner_invalid_at_the_envelope),
             PL_CASE(non_member_cosigner_or_author_denied),
             PL_CASE(revoked_members_cosignature_valid_but_not_counted),
             PL_CASE(one_ruling_per_dispute),
             PL_CASE(claim_upheld_approves_and_lifts_the_void),
             PL_CASE(rejection_upheld_leaves_it_rejected),
             PL_CASE(cli_panel_dispute_rule_with_a_draft))
