/*
 * report.c - the results, as text for people or as one JSON object.
 *
 * Both say the same things: per phase its rate, latency, CPU (the bench's,
 * the server's, everyone else's), where the server's threads spent it and
 * its memory, and its errors. Each write phase also gets its ratio to the
 * verify-only limit of its method, and the writer's commits and page
 * writes per entry. The inventory and repair phases add their further
 * measurements (a do-nothing server, Redis, a variant), their ratios to
 * what they are compared with in the same run (bench_cmps), and their own
 * figures. Depends on bench.h only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define BENCH_PAGE 4096

double bench_rate(const bench_result *r) {
  return r->secs > 0 ? (double)r->items / r->secs : 0;
}

/* A figure as a number: whole ones in full, others to 6 digits. */
static void bench_num(double v) {
  if (v == (double)(long long)v && v < 1e15 && v > -1e15)
    printf("%.0f", v);
  else
    printf("%.6g", v);
}

void bench_fig(bench_result *r, const char *key, double v) {
  for (int i = 0; i < r->nfigs; i++)
    if (strcmp(r->figs[i].key, key) == 0) {
      r->figs[i].v = v;
      return;
    }
  if (r->nfigs == BENCH_MAX_FIGS)
    return;
  snprintf(r->figs[r->nfigs].key, sizeof(r->figs[0].key), "%s", key);
  r->figs[r->nfigs++].v = v;
}

double bench_fig_get(const bench_result *r, const char *key, double dflt) {
  for (int i = 0; i < r->nfigs; i++)
    if (strcmp(r->figs[i].key, key) == 0)
      return r->figs[i].v;
  return dflt;
}

/* What a phase's sub-measurements are, by SUB_* slot: a JSON key and a
 * label (NULL: none). */
static const struct {
  const char *key, *label;
} bench_subs[PH_COUNT][BENCH_SUBS] = {
    [PH_NEAR] = {{"limit", "the do-nothing server (a ready StockNear reply)"},
                 {"redis", "Redis GEOSEARCH of the same probes"}},
    [PH_TRACE] = {{"limit", "the do-nothing server (a ready TraceBatch page)"},
                  {"with_proofs", "TraceBatch with_proofs"}},
    [PH_WARRANTY] = {{"device_history", "DeviceHistory"},
                     {"batch_devices", "BatchDevices, whole walks"}},
    [PH_AUDIT] = {{"verify", "offline verification (partsledger audit verify)"}, {NULL, NULL}},
};

/* What a phase's rate is compared with in the same run: the key names the
 * reference (bench_ref) and prefixes the JSON members (limit_rate,
 * limit_ratio, limit_p99_ms). `sub` is the measurement compared: -1 the
 * phase's own. */
static const struct {
  int ph, sub;
  const char *key, *label;
} bench_cmps[] = {
    {PH_NEAR, -1, "limit", "the do-nothing server"},
    {PH_NEAR, -1, "redis", "Redis GEOSEARCH"},
    {PH_TRACE, -1, "limit", "the do-nothing server"},
    {PH_RESERVE, -1, "append", "unary Append in this run"},
    {PH_MIXED, -1, "append", "unary Append in this run"},
    {PH_WARRANTY, -1, "get", "GetEntry in this run"},
    {PH_WARRANTY, SUB_HISTORY, "get", "GetEntry in this run"},
};

/* The result `key` names for phase ph, and why it cannot be used (NULL
 * when it can). */
static const bench_result *bench_ref(const bench *b, int ph, const char *key, const char **why) {
  const bench_result *r;
  *why = NULL;
  if (strcmp(key, "append") == 0)
    r = &b->res[PH_APPEND];
  else if (strcmp(key, "get") == 0)
    r = &b->res[PH_GET];
  else if (strcmp(key, "redis") == 0)
    r = &b->sub[ph][SUB_REDIS];
  else
    r = &b->sub[ph][SUB_LIMIT];
  if (r->skipped || !r->ran)
    *why = r->note[0] ? r->note
           : strcmp(key, "append") == 0 ? "the append phase did not run"
           : strcmp(key, "get") == 0    ? "the get phase did not run"
                                        : "it did not run";
  else if (bench_rate(r) <= 0)
    *why = "it measured nothing";
  return r;
}

/* The limit measured for a write phase's method, or NULL. */
static const bench_result *bench_limit_for(const bench *b, int ph) {
  const bench_result *l = ph == PH_APPEND ? &b->limit[LIM_APPEND]
                          : ph == PH_BATCH || ph == PH_FILL || ph == PH_INVLOAD
                              ? &b->limit[LIM_BATCH]
                                                            : NULL;
  return l != NULL && l->ran && bench_rate(l) > 0 ? l : NULL;
}

static int bench_is_write(int ph) {
  return ph == PH_APPEND || ph == PH_BATCH || ph == PH_FILL || ph == PH_INVLOAD ||
         ph == PH_RESERVE || ph == PH_MIXED;
}

int bench_is_bulk(int ph) { return ph == PH_FILL || ph == PH_INVLOAD; }

/* "12,345" */
static const char *bench_commas(double v, char *buf, size_t len) {
  char digits[32];
  snprintf(digits, sizeof(digits), "%.0f", v < 0 ? 0 : v);
  size_t n = strlen(digits), o = 0;
  for (size_t i = 0; i < n && o + 2 < len; i++) {
    if (i > 0 && (n - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = '\0';
  return buf;
}

/* ---- text -------------------------------------------------------------------- */

/* Server threads worth a line: ours, and gRPC's own when they work. */
static int bench_group_shown(const bench_group *g) {
  return strncmp(g->name, "pl-", 3) == 0 ||
         strncmp(g->name, BENCH_LIMIT_THREADS, strlen(BENCH_LIMIT_THREADS)) == 0 ||
         (1.0 - g->idle / g->threads) >= 0.05;
}

static void bench_text_groups(const bench_result *r) {
  int any = 0;
  for (int g = 0; g < r->ngroups; g++)
    any |= bench_group_shown(&r->groups[g]);
  if (!any)
    return;
  printf("  server threads, share of the phase each: on a core / waiting for one / "
         "for the disk / idle\n");
  for (int g = 0; g < r->ngroups; g++) {
    const bench_group *gr = &r->groups[g];
    if (!bench_group_shown(gr))
      continue;
    char name[40];
    if (gr->threads > 1)
      snprintf(name, sizeof(name), "%s x%d", gr->name, gr->threads);
    else
      snprintf(name, sizeof(name), "%s", gr->name);
    double n = gr->threads;
    printf("    %-18s %3.0f%% %3.0f%% %3.0f%% %3.0f%%\n", name, 100 * gr->cpu / n,
           100 * gr->queued / n, 100 * gr->disk / n, 100 * gr->idle / n);
  }
}

/* The write phase against its limit, and what its commits cost the writer. */
static void bench_text_writer(const bench *b, int ph, const bench_result *r) {
  char a[32], l[32];
  const bench_result *lim = bench_limit_for(b, ph);
  if (lim != NULL)
    printf("  %s %s/s = %.2f of the verify-only limit (%s/s)\n", bench_phase_names[ph],
           bench_commas(bench_rate(r), a, sizeof(a)), bench_rate(r) / bench_rate(lim),
           bench_commas(bench_rate(lim), l, sizeof(l)));
  else if (ph == PH_INVLOAD)
    printf("  no ratio to the verify-only limit of AppendBatch: the limit phase did not run\n");
  if (r->commits == 0)
    return;
  printf("  writer: %" PRIu64 " commits, %.1f entries per commit", r->commits,
         (double)r->items / (double)r->commits);
  if (r->io.ok && r->items > 0)
    printf("; %.2f pages written per entry, %.1f write calls per commit\n",
           (double)r->io.wchar / BENCH_PAGE / (double)r->items,
           (double)r->io.syscw / (double)r->commits);
  else
    printf("; pages and write calls not known: %s\n", r->io.why);
}

/* One result's lines. `server` names what the server figures are of. */
static void bench_text_result(const bench *b, int ph, int batched, const bench_result *r,
                              const char *server) {
  double ceiling = b->res[PH_VERIFY].ran ? b->res[PH_VERIFY].verify_rate * (double)b->cores : 0;
  int writes = bench_is_write(ph) || ph == PH_LIMIT;
  if (ph == PH_VERIFY) {
    /* its rate is printed above, with the ceiling */
  } else if (r->skipped) {
    printf("  skipped: the log already holds %" PRIu64 " entries\n", r->size_before);
  } else {
    const char *unit = writes ? "entries" : "calls";
    if (batched)
      printf("  %.0f %s/s over %.2f s (%" PRIu64 " %s in %" PRIu64 " calls)\n",
             bench_rate(r), unit, r->secs, r->items, unit, r->calls);
    else
      printf("  %.0f %s/s over %.2f s (%" PRIu64 " %s)\n", bench_rate(r), unit, r->secs,
             r->items, unit);
    if (r->ran_out && !bench_is_bulk(ph))
      printf("  (the signed entries ran out before the duration ended)\n");
    if (!bench_is_bulk(ph))
      printf("  latency per call: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r->p50,
             r->p99, r->max);
    if (writes && ceiling > 0)
      printf("  %.0f%% of the verification ceiling (%.0f/s)\n",
             100.0 * bench_rate(r) / ceiling, ceiling);
    if (bench_is_write(ph)) {
      bench_text_writer(b, ph, r);
      printf("  log %" PRIu64 " -> %" PRIu64 " entries; signing beforehand took %.1f s\n",
             r->size_before, r->size_after, r->sign_secs);
    } else if (ph == PH_LIMIT) {
      printf("  signing beforehand took %.1f s\n", r->sign_secs);
    } else {
      printf("  log of %" PRIu64 " entries; %" PRIu64 " responses verified in depth\n",
             r->size_before, r->checked);
    }
  }
  int watched = b->o.server_pid > 0 || ph == PH_LIMIT;
  printf("  CPU: bench %.2f cores", r->client_cpu);
  if (watched && ph != PH_VERIFY)
    printf(", %s %.2f cores (busiest thread %s at %.0f%%)", server, r->server_cpu,
           r->server_top_name, 100.0 * r->server_top);
  if (watched)
    printf(", other processes %.2f cores", r->machine_cpu - r->client_cpu - r->server_cpu);
  else
    printf(", whole machine %.2f cores", r->machine_cpu);
  if (r->steal >= 0.01)
    printf(", steal %.2f cores", r->steal);
  printf("\n");
  if (ph != PH_VERIFY && !bench_is_bulk(ph) && r->items > 0 && r->secs > 0) {
    double per = r->secs / (double)r->items * 1e6;
    printf("  CPU per %s: bench %.1f us", batched ? "entry" : "call", r->client_cpu * per);
    if (watched)
      printf(", %s %.1f us", server, r->server_cpu * per);
    printf("\n");
  }
  bench_text_groups(r);
  if (r->mem.ok)
    printf("  server memory: RSS %.1f MB, of which data.mdb %.1f MB: private %.1f MB "
           "(anon %.1f MB, peak RSS %.1f MB)\n",
           r->mem.rss / 1024.0, r->mem.lmdb / 1024.0, r->mem.priv / 1024.0,
           r->mem.anon / 1024.0, r->mem.hwm / 1024.0);
  if (r->errors > 0) {
    printf("  ERRORS: %" PRIu64 " (", r->errors);
    for (int c = 0, first = 1; c < BENCH_STATUSES; c++)
      if (r->codes[c] > 0) {
        printf("%sstatus %d: %" PRIu64, first ? "" : ", ", c, r->codes[c]);
        first = 0;
      }
    printf("); first: %s\n", r->first_error);
  } else {
    printf("  errors: 0\n");
  }
}

static void bench_text_limit(const bench *b, const bench_result *res) {
  static const char *const methods[LIM_COUNT] = {"Append", "AppendBatch"};
  printf("\nlimit\n");
  printf("  a verify-only server in this process (127.0.0.1:%d, 1 poller + %d workers)\n"
         "  decodes each request, checks each entry's signatures and answers; it stores\n"
         "  nothing. partsledgerd gets no call meanwhile.\n",
         b->limit_port, b->o.limit_workers);
  if (res->errors > 0 && !b->limit[LIM_APPEND].ran && !b->limit[LIM_BATCH].ran)
    printf("  ERRORS: %s\n", res->first_error);
  for (int m = 0; m < LIM_COUNT; m++) {
    const bench_result *r = &b->limit[m];
    if (!r->ran)
      continue;
    if (m == LIM_APPEND)
      printf("\nlimit: %s, %d in flight\n", methods[m], b->o.inflight);
    else
      printf("\nlimit: %s of %d, %d in flight\n", methods[m], b->o.batch,
             b->o.batch_inflight);
    bench_text_result(b, PH_LIMIT, m == LIM_BATCH, r, "limit server");
  }
}

/* The ratios of phase ph's measurement `sub` (-1: its own) to what it is
 * compared with, each next to both rates and p99s. */
static void bench_text_cmps(const bench *b, int ph, int sub, const bench_result *r) {
  char x[32], y[32];
  for (size_t i = 0; i < sizeof(bench_cmps) / sizeof(bench_cmps[0]); i++) {
    if (bench_cmps[i].ph != ph || bench_cmps[i].sub != sub)
      continue;
    const char *why;
    const bench_result *ref = bench_ref(b, ph, bench_cmps[i].key, &why);
    if (why != NULL)
      printf("  no ratio to %s: %s\n", bench_cmps[i].label, why);
    else
      printf("  %s/s, p99 %.2f ms = %.2f of %s (%s/s, p99 %.2f ms)\n",
             bench_commas(bench_rate(r), x, sizeof(x)), r->p99, bench_rate(r) / bench_rate(ref),
             bench_cmps[i].label, bench_commas(bench_rate(ref), y, sizeof(y)), ref->p99);
  }
}

static void bench_text_figs(const bench_result *r) {
  if (r->nfigs > 0) {
    printf("  figures:");
    for (int i = 0; i < r->nfigs; i++)
    {
      printf("%s %s ", i ? "," : "", r->figs[i].key);
      bench_num(r->figs[i].v);
    }
    printf("\n");
  }
}

static void bench_text_errors(const bench_result *r) {
  if (r->errors > 0)
    printf("  ERRORS: %" PRIu64 "; first: %s\n", r->errors, r->first_error);
}

/* A phase's further measurement. */
static void bench_text_sub(const bench *b, int ph, int s) {
  const bench_result *r = &b->sub[ph][s];
  if (bench_subs[ph][s].key == NULL ||
      (!r->ran && !r->skipped && r->note[0] == '\0' && r->errors == 0))
    return;
  printf("\n%s: %s\n", bench_phase_names[ph], bench_subs[ph][s].label);
  if (r->note[0] != '\0')
    printf("  %s\n", r->note);
  if (!r->ran || r->skipped) {
    bench_text_errors(r);
    return;
  }
  if (ph == PH_WARRANTY && s == SUB_WALK) {
    printf("  %.0f devices in %.0f pages of %.0f: median %.2f ms a walk, min %.2f, max %.2f "
           "(%" PRIu64 " walks)\n",
           bench_fig_get(r, "devices", 0), bench_fig_get(r, "pages", 0),
           bench_fig_get(r, "page_size", 0), r->p50, bench_fig_get(r, "walk_min_ms", 0),
           r->max, r->calls);
  } else if (ph == PH_AUDIT && s == SUB_VERIFY) {
    printf("  median %.1f ms per bundle, max %.1f ms (%" PRIu64 " runs)\n", r->p50, r->max,
           r->calls);
  } else {
    printf("  %.0f calls/s over %.2f s (%" PRIu64 " calls)\n", bench_rate(r), r->secs,
           r->items);
    printf("  latency per call: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r->p50, r->p99,
           r->max);
    if (r->checked > 0)
      printf("  %" PRIu64 " responses verified in depth\n", r->checked);
  }
  const char *server = s == SUB_LIMIT && (ph == PH_NEAR || ph == PH_TRACE) ? "limit server"
                       : ph == PH_NEAR && s == SUB_REDIS                   ? "redis-server"
                                                                           : "server";
  printf("  CPU: bench %.2f cores, %s %.2f cores, other processes %.2f cores\n", r->client_cpu,
         server, r->server_cpu, r->machine_cpu - r->client_cpu - r->server_cpu);
  bench_text_cmps(b, ph, s, r);
  bench_text_figs(r);
  bench_text_errors(r);
}

/* What the inventory and repair phases say besides their own result. */
static void bench_text_more(const bench *b, int ph) {
  const bench_result *r = &b->res[ph];
  bench_text_cmps(b, ph, -1, r);
  if (r->note[0] != '\0')
    printf("  %s\n", r->note);
  bench_text_figs(r);
  for (int s = 0; s < BENCH_SUBS; s++)
    bench_text_sub(b, ph, s);
}

void bench_report_text(const bench *b) {
  const bench_result *v = &b->res[PH_VERIFY];
  double ceiling = v->ran ? v->verify_rate * (double)b->cores : 0;
  printf("\npartsledger-bench against %s (%ld cores online, %s client stack)\n",
         b->o.server, b->cores, b->o.full_stack ? "full" : "minimal");
  for (int ph = 0; ph < PH_COUNT; ph++) {
    const bench_result *r = &b->res[ph];
    if (!r->ran)
      continue;
    if (ph == PH_LIMIT) {
      bench_text_limit(b, r);
      continue;
    }
    printf("\n%s\n", bench_phase_names[ph]);
    if (ph == PH_VERIFY) {
      printf("  Ed25519 verify, %d-byte messages, one core: %.0f/s (%.1f us each)\n",
             BENCH_VERIFY_MSG, v->verify_rate, 1e6 / v->verify_rate);
      printf("  ceiling for signed appends: %ld cores x %.0f = %.0f/s\n", b->cores,
             v->verify_rate, ceiling);
    } else if (ph == PH_DISK) {
      printf("  in %s: fdatasync after writing 1 page %.0f us; each further page\n"
             "  adds %.1f us when scattered (as a commit's pages are), %.1f us when "
             "contiguous\n",
             b->o.disk_dir, r->disk_sync_us, r->disk_scattered_us, r->disk_contig_us);
      continue;
    }
    bench_text_result(b, ph, ph == PH_BATCH || bench_is_bulk(ph), r, "server");
    if (ph >= PH_CORE)
      bench_text_more(b, ph);
  }
}

/* ---- JSON --------------------------------------------------------------------- */

static void bench_json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      printf("\\%c", ch);
    else if (ch < 0x20)
      printf("\\u%04x", ch);
    else
      putchar(ch);
  }
  putchar('"');
}

/* Commits, the writer's I/O and the limit, for a write phase. */
static void bench_json_writer(const bench *b, int ph, const bench_result *r) {
  printf("\"commits\":%" PRIu64 ",\"entries_per_commit\":%.2f,", r->commits,
         r->commits ? (double)r->items / (double)r->commits : 0.0);
  const bench_result *lim = r->skipped ? NULL : bench_limit_for(b, ph);
  if (lim != NULL)
    printf("\"limit_rate\":%.0f,\"limit_ratio\":%.3f,", bench_rate(lim),
           bench_rate(r) / bench_rate(lim));
  if (r->io.ok)
    printf("\"writer_io\":{\"readable\":true,\"tid\":%ld,\"wchar\":%" PRIu64
           ",\"syscw\":%" PRIu64 ",\"write_bytes\":%" PRIu64
           ",\"pages_per_entry\":%.3f,\"write_calls_per_commit\":%.2f},",
           r->io.tid, r->io.wchar, r->io.syscw, r->io.write_bytes,
           r->items ? (double)r->io.wchar / BENCH_PAGE / (double)r->items : 0.0,
           r->commits ? (double)r->io.syscw / (double)r->commits : 0.0);
  else {
    printf("\"writer_io\":{\"readable\":false,\"why\":");
    bench_json_str(r->io.why);
    printf("},");
  }
}

/* The members every result has, without braces; the latency percentiles
 * only when `latency`. */
static void bench_json_result(const bench_result *r, double ceiling, int writes, int latency) {
  printf("\"skipped\":%s,\"secs\":%.3f,\"calls\":%" PRIu64 ",\"items\":%" PRIu64
         ",\"rate\":%.0f,",
         r->skipped ? "true" : "false", r->secs, r->calls, r->items, bench_rate(r));
  if (latency)
    printf("\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,", r->p50, r->p99, r->max);
  if (writes && ceiling > 0)
    printf("\"ratio\":%.3f,", bench_rate(r) / ceiling);
  printf("\"size_before\":%" PRIu64 ",\"size_after\":%" PRIu64 ",\"checked\":%" PRIu64
         ",\"ran_out\":%s,\"sign_secs\":%.2f,\"client_cpu\":%.2f,\"server_cpu\":%.2f,"
         "\"server_top_thread\":%.2f,\"machine_cpu\":%.2f,\"steal\":%.2f,",
         r->size_before, r->size_after, r->checked, r->ran_out ? "true" : "false",
         r->sign_secs, r->client_cpu, r->server_cpu, r->server_top, r->machine_cpu, r->steal);
  printf("\"server_threads\":[");
  for (int g = 0; g < r->ngroups; g++) {
    const bench_group *gr = &r->groups[g];
    double n = gr->threads;
    printf("%s{\"name\":", g ? "," : "");
    bench_json_str(gr->name);
    printf(",\"threads\":%d,\"cpu\":%.3f,\"queued\":%.3f,\"disk\":%.3f,\"idle\":%.3f}",
           gr->threads, gr->cpu / n, gr->queued / n, gr->disk / n, gr->idle / n);
  }
  printf("],");
  if (r->mem.ok)
    printf("\"server_mem_kb\":{\"rss\":%ld,\"lmdb\":%ld,\"private\":%ld,\"anon\":%ld,"
           "\"peak_rss\":%ld},",
           r->mem.rss, r->mem.lmdb, r->mem.priv, r->mem.anon, r->mem.hwm);
  printf("\"errors\":%" PRIu64 ",\"first_error\":", r->errors);
  bench_json_str(r->first_error);
}

/* "limit":{"port":..,"workers":..,"append":{..},"batch":{..},"errors":..} */
static void bench_json_limit(const bench *b, const bench_result *res, double ceiling) {
  static const char *const keys[LIM_COUNT] = {"append", "batch"};
  printf("\"port\":%d,\"workers\":%d,", b->limit_port, b->o.limit_workers);
  for (int m = 0; m < LIM_COUNT; m++) {
    if (!b->limit[m].ran)
      continue;
    printf("\"%s\":{", keys[m]);
    bench_json_result(&b->limit[m], ceiling, 1, 1);
    printf("},");
  }
  printf("\"errors\":%" PRIu64 ",\"first_error\":", res->errors);
  bench_json_str(res->first_error);
}

/* Figures, note and ratios of a result, each as ",key:value". */
static void bench_json_more(const bench *b, int ph, int sub, const bench_result *r) {
  for (int i = 0; i < r->nfigs; i++) {
    printf(",\"%s\":", r->figs[i].key);
    bench_num(r->figs[i].v);
  }
  if (r->note[0] != '\0') {
    printf(",\"note\":");
    bench_json_str(r->note);
  }
  for (size_t i = 0; i < sizeof(bench_cmps) / sizeof(bench_cmps[0]); i++) {
    if (bench_cmps[i].ph != ph || bench_cmps[i].sub != sub)
      continue;
    const char *why;
    const bench_result *ref = bench_ref(b, ph, bench_cmps[i].key, &why);
    if (why == NULL)
      printf(",\"%s_rate\":%.0f,\"%s_ratio\":%.3f,\"%s_p99_ms\":%.3f", bench_cmps[i].key,
             bench_rate(ref), bench_cmps[i].key, bench_rate(r) / bench_rate(ref),
             bench_cmps[i].key, ref->p99);
  }
}

/* The sub-measurements of phase ph, each as ",key:{...}". */
static void bench_json_subs(const bench *b, int ph) {
  for (int s = 0; s < BENCH_SUBS; s++) {
    const bench_result *r = &b->sub[ph][s];
    if (bench_subs[ph][s].key == NULL)
      continue;
    printf(",\"%s\":{\"ran\":%s,", bench_subs[ph][s].key,
           r->ran && !r->skipped ? "true" : "false");
    bench_json_result(r, 0, 0, 1);
    bench_json_more(b, ph, s, r);
    printf("}");
  }
}

void bench_report_json(const bench *b) {
  const bench_result *v = &b->res[PH_VERIFY];
  double ceiling = v->ran ? v->verify_rate * (double)b->cores : 0;
  printf("{\"server\":");
  bench_json_str(b->o.server);
  printf(",\"cores\":%ld,\"duration\":%.1f,\"inflight\":%d,\"batch\":%d,"
         "\"batch_inflight\":%d,\"threads\":%d,\"limit_workers\":%d,\"client_stack\":\"%s\","
         "\"ceiling\":%.0f,\"phases\":{",
         b->cores, b->o.duration, b->o.inflight, b->o.batch, b->o.batch_inflight,
         b->o.threads, b->o.limit_workers, b->o.full_stack ? "full" : "minimal", ceiling);
  int first = 1;
  for (int ph = 0; ph < PH_COUNT; ph++) {
    const bench_result *r = &b->res[ph];
    if (!r->ran)
      continue;
    printf("%s\"%s\":{", first ? "" : ",", bench_phase_names[ph]);
    first = 0;
    if (ph == PH_LIMIT) {
      bench_json_limit(b, r, ceiling);
      printf("}");
      continue;
    }
    if (ph == PH_VERIFY)
      printf("\"per_core\":%.0f,", r->verify_rate);
    if (ph == PH_DISK)
      printf("\"sync_us\":%.1f,\"scattered_page_us\":%.2f,\"contiguous_page_us\":%.2f,",
             r->disk_sync_us, r->disk_scattered_us, r->disk_contig_us);
    if (bench_is_write(ph))
      bench_json_writer(b, ph, r);
    bench_json_result(r, ceiling, bench_is_write(ph), !bench_is_bulk(ph));
    if (ph >= PH_CORE) {
      bench_json_more(b, ph, -1, r);
      bench_json_subs(b, ph);
    }
    printf("}");
  }
  printf("}}\n");
}
