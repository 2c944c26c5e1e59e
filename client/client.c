/*
 * client.c - the partsledger client library over the gRPC core C API; see
 * client.h.
 *
 * Each pl_client owns one channel and one pluck completion queue. Methods are
 * registered on the channel the first time they are used and the handles are
 * cached, so a call costs one grpc_channel_create_registered_call and one
 * batch. Unary calls send and receive everything in that single batch; Follow
 * sends its request, then receives one message per batch until the stream
 * ends. Entries are built and signed at the end (pl_entry_build); the
 * builders of each kind's Entry are in build.c, the offline verifiers in
 * verify.c.
 *
 * May depend on: gRPC core, protobuf-c, libsodium (random and derived
 * request ids), and the storage/ headers arena.h, clock.h, entry.h, error.h,
 * keys.h.
 */
#include "client.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "entry.h"
#include "grpc/health/v1/health.pb-c.h"

#define PL__DEFAULT_TIMEOUT_MS 10000

struct pl__method {
  char *name; /* must outlive the channel: gRPC keeps the pointer */
  void *handle;
};

struct pl_client {
  grpc_channel *channel;
  grpc_completion_queue *cq;
  int64_t timeout_ms; /* <= 0: no deadline */
  struct pl__method *methods;
  size_t n_methods;
  int last_status;    /* grpc_status_code of the last call */
  char *last_message; /* malloc'ed; never NULL after open */
};

/* ---- status bookkeeping ---- */

static void pl__set_status(pl_client *c, int status, const char *msg,
                           size_t len) {
  char *m = malloc(len + 1);
  if (m != NULL) {
    memcpy(m, msg, len);
    m[len] = '\0';
    free(c->last_message);
    c->last_message = m;
  } else {
    /* Keep the old buffer but blank it: a stale message would mislead. */
    c->last_message[0] = '\0';
  }
  c->last_status = status;
}

static void pl__set_status_str(pl_client *c, int status, const char *msg) {
  pl__set_status(c, status, msg, strlen(msg));
}

/* The nearest project error for a gRPC status. Several PL_E* codes share a
 * status (PERMISSION_DENIED covers ESIGNER, EREVOKED, EROLE); the caller gets
 * the representative one and the exact text from pl_client_last_status(). */
static int pl__status_to_err(grpc_status_code s) {
  switch (s) {
  case GRPC_STATUS_OK:
    return 0;
  case GRPC_STATUS_INVALID_ARGUMENT:
    return PL_EINVAL;
  case GRPC_STATUS_UNAUTHENTICATED:
    return PL_EBADSIG;
  case GRPC_STATUS_PERMISSION_DENIED:
    return PL_EROLE;
  case GRPC_STATUS_NOT_FOUND:
    return PL_ENOTFOUND;
  case GRPC_STATUS_ALREADY_EXISTS:
    return PL_EEXIST;
  case GRPC_STATUS_FAILED_PRECONDITION:
    return PL_ESTATE;
  case GRPC_STATUS_OUT_OF_RANGE:
    return PL_ERANGE;
  case GRPC_STATUS_RESOURCE_EXHAUSTED:
    return PL_EFULL;
  case GRPC_STATUS_UNAVAILABLE:
  case GRPC_STATUS_DEADLINE_EXCEEDED:
  case GRPC_STATUS_CANCELLED: /* what a stopping server gives calls it had not
                                 started: safe to retry, as UNAVAILABLE is */
    return PL_ECONNECT;
  case GRPC_STATUS_DATA_LOSS:
    return PL_ECORRUPT;
  default:
    return PL_EINTERNAL;
  }
}

/* ---- lifecycle ---- */

/* gRPC's own log lines ("E1202 ... Connection refused") would reach the
 * terminal of whoever runs a client, next to the one line the caller prints
 * from pl_client_last_status: every failure already comes back as a status.
 * So they are dropped, unless GRPC_VERBOSITY asks for them (then gRPC reads
 * it at grpc_init, as it always does). */
static void pl__grpc_log_drop(gpr_log_func_args *args) { (void)args; }

static void pl__grpc_log_quiet(void) {
  if (getenv("GRPC_VERBOSITY") == NULL) {
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
    gpr_set_log_function(pl__grpc_log_drop);
  }
}

static pthread_once_t pl__grpc_log_once = PTHREAD_ONCE_INIT;

int pl_client_open(const char *target, pl_client **out) {
  *out = NULL;
  if (target == NULL || target[0] == '\0')
    return PL_EINVAL; /* gRPC would log and fail each call instead */
  pl_client *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return PL_ENOMEM;
  c->last_message = calloc(1, 1);
  if (c->last_message == NULL) {
    free(c);
    return PL_ENOMEM;
  }
  c->timeout_ms = PL__DEFAULT_TIMEOUT_MS;

  /* gRPC counts its initializations, so one per client is balanced by the
   * grpc_shutdown() in pl_client_close(). */
  pthread_once(&pl__grpc_log_once, pl__grpc_log_quiet);
  grpc_init();
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  c->channel = grpc_channel_create(target, creds, NULL);
  grpc_channel_credentials_release(creds);
  c->cq = grpc_completion_queue_create_for_pluck(NULL);
  if (c->channel == NULL || c->cq == NULL) {
    pl_client_close(c);
    return PL_ENOMEM;
  }
  *out = c;
  return 0;
}

void pl_client_close(pl_client *c) {
  if (c == NULL)
    return;
  if (c->channel != NULL)
    grpc_channel_destroy(c->channel);
  if (c->cq != NULL) {
    /* Every batch was plucked, so the queue is empty; draining it until the
     * shutdown event is what grpc_completion_queue_destroy requires. */
    grpc_completion_queue_shutdown(c->cq);
    while (grpc_completion_queue_pluck(c->cq, NULL,
                                       gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
               .type != GRPC_QUEUE_SHUTDOWN)
      ;
    grpc_completion_queue_destroy(c->cq);
  }
  for (size_t i = 0; i < c->n_methods; i++)
    free(c->methods[i].name);
  free(c->methods);
  free(c->last_message);
  free(c);
  grpc_shutdown();
}

/* A non-positive timeout means "no deadline": Follow uses it to wait for new
 * entries for as long as the caller likes. */
void pl_client_set_timeout_ms(pl_client *c, int64_t ms) { c->timeout_ms = ms; }

int pl_client_last_status(const pl_client *c, const char **message) {
  if (message != NULL)
    *message = c->last_message;
  return c->last_status;
}

/* ---- calls ---- */

/* The cached registration handle of `method`, registering it on first use. */
static void *pl__method_handle(pl_client *c, const char *method) {
  for (size_t i = 0; i < c->n_methods; i++)
    if (strcmp(c->methods[i].name, method) == 0)
      return c->methods[i].handle;
  struct pl__method *m =
      realloc(c->methods, (c->n_methods + 1) * sizeof(*c->methods));
  if (m == NULL)
    return NULL;
  c->methods = m;
  char *name = strdup(method);
  if (name == NULL)
    return NULL;
  void *h = grpc_channel_register_call(c->channel, name, NULL, NULL);
  if (h == NULL) {
    free(name);
    return NULL;
  }
  c->methods[c->n_methods].name = name;
  c->methods[c->n_methods].handle = h;
  c->n_methods++;
  return h;
}

static gpr_timespec pl__deadline(const pl_client *c) {
  if (c->timeout_ms <= 0)
    return gpr_inf_future(GPR_CLOCK_MONOTONIC);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_millis(c->timeout_ms, GPR_TIMESPAN));
}

/* Starts `ops` on `call` and waits for them. Returns the batch's success flag
 * (0 when the call failed under it), or -1 when the batch could not start. */
static int pl__run_batch(pl_client *c, grpc_call *call, const grpc_op *ops,
                         size_t n) {
  int tag;
  if (grpc_call_start_batch(call, ops, n, &tag, NULL) != GRPC_CALL_OK)
    return -1;
  grpc_event ev = grpc_completion_queue_pluck(
      c->cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  return ev.type == GRPC_OP_COMPLETE ? ev.success : 0;
}

/* Unpacks a received message into `a`. 0 or PL_EINTERNAL (unreadable), with
 * the client status set to say why. */
static int pl__unpack(pl_client *c, grpc_byte_buffer *bb,
                      const ProtobufCMessageDescriptor *desc, pl_arena *a,
                      ProtobufCMessage **out) {
  grpc_byte_buffer_reader r;
  if (!grpc_byte_buffer_reader_init(&r, bb)) {
    pl__set_status_str(c, GRPC_STATUS_INTERNAL, "cannot read response");
    return PL_EINTERNAL;
  }
  grpc_slice s = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  /* protobuf-c copies bytes and strings, so the slice can go right away. */
  *out =
      protobuf_c_message_unpack(desc, pl_arena_allocator(a),
                                GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
  grpc_slice_unref(s);
  if (*out == NULL) {
    pl__set_status_str(c, GRPC_STATUS_INTERNAL,
                       "response does not parse as the expected message");
    return PL_EINTERNAL;
  }
  return 0;
}

/* Records the call's final status and maps it. */
static int pl__finish(pl_client *c, grpc_status_code status,
                      grpc_slice details) {
  pl__set_status(c, status, (const char *)GRPC_SLICE_START_PTR(details),
                 GRPC_SLICE_LENGTH(details));
  return pl__status_to_err(status);
}

int pl_client_call_raw(pl_client *c, const char *method, const uint8_t *req,
                       size_t req_len,
                       const ProtobufCMessageDescriptor *resp_desc, pl_arena *a,
                       ProtobufCMessage **resp) {
  *resp = NULL;
  void *handle = pl__method_handle(c, method);
  if (handle == NULL) {
    pl__set_status_str(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return PL_ENOMEM;
  }
  grpc_call *call = grpc_channel_create_registered_call(
      c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, handle, pl__deadline(c),
      NULL);
  if (call == NULL) {
    pl__set_status_str(c, GRPC_STATUS_INTERNAL, "cannot create call");
    return PL_EINTERNAL;
  }

  grpc_slice req_slice =
      grpc_slice_from_copied_buffer((const char *)req, req_len);
  grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&req_slice, 1);
  grpc_slice_unref(req_slice);

  grpc_metadata_array initial_md, trailing_md;
  grpc_metadata_array_init(&initial_md);
  grpc_metadata_array_init(&trailing_md);
  grpc_byte_buffer *recv = NULL;
  grpc_status_code status = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();

  grpc_op ops[6];
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &recv;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
  ops[5].data.recv_status_on_client.status = &status;
  ops[5].data.recv_status_on_client.status_details = &details;

  int ok = pl__run_batch(c, call, ops, 6);
  int rc;
  if (ok < 0) {
    pl__set_status_str(c, GRPC_STATUS_INTERNAL, "cannot start call");
    rc = PL_EINTERNAL;
  } else if (status != GRPC_STATUS_OK) {
    rc = pl__finish(c, status, details);
  } else if (!ok || recv == NULL) {
    /* OK status without a reply message breaks the unary contract. */
    pl__set_status_str(c, GRPC_STATUS_INTERNAL,
                       "server sent no response message");
    rc = PL_EINTERNAL;
  } else {
    rc = pl__unpack(c, recv, resp_desc, a, resp);
    if (rc == 0)
      pl__finish(c, status, details);
  }

  grpc_slice_unref(details);
  if (recv != NULL)
    grpc_byte_buffer_destroy(recv);
  grpc_byte_buffer_destroy(send);
  grpc_metadata_array_destroy(&initial_md);
  grpc_metadata_array_destroy(&trailing_md);
  grpc_call_unref(call);
  return rc;
}

/* Packs `msg` into `a`. NULL when out of memory. */
static uint8_t *pl__pack(const ProtobufCMessage *msg, pl_arena *a,
                         size_t *len) {
  *len = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = pl_arena_alloc(a, *len ? *len : 1);
  if (buf != NULL)
    protobuf_c_message_pack(msg, buf);
  return buf;
}

int pl_client_call(pl_client *c, const char *method,
                   const ProtobufCMessage *req,
                   const ProtobufCMessageDescriptor *resp_desc, pl_arena *a,
                   ProtobufCMessage **resp) {
  size_t len;
  uint8_t *buf = pl__pack(req, a, &len);
  if (buf == NULL) {
    *resp = NULL;
    pl__set_status_str(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return PL_ENOMEM;
  }
  return pl_client_call_raw(c, method, buf, len, resp_desc, a, resp);
}

/* ---- typed wrappers ---- */

#define PL__LEDGER "/partsledger.v1.Ledger/"

int pl_client_append(pl_client *c, const Partsledger__V1__SignedEntry *se,
                     pl_arena *a, Partsledger__V1__AppendResponse **out) {
  Partsledger__V1__AppendRequest req = PARTSLEDGER__V1__APPEND_REQUEST__INIT;
  req.signed_entry = (Partsledger__V1__SignedEntry *)se;
  return pl_client_call(c, PL__LEDGER "Append", &req.base,
                        &partsledger__v1__append_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_append_batch(pl_client *c, Partsledger__V1__SignedEntry **ses,
                           size_t n, pl_arena *a,
                           Partsledger__V1__AppendBatchResponse **out) {
  Partsledger__V1__AppendBatchRequest req =
      PARTSLEDGER__V1__APPEND_BATCH_REQUEST__INIT;
  req.n_signed_entries = n;
  req.signed_entries = ses;
  return pl_client_call(c, PL__LEDGER "AppendBatch", &req.base,
                        &partsledger__v1__append_batch_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_get_entry(pl_client *c, uint64_t index, pl_arena *a,
                        Partsledger__V1__EntryResponse **out) {
  Partsledger__V1__GetEntryRequest req =
      PARTSLEDGER__V1__GET_ENTRY_REQUEST__INIT;
  req.index = index;
  return pl_client_call(c, PL__LEDGER "GetEntry", &req.base,
                        &partsledger__v1__entry_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_list_entries(pl_client *c, uint64_t start, uint32_t page_size,
                           pl_arena *a,
                           Partsledger__V1__ListEntriesResponse **out) {
  Partsledger__V1__ListEntriesRequest req =
      PARTSLEDGER__V1__LIST_ENTRIES_REQUEST__INIT;
  req.start = start;
  req.page_size = page_size;
  return pl_client_call(c, PL__LEDGER "ListEntries", &req.base,
                        &partsledger__v1__list_entries_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_get_checkpoint(pl_client *c, pl_arena *a,
                             Partsledger__V1__GetCheckpointResponse **out) {
  Partsledger__V1__GetCheckpointRequest req =
      PARTSLEDGER__V1__GET_CHECKPOINT_REQUEST__INIT;
  return pl_client_call(c, PL__LEDGER "GetCheckpoint", &req.base,
                        &partsledger__v1__get_checkpoint_response__descriptor,
                        a, (ProtobufCMessage **)out);
}

int pl_client_get_inclusion_proof(
    pl_client *c, uint64_t index, uint64_t tree_size, pl_arena *a,
    Partsledger__V1__GetInclusionProofResponse **out) {
  Partsledger__V1__GetInclusionProofRequest req =
      PARTSLEDGER__V1__GET_INCLUSION_PROOF_REQUEST__INIT;
  req.index = index;
  req.tree_size = tree_size;
  return pl_client_call(
      c, PL__LEDGER "GetInclusionProof", &req.base,
      &partsledger__v1__get_inclusion_proof_response__descriptor, a,
      (ProtobufCMessage **)out);
}

int pl_client_get_consistency_proof(
    pl_client *c, uint64_t old_size, uint64_t new_size, pl_arena *a,
    Partsledger__V1__GetConsistencyProofResponse **out) {
  Partsledger__V1__GetConsistencyProofRequest req =
      PARTSLEDGER__V1__GET_CONSISTENCY_PROOF_REQUEST__INIT;
  req.old_size = old_size;
  req.new_size = new_size;
  return pl_client_call(
      c, PL__LEDGER "GetConsistencyProof", &req.base,
      &partsledger__v1__get_consistency_proof_response__descriptor, a,
      (ProtobufCMessage **)out);
}

int pl_client_get_log_info(pl_client *c, pl_arena *a,
                           Partsledger__V1__GetLogInfoResponse **out) {
  Partsledger__V1__GetLogInfoRequest req =
      PARTSLEDGER__V1__GET_LOG_INFO_REQUEST__INIT;
  return pl_client_call(c, PL__LEDGER "GetLogInfo", &req.base,
                        &partsledger__v1__get_log_info_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_health(pl_client *c, int *serving) {
  *serving = 0;
  pl_arena *a = pl_arena_new(0);
  if (a == NULL)
    return PL_ENOMEM;
  Grpc__Health__V1__HealthCheckRequest req =
      GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = "";
  Grpc__Health__V1__HealthCheckResponse *resp;
  int rc = pl_client_call(c, "/grpc.health.v1.Health/Check", &req.base,
                          &grpc__health__v1__health_check_response__descriptor,
                          a, (ProtobufCMessage **)&resp);
  if (rc == 0)
    *serving = resp->status ==
               GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  pl_arena_free(a);
  return rc;
}

/* ---- Inventory and Trace ---- */

#define PL__INVENTORY "/partsledger.v1.Inventory/"
#define PL__TRACE "/partsledger.v1.Trace/"

int pl_client_get_site(pl_client *c, const char *site_id, pl_arena *a,
                       Partsledger__V1__Site **out) {
  Partsledger__V1__GetSiteRequest req = PARTSLEDGER__V1__GET_SITE_REQUEST__INIT;
  req.site_id = (char *)site_id;
  return pl_client_call(c, PL__INVENTORY "GetSite", &req.base,
                        &partsledger__v1__site__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_get_batch(pl_client *c, const char *batch_id, pl_arena *a,
                        Partsledger__V1__Batch **out) {
  Partsledger__V1__GetBatchRequest req =
      PARTSLEDGER__V1__GET_BATCH_REQUEST__INIT;
  req.batch_id = (char *)batch_id;
  return pl_client_call(c, PL__INVENTORY "GetBatch", &req.base,
                        &partsledger__v1__batch__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_get_stock(pl_client *c, const char *site_id, const char *sku,
                        pl_arena *a, Partsledger__V1__GetStockResponse **out) {
  Partsledger__V1__GetStockRequest req =
      PARTSLEDGER__V1__GET_STOCK_REQUEST__INIT;
  req.site_id = (char *)site_id;
  req.sku = (char *)sku;
  return pl_client_call(c, PL__INVENTORY "GetStock", &req.base,
                        &partsledger__v1__get_stock_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_stock_near(pl_client *c,
                         const Partsledger__V1__StockNearRequest *req,
                         pl_arena *a,
                         Partsledger__V1__StockNearResponse **out) {
  return pl_client_call(c, PL__INVENTORY "StockNear", &req->base,
                        &partsledger__v1__stock_near_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_get_reservation(pl_client *c, const char *reservation_id,
                              pl_arena *a, Partsledger__V1__Reservation **out) {
  Partsledger__V1__GetReservationRequest req =
      PARTSLEDGER__V1__GET_RESERVATION_REQUEST__INIT;
  req.reservation_id = (char *)reservation_id;
  return pl_client_call(c, PL__INVENTORY "GetReservation", &req.base,
                        &partsledger__v1__reservation__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_trace_batch(pl_client *c, const char *batch_id, uint64_t start,
                          uint32_t page_size, int with_proofs, pl_arena *a,
                          Partsledger__V1__TraceBatchResponse **out) {
  Partsledger__V1__TraceBatchRequest req =
      PARTSLEDGER__V1__TRACE_BATCH_REQUEST__INIT;
  req.batch_id = (char *)batch_id;
  req.start = start;
  req.page_size = page_size;
  req.with_proofs = with_proofs != 0;
  return pl_client_call(c, PL__TRACE "TraceBatch", &req.base,
                        &partsledger__v1__trace_batch_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_trace_supplier(pl_client *c, const char *supplier_id,
                             uint64_t start, uint32_t page_size, pl_arena *a,
                             Partsledger__V1__TraceSupplierResponse **out) {
  Partsledger__V1__TraceSupplierRequest req =
      PARTSLEDGER__V1__TRACE_SUPPLIER_REQUEST__INIT;
  req.supplier_id = (char *)supplier_id;
  req.start = start;
  req.page_size = page_size;
  return pl_client_call(c, PL__TRACE "TraceSupplier", &req.base,
                        &partsledger__v1__trace_supplier_response__descriptor,
                        a, (ProtobufCMessage **)out);
}

/* ---- Warranty, and the Trace service's histories ---- */

#define PL__WARRANTY "/partsledger.v1.Warranty/"

int pl_client_warranty_status(
    pl_client *c, const char *device_serial, const char *component,
    int64_t at_ms, uint64_t usage_reading, pl_arena *a,
    Partsledger__V1__GetWarrantyStatusResponse **out) {
  Partsledger__V1__GetWarrantyStatusRequest req =
      PARTSLEDGER__V1__GET_WARRANTY_STATUS_REQUEST__INIT;
  req.device_serial = (char *)device_serial;
  req.component = (char *)component;
  req.at_ms = at_ms;
  req.usage_reading = usage_reading;
  return pl_client_call(
      c, PL__WARRANTY "GetWarrantyStatus", &req.base,
      &partsledger__v1__get_warranty_status_response__descriptor, a,
      (ProtobufCMessage **)out);
}

int pl_client_get_device(pl_client *c, const char *device_serial, pl_arena *a,
                         Partsledger__V1__Device **out) {
  Partsledger__V1__GetDeviceRequest req =
      PARTSLEDGER__V1__GET_DEVICE_REQUEST__INIT;
  req.device_serial = (char *)device_serial;
  return pl_client_call(c, PL__WARRANTY "GetDevice", &req.base,
                        &partsledger__v1__device__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_get_repair_order(pl_client *c, const char *order_id, pl_arena *a,
                               Partsledger__V1__RepairOrder **out) {
  Partsledger__V1__GetRepairOrderRequest req =
      PARTSLEDGER__V1__GET_REPAIR_ORDER_REQUEST__INIT;
  req.order_id = (char *)order_id;
  return pl_client_call(c, PL__WARRANTY "GetRepairOrder", &req.base,
                        &partsledger__v1__repair_order__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_get_claim(pl_client *c, const char *claim_id, pl_arena *a,
                        Partsledger__V1__Claim **out) {
  Partsledger__V1__GetClaimRequest req =
      PARTSLEDGER__V1__GET_CLAIM_REQUEST__INIT;
  req.claim_id = (char *)claim_id;
  return pl_client_call(c, PL__WARRANTY "GetClaim", &req.base,
                        &partsledger__v1__claim__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_station_report(pl_client *c, const char *site_id, int64_t from_ms,
                             int64_t to_ms, pl_arena *a,
                             Partsledger__V1__StationReportResponse **out) {
  Partsledger__V1__StationReportRequest req =
      PARTSLEDGER__V1__STATION_REPORT_REQUEST__INIT;
  req.site_id = (char *)site_id;
  req.from_ms = from_ms;
  req.to_ms = to_ms;
  return pl_client_call(c, PL__WARRANTY "StationReport", &req.base,
                        &partsledger__v1__station_report_response__descriptor,
                        a, (ProtobufCMessage **)out);
}

int pl_client_device_history(pl_client *c, const char *device_serial,
                             int with_proofs, pl_arena *a,
                             Partsledger__V1__DeviceHistoryResponse **out) {
  Partsledger__V1__DeviceHistoryRequest req =
      PARTSLEDGER__V1__DEVICE_HISTORY_REQUEST__INIT;
  req.device_serial = (char *)device_serial;
  req.with_proofs = with_proofs != 0;
  return pl_client_call(c, PL__TRACE "DeviceHistory", &req.base,
                        &partsledger__v1__device_history_response__descriptor,
                        a, (ProtobufCMessage **)out);
}

int pl_client_part_history(pl_client *c, const char *part_serial,
                           int with_proofs, pl_arena *a,
                           Partsledger__V1__PartHistoryResponse **out) {
  Partsledger__V1__PartHistoryRequest req =
      PARTSLEDGER__V1__PART_HISTORY_REQUEST__INIT;
  req.part_serial = (char *)part_serial;
  req.with_proofs = with_proofs != 0;
  return pl_client_call(c, PL__TRACE "PartHistory", &req.base,
                        &partsledger__v1__part_history_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_batch_devices(pl_client *c, const char *batch_id, uint64_t start,
                            uint32_t page_size, pl_arena *a,
                            Partsledger__V1__BatchDevicesResponse **out) {
  Partsledger__V1__BatchDevicesRequest req =
      PARTSLEDGER__V1__BATCH_DEVICES_REQUEST__INIT;
  req.batch_id = (char *)batch_id;
  req.start = start;
  req.page_size = page_size;
  return pl_client_call(c, PL__TRACE "BatchDevices", &req.base,
                        &partsledger__v1__batch_devices_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

/* ---- Audit ---- */

#define PL__AUDIT "/partsledger.v1.Audit/"

int pl_client_export_audit_bundle(pl_client *c, const char *claim_id, pl_arena *a,
                                  Partsledger__V1__ExportAuditBundleResponse **out) {
  Partsledger__V1__ExportAuditBundleRequest req =
      PARTSLEDGER__V1__EXPORT_AUDIT_BUNDLE_REQUEST__INIT;
  req.claim_id = (char *)claim_id;
  return pl_client_call(c, PL__AUDIT "ExportAuditBundle", &req.base,
                        &partsledger__v1__export_audit_bundle_response__descriptor, a,
                        (ProtobufCMessage **)out);
}

int pl_client_get_panel(pl_client *c, const char *panel_id, pl_arena *a,
                        Partsledger__V1__Panel **out) {
  Partsledger__V1__GetPanelRequest req = PARTSLEDGER__V1__GET_PANEL_REQUEST__INIT;
  req.panel_id = (char *)panel_id;
  return pl_client_call(c, PL__AUDIT "GetPanel", &req.base,
                        &partsledger__v1__panel__descriptor, a, (ProtobufCMessage **)out);
}

/* ---- Follow (server streaming) ---- */

int pl_client_follow(pl_client *c, uint64_t start, pl_follow_fn fn, void *ctx) {
  void *handle = pl__method_handle(c, PL__LEDGER "Follow");
  pl_arena *a = pl_arena_new(0);
  if (handle == NULL || a == NULL) {
    pl_arena_free(a);
    pl__set_status_str(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    return PL_ENOMEM;
  }
  grpc_call *call = grpc_channel_create_registered_call(
      c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, handle, pl__deadline(c),
      NULL);
  if (call == NULL) {
    pl_arena_free(a);
    pl__set_status_str(c, GRPC_STATUS_INTERNAL, "cannot create call");
    return PL_EINTERNAL;
  }

  Partsledger__V1__FollowRequest req = PARTSLEDGER__V1__FOLLOW_REQUEST__INIT;
  req.start = start;
  uint8_t buf[16]; /* a FollowRequest is at most 11 bytes */
  size_t len = protobuf_c_message_pack(&req.base, buf);
  grpc_slice req_slice = grpc_slice_from_copied_buffer((const char *)buf, len);
  grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&req_slice, 1);
  grpc_slice_unref(req_slice);

  grpc_metadata_array initial_md, trailing_md;
  grpc_metadata_array_init(&initial_md);
  grpc_metadata_array_init(&trailing_md);
  grpc_status_code status = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();
  int rc = 0, stopped = 0;

  grpc_op ops[4];
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
  int ok = pl__run_batch(c, call, ops, 4);
  if (ok < 0) {
    pl__set_status_str(c, GRPC_STATUS_INTERNAL, "cannot start call");
    rc = PL_EINTERNAL;
    goto done;
  }

  /* A failed send batch means the call is already over; its status below
   * says why. */
  while (ok) {
    grpc_byte_buffer *recv = NULL;
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_RECV_MESSAGE;
    ops[0].data.recv_message.recv_message = &recv;
    if (pl__run_batch(c, call, ops, 1) <= 0 || recv == NULL)
      break; /* end of stream or call failed */
    Partsledger__V1__EntryResponse *e;
    rc = pl__unpack(c, recv, &partsledger__v1__entry_response__descriptor, a,
                    (ProtobufCMessage **)&e);
    grpc_byte_buffer_destroy(recv);
    if (rc != 0) {
      grpc_call_cancel(call, NULL);
      break;
    }
    int stop = fn(ctx, e);
    pl_arena_reset(a);
    if (stop) {
      stopped = 1;
      grpc_call_cancel(call, NULL);
      break;
    }
  }

  /* The status must be received even after a cancel, to finish the call. */
  memset(ops, 0, sizeof(ops));
  ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[0].data.recv_status_on_client.trailing_metadata = &trailing_md;
  ops[0].data.recv_status_on_client.status = &status;
  ops[0].data.recv_status_on_client.status_details = &details;
  if (pl__run_batch(c, call, ops, 1) < 0 && rc == 0) {
    pl__set_status_str(c, GRPC_STATUS_INTERNAL, "cannot receive status");
    rc = PL_EINTERNAL;
  } else if (stopped) {
    pl__set_status_str(c, GRPC_STATUS_OK, "");
    rc = 0;
  } else if (rc == 0) {
    rc = pl__finish(c, status, details);
  }

done:
  grpc_slice_unref(details);
  grpc_byte_buffer_destroy(send);
  grpc_metadata_array_destroy(&initial_md);
  grpc_metadata_array_destroy(&trailing_md);
  grpc_call_unref(call);
  pl_arena_free(a);
  return rc;
}

/* ---- entries ---- */

void pl_request_id_new(uint8_t id[PL_REQUEST_ID_BYTES]) {
  uint64_t ms = (uint64_t)pl_now_ms();
  for (int i = 5; i >= 0; i--) {
    id[i] = (uint8_t)ms;
    ms >>= 8;
  }
  randombytes_buf(id + 6, PL_REQUEST_ID_BYTES - 6);
}

void pl_request_id_derive(const void *const parts[], const size_t lens[],
                          size_t n, uint8_t id[PL_REQUEST_ID_BYTES]) {
  crypto_hash_sha256_state st;
  uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_init(&st);
  for (size_t i = 0; i < n; i++) {
    uint8_t len[8];
    uint64_t v = lens[i];
    for (int b = 7; b >= 0; b--) {
      len[b] = (uint8_t)v;
      v >>= 8;
    }
    crypto_hash_sha256_update(&st, len, sizeof(len));
    crypto_hash_sha256_update(&st, parts[i], lens[i]);
  }
  crypto_hash_sha256_final(&st, h);
  memcpy(id, h, PL_REQUEST_ID_BYTES);
}

int pl_entry_build(const pl_key *k, Partsledger__V1__Entry *e, pl_arena *a,
                   Partsledger__V1__SignedEntry **out) {
  *out = NULL;
  if (pl_crypto_init() != 0)
    return PL_ECRYPTO;
  if (e->request_id.len == 0) {
    uint8_t *id = pl_arena_alloc(a, PL_REQUEST_ID_BYTES);
    if (id == NULL)
      return PL_ENOMEM;
    pl_request_id_new(id);
    e->request_id.data = id;
    e->request_id.len = PL_REQUEST_ID_BYTES;
  }
  if (e->occurred_at_ms == 0)
    e->occurred_at_ms = pl_now_ms();
  else if (e->occurred_at_ms == PL_OCCURRED_UNSET)
    e->occurred_at_ms = 0;

  Partsledger__V1__SignedEntry *se = pl_arena_alloc(a, sizeof(*se));
  uint8_t *signer = pl_arena_dup(a, pl_key_public(k), PL_PUBLIC_KEY_BYTES);
  uint8_t *sig = pl_arena_alloc(a, PL_SIGNATURE_BYTES);
  size_t len;
  uint8_t *bytes = pl__pack(&e->base, a, &len);
  if (se == NULL || signer == NULL || sig == NULL || bytes == NULL)
    return PL_ENOMEM;
  int rc = pl_entry_sign(k, bytes, len, sig);
  if (rc != 0)
    return rc;
  partsledger__v1__signed_entry__init(se);
  se->entry.data = bytes;
  se->entry.len = len;
  se->signer.data = signer;
  se->signer.len = PL_PUBLIC_KEY_BYTES;
  se->signature.data = sig;
  se->signature.len = PL_SIGNATURE_BYTES;
  *out = se;
  return 0;
}

int pl_entry_cosign(const pl_key *k, Partsledger__V1__SignedEntry *se, pl_arena *a) {
  const uint8_t *pk = pl_key_public(k);
  if (se->entry.len == 0 || se->signer.len != PL_PUBLIC_KEY_BYTES)
    return PL_EINVAL;
  if (memcmp(se->signer.data, pk, PL_PUBLIC_KEY_BYTES) == 0)
    return PL_EEXIST;
  for (size_t i = 0; i < se->n_cosignatures; i++)
    if (se->cosignatures[i]->signer.len == PL_PUBLIC_KEY_BYTES &&
        memcmp(se->cosignatures[i]->signer.data, pk, PL_PUBLIC_KEY_BYTES) == 0)
      return PL_EEXIST;
  if (se->n_cosignatures >= PL_COSIGNATURES_MAX)
    return PL_EINVAL;
  if (pl_crypto_init() != 0)
    return PL_ECRYPTO;
  Partsledger__V1__Cosignature *co = pl_arena_alloc(a, sizeof(*co));
  Partsledger__V1__Cosignature **v =
      pl_arena_alloc(a, (se->n_cosignatures + 1) * sizeof(*v));
  uint8_t *signer = pl_arena_dup(a, pk, PL_PUBLIC_KEY_BYTES);
  uint8_t *sig = pl_arena_alloc(a, PL_SIGNATURE_BYTES);
  if (co == NULL || v == NULL || signer == NULL || sig == NULL)
    return PL_ENOMEM;
  /* The same context and bytes as the author's signature. */
  int rc = pl_entry_sign(k, se->entry.data, se->entry.len, sig);
  if (rc != 0)
    return rc;
  partsledger__v1__cosignature__init(co);
  co->signer.data = signer;
  co->signer.len = PL_PUBLIC_KEY_BYTES;
  co->signature.data = sig;
  co->signature.len = PL_SIGNATURE_BYTES;
  if (se->n_cosignatures)
    memcpy(v, se->cosignatures, se->n_cosignatures * sizeof(*v));
  v[se->n_cosignatures++] = co;
  se->cosignatures = v;
  return 0;
}
