#include "core/time.h"

#include <gtest/gtest.h>

namespace gtops {
namespace {

TEST(ParseRfc3339Ms, UtcAndOffsetsDenoteInstants) {
  // 2026-11-01T10:22:31Z = 1793528551 s (date -u -d 2026-11-01T10:22:31Z +%s).
  EXPECT_EQ(ParseRfc3339Ms("2026-11-01T10:22:31Z"), 1793528551000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-01T12:22:31+02:00"), 1793528551000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-01T05:22:31.250-05:00"), 1793528551250);
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00z"), 0);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-29T00:00:00Z"), 1709164800000);
}

TEST(ParseRfc3339Ms, RejectsWhatIsNotRfc3339) {
  for (const char* bad : {"2026-11-01", "2026-11-01T10:22:31", "2026-13-01T00:00:00Z",
                          "2026-02-29T00:00:00Z", "2026-11-01T24:00:00Z", "2026-11-01T10:22:31+2:00",
                          "2026-11-01T10:22:31Zjunk", "yesterday", "", "2026-11-01T10:22:31."}) {
    EXPECT_FALSE(ParseRfc3339Ms(bad).has_value()) << bad;
  }
}

TEST(FormatRfc3339, RoundTrips) {
  EXPECT_EQ(FormatRfc3339(1793528551000), "2026-11-01T10:22:31Z");
  EXPECT_EQ(FormatRfc3339(1793528551250), "2026-11-01T10:22:31.250Z");
  EXPECT_EQ(FormatRfc3339(-1000), "1969-12-31T23:59:59Z");
}

TEST(IsoWeek, FollowsIso8601YearBoundaries) {
  EXPECT_EQ(IsoWeek(*ParseRfc3339Ms("2026-11-01T10:00:00Z")), "2026-W44");  // a Sunday
  EXPECT_EQ(IsoWeek(*ParseRfc3339Ms("2026-11-02T00:00:00Z")), "2026-W45");  // Monday
  EXPECT_EQ(IsoWeek(*ParseRfc3339Ms("2021-01-03T12:00:00Z")), "2020-W53");
  EXPECT_EQ(IsoWeek(*ParseRfc3339Ms("2024-12-30T12:00:00Z")), "2025-W01");
}

}  // namespace
}  // namespace gtops
