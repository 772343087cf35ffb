// Durations as written in scripts: `duration: 30`, `pause: "5s"`, `think: "500ms"`.
#pragma once

#include <optional>
#include <string_view>

namespace barrage::script {

// Parses a non-negative duration and returns it in seconds.
//
// Accepted forms (surrounding whitespace ignored):
//   "30", "1.5"              a bare number: seconds (Artillery's phase semantics;
//                            note that the `ms` library would read "30" as 30 ms)
//   "500ms", "30s", "5m", "1h", "2d", "1.5s", "2 m"
//                            a number followed by a unit; long unit names are
//                            accepted too (msec(s), millisecond(s), sec(s),
//                            second(s), min(s), minute(s), hr(s), hour(s), day(s))
//   "2m30s", "1h 30m"        several number+unit terms, summed
// Returns nullopt for anything else: empty text, negative or non-finite values,
// unknown units, a bare number mixed with unit terms ("2m30").
std::optional<double> parse_duration_s(std::string_view text);

}  // namespace barrage::script
