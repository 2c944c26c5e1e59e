/*
 * epcis.h - GS1 EPCIS 2.0 JSON-LD documents of the facts of a trace (a
 * batch's, a device's or a part's), for systems that speak EPCIS rather
 * than this log's protocol.
 *
 * Each fact must carry its leaf (ask the trace with proofs): the leaf is
 * decoded here for what the event needs (quantities, parts, sites), and its
 * log time is the event's time. The mapping, one fact to its events:
 *   batch_registered    ObjectEvent ADD, bizStep commissioning, the lot
 *                       (and its listed serials)
 *   stock_received      ObjectEvent OBSERVE, bizStep receiving, at the site
 *   stock_transferred   ObjectEvent OBSERVE, bizStep shipping, disposition
 *                       in_transit, sourceList and destinationList
 *   batch_recalled      ObjectEvent OBSERVE, disposition recalled
 *   device_registered   AssociationEvent ADD: the device as parentID, its
 *                       parts as childEPCs
 *   part_replaced       AssociationEvent DELETE (bizStep removing) of the
 *                       removed part, then ADD (bizStep installing) of the
 *                       installed one, the device as parentID, at the
 *                       order's site
 * Other kinds (adjustments, reservations, orders, claims, extensions) have no
 * EPCIS event here and are left out. Every event carries eventTime (the
 * leaf's integrated_at_ms, UTC), eventTimeZoneOffset "+00:00", and in the
 * "partsledger" namespace its leafIndex (ask the log for its proof), its
 * leafHash (hex of SHA-256(0x00 || leaf)) and the entry's kind.
 *
 * Identifiers are GS1 Digital Link URIs where a GS1 key is known: a lot
 * https://id.gs1.org/01/{GTIN-14}/10/{batch}, a part
 * https://id.gs1.org/01/{GTIN-14}/21/{serial}, a site
 * https://id.gs1.org/414/{GLN}; otherwise URNs of this project:
 * urn:partsledger:batch:{id}, urn:partsledger:part:{serial},
 * urn:partsledger:site:{id}, urn:partsledger:device:{serial}, each id
 * percent-encoded. A batch id or serial that GS1's AI 10 or 21 cannot carry
 * (over 20 characters, or outside GS1's character set 82) gets the URN too.
 *
 * Part of the client library; no network: the caller looks up the GTINs,
 * GLNs and orders' sites (pl_epcis_refs says which) and passes them in.
 * May depend on: the storage/ headers (arena, caltime, error, entry, keys,
 * merkle), the generated protobuf code, cJSON.
 */
#ifndef PL_EPCIS_H
#define PL_EPCIS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "partsledger/v1/ledger.pb-c.h"
#include "partsledger/v1/trace.pb-c.h"

struct cJSON;

#define PL_EPCIS_CONTEXT                                                       \
  "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
/* The JSON-LD prefix of this project's event fields, and its IRI. */
#define PL_EPCIS_PREFIX "partsledger"
#define PL_EPCIS_NAMESPACE "urn:partsledger:epcis:"

/* One id and what it maps to: a batch to its GTIN-14, a site to its GLN. */
typedef struct {
  const char *id, *value;
} pl_epcis_name;

/* A repair order: where and on which device its replacements happened. */
typedef struct {
  const char *order_id, *device_serial, *site_id;
} pl_epcis_order;

typedef struct {
  int64_t created_at_ms; /* the document's creationDate */
  /* The batch of a batch trace, whose facts name no batch of their own;
   * NULL for a device's or a part's. */
  const char *batch_id;
  const pl_epcis_name *gtins; /* batch id -> GTIN-14 ("" or absent: none) */
  size_t n_gtins;
  const pl_epcis_name *glns; /* site id -> GLN */
  size_t n_glns;
  const pl_epcis_order *orders; /* the orders of the replacements */
  size_t n_orders;
} pl_epcis_input;

/* What a document of these facts names, each id once: the batches (whose
 * GTINs it wants), the sites (GLNs) and the orders of replacements (their
 * device and site; an order's site wants its GLN too). In `a`. */
typedef struct {
  const char **batches, **sites, **orders;
  size_t n_batches, n_sites, n_orders;
} pl_epcis_refs;

/* Fills *out from the facts' leaves. 0, PL_EINVAL (a fact without a leaf,
 * or one that does not decode), PL_ENOMEM. */
int pl_epcis_refs_of(Partsledger__V1__Fact *const *facts, size_t n,
                     const char *batch_id, pl_arena *a, pl_epcis_refs *out);

/* The EPCISDocument of the facts, in log order as given (a leaf given twice
 * makes its events once). *out is a new cJSON object the caller frees with
 * cJSON_Delete; *n_events, when not NULL, gets the number of events. 0,
 * PL_EINVAL (a fact without a leaf, or one that does not decode),
 * PL_ENOTFOUND (a replacement whose device neither the fact nor `orders`
 * names), PL_ENOMEM. Scratch lives in `a`. */
int pl_epcis_document(Partsledger__V1__Fact *const *facts, size_t n,
                      const pl_epcis_input *in, pl_arena *a, struct cJSON **out,
                      size_t *n_events);

#endif /* PL_EPCIS_H */
