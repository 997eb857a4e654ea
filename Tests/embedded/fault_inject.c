/*
 * fault_inject.c - an LD_PRELOAD shim that makes one call site of malloc,
 * calloc, realloc, posix_memalign, aligned_alloc, mmap, pread or open fail,
 * for Tests/embedded/fault_sweep.sh.
 *
 * A call site is the function plus the return addresses of the innermost
 * frames of the caller's stack (hashed), so "the tokenizer's vocabulary
 * array" and "the KV cache" are different sites although both reach
 * posix_memalign through the same allocator. Embedded Swift emits no unwind
 * tables, so the stack is walked by frame pointers: the program under test
 * is built with them (EDGELM_FRAME_POINTERS=1 Cross/build-embedded.sh), and
 * the walk stops at the first frame pointer that does not lead up the
 * thread's stack (a libc function without one). Run with ASLR off
 * (setarch -R) so that sites hash the same from one run to the next.
 *
 *   EDGELM_FAULT_LIST=FILE   record: write each distinct site once, in
 *                            the order first seen: "HASH FUNCTION INDEX"
 *                            (INDEX: how many calls came before it)
 *   EDGELM_FAULT_SITE=HASH   fail the first call from that site...
 *   EDGELM_FAULT_PERSIST=1   ...and, for an allocation, every allocation
 *                            after it (memory has run out, not blipped)
 *   EDGELM_FAULT_REPORT=FILE where a failure was injected, "HASH FUNCTION"
 *
 * Failures look like the real thing: NULL or MAP_FAILED with ENOMEM for
 * allocations (an mmap of a file too: the kernel's answer when address
 * space runs out), -1 with EIO for pread, -1 with ENFILE for open.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <pthread.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

enum { F_MALLOC, F_CALLOC, F_REALLOC, F_MEMALIGN, F_ALIGNED, F_MMAP, F_PREAD, F_OPEN, F_COUNT };
static const char *const names[F_COUNT] = {"malloc", "calloc", "realloc", "posix_memalign",
                                           "aligned_alloc", "mmap", "pread", "open"};

#define MAX_SITES 65536
#define DEPTH 8
static uint64_t site_hash[MAX_SITES];
static uint32_t site_func[MAX_SITES];
static uint64_t site_index[MAX_SITES];
static int n_sites;
static int site_lock;
static uint64_t calls;

static int mode_list, persist;
static uint64_t target;
static int failing; /* after a persistent failure: every allocation fails */
static const char *list_path, *report_path;
static _Thread_local int inside; /* no recording inside the shim itself */

/* This thread's stack, [low, high): where a frame pointer may point. */
static _Thread_local uintptr_t stack_low, stack_high;

static void find_stack(void) {
  pthread_attr_t attr;
  void *base;
  size_t size;
  stack_low = 1; /* tried */
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  if (pthread_attr_getstack(&attr, &base, &size) == 0) {
    stack_low = (uintptr_t)base;
    stack_high = (uintptr_t)base + size;
  }
  pthread_attr_destroy(&attr);
}

__attribute__((noinline)) static uint64_t site(int func) {
  uint64_t hash = 14695981039346656037ull ^ (uint64_t)func;
  if (!stack_low) find_stack();
  /* frame: [0] the caller's frame pointer, [1] the return address */
  uintptr_t *fp = __builtin_frame_address(0);
  for (int depth = 0; depth < DEPTH + 2; depth++) {
    uintptr_t at = (uintptr_t)fp;
    if (at < stack_low || at + 16 > stack_high || (at & 7)) break;
    uintptr_t ret = fp[1], next = fp[0];
    if (depth >= 2) hash = (hash ^ ret) * 1099511628211ull; /* past should_fail() */
    if (next <= at) break;
    fp = (uintptr_t *)next;
  }
  return hash;
}

static void write_all(const char *path, const char *text, size_t n) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  while (n > 0) {
    ssize_t k = syscall(SYS_write, fd, text, n);
    if (k <= 0) break;
    text += k;
    n -= (size_t)k;
  }
  syscall(SYS_close, fd);
}

__attribute__((constructor)) static void init(void) {
  list_path = getenv("EDGELM_FAULT_LIST");
  report_path = getenv("EDGELM_FAULT_REPORT");
  const char *s = getenv("EDGELM_FAULT_SITE");
  if (s) target = strtoull(s, NULL, 16);
  persist = getenv("EDGELM_FAULT_PERSIST") != NULL;
  mode_list = list_path != NULL;
}

__attribute__((destructor)) static void fini(void) {
  if (!mode_list) return;
  static char line[96];
  for (int i = 0; i < n_sites; i++) {
    int n = snprintf(line, sizeof line, "%016llx %s %llu\n", (unsigned long long)site_hash[i],
                     names[site_func[i]], (unsigned long long)site_index[i]);
    write_all(list_path, line, (size_t)n);
  }
}

/* True if this call should fail. */
__attribute__((noinline)) static int should_fail(int func) {
  int alloc = func <= F_MMAP;
  if (failing && alloc) return 1;
  if (inside || (!mode_list && !target)) return 0;
  inside = 1;
  uint64_t h = site(func);
  uint64_t index = __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
  int fail = 0;
  if (mode_list) {
    while (__atomic_exchange_n(&site_lock, 1, __ATOMIC_ACQUIRE)) {}
    int seen = 0;
    for (int i = n_sites - 1; i >= 0 && !seen; i--) seen = site_hash[i] == h;
    if (!seen && n_sites < MAX_SITES) {
      site_hash[n_sites] = h;
      site_func[n_sites] = (uint32_t)func;
      site_index[n_sites] = index;
      n_sites++;
    }
    __atomic_store_n(&site_lock, 0, __ATOMIC_RELEASE);
  } else if (h == target && __atomic_exchange_n(&target, 0, __ATOMIC_RELAXED) == h) {
    fail = 1;
    if (persist && alloc) failing = 1;
    if (report_path) {
      char line[64];
      int n = snprintf(line, sizeof line, "%016llx %s\n", (unsigned long long)h, names[func]);
      write_all(report_path, line, (size_t)n);
    }
  }
  inside = 0;
  return fail;
}

void *malloc(size_t n) {
  if (should_fail(F_MALLOC)) { errno = ENOMEM; return NULL; }
  return __libc_malloc(n);
}

void *calloc(size_t a, size_t b) {
  if (should_fail(F_CALLOC)) { errno = ENOMEM; return NULL; }
  return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n) {
  if (should_fail(F_REALLOC)) { errno = ENOMEM; return NULL; }
  return __libc_realloc(p, n);
}

int posix_memalign(void **out, size_t align, size_t n) {
  if (should_fail(F_MEMALIGN)) return ENOMEM;
  void *p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

void *aligned_alloc(size_t align, size_t n) {
  if (should_fail(F_ALIGNED)) { errno = ENOMEM; return NULL; }
  return __libc_memalign(align, n);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (!(flags & MAP_FIXED) && should_fail(F_MMAP)) { errno = ENOMEM; return MAP_FAILED; }
  return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}
void *mmap64(void *, size_t, int, int, int, off_t) __attribute__((alias("mmap")));

/* Not failed: json-c 0.16 copies object keys with strdup and does not check
 * the result (SIGSEGV inside json-c, strlen(NULL)); nothing else here calls
 * it. Tests/embedded/jsonc_alloc.sh fails json-c's other allocations. */
char *strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = __libc_malloc(n);
  return p ? memcpy(p, s, n) : NULL;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off) {
  if (should_fail(F_PREAD)) { errno = EIO; return -1; }
  return syscall(SYS_pread64, fd, buf, n, off);
}
ssize_t pread64(int, void *, size_t, off_t) __attribute__((alias("pread")));

int open(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  if (should_fail(F_OPEN)) { errno = ENFILE; return -1; }
  return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}
int open64(const char *, int, ...) __attribute__((alias("open")));
