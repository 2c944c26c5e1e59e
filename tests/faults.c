/*
 * faults.c - a library preloaded (LD_PRELOAD) into partsledgerd by tests, to
 * make its storage fail on demand, as a failing or full disk would. The
 * directory named by PL_FAULT_DIR holds the switches:
 *   sync-eio      while it exists, fdatasync() and fsync() fail with EIO;
 *   write-enospc  while it exists, pwrite() and writev() fail with ENOSPC
 *                 (LMDB writes its pages and meta page with these; gRPC
 *                 writes sockets with sendmsg, and stderr goes through
 *                 write, so neither is touched).
 * Everything else passes through to libc. (_GNU_SOURCE, for RTLD_NEXT, comes
 * from the build.)
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

static int pl__on(const char *name) {
  const char *dir = getenv("PL_FAULT_DIR");
  char path[PATH_MAX];
  if (dir == NULL || snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
    return 0;
  return access(path, F_OK) == 0;
}

/* The next definition of `name` after this library, or NULL. */
static void *pl__real(const char *name) { return dlsym(RTLD_NEXT, name); }

#define PL__FAIL_IF(sw, err)                                                   \
  do {                                                                         \
    if (pl__on(sw)) {                                                          \
      errno = (err);                                                           \
      return -1;                                                               \
    }                                                                          \
  } while (0)

int fdatasync(int fd) {
  PL__FAIL_IF("sync-eio", EIO);
  int (*real)(int) = (int (*)(int))pl__real("fdatasync");
  return real != NULL ? real(fd) : (errno = ENOSYS, -1);
}

int fsync(int fd) {
  PL__FAIL_IF("sync-eio", EIO);
  int (*real)(int) = (int (*)(int))pl__real("fsync");
  return real != NULL ? real(fd) : (errno = ENOSYS, -1);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  PL__FAIL_IF("write-enospc", ENOSPC);
  ssize_t (*real)(int, const void *, size_t, off_t) =
      (ssize_t(*)(int, const void *, size_t, off_t))pl__real("pwrite");
  return real != NULL ? real(fd, buf, n, off) : (errno = ENOSYS, -1);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
  PL__FAIL_IF("write-enospc", ENOSPC);
  ssize_t (*real)(int, const struct iovec *, int) =
      (ssize_t(*)(int, const struct iovec *, int))pl__real("writev");
  return real != NULL ? real(fd, iov, n) : (errno = ENOSYS, -1);
}
