// The control plane's HTTP transport (libcurl). Used by the AWS clients and
// the credential providers, never by the load engine. One CurlTransport per
// thread: it reuses one connection cache and is not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"

namespace barrage::aws {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute, already encoded
  std::vector<Header> headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{5000};
};

struct HttpResponse {
  int status = 0;  // 0: no response (see error)
  std::vector<Header> headers;
  std::string body;
  // Transport failure, when status is 0 ("Couldn't connect to server: ...").
  std::string error;
  // True when the failure happened before the request could have reached the
  // server (connect or resolve failed), so even a non-idempotent call may retry.
  bool not_sent = false;

  // First header with this name (case-insensitive), "" when absent.
  std::string_view header(std::string_view name) const;
};

// Interface at the transport seam, so tests can inspect what a client sends.
class Transport {
 public:
  virtual ~Transport() = default;
  // Never throws for network failures: they come back as status 0.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

class CurlTransport : public Transport {
 public:
  CurlTransport();
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;
  HttpResponse send(const HttpRequest& request) override;

 private:
  void* curl_;  // CURL*, kept for connection reuse
};

std::shared_ptr<Transport> make_curl_transport();

// The CA bundle for HTTPS to AWS: AWS_CA_BUNDLE, then SSL_CERT_FILE, then the
// first that exists of Debian's, Amazon Linux's (where Lambda workers run a
// Debian-built binary) and the BSD location. Empty: libcurl's built-in default.
std::string ca_bundle_path(const std::function<const char*(const char*)>& getenv_fn,
                           const std::function<bool(const std::string&)>& exists_fn);

}  // namespace barrage::aws
