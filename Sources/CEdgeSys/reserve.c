/*
 * Out of memory as an error, not a trap.
 *
 * Embedded Swift's runtime traps when posix_memalign fails (swift_allocObject,
 * and UnsafeMutablePointer.allocate does not check), so any Swift object,
 * array or string the library allocates when memory has run out would take
 * the whole process down. In the builds we ship, the library's own calls to
 * posix_memalign and free come here instead (ld --wrap, compiled with
 * EDGELM_RESERVE by Cross/build-embedded.sh): an allocation the system
 * refuses is served from a reserve set aside when the library was loaded,
 * and the thread that asked is marked. The library turns the mark into
 * EDGELM_ERR_OUT_OF_MEMORY at its next check (Memory.check in Swift: in the
 * loops that allocate as they go, and before every call returns), and the
 * objects that call built are freed back into the reserve as the error
 * unwinds. Only if the reserve itself runs out does the process stop, with a
 * message that says so (sqlite's lookaside plays a similar part).
 *
 * Buffers whose size depends on the input (KV caches, scratch, weights read
 * into memory) do not come from the reserve: edgelm_sys_aligned_alloc goes
 * to the system directly and its NULL is checked (AlignedBuffer).
 *
 * The reserve is a stack: blocks are carved from its bottom up, a freed
 * block at the top is taken back at once (with any free blocks under it), a
 * freed block lower down when the blocks above it are. What an out-of-memory
 * error unwinds is freed in about the reverse order of allocation, so the
 * reserve empties again once the failed call has returned.
 *
 * Without EDGELM_RESERVE (the SwiftPM developer build, whose Swift runtime
 * is the normal one) there is no reserve and no thread is ever marked.
 */
#include "edgelm_sys.h"

#ifdef EDGELM_RESERVE

/* Sized for what one call allocates between two checks (the largest: a
 * tokenizer's tables being built when the model is loaded); in .bss, so it
 * costs address space but no RAM until used. */
#define RESERVE_BYTES ((size_t)8 << 20)
#define HEADER 16

int __real_posix_memalign(void **out, size_t alignment, size_t size);
void __real_free(void *p);

/* Precedes each block's payload. */
typedef struct block {
  struct block *previous; /* the block below this one, or NULL */
  uint32_t start;         /* where this block begins in the reserve (its padding included) */
  uint32_t is_free;
} block;

_Alignas(64) static unsigned char reserve[RESERVE_BYTES];
static size_t top;       /* reserve[top...] is unused */
static block *last;      /* the topmost block, or NULL */
static size_t peak;      /* the most of it ever in use */

/* With EDGELM_RESERVE_REPORT set, the most of the reserve a process used
 * goes to stderr at exit, for the fault-injection sweep to size it by. */
__attribute__((destructor)) static void report_peak(void) {
  if (peak && getenv("EDGELM_RESERVE_REPORT")) fprintf(stderr, "edgelm reserve peak: %zu bytes\n", peak);
}
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int short_of_memory;

static int in_reserve(const void *p) {
  return (const unsigned char *)p >= reserve && (const unsigned char *)p < reserve + RESERVE_BYTES;
}

static void *reserve_alloc(size_t alignment, size_t size) {
  if (alignment < HEADER) alignment = HEADER;
  pthread_mutex_lock(&lock);
  uintptr_t base = (uintptr_t)reserve;
  uintptr_t payload = (base + top + HEADER + alignment - 1) & ~(uintptr_t)(alignment - 1);
  uintptr_t end = (payload + (size ? size : 1) + HEADER - 1) & ~(uintptr_t)(HEADER - 1);
  void *result = NULL;
  if (size <= RESERVE_BYTES && end <= base + RESERVE_BYTES) {
    block *b = (block *)(payload - HEADER);
    b->previous = last;
    b->start = (uint32_t)top;
    b->is_free = 0;
    last = b;
    top = end - base;
    if (top > peak) peak = top;
    result = (void *)payload;
  }
  pthread_mutex_unlock(&lock);
  return result;
}

static void reserve_free(void *p) {
  pthread_mutex_lock(&lock);
  ((block *)((unsigned char *)p - HEADER))->is_free = 1;
  while (last && last->is_free) {
    top = last->start;
    last = last->previous;
  }
  pthread_mutex_unlock(&lock);
}

static void reserve_exhausted(size_t size) {
  static const char text[] = "edgelm: out of memory, and the library's reserve for finishing the call is used up\n";
  ssize_t ignored = write(2, text, sizeof text - 1);
  (void)ignored;
  (void)size;
  abort();
}

EDGELM_SYS_HIDDEN int __wrap_posix_memalign(void **out, size_t alignment, size_t size) {
  int rc = __real_posix_memalign(out, alignment, size);
  if (rc == 0) return rc;
  void *p = reserve_alloc(alignment, size);
  if (!p) reserve_exhausted(size);
  short_of_memory = 1;
  *out = p;
  return 0;
}

EDGELM_SYS_HIDDEN void __wrap_free(void *p) {
  if (in_reserve(p)) reserve_free(p);
  else __real_free(p);
}

void *edgelm_sys_aligned_alloc(size_t alignment, size_t size) {
  void *p = NULL;
  if (__real_posix_memalign(&p, alignment, size ? size : alignment) != 0) return NULL;
  return p;
}

int edgelm_sys_take_memory_shortage(void) {
  int was = short_of_memory;
  short_of_memory = 0;
  return was;
}

#else

void *edgelm_sys_aligned_alloc(size_t alignment, size_t size) {
  void *p = NULL;
  if (posix_memalign(&p, alignment, size ? size : alignment) != 0) return NULL;
  return p;
}

int edgelm_sys_take_memory_shortage(void) { return 0; }

#endif
