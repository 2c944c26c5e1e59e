/*
 * rules.h - the warranty status as a pure judgment over gathered facts, so
 * that the server (from its tables, state/warranty.c) and an offline
 * verifier (from the entries of an audit bundle, client/audit.c) judge with
 * one set of rules. No storage, no clock.
 *
 * The status of (device, component) at time t is judged from what the log
 * holds, taking only what had happened by t: the part in place at t
 * (installs by their log time), readings taken by t and the query's own,
 * rejections of failures by t. In order: NOT_REGISTERED; LATE_REGISTRATION
 * when the registration was logged more than the policy's window after
 * purchase; VOID when a claim on the component whose failure was by t was
 * rejected for human damage or an unauthorised modification (and no ruling
 * upheld it) and no replacement of the component was logged between that
 * failure and t; else covered while t is before the device term's end
 * (purchase + the component's months + its extensions, cut short by the
 * first reading to reach the usage limit) or the part's own term (a part a
 * replacement installed: install time + its batch's warranty months).
 */
#ifndef PL_RULES_H
#define PL_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "partsledger/v1/warranty.pb-c.h"

#define PL_WINDOW_DEFAULT_DAYS 30

typedef struct {
  int64_t at;              /* the install's log time */
  const char *part_serial, *batch_id;
  int part_class;
  int by_replacement;      /* 0: listed at registration */
  uint32_t warranty_months; /* its batch's; 0 none */
} pl_rule_install;

typedef struct {
  int64_t at;              /* when it was taken (a client's statement) */
  uint64_t reading;
} pl_rule_reading;

typedef struct {
  const char *claim_id;
  int64_t failure_at;      /* a failure rejected for an exclusion, not upheld */
} pl_rule_exclusion;

typedef struct {
  int registered;
  const char *device_serial, *component, *policy_id;
  int64_t purchased_at, registered_at;
  uint32_t window_days;    /* 0 means PL_WINDOW_DEFAULT_DAYS */
  int has_term;            /* the policy has a term for the component */
  uint32_t months;
  uint64_t usage_limit;    /* 0: none */
  const char *usage_unit;
  uint64_t extended_months;
  const pl_rule_install *installs;   /* of the component, in log order */
  size_t n_installs;
  const pl_rule_reading *readings;   /* of the device, any order */
  size_t n_readings;
  const pl_rule_exclusion *exclusions;
  size_t n_exclusions;
} pl_rule_facts;

typedef struct {
  int status;              /* a WarrantyStatus */
  int64_t coverage_ends_at, device_ends_at, part_ends_at;
  const char *term_source; /* "device", "part" or "" */
  const pl_rule_install *part; /* in place at t, or NULL */
  char reason[PL_MSG_MAX];
} pl_rule_verdict;

/* Judges the facts at time `at`, with a reading taken then (0: none). */
void pl_rule_judge(const pl_rule_facts *f, int64_t at, uint64_t reading,
                   pl_rule_verdict *out);

/* The status a decision reason states as a fact (IN_TERM: ACTIVE, ...), or
 * 0 for a reason of judgment (GOODWILL, the exclusions, OTHER). */
int pl_rule_reason_status(int reason);

/* "ACTIVE", "EXPIRED", ... */
const char *pl_rule_status_name(int status);

#endif /* PL_RULES_H */
