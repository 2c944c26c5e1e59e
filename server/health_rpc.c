/*
 * health_rpc.c - the standard service grpc.health.v1.Health: SERVING for
 * the whole server ("") and for every service it answers, by name.
 * Depends on rpc.h (the list of services) and storage/text.h.
 */
#include <string.h>

#include "error.h"
#include "grpc/health/v1/health.pb-c.h"
#include "rpc.h"
#include "text.h"

static int pl__health_check(pl_call *c, const ProtobufCMessage *m,
                            ProtobufCMessage **resp) {
  const Grpc__Health__V1__HealthCheckRequest *req = (const void *)m;
  int known = req->service[0] == '\0';
  for (size_t i = 0; !known && i < pl_services_count; i++)
    known = strcmp(req->service, pl_services[i]->name) == 0;
  if (!known) {
    /* Echoed only when it is text: the message goes to logs and terminals. */
    size_t n = strlen(req->service);
    if (n <= 128 && pl_text_printable(req->service, n))
      pl_call_errorf(c, "unknown service %s", req->service);
    else
      pl_call_errorf(c, "unknown service (its name is too long or not printable)");
    return PL_ENOTFOUND;
  }
  Grpc__Health__V1__HealthCheckResponse *r = pl_call_alloc(c, sizeof(*r));
  if (r == NULL)
    return PL_ENOMEM;
  grpc__health__v1__health_check_response__init(r);
  r->status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  *resp = &r->base;
  return 0;
}

static const pl_method pl__health_methods[] = {
    {.name = "Check", .request = &grpc__health__v1__health_check_request__descriptor,
     .handle = pl__health_check, .posted = 4, .max_bytes = 1024, .max_fields = 64},
};

const pl_service pl_service_health = PL_SERVICE("grpc.health.v1.Health", pl__health_methods);
