//! Handing freed memory back to the system.
//!
//! mimalloc, the binary's global allocator, returns memory a second after it was freed, and
//! only when it is next called: loading 10,000 routes takes a fraction of that second and frees
//! about as much as it keeps, and a gateway that then goes idle would hold on to all of it.
//! [`release`] returns it at once; it is called where a large piece of work has just freed a
//! lot: a thread of `load` done with its entities, `serve`'s state file loaded, a write of
//! 1,000 operations or more applied, the proxy's first configuration built.

/// Returns the memory freed so far to the system. Cheap (it collects the calling thread's heap
/// and purges what is free), but not free: call it after large pieces of work, not per request.
/// Under another global allocator (test binaries) mimalloc holds nothing and this does nothing.
pub fn release() {
    // SAFETY: mi_collect takes a flag and only walks mimalloc's own state; it is safe to call
    // from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
