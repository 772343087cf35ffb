// Fire times of the console's schedules: a 5-field cron expression or one
// local date-time, in an IANA time zone. Time zones come from Debian's
// libhowardhinnant-date-dev (date/tz.h, built on the system's
// /usr/share/zoneinfo; g++ 12's <chrono> has no time zones); its heavy
// headers stay in cron.cc. The cron fields are parsed here (no Debian
// library parses cron expressions): minute hour day-of-month month
// day-of-week, each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`,
// or a list of those; months and week days also by name (jan, mon); week day
// 0 and 7 are Sunday. When both day fields are restricted a day matches
// either (as in Vixie cron).
//
// Daylight saving time (docs/console.md, "Schedules"):
// - a local time that does not exist that day (skipped when clocks go
//   forward) does not fire that day;
// - a local time that happens twice (clocks go back) fires once, at its
//   first occurrence.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace barrage::console {

struct CronSpec {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;      // 1..31
  std::bitset<13> months;    // 1..12
  std::bitset<7> weekdays;   // 0 = Sunday
  bool days_any = true;      // day-of-month was `*`
  bool weekdays_any = true;  // day-of-week was `*`
};

// Parses "m h dom mon dow"; the error names the field and the bad part.
Result<CronSpec> parse_cron(const std::string& expr);

// An error unless `zone` is an IANA time zone of the system's database.
Status check_zone(const std::string& zone);

// The first fire time strictly after `after_ms` (Unix ms, UTC), or nullopt
// when there is none within 8 years (e.g. "0 0 30 2 *"). `zone` must have
// passed check_zone.
std::optional<int64_t> cron_next(const CronSpec& spec, const std::string& zone, int64_t after_ms);

// A local date-time "YYYY-MM-DDTHH:MM" (or with ":SS") in `zone`, as Unix
// ms. A time that does not exist there (a DST gap) is an error; one that
// happens twice is its first occurrence.
Result<int64_t> local_time_ms(const std::string& local, const std::string& zone);

// `ms` as an ISO 8601 local time with its offset in `zone`
// ("2026-03-29T03:30:00+02:00"), for previews and listings.
std::string format_local(int64_t ms, const std::string& zone);
// `ms` as ISO 8601 UTC ("2026-03-29T01:30:00Z").
std::string format_utc(int64_t ms);

}  // namespace barrage::console
