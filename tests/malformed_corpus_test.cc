// The malformed-input corpus: given a file of records (tests/malformed/cases/<name>.jsonl) and its
// expected outcome written by hand from FORMAT.md (<name>.expect: the counts read / accepted /
// quarantined and one `line N: reason fragment` per rejected record), when it is ingested, then
// nothing crashes (the tests run under ASan/UBSan), the counts are the expected ones and balance,
// every rejected record is in the store's quarantine with its line, reason and exact bytes, and
// the accepted ones are stored. Inputs too big or too binary to commit (a 10 MB line, 5000 nested
// arrays, cut-short gzip and zstd files) are generated here. Some cases also go through the real
// binary, for its exit code, its --json summary and the quarantine file it writes.
#include <sys/wait.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "io/compression_test_util.h"
#include "test_util.h"

namespace gtops {
namespace {

using testing::Gzip;
using testing::GunzipPrefix;
using testing::UnzstdPrefix;
using testing::Zstd;

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::TempDir;

const std::string kCorpus = std::string(GTOPS_SOURCE_DIR) + "/tests/malformed";

struct Rejection {
  int64_t line = 0;
  std::string fragment;
};

struct Case {
  std::string name;
  std::string path;  // the .jsonl file
  std::string description;
  int64_t read = -1, accepted = -1, quarantined = -1, rows = -1;
  std::vector<Rejection> rejections;
};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteBytes(const std::string& path, std::string_view bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Case LoadCase(const fs::path& jsonl) {
  Case c;
  c.name = jsonl.stem().string();
  c.path = jsonl.string();
  fs::path expect = jsonl;
  expect.replace_extension(".expect");
  std::ifstream in(expect);
  EXPECT_TRUE(in.good()) << "no " << expect;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      c.description = line.substr(2);
      continue;
    }
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "line") {
      Rejection r;
      char colon = 0;
      ls >> r.line >> colon;
      EXPECT_EQ(colon, ':') << expect << ": " << line;
      std::getline(ls >> std::ws, r.fragment);
      c.rejections.push_back(r);
    } else {
      int64_t v = -1;
      ls >> v;
      if (key == "read") c.read = v;
      else if (key == "accepted") c.accepted = v;
      else if (key == "quarantined") c.quarantined = v;
      else if (key == "rows") c.rows = v;
      else ADD_FAILURE() << expect << ": unknown key " << key;
    }
  }
  if (c.rows < 0) c.rows = c.accepted;
  return c;
}

std::vector<Case> LoadCorpus() {
  std::vector<Case> cases;
  for (const auto& e : fs::directory_iterator(kCorpus + "/cases")) {
    if (e.path().extension() == ".jsonl") cases.push_back(LoadCase(e.path()));
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

// The lines of a file as the format defines them: '\n'-separated, a '\r' before it dropped.
std::vector<std::string> SplitLines(const std::string& bytes) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < bytes.size()) {
    size_t nl = bytes.find('\n', start);
    size_t end = nl == std::string::npos ? bytes.size() : nl;
    std::string l = bytes.substr(start, end - start);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    lines.push_back(std::move(l));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

int64_t Scalar(Store& store, const std::string& sql) {
  auto q = store.QueryReadOnly(sql);
  EXPECT_TRUE(q.ok()) << q.status().message();
  if (!q.ok() || q->rows.empty() || !q->rows[0][0]) return -1;
  return std::stoll(*q->rows[0][0]);
}

int64_t StoredRecords(Store& store) {
  return Scalar(store, "SELECT (SELECT count(*) FROM label_sets) + (SELECT count(*) FROM events) + "
                       "(SELECT count(*) FROM audits)");
}

struct Outcome {
  IngestRunTotals totals;
  std::vector<std::string> messages;
  std::vector<QuarantineRow> quarantine;
  int64_t stored = 0;
};

// Ingests `files` (inside `program_dir`) into a fresh store.
Outcome IngestFiles(const std::string& program_dir, const std::vector<std::string>& files) {
  Outcome out;
  TempDir tmp;
  auto config = LoadConfig(kCorpus);
  EXPECT_TRUE(config.ok()) << config.status().message();
  if (!config.ok()) return out;
  auto store = OpenStore(StoreOptions{tmp / "gtops.db", false});
  EXPECT_TRUE(store.ok()) << store.status().message();
  if (!store.ok()) return out;
  IngestOptions options;
  options.program_dir = program_dir;
  options.paths = files;
  auto report = Ingest(**store, *config, options);
  EXPECT_TRUE(report.ok()) << report.status().message();
  if (!report.ok()) return out;
  out.totals = report->totals;
  out.messages = report->messages;
  EXPECT_TRUE((*store)->ForEachQuarantined([&](const QuarantineRow& r) {
    out.quarantine.push_back(r);
  }).ok());
  std::sort(out.quarantine.begin(), out.quarantine.end(),
            [](const QuarantineRow& a, const QuarantineRow& b) { return a.line < b.line; });
  out.stored = StoredRecords(**store);
  return out;
}

// Counts as expected and balancing; each expected rejection quarantined at its line, with the
// fragment in the reason and the line's exact bytes kept.
void ExpectOutcome(const Case& c, const Outcome& o, const std::vector<std::string>& file_lines) {
  SCOPED_TRACE(c.name + ": " + c.description);
  EXPECT_EQ(o.totals.records_read, c.read);
  EXPECT_EQ(o.totals.accepted, c.accepted);
  EXPECT_EQ(o.totals.quarantined, c.quarantined);
  EXPECT_EQ(o.totals.records_read, o.totals.accepted + o.totals.quarantined);
  EXPECT_EQ(static_cast<int64_t>(c.rejections.size()), c.quarantined) << "the .expect disagrees with itself";
  EXPECT_EQ(o.stored, c.rows);
  ASSERT_EQ(o.quarantine.size(), c.rejections.size());
  ASSERT_EQ(o.messages.size(), c.rejections.size());
  for (size_t i = 0; i < c.rejections.size(); ++i) {
    const Rejection& want = c.rejections[i];
    const QuarantineRow& got = o.quarantine[i];
    EXPECT_EQ(got.line, want.line);
    EXPECT_THAT(got.reason, HasSubstr(want.fragment)) << "line " << want.line;
    EXPECT_THAT(got.file, HasSubstr(fs::path(c.path).filename().string()));
    if (want.line >= 1 && want.line <= static_cast<int64_t>(file_lines.size())) {
      EXPECT_EQ(got.raw, file_lines[static_cast<size_t>(want.line - 1)]) << "line " << want.line;
    }
    // The report's message is "path:line: reason".
    EXPECT_THAT(o.messages[i], HasSubstr(fmt::format(":{}: {}", want.line, got.reason)));
  }
}

class MalformedCorpus : public ::testing::TestWithParam<Case> {};

TEST(MalformedCorpusFiles, HasAtLeastFiftyCases) { EXPECT_GE(LoadCorpus().size(), 50u); }

TEST_P(MalformedCorpus, IngestGivesTheExpectedOutcome) {
  const Case& c = GetParam();
  const Outcome o = IngestFiles(kCorpus, {c.path});
  ExpectOutcome(c, o, SplitLines(ReadBytes(c.path)));
}

INSTANTIATE_TEST_SUITE_P(Cases, MalformedCorpus, ::testing::ValuesIn(LoadCorpus()),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           std::string n = param_info.param.name;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// ---- generated inputs ----------------------------------------------------------------------

std::string GoodLine(int i) {
  return R"({"pipeline":"cam","batch":"b1","task":"t1","frame":"f)" + std::to_string(i) +
         R"(","source":"vendor","vendor":"acme","annotator":"a1","objects":[{"id":"o1",)"
         R"("class":"car","box2d":[10,20,30,40]}]})";
}

Case Generated(std::string name, int64_t read, std::vector<Rejection> rejections,
               int64_t rows = -1) {
  Case c;
  c.name = std::move(name);
  c.read = read;
  c.quarantined = static_cast<int64_t>(rejections.size());
  c.accepted = read - c.quarantined;
  c.rows = rows < 0 ? c.accepted : rows;
  c.rejections = std::move(rejections);
  return c;
}

TEST(MalformedGenerated, FiveThousandNestedArraysAreRefusedWithoutCrashing) {
  TempDir dir;
  const std::string deep = R"({"objects":[],"x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  const std::string bytes = deep + "\n" + GoodLine(1) + "\n" + std::string(5000, '[') + "\n";
  Case c = Generated("deep-nesting", 3, {{1, "nested too deeply"}, {3, "invalid JSON"}});
  c.path = dir / "data/deep.jsonl";
  WriteBytes(c.path, bytes);
  ExpectOutcome(c, IngestFiles(dir.path(), {c.path}), SplitLines(bytes));
}

TEST(MalformedGenerated, TenMegabyteLinesAreReadWhole) {
  TempDir dir;
  // A good record carrying 10 MB in a field gtops ignores, and 10 MB of an unterminated string.
  const std::string big(10u << 20, 'x');
  const std::string good = GoodLine(1).insert(1, R"("padding":")" + big + R"(",)");
  const std::string bad = R"({"pipeline":"cam","task":")" + big;
  const std::string bytes = good + "\n" + bad + "\n" + GoodLine(2) + "\n";
  Case c = Generated("ten-megabyte-lines", 3, {{2, "invalid JSON"}});
  c.path = dir / "data/big.jsonl";
  WriteBytes(c.path, bytes);
  ExpectOutcome(c, IngestFiles(dir.path(), {c.path}), SplitLines(bytes));
}

std::string ManyGoodLines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += GoodLine(i) + "\n";
  return s;
}

void ExpectCutShortStream(const std::string& name, const std::string& compressed,
                          const std::string& decodable, const std::string& message) {
  TempDir dir;
  const std::string path = dir / ("data/" + name);
  WriteBytes(path, compressed);
  const auto complete = static_cast<int64_t>(std::count(decodable.begin(), decodable.end(), '\n'));
  ASSERT_GT(complete, 100);  // the cut is well inside the data
  // Every complete decodable line is accepted; the rest is one quarantined record, at the line
  // after them, whose raw bytes are the incomplete line.
  Case c = Generated(name, complete + 1, {{complete + 1, message}});
  c.path = path;
  const Outcome o = IngestFiles(dir.path(), {path});
  ExpectOutcome(c, o, {});
  ASSERT_EQ(o.quarantine.size(), 1u);
  EXPECT_EQ(o.quarantine[0].raw, decodable.substr(decodable.rfind('\n') + 1));
}

TEST(MalformedGenerated, GzipFileCutShort) {
  const std::string gz = Gzip(ManyGoodLines(3000));
  const std::string cut = gz.substr(0, gz.size() * 6 / 10);
  ExpectCutShortStream("cut.jsonl.gz", cut, GunzipPrefix(cut), "gzip stream is truncated");
}

TEST(MalformedGenerated, ZstdFileCutShort) {
  const std::string zst = Zstd(ManyGoodLines(3000));
  const std::string cut = zst.substr(0, zst.size() * 6 / 10);
  ExpectCutShortStream("cut.jsonl.zst", cut, UnzstdPrefix(cut), "zstd stream is truncated");
}

TEST(MalformedGenerated, CompressedFilesWithBadRecordsReadLikePlainOnes) {
  // The mixed-good-and-bad case, compressed both ways: the same outcome as the plain file.
  const Case plain = LoadCase(kCorpus + "/cases/mixed-good-and-bad.jsonl");
  const std::string bytes = ReadBytes(plain.path);
  TempDir dir;
  for (const auto& [ext, data] : {std::pair{std::string(".jsonl.gz"), Gzip(bytes)},
                                  std::pair{std::string(".jsonl.zst"), Zstd(bytes)}}) {
    Case c = plain;
    c.path = dir / ("data/mixed" + ext);
    WriteBytes(c.path, data);
    ExpectOutcome(c, IngestFiles(dir.path(), {c.path}), SplitLines(bytes));
  }
}

// ---- through the real binary ---------------------------------------------------------------

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

CommandResult RunShell(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A program folder with the corpus's gtops.toml and the given cases under data/.
void MakeProgram(const TempDir& dir, const std::vector<Case>& cases) {
  fs::copy_file(kCorpus + "/gtops.toml", dir / "gtops.toml");
  fs::create_directories(dir / "data");
  for (const Case& c : cases) fs::copy_file(c.path, dir / ("data/" + c.name + ".jsonl"));
}

TEST(MalformedCli, WholeCorpusExitsWithBadInputAndWritesEveryRejection) {
  const std::vector<Case> cases = LoadCorpus();
  TempDir dir;
  MakeProgram(dir, cases);
  int64_t read = 0, accepted = 0, quarantined = 0;
  for (const Case& c : cases) {
    read += c.read;
    accepted += c.accepted;
    quarantined += c.quarantined;
  }
  const CommandResult r = RunShell(fmt::format("{} ingest --program {} --json", GTOPS_BINARY, dir.path()));
  EXPECT_EQ(r.exit_code, 3) << "3 = bad input: records were quarantined";
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["records_read"], read);
  EXPECT_EQ(j["accepted"], accepted);
  EXPECT_EQ(j["quarantined"], quarantined);
  EXPECT_EQ(j["files_read"], static_cast<int64_t>(cases.size()));

  // .gtops/quarantine.jsonl: one JSON line per rejected record, with file, line, reason and the
  // raw line (as raw_hex when it is not UTF-8).
  std::ifstream qf(dir / ".gtops/quarantine.jsonl");
  ASSERT_TRUE(qf.good());
  std::map<std::pair<std::string, int64_t>, nlohmann::json> rows;
  std::string line;
  while (std::getline(qf, line)) {
    auto q = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(q.is_discarded()) << line;
    ASSERT_TRUE(q.contains("file") && q.contains("line") && q.contains("reason"));
    EXPECT_TRUE(q.contains("raw") || q.contains("raw_hex")) << line;
    rows[{q["file"].get<std::string>(), q["line"].get<int64_t>()}] = q;
  }
  EXPECT_EQ(static_cast<int64_t>(rows.size()), quarantined);
  for (const Case& c : cases) {
    const std::vector<std::string> lines = SplitLines(ReadBytes(c.path));
    for (const Rejection& want : c.rejections) {
      SCOPED_TRACE(fmt::format("{}:{}", c.name, want.line));
      auto it = rows.find({"data/" + c.name + ".jsonl", want.line});
      ASSERT_NE(it, rows.end());
      EXPECT_THAT(it->second["reason"].get<std::string>(), HasSubstr(want.fragment));
      if (it->second.contains("raw")) {
        EXPECT_EQ(it->second["raw"].get<std::string>(), lines[static_cast<size_t>(want.line - 1)]);
      }
    }
  }

  // The store agrees (gtops status --json).
  const CommandResult s = RunShell(fmt::format("{} status --program {} --json", GTOPS_BINARY, dir.path()));
  EXPECT_EQ(s.exit_code, 0);
  const auto st = nlohmann::json::parse(s.out, nullptr, false);
  ASSERT_FALSE(st.is_discarded()) << s.out;
  EXPECT_EQ(st["quarantined"], quarantined);
}

TEST(MalformedCli, OnlyGoodCasesExitZero) {
  std::vector<Case> good;
  for (const Case& c : LoadCorpus()) {
    if (c.quarantined == 0) good.push_back(c);
  }
  ASSERT_GE(good.size(), 5u);
  TempDir dir;
  MakeProgram(dir, good);
  int64_t read = 0;
  for (const Case& c : good) read += c.read;
  const CommandResult r = RunShell(fmt::format("{} ingest --program {} --json", GTOPS_BINARY, dir.path()));
  EXPECT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["records_read"], read);
  EXPECT_EQ(j["accepted"], read);
  EXPECT_EQ(j["quarantined"], 0);
}

TEST(MalformedCli, CutShortGzipThroughTheBinary) {
  TempDir dir;
  fs::copy_file(kCorpus + "/gtops.toml", dir / "gtops.toml");
  const std::string gz = Gzip(ManyGoodLines(3000));
  const std::string cut = gz.substr(0, gz.size() / 2);
  WriteBytes(dir / "data/cut.jsonl.gz", cut);
  const std::string decodable = GunzipPrefix(cut);
  const auto complete = static_cast<int64_t>(std::count(decodable.begin(), decodable.end(), '\n'));
  const CommandResult r = RunShell(fmt::format("{} ingest --program {} --json", GTOPS_BINARY, dir.path()));
  EXPECT_EQ(r.exit_code, 3);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["records_read"], complete + 1);
  EXPECT_EQ(j["accepted"], complete);
  EXPECT_EQ(j["quarantined"], 1);
  ASSERT_FALSE(j["messages"].empty());
  EXPECT_THAT(j["messages"][0].get<std::string>(),
              HasSubstr(fmt::format("data/cut.jsonl.gz:{}: ", complete + 1)));
  EXPECT_THAT(j["messages"][0].get<std::string>(), HasSubstr("gzip stream is truncated"));
}

}  // namespace
}  // namespace gtops
