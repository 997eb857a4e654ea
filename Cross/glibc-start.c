/*
 * Linked into the aarch64 executables we ship (the CLI, the bundled
 * example) with -Wl,--wrap=__libc_start_main, so that they start on glibc
 * 2.31 (Raspberry Pi OS Bullseye, Ubuntu 20.04) although they are linked
 * against Debian 12's glibc 2.36, whose start files call
 * __libc_start_main@GLIBC_2.34. This forwards to the version every aarch64
 * glibc has (2.17). glibc 2.34 and later run the program's constructors
 * themselves whatever the caller; older ones run them through `init`, which
 * the new start files leave NULL: our executables' only one is crtbegin's
 * frame_dummy, which aarch64 does not need (unwinding uses .eh_frame_hdr).
 */
#include <stdlib.h> /* defines __GLIBC__ */
#if defined(__aarch64__) && defined(__GLIBC__)
int edgelm_libc_start_main_2_17(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
__asm__(".symver edgelm_libc_start_main_2_17, __libc_start_main@GLIBC_2.17");

int __wrap___libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                             void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
  return edgelm_libc_start_main_2_17(main, argc, argv, init, fini, rtld_fini, stack_end);
}
#endif
