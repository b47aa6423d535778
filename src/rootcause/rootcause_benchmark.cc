// Root-cause search at scale (docs/performance.md, "Root cause"): Analyze over one fact table of
// N outcomes with 30 dimensions (27 categorical of 2 to 60 values, 3 numeric banded at data
// quantiles), eight targets of different populations (missing, extra, wrong_class, size,
// heading_flip, attribute, tag and the localisation family's bits), 1% background errors and
// two injected causes: a three-condition slice for wrong_class and a two-condition one with a
// range band for missing. Run: gtops_benchmarks --benchmark_filter=Rootcause.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "rootcause/rootcause.h"

namespace gtops::rootcause {
namespace {

uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

PipelineFacts MakeFacts(size_t rows) {
  PipelineFacts pf;
  pf.pipeline = "bench";
  FactTable& t = pf.table;
  uint64_t s = 42;
  constexpr int kCategorical = 27, kNumeric = 3;
  for (int d = 0; d < kCategorical; ++d) {
    Dimension dim;
    dim.key = "dim" + std::to_string(d);
    const int values = 2 + (d * 7) % 59;
    for (int v = 0; v < values; ++v) dim.values.push_back("v" + std::to_string(v));
    t.dims.push_back(std::move(dim));
  }
  std::vector<std::vector<double>> numeric(kNumeric, std::vector<double>(rows));
  for (int d = 0; d < kNumeric; ++d) {
    Dimension dim;
    dim.key = d == 0 ? "range_m" : "num" + std::to_string(d);
    dim.numeric = true;
    for (size_t r = 0; r < rows; ++r) numeric[static_cast<size_t>(d)][r] = static_cast<double>(SplitMix(s) % 100000) / 1000.0;
    dim.cuts = QuantileCuts(numeric[static_cast<size_t>(d)]);
    t.dims.push_back(std::move(dim));
  }
  t.codes.assign(t.dims.size(), std::vector<uint16_t>(rows));
  t.at_risk.resize(rows);
  t.error.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    for (int d = 0; d < kCategorical; ++d) {
      t.codes[static_cast<size_t>(d)][r] = static_cast<uint16_t>(SplitMix(s) % t.dims[static_cast<size_t>(d)].values.size());
    }
    for (int d = 0; d < kNumeric; ++d) {
      const size_t di = static_cast<size_t>(kCategorical + d);
      t.codes[di][r] = BandOf(t.dims[di].cuts, numeric[static_cast<size_t>(d)][r]);
    }
    const uint64_t kind = SplitMix(s) % 10;  // 0-7 paired, 8 missing, 9 extra
    // The bits of load.cc's targets: paired rows are at risk of all but tag and attribute.
    uint32_t risk = kind < 8 ? 0x3FFFu & ~(1u << 10) & ~(1u << 9) : kind == 8 ? 1u : 6u;
    if (kind < 8 && r % 3 == 0) risk |= 1u << 9;                           // attributes compared
    uint32_t err = 0;
    for (int b = 0; b < 14; ++b) {
      if ((risk >> b & 1u) != 0 && SplitMix(s) % 1000 < 10) err |= 1u << b;
    }
    const bool fault_a = t.codes[0][r] == 1 && t.codes[3][r] == 2 && t.codes[5][r] == 0;  // wrong_class
    const bool fault_b = t.codes[1][r] == 0 && numeric[0][r] >= 60;                       // missing
    if (fault_a && (risk >> 3 & 1u) != 0 && SplitMix(s) % 100 < 40) err |= 1u << 3;
    if (fault_b && (risk & 1u) != 0 && SplitMix(s) % 100 < 30) err |= 1u;
    t.at_risk[r] = risk;
    t.error[r] = err & risk;
  }
  return pf;
}

void BM_RootcauseAnalyze(benchmark::State& state) {
  const std::vector<PipelineFacts> facts = {MakeFacts(static_cast<size_t>(state.range(0)))};
  AnalyzeOptions options;
  options.threads = 2;
  size_t findings = 0;
  // CPU time of every thread of the process during Analyze (the CPU column is the main thread's).
  const auto process_cpu = []() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  double cpu = 0;
  for (auto _ : state) {
    const double start = process_cpu();
    auto report = Analyze(facts, options, nullptr);
    cpu += process_cpu() - start;
    findings = report.ok() ? report->findings.size() : 0;
    benchmark::DoNotOptimize(findings);
  }
  state.counters["process_cpu_s"] = cpu / static_cast<double>(state.iterations());
  // GTOPS_ROOTCAUSE_DUMP=DIR writes the report of each size to DIR/rootcause-N.json, so that two
  // builds' results can be compared exactly (docs/performance.md, "Root cause").
  if (const char* dir = std::getenv("GTOPS_ROOTCAUSE_DUMP")) {
    auto report = Analyze(facts, options, nullptr);
    const std::string path = std::string(dir) + "/rootcause-" + std::to_string(state.range(0)) + ".json";
    if (std::FILE* f = std::fopen(path.c_str(), "w"); f != nullptr && report.ok()) {
      const std::string text = RenderJson(*report) + RenderText(*report);
      std::fwrite(text.data(), 1, text.size(), f);
      std::fclose(f);
    }
  }
  state.counters["findings"] = static_cast<double>(findings);
  state.counters["outcomes_per_s"] =
      benchmark::Counter(static_cast<double>(state.range(0)) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RootcauseAnalyze)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace gtops::rootcause
