// Fuzzes the CSV payload reader. The first byte picks the options (delimiter,
// skipHeader, skipEmptyLines); the rest is the CSV text. Indexing may throw
// CsvError only; reading every indexed row and casting its fields must not
// throw at all, and a row never has more fields than the text has bytes + 1.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "script/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using barrage::script::CsvData;
  using barrage::script::CsvOptions;
  if (size == 0) return 0;
  CsvOptions options;
  options.delimiter = (data[0] & 1) != 0 ? ';' : ',';
  options.skip_header = (data[0] & 2) != 0;
  options.skip_empty_lines = (data[0] & 4) == 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::shared_ptr<const CsvData> csv;
  try {
    csv = CsvData::from_string(text, options);
  } catch (const barrage::script::CsvError& e) {
    if (e.line() == 0 || e.line() > text.size() + 1) __builtin_trap();
    return 0;
  }
  if (csv->rows() > text.size() + 1) __builtin_trap();
  std::vector<std::string> row;
  for (size_t i = 0; i < csv->rows(); ++i) {
    csv->row(i, row);
    if (row.empty() || row.size() > text.size() + 1) __builtin_trap();
    for (const auto& field : row) (void)barrage::script::csv_cast(field);
  }
  return 0;
}
