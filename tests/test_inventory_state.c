/*
 * test_inventory_state.c - the inventory tables without the server: a
 * random run of receipts, transfers, adjustments, reservations (some
 * expiring during the run), releases, fulfilments and recalls must keep the
 * stock invariant after every step, and a replay of its leaves must give
 * exactly the stored state (pl_log_check), expiry included.
 *
 * The invariant, as storage/state/inventory.c states it: at each site, for
 * each SKU, active reservations <= units of its batches not recalled, and
 * for each batch not recalled, reservations naming it <= its units. A recall
 * lowers the units without asking and may leave a SKU short; after that no
 * other entry may make the shortfall worse.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "error.h"
#include "fixture.h"
#include "query.h"
#include "state/stock.h"
#include "test.h"

#define NSITES 3
#define NBATCHES 4

static const char *const sites[NSITES] = {"s-north", "s-south", "s-east"};
static const char *const batches[NBATCHES] = {"b-x1", "b-x2", "b-y1", "b-y2"};
static const char *const skus[NBATCHES] = {"sku-x", "sku-x", "sku-y", "sku-y"};

#define NSKUS (NBATCHES / 2) /* batches 2k and 2k+1 are of SKU k */
#define SHORT_EXPIRY_MS 100   /* the reservations meant to expire in the run */

typedef struct {
  fixture f;
  pl_key *maker, *keeper;
  int reservations;
  int ok[64], refused[64]; /* outcomes by body case */
  int recalled[NBATCHES];
  int recall_sku; /* the SKU whose batch the last step recalled, or -1 */
  /* units of batches not recalled less active reservations, per site and
   * SKU, at the last check */
  int64_t margin[NSITES][NSKUS];
  int have_margin;
} world;

static Partsledger__V1__Entry *entry(world *w, int body) {
  Partsledger__V1__Entry *e = pl_arena_alloc(w->f.arena, sizeof(*e));
  partsledger__v1__entry__init(e);
  e->body_case = body;
  return e;
}

#define NEW(w, T, init) ({ T *b_ = pl_arena_alloc((w)->f.arena, sizeof(T)); init(b_); b_; })

static int put(world *w, const pl_key *k, Partsledger__V1__Entry *e) {
  pl_head head;
  pl_append *it = make(&w->f, k, e);
  if (it == NULL)
    return PL_EINVAL;
  int rc = append1(&w->f, it, &head);
  if (e->body_case < 64)
    (rc == 0 ? w->ok : w->refused)[e->body_case]++;
  return rc;
}

static int setup(world *w) {
  if (fx_init(&w->f) != 0)
    return -1;
  w->maker = new_key();
  w->keeper = new_key();
  pl_head head;
  if (append1(&w->f, enroll(&w->f, w->f.admin, w->maker,
                            PARTSLEDGER__V1__ROLE__ROLE_MANUFACTURER), &head) != 0)
    return -1;
  /* The keeper works for every site. */
  Partsledger__V1__ActorEnrolled *ae =
      NEW(w, Partsledger__V1__ActorEnrolled, partsledger__v1__actor_enrolled__init);
  ae->public_key.data = (uint8_t *)pl_key_public(w->keeper);
  ae->public_key.len = PL_PUBLIC_KEY_BYTES;
  ae->role = PARTSLEDGER__V1__ROLE__ROLE_WAREHOUSE;
  ae->name = "keeper";
  ae->n_site_ids = NSITES;
  ae->site_ids = (char **)sites;
  Partsledger__V1__Entry *e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_ACTOR_ENROLLED);
  e->actor_enrolled = ae;
  if (put(w, w->f.admin, e) != 0)
    return -1;
  for (int i = 0; i < NSITES; i++) {
    Partsledger__V1__SiteRegistered *s =
        NEW(w, Partsledger__V1__SiteRegistered, partsledger__v1__site_registered__init);
    s->site_id = (char *)sites[i];
    s->kind = PARTSLEDGER__V1__SITE_KIND__SITE_KIND_WAREHOUSE;
    s->name = "a site";
    s->latitude = 30.0 + i;
    s->longitude = 110.0 + i;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_SITE_REGISTERED);
    e->site_registered = s;
    if (put(w, w->f.admin, e) != 0)
      return -1;
  }
  Partsledger__V1__SupplierRegistered *sup =
      NEW(w, Partsledger__V1__SupplierRegistered, partsledger__v1__supplier_registered__init);
  sup->supplier_id = "acme";
  sup->name = "Acme";
  e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_SUPPLIER_REGISTERED);
  e->supplier_registered = sup;
  if (put(w, w->f.admin, e) != 0)
    return -1;
  for (int i = 0; i < NBATCHES; i++) {
    Partsledger__V1__BatchRegistered *b =
        NEW(w, Partsledger__V1__BatchRegistered, partsledger__v1__batch_registered__init);
    b->batch_id = (char *)batches[i];
    b->supplier_id = "acme";
    b->sku = (char *)skus[i];
    b->part_class = PARTSLEDGER__V1__PART_CLASS__PART_CLASS_ORIGINAL;
    b->quantity = 60;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_BATCH_REGISTERED);
    e->batch_registered = b;
    if (put(w, w->maker, e) != 0)
      return -1;
  }
  return 0;
}

/* One random entry; its outcome does not matter, only that the state stays
 * sound. */
static void random_step(world *w, unsigned r) {
  int s = (int)(r % NSITES), b = (int)((r >> 3) % NBATCHES);
  uint64_t q = 1 + (r >> 6) % 6;
  Partsledger__V1__Entry *e;
  char id[32];
  pl_arena_reset(w->f.arena);
  switch ((r >> 10) % 9) {
  case 0:
  case 1: {
    Partsledger__V1__StockReceived *x =
        NEW(w, Partsledger__V1__StockReceived, partsledger__v1__stock_received__init);
    x->site_id = (char *)sites[s];
    x->batch_id = (char *)batches[b];
    x->quantity = q;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED);
    e->stock_received = x;
    break;
  }
  case 2: {
    Partsledger__V1__StockTransferred *x = NEW(w, Partsledger__V1__StockTransferred,
                                               partsledger__v1__stock_transferred__init);
    x->from_site_id = (char *)sites[s];
    x->to_site_id = (char *)sites[(s + 1) % NSITES];
    x->batch_id = (char *)batches[b];
    x->quantity = q;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_STOCK_TRANSFERRED);
    e->stock_transferred = x;
    break;
  }
  case 3: {
    Partsledger__V1__StockAdjusted *x =
        NEW(w, Partsledger__V1__StockAdjusted, partsledger__v1__stock_adjusted__init);
    x->site_id = (char *)sites[s];
    x->batch_id = (char *)batches[b];
    x->delta = (r >> 20) % 3 == 0 ? (int64_t)q : -(int64_t)q;
    x->reason = PARTSLEDGER__V1__ADJUST_REASON__ADJUST_REASON_COUNT;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_STOCK_ADJUSTED);
    e->stock_adjusted = x;
    break;
  }
  case 4:
  case 5: {
    Partsledger__V1__PartReserved *x =
        NEW(w, Partsledger__V1__PartReserved, partsledger__v1__part_reserved__init);
    snprintf(id, sizeof(id), "r-%d", w->reservations++);
    x->reservation_id = pl_arena_dup(w->f.arena, id, strlen(id) + 1);
    x->site_id = (char *)sites[s];
    x->sku = (char *)skus[b];
    x->quantity = q;
    x->batch_id = (r >> 20) % 2 ? (char *)batches[b] : "";
    /* Some expire within the run, most outlive it. */
    x->expires_at_ms = pl_now_ms() + ((r >> 22) % 4 == 0 ? SHORT_EXPIRY_MS : 600000);
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED);
    e->part_reserved = x;
    break;
  }
  case 6: {
    Partsledger__V1__ReservationReleased *x = NEW(
        w, Partsledger__V1__ReservationReleased, partsledger__v1__reservation_released__init);
    snprintf(id, sizeof(id), "r-%d", w->reservations ? (int)((r >> 12) % w->reservations) : 0);
    x->reservation_id = pl_arena_dup(w->f.arena, id, strlen(id) + 1);
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_RELEASED);
    e->reservation_released = x;
    break;
  }
  case 7: {
    Partsledger__V1__ReservationFulfilled *x =
        NEW(w, Partsledger__V1__ReservationFulfilled,
            partsledger__v1__reservation_fulfilled__init);
    snprintf(id, sizeof(id), "r-%d", w->reservations ? (int)((r >> 12) % w->reservations) : 0);
    x->reservation_id = pl_arena_dup(w->f.arena, id, strlen(id) + 1);
    x->batch_id = (char *)batches[b];
    x->quantity = 1 + (r >> 24) % 2;
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED);
    e->reservation_fulfilled = x;
    break;
  }
  default: {
    if ((r >> 16) % 8 != 0) /* recalls are rare */
      return;
    Partsledger__V1__BatchRecalled *x =
        NEW(w, Partsledger__V1__BatchRecalled, partsledger__v1__batch_recalled__init);
    x->batch_id = (char *)batches[b];
    x->reason = "bad lot";
    e = entry(w, PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED);
    e->batch_recalled = x;
    if (put(w, w->maker, e) == 0) {
      w->recalled[b] = 1;
      w->recall_sku = b / 2;
    }
    return;
  }
  }
  put(w, w->keeper, e);
}

/* The invariant (see the top of the file), as the queries see it after a
 * step: for each site and SKU, reservations <= units of batches not
 * recalled unless a recall made it short, and then the shortfall no worse
 * than at the last check unless this step recalled a batch of the SKU; for
 * each batch not recalled, reservations naming it <= its units. */
static int invariant_holds(world *w) {
  pl_reader *rd;
  if (pl_reader_new(w->f.log, &rd) != 0 || pl_reader_begin(rd) != 0)
    return 0;
  pl_arena *a = pl_arena_new(0);
  char msg[PL_MSG_MAX];
  int ok = 1;
  for (int s = 0; s < NSITES && ok; s++)
    for (int k = 0; k < NBATCHES && ok; k += 2) {
      Partsledger__V1__GetStockResponse *st;
      if (pl_query_stock(pl_reader_txn(rd), sites[s], skus[k], pl_now_ms(), a, &st, msg) !=
          0) {
        ok = 0;
        break;
      }
      uint64_t avail_units = 0;
      for (size_t i = 0; i < st->n_batches; i++) {
        const Partsledger__V1__BatchStock *bs = st->batches[i];
        if (!bs->recalled) {
          avail_units += bs->on_hand;
          if (bs->reserved > bs->on_hand) {
            fprintf(stderr, "batch %s at %s: %llu reserved of %llu\n", bs->batch_id,
                    sites[s], (unsigned long long)bs->reserved,
                    (unsigned long long)bs->on_hand);
            ok = 0;
          }
        }
      }
      int64_t margin = (int64_t)avail_units - (int64_t)st->reserved;
      int64_t *last = &w->margin[s][k / 2];
      int sku_recalled = w->recalled[k] || w->recalled[k + 1];
      if (margin < 0 && (!sku_recalled || (w->have_margin && w->recall_sku != k / 2 &&
                                           margin < *last))) {
        fprintf(stderr, "%s %s: %llu reserved of %llu units not recalled (%s)\n", sites[s],
                skus[k], (unsigned long long)st->reserved, (unsigned long long)avail_units,
                sku_recalled ? "worse than before" : "no recall");
        ok = 0;
      }
      if (st->available != (uint64_t)(margin > 0 ? margin : 0)) {
        fprintf(stderr, "%s %s: available %llu, margin %lld\n", sites[s], skus[k],
                (unsigned long long)st->available, (long long)margin);
        ok = 0;
      }
      *last = margin;
      /* The counts the rows keep are what res_active holds. */
      for (int b = k; b < k + 2 && ok; b++) {
        pl__stock kept;
        uint64_t total, named;
        int64_t now = pl_now_ms();
        if (pl__stock_at(pl_reader_txn(rd), sites[s], skus[k], batches[b], now, &kept) != 0 ||
            pl__reservations_scan(pl_reader_txn(rd), sites[s], skus[k], batches[b], now,
                                  &total, &named, NULL) != 0 ||
            kept.reserved != total || kept.named != named) {
          fprintf(stderr, "%s %s %s: rows say %llu/%llu reserved, res_active %llu/%llu\n",
                  sites[s], skus[k], batches[b], (unsigned long long)kept.reserved,
                  (unsigned long long)kept.named, (unsigned long long)total,
                  (unsigned long long)named);
          ok = 0;
        }
      }
    }
  pl_arena_free(a);
  pl_reader_end(rd);
  pl_reader_free(rd);
  w->have_margin = ok;
  w->recall_sku = -1;
  return ok;
}

/* How many of the run's reservations are EXPIRED now. */
static int expired_count(world *w) {
  pl_reader *rd;
  if (pl_reader_new(w->f.log, &rd) != 0 || pl_reader_begin(rd) != 0)
    return -1;
  pl_arena *a = pl_arena_new(0);
  char msg[PL_MSG_MAX], id[32];
  int n = 0;
  for (int i = 0; i < w->reservations && a != NULL; i++) {
    Partsledger__V1__Reservation *r;
    snprintf(id, sizeof(id), "r-%d", i);
    if (pl_query_reservation(pl_reader_txn(rd), id, pl_now_ms(), a, &r, msg) == 0 &&
        r->state == PARTSLEDGER__V1__RESERVATION_STATE__RESERVATION_STATE_EXPIRED)
      n++;
  }
  pl_arena_free(a);
  pl_reader_end(rd);
  pl_reader_free(rd);
  return n;
}

PL_TEST(random_run_keeps_invariant_and_replays_exactly) {
  world w;
  memset(&w, 0, sizeof(w));
  w.recall_sku = -1;
  CHECK(setup(&w) == 0);
  unsigned seed = 12345;
  for (int step = 0; step < 600; step++) {
    seed = seed * 1103515245u + 12345u;
    random_step(&w, seed >> 1);
    CHECK(invariant_holds(&w));
    if (step % 50 == 0) {
      /* Let the short reservations expire between bursts: the entries
       * after the pause expire them at their log time. */
      struct timespec ts = {0, (SHORT_EXPIRY_MS + 50) * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  CHECK(invariant_holds(&w));
  /* Some reservations did expire in the run. */
  int expired = expired_count(&w);
  fprintf(stderr, "%d of %d reservations expired\n", expired, w.reservations);
  CHECK(expired > 0);
  /* The run did what it meant to: every kind both passed and was refused. */
  static const int kinds[] = {PARTSLEDGER__V1__ENTRY__BODY_STOCK_RECEIVED,
                              PARTSLEDGER__V1__ENTRY__BODY_STOCK_TRANSFERRED,
                              PARTSLEDGER__V1__ENTRY__BODY_STOCK_ADJUSTED,
                              PARTSLEDGER__V1__ENTRY__BODY_PART_RESERVED,
                              PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_RELEASED,
                              PARTSLEDGER__V1__ENTRY__BODY_RESERVATION_FULFILLED};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    fprintf(stderr, "kind %d: %d passed, %d refused\n", kinds[i], w.ok[kinds[i]],
            w.refused[kinds[i]]);
    CHECK(w.ok[kinds[i]] > 3);
    CHECK(w.refused[kinds[i]] > 0);
  }
  CHECK(w.ok[PARTSLEDGER__V1__ENTRY__BODY_BATCH_RECALLED] > 0);
  uint64_t checked;
  char why[256];
  int rc = pl_log_check(w.f.log, &checked, NULL, NULL, why, sizeof(why));
  if (rc != 0)
    fprintf(stderr, "check: %s\n", why);
  CHECK_EQ(rc, 0);
  pl_key_free(w.maker);
  pl_key_free(w.keeper);
  fx_done(&w.f);
}

PL_TEST_MAIN(PL_CASE(random_run_keeps_invariant_and_replays_exactly))
