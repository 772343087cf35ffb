#include "aws/client.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <thread>

#include "aws/result.h"

namespace barrage::aws {
namespace {

uint64_t seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

bool accepted(const ServiceRequest& r, int status) {
  if (status >= 200 && status < 300) return true;
  return std::find(r.accept_statuses.begin(), r.accept_statuses.end(), status) !=
         r.accept_statuses.end();
}

}  // namespace

std::chrono::milliseconds backoff_delay(int retry, const RetryPolicy& policy, double unit) {
  const int shift = std::clamp(retry - 1, 0, 30);
  const double ceiling = std::min(
      static_cast<double>(policy.max_delay.count()),
      static_cast<double>(policy.base_delay.count()) * static_cast<double>(uint64_t{1} << shift));
  return std::chrono::milliseconds(static_cast<int64_t>(unit * ceiling));
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += uri_encode(name);
    out.push_back('=');
    out += uri_encode(value);
  }
  return out;
}

ServiceClient::ServiceClient(Service service, ClientConfig config)
    : service_(service), config_(std::move(config)), rng_(seed()) {
  endpoint_ = resolve_endpoint(service_, config_.region, config_.endpoint_url, config_.env);
  if (!config_.transport) config_.transport = make_curl_transport();
  if (!config_.credentials) {
    throw std::invalid_argument("ServiceClient needs a credentials provider");
  }
  config_.retry.max_attempts = std::max(1, config_.retry.max_attempts);
}

SigningParams ServiceClient::signing_params() const {
  SigningParams p;
  p.region = endpoint_.signing_region;
  p.service = std::string(signing_name(service_));
  p.time = config_.now();
  if (service_ == Service::kS3) {
    p.normalize_path = false;
    p.double_encode_path = false;
    p.sign_body = true;
  }
  return p;
}

HttpRequest ServiceClient::build(const ServiceRequest& request, const Credentials& credentials) {
  const std::string host = request.host.empty() ? endpoint_.host : request.host;
  SignableRequest s;
  s.method = request.method;
  s.path = (request.host.empty() ? endpoint_.base_path : std::string()) + request.path;
  s.query = request.query;
  s.headers = request.headers;
  s.headers.push_back({"Host", host});
  s.payload_hash = sha256_hex(request.body);
  const SigningResult signed_request = sign_request(s, credentials, signing_params());

  HttpRequest out;
  out.method = request.method;
  out.url = endpoint_.scheme + "://" + host + s.path + (s.query.empty() ? "" : "?" + s.query);
  out.headers = request.headers;  // curl sends Host itself, from the URL
  for (const auto& h : signed_request.added_headers) out.headers.push_back(h);
  out.body = request.body;
  out.timeout = request.timeout;
  return out;
}

std::string ServiceClient::presign(const ServiceRequest& request, std::chrono::seconds expires) {
  const Credentials credentials = config_.credentials->credentials();
  const std::string host = request.host.empty() ? endpoint_.host : request.host;
  SignableRequest s;
  s.method = request.method;
  s.path = (request.host.empty() ? endpoint_.base_path : std::string()) + request.path;
  s.query = request.query;
  s.headers = {{"Host", host}};
  s.payload_hash = std::string(kUnsignedPayload);
  SigningParams p = signing_params();
  p.sign_body = false;
  const SigningResult r = presign_request(s, credentials, p, expires);
  return endpoint_.scheme + "://" + host + s.path + "?" +
         (s.query.empty() ? r.added_query : s.query + "&" + r.added_query);
}

void ServiceClient::sleep_before_retry(int retry) {
  const auto delay = backoff_delay(retry, config_.retry, rng_.uniform());
  if (config_.retry.sleep) {
    config_.retry.sleep(delay);
  } else {
    std::this_thread::sleep_for(delay);
  }
}

Result<HttpResponse> ServiceClient::call(const ServiceRequest& request) {
  // The retry loop ends in AwsError; guarded makes it the returned Error.
  return detail::guarded([&]() -> HttpResponse {
    const std::string_view service = display_name(service_);
    const int max_attempts = config_.retry.max_attempts;
    if (config_.on_call) config_.on_call(request);
    for (int attempt = 1;; ++attempt) {
      last_attempts_ = attempt;
      // Fetched per attempt: a refresh may have happened, and the date is new.
      const Credentials credentials = config_.credentials->credentials();
      HttpResponse response = config_.transport->send(build(request, credentials));
      if (response.status == 0) {
        const bool may_retry = request.idempotent || response.not_sent;
        if (may_retry && attempt < max_attempts) {
          sleep_before_retry(attempt);
          continue;
        }
        ErrorInfo info;
        info.message = fmt::format("{}; endpoint {}", response.error, endpoint_.url());
        throw AwsError(describe_error(service, request.operation, request.iam_action, 0, info), 0,
                       "");
      }
      if (accepted(request, response.status)) return response;
      const ErrorInfo info = parse_error_response(response.status, response.body, response.headers);
      if (is_retryable_error(response.status, info.code) && attempt < max_attempts) {
        sleep_before_retry(attempt);
        continue;
      }
      std::string what =
          describe_error(service, request.operation, request.iam_action, response.status, info);
      if (is_retryable_error(response.status, info.code) && max_attempts > 1) {
        what += fmt::format(" (gave up after {} attempts)", attempt);
      }
      if (info.code == "PermanentRedirect" || response.status == 301) {
        const std::string_view region = response.header("x-amz-bucket-region");
        if (!region.empty()) what += fmt::format("; the bucket is in region {}", region);
      }
      throw AwsError(what, response.status, info.code);
    }
  });
}

}  // namespace barrage::aws
