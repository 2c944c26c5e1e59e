/*
 * kinds.h - the table of entry kinds and what each may change. Private to
 * storage/: log.c calls in here for every entry it applies, and kinds.c
 * reaches the derived-state tables only through the pl__state_* functions
 * that log.c exports, so LMDB stays inside log.c.
 */
#ifndef PL_APPLY_H
#define PL_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "entry.h"
#include "log.h"

/* Derived-state tables that kinds may read and write. */
typedef enum {
  PL__T_ACTOR = 0,
  PL__T_COUNT
} pl__table;

/* The context of one entry being applied inside the writer's transaction. */
typedef struct {
  void *txn;             /* the entry's nested transaction (opaque here) */
  pl_log *log;
  pl_arena *arena;       /* freed when the entry is done */
  uint64_t index;        /* the index this entry will get */
  const uint8_t *signer; /* 32 bytes */
  int genesis;           /* the log's own first leaf: signer authority skipped */
} pl__wctx;

/* Reads a state row. The value is borrowed until the transaction ends.
 * 0, PL_ENOTFOUND, PL_EIO. */
int pl__state_get(pl__wctx *w, pl__table t, const void *key, size_t klen,
                  const void **val, size_t *vlen);
/* Writes a state row, replacing any old one. 0, PL_EFULL, PL_EIO. */
int pl__state_put(pl__wctx *w, pl__table t, const void *key, size_t klen,
                  const void *val, size_t vlen);

/* Checks the signer's authority for the entry's kind, then the kind's rules
 * against the state, then writes the state it changes. On rejection returns
 * the code and fills `msg` (PL_MSG_MAX); the caller aborts the transaction. */
int pl__entry_apply(pl__wctx *w, const Partsledger__V1__Entry *e, char *msg);

#endif /* PL_APPLY_H */
