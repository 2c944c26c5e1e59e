/*
 * rules.c - see rules.h.
 */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#include "caltime.h"

void pl_rule_judge(const pl_rule_facts *f, int64_t at, uint64_t reading,
                   pl_rule_verdict *v) {
  memset(v, 0, sizeof(*v));
  v->term_source = "";
  /* The part in place at t: repairs may put parts in a device nobody
   * registered, so this is known either way. */
  for (size_t i = 0; i < f->n_installs; i++)
    if (f->installs[i].at <= at)
      v->part = &f->installs[i];
  if (!f->registered) {
    v->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_REGISTERED;
    snprintf(v->reason, sizeof(v->reason), "device %s is not registered", f->device_serial);
    return;
  }

  /* The device's term: by time, and by usage, whichever ends first. */
  int device_covers = 0, usage_ended = 0;
  int64_t time_end = 0;
  if (f->has_term) {
    time_end = pl_cal_add_months(f->purchased_at,
                                 (int64_t)f->months + (int64_t)f->extended_months);
    v->device_ends_at = time_end;
    if (f->usage_limit > 0) {
      int64_t reached = reading >= f->usage_limit ? at : INT64_MAX;
      for (size_t i = 0; i < f->n_readings; i++)
        if (f->readings[i].at <= at && f->readings[i].reading >= f->usage_limit &&
            f->readings[i].at < reached)
          reached = f->readings[i].at;
      if (reached < time_end) {
        v->device_ends_at = reached;
        usage_ended = 1;
      }
    }
    device_covers = at < v->device_ends_at;
  }
  /* The part's own term, for a part a replacement put in. */
  int part_applies = v->part != NULL && v->part->by_replacement &&
                     v->part->warranty_months > 0;
  if (part_applies)
    v->part_ends_at = pl_cal_add_months(v->part->at, v->part->warranty_months);
  int part_covers = part_applies && at < v->part_ends_at;
  if (f->has_term && (!part_applies || v->device_ends_at >= v->part_ends_at)) {
    v->coverage_ends_at = v->device_ends_at;
    v->term_source = "device";
  } else if (part_applies) {
    v->coverage_ends_at = v->part_ends_at;
    v->term_source = "part";
  }

  int64_t window = (int64_t)(f->window_days ? f->window_days : PL_WINDOW_DEFAULT_DAYS) *
                   PL_DAY_MS;
  if (f->registered_at - f->purchased_at > window) {
    v->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_LATE_REGISTRATION;
    snprintf(v->reason, sizeof(v->reason),
             "registered %lld days after purchase; the window is %lld days",
             (long long)((f->registered_at - f->purchased_at) / PL_DAY_MS),
             (long long)(window / PL_DAY_MS));
    return;
  }
  for (size_t i = 0; i < f->n_exclusions; i++) {
    const pl_rule_exclusion *x = &f->exclusions[i];
    if (x->failure_at > at)
      continue;
    int replaced = 0;
    for (size_t j = 0; j < f->n_installs && !replaced; j++)
      replaced = f->installs[j].by_replacement && f->installs[j].at > x->failure_at &&
                 f->installs[j].at <= at;
    if (!replaced) {
      v->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_VOID;
      snprintf(v->reason, sizeof(v->reason),
               "claim %s was rejected for human damage or an unauthorised "
               "modification, and the component was not replaced since",
               x->claim_id);
      return;
    }
  }
  if (device_covers || part_covers) {
    v->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_ACTIVE;
    snprintf(v->reason, sizeof(v->reason), "covered by the %s term until %lld",
             v->term_source, (long long)v->coverage_ends_at);
  } else if (!f->has_term && !part_applies) {
    v->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_COVERED;
    snprintf(v->reason, sizeof(v->reason),
             "policy %s has no term for component %s, and the part has no term of its "
             "own", f->policy_id, f->component);
  } else if (usage_ended && at < time_end) {
    v->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_USAGE_EXCEEDED;
    snprintf(v->reason, sizeof(v->reason), "a reading reached the usage limit of %llu %s",
             (unsigned long long)f->usage_limit, f->usage_unit ? f->usage_unit : "");
  } else {
    v->status = PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_EXPIRED;
    snprintf(v->reason, sizeof(v->reason), "coverage ended at %lld",
             (long long)v->coverage_ends_at);
  }
}

int pl_rule_reason_status(int reason) {
  switch (reason) {
  case PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_IN_TERM:
    return PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_ACTIVE;
  case PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_OUT_OF_TERM:
    return PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_EXPIRED;
  case PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_USAGE_EXCEEDED:
    return PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_USAGE_EXCEEDED;
  case PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_NOT_REGISTERED:
    return PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_REGISTERED;
  case PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_LATE_REGISTRATION:
    return PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_LATE_REGISTRATION;
  case PARTSLEDGER__V1__DECISION_REASON__DECISION_REASON_NOT_COVERED:
    return PARTSLEDGER__V1__WARRANTY_STATUS__WARRANTY_STATUS_NOT_COVERED;
  default:
    return 0;
  }
}

const char *pl_rule_status_name(int status) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&partsledger__v1__warranty_status__descriptor,
                                           status);
  /* "WARRANTY_STATUS_ACTIVE" -> "ACTIVE" */
  return v != NULL ? v->name + strlen("WARRANTY_STATUS_") : "UNKNOWN";
}
