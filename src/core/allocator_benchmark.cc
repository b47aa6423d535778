// The benchmarks run with the gtops binary's allocator settings (core/allocator.h), applied
// before any benchmark starts. BM_FileSizedAllocations shows what they are for: a file's worth of
// small allocations (200,000 strings of 40 bytes, 8 MB) made and freed again, as a converter or a
// batch of records does for each file.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/allocator.h"

namespace gtops {
namespace {

const bool kTuned = [] {
  TuneAllocator();
  return true;
}();

void BM_FileSizedAllocations(benchmark::State& state) {
  benchmark::DoNotOptimize(kTuned);
  for (auto _ : state) {
    std::vector<std::string> strings;
    strings.reserve(200'000);
    for (int i = 0; i < 200'000; ++i) strings.emplace_back(40, 'x');
    benchmark::DoNotOptimize(strings.data());
  }
  state.SetItemsProcessed(state.iterations() * 200'000);
}
BENCHMARK(BM_FileSizedAllocations)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gtops
