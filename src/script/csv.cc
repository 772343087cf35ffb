#include "script/csv.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace barrage::script {

namespace {

struct Scan {
  const char* data;
  size_t size;
  char delimiter;
  size_t line = 1;  // line of `pos` (counted only while indexing)
};

bool at_eol(char c) { return c == '\n' || c == '\r'; }

// Past the record terminator at pos (\n, \r\n or \r); pos must be at one.
size_t skip_eol(const Scan& s, size_t pos) {
  if (s.data[pos] == '\r' && pos + 1 < s.size && s.data[pos + 1] == '\n') return pos + 2;
  return pos + 1;
}

// Parses one record starting at `pos` (not at EOF). Appends its fields to
// `out` when given. Returns the position after the record's terminator (or
// the end). Throws CsvError on an unclosed quote or text after a closing quote.
size_t parse_record(Scan& s, size_t pos, std::vector<std::string>* out) {
  for (;;) {
    std::string* field = nullptr;
    if (out != nullptr) field = &out->emplace_back();
    if (pos < s.size && s.data[pos] == '"') {
      const size_t quote_line = s.line;
      ++pos;
      for (;;) {
        const void* q = std::memchr(s.data + pos, '"', s.size - pos);
        if (q == nullptr) throw CsvError("unclosed quoted field", quote_line);
        const size_t at = static_cast<size_t>(static_cast<const char*>(q) - s.data);
        if (field != nullptr) field->append(s.data + pos, at - pos);
        for (size_t i = pos; i < at; ++i) s.line += s.data[i] == '\n' ? 1 : 0;
        pos = at + 1;
        if (pos < s.size && s.data[pos] == '"') {  // "" inside quotes: one quote
          if (field != nullptr) *field += '"';
          ++pos;
          continue;
        }
        break;
      }
      if (pos < s.size && s.data[pos] != s.delimiter && !at_eol(s.data[pos])) {
        throw CsvError(fmt::format("unexpected character '{}' after a closing quote", s.data[pos]),
                       s.line);
      }
    } else {
      const size_t start = pos;
      while (pos < s.size && s.data[pos] != s.delimiter && !at_eol(s.data[pos])) ++pos;
      if (field != nullptr) field->assign(s.data + start, pos - start);
    }
    if (pos >= s.size) return pos;
    if (s.data[pos] == s.delimiter) {
      ++pos;
      continue;
    }
    ++s.line;
    return skip_eol(s, pos);
  }
}

}  // namespace

std::shared_ptr<const CsvData> CsvData::open(const std::string& path, const CsvOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw CsvError(fmt::format("cannot open: {}", std::strerror(errno)), 0);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd);
    throw CsvError(S_ISDIR(st.st_mode) ? std::string("cannot open: it is a directory")
                                       : fmt::format("cannot read: {}", std::strerror(err)),
                   0);
  }
  std::shared_ptr<CsvData> csv(new CsvData());
  csv->delimiter_ = options.delimiter;
  if (st.st_size > 0) {
    const auto size = static_cast<size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    if (map == MAP_FAILED) throw CsvError(fmt::format("cannot map: {}", std::strerror(err)), 0);
    csv->map_ = map;
    csv->map_size_ = size;
    csv->data_ = static_cast<const char*>(map);
    csv->size_ = size;
    ::madvise(map, size, MADV_SEQUENTIAL);
  } else {
    ::close(fd);
  }
  csv->index(options);
  if (csv->map_ != nullptr) {
    // Rows are read at random from now on; drop the pages the scan touched so
    // the process holds only the index (the kernel's page cache keeps the file).
    ::madvise(csv->map_, csv->map_size_, MADV_DONTNEED);
    ::madvise(csv->map_, csv->map_size_, MADV_RANDOM);
  }
  return csv;
}

std::shared_ptr<const CsvData> CsvData::from_string(std::string text, const CsvOptions& options) {
  std::shared_ptr<CsvData> csv(new CsvData());
  csv->delimiter_ = options.delimiter;
  csv->owned_ = std::move(text);
  csv->data_ = csv->owned_.data();
  csv->size_ = csv->owned_.size();
  csv->index(options);
  return csv;
}

CsvData::~CsvData() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

void CsvData::index(const CsvOptions& options) {
  if (data_ == nullptr || size_ == 0) return;  // an empty file has no rows
  Scan s{data_, size_, delimiter_};
  size_t pos = 0;
  if (size_ >= 3 && std::memcmp(data_, "\xEF\xBB\xBF", 3) == 0) pos = 3;
  bool header_pending = options.skip_header;
  uint64_t base = 0;
  // A mapped file is dropped from this process behind the scan, so indexing
  // a large file never holds more than a window of it in memory.
  constexpr size_t kDropWindow = 16u << 20;
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t dropped = 0;
  while (pos < size_) {
    if (map_ != nullptr && pos - dropped >= 2 * kDropWindow) {
      const size_t upto = (pos - kDropWindow) / page * page;
      ::madvise(static_cast<char*>(map_) + dropped, upto - dropped, MADV_DONTNEED);
      dropped = upto;
    }
    if (options.skip_empty_lines && at_eol(data_[pos])) {
      ++s.line;
      pos = skip_eol(s, pos);
      continue;
    }
    const size_t start = pos;
    pos = parse_record(s, pos, nullptr);
    if (header_pending) {
      header_pending = false;
      continue;
    }
    if (rows_ % kBlock == 0) {
      base = start;
      block_base_.push_back(base);
      blocks_.push_back(std::make_unique_for_overwrite<uint32_t[]>(kBlock));
    }
    const uint64_t rel = start - base;
    if (rel > std::numeric_limits<uint32_t>::max()) {
      throw CsvError(fmt::format("records too long (more than 4 GiB in {} records)", kBlock),
                     s.line);
    }
    blocks_.back()[rows_ % kBlock] = static_cast<uint32_t>(rel);
    ++rows_;
  }
  block_base_.shrink_to_fit();
  blocks_.shrink_to_fit();
}

void CsvData::row(size_t i, std::vector<std::string>& out) const {
  out.clear();
  if (i >= rows_) return;
  Scan s{data_, size_, delimiter_};
  // Indexing validated every record, so parsing again cannot throw.
  parse_record(s, static_cast<size_t>(offset(i)), &out);
}

namespace {

bool is_js_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

size_t digits_at(std::string_view s, size_t i) {
  size_t n = 0;
  while (i + n < s.size() && s[i + n] >= '0' && s[i + n] <= '9') ++n;
  return n;
}

// Length of the longest prefix of s that is a JavaScript StrDecimalLiteral
// ([+-] Infinity | digits[.digits][e[+-]digits] | .digits[e...]); 0 if none.
size_t decimal_prefix(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (s.substr(i).starts_with("Infinity")) return i + 8;
  const size_t int_digits = digits_at(s, i);
  i += int_digits;
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    frac_digits = digits_at(s, i + 1);
    if (int_digits > 0 || frac_digits > 0) i += 1 + frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const size_t exp_digits = digits_at(s, j);
    if (exp_digits > 0) i = j + exp_digits;
  }
  return i;
}

double to_double(std::string_view literal) {
  if (literal.ends_with("Infinity")) {
    return literal.front() == '-' ? -std::numeric_limits<double>::infinity()
                                  : std::numeric_limits<double>::infinity();
  }
  const std::string copy(literal);
  return std::strtod(copy.c_str(), nullptr);
}

// JavaScript's Number(string); NaN when not a number.
double js_number(std::string_view s) {
  while (!s.empty() && is_js_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_js_space(s.back())) s.remove_suffix(1);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    int radix = 0;
    if (s[1] == 'x' || s[1] == 'X') radix = 16;
    if (s[1] == 'o' || s[1] == 'O') radix = 8;
    if (s[1] == 'b' || s[1] == 'B') radix = 2;
    if (radix != 0) {
      double v = 0;
      for (const char c : s.substr(2)) {
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        if (d < 0 || d >= radix) return std::numeric_limits<double>::quiet_NaN();
        v = v * radix + d;
      }
      return v;
    }
  }
  if (decimal_prefix(s) != s.size()) return std::numeric_limits<double>::quiet_NaN();
  return to_double(s);
}

// JavaScript's parseFloat(string); NaN when no number prefix.
double js_parse_float(std::string_view s) {
  while (!s.empty() && is_js_space(s.front())) s.remove_prefix(1);
  const size_t n = decimal_prefix(s);
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return to_double(s.substr(0, n));
}

// Number.prototype.toString() for a finite double.
std::string js_number_string(double v) {
  if (v == 0) return "0";
  std::string out;
  if (v < 0) {
    out += '-';
    v = -v;
  }
  std::array<char, 64> buf{};
  const auto r =
      std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  const std::string_view sci(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
  const size_t e = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits x 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += fmt::format("e{}{}", n - 1 >= 0 ? "+" : "-", std::abs(n - 1));
  }
  return out;
}

}  // namespace

std::optional<std::string> csv_number(std::string_view field) {
  const double number = js_number(field);
  const double parsed = js_parse_float(field);
  // NaN and infinities fail the comparison, as in JavaScript.
  if (!(number - parsed + 1 >= 0) || !std::isfinite(parsed)) return std::nullopt;
  return js_number_string(parsed);
}

std::string csv_cast(std::string_view field) {
  if (auto n = csv_number(field)) return std::move(*n);
  return std::string(field);
}

}  // namespace barrage::script
