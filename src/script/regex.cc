#include "script/regex.h"

#include <regex.h>

#include <vector>

namespace barrage::script {

struct Regex::Compiled {
  regex_t re{};
  bool ok = false;  // regfree only what regcomp built
  Compiled() = default;
  Compiled(const Compiled&) = delete;
  Compiled& operator=(const Compiled&) = delete;
  ~Compiled() {
    if (ok) regfree(&re);
  }
};

Regex Regex::compile(const std::string& pattern, std::string_view flags) {
  int cflags = REG_EXTENDED;
  for (const char f : flags) {
    if (f == 'i') {
      cflags |= REG_ICASE;
    } else if (f == 'm') {
      cflags |= REG_NEWLINE;
    } else if (f != 'g') {  // 'g' (global) changes nothing for a first match
      throw RegexError(std::string("unsupported regexp flag '") + f + "' (supported: i, m, g)");
    }
  }
  auto c = std::make_shared<Compiled>();
  if (const int rc = regcomp(&c->re, pattern.c_str(), cflags); rc != 0) {
    char buf[256];
    regerror(rc, &c->re, buf, sizeof buf);
    throw RegexError(std::string("invalid regexp: ") + buf);
  }
  c->ok = true;
  Regex r;
  r.compiled_ = std::move(c);
  return r;
}

int Regex::groups() const { return compiled_ ? static_cast<int>(compiled_->re.re_nsub) : 0; }

std::optional<std::string> Regex::first_match(std::string_view text, int group) const {
  if (!compiled_ || group < 0 || group > groups()) return std::nullopt;
  std::vector<regmatch_t> m(static_cast<size_t>(group) + 1);
  // REG_STARTEND: match within [so, eo) without needing a terminating NUL.
  m[0].rm_so = 0;
  m[0].rm_eo = static_cast<regoff_t>(text.size());
  if (regexec(&compiled_->re, text.data(), m.size(), m.data(), REG_STARTEND) != 0) {
    return std::nullopt;
  }
  const auto& g = m[static_cast<size_t>(group)];
  if (g.rm_so < 0) return std::nullopt;
  return std::string(
      text.substr(static_cast<size_t>(g.rm_so), static_cast<size_t>(g.rm_eo - g.rm_so)));
}

}  // namespace barrage::script
