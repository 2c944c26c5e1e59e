/*
 * note.h - C2SP signed notes and tlog-checkpoints.
 *
 * A checkpoint body is "<origin>\n<size>\n<base64 root>\n". It is published
 * as a C2SP signed-note: the body, an empty line, and one signature line
 * "\u2014 <key name> <base64(key id || signature)>\n" per signer, where the
 * key id is the first 4 bytes of SHA-256(<name> "\n" 0x01 <public key>) and
 * the signature is Ed25519 over the body. The verifier key string is
 * "<name>+<hex key id>+<base64(0x01 || public key)>".
 */
#ifndef PL_NOTE_H
#define PL_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "merkle.h"

#define PL_NOTE_NAME_MAX 255   /* longest key name / origin we accept */
#define PL_NOTE_MAX 1024       /* room for a checkpoint note with one signature */
#define PL_VKEY_MAX (PL_NOTE_NAME_MAX + 64)
/* Notes and checkpoint bodies of this many bytes or more are rejected
 * unread: room for far more cosignatures than the 16 C2SP asks verifiers to
 * accept, small enough that a hostile note cannot cost much to check. */
#define PL_NOTE_VERIFY_MAX (1u << 20)

/* 0 when `name` is a valid key name (non-empty, at most PL_NOTE_NAME_MAX,
 * no spaces, '+' or control characters), else PL_EINVAL. */
int pl_note_name_check(const char *name);

/* First 4 bytes of SHA-256(name || "\n" || 0x01 || pk). */
void pl_note_key_id(const char *name, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                    uint8_t id[4]);

/* Writes the verifier key string, NUL-terminated. Returns 0 or PL_EINVAL. */
int pl_note_vkey(const char *name, const uint8_t pk[PL_PUBLIC_KEY_BYTES],
                 char *out, size_t cap);

/* Parses a verifier key string. 0 or PL_EINVAL (malformed, unknown algorithm,
 * or key id does not match). `name` gets the key name, NUL-terminated. */
int pl_note_vkey_parse(const char *vkey, char *name, size_t name_cap,
                       uint8_t pk[PL_PUBLIC_KEY_BYTES]);

/* Writes the checkpoint body, NUL-terminated; length to *len. 0 or PL_EINVAL. */
int pl_checkpoint_body(const char *origin, uint64_t size,
                       const uint8_t root[PL_HASH_BYTES], char *out, size_t cap,
                       size_t *len);

/* Parses a checkpoint body (exactly origin, size, root lines; extension lines
 * after them are allowed and ignored). 0 or PL_EINVAL. */
int pl_checkpoint_parse(const char *body, size_t len, char *origin,
                        size_t origin_cap, uint64_t *size,
                        uint8_t root[PL_HASH_BYTES]);

/* A number as C2SP notes and proofs write it (a checkpoint's size, a
 * tlog-proof's index): s[0..n) decimal digits, no sign, no leading zero but
 * in "0", within 64 bits; a number has one spelling, so two readers cannot
 * take it for two numbers. 0 or PL_EINVAL. */
int pl_note_decimal(const char *s, size_t n, uint64_t *out);

/* A hash as C2SP notes and proofs write it (a checkpoint's root, a
 * tlog-proof's lines): s[0..n) exactly the padded base64 of PL_HASH_BYTES
 * bytes. 0 or PL_EINVAL. */
int pl_note_hash(const char *s, size_t n, uint8_t out[PL_HASH_BYTES]);

/* Signs `body` (which must end in '\n') as a note by key `name`; writes the
 * whole note, NUL-terminated, length to *len. 0 or PL_EINVAL. */
int pl_note_sign(const pl_key *k, const char *name, const char *body,
                 size_t body_len, char *out, size_t cap, size_t *len);

/* Verifies that `note` carries a valid signature by the verifier key `vkey`.
 * On success the body's length (up to and including its last '\n') goes to
 * *body_len. 0, PL_EINVAL (malformed note or vkey), PL_EVERIFY (no valid
 * signature by that key). */
int pl_note_verify(const char *vkey, const char *note, size_t len,
                   size_t *body_len) __attribute__((warn_unused_result));

#endif /* PL_NOTE_H */
