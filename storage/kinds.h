/*
 * kinds.h - the one list of entry kinds.
 *
 * A row per oneof case of Entry.body: its case, its name (the body field's
 * name, which is also what traces and audit bundles call it), its protobuf
 * type, and the roles that may sign it (bits of Role, PL_ROLE_BIT). The list
 * generates the table of stateless checks in entry.c (pl_spec_<name>, in
 * spec/<family>.c) and the table of state rules in apply.c (in
 * state/<family>.c). Adding a kind is a row here, the proto message, its
 * functions in its family's two files, and its CLI command.
 */
#ifndef PL_KINDS_H
#define PL_KINDS_H

#include "partsledger/v1/ledger.pb-c.h"

#define PL_ROLE_BIT(r) (1u << PARTSLEDGER__V1__ROLE__ROLE_##r)
/* The roles that work for sites: which of those sites, the kind's rules
 * check (state/actor.c, pl_actor_require_site). */
#define PL_SITE_ROLES (PL_ROLE_BIT(WAREHOUSE) | PL_ROLE_BIT(REPAIR_STATION))

/* XX(CASE, name, Type, roles) */
#define PL_KINDS(XX)                                                           \
  XX(ACTOR_ENROLLED, actor_enrolled, ActorEnrolled, PL_ROLE_BIT(ADMIN))        \
  XX(ACTOR_REVOKED, actor_revoked, ActorRevoked, PL_ROLE_BIT(ADMIN))          \
  XX(SITE_REGISTERED, site_registered, SiteRegistered, PL_ROLE_BIT(ADMIN))     \
  XX(SUPPLIER_REGISTERED, supplier_registered, SupplierRegistered,             \
     PL_ROLE_BIT(ADMIN))                                                       \
  XX(BATCH_REGISTERED, batch_registered, BatchRegistered,                      \
     PL_ROLE_BIT(MANUFACTURER))                                                \
  XX(STOCK_RECEIVED, stock_received, StockReceived, PL_SITE_ROLES)             \
  XX(STOCK_TRANSFERRED, stock_transferred, StockTransferred, PL_SITE_ROLES)    \
  XX(STOCK_ADJUSTED, stock_adjusted, StockAdjusted, PL_SITE_ROLES)             \
  XX(PART_RESERVED, part_reserved, PartReserved, PL_SITE_ROLES)                \
  XX(RESERVATION_RELEASED, reservation_released, ReservationReleased,          \
     PL_SITE_ROLES)                                                            \
  XX(RESERVATION_FULFILLED, reservation_fulfilled, ReservationFulfilled,       \
     PL_SITE_ROLES)                                                            \
  XX(BATCH_RECALLED, batch_recalled, BatchRecalled, PL_ROLE_BIT(MANUFACTURER)) \
  XX(WARRANTY_POLICY_PUBLISHED, warranty_policy_published,                     \
     WarrantyPolicyPublished, PL_ROLE_BIT(MANUFACTURER))                       \
  XX(DEVICE_REGISTERED, device_registered, DeviceRegistered,                   \
     PL_ROLE_BIT(MANUFACTURER) | PL_ROLE_BIT(REPAIR_STATION))                  \
  XX(WARRANTY_EXTENDED, warranty_extended, WarrantyExtended,                   \
     PL_ROLE_BIT(MANUFACTURER))                                                \
  XX(REPAIR_ORDER_OPENED, repair_order_opened, RepairOrderOpened,              \
     PL_ROLE_BIT(REPAIR_STATION))                                              \
  XX(REPAIR_ORDER_RESPONDED, repair_order_responded, RepairOrderResponded,     \
     PL_ROLE_BIT(REPAIR_STATION))                                              \
  XX(PART_REPLACED, part_replaced, PartReplaced, PL_ROLE_BIT(REPAIR_STATION))  \
  XX(REPAIR_ORDER_CLOSED, repair_order_closed, RepairOrderClosed,              \
     PL_ROLE_BIT(REPAIR_STATION))                                              \
  XX(CLAIM_FILED, claim_filed, ClaimFiled, PL_ROLE_BIT(REPAIR_STATION))        \
  XX(CLAIM_DECIDED, claim_decided, ClaimDecided, PL_ROLE_BIT(MANUFACTURER))   \
  XX(PANEL_CONSTITUTED, panel_constituted, PanelConstituted, PL_ROLE_BIT(ADMIN)) \
  XX(DISPUTE_OPENED, dispute_opened, DisputeOpened, PL_ROLE_BIT(REPAIR_STATION)) \
  XX(ARBITRATION_RULED, arbitration_ruled, ArbitrationRuled, PL_ROLE_BIT(ARBITER))

/* The stateless check of each kind: what makes the body well-formed on its
 * own, before any state is read. 0, or a PL_E* code (PL_EINVAL nearly
 * always) with `msg` (PL_MSG_MAX bytes) naming the field. */
#define PL__SPEC_DECL(CASE, name, Type, roles)                                 \
  int pl_spec_##name(const Partsledger__V1__##Type *b, char *msg);
PL_KINDS(PL__SPEC_DECL)
#undef PL__SPEC_DECL

#endif /* PL_KINDS_H */
