#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numbers>
#include <vector>

#include <fmt/format.h>

namespace gtops::report {
namespace {

constexpr std::string_view kTargetColor = "#2c7bb6";
constexpr std::string_view kSpecColor = "#7b3294";
constexpr std::string_view kOocColor = "#d73027";
constexpr double kCharWidth = 6.6;  // of an 11 px sans-serif character, for layout estimates

template <typename... Args>
void Put(std::string& out, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
}

double TextWidth(std::string_view s) {
  // UTF-8 continuation bytes do not start a character.
  const auto chars = std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
  return static_cast<double>(chars) * kCharWidth;
}

// At most `max_bytes` of `s` and an ellipsis, cut between UTF-8 characters: the start, or the end
// where names differ there (batch names usually end with their sequence number or date).
std::string Shorten(const std::string& s, size_t max_bytes, bool keep_end = false) {
  if (s.size() <= max_bytes) return s;
  if (keep_end) {
    size_t from = s.size() - (max_bytes - 1);
    while (from < s.size() && (s[from] & 0xC0) == 0x80) ++from;
    return "…" + s.substr(from);
  }
  size_t cut = max_bytes - 1;
  while (cut > 0 && (s[cut] & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…";
}

void OpenSvg(std::string& out, double width, double height, const std::string& title) {
  Put(out,
      "<svg class=\"chart\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\" "
      "font-family=\"sans-serif\" font-size=\"11\"><title>{2}</title>\n",
      width, height, EscapeHtml(title));
}

// A value axis with round ticks covering [lo, hi].
struct Axis {
  double lo = 0, hi = 1, step = 0.25;
  int decimals = 2;
  std::vector<double> ticks;
};

double NiceStep(double raw) {
  const double exp10 = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / exp10;
  const double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * exp10;
}

// The finite values among `values`; [0, 1] when there are none, widened when they are all equal.
Axis MakeAxis(const std::vector<double>& values) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1e-12) {
    const double pad = std::max(0.05, std::abs(lo) * 0.1);
    lo -= pad;
    hi += pad;
  }
  const double pad = (hi - lo) * 0.04;
  lo -= pad;
  hi += pad;
  Axis a;
  a.step = NiceStep((hi - lo) / 4);
  a.lo = std::floor(lo / a.step) * a.step;
  a.hi = std::ceil(hi / a.step) * a.step;
  a.decimals = std::clamp(static_cast<int>(-std::floor(std::log10(a.step) + 1e-9)), 0, 6);
  for (double t = a.lo; t <= a.hi + a.step * 1e-6; t += a.step) a.ticks.push_back(t);
  return a;
}

std::string TickLabel(const Axis& a, double t) {
  return fmt::format("{:.{}f}", std::abs(t) < a.step * 1e-6 ? 0.0 : t, a.decimals);
}

// Maps a value of [a.lo, a.hi] onto [from, to] pixels.
struct Scale {
  Axis axis;
  double from, to;
  double operator()(double v) const { return from + (v - axis.lo) / (axis.hi - axis.lo) * (to - from); }
};

std::string StatusTitle(const Gap& g, const std::string& subject) {
  return fmt::format("{}: {} {}, target {}, gap {}, {} (n={}, {})", subject, FormatNumber(g.value),
                     FormatInterval(g.lo, g.hi), FormatTarget(g.target, g.higher_is_better), FormatGap(g.gap),
                     Name(g.status), g.n, g.from.empty() ? "—" : g.from);
}

std::string ChartName(const std::string& chart) {
  if (chart == "laney_p") return "Laney p′ chart";
  if (chart == "laney_u") return "Laney u′ chart";
  if (chart == "xmr") return "XmR chart";
  return chart.empty() ? "control chart" : chart;
}

// Runs of consecutive indices for which `ok` holds.
template <typename Pred>
std::vector<std::pair<size_t, size_t>> Runs(size_t n, Pred ok) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t i = 0;
  while (i < n) {
    if (!ok(i)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && ok(j)) ++j;
    out.emplace_back(i, j);
    i = j;
  }
  return out;
}

// A step line through per-batch levels: each batch's level spans its slot [x - half, x + half].
std::string StepPath(const std::vector<BatchPoint>& pts, double BatchPoint::*field,
                     const std::vector<double>& xs, double half, const Scale& y) {
  std::string d;
  for (auto [b, e] : Runs(pts.size(), [&](size_t i) { return std::isfinite(pts[i].*field); })) {
    for (size_t i = b; i < e; ++i) {
      Put(d, "{}{:.1f},{:.1f}H{:.1f}", i == b ? "M" : "L", xs[i] - half, y(pts[i].*field), xs[i] + half);
    }
  }
  return d;
}

void LegendItem(std::string& out, double& x, double y, std::string_view swatch, std::string_view label) {
  Put(out, "<g transform=\"translate({:.1f},{:.1f})\">{}<text x=\"22\" y=\"4\">{}</text></g>\n", x, y, swatch, label);
  x += 30 + TextWidth(label);
}

void XAxisLabels(std::string& out, const std::vector<BatchPoint>& pts, const std::vector<double>& xs, double y) {
  const size_t n = pts.size();
  if (n == 0) return;
  const size_t every = (n + 7) / 8;
  std::vector<size_t> shown;
  for (size_t i = 0; i < n; i += every) shown.push_back(i);
  if (shown.back() != n - 1) {
    if (n - 1 - shown.back() < (every + 1) / 2) shown.pop_back();
    shown.push_back(n - 1);
  }
  for (size_t i : shown) {
    Put(out, "<text x=\"{0:.1f}\" y=\"{1:.1f}\" text-anchor=\"end\" transform=\"rotate(-30 {0:.1f} {1:.1f})\">{2}</text>\n",
        xs[i], y, EscapeHtml(Shorten(pts[i].batch, 14, /*keep_end=*/true)));
  }
}

void YAxis(std::string& out, const Scale& y, double x0, double x1) {
  for (double t : y.axis.ticks) {
    Put(out, "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#e6e6e6\"/>"
             "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        x0, x1, y(t), x0 - 6, y(t) + 4, TickLabel(y.axis, t));
  }
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string_view StatusColor(std::string_view status) {
  if (status == "fails") return "#d73027";
  if (status == "inconclusive") return "#f0a202";
  if (status == "meets") return "#1a9850";
  return "#9e9e9e";
}

std::string HeatmapSvg(const Heatmap& h) {
  constexpr double kCellW = 92, kCellH = 30, kAngle = 40;
  const double sin_a = std::sin(kAngle * std::numbers::pi / 180), cos_a = std::cos(kAngle * std::numbers::pi / 180);
  double label_w = 80, metric_w = 40;
  for (const std::string& p : h.pipelines) label_w = std::max(label_w, TextWidth(p) + 16);
  for (const std::string& m : h.metrics) metric_w = std::max(metric_w, TextWidth(m));
  const double top = metric_w * sin_a + 20;
  const double grid_w = kCellW * static_cast<double>(h.metrics.size());
  const double grid_h = kCellH * static_cast<double>(h.pipelines.size());
  const double width = std::max(label_w + grid_w + metric_w * cos_a, 420.0);
  const double height = top + grid_h + 44;

  std::string out;
  OpenSvg(out, width, height, "Status of each pipeline's metrics against their targets");
  if (h.pipelines.empty()) {
    Put(out, "<text x=\"10\" y=\"{:.1f}\">No pipeline-level gap rows.</text>\n", top);
  }
  for (size_t c = 0; c < h.metrics.size(); ++c) {
    const double x = label_w + kCellW * (static_cast<double>(c) + 0.5), y = top - 6;
    Put(out, "<text x=\"{0:.1f}\" y=\"{1:.1f}\" transform=\"rotate(-{2} {0:.1f} {1:.1f})\">{3}</text>\n", x, y,
        kAngle, EscapeHtml(h.metrics[c]));
  }
  for (size_t r = 0; r < h.pipelines.size(); ++r) {
    const double y = top + kCellH * static_cast<double>(r);
    Put(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", label_w - 8, y + kCellH / 2 + 4,
        EscapeHtml(h.pipelines[r]));
    for (size_t c = 0; c < h.metrics.size(); ++c) {
      const double x = label_w + kCellW * static_cast<double>(c);
      const Gap* g = h.cells[r][c];
      if (g == nullptr) {
        Put(out, "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" stroke=\"#dddddd\"/>\n",
            x + 1, y + 1, kCellW - 2, kCellH - 2);
        continue;
      }
      const std::string_view status = Name(g->status);
      const bool dark_text = g->status == GapStatus::kInconclusive || g->status == GapStatus::kNoData;
      Put(out,
          "<g class=\"cell {0}\"><title>{1}</title><rect x=\"{2:.1f}\" y=\"{3:.1f}\" width=\"{4}\" height=\"{5}\" "
          "rx=\"3\" fill=\"{6}\"/><text x=\"{7:.1f}\" y=\"{8:.1f}\" text-anchor=\"middle\" fill=\"{9}\">{10}</text></g>\n",
          status, EscapeHtml(StatusTitle(*g, g->pipeline + " · " + g->metric)), x + 1, y + 1, kCellW - 2, kCellH - 2,
          StatusColor(status), x + kCellW / 2, y + kCellH / 2 + 4, dark_text ? "#222222" : "#ffffff",
          FormatNumber(g->value));
    }
  }
  double lx = 10;
  const double ly = top + grid_h + 26;
  for (std::string_view s : {"fails", "inconclusive", "meets", "no_data"}) {
    LegendItem(out, lx, ly,
               fmt::format("<rect x=\"0\" y=\"-7\" width=\"16\" height=\"12\" rx=\"2\" fill=\"{}\"/>", StatusColor(s)),
               s);
  }
  out += "</svg>\n";
  return out;
}

std::string TrendSvg(const Trend& trend) {
  constexpr double kW = 760, kH = 300, kLeft = 60, kRight = 20, kTop = 30, kBottom = 80;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  const std::vector<BatchPoint>& pts = trend.points;
  const size_t n = pts.size();

  std::vector<double> values{trend.target};
  for (const BatchPoint& p : pts) values.insert(values.end(), {p.value, p.lo, p.hi, p.center, p.lcl, p.ucl});
  const Scale y{MakeAxis(values), kTop + ph, kTop};
  const double slot = pw / static_cast<double>(std::max<size_t>(n, 1));
  std::vector<double> xs(n);
  for (size_t i = 0; i < n; ++i) xs[i] = kLeft + (static_cast<double>(i) + 0.5) * slot;

  std::string out;
  OpenSvg(out, kW, kH,
          fmt::format("{}: per-batch value with its 95% interval, {} limits and the target {}", TrendTitle(trend),
                      ChartName(trend.chart), FormatTarget(trend.target, trend.higher_is_better)));
  YAxis(out, y, kLeft, kLeft + pw);
  Put(out, "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#bbbbbb\"/>\n", kLeft, kTop, pw, ph);
  if (n == 0) {
    Put(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">no batches</text>\n", kLeft + pw / 2, kTop + ph / 2);
  }

  for (auto [b, e] : Runs(n, [&](size_t i) { return std::isfinite(pts[i].lo) && std::isfinite(pts[i].hi); })) {
    const double widen = e - b == 1 ? 3 : 0;  // a lone interval still shows
    std::string points;
    for (size_t i = b; i < e; ++i) Put(points, "{:.1f},{:.1f} ", xs[i] - (i == b ? widen : 0), y(pts[i].hi));
    Put(points, "{:.1f},{:.1f} ", xs[e - 1] + widen, y(pts[e - 1].hi));
    for (size_t i = e; i-- > b;) Put(points, "{:.1f},{:.1f} ", xs[i] + (i == e - 1 ? widen : 0), y(pts[i].lo));
    Put(points, "{:.1f},{:.1f}", xs[b] - widen, y(pts[b].lo));
    Put(out, "<polygon class=\"band\" points=\"{}\" fill=\"#9ecae1\" fill-opacity=\"0.45\" stroke=\"none\"/>\n", points);
  }
  const std::string centre = StepPath(pts, &BatchPoint::center, xs, slot / 2, y);
  if (!centre.empty()) Put(out, "<path d=\"{}\" fill=\"none\" stroke=\"#777777\"/>\n", centre);
  for (double BatchPoint::*limit : {&BatchPoint::lcl, &BatchPoint::ucl}) {
    const std::string d = StepPath(pts, limit, xs, slot / 2, y);
    if (!d.empty()) {
      Put(out, "<path class=\"limit\" d=\"{}\" fill=\"none\" stroke=\"#555555\" stroke-dasharray=\"5,3\"/>\n", d);
    }
  }
  if (std::isfinite(trend.target)) {
    const double ty = y(trend.target);
    Put(out,
        "<line class=\"target\" x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"1.5\"/>"
        "<text x=\"{4}\" y=\"{5:.1f}\" text-anchor=\"end\" fill=\"{3}\">target {6}</text>\n",
        kLeft, kLeft + pw, ty, kTargetColor, kLeft + pw - 4, ty - 4, FormatNumber(trend.target));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!pts[i].spec_change) continue;
    const double x = xs[i] - slot / 2;
    Put(out,
        "<g class=\"spec-change\"><title>{0}: spec {1}</title><line x1=\"{2:.1f}\" x2=\"{2:.1f}\" y1=\"{3}\" y2=\"{4}\" "
        "stroke=\"{5}\" stroke-width=\"1.5\" stroke-dasharray=\"2,2\"/><text x=\"{6:.1f}\" y=\"{7}\" fill=\"{5}\">spec {1}</text></g>\n",
        EscapeHtml(pts[i].batch), EscapeHtml(Shorten(pts[i].spec_version, 16)), x, kTop, kTop + ph, kSpecColor, x + 3,
        kTop - 6);
  }
  for (auto [b, e] : Runs(n, [&](size_t i) { return std::isfinite(pts[i].value); })) {
    std::string points;
    for (size_t i = b; i < e; ++i) Put(points, "{:.1f},{:.1f} ", xs[i], y(pts[i].value));
    Put(out, "<polyline points=\"{}\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1.5\"/>\n", points);
  }
  for (size_t i = 0; i < n; ++i) {
    const BatchPoint& p = pts[i];
    if (!std::isfinite(p.value)) continue;
    const std::string tip =
        fmt::format("batch {} (spec {}, n={}): {} {}, limits [{}, {}]{}", p.batch, p.spec_version, p.n,
                    FormatNumber(p.value), FormatInterval(p.lo, p.hi), FormatNumber(p.lcl), FormatNumber(p.ucl),
                    p.out_of_control ? ", out of control" : "");
    Put(out, "<g class=\"point\"><title>{}</title><circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#333333\"/>",
        EscapeHtml(tip), xs[i], y(p.value));
    if (p.out_of_control) {
      Put(out, "<circle class=\"ooc\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"7\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
          xs[i], y(p.value), kOocColor);
    }
    out += "</g>\n";
  }
  XAxisLabels(out, pts, xs, kTop + ph + 14);

  double lx = kLeft;
  const double ly = kH - 10;
  LegendItem(out, lx, ly, "<polyline points=\"0,0 16,0\" stroke=\"#333333\" stroke-width=\"1.5\"/><circle cx=\"8\" cy=\"0\" r=\"3\" fill=\"#333333\"/>", "value");
  LegendItem(out, lx, ly, "<rect x=\"0\" y=\"-6\" width=\"16\" height=\"12\" fill=\"#9ecae1\" fill-opacity=\"0.45\"/>", "95% interval");
  LegendItem(out, lx, ly, "<line x1=\"0\" x2=\"16\" y1=\"0\" y2=\"0\" stroke=\"#777777\"/>", "centre");
  LegendItem(out, lx, ly, "<line x1=\"0\" x2=\"16\" y1=\"0\" y2=\"0\" stroke=\"#555555\" stroke-dasharray=\"5,3\"/>", "control limits");
  LegendItem(out, lx, ly, fmt::format("<line x1=\"0\" x2=\"16\" y1=\"0\" y2=\"0\" stroke=\"{}\" stroke-width=\"1.5\"/>", kTargetColor), "target");
  LegendItem(out, lx, ly, fmt::format("<circle cx=\"8\" cy=\"0\" r=\"6\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>", kOocColor), "out of control");
  LegendItem(out, lx, ly, fmt::format("<line x1=\"8\" x2=\"8\" y1=\"-7\" y2=\"7\" stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"2,2\"/>", kSpecColor), "spec change");
  out += "</svg>\n";
  return out;
}

std::string ComparisonSvg(const Comparison& c) {
  std::vector<const Gap*> rows;
  if (c.overall != nullptr) rows.push_back(c.overall);
  rows.insert(rows.end(), c.rows.begin(), c.rows.end());
  constexpr double kRowH = 24, kTop = 26, kBottom = 30, kPlotW = 420, kValueW = 70;
  double label_w = 80;
  for (const Gap* g : rows) label_w = std::max(label_w, TextWidth(ComparisonLabel(*g)) + 16);
  const double width = label_w + kPlotW + kValueW + 10;
  const double height = kTop + kRowH * static_cast<double>(rows.size()) + kBottom;
  const double plot_bottom = kTop + kRowH * static_cast<double>(rows.size());

  std::vector<double> values;
  for (const Gap* g : rows) values.insert(values.end(), {g->value, g->lo, g->hi, g->target});
  const Scale x{MakeAxis(values), label_w, label_w + kPlotW};

  std::string out;
  OpenSvg(out, width, height,
          fmt::format("{} · {}: per vendor and per class, value with 95% interval against the target", c.pipeline,
                      c.metric));
  for (double t : x.axis.ticks) {
    Put(out, "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2:.1f}\" stroke=\"#e6e6e6\"/>"
             "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
        x(t), kTop, plot_bottom, plot_bottom + 16, TickLabel(x.axis, t));
  }
  double lx = label_w;
  LegendItem(out, lx, 10, "<circle cx=\"8\" cy=\"0\" r=\"5\" fill=\"#9e9e9e\" stroke=\"#333333\"/>",
             "value, coloured by status");
  LegendItem(out, lx, 10, "<path d=\"M0,0H16M0,-5V5M16,-5V5\" stroke=\"#555555\" stroke-width=\"1.5\" fill=\"none\"/>",
             "95% interval");
  LegendItem(out, lx, 10,
             fmt::format("<line x1=\"8\" x2=\"8\" y1=\"-7\" y2=\"7\" stroke=\"{}\" stroke-width=\"2\"/>", kTargetColor),
             "target");
  for (size_t r = 0; r < rows.size(); ++r) {
    const Gap& g = *rows[r];
    const double cy = kTop + kRowH * (static_cast<double>(r) + 0.5);
    const std::string label = ComparisonLabel(g);
    Put(out, "<g class=\"row {}\"><title>{}</title><text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\"{}>{}</text>",
        Name(g.status), EscapeHtml(StatusTitle(g, c.pipeline + " · " + c.metric + " · " + label)), label_w - 8,
        cy + 4, &g == c.overall ? " font-weight=\"bold\"" : "", EscapeHtml(label));
    if (std::isfinite(g.lo) && std::isfinite(g.hi)) {
      Put(out,
          "<path d=\"M{0:.1f},{2:.1f}H{1:.1f}M{0:.1f},{3:.1f}V{4:.1f}M{1:.1f},{3:.1f}V{4:.1f}\" stroke=\"#555555\" "
          "stroke-width=\"1.5\" fill=\"none\"/>",
          x(g.lo), x(g.hi), cy, cy - 5, cy + 5);
    }
    if (std::isfinite(g.target)) {
      Put(out, "<line class=\"target\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
               "stroke-width=\"2\"/>",
          x(g.target), cy - 9, cy + 9, kTargetColor);
    }
    if (std::isfinite(g.value)) {
      Put(out, "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\" stroke=\"#333333\"/>", x(g.value), cy,
          StatusColor(Name(g.status)));
    } else {
      Put(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"#777777\">no data</text>", label_w + 4, cy + 4);
    }
    Put(out, "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text></g>\n", label_w + kPlotW + 8, cy + 4, FormatNumber(g.value));
  }
  out += "</svg>\n";
  return out;
}

std::string OcCurveSvg(const AuditPlanView& plan) {
  constexpr double kWidth = 420, kHeight = 240, kLeft = 48, kRight = 16, kTop = 14, kBottom = 40;
  std::string out;
  OpenSvg(out, kWidth, kHeight,
          fmt::format("OC curve of the {} plan of batch {} ({}): P(accept) against the defective fraction p",
                      plan.kind, plan.batch, plan.plan));
  double pmax = 0;
  for (const auto& [p, pa] : plan.oc) pmax = std::max(pmax, p);
  if (std::isfinite(plan.ltpd)) pmax = std::max(pmax, plan.ltpd);
  if (!(pmax > 0)) pmax = 1;
  Axis xa;
  xa.step = NiceStep(pmax / 4);
  xa.lo = 0;
  xa.hi = std::ceil(pmax / xa.step - 1e-9) * xa.step;
  xa.decimals = std::clamp(static_cast<int>(-std::floor(std::log10(xa.step) + 1e-9)), 0, 6);
  for (double t = 0; t <= xa.hi + xa.step * 1e-6; t += xa.step) xa.ticks.push_back(t);
  Axis ya;
  ya.lo = 0, ya.hi = 1, ya.step = 0.25, ya.decimals = 2, ya.ticks = {0, 0.25, 0.5, 0.75, 1};
  const Scale x{xa, kLeft, kWidth - kRight}, y{ya, kHeight - kBottom, kTop};
  for (double t : ya.ticks) {
    Put(out, "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
             "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        kLeft, kWidth - kRight, y(t), y(t), kLeft - 4, y(t) + 4, TickLabel(ya, t));
  }
  for (double t : xa.ticks) {
    Put(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x(t), kHeight - kBottom + 14,
        TickLabel(xa, t));
  }
  Put(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">defective fraction p of the batch</text>\n",
      (kLeft + kWidth - kRight) / 2, kHeight - 6);
  Put(out, "<text x=\"12\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {:.1f})\">P(accept)</text>\n",
      (kTop + kHeight - kBottom) / 2, (kTop + kHeight - kBottom) / 2);
  // The AQL and LTPD with the risks the plan promises there.
  struct Level {
    double p, promised;
    const char* name;
  };
  for (const Level& l : {Level{plan.aql, 1 - plan.alpha, "AQL"}, Level{plan.ltpd, plan.beta, "LTPD"}}) {
    if (!std::isfinite(l.p)) continue;
    Put(out, "<line class=\"level\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
             "stroke-dasharray=\"4 3\"/><text x=\"{0:.1f}\" y=\"{4:.1f}\" fill=\"{3}\" text-anchor=\"middle\">{5}</text>\n",
        x(l.p), y(0), y(1), kTargetColor, kTop - 3, l.name);
    if (std::isfinite(l.promised)) {
      Put(out, "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"2\">"
               "<title>{} {}: P(accept) promised {} {:.3f}</title></line>\n",
          x(l.p) - 6, x(l.p) + 6, y(l.promised), y(l.promised), kTargetColor, l.name, l.p,
          l.name[0] == 'A' ? "at least" : "at most", l.promised);
    }
  }
  std::string d;
  for (const auto& [p, pa] : plan.oc) Put(d, "{}{:.1f},{:.1f}", d.empty() ? "M" : " L", x(p), y(pa));
  if (!d.empty()) Put(out, "<path class=\"oc\" d=\"{}\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>\n", d);
  for (const auto& [p, pa] : plan.oc) {
    Put(out, "<g class=\"point\"><circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"#000\"/>"
             "<title>p = {:.4f}: P(accept) = {:.4f}</title></g>\n",
        x(p), y(pa), p, pa);
  }
  Put(out, "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#888\"/>"
           "<line x1=\"{0:.1f}\" x2=\"{3:.1f}\" y1=\"{1:.1f}\" y2=\"{1:.1f}\" stroke=\"#888\"/>\n",
      kLeft, y(0), y(1), kWidth - kRight);
  out += "</svg>\n";
  return out;
}

}  // namespace gtops::report

