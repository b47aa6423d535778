#include "geometry/rle_poly.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "geometry/rle.h"

namespace gtops::geometry {
namespace {

using Counts = std::vector<uint32_t>;

uint64_t Sum(const Rle& r) {
  uint64_t s = 0;
  for (uint32_t c : r.counts) s += c;
  return s;
}

// Hand computation of pycocotools' rule for the square (0,0)-(2,2) in a 4 x 4 image: on the 5x
// grid the lower edge crosses the column centres x = 0 and 1 at scaled y 10, i.e. row
// ceil(10.5 / 5 - .5) = 2; the upper edge at scaled y 0, row 0. Boundary positions x * 4 + y:
// 0, 2, 4, 6 and the end 16 give runs 0, 2, 2, 2, 10: pixels (col 0, rows 0-1), (col 1, rows 0-1).
TEST(RleFromPolygonTest, IntegerSquareCoversItsPixels) {
  const double xy[] = {0, 0, 0, 2, 2, 2, 2, 0};
  const Rle r = RleFromPolygon(xy, 4, 4);
  EXPECT_EQ(r.h, 4u);
  EXPECT_EQ(r.w, 4u);
  EXPECT_EQ(r.counts, (Counts{0, 2, 2, 2, 10}));
}

// (1,1)-(3,2) in 5 x 5: columns 1 and 2, row 1: positions 6, 7, 11, 12, end 25.
TEST(RleFromPolygonTest, OffsetRectangle) {
  const double xy[] = {1, 1, 1, 2, 3, 2, 3, 1};
  EXPECT_EQ(RleFromPolygon(xy, 5, 5).counts, (Counts{6, 1, 4, 1, 13}));
}

TEST(RleFromPolygonTest, IntegerRectanglesHaveAreaWTimesH) {
  for (int x = 0; x < 5; ++x) {
    for (int w = 1; w < 6; ++w) {
      for (int h = 1; h < 4; ++h) {
        const double y = 2;
        const Rle r = RleFromBox(x, y, w, h, 12, 16);
        EXPECT_EQ(Sum(r), 12u * 16u);
        EXPECT_EQ(RleArea(r), static_cast<uint64_t>(w * h)) << x << " " << w << " " << h;
        const RleBbox b = RleToBbox(r);
        EXPECT_EQ(b.x, x);
        EXPECT_EQ(b.y, y);
        EXPECT_EQ(b.w, w);
        EXPECT_EQ(b.h, h);
      }
    }
  }
}

TEST(RleFromPolygonTest, BoxIsTheSamePolygon) {
  const double xy[] = {1.3, 0.7, 1.3, 4.2, 6.1, 4.2, 6.1, 0.7};
  EXPECT_EQ(RleFromBox(1.3, 0.7, 4.8, 3.5, 8, 9).counts, RleFromPolygon(xy, 8, 9).counts);
}

// A ring closed explicitly (last vertex = first) has a zero-length edge, whose slope is 0/0 in
// pycocotools: the mask is the same as for the open ring.
TEST(RleFromPolygonTest, ExplicitlyClosedRingAndRepeatedVertex) {
  const double open[] = {1, 1, 1, 5, 4, 5, 6, 2};
  const double closed[] = {1, 1, 1, 5, 4, 5, 4, 5, 6, 2, 1, 1};
  EXPECT_EQ(RleFromPolygon(closed, 8, 8).counts, RleFromPolygon(open, 8, 8).counts);
}

TEST(RleFromPolygonTest, ClipsToTheImage) {
  // Covers the whole 3 x 3 image and more.
  const double xy[] = {-5, -5, -5, 10, 10, 10, 10, -5};
  const Rle r = RleFromPolygon(xy, 3, 3);
  EXPECT_EQ(Sum(r), 9u);
  EXPECT_EQ(RleArea(r), 9u);
}

TEST(RleFromPolygonTest, NoPointGivesAnEmptyMask) {
  const Rle r = RleFromPolygon({}, 3, 4);
  EXPECT_EQ(r.counts, (Counts{12}));
}

TEST(RleUnionTest, DisjointAndOverlappingMasks) {
  const Rle a{4, 4, {0, 2, 14}};   // col 0 rows 0-1
  const Rle b{4, 4, {5, 2, 9}};    // col 1 rows 1-2
  const Rle c{4, 4, {1, 2, 13}};   // col 0 rows 1-2
  const Rle ab = RleUnion(std::vector<Rle>{a, b});
  EXPECT_EQ(ab.counts, (Counts{0, 2, 3, 2, 9}));
  const Rle ac = RleUnion(std::vector<Rle>{a, c});
  EXPECT_EQ(ac.counts, (Counts{0, 3, 13}));
  EXPECT_EQ(RleUnion(std::vector<Rle>{a, a}).counts, a.counts);
  EXPECT_EQ(RleUnion(std::vector<Rle>{a}).counts, a.counts);
}

TEST(RleUnionTest, DifferentSizesGiveAnEmptyMask) {
  const Rle a{4, 4, {16}};
  const Rle b{2, 8, {16}};
  const Rle u = RleUnion(std::vector<Rle>{a, b});
  EXPECT_EQ(u.h, 0u);
  EXPECT_EQ(u.w, 0u);
  EXPECT_TRUE(u.counts.empty());
}

TEST(RleFromPolygonsTest, PolygonsAreUnited) {
  const std::vector<std::vector<double>> polys = {{0, 0, 0, 2, 2, 2, 2, 0}, {2, 2, 2, 3, 4, 3, 4, 2}};
  Result<Rle> r = RleFromPolygons(polys, 4, 4);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(RleArea(*r), 4u + 2u);
}

// pycocotools' frPyObjects reads a list whose first entry has 4 numbers as boxes [x, y, w, h].
TEST(RleFromPolygonsTest, FourNumbersAreBoxes) {
  const std::vector<std::vector<double>> boxes = {{0, 0, 2, 2}, {2, 2, 2, 1}};
  Result<Rle> r = RleFromPolygons(boxes, 4, 4);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(RleArea(*r), 4u + 2u);
}

TEST(RleFromPolygonsTest, RejectsWhatPycocotoolsCannotRead) {
  EXPECT_FALSE(RleFromPolygons({}, 4, 4).ok());
  const std::vector<std::vector<double>> short_first = {{1, 2}};
  EXPECT_EQ(RleFromPolygons(short_first, 4, 4).status().code(), StatusCode::kBadInput);
  const std::vector<std::vector<double>> mixed = {{0, 0, 2, 2}, {0, 0, 1, 1, 2, 0}};
  EXPECT_EQ(RleFromPolygons(mixed, 4, 4).status().code(), StatusCode::kBadInput);
}

}  // namespace
}  // namespace gtops::geometry

namespace gtops::geometry {
namespace {

// Found by fuzzing the COCO reader: a vertex a billion pixels away made the rasteriser allocate
// its walk (4 GB) before anything else happened.
TEST(RleFromPolygons, PolygonTooLargeToRasteriseIsBadInputNotAnAllocation) {
  const std::vector<std::vector<double>> far = {{10, 10, 20, 10, 1e9, 20}};
  EXPECT_GT(PolygonGridPoints(far[0]), kMaxPolygonGridPoints);
  auto r = RleFromPolygons(far, 256, 256);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too large to rasterise"), std::string::npos);
  const std::vector<std::vector<double>> box = {{0, 0, 1e12, 5}};
  EXPECT_FALSE(RleFromPolygons(box, 256, 256).ok());
  // An ordinary polygon: 5 x its perimeter, give or take a point per edge.
  const std::vector<double> square = {10, 10, 20, 10, 20, 20, 10, 20};
  EXPECT_EQ(PolygonGridPoints(square), 4u * 51u);
  EXPECT_TRUE(RleFromPolygons(std::vector<std::vector<double>>{square}, 64, 64).ok());
}

}  // namespace
}  // namespace gtops::geometry
