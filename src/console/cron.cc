// The only file that includes date/tz.h (Debian's libhowardhinnant-date-dev:
// IANA zones read from /usr/share/zoneinfo, USE_OS_TZDB); the cron fields
// are parsed by hand (see cron.h for why and for the DST rules).
#include "console/cron.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string_view>

namespace barrage::console {

namespace {

using namespace std::chrono;

struct Field {
  const char* name;
  int lo;
  int hi;
  const char* const* names;  // lo-based names, or null
};

const char* const kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const Field kFields[5] = {{"minute", 0, 59, nullptr},
                          {"hour", 0, 23, nullptr},
                          {"day of month", 1, 31, nullptr},
                          {"month", 1, 12, kMonthNames},
                          {"day of week", 0, 7, kDayNames}};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// A number or (for months and week days) a name; nullopt if neither.
std::optional<int> value_of(const std::string& s, const Field& f) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    if (s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoi(s);
  }
  if (f.names == nullptr) return std::nullopt;
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const int count = f.names == kMonthNames ? 12 : 7;
  for (int i = 0; i < count; ++i) {
    if (lower == f.names[i]) return f.lo + i;
  }
  return std::nullopt;
}

// Sets bits lo..hi of one field from its text; an error message or "".
std::string parse_field(const std::string& text, const Field& f, std::vector<bool>* bits,
                        bool* any) {
  *any = text == "*";
  for (const auto& part : split(text, ',')) {
    const std::string where = std::string(f.name) + " field '" + text + "'";
    if (part.empty()) return where + ": an empty list item";
    std::string range = part;
    int step = 1;
    if (const auto slash = part.find('/'); slash != std::string::npos) {
      range = part.substr(0, slash);
      const std::string s = part.substr(slash + 1);
      if (s.empty() || s.size() > 2 || s.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(s) == 0) {
        return where + ": the step after '/' must be a number from 1 to 99";
      }
      step = std::stoi(s);
    }
    int a = f.lo;
    int b = f.hi == 7 ? 6 : f.hi;  // `*` for week days is 0-6
    if (range != "*") {
      const auto dash = range.find('-');
      const auto first = value_of(range.substr(0, dash), f);
      const auto last = dash == std::string::npos ? first : value_of(range.substr(dash + 1), f);
      if (!first || !last) {
        return fmt::format("{}: '{}' is not {} from {} to {}", where, range,
                           f.names != nullptr ? "a number or a name" : "a number", f.lo, f.hi);
      }
      if (*first < f.lo || *first > f.hi || *last < f.lo || *last > f.hi) {
        return fmt::format("{}: '{}' is outside {}-{}", where, range, f.lo, f.hi);
      }
      if (*first > *last) return fmt::format("{}: the range '{}' goes backwards", where, range);
      a = *first;
      // "5/15" = 5-hi/15 (week days: up to Saturday).
      b = (dash == std::string::npos && step > 1) ? (f.hi == 7 ? 6 : f.hi) : *last;
    }
    for (int v = a; v <= b; v += step) (*bits)[static_cast<size_t>(v)] = true;
  }
  return "";
}

const date::time_zone* zone_of(const std::string& zone) {
  return date::locate_zone(zone);  // throws std::runtime_error when unknown
}

int64_t to_ms(date::sys_seconds t) {
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

Result<CronSpec> parse_cron(const std::string& expr) {
  std::istringstream in(expr);
  std::vector<std::string> parts;
  for (std::string p; in >> p;) parts.push_back(p);
  if (parts.size() != 5) {
    return fail("a cron expression has 5 fields (minute hour day-of-month month day-of-week), '" +
                expr + "' has " + std::to_string(parts.size()));
  }
  CronSpec spec;
  bool any = false;
  for (size_t i = 0; i < 5; ++i) {
    std::vector<bool> bits(static_cast<size_t>(kFields[i].hi) + 1, false);
    if (auto e = parse_field(parts[i], kFields[i], &bits, &any); !e.empty()) {
      return fail(fmt::format("cron expression '{}': {}", expr, e));
    }
    for (size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0:
          spec.minutes.set(v);
          break;
        case 1:
          spec.hours.set(v);
          break;
        case 2:
          spec.days.set(v);
          break;
        case 3:
          spec.months.set(v);
          break;
        default:
          spec.weekdays.set(v % 7);
          break;
      }
    }
    if (i == 2) spec.days_any = any;
    if (i == 4) spec.weekdays_any = any;
  }
  return spec;
}

Status check_zone(const std::string& zone) {
  if (zone.empty() || zone.size() > 64) return fail("timezone must be an IANA time zone name");
  try {
    zone_of(zone);
  } catch (const std::exception&) {
    return fail("unknown time zone '" + zone +
                "': give an IANA name such as Europe/Berlin, America/New_York or UTC");
  }
  return {};
}

std::optional<int64_t> cron_next(const CronSpec& spec, const std::string& zone, int64_t after_ms) {
  const date::time_zone* tz = zone_of(zone);
  const date::sys_seconds after{duration_cast<seconds>(milliseconds(after_ms))};
  const auto local_day = date::floor<date::days>(tz->to_local(after));
  for (int i = 0; i < 366 * 8 + 2; ++i) {
    const date::local_days day = local_day + date::days(i);
    const date::year_month_day ymd(day);
    if (!spec.months.test(static_cast<unsigned>(ymd.month()))) continue;
    const bool dom = spec.days.test(static_cast<unsigned>(ymd.day()));
    const bool dow = spec.weekdays.test(date::weekday(day).c_encoding());
    bool matches;
    if (spec.days_any && spec.weekdays_any) {
      matches = true;
    } else if (spec.days_any) {
      matches = dow;
    } else if (spec.weekdays_any) {
      matches = dom;
    } else {
      matches = dom || dow;  // both restricted: either (Vixie cron)
    }
    if (!matches) continue;
    for (size_t h = 0; h < 24; ++h) {
      if (!spec.hours.test(h)) continue;
      for (size_t m = 0; m < 60; ++m) {
        if (!spec.minutes.test(m)) continue;
        const date::local_seconds t = day + hours(h) + minutes(m);
        const date::local_info info = tz->get_info(t);
        if (info.result == date::local_info::nonexistent) continue;  // skipped by DST: no fire
        // unique, or ambiguous: the first occurrence (the earlier offset).
        const date::sys_seconds fire{t.time_since_epoch() - info.first.offset};
        const int64_t ms = to_ms(fire);
        if (ms > after_ms) return ms;
      }
    }
  }
  return std::nullopt;
}

Result<int64_t> local_time_ms(const std::string& local, const std::string& zone) {
  const std::string bad =
      "'" + local + "': give a local date-time as YYYY-MM-DDTHH:MM (or YYYY-MM-DDTHH:MM:SS)";
  if (local.size() != 16 && local.size() != 19) return fail(bad);
  for (size_t i = 0; i < local.size(); ++i) {
    const char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : '0';
    const char c = local[i];
    if (want == '0' ? !std::isdigit(static_cast<unsigned char>(c)) : c != want) {
      return fail(bad);
    }
  }
  const int y = std::stoi(local.substr(0, 4));
  const unsigned mo = static_cast<unsigned>(std::stoi(local.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(local.substr(8, 2)));
  const int h = std::stoi(local.substr(11, 2));
  const int mi = std::stoi(local.substr(14, 2));
  const int s = local.size() == 19 ? std::stoi(local.substr(17, 2)) : 0;
  const date::year_month_day ymd{date::year(y), date::month(mo), date::day(d)};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59)
    return fail("'" + local + "' is not a valid date-time");
  if (auto ok = check_zone(zone); !ok) return fail(ok.error());
  const date::time_zone* tz = zone_of(zone);
  const date::local_seconds t = date::local_days(ymd) + hours(h) + minutes(mi) + seconds(s);
  const date::local_info info = tz->get_info(t);
  if (info.result == date::local_info::nonexistent) {
    return fail("'" + local + "' does not exist in " + zone +
                " (the clocks skip it when daylight saving time starts)");
  }
  return to_ms(date::sys_seconds{t.time_since_epoch() - info.first.offset});
}

std::string format_local(int64_t ms, const std::string& zone) {
  const date::sys_seconds t{duration_cast<seconds>(milliseconds(ms))};
  return date::format("%FT%T%Ez", date::make_zoned(zone_of(zone), t));
}

std::string format_utc(int64_t ms) {
  const date::sys_seconds t{duration_cast<seconds>(milliseconds(ms))};
  return date::format("%FT%TZ", t);
}

}  // namespace barrage::console
