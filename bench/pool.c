/*
 * pool.c - signed entries, packed before a measured loop starts.
 *
 * Every write phase (and the limit phase, which sends the same entries)
 * signs all its entries beforehand, with every core, so that signing is
 * never inside a measured loop. Each entry is an ActorEnrolled of a fresh
 * random key as ROLE_AUDITOR, with a time-ordered random request_id, signed
 * by the admin key, and is stored already framed as field 1 of a message:
 * one record is an AppendRequest, a run of them an AppendBatchRequest.
 *
 * Depends on libsodium, protobuf-c, storage/keys.h and client/client.h (for
 * pl_request_id_new).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "client.h"
#include "entry.h"
#include "error.h"
#include "partsledger/v1/ledger.pb-c.h"

typedef struct {
  const pl_key *key;
  size_t n, first;
  uint8_t *buf;
  size_t len, cap;
  size_t *lens;
  int err;
} bench_signer;

size_t bench_put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

static void *bench_sign_main(void *arg) {
  bench_signer *s = arg;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  for (size_t i = 0; i < s->n; i++) {
    uint8_t rid[PL_REQUEST_ID_BYTES], pk[PL_PUBLIC_KEY_BYTES], entry[512];
    uint8_t sig[PL_SIGNATURE_BYTES];
    char name[48];
    pl_request_id_new(rid);
    randombytes_buf(pk, sizeof(pk));
    snprintf(name, sizeof(name), "bench auditor %zu", s->first + i);

    Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
    ae.public_key.data = pk;
    ae.public_key.len = sizeof(pk);
    ae.role = PARTSLEDGER__V1__ROLE__ROLE_AUDITOR;
    ae.name = name;
    Partsledger__V1__Entry e = PARTSLEDGER__V1__ENTRY__INIT;
    e.request_id.data = rid;
    e.request_id.len = sizeof(rid);
    e.occurred_at_ms = now_ms;
    e.body_case = PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED;
    e.actor_enrolled = &ae;
    size_t elen = partsledger__v1__entry__get_packed_size(&e);
    if (elen > sizeof(entry)) {
      s->err = PL_EINTERNAL;
      return NULL;
    }
    partsledger__v1__entry__pack(&e, entry);
    if (pl_entry_sign(s->key, entry, elen, sig) != 0) {
      s->err = PL_ENOMEM;
      return NULL;
    }
    Partsledger__V1__SignedEntry se = PARTSLEDGER__V1__SIGNED_ENTRY__INIT;
    se.entry.data = entry;
    se.entry.len = elen;
    se.signer.data = (uint8_t *)pl_key_public(s->key);
    se.signer.len = PL_PUBLIC_KEY_BYTES;
    se.signature.data = sig;
    se.signature.len = sizeof(sig);
    size_t slen = partsledger__v1__signed_entry__get_packed_size(&se);
    size_t need = 1 + 10 + slen;
    if (s->len + need > s->cap) {
      size_t cap = s->cap ? s->cap * 2 : 1 << 20;
      while (cap < s->len + need)
        cap *= 2;
      uint8_t *p = realloc(s->buf, cap);
      if (p == NULL) {
        s->err = PL_ENOMEM;
        return NULL;
      }
      s->buf = p;
      s->cap = cap;
    }
    uint8_t *p = s->buf + s->len;
    size_t h = 0;
    p[h++] = 0x0a; /* field 1, length-delimited */
    h += bench_put_varint(p + h, slen);
    partsledger__v1__signed_entry__pack(&se, p + h);
    s->lens[i] = h + slen;
    s->len += h + slen;
  }
  return NULL;
}

void bench_pool_free(bench_pool *p) {
  free(p->buf);
  free(p->off);
  memset(p, 0, sizeof(*p));
}

int bench_pool_make(const pl_key *key, int threads, size_t n, bench_pool *out,
                    double *secs) {
  uint64_t t0 = bench_now_ns();
  memset(out, 0, sizeof(*out));
  int nt = threads < 1 ? 1 : threads > BENCH_MAX_THREADS ? BENCH_MAX_THREADS : threads;
  bench_signer sg[BENCH_MAX_THREADS];
  pthread_t th[BENCH_MAX_THREADS];
  size_t *lens = malloc((n ? n : 1) * sizeof(size_t));
  out->off = malloc((n + 1) * sizeof(size_t));
  if (lens == NULL || out->off == NULL) {
    free(lens);
    bench_pool_free(out);
    return -1;
  }
  int started = 0, rc = 0;
  for (int t = 0; t < nt; t++) {
    memset(&sg[t], 0, sizeof(sg[t]));
    sg[t].key = key;
    sg[t].first = n * (size_t)t / (size_t)nt;
    sg[t].n = n * (size_t)(t + 1) / (size_t)nt - sg[t].first;
    sg[t].lens = lens + sg[t].first;
    if (pthread_create(&th[t], NULL, bench_sign_main, &sg[t]) != 0) {
      rc = -1;
      break;
    }
    started++;
  }
  size_t total = 0;
  for (int t = 0; t < started; t++) {
    pthread_join(th[t], NULL);
    if (sg[t].err != 0)
      rc = -1;
    total += sg[t].len;
  }
  if (rc == 0)
    out->buf = malloc(total ? total : 1);
  if (rc == 0 && out->buf != NULL) {
    size_t pos = 0;
    for (int t = 0; t < started; t++) {
      memcpy(out->buf + pos, sg[t].buf, sg[t].len);
      pos += sg[t].len;
    }
    out->off[0] = 0;
    for (size_t i = 0; i < n; i++)
      out->off[i + 1] = out->off[i] + lens[i];
    out->n = n;
  } else {
    rc = -1;
  }
  for (int t = 0; t < started; t++)
    free(sg[t].buf);
  free(lens);
  if (rc != 0)
    bench_pool_free(out);
  if (secs != NULL)
    *secs += (double)(bench_now_ns() - t0) / 1e9;
  return rc;
}
