#include "quality/json_lite.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace gtops::quality {
namespace {

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  return i;
}

// Index one past the end of the string starting at s[i] == '"'.
size_t SkipString(std::string_view s, size_t i) {
  ++i;
  while (i < s.size() && s[i] != '"') i += (s[i] == '\\') ? 2 : 1;
  return i < s.size() ? i + 1 : s.size();
}

// Index one past the end of the value starting at s[i].
size_t SkipValue(std::string_view s, size_t i) {
  if (i >= s.size()) return i;
  if (s[i] == '"') return SkipString(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        i = SkipString(s, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
         s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
    ++i;
  return i;
}

bool IsNumberToken(std::string_view t) {
  return !t.empty() && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'));
}

double ToNumber(std::string_view t) {
  double v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string Unescape(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out += c;
      continue;
    }
    char e = body[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        // Surrogate pairs are not joined: keys and tag names are ASCII in practice, and a
        // lone surrogate still round-trips to a distinct (if not valid UTF-8) key.
        uint32_t cp = 0;
        size_t n = std::min<size_t>(4, body.size() - i - 1);
        std::from_chars(body.data() + i + 1, body.data() + i + 1 + n, cp, 16);
        i += n;
        AppendUtf8(out, cp);
        break;
      }
      default: out += e;
    }
  }
  return out;
}

size_t Parse(std::string_view s, size_t i, JsonValue& v, int depth) {
  i = SkipSpace(s, i);
  if (i >= s.size() || depth > 64) return s.size();
  char c = s[i];
  if (c == '{' || c == '[') {
    bool object = c == '{';
    v.type = object ? JsonValue::Type::kObject : JsonValue::Type::kArray;
    i = SkipSpace(s, i + 1);
    if (i < s.size() && (s[i] == '}' || s[i] == ']')) return i + 1;
    while (i < s.size()) {
      if (object) {
        i = SkipSpace(s, i);
        if (i >= s.size() || s[i] != '"') return s.size();
        size_t end = SkipString(s, i);
        v.keys.push_back(Unescape(s.substr(i + 1, end - i - 2)));
        i = SkipSpace(s, end);
        if (i >= s.size() || s[i] != ':') return s.size();
        ++i;
      }
      v.items.emplace_back();
      i = SkipSpace(s, Parse(s, i, v.items.back(), depth + 1));
      if (i >= s.size()) return i;
      if (s[i] == ',') {
        ++i;
        continue;
      }
      return i + 1;  // '}' or ']'
    }
    return i;
  }
  size_t end = SkipValue(s, i);
  std::string_view tok = s.substr(i, end - i);
  if (c == '"') {
    v.type = JsonValue::Type::kString;
    v.text = Unescape(tok.substr(1, tok.size() >= 2 ? tok.size() - 2 : 0));
  } else if (tok == "true" || tok == "false") {
    v.type = JsonValue::Type::kBool;
    v.boolean = tok == "true";
  } else if (IsNumberToken(tok)) {
    v.type = JsonValue::Type::kNumber;
    v.number = ToNumber(tok);
  }
  return end;
}

}  // namespace

void ParseFlatObject(std::string_view s, std::vector<JsonMember>& out) {
  size_t i = SkipSpace(s, 0);
  if (i >= s.size() || s[i] != '{') return;
  ++i;
  while (true) {
    i = SkipSpace(s, i);
    if (i >= s.size() || s[i] != '"') return;
    size_t kend = SkipString(s, i);
    std::string_view key = s.substr(i + 1, kend - i - 2);
    i = SkipSpace(s, kend);
    if (i >= s.size() || s[i] != ':') return;
    i = SkipSpace(s, i + 1);
    size_t vend = SkipValue(s, i);
    out.push_back({key, s.substr(i, vend - i)});
    i = SkipSpace(s, vend);
    if (i >= s.size() || s[i] != ',') return;
    ++i;
  }
}

bool SameJsonValue(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (IsNumberToken(a) && IsNumberToken(b)) return ToNumber(a) == ToNumber(b);
  return false;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (size_t k = 0; k < keys.size(); ++k) {
    if (keys[k] == key) return &items[k];
  }
  return nullptr;
}

JsonValue ParseJson(std::string_view json) {
  JsonValue v;
  Parse(json, 0, v, 0);
  return v;
}

}  // namespace gtops::quality
