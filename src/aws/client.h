// What every service client shares: endpoint resolution, SigV4 signing with
// the current credentials, sending through the transport, retries with
// exponential backoff and full jitter (AWS's recommendation) on throttling,
// 5xx and transport failures, and AWS error bodies turned into an Error
// (util/error.h; code = the AWS error code, status = the HTTP status, 0 for a
// transport failure; see aws/result.h).
// A ServiceClient is used by one thread at a time (its transport is).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/errors.h"
#include "aws/http.h"
#include "util/error.h"
#include "util/rng.h"

namespace barrage::aws {

struct RetryPolicy {
  int max_attempts = 5;  // attempts in all, >= 1
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{20000};
  // How to wait between attempts; null: std::this_thread::sleep_for. Tests
  // inject a recorder.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Full jitter: uniform in [0, min(max_delay, base_delay * 2^(retry-1))], for
// retry = 1, 2, ...; `unit` is a uniform draw in [0, 1).
std::chrono::milliseconds backoff_delay(int retry, const RetryPolicy& policy, double unit);

struct ServiceRequest;

struct ClientConfig {
  std::string region;  // resolved already (see resolve_region)
  std::shared_ptr<CredentialsProvider> credentials;
  std::shared_ptr<Transport> transport;  // null: libcurl
  std::string endpoint_url;              // --endpoint-url; "" for none
  Env env = process_env();               // AWS_ENDPOINT_URL*
  RetryPolicy retry;
  Clock now = [] { return std::chrono::system_clock::now(); };
  // Told of every call before it is sent (once per call, not per attempt);
  // null for none. Tests use it to check which IAM actions code needs.
  std::function<void(const ServiceRequest&)> on_call;
};

struct ServiceRequest {
  std::string operation;   // "PutObject", for messages
  std::string iam_action;  // "s3:PutObject", named when access is denied
  std::string method = "GET";
  std::string host;             // "" for the endpoint's host (S3 virtual-hosted style sets it)
  std::string path = "/";       // encoded, relative to the endpoint's base path
  std::string query;            // encoded, without '?'
  std::vector<Header> headers;  // all signed (Host is added)
  std::string body;
  // Whether a request that may have reached the service can be sent again.
  bool idempotent = true;
  std::chrono::milliseconds timeout{30000};
  // Non-2xx statuses returned to the caller instead of raised (404 for HeadObject).
  std::vector<int> accept_statuses;
};

// "a=1&b=x%20y": RFC 3986 encoding, for query strings and the query
// protocol's form bodies (IAM, STS).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params);

class ServiceClient {
 public:
  ServiceClient(Service service, ClientConfig config);

  // Sends with retries; returns a 2xx (or accepted) response, else the Error
  // (also when no credentials can be obtained: code "CredentialsError").
  Result<HttpResponse> call(const ServiceRequest& request);

  // URL with query-string authentication (S3 presigned GET/PUT).
  std::string presign(const ServiceRequest& request, std::chrono::seconds expires);

  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& region() const { return config_.region; }
  Service service() const { return service_; }
  // Attempts made by the last call (tests, logs).
  int last_attempts() const { return last_attempts_; }

 private:
  HttpRequest build(const ServiceRequest& request, const Credentials& credentials);
  SigningParams signing_params() const;
  void sleep_before_retry(int retry);

  Service service_;
  ClientConfig config_;
  Endpoint endpoint_;
  Rng rng_;
  int last_attempts_ = 0;
};

}  // namespace barrage::aws
