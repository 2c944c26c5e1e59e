/*
 * services.c - every gRPC service partsledgerd answers. A new service is a
 * file exporting its pl_service and a line here.
 */
#include "rpc.h"

extern const pl_service pl_service_ledger;
extern const pl_service pl_service_health;
extern const pl_service pl_service_inventory;
extern const pl_service pl_service_trace;
extern const pl_service pl_service_warranty;
extern const pl_service pl_service_audit;

const pl_service *const pl_services[] = {
    &pl_service_ledger,
    &pl_service_inventory,
    &pl_service_trace,
    &pl_service_warranty,
    &pl_service_audit,
    &pl_service_health,
};
const size_t pl_services_count = sizeof(pl_services) / sizeof(pl_services[0]);
