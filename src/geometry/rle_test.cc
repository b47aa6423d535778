#include "geometry/rle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace gtops::geometry {
namespace {

// Dense column-major pixels of an RLE, written independently of the code under test.
std::vector<uint8_t> Dense(const Rle& rle) {
  std::vector<uint8_t> px;
  uint8_t v = 0;
  for (uint32_t c : rle.counts) {
    px.insert(px.end(), c, v);
    v = !v;
  }
  return px;
}

Rle FromDense(uint32_t h, uint32_t w, const std::vector<uint8_t>& px) {
  Rle rle{h, w, {}};
  uint8_t v = 0;
  uint32_t run = 0;
  for (uint8_t p : px) {
    if (p != v) {
      rle.counts.push_back(run);
      run = 0;
      v = p;
    }
    ++run;
  }
  rle.counts.push_back(run);
  return rle;
}

TEST(RleTest, HandEncodedStrings) {
  // [0,0,0,1,1,1,1,0,0,0] -> counts 3 4 3, one character each.
  EXPECT_EQ(EncodeRleCounts(std::vector<uint32_t>{3, 4, 3}), "343");
  // From the fourth count on, the difference from two places before: 2 - 10 = -8 is 11000b
  // with the sign bit set, character '0' + 24 = 'H'.
  EXPECT_EQ(EncodeRleCounts(std::vector<uint32_t>{5, 10, 3, 2}), "5:3H");
  // 100 = 3 * 32 + 4: low group 4 with the continuation bit ('0' + 36 = 'T'), then '3'.
  EXPECT_EQ(EncodeRleCounts(std::vector<uint32_t>{100}), "T3");
  EXPECT_EQ(EncodeRleCounts(std::vector<uint32_t>{}), "");
  EXPECT_EQ(*DecodeRleCounts("5:3H"), (std::vector<uint32_t>{5, 10, 3, 2}));
  EXPECT_EQ(*DecodeRleCounts("T3"), (std::vector<uint32_t>{100}));
  EXPECT_EQ(*DecodeRleCounts("0"), (std::vector<uint32_t>{0}));
}

TEST(RleTest, RoundTripsLargeAndRandomCounts) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint32_t> any;
  std::uniform_int_distribution<uint32_t> small(0, 2000);
  for (int t = 0; t < 500; ++t) {
    std::vector<uint32_t> counts(t % 40);
    for (uint32_t& c : counts) c = t % 2 ? any(rng) : small(rng);
    const Result<std::vector<uint32_t>> back = DecodeRleCounts(EncodeRleCounts(counts));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, counts);
  }
  const std::vector<uint32_t> extremes{0, 4294967295u, 0, 4294967295u, 0, 1};
  EXPECT_EQ(*DecodeRleCounts(EncodeRleCounts(extremes)), extremes);
}

TEST(RleTest, RejectsMalformedStrings) {
  EXPECT_FALSE(DecodeRleCounts("5 3").ok());     // outside '0'..'o'
  EXPECT_FALSE(DecodeRleCounts("5p").ok());
  EXPECT_FALSE(DecodeRleCounts("T").ok());       // ends inside a count
  EXPECT_FALSE(DecodeRleCounts("ooooooo0").ok());  // longer than 7 characters
  // Counts 5, 0, 3, then 0 + (-8): the fourth is negative.
  const Result<std::vector<uint32_t>> r = DecodeRleCounts("503H");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("count 4"), std::string::npos) << r.status().message();
  // The first count on its own may not be negative either.
  EXPECT_FALSE(DecodeRleCounts("H").ok());
}

struct CocoMask {
  Rle rle;
  std::string counts;
};

// The segmentations of pycocotools-written results (RLE strings produced by its encoder).
std::vector<CocoMask> ReadFakeSegmentations() {
  std::ifstream in(std::string(GTOPS_SHARED_DIR) +
                   "/reference/coco-fake100/instances_val2014_fakesegm100_results.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const std::regex re(R"rx("size":\s*\[(\d+),\s*(\d+)\],\s*"counts":\s*"([^"]*)")rx");
  std::vector<CocoMask> masks;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    CocoMask m;
    m.rle.h = static_cast<uint32_t>(std::stoul((*it)[1]));
    m.rle.w = static_cast<uint32_t>(std::stoul((*it)[2]));
    m.counts = (*it)[3];
    // JSON escapes a backslash in the counts alphabet.
    for (size_t p = 0; (p = m.counts.find("\\\\", p)) != std::string::npos; ++p) {
      m.counts.erase(p, 1);
    }
    masks.push_back(std::move(m));
  }
  return masks;
}

TEST(RleTest, PycocotoolsStringsRoundTripAndCoverTheImage) {
  std::vector<CocoMask> masks = ReadFakeSegmentations();
  ASSERT_EQ(masks.size(), 734u);
  for (CocoMask& m : masks) {
    Result<std::vector<uint32_t>> counts = DecodeRleCounts(m.counts);
    ASSERT_TRUE(counts.ok()) << counts.status().message();
    m.rle.counts = *counts;
    EXPECT_TRUE(ValidateRle(m.rle).ok()) << ValidateRle(m.rle).message();
    EXPECT_EQ(EncodeRleCounts(m.rle.counts), m.counts);
  }
}

void ExpectMatchesDense(const Rle& a, const std::vector<uint8_t>& da, const Rle& b,
                        const std::vector<uint8_t>& db, int& overlapping) {
  uint64_t area_a = 0, area_b = 0, inter = 0;
  for (size_t p = 0; p < da.size(); ++p) {
    area_a += da[p];
    area_b += db[p];
    inter += da[p] & db[p];
  }
  ASSERT_EQ(RleArea(a), area_a);
  ASSERT_EQ(RleArea(b), area_b);
  ASSERT_EQ(RleIntersection(a.counts, b.counts), inter);
  const double iou = inter == 0 ? 0.0 : double(inter) / double(area_a + area_b - inter);
  const double crowd = inter == 0 ? 0.0 : double(inter) / double(area_a);
  EXPECT_DOUBLE_EQ(RleIou(a, b), iou);
  EXPECT_DOUBLE_EQ(RleIou(b, a), iou);
  EXPECT_DOUBLE_EQ(RleIou(a, b, true), crowd);
  overlapping += inter > 0;
}

TEST(RleTest, AreaAndIouMatchDensePixels) {
  std::vector<CocoMask> masks = ReadFakeSegmentations();
  ASSERT_GT(masks.size(), 40u);
  masks.resize(40);
  for (CocoMask& m : masks) m.rle.counts = *DecodeRleCounts(m.counts);
  int compared = 0, overlapping = 0;
  std::vector<uint8_t> next = Dense(masks[0].rle);
  for (size_t i = 0; i < masks.size(); ++i) {
    const Rle& a = masks[i].rle;
    const std::vector<uint8_t> da = std::move(next);
    if (i + 1 < masks.size()) next = Dense(masks[i + 1].rle);
    // The next result (often of the same image) ...
    if (i + 1 < masks.size() && masks[i + 1].rle.h == a.h && masks[i + 1].rle.w == a.w) {
      ExpectMatchesDense(a, da, masks[i + 1].rle, next, overlapping);
      ++compared;
    }
    // ... and the mask moved down by 3 rows and right by one column: real run structure with
    // a large overlap.
    for (size_t shift : {size_t{3}, size_t{a.h}}) {
      std::vector<uint8_t> moved(da.size(), 0);
      std::copy(da.begin(), da.end() - static_cast<std::ptrdiff_t>(shift), moved.begin() + static_cast<std::ptrdiff_t>(shift));
      ExpectMatchesDense(a, da, FromDense(a.h, a.w, moved), moved, overlapping);
      ++compared;
    }
  }
  EXPECT_GT(compared, 100);
  EXPECT_GT(overlapping, 80);
}

TEST(RleTest, RandomMasksMatchDensePixels) {
  std::mt19937_64 rng(5);
  for (int t = 0; t < 300; ++t) {
    const uint32_t h = 1 + t % 17, w = 1 + t % 13;
    std::bernoulli_distribution coin(t % 3 == 0 ? 0.1 : 0.6);
    std::vector<uint8_t> pa(h * w), pb(h * w);
    for (auto& p : pa) p = coin(rng);
    for (auto& p : pb) p = coin(rng);
    const Rle a = FromDense(h, w, pa), b = FromDense(h, w, pb);
    uint64_t inter = 0, area_a = 0, area_b = 0;
    for (size_t p = 0; p < pa.size(); ++p) {
      inter += pa[p] & pb[p];
      area_a += pa[p];
      area_b += pb[p];
    }
    EXPECT_EQ(RleArea(a), area_a);
    EXPECT_EQ(RleIntersection(a.counts, b.counts), inter);
    const double iou = inter == 0 ? 0.0 : double(inter) / double(area_a + area_b - inter);
    EXPECT_DOUBLE_EQ(RleIou(a, b), iou);
    EXPECT_EQ(*DecodeRleCounts(EncodeRleCounts(a.counts)), a.counts);
  }
}

TEST(RleTest, IouEdgeCases) {
  // 4 x 4 masks. a: column 0 (pixels 0..3); b: columns 0-1 (pixels 0..7).
  const Rle a{4, 4, {0, 4, 12}}, b{4, 4, {0, 8, 8}};
  EXPECT_DOUBLE_EQ(RleIou(a, b), 0.5);
  EXPECT_DOUBLE_EQ(RleIou(a, a), 1.0);
  // Crowd ground truth b: a lies inside it, so 1; the other way round 4 / 8.
  EXPECT_DOUBLE_EQ(RleIou(a, b, true), 1.0);
  EXPECT_DOUBLE_EQ(RleIou(b, a, true), 0.5);
  // Empty masks.
  const Rle empty{4, 4, {16}};
  EXPECT_EQ(RleIou(empty, empty), 0.0);
  EXPECT_EQ(RleIou(a, empty), 0.0);
  EXPECT_EQ(RleArea(empty), 0u);
  EXPECT_EQ(RleIou(Rle{4, 4, {}}, a), 0.0);
  // Different sizes: -1 when the boxes overlap, 0 otherwise (pycocotools).
  EXPECT_EQ(RleIou(a, Rle{4, 5, {0, 4, 16}}), -1.0);
  EXPECT_EQ(RleIou(a, Rle{4, 5, {12, 4, 4}}), 0.0);
}

TEST(RleTest, BboxFollowsPycocotools) {
  // 4 x 4 mask, pixels 5, 6 (column 1, rows 1-2).
  const RleBbox box = RleToBbox(Rle{4, 4, {5, 2, 9}});
  EXPECT_EQ(box.x, 1);
  EXPECT_EQ(box.y, 1);
  EXPECT_EQ(box.w, 1);
  EXPECT_EQ(box.h, 2);
  // A run from row 3 of column 0 into row 0 of column 1 covers the full height.
  const RleBbox wrap = RleToBbox(Rle{4, 4, {3, 2, 11}});
  EXPECT_EQ(wrap.x, 0);
  EXPECT_EQ(wrap.y, 0);
  EXPECT_EQ(wrap.w, 2);
  EXPECT_EQ(wrap.h, 4);
  const RleBbox none = RleToBbox(Rle{4, 4, {16}});
  EXPECT_EQ(none.w, 0);
}

TEST(RleTest, ValidateChecksTheSum) {
  EXPECT_TRUE(ValidateRle(Rle{2, 3, {1, 2, 3}}).ok());
  const Status s = ValidateRle(Rle{2, 3, {1, 2}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "mask counts sum to 3, not h x w = 6");
}

}  // namespace
}  // namespace gtops::geometry
