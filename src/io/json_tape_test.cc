// JsonTape against simdjson's DOM parser, the reference it must agree with: whatever the tape
// accepts, simdjson accepts too and reads as the same values (doubles bit for bit), and a
// container the tape calls compact is exactly what std::to_chars-based re-serialisation writes.
#include "io/json_tape.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gtops {
namespace {

// The text with 64 readable bytes after it (as the line reader gives lines).
struct Padded {
  explicit Padded(std::string_view s) : buf(std::string(s) + std::string(64, ' ')), size(s.size()) {}
  std::string_view text() const { return {buf.data(), size}; }
  std::string buf;
  size_t size;
};

// Values with their types, doubles by their bits: the same text for the same parsed values.
void Describe(const JsonNode* n, std::string& out) {
  switch (n->type) {
    case JsonType::kArray:
    case JsonType::kObject: {
      out += n->type == JsonType::kArray ? '[' : '{';
      const JsonNode* end = n + n->span;
      for (const JsonNode* c = n + 1; c < end;) {
        Describe(c, out);
        out += ',';
        c += c->span;
      }
      out += n->type == JsonType::kArray ? ']' : '}';
      break;
    }
    case JsonType::kInt64: out += "i" + std::to_string(n->i); break;
    case JsonType::kUint64: out += "u?"; break;
    case JsonType::kDouble: out += "d" + std::to_string(std::bit_cast<uint64_t>(n->d)); break;
    case JsonType::kString: out += "s" + std::string(n->text()); break;
    case JsonType::kBool: out += n->b ? "T" : "F"; break;
    case JsonType::kNull: out += "N"; break;
  }
}

void Describe(simdjson::dom::element e, std::string& out) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::ARRAY:
      out += '[';
      for (auto v : simdjson::dom::array(e)) {
        Describe(v, out);
        out += ',';
      }
      out += ']';
      break;
    case T::OBJECT:
      out += '{';
      for (auto f : simdjson::dom::object(e)) {
        out += "s" + std::string(f.key) + ",";
        Describe(f.value, out);
        out += ',';
      }
      out += '}';
      break;
    case T::INT64: out += "i" + std::to_string(int64_t(e)); break;
    case T::UINT64: out += "u" + std::to_string(uint64_t(e)); break;
    case T::DOUBLE: out += "d" + std::to_string(std::bit_cast<uint64_t>(double(e))); break;
    case T::STRING: out += "s" + std::string(std::string_view(e)); break;
    case T::BOOL: out += bool(e) ? "T" : "F"; break;
    case T::NULL_VALUE: out += "N"; break;
  }
}

// Checks the contract on `text`; returns whether the tape accepted it.
bool Agrees(JsonTape& tape, simdjson::dom::parser& dom, std::string_view text) {
  Padded p(text);
  const bool fast = tape.Parse(p.text());
  simdjson::dom::element doc;
  const bool full = dom.parse(p.buf.data(), p.size, false).get(doc) == simdjson::SUCCESS;
  if (!fast) return false;
  EXPECT_TRUE(full) << "the tape accepted invalid JSON: " << text;
  if (!full) return true;
  std::string a, b;
  Describe(tape.root(), a);
  Describe(doc, b);
  EXPECT_EQ(a, b) << text;
  return true;
}

TEST(JsonTape, ReadsTheValuesSimdjsonReads) {
  JsonTape tape;
  simdjson::dom::parser dom;
  for (std::string_view text :
       {R"({})", R"({"a":1,"b":-2,"c":0,"d":-0,"e":123456789012345678})",
        R"({"x":[767.5,543.7,72.4,43.6],"y":[-50.058,-2.019,0.771,4.421,1.858,1.538,-0.0067]})",
        R"({"t":true,"f":false,"n":null,"s":"","u":"caf\u00e9 \u00fc"})",
        R"({"nested":{"a":[[1,2],[3,4,5]],"b":{"c":{}}},"e":[]})",
        R"( { "a" : [ 1 , 2.5 ] , "b" : "x" } )", "{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x97\"}",
        R"({"dup":1,"dup":2})", R"({"z":0.1,"w":0.30000000000001,"v":-0.0,"u":1.0})"}) {
    Padded p(text);
    EXPECT_TRUE(tape.Parse(p.text()) || text.find("\\u") != std::string_view::npos) << text;
    Agrees(tape, dom, text);
  }
}

TEST(JsonTape, RefusesWhatIsOutsideTheSubset) {
  JsonTape tape;
  simdjson::dom::parser dom;
  for (std::string_view text :
       {"", "   ", "[1]", "1", R"("s")", R"({"a":"\n"})", R"({"a":1e5})", R"({"a":1E5})",
        R"({"a":1234567890123456789})", R"({"a":1.2345678901234567})", "{} x", "{}{}", "{,}",
        R"({"a":1,})", R"({"a":[1 2]})", R"({"a":[1,]})", R"({"a":"open)", R"({"a":01})",
        R"({"a":1.})", R"({"a":-})", R"({"a":.5})", R"({"a":+1})", R"({"a":tru})",
        R"({"a":nulll})", R"({"a":NaN})", R"({"a":Infinity})", R"({a:1})", R"({"a" 1})",
        R"({"a":1)", "{\"a\":\"tab\there\"}", "{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf5\x80\x80\x80\"}", "{\"a\":\"\xe2\x82\"}", "{\"a\":\"\x80\"}",
        "\xef\xbb\xbf{}", "{\"a\":1}\x01", "{\"a\":[1,2]]"}) {
    Padded p(text);
    EXPECT_FALSE(tape.Parse(p.text())) << text;
  }
  std::string deep = "{\"a\":" + std::string(JsonTape::kMaxDepth, '[') +
                     std::string(JsonTape::kMaxDepth, ']') + "}";
  Padded p(deep);
  EXPECT_FALSE(tape.Parse(p.text()));
  std::string ok = "{\"a\":" + std::string(JsonTape::kMaxDepth - 1, '[') +
                   std::string(JsonTape::kMaxDepth - 1, ']') + "}";
  EXPECT_TRUE(Agrees(tape, dom, ok));
}

// The number `value` as std::to_chars writes it.
std::string WrittenBack(const JsonNode* value) {
  char buf[64];
  auto r = value->type == JsonType::kInt64 ? std::to_chars(buf, buf + sizeof buf, value->i)
                                           : std::to_chars(buf, buf + sizeof buf, value->d);
  return std::string(buf, static_cast<size_t>(r.ptr - buf));
}

// The numbers of the demo programs and random ones of every shape the tape reads.
TEST(JsonTape, NumbersMatchSimdjsonAndCompactMatchesToChars) {
  JsonTape tape;
  simdjson::dom::parser dom;
  std::mt19937_64 rng(7);
  std::vector<std::string> literals = {"0", "-0", "7", "-7", "0.5", "-0.5", "0.001", "0.0001",
                                       "-0.0001", "0.00012", "1.5", "10.25", "100000000000000",
                                       "123456789012.5", "0.10", "1.0", "-0.0", "0.0",
                                       "99999999999999.9", "0.000000000000001", "12345678.9"};
  for (int i = 0; i < 20000; ++i) {
    std::string s = rng() % 4 == 0 ? "-" : "";
    const int int_digits = 1 + static_cast<int>(rng() % 9);
    const bool zero_int = rng() % 3 == 0;
    if (zero_int) {
      s += '0';
    } else {
      s += static_cast<char>('1' + rng() % 9);
      for (int d = 1; d < int_digits; ++d) s += static_cast<char>('0' + rng() % 10);
    }
    const int frac = static_cast<int>(rng() % 10);
    if (frac > 0) {
      s += '.';
      for (int d = 0; d < frac; ++d) s += static_cast<char>('0' + (rng() % 3 == 0 ? 0 : rng() % 10));
    }
    literals.push_back(s);
  }
  int accepted = 0;
  for (const std::string& lit : literals) {
    const std::string text = "{\"v\":[" + lit + "]}";
    if (!Agrees(tape, dom, text)) continue;
    ++accepted;
    const bool same = WrittenBack(tape.root() + 3) == lit;
    EXPECT_EQ(tape.root()[2].compact, same) << lit;
    EXPECT_EQ(tape.root()[0].compact, same) << lit;
  }
  EXPECT_GT(accepted, 15000);
}

// Literals of every shape around the number fast path (under 16 bytes: one mask and one
// vector conversion; longer ones and the rest: digit runs): random strings of digits, '.', '-'
// and 'e', accepted exactly when simdjson reads the same value, compact exactly when to_chars
// writes them back unchanged.
TEST(JsonTape, NumberShapesAgreeWithSimdjson) {
  JsonTape tape;
  simdjson::dom::parser dom;
  std::mt19937_64 rng(23);
  const std::string alphabet = "0123456789012345678901234567890123456789..-e";
  int accepted = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string lit;
    const size_t len = 1 + rng() % 20;
    for (size_t k = 0; k < len; ++k) lit += alphabet[rng() % alphabet.size()];
    if (rng() % 2 == 0) {  // mostly well-formed: one '.', no leading zero
      lit.erase(std::remove_if(lit.begin(), lit.end(), [](char c) { return c < '0'; }), lit.end());
      if (lit.empty() || lit[0] == '0') lit.insert(lit.begin(), '1' + static_cast<char>(rng() % 9));
      if (rng() % 3 != 0 && lit.size() > 1) lit.insert(1 + rng() % (lit.size() - 1), 1, '.');
      if (rng() % 4 == 0) lit.insert(lit.begin(), '-');
    }
    const std::string text = "{\"v\":[" + lit + "],\"w\":" + lit + "}";
    if (!Agrees(tape, dom, text)) continue;
    ++accepted;
    const bool same = WrittenBack(tape.root() + 3) == lit;
    EXPECT_EQ(tape.root()[2].compact, same) << lit;
  }
  EXPECT_GT(accepted, 12000);
}

TEST(JsonTape, CompactOnlyWithoutWhiteSpace) {
  JsonTape tape;
  Padded a(R"({"a":{"x":1,"y":[true,null,"s"]},"b":{ "x":1}})");
  ASSERT_TRUE(tape.Parse(a.text()));
  const JsonNode* root = tape.root();
  EXPECT_FALSE(root->compact);
  EXPECT_TRUE(root[2].compact);
  EXPECT_EQ(root[2].text(), R"({"x":1,"y":[true,null,"s"]})");
  EXPECT_EQ(root[2].count, 2u);
  const JsonNode* b = root + 2 + root[2].span + 1;
  EXPECT_EQ(b->type, JsonType::kObject);
  EXPECT_FALSE(b->compact);
}

// Random damage to valid lines: whatever the tape still accepts, simdjson reads the same way.
TEST(JsonTape, DamagedLinesNeverAcceptedDifferently) {
  const std::vector<std::string> lines = {
      R"({"pipeline":"lidar","task":"t1","objects":[{"id":"o1","class":"car","box3d":[1.5,-2,0.25,4.4,1.9,1.6,0.01],"attributes":{"moving":true,"n":3}}]})",
      R"({"event":"submitted","task":"t1","pipeline":"cam","at":"2026-11-01T10:22:31Z","cost_usd":2.5})",
      "{\"s\":\"caf\xc3\xa9 \xe2\x82\xac\",\"p\":[[0.4,900.7],[1919.9,900.6]],\"m\":{\"size\":[72,128],\"counts\":\"^S22U\"}}"};
  std::mt19937_64 rng(11);
  const std::string alphabet = "{}[],:\"\\ -.0123456789eEtfnrulsa\x80\xc3\xa9\xff";
  JsonTape tape;
  simdjson::dom::parser dom;
  for (int i = 0; i < 30000; ++i) {
    std::string s = lines[rng() % lines.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(at, 1 + rng() % 3); break;
        default: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    Agrees(tape, dom, s);
  }
}

}  // namespace
}  // namespace gtops
