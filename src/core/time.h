// RFC 3339 timestamps and ISO weeks, in UTC. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gtops {

// Parses an RFC 3339 date-time ("2026-11-01T10:22:31Z", "2026-11-01T10:22:31.250+02:00"; 't' and
// 'z' accepted, as the RFC allows) into milliseconds since the Unix epoch (UTC). Fractions beyond
// milliseconds are truncated. nullopt when the text is not a valid RFC 3339 date-time (a date
// alone, a missing offset, a day or hour out of range, ...).
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

// Formats milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (milliseconds when not zero).
std::string FormatRfc3339(int64_t epoch_ms);

// ISO 8601 week of a UTC instant: "2026-W45".
std::string IsoWeek(int64_t epoch_ms);

}  // namespace gtops
