#include "core/allocator.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gtops {

void TuneAllocator() {
  if (std::getenv("GTOPS_MALLOC_DEFAULTS") != nullptr) return;  // glibc's defaults, to compare
#if defined(__GLIBC__)
  // Setting either also fixes it: glibc stops adapting the mmap threshold.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit systems
#endif
}

}  // namespace gtops
