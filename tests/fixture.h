/*
 * fixture.h - a log in a temporary directory, for the tests that drive
 * storage/ without the server: keys, signed entries decoded as the server
 * decodes them, and appends of one entry at a time.
 */
#ifndef PL_TEST_FIXTURE_H
#define PL_TEST_FIXTURE_H

#include <stdint.h>

#include "arena.h"
#include "entry.h"
#include "keys.h"
#include "log.h"

#define ORIGIN "test.example/log"

typedef struct {
  char dir[64];
  pl_key *log_key, *admin;
  pl_log *log;
  pl_arena *arena;
  size_t txn_budget; /* given to the log at open (log.h) */
} fixture;

/* A new random key; aborts when it cannot. */
pl_key *new_key(void);
/* Opens (again) the log of f->dir with the fixture's keys. */
int fx_open(fixture *f);
/* A fresh directory, keys and log. 0 or -1. */
int fx_init(fixture *f);
/* Closes the log and removes the directory. */
void fx_done(fixture *f);
/* A signed entry for the writer, decoded as the server would decode it;
 * a random request_id when e has none. Lives in f->arena. */
pl_append *make(fixture *f, const pl_key *signer, Partsledger__V1__Entry *e);
/* ActorEnrolled / ActorRevoked entries made with make(). */
pl_append *enroll(fixture *f, const pl_key *signer, const pl_key *who,
                  Partsledger__V1__Role role);
pl_append *revoke_of(fixture *f, const pl_key *signer, const pl_key *who);
/* Appends one entry in a group of its own; its error or the group's. */
int append1(fixture *f, pl_append *it, pl_head *head);
/* Appends `n` enrollments of fresh auditor keys, one group each. */
int append_auditors(fixture *f, int n, pl_head *head);

#endif /* PL_TEST_FIXTURE_H */
