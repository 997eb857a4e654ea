/*
 * The SIGBUS guard of the model mappings (declared in edgelm_sys.h).
 *
 * A file mapping raises SIGBUS when a page it reads no longer has file
 * behind it: the model file was truncated, or copied over (O_TRUNC, then
 * rewritten), while a process had it mapped. Without a handler the process
 * dies. With this one, a fault inside a registered mapping gets an
 * anonymous zero page mapped over the faulting page (MAP_FIXED) and the
 * mapping is marked damaged; the faulting load then reads zeros and the
 * forward pass finishes on them. The caller checks the mark after each pass
 * and reports EDGELM_ERR_IO (MappedFile in Platform.swift), so a changed
 * file costs that model its answers, never the process.
 *
 * Faults outside every registered mapping go to the handler that was
 * installed before ours; when that was the default (or "ignore"), it is put
 * back and the handler returns, so that the faulting instruction runs again
 * and the kernel delivers SIGBUS with the default action (a core dump).
 *
 * The handler allocates nothing and takes no lock (it may interrupt any
 * thread at any instruction, malloc included): the ranges are a fixed table
 * of atomics. mmap and sigaction are single system calls in glibc. It uses
 * a few dozen bytes of stack, so it also runs on a small alternate signal
 * stack (SA_ONSTACK: a thread that set one with sigaltstack gets it there).
 */
#include "edgelm_sys.h"
#include <signal.h>
#include <stdatomic.h>

/* Mappings guarded at once (models and draft models loaded together). */
#define EDGELM_SYS_GUARD_SLOTS 256

enum { SLOT_FREE = 0, SLOT_SETTING_UP = 1, SLOT_LIVE = 2 };

typedef struct {
  atomic_int state;
  /* [start, end): page-aligned; read by the handler only while LIVE. */
  atomic_uintptr_t start;
  atomic_uintptr_t end;
  /* Set by the handler when it replaced a page of this mapping. */
  atomic_int damaged;
} guard_slot;

static guard_slot slots[EDGELM_SYS_GUARD_SLOTS];

/* 0: not installed, 1: being installed, 2: installed, 3: sigaction failed. */
static atomic_int install_state;
/* The disposition of SIGBUS before ours (written once, before state 2). */
static struct sigaction previous_action;
static uintptr_t guard_page_size;

/* Hands a fault that is not ours to whoever had SIGBUS before us. */
static void chain(int sig, siginfo_t *info, void *context) {
  if (previous_action.sa_handler == SIG_DFL || previous_action.sa_handler == SIG_IGN) {
    sigaction(SIGBUS, &previous_action, NULL);
    /* A fault repeats when this returns and now takes the default action
     * (the kernel forces a fault's SIGBUS even where it is ignored); a
     * signal sent with kill() is raised again (delivered on return, since
     * SIGBUS is blocked while its handler runs). */
    if (info->si_code <= 0) raise(sig);
    return;
  }
  if (previous_action.sa_flags & SA_SIGINFO) {
    previous_action.sa_sigaction(sig, info, context);
  } else {
    previous_action.sa_handler(sig);
  }
}

static void on_sigbus(int sig, siginfo_t *info, void *context) {
  int saved_errno = errno;
  /* si_code > 0: raised by the kernel for a fault (BUS_ADRERR for a page
   * past the end of the file), so si_addr is the faulting address. */
  if (info->si_code > 0) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    for (int i = 0; i < EDGELM_SYS_GUARD_SLOTS; i++) {
      if (atomic_load_explicit(&slots[i].state, memory_order_acquire) != SLOT_LIVE) continue;
      uintptr_t start = atomic_load_explicit(&slots[i].start, memory_order_relaxed);
      uintptr_t end = atomic_load_explicit(&slots[i].end, memory_order_relaxed);
      if (addr < start || addr >= end) continue;
      uintptr_t page = addr & ~(guard_page_size - 1);
      void *p = mmap((void *)page, guard_page_size, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      /* Should the process run out of mappings (vm.max_map_count: zero
       * pages among file pages split the mapping), zeros over the whole
       * range replace all its pieces with one. */
      if (p == MAP_FAILED) {
        p = mmap((void *)start, end - start, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      }
      if (p != MAP_FAILED) {
        atomic_store_explicit(&slots[i].damaged, 1, memory_order_release);
        errno = saved_errno;
        return;
      }
      break;
    }
  }
  errno = saved_errno;
  chain(sig, info, context);
}

/* Installs the handler once per process; 0, or -1 if sigaction failed. */
static int install(void) {
  int expected = 0;
  if (atomic_compare_exchange_strong(&install_state, &expected, 1)) {
    guard_page_size = (uintptr_t)edgelm_sys_page_size();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    int ok = sigaction(SIGBUS, &action, &previous_action) == 0;
    atomic_store(&install_state, ok ? 2 : 3);
  }
  int state;
  while ((state = atomic_load(&install_state)) == 1) sched_yield();
  return state == 2 ? 0 : -1;
}

int edgelm_sys_guard_register(const void *base, size_t size) {
  if (!base || size == 0) {
    errno = EINVAL;
    return -1;
  }
  if (install() != 0) return -1;
  uintptr_t start = (uintptr_t)base & ~(guard_page_size - 1);
  uintptr_t end = ((uintptr_t)base + size + guard_page_size - 1) & ~(guard_page_size - 1);
  for (int i = 0; i < EDGELM_SYS_GUARD_SLOTS; i++) {
    int expected = SLOT_FREE;
    if (!atomic_compare_exchange_strong(&slots[i].state, &expected, SLOT_SETTING_UP)) continue;
    atomic_store_explicit(&slots[i].start, start, memory_order_relaxed);
    atomic_store_explicit(&slots[i].end, end, memory_order_relaxed);
    atomic_store_explicit(&slots[i].damaged, 0, memory_order_relaxed);
    atomic_store_explicit(&slots[i].state, SLOT_LIVE, memory_order_release);
    return i;
  }
  errno = ENOSPC;
  return -1;
}

void edgelm_sys_guard_unregister(int slot) {
  if (slot < 0 || slot >= EDGELM_SYS_GUARD_SLOTS) return;
  atomic_store_explicit(&slots[slot].state, SLOT_FREE, memory_order_release);
}

int edgelm_sys_guard_damaged(int slot) {
  if (slot < 0 || slot >= EDGELM_SYS_GUARD_SLOTS) return 0;
  return atomic_load_explicit(&slots[slot].damaged, memory_order_acquire);
}
