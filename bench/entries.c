/*
 * entries.c - entries of any kind, signed by any key, before a phase sends
 * them.
 *
 * The inventory and repair phases send entries of many kinds, each signed
 * by whoever may sign it (the admin, a manufacturer, the warehouse bound to
 * a site, a repair station, arbiters co-signing a ruling). A phase builds
 * each Entry with protobuf-c and adds it to a bench_todo, which packs it at
 * once; bench_todo_sign then signs them all on every core and frames each
 * SignedEntry as field 1 of a message, so that the result is a bench_pool
 * the engine sends as Append or AppendBatch requests. The write phases'
 * pools (pool.c) are made the same way. Signing stays outside every
 * measured loop.
 *
 * Depends on libsodium, protobuf-c, storage/keys.h and client/client.h (for
 * pl_request_id_new).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "client.h"
#include "clock.h"
#include "entry.h"

pl_key *bench_key_new(void) {
  uint8_t seed[PL_SEED_BYTES];
  pl_key *k = NULL;
  randombytes_buf(seed, sizeof(seed));
  if (pl_key_from_seed(seed, &k) != 0)
    k = NULL;
  sodium_memzero(seed, sizeof(seed));
  return k;
}

static int bench_todo_grow(bench_todo *t, size_t more) {
  if (t->err)
    return -1;
  if (t->len + more > t->cap) {
    size_t cap = t->cap ? t->cap : 1 << 16;
    while (cap < t->len + more)
      cap *= 2;
    uint8_t *p = realloc(t->buf, cap);
    if (p == NULL)
      return t->err = -1;
    t->buf = p;
    t->cap = cap;
  }
  if (t->n + 2 > t->capn) {
    size_t capn = t->capn ? t->capn * 2 : 1024;
    size_t *off = realloc(t->off, capn * sizeof(*off));
    if (off == NULL)
      return t->err = -1;
    t->off = off;
    const pl_key **key = realloc(t->key, capn * sizeof(*key));
    if (key == NULL)
      return t->err = -1;
    t->key = key;
    t->capn = capn;
  }
  return 0;
}

int bench_todo_add(bench_todo *t, const pl_key *k, Partsledger__V1__Entry *e) {
  uint8_t rid[PL_REQUEST_ID_BYTES];
  if (e->request_id.len == 0) {
    pl_request_id_new(rid);
    e->request_id.data = rid;
    e->request_id.len = sizeof(rid);
  }
  if (e->occurred_at_ms == 0)
    e->occurred_at_ms = pl_now_ms();
  size_t len = partsledger__v1__entry__get_packed_size(e);
  int rc = bench_todo_grow(t, len);
  if (rc == 0) {
    if (t->n == 0)
      t->off[0] = 0;
    partsledger__v1__entry__pack(e, t->buf + t->len);
    t->len += len;
    t->key[t->n] = k;
    t->off[++t->n] = t->len;
  }
  if (e->request_id.data == rid) {
    e->request_id.data = NULL;
    e->request_id.len = 0;
  }
  return rc;
}

int bench_todo_add_cosigned(bench_todo *t, const pl_key *k, const pl_key *const *co,
                            size_t n, Partsledger__V1__Entry *e) {
  if (n > BENCH_MAX_COSIGNERS)
    return -1;
  struct bench_cosigned *cos = realloc(t->cos, (t->ncos + 1) * sizeof(*cos));
  if (cos == NULL)
    return t->err = -1;
  t->cos = cos;
  if (bench_todo_add(t, k, e) != 0)
    return -1;
  struct bench_cosigned *c = &t->cos[t->ncos++];
  c->i = t->n - 1;
  c->n = n;
  memcpy(c->co, co, n * sizeof(*co));
  return 0;
}

void bench_todo_free(bench_todo *t) {
  free(t->buf);
  free(t->off);
  free(t->key);
  free(t->cos);
  memset(t, 0, sizeof(*t));
}

/* ---- signing ------------------------------------------------------------- */

typedef struct {
  const bench_todo *t;
  size_t first, n;
  uint8_t *buf;
  size_t len, cap;
  size_t *lens;
  int err;
} bench_todo_signer;

static const struct bench_cosigned *bench_cosigners(const bench_todo *t, size_t i) {
  for (size_t c = 0; c < t->ncos; c++)
    if (t->cos[c].i == i)
      return &t->cos[c];
  return NULL;
}

static void *bench_todo_sign_main(void *arg) {
  bench_todo_signer *s = arg;
  const bench_todo *t = s->t;
  for (size_t j = 0; j < s->n; j++) {
    size_t i = s->first + j;
    const uint8_t *entry = t->buf + t->off[i];
    size_t elen = t->off[i + 1] - t->off[i];
    uint8_t sig[PL_SIGNATURE_BYTES];
    uint8_t cosig[BENCH_MAX_COSIGNERS][PL_SIGNATURE_BYTES];
    Partsledger__V1__Cosignature co[BENCH_MAX_COSIGNERS], *cop[BENCH_MAX_COSIGNERS];
    if (pl_entry_sign(t->key[i], entry, elen, sig) != 0) {
      s->err = -1;
      return NULL;
    }
    Partsledger__V1__SignedEntry se = PARTSLEDGER__V1__SIGNED_ENTRY__INIT;
    se.entry.data = (uint8_t *)entry;
    se.entry.len = elen;
    se.signer.data = (uint8_t *)pl_key_public(t->key[i]);
    se.signer.len = PL_PUBLIC_KEY_BYTES;
    se.signature.data = sig;
    se.signature.len = sizeof(sig);
    const struct bench_cosigned *cs = t->ncos ? bench_cosigners(t, i) : NULL;
    for (size_t c = 0; cs != NULL && c < cs->n; c++) {
      if (pl_entry_sign(cs->co[c], entry, elen, cosig[c]) != 0) {
        s->err = -1;
        return NULL;
      }
      partsledger__v1__cosignature__init(&co[c]);
      co[c].signer.data = (uint8_t *)pl_key_public(cs->co[c]);
      co[c].signer.len = PL_PUBLIC_KEY_BYTES;
      co[c].signature.data = cosig[c];
      co[c].signature.len = PL_SIGNATURE_BYTES;
      cop[c] = &co[c];
    }
    if (cs != NULL) {
      se.n_cosignatures = cs->n;
      se.cosignatures = cop;
    }
    size_t slen = partsledger__v1__signed_entry__get_packed_size(&se);
    size_t need = 1 + 10 + slen;
    if (s->len + need > s->cap) {
      size_t cap = s->cap ? s->cap * 2 : 1 << 20;
      while (cap < s->len + need)
        cap *= 2;
      uint8_t *p = realloc(s->buf, cap);
      if (p == NULL) {
        s->err = -1;
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
    s->lens[j] = h + slen;
    s->len += h + slen;
  }
  return NULL;
}

int bench_todo_sign(bench_todo *t, int threads, bench_pool *out, double *secs) {
  uint64_t t0 = bench_now_ns();
  memset(out, 0, sizeof(*out));
  if (t->err)
    return -1;
  size_t n = t->n;
  int nt = threads < 1 ? 1 : threads > BENCH_MAX_THREADS ? BENCH_MAX_THREADS : threads;
  if ((size_t)nt > n)
    nt = n > 0 ? (int)n : 1;
  bench_todo_signer sg[BENCH_MAX_THREADS];
  pthread_t th[BENCH_MAX_THREADS];
  size_t *lens = malloc((n ? n : 1) * sizeof(size_t));
  out->off = malloc((n + 1) * sizeof(size_t));
  if (lens == NULL || out->off == NULL) {
    free(lens);
    bench_pool_free(out);
    return -1;
  }
  int started = 0, rc = 0;
  for (int i = 0; i < nt; i++) {
    memset(&sg[i], 0, sizeof(sg[i]));
    sg[i].t = t;
    sg[i].first = n * (size_t)i / (size_t)nt;
    sg[i].n = n * (size_t)(i + 1) / (size_t)nt - sg[i].first;
    sg[i].lens = lens + sg[i].first;
    if (pthread_create(&th[i], NULL, bench_todo_sign_main, &sg[i]) != 0) {
      rc = -1;
      break;
    }
    started++;
  }
  size_t total = 0;
  for (int i = 0; i < started; i++) {
    pthread_join(th[i], NULL);
    if (sg[i].err != 0)
      rc = -1;
    total += sg[i].len;
  }
  if (rc == 0)
    out->buf = malloc(total ? total : 1);
  if (rc == 0 && out->buf != NULL) {
    size_t pos = 0;
    for (int i = 0; i < started; i++) {
      memcpy(out->buf + pos, sg[i].buf, sg[i].len);
      pos += sg[i].len;
    }
    out->off[0] = 0;
    for (size_t i = 0; i < n; i++)
      out->off[i + 1] = out->off[i] + lens[i];
    out->n = n;
  } else {
    rc = -1;
  }
  for (int i = 0; i < started; i++)
    free(sg[i].buf);
  free(lens);
  if (rc != 0)
    bench_pool_free(out);
  t->len = 0;
  t->n = 0;
  t->ncos = 0;
  if (secs != NULL)
    *secs += (double)(bench_now_ns() - t0) / 1e9;
  return rc;
}
