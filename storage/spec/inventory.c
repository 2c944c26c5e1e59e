/*
 * spec/inventory.c - the stateless checks of the inventory kinds (sites,
 * suppliers, batches, stock, reservations, recalls). Their state rules are
 * in state/site.c and state/inventory.c.
 */
#include <string.h>

#include "entry.h"
#include "error.h"
#include "field.h"
#include "kinds.h"

#define PL__SERIALS_MAX 1000

int pl_spec_site_registered(const Partsledger__V1__SiteRegistered *b, char *msg) {
  const char *k = "site_registered";
  int rc;
  if ((rc = pl_field_id(k, "site_id", b->site_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "name", b->name, 0, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "region", b->region, 0, 0, msg)) != 0 ||
      (rc = pl_field_gln(k, "gln", b->gln, msg)) != 0 ||
      (rc = pl_field_coords(k, b->latitude, b->longitude, msg)) != 0)
    return rc;
  if (b->kind <= PARTSLEDGER__V1__SITE_KIND__SITE_KIND_UNSPECIFIED ||
      b->kind > PARTSLEDGER__V1__SITE_KIND__SITE_KIND_SERVICE_VAN)
    return pl_fail(msg, PL_EINVAL, "%s: kind is missing or unknown", k);
  return 0;
}

int pl_spec_supplier_registered(const Partsledger__V1__SupplierRegistered *b, char *msg) {
  const char *k = "supplier_registered";
  int rc;
  if ((rc = pl_field_id(k, "supplier_id", b->supplier_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "name", b->name, 0, 0, msg)) != 0 ||
      (rc = pl_field_gln(k, "gln", b->gln, msg)) != 0)
    return rc;
  return 0;
}

int pl_spec_batch_registered(const Partsledger__V1__BatchRegistered *b, char *msg) {
  const char *k = "batch_registered";
  int rc;
  if ((rc = pl_field_id(k, "batch_id", b->batch_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "supplier_id", b->supplier_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "sku", b->sku, 0, msg)) != 0 ||
      (rc = pl_field_gtin(k, "gtin", b->gtin, msg)) != 0)
    return rc;
  if (b->part_class <= PARTSLEDGER__V1__PART_CLASS__PART_CLASS_UNSPECIFIED ||
      b->part_class > PARTSLEDGER__V1__PART_CLASS__PART_CLASS_CERTIFIED_ALTERNATIVE)
    return pl_fail(msg, PL_EINVAL, "%s: part_class is missing or unknown", k);
  if (b->quantity < 1)
    return pl_fail(msg, PL_EINVAL, "%s: quantity must be at least 1", k);
  if (b->warranty_months > 1200)
    return pl_fail(msg, PL_EINVAL, "%s: warranty_months must be at most 1200", k);
  if (b->n_serials > b->quantity || b->n_serials > PL__SERIALS_MAX)
    return pl_fail(msg, PL_EINVAL,
                   "%s: serials must be no more than quantity (and at most %d)", k,
                   PL__SERIALS_MAX);
  for (size_t i = 0; i < b->n_serials; i++) {
    if (!pl_id_ok(b->serials[i]))
      return pl_fail(msg, PL_EINVAL,
                     "%s: serials[%zu] must be 1-64 bytes of printable UTF-8 without "
                     "spaces", k, i);
    /* A few hundred at most: the quadratic look is cheaper than a sort. */
    for (size_t j = 0; j < i; j++)
      if (strcmp(b->serials[i], b->serials[j]) == 0)
        return pl_fail(msg, PL_EINVAL, "%s: serials: %s is listed twice", k,
                       b->serials[i]);
  }
  return 0;
}

int pl_spec_stock_received(const Partsledger__V1__StockReceived *b, char *msg) {
  const char *k = "stock_received";
  int rc;
  if ((rc = pl_field_id(k, "site_id", b->site_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "batch_id", b->batch_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "reference", b->reference, 0, 0, msg)) != 0)
    return rc;
  if (b->quantity < 1)
    return pl_fail(msg, PL_EINVAL, "%s: quantity must be at least 1", k);
  return 0;
}

int pl_spec_stock_transferred(const Partsledger__V1__StockTransferred *b, char *msg) {
  const char *k = "stock_transferred";
  int rc;
  if ((rc = pl_field_id(k, "from_site_id", b->from_site_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "to_site_id", b->to_site_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "batch_id", b->batch_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "reference", b->reference, 0, 0, msg)) != 0)
    return rc;
  if (strcmp(b->from_site_id, b->to_site_id) == 0)
    return pl_fail(msg, PL_EINVAL, "%s: to_site_id must differ from from_site_id", k);
  if (b->quantity < 1)
    return pl_fail(msg, PL_EINVAL, "%s: quantity must be at least 1", k);
  return 0;
}

int pl_spec_stock_adjusted(const Partsledger__V1__StockAdjusted *b, char *msg) {
  const char *k = "stock_adjusted";
  int rc;
  if ((rc = pl_field_id(k, "site_id", b->site_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "batch_id", b->batch_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "note", b->note, 0, 0, msg)) != 0)
    return rc;
  if (b->delta == 0)
    return pl_fail(msg, PL_EINVAL, "%s: delta must not be 0", k);
  if (b->delta == INT64_MIN)
    return pl_fail(msg, PL_EINVAL, "%s: delta is out of range", k);
  if (b->reason <= PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_UNSPECIFIED ||
      b->reason > PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_RETURNED_TO_SUPPLIER)
    return pl_fail(msg, PL_EINVAL, "%s: reason is missing or unknown", k);
  return 0;
}

int pl_spec_part_reserved(const Partsledger__V1__PartReserved *b, char *msg) {
  const char *k = "part_reserved";
  int rc;
  if ((rc = pl_field_id(k, "reservation_id", b->reservation_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "site_id", b->site_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "sku", b->sku, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "batch_id", b->batch_id, 1, msg)) != 0 ||
      (rc = pl_field_id(k, "repair_order_id", b->repair_order_id, 1, msg)) != 0)
    return rc;
  if (b->quantity < 1)
    return pl_fail(msg, PL_EINVAL, "%s: quantity must be at least 1", k);
  if (b->expires_at_ms <= 0)
    return pl_fail(msg, PL_EINVAL, "%s: expires_at_ms is required", k);
  return 0;
}

int pl_spec_reservation_released(const Partsledger__V1__ReservationReleased *b,
                                 char *msg) {
  const char *k = "reservation_released";
  int rc;
  if ((rc = pl_field_id(k, "reservation_id", b->reservation_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "reason", b->reason, 0, 0, msg)) != 0)
    return rc;
  return 0;
}

int pl_spec_reservation_fulfilled(const Partsledger__V1__ReservationFulfilled *b,
                                  char *msg) {
  const char *k = "reservation_fulfilled";
  int rc;
  if ((rc = pl_field_id(k, "reservation_id", b->reservation_id, 0, msg)) != 0 ||
      (rc = pl_field_id(k, "batch_id", b->batch_id, 0, msg)) != 0)
    return rc;
  if (b->quantity < 1)
    return pl_fail(msg, PL_EINVAL, "%s: quantity must be at least 1", k);
  return 0;
}

int pl_spec_batch_recalled(const Partsledger__V1__BatchRecalled *b, char *msg) {
  const char *k = "batch_recalled";
  int rc;
  if ((rc = pl_field_id(k, "batch_id", b->batch_id, 0, msg)) != 0 ||
      (rc = pl_field_text(k, "reason", b->reason, 0, 0, msg)) != 0)
    return rc;
  return 0;
}
