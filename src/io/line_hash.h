// The content hash of a line (HashBytes in record_parser.h), in steps, so that a parser can fold
// the line's words in while it reads them: the hash's serial multiply chain then runs beside the
// parse instead of after it. The value is HashBytes' own; it is stored, so it never changes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace gtops {

// FNV-1a over 8-byte words with a final avalanche (splitmix64): fast and stable.
class LineHash {
 public:
  explicit LineHash(std::string_view bytes)
      : h_(0xcbf29ce484222325ULL ^ bytes.size()), at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  // Folds in the next 8-byte word, when a whole one is left.
  void Step() {
    if (end_ - at_ >= 8) {
      Word();
    }
  }

  // Folds in the rest and returns the hash.
  uint64_t Finish() {
    while (end_ - at_ >= 8) Word();
    uint64_t h = h_;
    for (; at_ < end_; ++at_) h = (h ^ static_cast<unsigned char>(*at_)) * 0x100000001b3ULL;
    return Avalanche(h);
  }

  // splitmix64's finaliser: every input bit moves every output bit.
  static uint64_t Avalanche(uint64_t h) {
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
  }

 private:
  void Word() {
    uint64_t w;
    std::memcpy(&w, at_, 8);
    h_ = (h_ ^ w) * 0x100000001b3ULL;
    h_ ^= h_ >> 29;
    at_ += 8;
  }

  uint64_t h_;
  const char* at_;
  const char* end_;
};

}  // namespace gtops
