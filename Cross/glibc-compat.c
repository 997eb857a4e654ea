/*
 * Linked into what we ship for aarch64 (libedgelm.so, the CLI, the bundled
 * example) so that it loads on glibc 2.31 (Raspberry Pi OS Bullseye,
 * Ubuntu 20.04) although it is linked against Debian 12's glibc 2.36.
 * Tests/embedded/old_glibc.sh runs it on Debian 11's glibc.
 *
 * - pthread_create/pthread_join: glibc 2.34 moved them from libpthread into
 *   libc under a new version (GLIBC_2.34); these definitions bind to the
 *   version every aarch64 glibc has (2.17), and the link names
 *   libpthread.so.0, where older glibc defines them. They replace the weak,
 *   unversioned ones in Sources/CEdgeSys/shim.c, which a static link (the
 *   instruction-count tools link edgelm statically) keeps.
 * - __libc_start_main: Debian 12's start files call it at GLIBC_2.34;
 *   executables link with -Wl,--wrap=__libc_start_main and reach the 2.17
 *   version through __wrap___libc_start_main. glibc 2.34 and later run the
 *   program's constructors whatever the caller; older ones run them through
 *   `init`, which the new start files leave NULL: our executables' only one
 *   is crtbegin's frame_dummy, which aarch64 does not need (unwinding uses
 *   .eh_frame_hdr).
 * (File status goes through statx and arc4random_buf is our own: shim.c.)
 */
#include "edgelm_sys.h" /* (hidden declarations; includes stdlib.h, which defines __GLIBC__) */
#if defined(__aarch64__) && defined(__GLIBC__)
__asm__(".symver pthread_create, pthread_create@GLIBC_2.17");
__asm__(".symver pthread_join, pthread_join@GLIBC_2.17");

int edgelm_sys_thread_create(pthread_t *thread, void *(*start)(void *), void *arg) {
  return pthread_create(thread, NULL, start, arg);
}

int edgelm_sys_thread_join(pthread_t thread) { return pthread_join(thread, NULL); }

int edgelm_libc_start_main_2_17(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
__asm__(".symver edgelm_libc_start_main_2_17, __libc_start_main@GLIBC_2.17");

__attribute__((visibility("hidden"))) int __wrap___libc_start_main(
    int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void), void (*fini)(void),
    void (*rtld_fini)(void), void *stack_end) {
  return edgelm_libc_start_main_2_17(main, argc, argv, init, fini, rtld_fini, stack_end);
}
#endif
