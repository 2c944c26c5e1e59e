/*
 * machine.c - the verify and disk phases: what this machine's cores and
 * disk allow, measured without the server, so that the server's figures can
 * be read against them in the same run.
 *
 *   verify  Ed25519 verifications per second on one core (libsodium, 300-byte
 *           messages, 2 s): times the cores, the ceiling that signature
 *           checking alone sets on signed appends;
 *   disk    in a scratch file under --disk-dir, what a durable commit costs:
 *           one fdatasync after writing 1 page, 32 scattered pages (where
 *           LMDB's free list puts a commit's pages) and 32 contiguous ones.
 *
 * Depends on libsodium and Linux (fdatasync, fstatfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_DISK_PAGE 4096
#define BENCH_DISK_PAGES 2048 /* the disk phase's file: 8 MiB */
#define BENCH_DISK_RUN 32     /* pages written before each fdatasync */

void bench_phase_verify(bench *b, bench_result *res) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  unsigned char msg[BENCH_VERIFY_MSG], sig[crypto_sign_BYTES];
  crypto_sign_keypair(pk, sk);
  randombytes_buf(msg, sizeof(msg));
  crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
  sodium_memzero(sk, sizeof(sk));
  bench_mark *mk = bench_mark_take(b->o.server_pid, NULL, 0);
  uint64_t t0 = bench_now_ns(), t, n = 0;
  do {
    for (int i = 0; i < 256; i++) {
      if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0) {
        res->errors++;
        snprintf(res->first_error, sizeof(res->first_error), "a valid signature failed");
      }
      n++;
    }
    t = bench_now_ns();
  } while (t - t0 < 2000000000u);
  res->secs = (double)(t - t0) / 1e9;
  res->items = res->calls = n;
  res->verify_rate = (double)n / res->secs;
  bench_mark_diff(mk, res);
  res->ran = 1;
}

/* Mean microseconds of `rounds` of (write `pages` pages, fdatasync):
 * contiguous from a random page, or scattered (distinct, in ascending order,
 * as LMDB writes a commit's dirty pages). -1 on an I/O error. */
static double bench_disk_round(int fd, uint8_t *buf, int pages, int contiguous,
                               int rounds) {
  uint64_t t0 = bench_now_ns();
  for (int r = 0; r < rounds; r++) {
    if (contiguous) {
      off_t at = (off_t)(randombytes_uniform(BENCH_DISK_PAGES - pages + 1)) * BENCH_DISK_PAGE;
      if (pwrite(fd, buf, (size_t)pages * BENCH_DISK_PAGE, at) != pages * BENCH_DISK_PAGE) {
        errno = errno ? errno : EIO; /* a short write sets none */
        return -1;
      }
    } else {
      /* Every (BENCH_DISK_PAGES / pages)-th page, from a random first one:
       * distinct, ascending, and never two adjacent. */
      uint32_t stride = BENCH_DISK_PAGES / (uint32_t)pages;
      uint32_t first = randombytes_uniform(stride - 1);
      for (int i = 0; i < pages; i++)
        if (pwrite(fd, buf, BENCH_DISK_PAGE,
                   (off_t)(first + (uint32_t)i * stride) * BENCH_DISK_PAGE) != BENCH_DISK_PAGE) {
          errno = errno ? errno : EIO;
          return -1;
        }
    }
    if (fdatasync(fd) != 0)
      return -1;
  }
  return (double)(bench_now_ns() - t0) / 1e3 / rounds;
}

void bench_phase_disk(bench *b, bench_result *res) {
  const char *dir = b->o.disk_dir;
  char path[4096];
  snprintf(path, sizeof(path), "%s/partsledger-bench-disk.XXXXXX", dir);
  int fd = mkstemp(path);
  uint8_t *buf = malloc((size_t)BENCH_DISK_RUN * BENCH_DISK_PAGE);
  if (fd < 0 || buf == NULL) {
    res->errors++;
    snprintf(res->first_error, sizeof(res->first_error), "cannot make a file in %s: %s",
             dir, strerror(errno));
    if (fd >= 0)
      close(fd);
    free(buf);
    return;
  }
  unlink(path); /* gone when closed, whatever happens */
  struct statfs fs;
  if (fstatfs(fd, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
    bench_note("disk: %s is tmpfs, where fdatasync costs nothing: give the server's "
               "data disk with --disk-dir", dir);
  randombytes_buf(buf, (size_t)BENCH_DISK_RUN * BENCH_DISK_PAGE);
  /* The pages exist before they are timed, as a reused LMDB page does. */
  int ok = 1;
  errno = 0;
  for (int i = 0; ok && i < BENCH_DISK_PAGES; i += BENCH_DISK_RUN)
    ok = pwrite(fd, buf, (size_t)BENCH_DISK_RUN * BENCH_DISK_PAGE,
                (off_t)i * BENCH_DISK_PAGE) == BENCH_DISK_RUN * BENCH_DISK_PAGE;
  ok = ok && fsync(fd) == 0;
  bench_mark *mk = bench_mark_take(b->o.server_pid, NULL, 0);
  uint64_t t0 = bench_now_ns();
  /* Interleaved, so that a change in the machine's load touches all three. */
  double one = 0, scattered = 0, contig = 0;
  int rounds = 0;
  while (ok && (rounds < 3 || bench_now_ns() - t0 < 2000000000u)) {
    double a = bench_disk_round(fd, buf, 1, 0, 8),
           s = bench_disk_round(fd, buf, BENCH_DISK_RUN, 0, 2),
           c = bench_disk_round(fd, buf, BENCH_DISK_RUN, 1, 2);
    ok = a >= 0 && s >= 0 && c >= 0;
    one += a;
    scattered += s;
    contig += c;
    rounds++;
  }
  res->secs = (double)(bench_now_ns() - t0) / 1e9;
  bench_mark_diff(mk, res);
  close(fd);
  free(buf);
  if (!ok) {
    res->errors++;
    snprintf(res->first_error, sizeof(res->first_error), "writing or syncing in %s: %s", dir,
             strerror(errno));
    return;
  }
  res->calls = res->items = (uint64_t)rounds * 12;
  res->disk_sync_us = one / rounds;
  res->disk_scattered_us = (scattered / rounds - res->disk_sync_us) / (BENCH_DISK_RUN - 1);
  res->disk_contig_us = (contig / rounds - res->disk_sync_us) / (BENCH_DISK_RUN - 1);
  res->ran = 1;
}
