//! A global allocator that wraps the system allocator and counts live bytes, so INFO can report
//! `used_memory` (and its peak) the way Redis reports what its allocator holds.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

static USED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static STARTUP: AtomicUsize = AtomicUsize::new(0);

pub struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            USED.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            USED.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        USED.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                USED.fetch_add(new_size - layout.size(), Relaxed);
            } else {
                USED.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes currently allocated by the process through the Rust allocator.
pub fn used_memory() -> usize {
    USED.load(Relaxed)
}

/// Record the current usage as a peak candidate; returns the peak so far.
pub fn update_peak() -> usize {
    let used = used_memory();
    PEAK.fetch_max(used, Relaxed).max(used)
}

/// Remember the usage of a freshly started server (INFO used_memory_startup).
pub fn mark_startup() {
    STARTUP.store(used_memory(), Relaxed);
}

pub fn startup_memory() -> usize {
    STARTUP.load(Relaxed)
}

/// Resident set size of the process in bytes, from /proc/self/status (0 if unavailable).
pub fn rss_bytes() -> usize {
    let Ok(s) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_allocations() {
        let before = super::used_memory();
        let v: Vec<u8> = std::hint::black_box(Vec::with_capacity(1 << 20));
        let during = super::used_memory();
        // Other test threads allocate too; a 1 MiB buffer still dominates the difference.
        assert!(during >= before + (1 << 19), "{before} -> {during}");
        let peak = super::update_peak();
        drop(v);
        // The peak is sampled: it keeps the high-water mark seen while the buffer was alive.
        assert!(peak >= during);
        assert!(super::update_peak() >= peak);
        assert!(super::rss_bytes() > 0);
    }
}
