/*
 * The few things CEdgeSys implements in C rather than as static inline
 * wrappers: the per-thread error message (C11 _Thread_local).
 */
#include "edgelm_sys.h"

/* Long enough for any message EdgeLM writes; longer ones are cut. */
#define EDGELM_SYS_ERROR_CAPACITY 1024

static _Thread_local char last_error[EDGELM_SYS_ERROR_CAPACITY];

void edgelm_sys_set_last_error(const char *message, size_t length) {
  if (length >= EDGELM_SYS_ERROR_CAPACITY) length = EDGELM_SYS_ERROR_CAPACITY - 1;
  if (message && length) memcpy(last_error, message, length);
  last_error[message ? length : 0] = 0;
}

const char *edgelm_sys_last_error(void) { return last_error; }
