/*
 * arena.h - a bump allocator that lives as long as one call.
 *
 * Each RPC (and each entry the writer applies) owns an arena: protobuf-c
 * unpacks into it through pl_arena_allocator(), scratch buffers come from it,
 * and everything is released at once by pl_arena_free(). Handlers therefore
 * cannot leak, whatever path they leave by.
 */
#ifndef PL_ARENA_H
#define PL_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct pl_arena pl_arena;

/* New arena whose first block holds `first` bytes (0 picks a default).
 * Returns NULL when out of memory. */
pl_arena *pl_arena_new(size_t first);

/* Frees every allocation and the arena itself. pl_arena_free(NULL) is a no-op. */
void pl_arena_free(pl_arena *a);

/* Drops every allocation but keeps the first block, for reuse by the next call. */
void pl_arena_reset(pl_arena *a);

/* `n` bytes aligned for any type, or NULL when out of memory. Valid until the
 * arena is reset or freed. */
void *pl_arena_alloc(pl_arena *a, size_t n);

/* Copy of `n` bytes, or NULL. */
void *pl_arena_dup(pl_arena *a, const void *p, size_t n);

/* A growing array in the arena: `*v` holds `*n` elements of `size` bytes
 * and room for `*cap`. Makes room for one more (moving the elements when
 * it must; the old room stays until the arena is reset) and returns the
 * new element's place, zeroed, with *n counted up; NULL when out of
 * memory. Start with *v NULL and *n, *cap 0. */
void *pl_arena_push(pl_arena *a, void *v, size_t *n, size_t *cap, size_t size);

/* printf into the arena; NULL on failure. */
char *pl_arena_printf(pl_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An allocator that protobuf-c can unpack into; owned by the arena. */
ProtobufCAllocator *pl_arena_allocator(pl_arena *a);

#endif /* PL_ARENA_H */
