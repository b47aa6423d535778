#include "demo/json_line.h"

#include <cmath>
#include <cstring>
#include <memory>

namespace gtops::demo {
namespace {

constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

char* WriteUnsigned(char* p, uint64_t v) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char tmp[24];
  int n = 24;
  while (v >= 100) {
    const auto k = static_cast<size_t>(v % 100) * 2;
    v /= 100;
    tmp[--n] = kPairs[k + 1];
    tmp[--n] = kPairs[k];
  }
  if (v >= 10) {
    const auto k = static_cast<size_t>(v) * 2;
    tmp[--n] = kPairs[k + 1];
    tmp[--n] = kPairs[k];
  } else {
    tmp[--n] = static_cast<char>('0' + v);
  }
  const int len = 24 - n;
  for (int i = 0; i < len; ++i) p[i] = tmp[n + i];
  return p + len;
}

}  // namespace

char* FormatFixed(char* p, double v, int decimals) {
  // Rounds half away from zero on the scaled value; values here are coordinates and sizes far
  // below 2^53 / 10^6, so the scaled integer is exact.
  const double scaled = v * static_cast<double>(kPow10[decimals]);
  // Half away from zero, without a libm call.
  const double r = static_cast<double>(static_cast<int64_t>(scaled < 0 ? scaled - 0.5 : scaled + 0.5));
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

void JsonLine::Reserve(size_t capacity) {
  auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ != 0) std::memcpy(bigger.get(), buf_.get(), size_);
  buf_ = std::move(bigger);
  capacity_ = capacity;
}

JsonLine& JsonLine::Str(std::string_view s) {
  // Ids, names and RLE strings rarely need escaping: find the first character that does and copy
  // everything before it at once.
  size_t i = 0;
  while (i < s.size()) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20 || u == '"' || u == '\\') break;
    ++i;
  }
  char* p = Grow(s.size() + 2);
  *p++ = '"';
  std::memcpy(p, s.data(), i);
  p += i;
  if (i == s.size()) {
    *p = '"';
    return *this;
  }
  size_ = static_cast<size_t>(p - buf_.get());
  for (; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u == '"' || u == '\\') {
      Char('\\').Char(static_cast<char>(u));
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      Raw("\\u00").Char(kHex[u >> 4]).Char(kHex[u & 15]);
    } else {
      Char(static_cast<char>(u));
    }
  }
  return Char('"');
}

JsonLine& JsonLine::Int(int64_t v) {
  char* start = Grow(24);
  char* p = start;
  if (v < 0) {
    *p++ = '-';
    p = WriteUnsigned(p, static_cast<uint64_t>(-(v + 1)) + 1);
  } else {
    p = WriteUnsigned(p, static_cast<uint64_t>(v));
  }
  size_ -= static_cast<size_t>(24 - (p - start));
  return *this;
}

JsonLine& JsonLine::Fixed(double v, int decimals) {
  char* start = Grow(32);
  char* end = FormatFixed(start, v, decimals);
  size_ -= static_cast<size_t>(32 - (end - start));
  return *this;
}

}  // namespace gtops::demo
