// JavaScript regular expressions on PCRE2 (see regex.h for why PCRE2).
//
// translate_js_regex is hand-written: PCRE2 has no JavaScript mode, only
// options that cover part of the gap (PCRE2_MATCH_UNSET_BACKREF: a
// backreference to a group that did not participate matches the empty string;
// PCRE2_ALLOW_EMPTY_CLASS: `[]` matches nothing and `[^]` anything). The rest
// is a single pass over the pattern that rewrites the constructs both dialects
// accept but read differently, and rejects PCRE2-only syntax. It rewrites
// \uHHHH, \u{...} and \xHH itself (to PCRE2's \x{...}), so PCRE2_ALT_BSUX
// and PCRE2_EXTRA_ALT_BSUX, which would cover \u but make \x{...} unusable,
// are not set.
#include "script/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <cstdint>
#include <cstdio>

namespace barrage::script {
namespace {

// JavaScript's WhiteSpace and LineTerminator code points (\s), as the body of
// a PCRE2 character class.
constexpr std::string_view kJsSpace =
    R"(\t\n\x{0b}\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff})";
// JavaScript's LineTerminator code points, as a class body.
constexpr std::string_view kJsLineTerminators = R"(\n\r\x{2028}\x{2029})";

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string hex_escape(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%x}", cp);
  return buf;
}

struct Flags {
  bool i = false, m = false, s = false, u = false, y = false;
};

Flags parse_flags(std::string_view flags) {
  Flags f;
  std::string seen;
  for (const char c : flags) {
    if (seen.find(c) != std::string::npos) {
      throw RegexError(std::string("regexp flag '") + c + "' given twice");
    }
    seen.push_back(c);
    switch (c) {
      case 'i':
        f.i = true;
        break;
      case 'm':
        f.m = true;
        break;
      case 's':
        f.s = true;
        break;
      case 'u':
        f.u = true;
        break;
      case 'y':
        f.y = true;
        break;
      case 'g':  // global and indices change nothing for the first match
      case 'd':
        break;
      case 'v':
        throw RegexError(
            "regexp flag 'v' (unicodeSets) is not supported by barrage (use 'u'; supported: d, g, "
            "i, m, s, u, y)");
      default:
        throw RegexError(std::string("unknown regexp flag '") + c +
                         "' (JavaScript's flags supported: d, g, i, m, s, u, y)");
    }
  }
  return f;
}

class Translator {
 public:
  Translator(std::string_view p, Flags f) : p_(p), f_(f) {
    // \k<name> is a named backreference only when the pattern has named
    // groups (or in u mode); otherwise JavaScript reads the letter k. \N is
    // a backreference only up to the number of groups.
    bool in_class = false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i] == '\\') {
        ++i;
      } else if (in_class) {
        in_class = p[i] != ']';
      } else if (p[i] == '[') {
        in_class = true;
      } else if (p[i] == '(') {
        if (i + 1 >= p.size() || p[i + 1] != '?') {
          ++group_count_;
        } else if (i + 3 < p.size() && p[i + 2] == '<' && p[i + 3] != '=' && p[i + 3] != '!') {
          named_ = true;
          ++group_count_;
        }
      }
    }
  }

  std::string run() {
    while (i_ < p_.size()) atom();
    return out_;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw RegexError("invalid regexp at offset " + std::to_string(i_) + ": " + what);
  }

  char peek(size_t ahead = 0) const { return i_ + ahead < p_.size() ? p_[i_ + ahead] : '\0'; }

  // A {n}, {n,} or {n,m} quantifier starting at i_ ('{'); its length or 0.
  size_t brace_quantifier() const {
    size_t j = i_ + 1;
    const size_t start = j;
    while (j < p_.size() && is_digit(p_[j])) ++j;
    if (j == start) return 0;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      while (j < p_.size() && is_digit(p_[j])) ++j;
    }
    if (j < p_.size() && p_[j] == '}') return j + 1 - i_;
    return 0;
  }

  void after_quantifier() {
    if (peek() == '?') {  // lazy
      out_.push_back('?');
      ++i_;
    }
    if (peek() == '+' || peek() == '*' || peek() == '?' ||
        (peek() == '{' && brace_quantifier() != 0)) {
      fail(
          "nothing to repeat (a quantifier after a quantifier; possessive quantifiers are not "
          "JavaScript)");
    }
  }

  [[noreturn]] void nothing_to_repeat() const {
    fail(
        "nothing to repeat (JavaScript quantifies no ^, $, \\b, \\B or lookbehind, and no "
        "lookahead with u)");
  }

  void atom() {
    const char c = p_[i_];
    const bool after_assertion = last_assertion_;
    last_assertion_ = false;
    switch (c) {
      case '\\': {
        const char e = peek(1);
        escape(false);
        last_assertion_ = e == 'b' || e == 'B';
        return;
      }
      case '[':
        char_class();
        return;
      case '.':
        out_ += f_.s ? "(?s:.)" : "[^" + std::string(kJsLineTerminators) + "]";
        ++i_;
        return;
      case '^':
        out_ += f_.m ? "(?<![^" + std::string(kJsLineTerminators) + "])" : std::string("\\A");
        ++i_;
        last_assertion_ = true;
        return;
      case '$':
        out_ += f_.m ? "(?![^" + std::string(kJsLineTerminators) + "])" : std::string("\\z");
        ++i_;
        last_assertion_ = true;
        return;
      case '(':
        group_open();
        return;
      case ')': {
        char kind = 'c';
        if (!open_groups_.empty()) {
          kind = open_groups_.back().kind;
          open_groups_.pop_back();
        }
        out_.push_back(')');
        ++i_;
        last_assertion_ = kind == 'b' || (kind == 'a' && f_.u);
        return;
      }
      case '*':
      case '+':
      case '?':
        if (after_assertion) nothing_to_repeat();
        out_.push_back(c);
        ++i_;
        after_quantifier();
        return;
      case '{':
        if (const size_t n = brace_quantifier(); n != 0) {
          if (after_assertion) nothing_to_repeat();
          out_.append(p_.substr(i_, n));
          i_ += n;
          after_quantifier();
        } else {
          if (f_.u) fail("lone quantifier brackets");
          out_ += "\\{";
          ++i_;
        }
        return;
      case '}':
        if (f_.u) fail("lone quantifier brackets");
        out_ += "\\}";
        ++i_;
        return;
      default:
        out_.push_back(c);
        ++i_;
        return;
    }
  }

  void group_open() {
    if (peek(1) != '?') {
      out_.push_back('(');
      ++i_;
      open_groups_.push_back({'c', ++captures_seen_, {}});
      return;
    }
    const char k = peek(2);
    if (k == ':' || k == '=' || k == '!') {
      open_groups_.push_back({k == ':' ? 'c' : 'a', 0, {}});
      out_.append(p_.substr(i_, 3));
      i_ += 3;
      return;
    }
    if (k == '<' && (peek(3) == '=' || peek(3) == '!')) {
      open_groups_.push_back({'b', 0, {}});
      out_.append(p_.substr(i_, 4));
      i_ += 4;
      return;
    }
    if (k == '<') {  // (?<name>
      const size_t close = p_.find('>', i_ + 3);
      if (close == std::string_view::npos || close == i_ + 3) fail("invalid capture group name");
      for (size_t j = i_ + 3; j < close; ++j) {
        const char ch = p_[j];
        if (!is_letter(ch) && ch != '_' && !(j > i_ + 3 && is_digit(ch))) {
          fail("invalid capture group name (barrage takes ASCII letters, digits and _)");
        }
      }
      out_.append(p_.substr(i_, close + 1 - i_));
      open_groups_.push_back(
          {'c', ++captures_seen_, std::string(p_.substr(i_ + 3, close - i_ - 3))});
      i_ = close + 1;
      return;
    }
    fail(std::string("invalid group '(?") + (k == '\0' ? std::string() : std::string(1, k)) +
         "' (JavaScript groups: (?:, (?=, (?!, (?<=, (?<!, (?<name>)");
  }

  // \u{hex} (u mode), at i_ pointing at 'u'; false when not that form.
  bool unicode_brace_escape() {
    if (!f_.u || peek(1) != '{') return false;
    size_t j = i_ + 2;
    uint32_t cp = 0;
    while (j < p_.size() && is_hex(p_[j])) {
      cp = cp * 16 + static_cast<uint32_t>(std::stoi(std::string(1, p_[j]), nullptr, 16));
      if (cp > 0x10FFFF) fail("\\u{...} beyond U+10FFFF");
      ++j;
    }
    if (j == i_ + 2 || j >= p_.size() || p_[j] != '}') fail("invalid Unicode escape");
    out_ += hex_escape(cp);
    i_ = j + 1;
    return true;
  }

  // \uHHHH at i_ ('u'); with u, a surrogate pair \uHHHH\uHHHH is one code point.
  bool unicode_escape() {
    for (size_t k = 1; k <= 4; ++k) {
      if (!is_hex(peek(k))) return false;
    }
    const auto unit = [&](size_t at) {
      return static_cast<uint32_t>(std::stoul(std::string(p_.substr(at, 4)), nullptr, 16));
    };
    uint32_t cp = unit(i_ + 1);
    i_ += 5;
    if (cp >= 0xD800 && cp <= 0xDBFF && f_.u && peek() == '\\' && peek(1) == 'u' &&
        is_hex(peek(2)) && is_hex(peek(3)) && is_hex(peek(4)) && is_hex(peek(5))) {
      const uint32_t low = unit(i_ + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i_ += 6;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      fail("a lone surrogate \\u escape cannot match UTF-8 text");
    }
    out_ += hex_escape(cp);
    return true;
  }

  // \p{...} / \P{...} (u mode) at i_ ('p' or 'P'): JavaScript's
  // Name=Value forms in PCRE2's spelling.
  void property_escape() {
    const char p = p_[i_];
    if (peek(1) != '{') fail("invalid property name");
    const size_t close = p_.find('}', i_ + 2);
    if (close == std::string_view::npos) fail("invalid property name");
    std::string body(p_.substr(i_ + 2, close - i_ - 2));
    if (const size_t eq = body.find('='); eq != std::string::npos) {
      const std::string name = body.substr(0, eq);
      const std::string value = body.substr(eq + 1);
      if (name == "General_Category" || name == "gc") {
        body = value;
      } else if (name == "Script" || name == "sc") {
        body = "sc:" + value;
      } else if (name == "Script_Extensions" || name == "scx") {
        body = "scx:" + value;
      } else {
        fail("invalid property name '" + name + "'");
      }
    }
    out_ += '\\';
    out_ += p;
    out_ += '{' + body + '}';
    i_ = close + 1;
  }

  // Backreference `number` or `name`. Inside the group it names, JavaScript
  // always sees that group unset (it is reset on each iteration), so it
  // matches the empty string. Wrapped in (?:...): PCRE2 10.42's JIT fails a
  // quantified backreference to an unset group (\1{1,2}) that its
  // interpreter and JavaScript match as empty.
  void backreference(int number, std::string_view name) {
    for (const OpenGroup& g : open_groups_) {
      if (g.kind == 'c' &&
          ((number > 0 && g.number == number) || (!name.empty() && g.name == name))) {
        out_ += "(?:)";
        return;
      }
    }
    if (number > 0) {
      out_ += "(?:\\g{" + std::to_string(number) + "})";
    } else {
      out_ += "(?:\\k<" + std::string(name) + ">)";
    }
  }

  // An escape at i_ ('\\'), inside a class or not.
  void escape(bool in_class) {
    if (i_ + 1 >= p_.size()) fail("\\ at end of pattern");
    ++i_;  // now at the escaped character
    const char c = p_[i_];
    switch (c) {
      case 's':
        out_ += in_class ? std::string(kJsSpace) : "[" + std::string(kJsSpace) + "]";
        ++i_;
        return;
      case 'S':  // inside a class, char_class handles it before calling here
        out_ += "[^" + std::string(kJsSpace) + "]";
        ++i_;
        return;
      case 'v':
        out_ += "\\x{0b}";
        ++i_;
        return;
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 'n':
      case 'r':
      case 't':
      case 'f':
      case '0':
        out_ += '\\';
        out_ += c;
        ++i_;
        return;
      case 'b':
      case 'B':
        if (in_class && c == 'B') break;  // a letter inside a class
        out_ += '\\';
        out_ += c;
        ++i_;
        return;
      case 'c':
        if (is_letter(peek(1))) {
          out_ += "\\c";
          out_ += peek(1);
          i_ += 2;
          return;
        }
        if (f_.u) fail("invalid \\c escape");
        out_ += "\\\\";  // JavaScript reads a backslash, then c
        return;
      case 'x':
        if (is_hex(peek(1)) && is_hex(peek(2))) {
          out_ += "\\x";
          out_.append(p_.substr(i_ + 1, 2));
          i_ += 3;
          return;
        }
        if (f_.u) fail("invalid \\x escape");
        break;  // the letter x
      case 'u':
        if (unicode_brace_escape() || unicode_escape()) return;
        if (f_.u) fail("invalid Unicode escape");
        break;  // the letter u
      case 'p':
      case 'P':
        if (f_.u) {
          property_escape();
          return;
        }
        break;
      case 'k':
        if (!in_class && (named_ || f_.u)) {
          const size_t close = p_.find('>', i_);
          if (peek(1) != '<' || close == std::string_view::npos) fail("invalid named reference");
          backreference(0, p_.substr(i_ + 2, close - i_ - 2));
          i_ = close + 1;
          return;
        }
        break;
      default:
        if (is_digit(c)) {
          if (in_class && f_.u) fail("invalid class escape");
          size_t j = i_;
          while (j < p_.size() && is_digit(p_[j])) ++j;
          const std::string digits(p_.substr(i_, j - i_));
          if (!in_class && digits.size() <= 3 && std::stoi(digits) <= group_count_) {
            backreference(std::stoi(digits), {});
            i_ = j;
            return;
          }
          if (f_.u) fail("backreference to a group that does not exist");
          // No such group: JavaScript reads a legacy octal escape (\12 is
          // U+000A), or the digit 8 or 9 itself.
          if (c >= '8') break;
          uint32_t octal = 0;
          size_t k = i_;
          while (k < p_.size() && k < i_ + 3 && p_[k] >= '0' && p_[k] <= '7' &&
                 octal * 8 + static_cast<uint32_t>(p_[k] - '0') <= 0377) {
            octal = octal * 8 + static_cast<uint32_t>(p_[k] - '0');
            ++k;
          }
          out_ += hex_escape(octal);
          i_ = k;
          return;
        }
        if (!is_letter(c)) {  // an escaped punctuation or other character: itself
          if (static_cast<unsigned char>(c) >= 0x80) {
            if (f_.u) fail("invalid escape");
            return;  // the backslash is dropped, the character follows as itself
          }
          out_ += '\\';
          out_ += c;
          ++i_;
          return;
        }
        break;
    }
    // An identity escape of a letter: JavaScript (without u) reads the letter.
    if (f_.u) fail(std::string("invalid escape \\") + c);
    out_ += c;
    ++i_;
  }

  void char_class() {
    ++i_;  // '['
    bool negated = false;
    if (peek() == '^') {
      negated = true;
      ++i_;
    }
    std::string saved;
    saved.swap(out_);  // the class body is built in out_
    bool has_not_space = false;
    // A class escape (\d, \w, \s...) cannot end a range: next to one, `-` is
    // itself (JavaScript without u; PCRE2 would reject the range).
    const auto class_escape_at = [&](size_t at) {
      if (at + 1 >= p_.size() || p_[at] != '\\') return false;
      const char e = p_[at + 1];
      return std::string_view("dDwWsS").find(e) != std::string_view::npos ||
             (f_.u && (e == 'p' || e == 'P'));
    };
    bool after_class_escape = false;
    for (;;) {
      if (i_ >= p_.size()) fail("unterminated character class");
      const char c = p_[i_];
      if (c == ']') {
        ++i_;
        break;
      }
      const bool class_escape = class_escape_at(i_);
      if (c == '-' && (after_class_escape || class_escape_at(i_ + 1)) && peek(1) != ']') {
        if (f_.u) fail("a character class escape cannot be a range's end");
        out_ += "\\-";
        ++i_;
      } else if (c == '\\') {
        if (peek(1) == 'S') {
          has_not_space = true;
          i_ += 2;
          after_class_escape = true;
          continue;
        }
        escape(true);
      } else if (c == '[') {  // PCRE2 would read [:alpha:] here; JavaScript a bracket
        out_ += "\\[";
        ++i_;
      } else {
        out_.push_back(c);
        ++i_;
      }
      after_class_escape = class_escape;
    }
    std::string body;
    body.swap(out_);
    out_.swap(saved);
    const std::string space(kJsSpace);
    if (!has_not_space && body.empty()) {  // [^] any character, [] none
      out_ += negated ? "(?s:.)" : "(?!)";
    } else if (!has_not_space) {
      out_ += (negated ? "[^" : "[") + body + "]";
    } else if (!negated) {  // [...\S]: the class or a non-space
      out_ += "(?:[" + body + "]|[^" + space + "])";
    } else {  // [^...\S]: a space not in the class
      out_ += "(?:(?![" + body + "])[" + space + "])";
    }
  }

  std::string_view p_;
  Flags f_;
  bool named_ = false;
  int group_count_ = 0;
  bool last_assertion_ = false;  // the atom just emitted is an assertion
  struct OpenGroup {
    char kind;         // 'c' a group, 'a' a lookahead, 'b' a lookbehind
    int number;        // a capturing group's number, else 0
    std::string name;  // a named group's name
  };
  std::vector<OpenGroup> open_groups_;
  int captures_seen_ = 0;
  size_t i_ = 0;
  std::string out_;
};

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

}  // namespace

std::string translate_js_regex(std::string_view pattern, std::string_view flags) {
  return Translator(pattern, parse_flags(flags)).run();
}

struct Regex::Compiled {
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  int groups = 0;
  int names = 0;
};

Regex Regex::compile(const std::string& pattern, std::string_view flags) {
  const Flags f = parse_flags(flags);
  const std::string translated = Translator(pattern, f).run();
  uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_MATCH_UNSET_BACKREF |
                     PCRE2_ALLOW_EMPTY_CLASS | PCRE2_NEVER_BACKSLASH_C;
  if (f.i) options |= PCRE2_CASELESS;
  if (f.y) options |= PCRE2_ANCHORED;
  int error = 0;
  PCRE2_SIZE offset = 0;
  auto c = std::make_shared<Compiled>();
  c->code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                              options, &error, &offset, nullptr));
  if (!c->code) {
    std::array<PCRE2_UCHAR, 256> buf{};
    pcre2_get_error_message(error, buf.data(), buf.size());
    throw RegexError(std::string("invalid regexp: ") + reinterpret_cast<const char*>(buf.data()));
  }
  // JIT when this PCRE2 has it; pcre2_match falls back to the interpreter
  // by itself when it has not.
  (void)pcre2_jit_compile(c->code.get(), PCRE2_JIT_COMPLETE);
  uint32_t count = 0;
  pcre2_pattern_info(c->code.get(), PCRE2_INFO_CAPTURECOUNT, &count);
  c->groups = static_cast<int>(count);
  pcre2_pattern_info(c->code.get(), PCRE2_INFO_NAMECOUNT, &count);
  c->names = static_cast<int>(count);
  Regex r;
  r.compiled_ = std::move(c);
  return r;
}

int Regex::groups() const { return compiled_ ? compiled_->groups : 0; }

bool Regex::has_named_groups() const { return compiled_ && compiled_->names > 0; }

int Regex::group_number(std::string_view name) const {
  if (!compiled_) return -1;
  const std::string n(name);
  const int rc = pcre2_substring_number_from_name(compiled_->code.get(),
                                                  reinterpret_cast<PCRE2_SPTR>(n.c_str()));
  return rc > 0 ? rc : -1;
}

std::optional<Regex::Match> Regex::exec(std::string_view text) const {
  if (!compiled_) return std::nullopt;
  // One match data per thread, grown to the largest pattern seen.
  thread_local std::unique_ptr<pcre2_match_data, MatchDataDeleter> data;
  thread_local uint32_t pairs = 0;
  const auto need = static_cast<uint32_t>(compiled_->groups + 1);
  if (!data || pairs < need) {
    data.reset(pcre2_match_data_create(need, nullptr));
    if (!data) throw std::bad_alloc();
    pairs = need;
  }
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  int rc = pcre2_match(compiled_->code.get(), subject, text.size(), 0, 0, data.get(), nullptr);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {  // deep backtracking: the interpreter's heap frames
    rc = pcre2_match(compiled_->code.get(), subject, text.size(), 0, PCRE2_NO_JIT, data.get(),
                     nullptr);
  }
  // No match, or a match or heap limit reached: no value either way.
  if (rc <= 0) return std::nullopt;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
  Match m;
  m.groups.resize(need);
  for (uint32_t g = 0; g < need && g < static_cast<uint32_t>(rc); ++g) {
    if (ov[2 * g] == PCRE2_UNSET) continue;
    m.groups[g] = text.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
  }
  return m;
}

std::optional<std::string> Regex::first_match(std::string_view text, int group) const {
  if (group < 0 || group > groups()) return std::nullopt;
  const auto m = exec(text);
  if (!m || !m->groups[static_cast<size_t>(group)]) return std::nullopt;
  return std::string(*m->groups[static_cast<size_t>(group)]);
}

std::optional<std::string> artillery_regexp_capture(const Regex& re, std::string_view text,
                                                    int group, bool named) {
  const auto m = re.exec(text);
  if (!m) return std::nullopt;
  if (group > 0 && static_cast<size_t>(group) < m->groups.size()) {
    const auto& g = m->groups[static_cast<size_t>(group)];
    if (named) return g ? std::optional<std::string>(std::string(*g)) : std::nullopt;
    if (g && !g->empty()) return std::string(*g);
  }
  return std::string(m->groups[0].value_or(std::string_view{}));
}

}  // namespace barrage::script
