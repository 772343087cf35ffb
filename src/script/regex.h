// Compiled regular expressions for `capture: { regexp: ... }`.
//
// POSIX extended syntax (glibc's regcomp/regexec), not JavaScript's: the
// standard library's std::regex recurses per character and can exhaust the
// stack on a large response body, and no packaged PCRE-compatible engine is
// wanted in the data plane yet. Flags: `i` (case-insensitive) and `m`
// (newline-sensitive anchors); others are rejected at load time.
// Immutable once compiled; copies share it. glibc serializes concurrent
// regexec calls on one pattern with an internal lock.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace barrage::script {

class RegexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Regex {
 public:
  Regex() = default;
  // Throws RegexError on a bad pattern or flag.
  static Regex compile(const std::string& pattern, std::string_view flags);
  // Capture group `group` (0 = whole match) of the first match in `text`;
  // nullopt when there is no match or the group did not participate.
  [[nodiscard]] std::optional<std::string> first_match(std::string_view text, int group) const;
  [[nodiscard]] int groups() const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace barrage::script
