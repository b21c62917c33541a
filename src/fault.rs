//! Fault injection for the crash tests: `GOLDPATH_FAULT_AFTER_WRITES=N` stops the process dead
//! (as a SIGKILL would) at its write point number N, counting from 0. Every step that changes
//! a project calls [`point`] before each write it makes, and between writes that must happen
//! together (a commit and the index that follows it). Only builds with the `fault-injection`
//! feature (the tests' build) look at the variable; in a release [`point`] does nothing.

#[cfg(feature = "fault-injection")]
const FAULT_ENV: &str = "GOLDPATH_FAULT_AFTER_WRITES";

/// A place where a kill must leave a state the next command recovers from.
#[inline]
pub fn point() {
    #[cfg(feature = "fault-injection")]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::OnceLock;
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        static AFTER: OnceLock<Option<usize>> = OnceLock::new();
        let after =
            *AFTER.get_or_init(|| std::env::var(FAULT_ENV).ok().and_then(|v| v.parse().ok()));
        if after == Some(COUNT.fetch_add(1, Ordering::SeqCst)) {
            std::process::abort();
        }
    }
}
