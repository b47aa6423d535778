#include "io/json_tape.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gtops {

namespace {

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Length of the valid UTF-8 sequence starting at p (a byte >= 0x80), or 0 when it is invalid
// (overlong forms, surrogates and code points above U+10FFFF included), as simdjson decides.
inline size_t Utf8Sequence(const unsigned char* p, const unsigned char* end) {
  const unsigned c = p[0];
  auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return p + i < end && p[i] >= lo && p[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

#if defined(__SSE2__)
// Bit i set where byte i of the 16 at p is '"', '\\', a control character or >= 0x80.
constexpr size_t kStopsWidth = 16, kStopsBitsPerByte = 1;
inline uint64_t Stops(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  const __m128i low_or_high = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));  // signed: >= 0x80 too
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), low_or_high)));
}
#else
// Bit 7 of each byte of the result is set where `w` holds '"', '\\', a control character or a
// byte >= 0x80. Higher bytes may be flagged wrongly after a flagged one (borrows), never below.
inline uint64_t StringStops(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  auto zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
  return below_space | zero(w ^ (kOnes * '"')) | zero(w ^ (kOnes * '\\')) | (w & kHighs);
}

constexpr size_t kStopsWidth = 8, kStopsBitsPerByte = 8;
inline uint64_t Stops(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return StringStops(w);
}
#endif

constexpr uint64_t kPow10Int[] = {1,
                                  10,
                                  100,
                                  1000,
                                  10000,
                                  100000,
                                  1000000,
                                  10000000,
                                  100000000,
                                  1000000000,
                                  10000000000,
                                  100000000000,
                                  1000000000000,
                                  10000000000000,
                                  100000000000000,
                                  1000000000000000};

// The run of ASCII digits at p (at most 8, not past end): its length, and its value in `value`.
// Digits are told apart with nibble arithmetic on 8 bytes at once and converted with three
// multiplications (the digits right-aligned, leading positions zero).
inline size_t DigitRun(const char* p, const char* end, uint64_t& value) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  const uint64_t not_digit = ((w & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL) |
                             (((w & 0x0F0F0F0F0F0F0F0FULL) + 0x0606060606060606ULL) &
                              0x1010101010101010ULL);
  const uint64_t flags =
      (((not_digit & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) | not_digit) &
      0x8080808080808080ULL;
  size_t n = flags == 0 ? 8 : static_cast<size_t>(std::countr_zero(flags)) / 8;
  n = std::min(n, static_cast<size_t>(end - p));
  if (n == 0) {
    value = 0;
    return 0;
  }
  w <<= 8 * (8 - n);
  w = ((w & 0x0F0F0F0F0F0F0F0FULL) * 2561) >> 8;
  w = ((w & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
  value = ((w & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32;
  return n;
}

// The run of digits at p and its value (wrapped past 19 digits: callers refuse such runs).
inline size_t Digits(const char* p, const char* end, uint64_t& value) {
  size_t total = DigitRun(p, end, value);
  while (total % 8 == 0 && total > 0 && total <= 24) {
    uint64_t more;
    const size_t n = DigitRun(p + total, end, more);
    if (n == 0) break;
    value = value * kPow10Int[n] + more;
    total += n;
  }
  return total;
}

constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

}  // namespace

// Every node starts at a different byte of the text, so a line of n bytes needs at most n nodes:
// the buffer is sized once per line and Push does not check it.
inline JsonNode* JsonTape::Push(JsonType type) {
  JsonNode* n = next_++;
  n->type = type;
  n->compact = true;
  n->span = 1;
  n->count = 0;
  n->len = 0;
  return n;
}

bool JsonTape::Parse(std::string_view text) {
  if (text.size() > kMaxText) return false;
  if (capacity_ < text.size() + 1) {
    capacity_ = std::max(text.size() + 1, 2 * capacity_);
    nodes_.reset(new JsonNode[capacity_]);
  }
  next_ = nodes_.get();
  p_ = text.data();
  end_ = p_ + text.size();
  while (p_ < end_ && IsSpace(*p_)) ++p_;
  if (p_ == end_ || *p_ != '{') return false;
  bool compact = true;
  if (!Container(0, compact)) return false;
  while (p_ < end_ && IsSpace(*p_)) ++p_;
  return p_ == end_;
}

inline bool JsonTape::Value(int depth, bool& compact) {
  if (p_ >= end_) return false;
  switch (*p_) {
    case '{':
    case '[': return Container(depth, compact);
    case '"': return String();
    case 't': return Literal("true", JsonType::kBool, true);
    case 'f': return Literal("false", JsonType::kBool, false);
    case 'n': return Literal("null", JsonType::kNull, false);
    default: return Number(compact);
  }
}

inline bool JsonTape::Literal(std::string_view word, JsonType type, bool value) {
  if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) {
    return false;
  }
  Push(type)->b = value;
  p_ += word.size();
  return true;
}

// Containers recurse once per level (at most kMaxDepth). White space anywhere inside one makes it
// (and the containers around it) not compact.
bool JsonTape::Container(int depth, bool& compact) {
  if (depth >= kMaxDepth) return false;
  const bool is_object = *p_ == '{';
  const char close = is_object ? '}' : ']';
  const size_t at = static_cast<size_t>(Push(is_object ? JsonType::kObject : JsonType::kArray) - nodes_.get());
  const char* begin = p_++;
  bool inner_compact = true;
  uint32_t count = 0;
  auto skip_space = [&] {
    if (p_ < end_ && IsSpace(*p_)) {
      inner_compact = false;
      while (p_ < end_ && IsSpace(*p_)) ++p_;
    }
  };
  skip_space();
  if (p_ < end_ && *p_ == close) {
    ++p_;
  } else {
    for (;;) {
      if (is_object) {
        if (p_ >= end_ || *p_ != '"' || !String()) return false;
        skip_space();
        if (p_ >= end_ || *p_ != ':') return false;
        ++p_;
        skip_space();
      }
      if (!Value(depth + 1, inner_compact)) return false;
      ++count;
      skip_space();
      if (p_ >= end_) return false;
      if (*p_ == ',') {
        ++p_;
        skip_space();
        continue;
      }
      if (*p_ != close) return false;
      ++p_;
      break;
    }
  }
  JsonNode& n = nodes_[at];
  n.span = static_cast<uint32_t>(next_ - nodes_.get() - static_cast<ptrdiff_t>(at));
  n.count = count;
  n.s = begin;
  n.len = static_cast<uint32_t>(p_ - begin);
  n.compact = inner_compact;
  compact = compact && inner_compact;
  return true;
}

inline bool JsonTape::String() {
  const char* begin = ++p_;
  for (;;) {
    const uint64_t stops = Stops(p_);  // kPadding bytes are readable after the text
    if (stops == 0) {
      p_ += kStopsWidth;
      if (p_ >= end_) return false;
      continue;
    }
    p_ += std::countr_zero(stops) / kStopsBitsPerByte;
    if (p_ >= end_) return false;
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') break;
    if (c < 0x80) return false;  // an escape (left to the full parser) or a control character
    const size_t n = Utf8Sequence(reinterpret_cast<const unsigned char*>(p_),
                                  reinterpret_cast<const unsigned char*>(end_));
    if (n == 0) return false;
    p_ += n;
  }
  JsonNode* n = Push(JsonType::kString);
  n->s = begin;
  n->len = static_cast<uint32_t>(p_ - begin);
  ++p_;
  return true;
}

// JSON's grammar without the exponent part. Integers: simdjson's int64 (at most 18 digits, so
// no overflow). Decimals of at most 15 digits: m / 10^k with m < 2^53 and k <= 15, one correctly
// rounded division, hence the correctly rounded value simdjson gives too. `compact` is cleared
// when std::to_chars would not write the literal back as it is: "-0", a trailing zero in the
// fraction, or a value it writes in scientific notation (shorter, e.g. 0.0001 as 1e-04).
inline bool JsonTape::Number(bool& compact) {
  const char* begin = p_;
  const bool negative = *p_ == '-';
  if (negative) ++p_;
  const char* digits = p_;
  uint64_t m;
  const size_t int_digits = Digits(p_, end_, m);
  p_ += int_digits;
  if (int_digits == 0 || int_digits > 18 || (*digits == '0' && int_digits > 1)) return false;
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) return false;
  if (p_ >= end_ || *p_ != '.') {
    Push(JsonType::kInt64)->i = negative ? -static_cast<int64_t>(m) : static_cast<int64_t>(m);
    if (negative && m == 0) compact = false;
    return true;
  }
  ++p_;
  const char* frac = p_;
  uint64_t f;
  const size_t frac_digits = Digits(p_, end_, f);
  p_ += frac_digits;
  if (frac_digits == 0 || int_digits + frac_digits > 15) return false;
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) return false;
  m = m * kPow10Int[frac_digits] + f;
  double d = static_cast<double>(m) / kPow10[frac_digits];
  Push(JsonType::kDouble)->d = negative ? -d : d;
  if (p_[-1] == '0' || m == 0) {
    compact = false;
    return true;
  }
  // Significant digits, from the first non-zero one; to_chars prefers fixed notation on a tie.
  size_t leading_zeros = 0;
  if (*digits == '0') {
    while (frac[leading_zeros] == '0') ++leading_zeros;
  }
  const size_t significant = *digits == '0' ? frac_digits - leading_zeros : int_digits + frac_digits;
  const size_t scientific = (negative ? 1 : 0) + significant + (significant > 1 ? 1 : 0) + 4;
  if (static_cast<size_t>(p_ - begin) > scientific) compact = false;
  return true;
}

}  // namespace gtops
