// The content hash is stored with every record: its values must never change. Golden values of
// the definition (FNV-1a over 8-byte words, then splitmix64's avalanche), and the tape's hash,
// computed while parsing, equal to HashBytes on lines of every length.
#include "io/line_hash.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "io/json_tape.h"
#include "io/record_parser.h"

namespace gtops {
namespace {

TEST(LineHash, GoldenValues) {
  EXPECT_EQ(HashBytes(""), 0xf52a15e9a9b5e89bULL);
  EXPECT_EQ(HashBytes("a"), 0x270aeb36a95726cfULL);
  EXPECT_EQ(HashBytes(R"({"pipeline":"lidar_urban","objects":[]})"), 0x542b0e448735b211ULL);
  EXPECT_EQ(HashBytes(R"({"task":"t1","event":"created","at":"2026-03-02T02:54:20.001Z"})"),
            0x6bd960db5ad74bc6ULL);
}

TEST(LineHash, StepsAnywhereGiveTheSameHash) {
  std::mt19937_64 rng(5);
  for (size_t n = 0; n < 200; ++n) {
    std::string s(n, ' ');
    for (char& c : s) c = static_cast<char>(rng());
    for (size_t steps = 0; steps < 30; steps += 7) {
      LineHash h(s);
      for (size_t k = 0; k < steps; ++k) h.Step();
      EXPECT_EQ(h.Finish(), HashBytes(s)) << n << " " << steps;
    }
  }
}

TEST(LineHash, TapeHashesWhatItParses) {
  std::mt19937_64 rng(9);
  JsonTape tape;
  for (int i = 0; i < 2000; ++i) {
    std::string line = "{\"objects\":[";
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      if (k > 0) line += ',';
      line += "{\"id\":\"o" + std::to_string(rng() % 100000) + "\",\"box2d\":[" +
              std::to_string(rng() % 2000) + ".5,1,2," + std::to_string(rng() % 9 + 1) + "]}";
    }
    line += rng() % 2 == 0 ? "]}" : "] } ";
    const std::string padded = line + std::string(JsonTape::kPadding, ' ');
    uint64_t hash = 0;
    ASSERT_TRUE(tape.Parse(std::string_view(padded.data(), line.size()), &hash)) << line;
    EXPECT_EQ(hash, HashBytes(line)) << line;
  }
}

}  // namespace
}  // namespace gtops
