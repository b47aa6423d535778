// Reading numbers out of simdjson DOM elements, shared by the JSON converters.
#pragma once

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace gtops::interop {

// A finite number (any JSON number type; with `strings`, also a string holding one, as OSDaR23
// writes timestamps); false otherwise.
inline bool JsonNumber(simdjson::dom::element e, double& v, bool strings = false) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::INT64: v = static_cast<double>(int64_t(e)); return true;
    case element_type::UINT64: v = static_cast<double>(uint64_t(e)); return true;
    case element_type::DOUBLE: v = double(e); return std::isfinite(v);
    case element_type::STRING: {
      if (!strings) return false;
      std::string_view s(e);
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
    }
    default: return false;
  }
}

// An integral number (written as an integer or as a double without a fraction).
inline bool JsonInt(simdjson::dom::element e, int64_t& v) {
  double d;
  if (!JsonNumber(e, d) || d != std::floor(d) || std::abs(d) > 9e15) return false;
  v = e.type() == simdjson::dom::element_type::INT64 ? int64_t(e) : static_cast<int64_t>(d);
  return true;
}

}  // namespace gtops::interop
