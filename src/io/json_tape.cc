#include "io/json_tape.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "io/line_hash.h"

#if defined(__SSE4_1__)
#include <smmintrin.h>
#elif defined(__SSE2__)
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

#if defined(__SSE4_1__)
// The literal of `len` bytes at p (len < 16, 16 bytes readable): digits with one '.' at byte
// `dot`, or none when dot == len. Returns the value of its digits read as one integer (the '.'
// left out). The digits are shuffled to the right end of a vector, the gap of the '.' closed, and
// combined in pairs, fours and eights by multiply-adds.
inline uint64_t DigitsValue(const char* p, size_t len, size_t dot) {
  const __m128i v = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_set1_epi8('0'));
  const size_t n = len - (dot < len ? 1 : 0);  // digits
  // Byte j of the result is digit i = j - (16 - n): byte i of the literal before the '.', byte
  // i + 1 after it; none (a negative index, which the shuffle reads as 0) left of the first.
  const __m128i i = _mm_sub_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                 _mm_set1_epi8(static_cast<char>(16 - n)));
  const __m128i after_dot = _mm_cmpgt_epi8(i, _mm_set1_epi8(static_cast<char>(static_cast<int>(dot) - 1)));
  const __m128i d = _mm_shuffle_epi8(v, _mm_sub_epi8(i, after_dot));
  const __m128i pairs = _mm_maddubs_epi16(d, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
  const __m128i fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
  const __m128i eights = _mm_madd_epi16(_mm_packus_epi32(fours, fours),
                                        _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
  const auto high = static_cast<uint32_t>(_mm_cvtsi128_si32(eights));
  const auto low = static_cast<uint32_t>(_mm_extract_epi32(eights, 1));
  return uint64_t{high} * 100000000 + low;
}
#endif

inline bool IsClose(char c, bool is_object) { return c == (is_object ? '}' : ']'); }

// Every node starts at a different byte of the text, so a line of n bytes needs at most n nodes:
// the buffer is sized once per line and Push does not check it.
inline JsonNode* Push(JsonNode*& next, JsonType type) {
  JsonNode* n = next++;
  n->type = type;
  n->compact = true;
  n->span = 1;
  n->count = 0;
  n->len = 0;
  return n;
}

// The string whose opening quote is at p: its node, and p past the closing quote.
inline bool String(const char*& p, const char* end, JsonNode*& next) {
  const char* const begin = ++p;
  for (;;) {
    const uint64_t stops = Stops(p);  // kPadding bytes are readable after the text
    if (stops == 0) {
      p += kStopsWidth;
      if (p >= end) return false;
      continue;
    }
    p += std::countr_zero(stops) / kStopsBitsPerByte;
    if (p >= end) return false;
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') break;
    if (c < 0x80) return false;  // an escape (left to the full parser) or a control character
    const size_t n = Utf8Sequence(reinterpret_cast<const unsigned char*>(p),
                                  reinterpret_cast<const unsigned char*>(end));
    if (n == 0) return false;
    p += n;
  }
  JsonNode* n = Push(next, JsonType::kString);
  n->s = begin;
  n->len = static_cast<uint32_t>(p - begin);
  ++p;
  return true;
}

inline bool Literal(const char*& p, const char* end, JsonNode*& next, std::string_view word,
                    JsonType type, bool value) {
  if (static_cast<size_t>(end - p) < word.size() || std::memcmp(p, word.data(), word.size()) != 0) {
    return false;
  }
  Push(next, type)->b = value;
  p += word.size();
  return true;
}

// Whether std::to_chars writes the double of a decimal literal back as it is (see Number): no
// trailing zero in the fraction, not zero, and not shorter in scientific notation.
inline bool CompactDecimal(const char* begin, const char* digits, const char* frac, const char* end_,
                           size_t int_digits, size_t frac_digits, bool negative, uint64_t m) {
  if (end_[-1] == '0' || m == 0) return false;
  // Significant digits, from the first non-zero one; to_chars prefers fixed notation on a tie.
  size_t leading_zeros = 0;
  if (*digits == '0') {
    while (frac[leading_zeros] == '0') ++leading_zeros;
  }
  const size_t significant = *digits == '0' ? frac_digits - leading_zeros : int_digits + frac_digits;
  const size_t scientific = (negative ? 1 : 0) + significant + (significant > 1 ? 1 : 0) + 4;
  return static_cast<size_t>(end_ - begin) <= scientific;
}

// JSON's grammar without the exponent part. Integers: simdjson's int64 (at most 18 digits, so
// no overflow). Decimals of at most 15 digits: m / 10^k with m < 2^53 and k <= 15, one correctly
// rounded division, hence the correctly rounded value simdjson gives too. `compact` is cleared
// when std::to_chars would not write the literal back as it is: "-0", a trailing zero in the
// fraction, or a value it writes in scientific notation (shorter, e.g. 0.0001 as 1e-04).
inline bool Number(const char*& p, const char* end, JsonNode*& next, bool& compact) {
  const char* const begin = p;
  const bool negative = *begin == '-';
  const char* const digits = begin + (negative ? 1 : 0);
#if defined(__SSE4_1__)
  // Literals shorter than 16 bytes: one mask finds the end and the '.', so that p moves on
  // before the digits' value is known, and DigitsValue reads them all at once.
  {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(digits));
    const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
    const __m128i dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
    const auto dots_all = static_cast<uint32_t>(_mm_movemask_epi8(dot));
    const auto run_mask = static_cast<uint32_t>(_mm_movemask_epi8(digit)) | dots_all;
    const auto len = static_cast<size_t>(std::countr_zero(~run_mask));
    if (len < 16 && digits + len < end) {
      const uint32_t dots = dots_all & ((1u << len) - 1);
      const size_t dot_at = dots == 0 ? len : static_cast<size_t>(std::countr_zero(dots));
      const char* const token_end = digits + len;
      // Refused: no digits, two '.', a '.' first or last, a leading zero, an exponent.
      if (len == 0 || (dots & (dots - 1)) != 0 || dot_at == 0 || dot_at + 1 == len ||
          (*digits == '0' && dot_at > 1) || *token_end == 'e' || *token_end == 'E') {
        return false;
      }
      const uint64_t m = DigitsValue(digits, len, dot_at);
      p = token_end;
      if (dot_at == len) {
        Push(next, JsonType::kInt64)->i = negative ? -static_cast<int64_t>(m) : static_cast<int64_t>(m);
        if (negative && m == 0) compact = false;
        return true;
      }
      const size_t frac_digits = len - dot_at - 1;
      const double value = static_cast<double>(m) / kPow10[frac_digits];
      Push(next, JsonType::kDouble)->d = negative ? -value : value;
      if (!CompactDecimal(begin, digits, digits + dot_at + 1, token_end, dot_at, frac_digits,
                          negative, m)) {
        compact = false;
      }
      return true;
    }
  }
#endif
  const char* q = digits;
  uint64_t m;
  const size_t int_digits = Digits(q, end, m);
  q += int_digits;
  if (int_digits == 0 || int_digits > 18 || (*digits == '0' && int_digits > 1)) return false;
  if (q < end && (*q == 'e' || *q == 'E')) return false;
  if (q >= end || *q != '.') {
    Push(next, JsonType::kInt64)->i = negative ? -static_cast<int64_t>(m) : static_cast<int64_t>(m);
    if (negative && m == 0) compact = false;
    p = q;
    return true;
  }
  ++q;
  const char* const frac = q;
  uint64_t f;
  const size_t frac_digits = Digits(q, end, f);
  q += frac_digits;
  if (frac_digits == 0 || int_digits + frac_digits > 15) return false;
  if (q < end && (*q == 'e' || *q == 'E')) return false;
  p = q;
  m = m * kPow10Int[frac_digits] + f;
  const double d = static_cast<double>(m) / kPow10[frac_digits];
  Push(next, JsonType::kDouble)->d = negative ? -d : d;
  if (!CompactDecimal(begin, digits, frac, q, int_digits, frac_digits, negative, m)) compact = false;
  return true;
}

// Skips white space at p; a container with any inside it is not compact.
inline void SkipSpace(const char*& p, const char* end, bool& compact) {
  if (p < end && IsSpace(*p)) {
    compact = false;
    while (p < end && IsSpace(*p)) ++p;
  }
}

}  // namespace

// One loop over the text with the position and the tape's end in registers (no recursion):
// containers are kept on a stack of at most kMaxDepth open ones.
bool JsonTape::Parse(std::string_view text) {
  uint64_t hash;
  return Parse(text, &hash);
}

// The hash takes one word per value read (about one per 7 bytes of a line): its multiply chain
// overlaps the parse's, and it is done before the parse is.
bool JsonTape::Parse(std::string_view text, uint64_t* content_hash) {
  if (text.size() > kMaxText) return false;
  LineHash hash(text);
  if (capacity_ < text.size() + 1) {
    capacity_ = std::max(text.size() + 1, 2 * capacity_);
    nodes_.reset(new JsonNode[capacity_]);
  }
  const char* p = text.data();
  const char* const end = p + text.size();
  JsonNode* next = nodes_.get();
  while (p < end && IsSpace(*p)) ++p;
  if (p == end || *p != '{') return false;

  struct Open {
    JsonNode* node;
    uint32_t count;
    bool compact;  // no white space inside, and every value inside compact
    bool is_object;
  };
  Open stack[kMaxDepth];
  int depth = 0;
  Open* top = nullptr;

  for (;;) {
    // p is at the '{' or '[' of a container to open.
    if (depth == kMaxDepth) return false;
    {
      const bool is_object = *p == '{';
      JsonNode* n = Push(next, is_object ? JsonType::kObject : JsonType::kArray);
      n->s = p;
      top = &stack[depth++];
      *top = Open{n, 0, true, is_object};
    }
    ++p;
    SkipSpace(p, end, top->compact);
    bool closed = p < end && IsClose(*p, top->is_object);
    if (closed) ++p;
    for (;;) {
      if (closed) {
        // The container ends at p: complete its node, and go on in the one around it.
        JsonNode* n = top->node;
        n->span = static_cast<uint32_t>(next - n);
        n->count = top->count;
        n->len = static_cast<uint32_t>(p - n->s);
        n->compact = top->compact;
        if (--depth == 0) {
          while (p < end && IsSpace(*p)) ++p;
          if (p != end) return false;
          *content_hash = hash.Finish();
          return true;
        }
        top = &stack[depth - 1];
        top->compact = top->compact && n->compact;
      } else {
        // A member: key and colon in objects, then the value.
        if (top->is_object) {
          if (p >= end || *p != '"' || !String(p, end, next)) return false;
          SkipSpace(p, end, top->compact);
          if (p >= end || *p != ':') return false;
          ++p;
          SkipSpace(p, end, top->compact);
        }
        if (p >= end) return false;
        const char c = *p;
        if (c == '{' || c == '[') break;  // open it (the outer loop)
        bool ok;
        switch (c) {
          case '"': ok = String(p, end, next); break;
          case 't': ok = Literal(p, end, next, "true", JsonType::kBool, true); break;
          case 'f': ok = Literal(p, end, next, "false", JsonType::kBool, false); break;
          case 'n': ok = Literal(p, end, next, "null", JsonType::kNull, false); break;
          default: ok = Number(p, end, next, top->compact); break;
        }
        if (!ok) return false;
      }
      // After a value of `top`: a comma and the next member, or the end of the container.
      ++top->count;
      hash.Step();
      SkipSpace(p, end, top->compact);
      if (p >= end) return false;
      if (*p == ',') {
        ++p;
        SkipSpace(p, end, top->compact);
        closed = false;
        continue;
      }
      if (!IsClose(*p, top->is_object)) return false;
      ++p;
      closed = true;
    }
  }
}

}  // namespace gtops
