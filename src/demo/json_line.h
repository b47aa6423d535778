// A fast builder for one JSON line. The caller writes the structure (braces, commas, keys) and
// this class the values: strings escaped, numbers with a fixed number of decimals and trailing
// zeros dropped ("12.1", "-0.25", "3"). Numbers must be finite; strings UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gtops::demo {

class JsonLine {
 public:
  JsonLine() { buf_.reserve(1 << 14); }

  void Clear() { buf_.clear(); }
  const std::string& str() const { return buf_; }
  std::string_view view() const { return buf_; }
  size_t size() const { return buf_.size(); }

  JsonLine& Raw(std::string_view s) {
    buf_.append(s);
    return *this;
  }
  JsonLine& Char(char c) {
    buf_.push_back(c);
    return *this;
  }
  // `"s"`, escaped.
  JsonLine& Str(std::string_view s);
  // `,"key":` (or `"key":` at the start of an object or after `{`).
  JsonLine& Key(std::string_view key);
  // `,"key":"value"`
  JsonLine& KeyStr(std::string_view key, std::string_view value) { return Key(key).Str(value); }
  JsonLine& Int(int64_t v);
  // v rounded to `decimals` (0..6) places, trailing zeros dropped; -0 written as 0.
  JsonLine& Fixed(double v, int decimals);
  JsonLine& Bool(bool b) { return Raw(b ? "true" : "false"); }
  JsonLine& Null() { return Raw("null"); }
  // Drops a trailing comma, if any (for lists written element by element).
  void TrimComma() {
    if (!buf_.empty() && buf_.back() == ',') buf_.pop_back();
  }

 private:
  std::string buf_;
};

// Writes v with `decimals` places (trailing zeros dropped) at p; returns the end. Needs 32 bytes.
char* FormatFixed(char* p, double v, int decimals);

}  // namespace gtops::demo
