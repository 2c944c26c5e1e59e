/*
 * keys.h - Ed25519 keys, entry signatures and the hex/base64 codecs around them.
 *
 * Everything here is a thin, checked layer over libsodium. Secret keys live in
 * sodium_malloc'ed memory and are wiped when freed. An entry signature is
 * Ed25519 over the domain-separation context PL_ENTRY_CONTEXT followed by the
 * serialized Entry bytes, so a signature made for partsledger can never be
 * replayed as a signature over anything else.
 */
#ifndef PL_KEYS_H
#define PL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define PL_PUBLIC_KEY_BYTES 32
#define PL_SECRET_KEY_BYTES 64
#define PL_SEED_BYTES 32
#define PL_SIGNATURE_BYTES 64
#define PL_ENTRY_CONTEXT "partsledger/v1/entry\n"

typedef struct pl_key pl_key;

/* Initializes libsodium; call once before anything else here. 0 or PL_ECRYPTO. */
int pl_crypto_init(void);

/* Key pair from a 32-byte seed. 0, PL_ENOMEM. Free with pl_key_free(). */
int pl_key_from_seed(const uint8_t seed[PL_SEED_BYTES], pl_key **out);

/* Reads a key file: the seed as 64 hex characters, optional trailing newline,
 * in a file no one but its owner may read or write (mode 0600 or stricter).
 * 0, PL_EKEYFILE (missing, unreadable, too open or malformed; `why` gets a reason when
 * non-NULL, up to `why_len` bytes), PL_ENOMEM. */
int pl_key_load(const char *path, pl_key **out, char *why, size_t why_len);

/* Creates a new random key and writes its seed to `path` with mode 0600,
 * refusing to overwrite an existing file. The new key is returned in `out`
 * when non-NULL. 0, PL_EEXIST, PL_EKEYFILE, PL_ENOMEM. */
int pl_key_generate_file(const char *path, pl_key **out);

/* The key's 32-byte public half; valid while the key lives. */
const uint8_t *pl_key_public(const pl_key *k);

/* Wipes and frees the key; pl_key_free(NULL) is a no-op. */
void pl_key_free(pl_key *k);

/* Ed25519 over (PL_ENTRY_CONTEXT || entry). 0, PL_ENOMEM or PL_ECRYPTO. */
int pl_entry_sign(const pl_key *k, const uint8_t *entry, size_t len,
                  uint8_t sig[PL_SIGNATURE_BYTES]);

/* 0 when `sig` is `pk`'s signature over (PL_ENTRY_CONTEXT || entry), else
 * PL_EBADSIG (or PL_ENOMEM). */
int pl_entry_verify(const uint8_t pk[PL_PUBLIC_KEY_BYTES], const uint8_t *entry,
                    size_t len, const uint8_t sig[PL_SIGNATURE_BYTES])
    __attribute__((warn_unused_result));

/* Plain Ed25519 over `msg` (used for signed notes). */
int pl_key_sign_raw(const pl_key *k, const uint8_t *msg, size_t len,
                    uint8_t sig[PL_SIGNATURE_BYTES]);

/* 0 when `sig` is `pk`'s plain Ed25519 signature over `msg`, else
 * PL_EBADSIG. */
int pl_key_verify_raw(const uint8_t pk[PL_PUBLIC_KEY_BYTES], const uint8_t *msg,
                      size_t len, const uint8_t sig[PL_SIGNATURE_BYTES])
    __attribute__((warn_unused_result));

/* Lowercase hex of `n` bytes into `out`, which must hold 2n+1 bytes. Returns out. */
char *pl_hex_encode(const uint8_t *in, size_t n, char *out);

/* Decodes exactly `n` bytes from a hex string of exactly 2n characters.
 * 0 or PL_EINVAL. */
int pl_hex_decode(const char *hex, uint8_t *out, size_t n);

/* Standard base64 with padding. pl_base64_encode writes a NUL-terminated
 * string and returns its length, or PL_EINVAL when `cap` is too small. */
int pl_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Decodes standard padded base64 of exactly `len` characters into at most
 * `cap` bytes; the decoded length goes to `*n`. 0 or PL_EINVAL. */
int pl_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
                     size_t *n);

#endif /* PL_KEYS_H */
