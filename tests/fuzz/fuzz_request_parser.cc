// Fuzzes http::RequestParser (the demo target's). Differential: the same bytes
// fed at once and in pieces (split size from the first input byte, the buffer
// reallocating as it grows) must give the same sequence of pipelined requests
// and the same final outcome; a complete request's path and query must lie
// inside its target. Its views point into the parser, so the moving input
// buffer cannot leave them dangling (the asan-ubsan build checks that too).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.h"

namespace {

using barrage::http::Request;
using barrage::http::RequestLimits;
using barrage::http::RequestParser;
using State = RequestParser::State;

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// One line per complete request, then the final status.
std::vector<std::string> run(std::string_view data, size_t chunk) {
  RequestLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_headers = 16;
  limits.max_body_bytes = 4096;
  RequestParser parser(limits);
  std::vector<std::string> out;
  std::string buf;
  size_t fed = 0;
  size_t start = 0;
  for (;;) {
    const std::string_view in = std::string_view(buf).substr(start);
    const State status = parser.parse(in);
    if (status == State::kComplete) {
      const Request& r = parser.request();
      if (parser.consumed() == 0 || parser.consumed() > in.size()) std::abort();
      if (r.method.empty() || !inside(r.path, r.target) || !inside(r.query, r.target)) {
        std::abort();
      }
      std::string line(r.method);
      line += ' ';
      line += r.target;
      for (const auto& h : r.headers) {
        line += '|';
        line += h.name;
        line += ':';
        line += h.value;
      }
      line += r.keep_alive ? " ka " : " close ";
      line += r.body;
      out.push_back(std::move(line));
      start += parser.consumed();
      parser.reset();
      continue;
    }
    if (status == State::kError) {
      out.push_back("error " + std::to_string(barrage::http::status_for(parser.error())) + " " +
                    barrage::http::error_name(parser.error()));
      return out;
    }
    if (fed == data.size()) {
      out.push_back("incomplete");
      return out;
    }
    const size_t n = std::min(chunk, data.size() - fed);
    buf.append(data.substr(fed, n));
    buf.shrink_to_fit();  // force the buffer to move, as a connection's may
    fed += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 23;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (run(input, input.size() + 1) != run(input, chunk)) std::abort();
  return 0;
}
