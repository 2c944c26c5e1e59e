/*
 * arena.c - bump allocation in a chain of blocks; see arena.h.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL__ARENA_ALIGN 16
#define PL__ARENA_DEFAULT 4096

struct pl__block {
  struct pl__block *next;
  size_t cap;
  size_t used;
  _Alignas(PL__ARENA_ALIGN) unsigned char data[];
};

struct pl_arena {
  struct pl__block *head; /* block being filled; the first block is last */
  ProtobufCAllocator pb;
};

static void *pl__pb_alloc(void *data, size_t size) {
  return pl_arena_alloc(data, size);
}

/* Memory goes back all at once in pl_arena_free(). */
static void pl__pb_free(void *data, void *ptr) {
  (void)data;
  (void)ptr;
}

static struct pl__block *pl__block_new(size_t cap) {
  struct pl__block *b = malloc(sizeof(*b) + cap);
  if (b == NULL)
    return NULL;
  b->next = NULL;
  b->cap = cap;
  b->used = 0;
  return b;
}

pl_arena *pl_arena_new(size_t first) {
  pl_arena *a = malloc(sizeof(*a));
  if (a == NULL)
    return NULL;
  a->head = pl__block_new(first ? first : PL__ARENA_DEFAULT);
  if (a->head == NULL) {
    free(a);
    return NULL;
  }
  a->pb.alloc = pl__pb_alloc;
  a->pb.free = pl__pb_free;
  a->pb.allocator_data = a;
  return a;
}

void pl_arena_reset(pl_arena *a) {
  while (a->head->next != NULL) {
    struct pl__block *next = a->head->next;
    free(a->head);
    a->head = next;
  }
  a->head->used = 0;
}

void pl_arena_free(pl_arena *a) {
  if (a == NULL)
    return;
  pl_arena_reset(a);
  free(a->head);
  free(a);
}

void *pl_arena_alloc(pl_arena *a, size_t n) {
  size_t need = (n + PL__ARENA_ALIGN - 1) & ~(size_t)(PL__ARENA_ALIGN - 1);
  if (need < n)
    return NULL;
  struct pl__block *b = a->head;
  if (b->cap - b->used < need) {
    /* Grow geometrically so a large message costs few mallocs. */
    size_t cap = b->cap * 2;
    if (cap < need)
      cap = need;
    struct pl__block *nb = pl__block_new(cap);
    if (nb == NULL)
      return NULL;
    nb->next = b;
    a->head = b = nb;
  }
  void *p = b->data + b->used;
  b->used += need;
  return p;
}

void *pl_arena_dup(pl_arena *a, const void *p, size_t n) {
  void *q = pl_arena_alloc(a, n ? n : 1);
  if (q != NULL && n > 0)
    memcpy(q, p, n);
  return q;
}

void *pl_arena_push(pl_arena *a, void *v, size_t *n, size_t *cap, size_t size) {
  void **vp = v;
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 8;
    if (c > SIZE_MAX / size)
      return NULL;
    void *grown = pl_arena_alloc(a, c * size);
    if (grown == NULL)
      return NULL;
    if (*n > 0)
      memcpy(grown, *vp, *n * size);
    *vp = grown;
    *cap = c;
  }
  void *slot = (char *)*vp + *n * size;
  memset(slot, 0, size);
  (*n)++;
  return slot;
}

char *pl_arena_printf(pl_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = pl_arena_alloc(a, (size_t)n + 1);
  if (s == NULL)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

ProtobufCAllocator *pl_arena_allocator(pl_arena *a) { return &a->pb; }
