// CSV data for `config.payload`: a file mapped once and indexed by record,
// shared read-only by every shard (Plan holds a shared_ptr), so a 1 GB file
// costs its index (about 4 bytes per record) and no copy per shard.
//
// Hand-written rather than a library: no small packaged C++ CSV reader
// indexes a memory-mapped file without copying it, and the format Artillery
// reads (csv-parse defaults) is small: fields separated by one delimiter
// character, records ended by \n, \r\n or \r, fields optionally quoted with
// `"` where `""` stands for one quote and quoted fields may hold delimiters
// and line breaks. Differences from csv-parse: a quote inside an unquoted
// field is kept as text (csv-parse fails), records may have different field
// counts (missing fields are left unset), and a UTF-8 BOM is dropped.
//
// This header must not use <expected> (clang 14 builds it for fuzzing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::script {

struct CsvOptions {
  char delimiter = ',';
  bool skip_header = false;  // drop the first record
  bool skip_empty_lines =
      true;  // Artillery's default; false makes an empty line a record of one ""
};

class CsvError : public std::runtime_error {
 public:
  CsvError(const std::string& message, size_t line) : std::runtime_error(message), line_(line) {}
  // 1-based line in the CSV text where the problem is.
  [[nodiscard]] size_t line() const { return line_; }

 private:
  size_t line_;
};

class CsvData {
 public:
  // Maps and indexes the file. Throws CsvError for malformed CSV (line set)
  // and for I/O problems (line 0, message names the system error).
  static std::shared_ptr<const CsvData> open(const std::string& path, const CsvOptions& options);
  // Indexes text held in memory (tests, fuzzing). Same errors as open().
  static std::shared_ptr<const CsvData> from_string(std::string text, const CsvOptions& options);

  CsvData(const CsvData&) = delete;
  CsvData& operator=(const CsvData&) = delete;
  ~CsvData();

  [[nodiscard]] size_t rows() const noexcept { return rows_; }
  // The fields of record i (0 <= i < rows()), unquoted, into `out` (cleared
  // first). Thread-safe: reads only the shared mapping.
  void row(size_t i, std::vector<std::string>& out) const;
  // Bytes of CSV text (the mapped file's size).
  [[nodiscard]] size_t bytes() const noexcept { return size_; }

 private:
  CsvData() = default;
  void index(const CsvOptions& options);
  [[nodiscard]] uint64_t offset(size_t i) const noexcept {
    return block_base_[i / kBlock] + blocks_[i / kBlock][i % kBlock];
  }

  static constexpr size_t kBlock = 1024;  // records per 64-bit base offset

  const char* data_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;  // mmap'ed region, or nullptr
  size_t map_size_ = 0;
  std::string owned_;  // from_string: the text itself
  char delimiter_ = ',';
  size_t rows_ = 0;
  // Offsets of record i: block_base_[i / kBlock] + blocks_[i / kBlock][i % kBlock].
  // Fixed-size blocks, so growing the index never copies it (no 2x peak).
  std::vector<uint64_t> block_base_;
  std::vector<std::unique_ptr<uint32_t[]>> blocks_;
};

// csv-parse's `cast: true` as Artillery uses it: a field that JavaScript reads
// as a finite number (`value - parseFloat(value) + 1 >= 0`) becomes that
// number, printed as JavaScript prints numbers ("007" -> "7", "1.50" -> "1.5",
// "1e3" -> "1000"); anything else (including true/false and "") is unchanged.
std::string csv_cast(std::string_view field);
// The number text csv_cast would produce, or nullopt when `field` stays text.
std::optional<std::string> csv_number(std::string_view field);

}  // namespace barrage::script
