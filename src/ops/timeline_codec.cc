#include "ops/timeline_codec.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace gtops::ops {
namespace {

// Presence bits of the optional fields and the one flag.
enum Bit : uint32_t {
  kCreated = 1u << 0,
  kFirstAssigned = 1u << 1,
  kFirstSubmitted = 1u << 2,
  kFirstReviewed = 1u << 3,
  kFirstAccepted = 1u << 4,
  kDelivered = 1u << 5,
  kClosed = 1u << 6,
  kDue = 1u << 7,
  kLeadTime = 1u << 8,
  kLabelingTime = 1u << 9,
  kReviewLatency = 1u << 10,
  kAcceptTime = 1u << 11,
  kFirstReviewPassed = 1u << 12,
  kAllBits = (1u << 13) - 1,
};

class Writer {
 public:
  void Byte(unsigned char b) { out_.push_back(static_cast<char>(b)); }
  void Unsigned(uint64_t v) {
    while (v >= 0x80) {
      Byte(static_cast<unsigned char>(v | 0x80));
      v >>= 7;
    }
    Byte(static_cast<unsigned char>(v));
  }
  // Zigzag: small magnitudes of either sign take few bytes.
  void Signed(int64_t v) { Unsigned((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Double(double v) {
    const auto bits = std::bit_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i) Byte(static_cast<unsigned char>(bits >> (8 * i)));
  }
  void Text(std::string_view s) {
    Unsigned(s.size());
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == data_.size(); }

  unsigned char Byte() {
    if (pos_ >= data_.size()) return Fail<unsigned char>();
    return static_cast<unsigned char>(data_[pos_++]);
  }
  uint64_t Unsigned() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const unsigned char b = Byte();
      if (!ok_) return 0;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail<uint64_t>();
  }
  int64_t Signed() {
    const uint64_t u = Unsigned();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  double Double() {
    if (data_.size() - pos_ < 8) return Fail<double>();
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return std::bit_cast<double>(bits);
  }
  std::string Text() {
    const uint64_t n = Unsigned();
    if (!ok_ || n > data_.size() - pos_) return Fail<std::string>();
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  int Count() {
    const uint64_t n = Unsigned();
    if (n > static_cast<uint64_t>(INT32_MAX)) return Fail<int>();
    return static_cast<int>(n);
  }

 private:
  template <typename T>
  T Fail() {
    ok_ = false;
    pos_ = data_.size();
    return T{};
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Offsets between instants in two's-complement arithmetic: exact for any stored values, and no
// overflow (undefined behaviour) on a corrupt row.
int64_t Minus(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b)); }
int64_t Plus(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }

}  // namespace

std::string EncodeTimeline(const TaskTimeline& t) {
  uint32_t bits = 0;
  auto mark = [&bits](bool present, Bit b) {
    if (present) bits |= b;
  };
  mark(t.created_ms.has_value(), kCreated);
  mark(t.first_assigned_ms.has_value(), kFirstAssigned);
  mark(t.first_submitted_ms.has_value(), kFirstSubmitted);
  mark(t.first_reviewed_ms.has_value(), kFirstReviewed);
  mark(t.first_accepted_ms.has_value(), kFirstAccepted);
  mark(t.delivered_ms.has_value(), kDelivered);
  mark(t.closed_ms.has_value(), kClosed);
  mark(t.due_ms.has_value(), kDue);
  mark(t.lead_time_h.has_value(), kLeadTime);
  mark(t.labeling_time_h.has_value(), kLabelingTime);
  mark(t.review_latency_h.has_value(), kReviewLatency);
  mark(t.accept_time_h.has_value(), kAcceptTime);
  mark(t.first_review_passed, kFirstReviewPassed);

  Writer w;
  w.Byte(kTimelineCodecVersion);
  w.Unsigned(bits);
  w.Byte(static_cast<unsigned char>(t.state));
  w.Text(t.pipeline);
  w.Text(t.batch);
  w.Text(t.vendor);
  w.Text(t.annotator);
  // Instants as offsets from the first event: a few bytes each.
  const int64_t base = t.first_event_ms;
  w.Signed(base);
  w.Signed(Minus(t.last_event_ms, base));
  for (const auto* ms : {&t.created_ms, &t.first_assigned_ms, &t.first_submitted_ms, &t.first_reviewed_ms,
                         &t.first_accepted_ms, &t.delivered_ms, &t.closed_ms, &t.due_ms}) {
    if (*ms) w.Signed(Minus(**ms, base));
  }
  for (const auto* h : {&t.lead_time_h, &t.labeling_time_h, &t.review_latency_h, &t.accept_time_h}) {
    if (*h) w.Double(**h);
  }
  w.Unsigned(static_cast<uint64_t>(t.submissions));
  w.Unsigned(static_cast<uint64_t>(t.reviews));
  w.Unsigned(static_cast<uint64_t>(t.review_failures));
  w.Unsigned(static_cast<uint64_t>(t.rework_rounds));
  w.Signed(t.object_count);
  for (double v : {t.work_s, t.labeling_work_s, t.cost_labeling_usd, t.cost_review_usd, t.cost_rework_usd,
                   t.cost_other_usd}) {
    w.Double(v);
  }
  w.Unsigned(t.anomalies.size());
  for (const Anomaly& a : t.anomalies) {
    w.Byte(static_cast<unsigned char>(a.kind));
    w.Byte(static_cast<unsigned char>(a.event));
    w.Signed(Minus(a.at_ms, base));
    w.Text(a.detail);
  }
  return w.Take();
}

Result<TaskTimeline> DecodeTimeline(std::string_view task, std::string_view data) {
  auto bad = [&](std::string_view what) {
    return Status::StoreError(fmt::format("stored timeline of task {}: {}", task, what));
  };
  Reader r(data);
  const unsigned char version = r.Byte();
  if (!r.ok()) return bad("empty");
  if (version != kTimelineCodecVersion) return bad(fmt::format("encoding version {} is not {}", version, kTimelineCodecVersion));
  TaskTimeline t;
  t.task = std::string(task);
  const uint64_t bits = r.Unsigned();
  if (bits & ~static_cast<uint64_t>(kAllBits)) return bad("unknown fields");
  const unsigned char state = r.Byte();
  if (state > static_cast<unsigned char>(TaskState::kCancelled)) return bad("unknown task state");
  t.state = static_cast<TaskState>(state);
  t.pipeline = r.Text();
  t.batch = r.Text();
  t.vendor = r.Text();
  t.annotator = r.Text();
  const int64_t base = r.Signed();
  t.first_event_ms = base;
  t.last_event_ms = Plus(base, r.Signed());
  const std::pair<std::optional<int64_t>*, Bit> instants[] = {
      {&t.created_ms, kCreated},         {&t.first_assigned_ms, kFirstAssigned},
      {&t.first_submitted_ms, kFirstSubmitted}, {&t.first_reviewed_ms, kFirstReviewed},
      {&t.first_accepted_ms, kFirstAccepted},   {&t.delivered_ms, kDelivered},
      {&t.closed_ms, kClosed},           {&t.due_ms, kDue}};
  for (const auto& [field, bit] : instants) {
    if (bits & bit) *field = Plus(base, r.Signed());
  }
  const std::pair<std::optional<double>*, Bit> hours[] = {{&t.lead_time_h, kLeadTime},
                                                          {&t.labeling_time_h, kLabelingTime},
                                                          {&t.review_latency_h, kReviewLatency},
                                                          {&t.accept_time_h, kAcceptTime}};
  for (const auto& [field, bit] : hours) {
    if (bits & bit) *field = r.Double();
  }
  t.first_review_passed = (bits & kFirstReviewPassed) != 0;
  t.submissions = r.Count();
  t.reviews = r.Count();
  t.review_failures = r.Count();
  t.rework_rounds = r.Count();
  t.object_count = r.Signed();
  for (double* v : {&t.work_s, &t.labeling_work_s, &t.cost_labeling_usd, &t.cost_review_usd, &t.cost_rework_usd,
                    &t.cost_other_usd}) {
    *v = r.Double();
  }
  const int anomalies = r.Count();
  if (!r.ok()) return bad("truncated");
  if (static_cast<size_t>(anomalies) > data.size()) return bad("anomaly count beyond the data");
  t.anomalies.reserve(static_cast<size_t>(anomalies));
  for (int i = 0; i < anomalies && r.ok(); ++i) {
    Anomaly a;
    const unsigned char kind = r.Byte();
    const unsigned char event = r.Byte();
    if (kind >= kAnomalyKindCount) return bad("unknown anomaly kind");
    if (event > static_cast<unsigned char>(EventKind::kCancelled)) return bad("unknown event kind");
    a.kind = static_cast<AnomalyKind>(kind);
    a.event = static_cast<EventKind>(event);
    a.at_ms = Plus(base, r.Signed());
    a.detail = r.Text();
    t.anomalies.push_back(std::move(a));
  }
  if (!r.ok()) return bad("truncated");
  if (!r.AtEnd()) return bad("trailing bytes");
  return t;
}

}  // namespace gtops::ops
