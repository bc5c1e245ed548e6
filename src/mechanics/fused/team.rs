//! The team of threads of [`super::FusedTled::run`]: slices shared phase by phase and a spin barrier.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::tensor::V3;

/// The work arrays as the team of [`FusedTled::run_team`] shares them. Per step, the phases and who
/// writes what (everything else is only read in that phase):
/// 1. (nodal) `vj`, each thread its tetrahedra; 2. (nodal) `jm1`, `p`, each thread its nodes;
/// 3. `corner`, each thread its tetrahedra (reads `u` and `du` in full);
/// 4. (pressure) `face`, each thread its triangles;
/// 5. `u` and `du`, each thread its nodes, reading only its own nodes of them.
pub(super) struct TeamViews<T> {
    pub(super) u: Shared<V3<T>>,
    pub(super) du: Shared<V3<T>>,
    pub(super) corner: Shared<V3<T>>,
    pub(super) face: Shared<V3<T>>,
    pub(super) vj: Shared<T>,
    pub(super) jm1: Shared<T>,
    pub(super) p: Shared<T>,
}

/// A slice that the threads of a team read in full or write in disjoint ranges, phase by phase.
pub(super) struct Shared<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Shared<T> {}

// SAFETY: a Shared is a pointer to a slice that outlives the team (the run borrows it mutably); the
// callers of `all` and `range` uphold the phase discipline documented there.
unsafe impl<T: Send + Sync> Send for Shared<T> {}
unsafe impl<T: Send + Sync> Sync for Shared<T> {}

impl<T> Shared<T> {
    pub(super) fn new(v: &mut [T]) -> Self {
        Shared {
            ptr: v.as_mut_ptr(),
            len: v.len(),
        }
    }

    /// The whole slice, to read.
    ///
    /// # Safety
    /// No thread writes any of it until the reader's next barrier.
    pub(super) unsafe fn all<'a>(self) -> &'a [T] {
        // SAFETY: ptr/len come from a live slice; no concurrent writes (the caller's contract).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// `range` of the slice, to write.
    ///
    /// # Safety
    /// `range` is in bounds, and no other thread reads or writes it until the writer's next barrier.
    pub(super) unsafe fn range<'a>(self, range: Range<usize>) -> &'a mut [T] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: in bounds (checked); exclusive for the phase (the caller's contract).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len()) }
    }
}

/// A reusable barrier for the threads of a team that spins (then yields) instead of sleeping: the
/// threads meet every few tens of microseconds.
pub(super) struct SpinBarrier {
    threads: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    pub(super) fn new(threads: usize) -> Self {
        SpinBarrier {
            threads,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    /// Waits until all threads have called it; what a thread wrote before is visible to every thread
    /// after (the last arrival acquires everyone's writes and releases them with the new generation).
    pub(super) fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.threads {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if spins < 1 << 14 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}
