#include "aws/endpoints.h"

#include <fmt/format.h>

#include <stdexcept>

#include "util/ascii.h"

namespace barrage::aws {
namespace {

std::string_view env_id(Service s) {
  switch (s) {
    case Service::kS3:
      return "S3";
    case Service::kSqs:
      return "SQS";
    case Service::kLambda:
      return "LAMBDA";
    case Service::kIam:
      return "IAM";
    case Service::kSts:
      return "STS";
  }
  return "";
}

bool valid_region(std::string_view r) {
  if (r.empty() || r.size() > 40) return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

std::string_view signing_name(Service s) {
  switch (s) {
    case Service::kS3:
      return "s3";
    case Service::kSqs:
      return "sqs";
    case Service::kLambda:
      return "lambda";
    case Service::kIam:
      return "iam";
    case Service::kSts:
      return "sts";
  }
  return "";
}

std::string_view display_name(Service s) {
  switch (s) {
    case Service::kS3:
      return "S3";
    case Service::kSqs:
      return "SQS";
    case Service::kLambda:
      return "Lambda";
    case Service::kIam:
      return "IAM";
    case Service::kSts:
      return "STS";
  }
  return "";
}

Endpoint parse_endpoint_url(std::string_view url) {
  Endpoint e;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    throw std::invalid_argument(fmt::format("endpoint URL '{}' has no http:// or https://", url));
  }
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = ascii::lower(c);
  if (scheme != "http" && scheme != "https") {
    throw std::invalid_argument(
        fmt::format("endpoint URL '{}': only http and https are supported", url));
  }
  e.scheme = scheme;
  std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    throw std::invalid_argument(
        fmt::format("endpoint URL '{}' must not have a query or fragment", url));
  }
  const size_t slash = rest.find('/');
  e.host = std::string(rest.substr(0, slash));
  if (e.host.empty() || e.host.find_first_of(" @\t") != std::string::npos) {
    throw std::invalid_argument(fmt::format("endpoint URL '{}' has no usable host", url));
  }
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    e.base_path = std::string(path);
  }
  e.overridden = true;
  return e;
}

namespace {
Endpoint default_endpoint(Service service, std::string_view region) {
  const std::string region_s(region.empty() ? "us-east-1" : region);
  if (!valid_region(region_s)) {
    throw std::invalid_argument(fmt::format("'{}' is not an AWS region name", region_s));
  }
  const bool china = region_s.starts_with("cn-");
  const bool gov = region_s.starts_with("us-gov-");
  const std::string suffix = china ? "amazonaws.com.cn" : "amazonaws.com";
  Endpoint e;
  e.scheme = "https";
  e.signing_region = region_s;
  if (service == Service::kIam) {
    // IAM has one endpoint per partition.
    if (china) {
      e.host = "iam.cn-north-1.amazonaws.com.cn";
      e.signing_region = "cn-north-1";
    } else if (gov) {
      e.host = "iam.us-gov.amazonaws.com";
      e.signing_region = "us-gov-west-1";
    } else {
      e.host = "iam.amazonaws.com";
      e.signing_region = "us-east-1";
    }
    return e;
  }
  e.host = fmt::format("{}.{}.{}", signing_name(service), region_s, suffix);
  return e;
}
}  // namespace

Endpoint resolve_endpoint(Service service, std::string_view region, std::string_view explicit_url,
                          const Env& env) {
  Endpoint e = default_endpoint(service, region);
  std::string override_url(explicit_url);
  const bool ignore_env =
      ascii::iequals(env_value(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").value_or(""), "true");
  if (override_url.empty() && !ignore_env) {
    override_url = env_value(env, fmt::format("AWS_ENDPOINT_URL_{}", env_id(service)))
                       .value_or(env_value(env, "AWS_ENDPOINT_URL").value_or(""));
  }
  if (override_url.empty()) return e;
  Endpoint o = parse_endpoint_url(override_url);
  o.signing_region = e.signing_region;  // IAM stays signed for its partition's region
  return o;
}

}  // namespace barrage::aws
