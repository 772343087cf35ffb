// Where each service is reached. Overrides the AWS SDK way, first match wins:
// an explicit URL (--endpoint-url), AWS_ENDPOINT_URL_<SERVICE> (S3, SQS,
// LAMBDA, IAM, STS), AWS_ENDPOINT_URL; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true
// ignores the two variables. Otherwise the region's public endpoint (IAM is
// global: iam.amazonaws.com, signed for us-east-1). With an override, S3 is
// addressed path-style (http://host/bucket/key), which emulators need.
#pragma once

#include <string>
#include <string_view>

#include "aws/env.h"

namespace barrage::aws {

enum class Service { kS3, kSqs, kLambda, kIam, kSts };

std::string_view signing_name(Service s);  // "s3", "sqs", "lambda", "iam", "sts"
std::string_view display_name(Service s);  // "S3", "SQS", "Lambda", "IAM", "STS"

struct Endpoint {
  std::string scheme;     // "http" or "https"
  std::string host;       // host[:port]
  std::string base_path;  // "" or "/prefix" (no trailing slash)
  std::string signing_region;
  bool overridden = false;

  std::string url() const { return scheme + "://" + host + base_path; }
};

// Throws std::invalid_argument for an unusable override URL or region.
Endpoint resolve_endpoint(Service service, std::string_view region, std::string_view explicit_url,
                          const Env& env);

// Parses "http[s]://host[:port][/path]" (no query or fragment).
Endpoint parse_endpoint_url(std::string_view url);

}  // namespace barrage::aws
