// The demo generator's own pseudo-random numbers: xoshiro256** seeded through splitmix64, with
// distributions written out here rather than taken from <random>, whose output differs between
// standard libraries. A generated program must be byte-identical for a seed on every platform.
// Not thread-safe; every work item owns its generators.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace gtops::demo {

inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Derives an independent stream key from a parent key and a salt (a scene, an annotator, ...), so
// every part of the world draws from its own stream and does not shift when another part changes.
inline uint64_t Mix(uint64_t key, uint64_t salt) {
  uint64_t s = key ^ (salt * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL);
  SplitMix64(s);
  return SplitMix64(s);
}

// FNV-1a of a name, for salting streams with pipeline and annotator ids.
inline uint64_t HashName(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t key) {
    uint64_t s = key;
    for (uint64_t& w : s_) w = SplitMix64(s);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // [0, n) for n > 0 (multiply-shift; the bias is far below anything a test could see).
  int Below(int n) {
    return static_cast<int>(((Next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }
  int Between(int lo, int hi) { return lo + Below(hi - lo + 1); }  // [lo, hi]
  bool Chance(double p) { return Uniform() < p; }

  // Standard normal by Box-Muller, both values of a pair used. libm's log, sqrt, sin and cos
  // may differ in the last bit between platforms; the written decimals hide that.
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), a = 6.283185307179586 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
  // sigma * a standard normal clipped to [-clip, clip] standard deviations.
  double Noise(double sigma, double clip = 2.5) {
    return sigma * std::clamp(Normal(), -clip, clip);
  }
  // Exponential with the given mean.
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }

  // Index drawn with probability proportional to weights[i].
  template <typename Weights>
  int Pick(const Weights& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double u = Uniform() * total;
    int i = 0;
    for (double w : weights) {
      if (u < w) return i;
      u -= w;
      ++i;
    }
    return i - 1;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace gtops::demo
