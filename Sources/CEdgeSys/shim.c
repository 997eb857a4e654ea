/*
 * The few things CEdgeSys implements in C rather than as static inline
 * wrappers: the per-thread error message (C11 _Thread_local), the CPU
 * feature query, thread start/join, and what keeps the aarch64 library
 * loadable on glibc 2.31 (Raspberry Pi OS Bullseye, Ubuntu 20.04) although
 * it is built against Debian 12's 2.36: file status through statx (2.28)
 * instead of stat/fstat (symbols of 2.33), and our own arc4random_buf
 * (2.36). The rest of that is in Cross/glibc-compat.c.
 */
#define _GNU_SOURCE /* statx */
#include "edgelm_sys.h"
#include <sys/random.h>
#if defined(__aarch64__)
#include <sys/auxv.h>
#include <fcntl.h>
#endif

/* Long enough for any message EdgeLM writes; longer ones are cut. */
#define EDGELM_SYS_ERROR_CAPACITY 1024

static _Thread_local char last_error[EDGELM_SYS_ERROR_CAPACITY];

void edgelm_sys_set_last_error(const char *message, size_t length) {
  if (length >= EDGELM_SYS_ERROR_CAPACITY) length = EDGELM_SYS_ERROR_CAPACITY - 1;
  if (message && length) memcpy(last_error, message, length);
  last_error[message ? length : 0] = 0;
}

const char *edgelm_sys_last_error(void) { return last_error; }

int edgelm_sys_cpu_has_dotprod(void) {
#if defined(__aarch64__)
  return (getauxval(AT_HWCAP) & (1UL << 20)) != 0; /* HWCAP_ASIMDDP */
#else
  return 0;
#endif
}

/* The Embedded Swift standard library seeds its hashing with arc4random_buf,
 * which glibc has only since 2.36 (Debian 12). This definition (hidden, so
 * not exported) is what the library links instead, so it loads on glibc
 * 2.31 (Raspberry Pi OS Bullseye, Ubuntu 20.04): getrandom (glibc 2.25),
 * retried on EINTR; if the kernel has no entropy source at all, the bytes
 * left over get a fixed fill, which only weakens hash seeding. */
__attribute__((visibility("hidden"))) void arc4random_buf(void *buf, size_t n) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      memset(p, 0x5a, n);
      return;
    }
    p += got;
    n -= (size_t)got;
  }
}

/* Weak: the aarch64 builds we ship replace these with versions bound to
 * glibc 2.17's symbols (Cross/glibc-compat.c). */
__attribute__((weak)) int edgelm_sys_thread_create(pthread_t *thread, void *(*start)(void *), void *arg) {
  return pthread_create(thread, NULL, start, arg);
}

__attribute__((weak)) int edgelm_sys_thread_join(pthread_t thread) { return pthread_join(thread, NULL); }

int edgelm_sys_file_info_get(int fd, const char *path, edgelm_sys_file_info *info) {
#if defined(__aarch64__)
  struct statx sx;
  unsigned mask = STATX_TYPE | STATX_SIZE | STATX_INO | STATX_MTIME;
  int rc = fd >= 0 ? statx(fd, "", AT_EMPTY_PATH, mask, &sx) : statx(AT_FDCWD, path, 0, mask, &sx);
  if (rc != 0) return -1;
  info->size = (int64_t)sx.stx_size;
  info->is_regular = S_ISREG(sx.stx_mode);
  info->device = ((uint64_t)sx.stx_dev_major << 32) | sx.stx_dev_minor;
  info->inode = sx.stx_ino;
  info->mtime_ns = (int64_t)sx.stx_mtime.tv_sec * 1000000000 + sx.stx_mtime.tv_nsec;
#else
  struct stat st;
  if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) != 0) return -1;
  info->size = (int64_t)st.st_size;
  info->is_regular = S_ISREG(st.st_mode);
  info->device = (uint64_t)st.st_dev;
  info->inode = (uint64_t)st.st_ino;
  info->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
#endif
  return 0;
}
