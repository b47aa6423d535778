// Parse-and-validate throughput of the record parser, on one core, from memory: the lines of a
// program written by the demo generator (world-small's mix). Whole-process ingest figures come
// from bench/run-benchmarks.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "demo/generator.h"
#include "ingest/ingest.h"
#include "io/line_reader.h"
#include "io/record_parser.h"

namespace gtops {
namespace {

namespace fs = std::filesystem;

// The lines of the demo program's files, with padding after each (as the line reader gives them).
struct Corpus {
  ProgramConfig config;
  std::vector<std::string> lines;  // each padded with kLinePadding spaces
  int64_t objects = 0;
  int64_t bytes = 0;
};

Corpus& Load(bool labels_only) {
  static Corpus all, labels;
  static bool done = false;
  if (!done) {
    done = true;
    std::string dir = (fs::temp_directory_path() / "gtops-bench-ingest").string();
    DemoOptions o;
    o.scenes = 300;
    if (!fs::exists(dir + "/gtops.toml")) {
      auto w = WriteDemoProgram(o, dir);
      if (!w.ok()) std::abort();
    }
    auto c = LoadConfig(dir);
    if (!c.ok()) std::abort();
    all.config = labels.config = *c;
    IngestOptions io;
    io.program_dir = dir;
    auto files = ListInputFiles(*c, io);
    if (!files.ok()) std::abort();
    RecordParser parser(*c);
    ParsedRecord rec;
    for (const std::string& f : *files) {
      std::ifstream in(f);
      std::string line;
      const bool is_labels = f.find("/labels-") != std::string::npos ||
                             f.find("/gold-") != std::string::npos ||
                             f.find("/model-") != std::string::npos;
      while (std::getline(in, line)) {
        if (!parser.Parse(line, line.size(), rec).ok()) std::abort();
        const int64_t n = rec.kind == RecordKind::kLabels ? static_cast<int64_t>(rec.labels.objects.size()) : 0;
        std::string padded = line + std::string(kLinePadding, ' ');
        all.objects += n;
        all.bytes += static_cast<int64_t>(line.size());
        all.lines.push_back(padded);
        if (is_labels) {
          labels.objects += n;
          labels.bytes += static_cast<int64_t>(line.size());
          labels.lines.push_back(std::move(padded));
        }
      }
    }
  }
  return labels_only ? labels : all;
}

void Run(benchmark::State& state, bool labels_only, bool fast_path = true) {
  Corpus& c = Load(labels_only);
  RecordParser parser(c.config);
  parser.SetFastPath(fast_path);
  ParsedRecord rec;
  for (auto _ : state) {
    for (const std::string& l : c.lines) {
      Status s = parser.Parse(std::string_view(l.data(), l.size() - kLinePadding), l.size(), rec);
      benchmark::DoNotOptimize(s);
    }
  }
  state.SetItemsProcessed(state.iterations() * c.objects);
  state.SetBytesProcessed(state.iterations() * c.bytes);
  state.counters["records"] = static_cast<double>(c.lines.size());
  state.counters["objects"] = static_cast<double>(c.objects);  // per pass over the lines
}

// Objects per second over the label files (vendor, gold, model records).
void BM_ParseValidate_LabelRecords(benchmark::State& state) { Run(state, true); }
// Objects per second over every file of the program, events and audits included.
void BM_ParseValidate_WholeProgram(benchmark::State& state) { Run(state, false); }

// The same with every line through simdjson's DOM (the parser's slow path), for comparison.
void BM_ParseValidate_WholeProgram_DomPath(benchmark::State& state) { Run(state, false, false); }

BENCHMARK(BM_ParseValidate_LabelRecords)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseValidate_WholeProgram)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseValidate_WholeProgram_DomPath)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gtops
