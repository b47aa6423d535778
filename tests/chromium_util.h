// Opens an HTML page in headless Chromium (/usr/bin/chromium, installed by scripts/install-deps)
// and reports what a reader's browser would see: script errors, the charts and whether each has
// something drawn, the resources fetched, and a screenshot. Header-only; for the end-to-end tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gtops::testing {

inline constexpr const char* kChromium = "/usr/bin/chromium";

struct ChromiumCheck {
  bool ran = false;          // Chromium ran and the page reported its check
  int errors = 0;            // window 'error' events (scripts and resources) and console.error calls
  int charts = 0;            // svg.chart elements
  int empty_charts = 0;      // of which: no child element, or a bounding box of width or height 0
  std::string error_text;    // the errors, one a line
  bool png_ok = false;       // the screenshot is a PNG of the window's size and at least min_png_bytes
  int resources = 0;         // elements that load something (src, link href, ...) plus resources
                             // fetched (performance entries, which file:// loads do not make)
  std::string detail;        // why ran or png_ok is false
};

namespace chromium_detail {

// Records errors from the first moment of the page: window 'error' events in the capture phase
// (so that failed images and stylesheets count as well as script errors) and console.error.
inline constexpr std::string_view kHeadScript =
    "<script>(function(){var e=[];window.__gtopsErrors=e;"
    "window.addEventListener('error',function(ev){e.push('error: '+(ev.message||(ev.target&&ev.target.outerHTML)"
    "||'unknown'));},true);"
    "var o=console.error;console.error=function(){e.push('console.error: '+Array.prototype.map.call(arguments,"
    "String).join(' '));return o.apply(console,arguments);};})();</script>";

// Counts the charts, the empty ones and the elements that load a resource into body[data-check],
// once when the parser reaches it (layout is synchronous) and again on load (--dump-dom waits for
// it: document.readyState is "complete" in the dump).
inline constexpr std::string_view kBodyScript =
    "<script>(function(){function check(){var c=document.querySelectorAll('svg.chart'),empty=0;"
    "for(var i=0;i<c.length;i++){var s=c[i],b=null;try{b=s.getBBox();}catch(x){}"
    "if(!b||b.width===0||b.height===0||s.childElementCount===0)empty++;}"
    "var err=window.__gtopsErrors||['the head script did not run'];"
    "document.body.setAttribute('data-check',JSON.stringify({charts:c.length,empty:empty,errors:err.length,"
    "error_text:err.join('\\n'),resources:performance.getEntriesByType('resource').length+"
    "document.querySelectorAll('[src],[srcset],link[href],object[data],embed,image,feImage').length}));}"
    "check();window.addEventListener('load',check);})();</script>";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string Flags(const std::string& profile) {
  return std::string(kChromium) +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --user-data-dir=" +
         Quote(profile);
}

// The attribute value as the DOM serialiser wrote it, its character references decoded.
inline std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const size_t semi = s.find(';', i);
    const std::string_view ref = s.substr(i, semi == std::string_view::npos ? 1 : semi - i + 1);
    if (ref == "&quot;") out += '"';
    else if (ref == "&amp;") out += '&';
    else if (ref == "&lt;") out += '<';
    else if (ref == "&gt;") out += '>';
    else if (ref == "&nbsp;") out += "\xC2\xA0";
    else { out += '&'; continue; }
    i += ref.size() - 1;
  }
  return out;
}

inline uint32_t BigEndian32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

}  // namespace chromium_detail

// Checks the page at `html_path` in headless Chromium, working in `work_dir` (an existing empty
// folder: the instrumented copy, two fresh profiles, the screenshot and Chromium's logs go there).
// (1) A copy of the page with kHeadScript at the start of <head> and kBodyScript at the end of
// <body> is loaded with --dump-dom and its body[data-check] read; (2) the original page is
// screenshotted at 1400 x 4000. Each Chromium run is limited to 60 s.
inline ChromiumCheck CheckInChromium(const std::string& html_path, const std::string& work_dir,
                                     int64_t min_png_bytes = 60 * 1024) {
  namespace fs = std::filesystem;
  using namespace chromium_detail;
  ChromiumCheck result;
  if (!fs::exists(kChromium)) {
    result.detail = std::string(kChromium) + " is missing: run scripts/install-deps";
    return result;
  }

  std::string page = ReadFile(html_path);
  size_t head = page.find("<head>");
  if (head == std::string::npos) head = page.find("<head ");
  page.insert(head == std::string::npos ? 0 : page.find('>', head) + 1, kHeadScript);
  const size_t body_end = page.rfind("</body>");
  page.insert(body_end == std::string::npos ? page.size() : body_end, kBodyScript);
  const std::string checked = (fs::path(work_dir) / "checked.html").string();
  std::ofstream(checked, std::ios::binary) << page;

  int status = 0;
  const std::string dom = RunCommand("timeout 60 " + Flags((fs::path(work_dir) / "profile-dom").string()) +
                                      " --dump-dom " + Quote("file://" + fs::absolute(checked).string()) + " 2>" +
                                      Quote((fs::path(work_dir) / "chromium-dom.log").string()),
                                  status);
  const std::string_view key = " data-check=\"";
  const size_t at = dom.find(key);
  if (at == std::string::npos) {
    result.detail = "no data-check attribute in the dumped DOM (exit status " + std::to_string(status) +
                    "); Chromium's log: " + ReadFile((fs::path(work_dir) / "chromium-dom.log").string());
  } else {
    const size_t from = at + key.size();
    const nlohmann::json j =
        nlohmann::json::parse(Unescape(std::string_view(dom).substr(from, dom.find('"', from) - from)), nullptr, false);
    if (j.is_object()) {
      result.ran = true;
      result.charts = j.value("charts", -1);
      result.empty_charts = j.value("empty", -1);
      result.errors = j.value("errors", -1);
      result.error_text = j.value("error_text", "");
      result.resources = j.value("resources", -1);
    } else {
      result.detail = "data-check is not JSON";
    }
  }

  const std::string png = (fs::path(work_dir) / "screenshot.png").string();
  RunCommand("timeout 60 " + Flags((fs::path(work_dir) / "profile-shot").string()) + " --screenshot=" + Quote(png) +
              " --window-size=1400,4000 " + Quote("file://" + fs::absolute(html_path).string()) + " >" +
              Quote((fs::path(work_dir) / "chromium-shot.log").string()) + " 2>&1",
          status);
  const std::string bytes = fs::exists(png) ? ReadFile(png) : std::string();
  const bool is_png = bytes.size() > 24 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
  result.png_ok = is_png && BigEndian32(bytes, 16) == 1400 && BigEndian32(bytes, 20) == 4000 &&
                  static_cast<int64_t>(bytes.size()) >= min_png_bytes;
  if (!result.png_ok) {
    result.detail += " screenshot: " + std::to_string(bytes.size()) + " bytes" + (is_png ? "" : ", not a PNG") +
                     " (at least " + std::to_string(min_png_bytes) + " wanted)";
  }
  return result;
}

}  // namespace gtops::testing
