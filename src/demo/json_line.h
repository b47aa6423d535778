// A fast builder for one JSON line. The caller writes the structure (braces, commas, keys) and
// this class the values: strings escaped, numbers with a fixed number of decimals and trailing
// zeros dropped ("12.1", "-0.25", "3"). Numbers must be finite; strings UTF-8. The buffer grows as
// needed and is kept between lines.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace gtops::demo {

class JsonLine {
 public:
  JsonLine() { Reserve(1 << 14); }

  void Clear() { size_ = 0; }
  std::string str() const { return std::string(view()); }
  std::string_view view() const { return {buf_.get(), size_}; }
  size_t size() const { return size_; }

  JsonLine& Raw(std::string_view s) {
    std::memcpy(Grow(s.size()), s.data(), s.size());
    return *this;
  }
  JsonLine& Char(char c) {
    *Grow(1) = c;
    return *this;
  }
  // `"s"`, escaped.
  JsonLine& Str(std::string_view s);
  // `,"key":` (or `"key":` right after `{` or `,`). Keys are plain names, never escaped.
  JsonLine& Key(std::string_view key) {
    char* p = Grow(key.size() + 4);
    if (p != buf_.get() && p[-1] != '{' && p[-1] != ',') {
      *p++ = ',';
    } else {
      --size_;
    }
    *p++ = '"';
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    *p++ = '"';
    *p = ':';
    return *this;
  }
  // `,"key":"value"`
  JsonLine& KeyStr(std::string_view key, std::string_view value) { return Key(key).Str(value); }
  JsonLine& Int(int64_t v);
  // v rounded to `decimals` (0..6) places, trailing zeros dropped; -0 written as 0.
  JsonLine& Fixed(double v, int decimals);
  JsonLine& Bool(bool b) { return Raw(b ? "true" : "false"); }
  JsonLine& Null() { return Raw("null"); }
  // Drops a trailing comma, if any (for lists written element by element).
  void TrimComma() {
    if (size_ != 0 && buf_[size_ - 1] == ',') --size_;
  }

 private:
  // Room for n more bytes at the end; returns where they start and counts them as written.
  char* Grow(size_t n) {
    if (size_ + n > capacity_) Reserve(2 * (size_ + n));
    char* p = buf_.get() + size_;
    size_ += n;
    return p;
  }
  void Reserve(size_t capacity);

  std::unique_ptr<char[]> buf_;
  size_t size_ = 0, capacity_ = 0;
};

// Writes v with `decimals` places (trailing zeros dropped) at p; returns the end. Needs 32 bytes.
char* FormatFixed(char* p, double v, int decimals);

}  // namespace gtops::demo
