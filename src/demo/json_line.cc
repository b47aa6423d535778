#include "demo/json_line.h"

#include <cmath>

namespace gtops::demo {
namespace {

constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

char* WriteUnsigned(char* p, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *p++ = tmp[--n];
  return p;
}

}  // namespace

char* FormatFixed(char* p, double v, int decimals) {
  // Rounds half away from zero on the scaled value; values here are coordinates and sizes far
  // below 2^53 / 10^6, so the scaled integer is exact.
  const double scaled = v * static_cast<double>(kPow10[decimals]);
  const double r = std::round(scaled);
  if (r == 0) {
    *p++ = '0';
    return p;
  }
  uint64_t q;
  if (r < 0) {
    *p++ = '-';
    q = static_cast<uint64_t>(-r);
  } else {
    q = static_cast<uint64_t>(r);
  }
  const uint64_t int_part = q / kPow10[decimals];
  uint64_t frac = q % kPow10[decimals];
  p = WriteUnsigned(p, int_part);
  if (frac != 0) {
    int digits = decimals;
    while (frac % 10 == 0) {
      frac /= 10;
      --digits;
    }
    *p++ = '.';
    for (int i = digits - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    p += digits;
  }
  return p;
}

JsonLine& JsonLine::Str(std::string_view s) {
  buf_.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      buf_.push_back('\\');
      buf_.push_back(c);
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      buf_.append("\\u00");
      buf_.push_back(kHex[u >> 4]);
      buf_.push_back(kHex[u & 15]);
    } else {
      buf_.push_back(c);
    }
  }
  buf_.push_back('"');
  return *this;
}

JsonLine& JsonLine::Key(std::string_view key) {
  if (!buf_.empty() && buf_.back() != '{' && buf_.back() != ',') buf_.push_back(',');
  buf_.push_back('"');
  buf_.append(key);
  buf_.append("\":");
  return *this;
}

JsonLine& JsonLine::Int(int64_t v) {
  char tmp[24];
  char* p = tmp;
  if (v < 0) {
    *p++ = '-';
    p = WriteUnsigned(p, static_cast<uint64_t>(-(v + 1)) + 1);
  } else {
    p = WriteUnsigned(p, static_cast<uint64_t>(v));
  }
  buf_.append(tmp, static_cast<size_t>(p - tmp));
  return *this;
}

JsonLine& JsonLine::Fixed(double v, int decimals) {
  char tmp[32];
  char* end = FormatFixed(tmp, v, decimals);
  buf_.append(tmp, static_cast<size_t>(end - tmp));
  return *this;
}

}  // namespace gtops::demo
