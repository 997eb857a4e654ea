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

/* For the C functions of shim.c: part of the library, not of its exported API. */
#define EDGELM_SYS_HIDDEN __attribute__((visibility("hidden")))

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

/* What EdgeLM needs of stat(2), for the file open as `fd` (fd >= 0) or
 * else at `path`: 0, or -1 with errno set (shim.c: statx on aarch64, so
 * that the library needs no glibc newer than 2.31). mtime_ns: the last
 * modification (st_mtim) in nanoseconds since the epoch. */
typedef struct {
  int64_t size;
  int is_regular;
  uint64_t device, inode;
  int64_t mtime_ns;
} edgelm_sys_file_info;
EDGELM_SYS_HIDDEN int edgelm_sys_file_info_get(int fd, const char *path, edgelm_sys_file_info *info);

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

/* Aligned allocation straight from the system, never from the
 * out-of-memory reserve (reserve.c): NULL on failure, for the caller to
 * check. Free with free(). */
EDGELM_SYS_HIDDEN void *edgelm_sys_aligned_alloc(size_t alignment, size_t size);

/* 1 if, since the last call, an allocation of this thread was refused by
 * the system and served from the out-of-memory reserve instead (reserve.c),
 * else 0; clears the mark. Always 0 in builds without the reserve. */
EDGELM_SYS_HIDDEN int edgelm_sys_take_memory_shortage(void);

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

/* Whether this CPU has the Armv8.2 dot-product instructions (sdot/udot), as
 * the kernel reports them (HWCAP_ASIMDDP); 0 on other architectures. The
 * Arm kernels are chosen at run time from it, so one aarch64 build runs
 * on a Pi 4 (Cortex-A72, none) and uses them on a Pi 5 (Cortex-A76). */
EDGELM_SYS_HIDDEN int edgelm_sys_cpu_has_dotprod(void);

/* The Arm int8 kernels (Sources/EdgeLMArm, C-ABI entry points), in the
 * aarch64 library only, in two builds: _neon (Armv8.0) and _dotprod (sdot).
 * type: ggml type id (2 q4_0, 3 q4_1, 6 q5_0, 7 q5_1, 8 q8_0, 12 q4_K, 13 q5_K, 14 q6_K).
 * See Quant/Arm/ArmKernels.swift. */
#define EDGELM_SYS_ARM_KERNELS(set)                                                                       \
  void edgelmarm_##set##_prepare(int32_t type, const void *act, intptr_t blocks, void *dst);               \
  void edgelmarm_##set##_rows(int32_t type, const void *w, intptr_t stride, intptr_t rows, const void *prep, \
                              intptr_t blocks, float *out, _Bool accumulate);                               \
  void edgelmarm_##set##_rows_multi(int32_t type, const void *w, intptr_t stride, intptr_t rows,            \
                                    const void *prep, intptr_t prep_stride, intptr_t count, intptr_t blocks, \
                                    float *out, intptr_t out_stride);
EDGELM_SYS_ARM_KERNELS(neon)
EDGELM_SYS_ARM_KERNELS(dotprod)

/* Interleaved weights (Sources/EdgeLMArm/ArmPacked.swift), dotprod build
 * only, q8_0 (8), q4_0 (2) and q5_0 (6): pack rearranges `rows` (a
 * multiple of 4) rows of `blocks` blocks into groups of four, false for
 * another type; unpack writes blocks first..<first+count of one row back
 * in the file's layout; packed_rows computes rows skip..<skip+rows of the
 * groups from `w` on (row_blocks blocks per row) over blocks
 * first_block..<first_block+blocks; packed_rows_multi `count` 2...4
 * activations over every block, from a group's first row. See
 * Quant/Arm/PackedWeights.swift. */
_Bool edgelmarm_dotprod_pack(int32_t type, const void *src, intptr_t row_stride, intptr_t rows, intptr_t blocks,
                             void *dst);
void edgelmarm_dotprod_unpack(int32_t type, const void *packed, intptr_t blocks, intptr_t row, intptr_t first,
                              intptr_t count, void *dst);
void edgelmarm_dotprod_packed_rows(int32_t type, const void *w, intptr_t row_blocks, intptr_t first_block,
                                   intptr_t skip, intptr_t rows, const void *prep, intptr_t blocks, float *out,
                                   _Bool accumulate);
void edgelmarm_dotprod_packed_rows_multi(int32_t type, const void *w, intptr_t rows, const void *prep,
                                         intptr_t prep_stride, intptr_t count, intptr_t blocks, float *out,
                                         intptr_t out_stride);

/* Size of the regular file at `path`, or -1 if it cannot be stat'ed or is not
 * a regular file (pipes, devices, directories). Lets the config loader refuse
 * a huge file before reading it. */
static inline int64_t edgelm_sys_regular_file_size(const char *path) {
  edgelm_sys_file_info info;
  if (edgelm_sys_file_info_get(-1, path, &info) != 0 || !info.is_regular) return -1;
  return info.size;
}

/* 1 if `a` and `b` name the same existing file (same device and inode),
 * 0 otherwise (including when either cannot be stat'ed). */
static inline int edgelm_sys_same_file(const char *a, const char *b) {
  edgelm_sys_file_info ia, ib;
  if (edgelm_sys_file_info_get(-1, a, &ia) != 0 || edgelm_sys_file_info_get(-1, b, &ib) != 0) return 0;
  return ia.device == ib.device && ia.inode == ib.inode;
}

/* The SIGBUS guard of the model mappings (sigbus.c). The first register
 * installs a process-wide SIGBUS handler (once; the handler before it keeps
 * every fault outside the registered ranges). A fault inside a registered
 * range gets an anonymous zero page mapped over the faulting page and marks
 * the range damaged; the faulting read then sees zeros instead of killing
 * the process.
 * register: guards [base, base+size) (widened to whole pages); returns a
 *   slot (>= 0) for the other two calls, or -1 with errno set (EINVAL for
 *   an empty range, ENOSPC when 256 ranges are guarded already, or
 *   sigaction's).
 * unregister: stops guarding the slot's range; call it before unmapping.
 * damaged: 1 once a fault in the slot's range was turned into zeros, else 0.
 * All three are thread-safe; the handler takes no lock and allocates
 * nothing. */
EDGELM_SYS_HIDDEN int edgelm_sys_guard_register(const void *base, size_t size);
EDGELM_SYS_HIDDEN void edgelm_sys_guard_unregister(int slot);
EDGELM_SYS_HIDDEN int edgelm_sys_guard_damaged(int slot);

/* pthread_create / pthread_join (shim.c; for aarch64 bound to glibc's first
 * versions, which glibc 2.31 has: Cross/glibc-compat.c). */
EDGELM_SYS_HIDDEN int edgelm_sys_thread_create(pthread_t *thread, void *(*start)(void *), void *arg);
EDGELM_SYS_HIDDEN int edgelm_sys_thread_join(pthread_t thread);

/* The per-thread last-error message behind edgelm_last_error() (shim.c):
 * C's _Thread_local, which Embedded Swift cannot declare. Hidden: not part
 * of the library's exported API. */
EDGELM_SYS_HIDDEN void edgelm_sys_set_last_error(const char *message, size_t length);
EDGELM_SYS_HIDDEN const char *edgelm_sys_last_error(void);

#endif
