// POSIX threads, mutexes and condition variables behind small Swift types.

import CEdgeSys

/// A pthread mutex with a stable heap address (pthread objects must not move).
public final class PlatformMutex {
  let handle: UnsafeMutablePointer<pthread_mutex_t>

  public init() {
    handle = .allocate(capacity: 1)
    pthread_mutex_init(handle, nil)
  }
  deinit {
    pthread_mutex_destroy(handle)
    handle.deallocate()
  }
  public func lock() { pthread_mutex_lock(handle) }
  public func unlock() { pthread_mutex_unlock(handle) }
}

/// A condition variable used with a `PlatformMutex`.
public final class PlatformCondition {
  let handle: UnsafeMutablePointer<pthread_cond_t>

  public init() {
    handle = .allocate(capacity: 1)
    pthread_cond_init(handle, nil)
  }
  deinit {
    pthread_cond_destroy(handle)
    handle.deallocate()
  }
  /// Atomically unlocks `mutex` and waits; relocks before returning.
  public func wait(_ mutex: PlatformMutex) { pthread_cond_wait(handle, mutex.handle) }
  public func broadcast() { pthread_cond_broadcast(handle) }
}

/// A joinable OS thread running a closure.
public final class PlatformThread {
  private var thread: pthread_t = pthread_t()
  private var started = false

  final class Box {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }

  /// Starts a thread running `body`.
  /// - Throws: `.resourceLimit` when the OS refuses a new thread.
  public init(_ body: @escaping () -> Void) throws(EdgeLMError) {
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let rc = edgelm_sys_thread_create(&thread, { arg in
      let box = Unmanaged<PlatformThread.Box>.fromOpaque(arg!).takeRetainedValue()
      box.body()
      return nil
    }, box)
    if rc != 0 {
      Unmanaged<Box>.fromOpaque(box).release()
      throw EdgeLMError(.resourceLimit, "cannot start a thread (pthread_create error \(rc))")
    }
    started = true
  }

  /// Waits for the thread to finish. Called at most once.
  public func join() {
    if started {
      _ = edgelm_sys_thread_join(thread)
      started = false
    }
  }

  /// Lets another thread run (sched_yield).
  @inline(__always)
  public static func yield() { sched_yield() }
}
