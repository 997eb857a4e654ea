/*
 * edgelm_sys.h - the few libc entry points Swift cannot call directly
 * (variadic functions, macros) wrapped as static inline functions.
 * Only Sources/EdgeLM/Platform and the CLI use this module.
 */
#ifndef EDGELM_SYS_H
#define EDGELM_SYS_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/resource.h>

static inline int edgelm_sys_open_ro(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }
static inline int edgelm_sys_open_wr(const char *path) {
  return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}
/* close(2) and rename(2), for types that have their own close() method. */
static inline int edgelm_sys_close(int fd) { return close(fd); }
static inline int edgelm_sys_rename(const char *from, const char *to) { return rename(from, to); }
static inline int edgelm_sys_errno(void) { return errno; }
/* Hints that the cache line holding `p` will soon be read (never faults,
 * whatever `p` is). */
static inline void edgelm_sys_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
static inline int edgelm_sys_is_map_failed(const void *p) { return p == MAP_FAILED; }

/* File size via fstat; -1 on error, errno set. */
static inline int64_t edgelm_sys_file_size(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  if (!S_ISREG(st.st_mode)) { errno = EINVAL; return -1; }
  return (int64_t)st.st_size;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t edgelm_sys_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* printf-style formatting of one double ("%.*f"), for the CLI and messages. */
static inline int edgelm_sys_format_double(char *buf, size_t size, double value, int precision) {
  return snprintf(buf, size, "%.*f", precision, value);
}

/* madvise / posix_fadvise constants Swift sees as macros. */
static inline int edgelm_sys_madvise_willneed(void *addr, size_t len) { return madvise(addr, len, MADV_WILLNEED); }
static inline int edgelm_sys_madvise_dontneed(void *addr, size_t len) { return madvise(addr, len, MADV_DONTNEED); }
static inline int edgelm_sys_fadvise_dontneed(int fd) { return posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); }
/* MADV_HUGEPAGE on the model mapping: page-cache reads on a fault take
 * whole 2 MiB folios, which the kernel then maps with one PMD entry (see
 * MappedFile.open). A no-op where the kernel lacks it. */
static inline int edgelm_sys_madvise_hugepage(void *addr, size_t len) {
#ifdef MADV_HUGEPAGE
  return madvise(addr, len, MADV_HUGEPAGE);
#else
  (void)addr; (void)len;
  return 0;
#endif
}
/* Layer paging: MADV_DONTDUMP on a streamed range's edge pages gives them
 * mappings of their own (see MappedFile.isolate). */
static inline int edgelm_sys_madvise_dontdump(void *addr, size_t len) { return madvise(addr, len, MADV_DONTDUMP); }

/* Blocks (512 bytes) this process has read from storage (getrusage
 * ru_inblock: page faults, readahead and reads that missed the page cache);
 * -1 when unavailable. One system call, no /proc. */
static inline long edgelm_sys_input_blocks(void) {
  struct rusage u;
  return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_inblock : -1;
}

static inline long edgelm_sys_page_size(void) {
  long n = sysconf(_SC_PAGESIZE);
  return n > 0 ? n : 4096;
}

/* Cache-line aligned allocation; NULL on failure. Free with free(). */
static inline void *edgelm_sys_aligned_alloc(size_t alignment, size_t size) {
  void *p = NULL;
  if (posix_memalign(&p, alignment, size ? size : alignment) != 0) return NULL;
  return p;
}

/* Zero-filled memory, at least 64-byte aligned; NULL on failure. Free with
 * edgelm_sys_zeroed_free(p, size), the same size. Blocks of 256 KiB or more
 * are anonymous mappings straight from the kernel: their pages take RAM only
 * once written (a KV cache sized for the whole context holds only what has
 * been evaluated; llama.cpp clears, and so touches, all of its own). Smaller
 * ones are posix_memalign + memset. */
#define EDGELM_SYS_ZEROED_MAP_MIN ((size_t)256 * 1024)
static inline void *edgelm_sys_zeroed_alloc(size_t size) {
  if (size >= EDGELM_SYS_ZEROED_MAP_MIN) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
  }
  void *p = edgelm_sys_aligned_alloc(64, size);
  if (p) memset(p, 0, size ? size : 64);
  return p;
}
static inline void edgelm_sys_zeroed_free(void *p, size_t size) {
  if (!p) return;
  if (size >= EDGELM_SYS_ZEROED_MAP_MIN) munmap(p, size);
  else free(p);
}

static inline int edgelm_sys_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

static inline const char *edgelm_sys_getenv(const char *name) { return getenv(name); }

/* Size of the regular file at `path`, or -1 if it cannot be stat'ed or is not
 * a regular file (pipes, devices, directories). Lets the config loader refuse
 * a huge file before reading it. */
static inline int64_t edgelm_sys_regular_file_size(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return (int64_t)st.st_size;
}

/* 1 if `a` and `b` name the same existing file (same device and inode),
 * 0 otherwise (including when either cannot be stat'ed). */
static inline int edgelm_sys_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The per-thread last-error message behind edgelm_last_error() (shim.c):
 * C's _Thread_local, which Embedded Swift cannot declare. Hidden: not part
 * of the library's exported API. */
#define EDGELM_SYS_HIDDEN __attribute__((visibility("hidden")))
EDGELM_SYS_HIDDEN void edgelm_sys_set_last_error(const char *message, size_t length);
EDGELM_SYS_HIDDEN const char *edgelm_sys_last_error(void);

#endif
