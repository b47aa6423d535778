// LineReader over plain, gzip and zstd input: given bytes whose lines we know (we wrote them),
// when they are read back through OpenByteSource / MemoryByteSource, then the same lines come out
// with their 1-based numbers, every line is followed by at least kLinePadding readable bytes, and
// a damaged stream ends with kStreamError and a message that says what is wrong.
#include "io/line_reader.h"

#include "io/compression_test_util.h"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gtops {
namespace {

using testing::Gzip;
using testing::GunzipPrefix;
using testing::UnzstdPrefix;
using testing::Zstd;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TempFolder {
 public:
  TempFolder() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-io-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  std::string Write(const std::string& name, std::string_view bytes) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

 private:
  std::string path_;
};

struct ReadResult {
  std::vector<std::string> lines;     // kLine texts, in order
  std::vector<int64_t> numbers;       // their line numbers
  std::vector<int64_t> too_long;      // numbers of lines reported kTooLong
  bool stream_error = false;
  std::string error_message;
  std::string partial_line;           // the incomplete line handed out with kStreamError
  int64_t partial_number = 0;
};

// Reads to the end, checking the padding contract on every line handed out: `capacity` is at
// least size + kLinePadding, and the last byte of it is readable (ASan checks the read).
ReadResult ReadAll(LineReader& reader) {
  ReadResult r;
  Line line;
  for (;;) {
    const LineReader::Next next = reader.Read(line);
    if (next == LineReader::Next::kEnd) break;
    if (next == LineReader::Next::kTooLong) {
      r.too_long.push_back(line.number);
      continue;
    }
    EXPECT_GE(line.capacity, line.text.size() + kLinePadding) << "line " << line.number;
    if (line.capacity > 0) {
      volatile char last = line.text.data()[line.capacity - 1];
      (void)last;
    }
    if (next == LineReader::Next::kStreamError) {
      r.stream_error = true;
      r.error_message = reader.stream_error().message();
      r.partial_line = std::string(line.text);
      r.partial_number = line.number;
      // After a stream error, reading stops: the next call finds the end.
      EXPECT_EQ(reader.Read(line), LineReader::Next::kEnd);
      break;
    }
    r.lines.emplace_back(line.text);
    r.numbers.push_back(line.number);
  }
  return r;
}

ReadResult ReadMemory(std::string_view bytes, size_t max_line_bytes = 256u << 20) {
  LineReader reader(MemoryByteSource(bytes), max_line_bytes);
  return ReadAll(reader);
}

ReadResult ReadFile(const std::string& path) {
  auto source = OpenByteSource(path);
  EXPECT_TRUE(source.ok()) << source.status().message();
  if (!source.ok()) return {};
  LineReader reader(std::move(*source));
  return ReadAll(reader);
}

// About `bytes` of lines of random hex (compresses about 2:1, so compressed files span several of
// the reader's 1 MiB input chunks); line i is "<i>:<hex>".
std::vector<std::string> RandomLines(size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> lines;
  size_t total = 0;
  static constexpr char kHex[] = "0123456789abcdef";
  while (total < bytes) {
    std::string s = std::to_string(lines.size()) + ":";
    const size_t n = rng() % 300;
    for (size_t i = 0; i < n; ++i) s += kHex[rng() % 16];
    total += s.size() + 1;
    lines.push_back(std::move(s));
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) {
    s += l;
    s += '\n';
  }
  return s;
}

TEST(LineReader, PlainLinesComeOutInOrderWithNumbers) {
  ReadResult r = ReadMemory("{\"a\":1}\n{\"b\":2}\n");
  EXPECT_THAT(r.lines, ElementsAre("{\"a\":1}", "{\"b\":2}"));
  EXPECT_THAT(r.numbers, ElementsAre(1, 2));
  EXPECT_FALSE(r.stream_error);
}

TEST(LineReader, EmptyInputHasNoLines) {
  ReadResult r = ReadMemory("");
  EXPECT_TRUE(r.lines.empty());
  EXPECT_FALSE(r.stream_error);
}

TEST(LineReader, CrlfLineEndingsAreStripped) {
  ReadResult r = ReadMemory("a\r\nb\r\n\r\nc\r");
  EXPECT_THAT(r.lines, ElementsAre("a", "b", "", "c"));
  EXPECT_THAT(r.numbers, ElementsAre(1, 2, 3, 4));
}

TEST(LineReader, OnlyTheFinalCarriageReturnIsStripped) {
  ReadResult r = ReadMemory("a\rb\r\n");
  EXPECT_THAT(r.lines, ElementsAre("a\rb"));
}

TEST(LineReader, BlankLinesAreHandedOutAndCounted) {
  // The reader does not skip blank lines (ingest does): the numbers must match the file's lines.
  ReadResult r = ReadMemory("\n\nx\n  \n\ny\n");
  EXPECT_THAT(r.lines, ElementsAre("", "", "x", "  ", "", "y"));
  EXPECT_THAT(r.numbers, ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(LineReader, LastLineWithoutNewlineIsStillALine) {
  ReadResult r = ReadMemory("first\nlast");
  EXPECT_THAT(r.lines, ElementsAre("first", "last"));
  EXPECT_THAT(r.numbers, ElementsAre(1, 2));
}

TEST(LineReader, SingleLineWithoutNewline) {
  ReadResult r = ReadMemory("{}");
  EXPECT_THAT(r.lines, ElementsAre("{}"));
}

TEST(LineReader, NulBytesStayInsideTheLine) {
  const std::string bytes("a\0b\nc\n", 6);
  ReadResult r = ReadMemory(bytes);
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0], std::string("a\0b", 3));
  EXPECT_EQ(r.lines[1], "c");
}

TEST(LineReader, LineLongerThanTheLimitIsReportedAndSkipped) {
  const std::string bytes = "short\n" + std::string(100, 'x') + "\nafter\n";
  ReadResult r = ReadMemory(bytes, 16);
  EXPECT_THAT(r.lines, ElementsAre("short", "after"));
  EXPECT_THAT(r.numbers, ElementsAre(1, 3));
  EXPECT_THAT(r.too_long, ElementsAre(2));
}

TEST(LineReader, LineOfExactlyTheLimitIsRead) {
  const std::string bytes = std::string(16, 'x') + "\n" + std::string(17, 'y') + "\n";
  ReadResult r = ReadMemory(bytes, 16);
  EXPECT_THAT(r.lines, ElementsAre(std::string(16, 'x')));
  EXPECT_THAT(r.too_long, ElementsAre(2));
}

TEST(LineReader, TooLongLastLineWithoutNewlineIsReported) {
  ReadResult r = ReadMemory("ok\n" + std::string(50, 'z'), 16);
  EXPECT_THAT(r.lines, ElementsAre("ok"));
  EXPECT_THAT(r.too_long, ElementsAre(2));
}

TEST(LineReader, TooLongLineSpanningSeveralBufferFillsIsSkipped) {
  // 3 MiB, beyond the reader's 1 MiB chunk: the skip must survive refills.
  const std::string bytes = "a\n" + std::string(3u << 20, 'q') + "\nb\n";
  ReadResult r = ReadMemory(bytes, 1u << 20);
  EXPECT_THAT(r.lines, ElementsAre("a", "b"));
  EXPECT_THAT(r.numbers, ElementsAre(1, 3));
  EXPECT_THAT(r.too_long, ElementsAre(2));
}

TEST(LineReader, LongLineUnderTheLimitGrowsTheBuffer) {
  const std::string big(5u << 20, 'w');  // 5 MiB, several chunks
  ReadResult r = ReadMemory("a\n" + big + "\nb");
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[1], big);
  EXPECT_EQ(r.lines[2], "b");
}

TEST(LineReader, ManyLinesAcrossChunkBoundariesAreExact) {
  const auto lines = RandomLines(4u << 20, 1);
  ReadResult r = ReadMemory(Join(lines));
  EXPECT_EQ(r.lines, lines);
  ASSERT_FALSE(r.numbers.empty());
  EXPECT_EQ(r.numbers.back(), static_cast<int64_t>(lines.size()));
}

TEST(OpenByteSource, MissingFileIsNotFound) {
  auto s = OpenByteSource("/nonexistent/gtops/none.jsonl");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("/nonexistent/gtops/none.jsonl"));
}

TEST(OpenByteSource, PlainGzipAndZstdFilesReadAlike) {
  TempFolder dir;
  const auto lines = RandomLines(4u << 20, 2);
  const std::string text = Join(lines);
  EXPECT_EQ(ReadFile(dir.Write("a.jsonl", text)).lines, lines);
  const std::string gz = Gzip(text);
  EXPECT_GT(gz.size(), 1u << 20);  // more than one input chunk of compressed bytes
  ReadResult g = ReadFile(dir.Write("a.jsonl.gz", gz));
  EXPECT_FALSE(g.stream_error) << g.error_message;
  EXPECT_EQ(g.lines, lines);
  ReadResult z = ReadFile(dir.Write("a.jsonl.zst", Zstd(text)));
  EXPECT_FALSE(z.stream_error) << z.error_message;
  EXPECT_EQ(z.lines, lines);
}

TEST(OpenByteSource, ConcatenatedGzipMembersAreOneStream) {
  // `cat a.gz b.gz > c.gz` is a valid gzip file holding a's lines then b's.
  TempFolder dir;
  ReadResult r = ReadFile(dir.Write("c.jsonl.gz", Gzip("a1\na2\n") + Gzip("b1\nb2") + Gzip("\nb3\n")));
  EXPECT_FALSE(r.stream_error) << r.error_message;
  EXPECT_THAT(r.lines, ElementsAre("a1", "a2", "b1", "b2", "b3"));
  EXPECT_THAT(r.numbers, ElementsAre(1, 2, 3, 4, 5));
}

TEST(OpenByteSource, ConcatenatedZstdFramesAreOneStream) {
  TempFolder dir;
  ReadResult r = ReadFile(dir.Write("c.jsonl.zst", Zstd("a1\na2\n") + Zstd("b1\n")));
  EXPECT_FALSE(r.stream_error) << r.error_message;
  EXPECT_THAT(r.lines, ElementsAre("a1", "a2", "b1"));
}

TEST(OpenByteSource, CompressedCrlfAndMissingFinalNewline) {
  TempFolder dir;
  EXPECT_THAT(ReadFile(dir.Write("x.jsonl.gz", Gzip("a\r\n\r\nb"))).lines, ElementsAre("a", "", "b"));
  EXPECT_THAT(ReadFile(dir.Write("x.jsonl.zst", Zstd("a\r\n\r\nb"))).lines, ElementsAre("a", "", "b"));
}

TEST(OpenByteSource, EmptyGzipAndZstdStreamsHaveNoLines) {
  TempFolder dir;
  ReadResult g = ReadFile(dir.Write("e.jsonl.gz", Gzip("")));
  EXPECT_FALSE(g.stream_error) << g.error_message;
  EXPECT_TRUE(g.lines.empty());
  ReadResult z = ReadFile(dir.Write("e.jsonl.zst", Zstd("")));
  EXPECT_FALSE(z.stream_error) << z.error_message;
  EXPECT_TRUE(z.lines.empty());
}

// Before its stream error the reader hands out every complete line of what the decoder could
// decode (`decodable`), then the incomplete rest with the error: nothing decodable is dropped.
void ExpectDecodablePartRead(const ReadResult& r, const std::string& decodable) {
  std::vector<std::string> complete;
  size_t start = 0;
  for (size_t nl; (nl = decodable.find('\n', start)) != std::string::npos; start = nl + 1) {
    complete.push_back(decodable.substr(start, nl - start));
  }
  EXPECT_EQ(r.lines.size(), complete.size());
  EXPECT_TRUE(r.lines == complete);
  EXPECT_EQ(r.partial_line, decodable.substr(start));
  EXPECT_EQ(r.partial_number, static_cast<int64_t>(complete.size()) + 1);
}

TEST(OpenByteSource, TruncatedGzipIsAStreamErrorAfterEveryDecodableLine) {
  TempFolder dir;
  const auto lines = RandomLines(200000, 3);
  const std::string gz = Gzip(Join(lines));
  for (size_t cut : {gz.size() / 2, gz.size() - 4, gz.size() - 1, size_t{5}}) {
    SCOPED_TRACE(cut);
    ReadResult r = ReadFile(dir.Write("t.jsonl.gz", gz.substr(0, cut)));
    ASSERT_TRUE(r.stream_error);
    EXPECT_THAT(r.error_message, HasSubstr("t.jsonl.gz"));
    EXPECT_THAT(r.error_message, HasSubstr("gzip stream is truncated"));
    ExpectDecodablePartRead(r, GunzipPrefix(gz.substr(0, cut)));
  }
  // Cut in the 8-byte trailer, every line was decoded.
  ReadResult r = ReadFile(dir.Write("t.jsonl.gz", gz.substr(0, gz.size() - 4)));
  EXPECT_EQ(r.lines, lines);
}

TEST(OpenByteSource, TruncatedZstdIsAStreamErrorAfterEveryDecodableLine) {
  TempFolder dir;
  const auto lines = RandomLines(200000, 4);
  const std::string zst = Zstd(Join(lines));
  for (size_t cut : {zst.size() / 2, zst.size() - 1, size_t{6}}) {
    SCOPED_TRACE(cut);
    ReadResult r = ReadFile(dir.Write("t.jsonl.zst", zst.substr(0, cut)));
    ASSERT_TRUE(r.stream_error);
    EXPECT_THAT(r.error_message, HasSubstr("t.jsonl.zst"));
    EXPECT_THAT(r.error_message, HasSubstr("zstd stream is truncated"));
    ExpectDecodablePartRead(r, UnzstdPrefix(zst.substr(0, cut)));
  }
}

TEST(OpenByteSource, CorruptGzipIsAStreamError) {
  TempFolder dir;
  std::string gz = Gzip(Join(RandomLines(100000, 5)));
  for (size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  ReadResult r = ReadFile(dir.Write("bad.jsonl.gz", gz));
  ASSERT_TRUE(r.stream_error);
  EXPECT_THAT(r.error_message, HasSubstr("bad.jsonl.gz"));
  EXPECT_THAT(r.error_message, HasSubstr("gzip"));
}

TEST(OpenByteSource, NotGzipAtAllIsAStreamError) {
  TempFolder dir;
  ReadResult r = ReadFile(dir.Write("plain.jsonl.gz", "{\"a\":1}\n"));
  ASSERT_TRUE(r.stream_error);
  EXPECT_THAT(r.error_message, HasSubstr("corrupt gzip data"));
  ReadResult z = ReadFile(dir.Write("plain.jsonl.zst", "{\"a\":1}\n"));
  ASSERT_TRUE(z.stream_error);
  EXPECT_THAT(z.error_message, HasSubstr("corrupt zstd data"));
}

TEST(OpenByteSource, GarbageAfterAGzipMemberIsAStreamError) {
  TempFolder dir;
  ReadResult r = ReadFile(dir.Write("g.jsonl.gz", Gzip("a\nb\n") + "not gzip"));
  ASSERT_TRUE(r.stream_error);
  EXPECT_THAT(r.lines, ElementsAre("a", "b"));
}

}  // namespace
}  // namespace gtops
