/*
 * pool.c - signed entries, packed before a measured loop starts.
 *
 * Every write phase (and the limit phase, which sends the same entries)
 * signs all its entries beforehand, with every core, so that signing is
 * never inside a measured loop. Each entry is an ActorEnrolled of a fresh
 * random key as ROLE_AUDITOR, with a time-ordered random request_id, signed
 * by the admin key, and is stored already framed as field 1 of a message:
 * one record is an AppendRequest, a run of them an AppendBatchRequest. The
 * packing, signing and framing are entries.c's (bench_todo).
 *
 * Depends on libsodium, protobuf-c and storage/keys.h.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "partsledger/v1/ledger.pb-c.h"

size_t bench_put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

void bench_pool_free(bench_pool *p) {
  free(p->buf);
  free(p->off);
  memset(p, 0, sizeof(*p));
}

int bench_pool_make(const pl_key *key, int threads, size_t n, bench_pool *out,
                    double *secs) {
  uint64_t t0 = bench_now_ns();
  bench_todo t = {0};
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    uint8_t pk[PL_PUBLIC_KEY_BYTES];
    char name[48];
    randombytes_buf(pk, sizeof(pk));
    snprintf(name, sizeof(name), "bench auditor %zu", i);
    Partsledger__V1__ActorEnrolled ae = PARTSLEDGER__V1__ACTOR_ENROLLED__INIT;
    ae.public_key.data = pk;
    ae.public_key.len = sizeof(pk);
    ae.role = PARTSLEDGER__V1__ROLE__ROLE_AUDITOR;
    ae.name = name;
    Partsledger__V1__Entry e;
    BENCH_BODY(&e, ACTOR_ENROLLED, actor_enrolled, &ae);
    rc = bench_todo_add(&t, key, &e);
  }
  if (rc == 0)
    rc = bench_todo_sign(&t, threads, out, NULL);
  else
    memset(out, 0, sizeof(*out));
  bench_todo_free(&t);
  if (secs != NULL)
    *secs += (double)(bench_now_ns() - t0) / 1e9;
  return rc;
}
