/*
 * faults.c - a library preloaded (LD_PRELOAD) into partsledgerd by tests, to
 * make its storage fail on demand: while the file named by PL_FAULT_FILE
 * exists, fdatasync() and fsync() fail with EIO, as they do when a disk
 * goes bad. Everything else passes through to libc. (_GNU_SOURCE, for
 * RTLD_NEXT, comes from the build.)
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef int (*pl__sync_fn)(int fd);

static int pl__tripped(void) {
  const char *path = getenv("PL_FAULT_FILE");
  return path != NULL && access(path, F_OK) == 0;
}

static int pl__sync(const char *name, int fd) {
  if (pl__tripped()) {
    errno = EIO;
    return -1;
  }
  pl__sync_fn real = (pl__sync_fn)dlsym(RTLD_NEXT, name);
  if (real == NULL) {
    errno = ENOSYS;
    return -1;
  }
  return real(fd);
}

int fdatasync(int fd) { return pl__sync("fdatasync", fd); }
int fsync(int fd) { return pl__sync("fsync", fd); }
