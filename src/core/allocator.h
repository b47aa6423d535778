// Process-wide settings of the C library's allocator (glibc malloc), applied by the commands that
// read input a file at a time (`gtops ingest`, `gtops import`) and before the benchmarks.
//
// gtops reads input a file at a time: a converter or a batch of records allocates megabytes of
// small objects, frees them at the end of the file, and allocates them again for the next one. By
// default glibc returns the top of the heap to the kernel as soon as 128 KiB of it are free and
// serves every allocation above 128 KiB-32 MiB (its threshold adapts) with its own mmap, so each
// file pays again for the kernel to map and zero those pages (page faults were 15-25 % of the
// COCO converter's time). With the thresholds raised, freed memory stays in the heap for the next
// file (1.01 M-object ingest: peak 127 -> 149 MB, same speed). Not applied process-wide: the
// two threads of `gtops check` ran about 1.5 s slower on 10 M objects with it (17.3-17.6 s
// against 18.4-19.7 s), large blocks then coming from the heap instead of fresh mappings.
#pragma once

namespace gtops {

// Keeps up to 64 MiB of free heap top and serves allocations below 32 MiB from the heap. Safe to
// call more than once; does nothing where the allocator is not glibc's, or when the environment
// variable GTOPS_MALLOC_DEFAULTS is set (to measure what the settings change).
void TuneAllocator();

}  // namespace gtops
