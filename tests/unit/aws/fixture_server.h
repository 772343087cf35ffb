// A loopback HTTP/1.1 server for the AWS layer's tests: records every request
// and answers with what the handler returns (one request per connection).
// Listens on 127.0.0.1, port 0.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aws/sigv4.h"

namespace barrage::aws::testing_support {

struct RecordedRequest {
  std::string method;
  std::string target;  // path?query as received
  std::vector<Header> headers;
  std::string body;

  std::string header(std::string_view name) const;
  std::string path() const { return target.substr(0, target.find('?')); }
  std::string query() const {
    const size_t q = target.find('?');
    return q == std::string::npos ? "" : target.substr(q + 1);
  }
};

struct CannedResponse {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
};

class FixtureServer {
 public:
  using Handler = std::function<CannedResponse(const RecordedRequest&)>;
  explicit FixtureServer(Handler handler);
  ~FixtureServer();
  FixtureServer(const FixtureServer&) = delete;
  FixtureServer& operator=(const FixtureServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<RecordedRequest> requests() const;

 private:
  void serve();
  void handle(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

// A loopback port with nothing listening (bound, then closed).
int closed_port();

}  // namespace barrage::aws::testing_support
