// Clang thread-safety annotations (as LevelDB's port/thread_annotations.h). Under clang with
// -Wthread-safety the compiler checks that guarded members are only touched with their lock
// held and that REQUIRES/EXCLUDES contracts hold at every call; elsewhere they expand to
// nothing. The lock types they apply to are in common/mutex.h.
#pragma once

#if defined(__clang__)
#define MERIDIAN_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define MERIDIAN_THREAD_ANNOTATION(x)
#endif

// A type that is a lock (a "capability" in clang's terms).
#define CAPABILITY(x) MERIDIAN_THREAD_ANNOTATION(capability(x))
// An RAII type that holds a lock for its lifetime.
#define SCOPED_CAPABILITY MERIDIAN_THREAD_ANNOTATION(scoped_lockable)
// The member may only be read or written with the lock held.
#define GUARDED_BY(x) MERIDIAN_THREAD_ANNOTATION(guarded_by(x))
// What the pointer points to may only be touched with the lock held.
#define PT_GUARDED_BY(x) MERIDIAN_THREAD_ANNOTATION(pt_guarded_by(x))
// Lock order: this lock is taken after / before the named ones.
#define ACQUIRED_AFTER(...) MERIDIAN_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) MERIDIAN_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
// The caller must hold the lock (exclusively / at least shared).
#define REQUIRES(...) MERIDIAN_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) MERIDIAN_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// The caller must NOT hold the lock (the function takes it).
#define EXCLUDES(...) MERIDIAN_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// The function takes / releases the lock and returns with it held / released.
#define ACQUIRE(...) MERIDIAN_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) MERIDIAN_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) MERIDIAN_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) MERIDIAN_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) MERIDIAN_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) MERIDIAN_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// The function checks at run time that the lock is held, and tells the analysis so.
#define ASSERT_CAPABILITY(x) MERIDIAN_THREAD_ANNOTATION(assert_capability(x))
#define ASSERT_SHARED_CAPABILITY(x) MERIDIAN_THREAD_ANNOTATION(assert_shared_capability(x))
// The function returns a reference to the lock.
#define RETURN_CAPABILITY(x) MERIDIAN_THREAD_ANNOTATION(lock_returned(x))
// Opts one function out of the analysis; say why beside it.
#define NO_THREAD_SAFETY_ANALYSIS MERIDIAN_THREAD_ANNOTATION(no_thread_safety_analysis)
