// Compiled JavaScript regular expressions for `capture`/`match` `regexp` and
// the expect plugin's `matchesRegexp`.
//
// Artillery runs `new RegExp(pattern, flags).exec(body)`, so scripts are
// written in JavaScript's dialect: lookahead and lookbehind, non-greedy
// quantifiers, named groups, \d \w \s, backreferences. barrage matches them
// with PCRE2 (Debian's libpcre2-dev): a packaged, JIT-compiling backtracking
// engine whose syntax is nearly JavaScript's. Not std::regex (ECMAScript
// grammar but no lookbehind or named groups, and it recurses per character,
// so a large body can exhaust the stack), not POSIX regcomp (no lookaround,
// no lazy quantifiers). The pattern is first rewritten where PCRE2 and
// JavaScript read the same text differently (regex.cc says how): `.` and
// `^`/`$` use JavaScript's line terminators, \s JavaScript's white space,
// \v is U+000B, `[` inside a class is literal, an unknown escape such as \A is
// the letter itself, \12 without 12 groups is an octal escape, a
// backreference inside its own group matches empty, and PCRE2-only syntax
// (possessive quantifiers, `(?>`, inline flags) and quantified assertions are
// rejected as JavaScript rejects them. Matching is in UTF-8
// mode (a body that is not valid UTF-8 still matches where it is valid).
//
// Flags, as in JavaScript (each at most once):
//   i  case-insensitive (Unicode case folding)
//   m  ^ and $ match at line terminators too (\n \r U+2028 U+2029)
//   s  `.` matches line terminators too
//   u  Unicode mode: \u{1F600} code point escapes, \p{...} properties,
//      \uD83D\uDE00 surrogate pairs as one code point
//   y  sticky: the match must start at the beginning of the body (Artillery
//      builds a new RegExp per response, so lastIndex is 0)
//   g  global, and d (indices): accepted, they change nothing for the first
//      match Artillery takes
// `v` (unicodeSets) and unknown letters are rejected at load time.
// Differences left: in a repeated group JavaScript resets the inner groups on
// each iteration and discards an iteration that matched the empty string,
// PCRE2 does neither; without `u`, JavaScript sees a character outside the
// Basic Multilingual Plane as two UTF-16 units while barrage sees one code
// point; a lookbehind must have a bounded length in PCRE2 10.42.
//
// Immutable once compiled; copies share it; matching from many threads at
// once is safe (match data is per thread, no lock).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::script {

class RegexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Regex {
 public:
  // JavaScript's RegExp.prototype.exec result: groups[0] is the whole match,
  // groups[n] capture group n, nullopt for a group that did not participate.
  // The views point into the text passed to exec.
  struct Match {
    std::vector<std::optional<std::string_view>> groups;
  };

  Regex() = default;
  // Throws RegexError on a bad pattern or flag.
  static Regex compile(const std::string& pattern, std::string_view flags);
  // The first match in `text` (from its start, as exec with lastIndex 0);
  // nullopt when there is none.
  [[nodiscard]] std::optional<Match> exec(std::string_view text) const;
  // Capture group `group` (0 = whole match) of the first match in `text`;
  // nullopt when there is no match or the group did not participate.
  [[nodiscard]] std::optional<std::string> first_match(std::string_view text, int group) const;
  // Number of capture groups.
  [[nodiscard]] int groups() const;
  // Number of the group named `name`; -1 when there is none.
  [[nodiscard]] int group_number(std::string_view name) const;
  [[nodiscard]] bool has_named_groups() const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

// The pattern PCRE2 compiles for a JavaScript pattern (exposed for tests and
// error messages). Throws RegexError on JavaScript syntax PCRE2 would read
// differently.
std::string translate_js_regex(std::string_view pattern, std::string_view flags);

// Artillery's extractRegExp on the first match in `text`: group 0 the whole
// match; a named group (`named`) that group, nullopt when it did not
// participate; a numbered group that group, or the whole match when the group
// did not participate or is empty (JavaScript's `match[group] || match[0]`).
// nullopt when nothing matches; the empty string when the chosen text is empty.
std::optional<std::string> artillery_regexp_capture(const Regex& re, std::string_view text,
                                                    int group, bool named);

}  // namespace barrage::script
