/* LD_PRELOAD shim for Tests/embedded/jsonc_alloc.sh: makes the Nth
 * allocation (malloc, calloc, realloc) that libjson-c itself calls fail,
 * N from EDGELM_FAIL_JSONC_ALLOC (unset or 0: none fails). Allocations by
 * anything else (the Swift core included) are left alone, so what is
 * tested is how the config parser copes with json-c running out of memory.
 * strdup is not failed: json-c 0.16 copies object keys with strdup in
 * json_tokener_parse_ex and json_object_object_add_ex without checking
 * the result, and dies of SIGSEGV inside json-c (strlen(NULL)). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long seen;

/* Whether this allocation, called from `caller`, is the one to fail. */
static int fail_now(void *caller) {
  static long target = -1;
  Dl_info info;
  if (target < 0) {
    const char *v = getenv("EDGELM_FAIL_JSONC_ALLOC");
    target = v ? strtol(v, NULL, 10) : 0;
  }
  if (target <= 0 || !dladdr(caller, &info) || !info.dli_fname || !strstr(info.dli_fname, "libjson-c")) return 0;
  return ++seen == target;
}

void *malloc(size_t n) { return fail_now(__builtin_return_address(0)) ? NULL : __libc_malloc(n); }
void *calloc(size_t k, size_t n) { return fail_now(__builtin_return_address(0)) ? NULL : __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { return fail_now(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n); }
