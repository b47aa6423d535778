// Renderers of the main job's result (docs/run.md, "The report"): pure functions from a
// RunResult to text. No I/O; thread-safe.
#pragma once

#include <string>

#include "report/model.h"

namespace gtops::report {

// `report/gaps.json` and `gtops gaps --json`: {"program", "run_id", "generated_at",
// "gaps": [{"pipeline", "metric", "slice": {...} or null, "vendor": V or null, "target", "value",
// "ci": [lo, hi], "gap", "status", "additional_audits": n or null, "trend", "n", "clusters",
// "method", "from"}], ...}.
std::string RenderGapsJson(const RunResult& result);

// `report/report.md`: the same tables as the HTML report.
std::string RenderMarkdown(const RunResult& result);

// `report/index.html`: one self-contained page (no network, no external scripts, charts as
// inline SVG) that opens from an email attachment.
std::string RenderHtml(const RunResult& result);

}  // namespace gtops::report
