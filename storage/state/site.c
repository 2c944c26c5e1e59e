/*
 * state/site.c - where parts are and who makes them: the kinds
 * site_registered and supplier_registered, and their rows.
 *
 *   site      site_id -> Site (inventory.proto), as GetSite answers it
 *   supplier  supplier_id -> Supplier
 */
#include <string.h>

#include "error.h"
#include "spec/field.h"
#include "state.h"

static void pl__id_key(pl_key_buf *k, const char *id) {
  pl_kb_init(k);
  pl_kb_str(k, id);
}

int pl_site_get(pl_txn *t, const char *site_id, pl_arena *arena,
                Partsledger__V1__Site **out) {
  pl_key_buf k;
  pl__id_key(&k, site_id);
  return pl_row_get(t, PL_T_SITE, &k, &partsledger__v1__site__descriptor, arena,
                    (ProtobufCMessage **)out);
}

int pl_supplier_get(pl_txn *t, const char *supplier_id, pl_arena *arena,
                    Partsledger__V1__Supplier **out) {
  pl_key_buf k;
  pl__id_key(&k, supplier_id);
  return pl_row_get(t, PL_T_SUPPLIER, &k, &partsledger__v1__supplier__descriptor, arena,
                    (ProtobufCMessage **)out);
}

/* 0 when no row has the id; PL_EEXIST with a message when one does. */
static int pl__new_id(pl_apply *a, pl_table tb, const char *what, const char *id) {
  pl_key_buf k;
  pl_val v;
  pl__id_key(&k, id);
  int rc = pl_kv_get(a->txn, tb, &k, &v);
  if (rc == 0)
    return pl_fail(a->msg, PL_EEXIST, "%s %s is already registered", what, id);
  return rc == PL_ENOTFOUND ? 0 : rc;
}

int pl_site_require(pl_apply *a, const char *site_id) {
  pl_key_buf k;
  pl_val v;
  pl__id_key(&k, site_id);
  int rc = pl_kv_get(a->txn, PL_T_SITE, &k, &v);
  if (rc == PL_ENOTFOUND)
    return pl_fail(a->msg, PL_ENOTFOUND, "site %s is not registered", site_id);
  return rc;
}

/* --- site_registered ------------------------------------------------------ */

int pl_site_registered_check(pl_apply *a, const Partsledger__V1__SiteRegistered *b) {
  return pl__new_id(a, PL_T_SITE, "site", b->site_id);
}

int pl_site_registered_write(pl_apply *a, const Partsledger__V1__SiteRegistered *b) {
  Partsledger__V1__Site s = PARTSLEDGER__V1__SITE__INIT;
  s.site_id = b->site_id;
  s.kind = b->kind;
  s.name = b->name;
  s.region = b->region;
  s.latitude = b->latitude;
  s.longitude = b->longitude;
  s.gln = b->gln;
  s.registered_index = a->index;
  pl_key_buf k;
  pl__id_key(&k, b->site_id);
  return pl_row_put(a->txn, PL_T_SITE, &k, &s.base, a->arena);
}

/* --- supplier_registered -------------------------------------------------- */

int pl_supplier_registered_check(pl_apply *a,
                                 const Partsledger__V1__SupplierRegistered *b) {
  return pl__new_id(a, PL_T_SUPPLIER, "supplier", b->supplier_id);
}

int pl_supplier_registered_write(pl_apply *a,
                                 const Partsledger__V1__SupplierRegistered *b) {
  Partsledger__V1__Supplier s = PARTSLEDGER__V1__SUPPLIER__INIT;
  s.supplier_id = b->supplier_id;
  s.name = b->name;
  s.certified = b->certified;
  s.gln = b->gln;
  s.registered_index = a->index;
  pl_key_buf k;
  pl__id_key(&k, b->supplier_id);
  return pl_row_put(a->txn, PL_T_SUPPLIER, &k, &s.base, a->arena);
}
