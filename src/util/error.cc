#include "util/error.h"

namespace barrage {

Error Error::at(std::string file, int line, int column, std::string message) {
  Error error;
  error.message = std::move(message);
  error.file = std::move(file);
  error.line = line;
  error.column = column;
  return error;
}

std::string Error::describe() const {
  if (file.empty()) return message;
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

Error Error::with_context(const std::string& context) const {
  Error copy = *this;
  copy.message = context + ": " + message;
  return copy;
}

}  // namespace barrage
