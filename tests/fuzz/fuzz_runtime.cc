// Fuzzes what a Lambda worker reads from the Runtime API: the input is an HTTP
// response as the transport hands it over (a status line, header lines, a blank
// line, the body), served to RuntimeClient::next(); an invocation it accepts
// has its deadline checked and its body read as a LambdaJob, the way
// `barrage lambda-worker` does. error_body must always produce JSON that
// parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "aws/http.h"
#include "lambda/job.h"
#include "lambda/runtime.h"

namespace {

class CannedTransport : public barrage::aws::Transport {
 public:
  explicit CannedTransport(std::string_view raw) {
    size_t pos = raw.find('\n');
    const std::string_view status = raw.substr(0, pos);
    response_.status = 0;
    for (char c : status.substr(0, 4)) {
      if (c < '0' || c > '9') break;
      response_.status = response_.status * 10 + (c - '0');
    }
    while (pos != std::string_view::npos) {
      const size_t start = pos + 1;
      pos = raw.find('\n', start);
      const std::string_view line =
          raw.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
      if (line.empty()) {
        if (pos != std::string_view::npos) response_.body = std::string(raw.substr(pos + 1));
        break;
      }
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      response_.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
    }
  }
  barrage::aws::HttpResponse send(const barrage::aws::HttpRequest& /*request*/) override {
    return response_;
  }

 private:
  barrage::aws::HttpResponse response_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  barrage::lambda::RuntimeClient client("127.0.0.1:9001", std::make_shared<CannedTransport>(input));
  try {
    const barrage::lambda::Invocation inv = client.next();
    if (inv.request_id.empty()) std::abort();
    if (inv.deadline_wall_ms.has_value() != inv.deadline_problem.empty()) std::abort();
    (void)barrage::lambda::lambda_job_from_json(inv.body);
    const std::string body = barrage::lambda::error_body("Barrage.Fuzz", inv.body);
    if (!nlohmann::json::accept(body)) std::abort();
  } catch (const barrage::lambda::RuntimeApiError&) {
    // An unexpected status or a missing request id: the worker exits and
    // Lambda restarts the runtime.
  }
  return 0;
}
