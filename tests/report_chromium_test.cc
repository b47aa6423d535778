// The HTML report in a real browser: headless Chromium opens the report of the hand-built run
// (src/report/test_fixture.h) from a file, with no script error, no resource fetched, every chart
// drawn, and a screenshot with content.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "chromium_util.h"
#include "report/render.h"
#include "report/test_fixture.h"
#include "test_util.h"

namespace gtops {
namespace {

using testing::CheckInChromium;
using testing::TempDir;

TEST(ReportChromiumTest, SampleReportOpensWithoutErrorsAndDrawsEveryChart) {
  ASSERT_TRUE(std::filesystem::exists(testing::kChromium))
      << testing::kChromium << " is missing: Chromium is a declared dependency; run scripts/install-deps";
  TempDir dir;
  const std::string html = dir / "index.html";
  std::ofstream(html, std::ios::binary) << report::RenderHtml(report::SampleRunResult());
  std::filesystem::create_directory(dir / "chromium");

  const testing::ChromiumCheck check = CheckInChromium(html, dir / "chromium");

  ASSERT_TRUE(check.ran) << check.detail;
  EXPECT_EQ(check.errors, 0) << check.error_text;
  EXPECT_EQ(check.resources, 0);
  EXPECT_EQ(check.charts, static_cast<int>(1 + report::kSampleTrends + report::kSampleComparisons));
  EXPECT_EQ(check.empty_charts, 0);
  EXPECT_TRUE(check.png_ok) << check.detail;
}

// The check itself must be able to fail: a page with a script error, a chart with nothing in it
// and an image it cannot load.
TEST(ReportChromiumTest, TheCheckSeesErrorsAndEmptyCharts) {
  ASSERT_TRUE(std::filesystem::exists(testing::kChromium))
      << testing::kChromium << " is missing: Chromium is a declared dependency; run scripts/install-deps";
  TempDir dir;
  const std::string html = dir / "bad.html";
  std::ofstream(html) << "<!DOCTYPE html><html><head><title>bad</title></head><body>"
                         "<svg class=\"chart\" width=\"100\" height=\"100\"></svg>"
                         "<svg class=\"chart\" width=\"100\" height=\"100\"><rect width=\"50\" height=\"20\"/></svg>"
                         "<img src=\"missing.png\"><script>console.error('boom'); undefinedFunction();</script>"
                         "</body></html>";
  std::filesystem::create_directory(dir / "chromium");

  const testing::ChromiumCheck check = CheckInChromium(html, dir / "chromium");

  ASSERT_TRUE(check.ran) << check.detail;
  EXPECT_EQ(check.charts, 2);
  EXPECT_EQ(check.empty_charts, 1);
  EXPECT_GE(check.errors, 2) << check.error_text;
  EXPECT_NE(check.error_text.find("boom"), std::string::npos) << check.error_text;
  EXPECT_NE(check.error_text.find("undefinedFunction"), std::string::npos) << check.error_text;
  EXPECT_NE(check.error_text.find("missing.png"), std::string::npos) << check.error_text;
  EXPECT_EQ(check.resources, 1);  // the image
  EXPECT_FALSE(check.png_ok);  // a nearly blank page
}

}  // namespace
}  // namespace gtops
