/*
 * writer.h - the single writer thread and its group commit.
 *
 * Worker threads submit jobs (one per Append or AppendBatch call, entries
 * already decoded and signature-checked). The writer takes what is queued,
 * whole jobs up to 8192 entries, appends it in one LMDB transaction with one
 * fsync, and then calls
 * `done` for every job of the group, on the writer thread, once the group is
 * durable. While it commits, the next group gathers in the queue: that is
 * what makes durable appends cheap under load.
 */
#ifndef PL_WRITER_H
#define PL_WRITER_H

#include <stddef.h>

#include "log.h"

typedef struct pl_writer pl_writer;

typedef struct pl_writer_job {
  pl_append **items; /* in: the entries; out: each one's result */
  size_t n;
  pl_head head;      /* out: the head that covers every entry of the job */
  int err;           /* out: 0, or why the whole group failed */
  struct pl_writer_job *next; /* queue link, private to the writer */
} pl_writer_job;

/* Called for each job after its group is durable (or failed). */
typedef void (*pl_writer_done_fn)(void *ctx, pl_writer_job *job);
/* Called once per group, after its jobs' done calls: err 0 when the group
 * committed, else why the whole group failed (a storage error: rejected
 * entries alone do not fail their group). */
typedef void (*pl_writer_commit_fn)(void *ctx, const pl_head *head, int err);

/* Starts the writer thread. 0 or PL_ENOMEM. */
int pl_writer_start(pl_log *log, pl_writer_done_fn done,
                    pl_writer_commit_fn commit, void *ctx, pl_writer **out);

/* Queues a job. 0; PL_EBUSY when stopping; PL_EFULL when too much is queued
 * (the caller answers RESOURCE_EXHAUSTED and the client retries). */
int pl_writer_submit(pl_writer *w, pl_writer_job *job);

/* Commits everything still queued and stops the thread; later submits get
 * PL_EBUSY. Calls from more than one thread must not overlap. */
void pl_writer_stop(pl_writer *w);

/* Stops the writer if it still runs, and frees it. */
void pl_writer_free(pl_writer *w);

#endif /* PL_WRITER_H */
