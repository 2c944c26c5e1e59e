/*
 * verify.h - offline verification, from a log's verifier key alone: signed
 * checkpoints, RFC 9162 inclusion and consistency proofs, the signatures over
 * a logged entry, and the proof documents `partsledger prove` writes.
 *
 * Nothing here touches the network or a server's state, so the same checks
 * serve the CLI's `verify` and the verifier of audit bundles (audit.c). The
 * functions over documents answer with a verdict: a code, and a sentence a
 * person can act on, for a proof that holds as well as for one that does not.
 *
 * Part of the client library (pl_client); client.h includes this header.
 * Depends on the storage/ headers for notes, Merkle proofs and entries, and
 * on cJSON for documents (only `struct cJSON` appears here: callers that
 * walk documents include <cjson/cJSON.h> themselves).
 */
#ifndef PL_VERIFY_H
#define PL_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "merkle.h"
#include "note.h"
#include "partsledger/v1/ledger.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"

struct cJSON;

/* ---- checkpoints and proofs ----
 * `vkey` is the log's verifier key string ("name+hexid+base64"). Each returns
 * 0 when the check holds, else a negative PL_E* code: PL_EVERIFY (a signature
 * or a proof does not hold, or the note is another origin's), PL_EINVAL
 * (malformed note, key or proof), PL_ERANGE (sizes out of order). */

/* The note is signed by vkey and is a checkpoint of vkey's origin; its size
 * and root are returned (either out pointer may be NULL). */
int pl_verify_checkpoint(const char *vkey, const char *note, uint64_t *size,
                         uint8_t root[PL_HASH_BYTES])
    __attribute__((warn_unused_result));
/* The leaf (exact Leaf bytes, which name their own index) at `index` is in
 * the tree of the checkpoint. */
int pl_verify_inclusion(const char *vkey, const char *note, uint64_t index,
                        const uint8_t *leaf, size_t leaf_len,
                        const pl_hash *proof, size_t n)
    __attribute__((warn_unused_result));
/* The tree of `old_note` is a prefix of the tree of `new_note`. */
int pl_verify_consistency(const char *vkey, const char *old_note,
                          const char *new_note, const pl_hash *proof, size_t n)
    __attribute__((warn_unused_result));

/* Origin, size and root of a checkpoint note, WITHOUT checking its
 * signature: for a caller that only needs to know which tree a note names
 * (to ask a server for a proof at that size). `origin` gets
 * PL_NOTE_NAME_MAX + 1 bytes. 0 or PL_EINVAL. */
int pl_checkpoint_peek(const char *note, char origin[PL_NOTE_NAME_MAX + 1],
                       uint64_t *size, uint8_t root[PL_HASH_BYTES]);

/* ---- verdicts ---- */

#define PL_VERDICT_MAX 1024

/* What a check found. `code` is one of
 *   0            it holds; `message` says what was proven;
 *   PL_EVERIFY   it does not hold: a signature, a proof, or a claim of the
 *                document that the signed data contradicts;
 *   PL_EINVAL    the input is not what the check needs: not a proof
 *                document (not strict JSON, unknown type, a field missing
 *                or of the wrong type), or a checkpoint the caller kept
 *                that is not a checkpoint note;
 *   PL_ENOTFOUND the document needs something only the caller has: a
 *                consistency document without its old checkpoint;
 *   PL_ENOMEM;
 * and `message` says why, naming the field or the note at fault. */
typedef struct {
  int code;
  char message[PL_VERDICT_MAX];
} pl_verdict;

/* Verifies a checkpoint note like pl_verify_checkpoint, with a reason a
 * person can act on: `what` names the note in it ("new checkpoint"). Sets
 * *v and returns v->code (PL_EVERIFY for a note that is malformed, another
 * origin's or not signed by vkey). */
int pl_verify_note(const char *vkey, const char *what, const char *note,
                   uint64_t *size, uint8_t root[PL_HASH_BYTES], pl_verdict *v);

/* The author's signature and every co-signature over the entry bytes, by the
 * log's own rule (pl_signed_entry_verify in entry.h). Sets *v and returns
 * v->code: 0, or PL_EVERIFY for a missing entry or a signature that does not
 * hold. Whether the signers were enrolled and allowed to write that kind is
 * the log's rule, checked when it was appended, and shown by the enrollment
 * entries' own proofs. */
int pl_verify_entry_signatures(const Partsledger__V1__SignedEntry *se,
                               pl_verdict *v);

/* ---- traces ---- */

/* One fact of a batch's trace, as TraceBatch returns it with proofs,
 * checked offline against the checkpoint `note` the trace came with:
 *   - the fact's leaf is in the note's tree at the fact's index, and the
 *     note is signed by vkey (pl_verify_inclusion);
 *   - the entry in the leaf is signed as it says (pl_verify_entry_signatures);
 *   - what the fact says agrees with that entry: its kind, and the batch
 *     (`batch_id`, the traced one), sites and quantity wherever the entry
 *     states them. A release names only its reservation, so its site is the
 *     reservation's and only its kind can be checked; a fulfilment states
 *     its batch and quantity but not its site.
 * Whether the trace holds every fact of the batch is the server's word: a
 * proof shows what is in the log, never what is not.
 * Scratch lives in `a`. Sets *v and returns v->code: 0, PL_EVERIFY (what it
 * says does not hold), PL_EINVAL (a fact without its leaf: not a trace with
 * proofs), PL_ENOMEM. */
int pl_verify_fact(const char *vkey, const char *note, const char *batch_id,
                   const Partsledger__V1__Fact *f, pl_arena *a, pl_verdict *v)
    __attribute__((warn_unused_result));

/* ---- proof documents ----
 * An inclusion document:
 *   {"type": "inclusion", "index", "tree_size", "leaf": hex of the exact
 *    Leaf bytes, "proof": [hex hash, ...], "checkpoint": note}
 * A consistency document:
 *   {"type": "consistency", "old_size", "new_size", "old_checkpoint": note
 *    (optional), "new_checkpoint": note, "proof": [hex hash, ...]}
 * Sizes and indexes are JSON integers below 2^53 (pl_json_u64) or decimal
 * strings spelled as notes spell numbers: no sign, no leading zeros
 * (pl_note_decimal), so that no reader takes one for another number. */

typedef enum {
  PL_PROOF_UNKNOWN = 0,
  PL_PROOF_INCLUSION,
  PL_PROOF_CONSISTENCY,
} pl_proof_type;

/* Parses `text` strictly, so that a document cannot say one thing to this
 * verifier and another to a different JSON reader: one object and nothing
 * after it, no string holding \u0000, no field twice, at most 64 fields.
 * `name` names the document in messages. On success *out is a cJSON object
 * the caller frees with cJSON_Delete. Sets *v and returns v->code (0 or
 * PL_EINVAL, PL_ENOMEM). */
int pl_proof_doc_parse(const char *text, const char *name, struct cJSON **out,
                       pl_verdict *v);

/* The same strict parse for any JSON document (audit bundles, drafts):
 * one object and nothing after it, no string holding \u0000, no field twice
 * and at most 64 fields in any object. `what` says what it should be, for
 * messages ("a JSON audit bundle"). */
int pl_json_doc_parse(const char *text, const char *name, const char *what,
                      struct cJSON **out, pl_verdict *v);

/* A JSON number that is a non-negative integer a double holds exactly
 * (below 2^53): how proof documents and audit bundles give sizes and
 * indexes. 0, or PL_EINVAL when `item` is not one (or is NULL). */
int pl_json_u64(const struct cJSON *item, uint64_t *out);

/* The document's "type", PL_PROOF_UNKNOWN when missing or not one we know. */
pl_proof_type pl_proof_doc_type(const struct cJSON *doc);

/* What a document proved, filled as far as the check got; the fields of the
 * other type stay zero. */
typedef struct {
  pl_proof_type type;
  char origin[PL_NOTE_NAME_MAX + 1];
  /* inclusion */
  uint64_t index, tree_size;
  uint8_t root_hash[PL_HASH_BYTES], leaf_hash[PL_HASH_BYTES];
  /* The proven entry's envelope: signer, signature, co-signatures. In the
   * arena given to pl_verify_proof_doc; NULL unless the proof held. */
  const Partsledger__V1__SignedEntry *signed_entry;
  /* consistency */
  uint64_t old_size, new_size;
  uint8_t old_root_hash[PL_HASH_BYTES], new_root_hash[PL_HASH_BYTES];
} pl_proof_facts;

/* Verifies a parsed proof document against `vkey`, with no server: the
 * checkpoint signature(s), the document's sizes against them, the Merkle
 * proof, and for an inclusion document then the entry's author signature
 * and co-signatures (only once the leaf is proven the log's, so that a bad
 * signature there is the log's doing, not the document's).
 *
 * `kept_old` is the old checkpoint note the caller kept, or NULL; it goes
 * only with a consistency document, and is needed when the document carries
 * no old_checkpoint (else PL_ENOTFOUND). When both are there they must name
 * the same tree; the same size with two roots is reported as a fork.
 * Scratch and *f's signed_entry live in `a`. Sets *f and *v; returns
 * v->code. */
int pl_verify_proof_doc(const char *vkey, const struct cJSON *doc,
                        const char *kept_old, pl_arena *a, pl_proof_facts *f,
                        pl_verdict *v) __attribute__((warn_unused_result));

/* ---- facts of a device's or a part's history ----
 * One fact as DeviceHistory or PartHistory returns it with proofs, checked
 * offline against the checkpoint `note` the history came with:
 *   - the fact's leaf is in the note's tree at the fact's index, and the
 *     note is signed by vkey (pl_verify_inclusion);
 *   - the entry in the leaf is signed as it says (pl_verify_entry_signatures);
 *   - what the fact says agrees with that entry: its kind, and the device,
 *     part, component, batch and site wherever the entry itself names them.
 *     A response, a closing or a decision names only its order or claim, so
 *     only its kind can be checked; a removal does not name the removed
 *     part's batch.
 * That the history holds every fact is the server's word: a proof shows
 * what is in the log, never what is missing from it. The caller checks that
 * the fact is about the device or part it asked for. Scratch lives in `a`.
 * Sets *v and returns v->code: 0, PL_EVERIFY, PL_EINVAL (a fact without its
 * leaf: not a history with proofs), PL_ENOMEM. */
int pl_verify_history_fact(const char *vkey, const char *note,
                           const Partsledger__V1__Fact *f, pl_arena *a,
                           pl_verdict *v) __attribute__((warn_unused_result));

#endif /* PL_VERIFY_H */
