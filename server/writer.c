/*
 * writer.c - the writer thread: drains the queue into pl_log_append groups.
 */
#include "writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"

/* Entries allowed in the queue before submit pushes back: bounds memory to a
 * few seconds of peak load. */
#define PL__QUEUE_MAX 200000
/* Entries in one group commit at most (whole jobs are never split). */
#define PL__GROUP_MAX 8192

struct pl_writer {
  pl_log *log;
  pl_writer_done_fn done;
  pl_writer_commit_fn commit;
  void *ctx;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t ready;
  pl_writer_job *head, *tail; /* FIFO: groups keep arrival order */
  size_t queued;              /* entries in the queue */
  int stopping;
  pl_append **items; /* the group being written; grows as needed */
  size_t cap;
};

static int pl__reserve(pl_writer *w, size_t n) {
  if (n <= w->cap)
    return 0;
  size_t cap = w->cap ? w->cap : 256;
  while (cap < n)
    cap *= 2;
  pl_append **p = realloc(w->items, cap * sizeof(*p));
  if (p == NULL)
    return PL_ENOMEM;
  w->items = p;
  w->cap = cap;
  return 0;
}

static void *pl__writer_main(void *arg) {
  pl_writer *w = arg;
  pthread_setname_np(pthread_self(), "pl-writer"); /* for top -H, perf, gdb */
  for (;;) {
    pthread_mutex_lock(&w->lock);
    while (w->head == NULL && !w->stopping)
      pthread_cond_wait(&w->ready, &w->lock);
    /* Take whole jobs, up to PL__GROUP_MAX entries: one LMDB transaction
     * must stay well under its dirty-page limit (MDB_TXN_FULL), and a
     * bounded group keeps each commit's latency bounded too. */
    pl_writer_job *jobs = w->head, *last = NULL;
    size_t total = 0;
    for (pl_writer_job *j = w->head; j != NULL && (total == 0 || total + j->n <= PL__GROUP_MAX);
         j = j->next) {
      total += j->n;
      last = j;
    }
    if (last != NULL) {
      w->head = last->next;
      last->next = NULL;
      if (w->head == NULL)
        w->tail = NULL;
    }
    w->queued -= total;
    pthread_mutex_unlock(&w->lock);
    if (jobs == NULL)
      break; /* stopping, and everything queued is written */

    int rc = pl__reserve(w, total);
    size_t n = 0;
    pl_head head;
    if (rc == 0) {
      for (pl_writer_job *j = jobs; j != NULL; j = j->next)
        for (size_t i = 0; i < j->n; i++)
          w->items[n++] = j->items[i];
      rc = pl_log_append(w->log, w->items, n, &head);
    } else {
      /* Nothing was written: every entry of the group fails with it. */
      for (pl_writer_job *j = jobs; j != NULL; j = j->next)
        for (size_t i = 0; i < j->n; i++) {
          j->items[i]->err = rc;
          snprintf(j->items[i]->msg, sizeof(j->items[i]->msg), "%s", pl_strerror(rc));
        }
      pl_log_head(w->log, &head);
    }
    for (pl_writer_job *j = jobs, *next; j != NULL; j = next) {
      next = j->next; /* done() may free the job */
      j->head = head;
      j->err = rc;
      w->done(w->ctx, j);
    }
    w->commit(w->ctx, &head, rc);
  }
  return NULL;
}

int pl_writer_start(pl_log *log, pl_writer_done_fn done,
                    pl_writer_commit_fn commit, void *ctx, pl_writer **out) {
  pl_writer *w = calloc(1, sizeof(*w));
  if (w == NULL)
    return PL_ENOMEM;
  w->log = log;
  w->done = done;
  w->commit = commit;
  w->ctx = ctx;
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->ready, NULL);
  if (pthread_create(&w->thread, NULL, pl__writer_main, w) != 0) {
    pthread_cond_destroy(&w->ready);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return PL_ENOMEM;
  }
  *out = w;
  return 0;
}

int pl_writer_submit(pl_writer *w, pl_writer_job *job) {
  int rc = 0;
  job->next = NULL;
  pthread_mutex_lock(&w->lock);
  if (w->stopping)
    rc = PL_EBUSY;
  else if (w->queued + job->n > PL__QUEUE_MAX)
    rc = PL_EFULL;
  if (rc == 0) {
    if (w->tail != NULL)
      w->tail->next = job;
    else
      w->head = job;
    w->tail = job;
    w->queued += job->n;
    pthread_cond_signal(&w->ready);
  }
  pthread_mutex_unlock(&w->lock);
  return rc;
}

void pl_writer_stop(pl_writer *w) {
  pthread_mutex_lock(&w->lock);
  int running = !w->stopping;
  w->stopping = 1;
  pthread_cond_signal(&w->ready);
  pthread_mutex_unlock(&w->lock);
  if (running)
    pthread_join(w->thread, NULL);
}

void pl_writer_free(pl_writer *w) {
  if (w == NULL)
    return;
  pl_writer_stop(w);
  pthread_cond_destroy(&w->ready);
  pthread_mutex_destroy(&w->lock);
  free(w->items);
  free(w);
}
