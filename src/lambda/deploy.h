// Making barrage's resources ready in the account: the options shared by
// `barrage lambda setup` and `run --platform aws:lambda` (regions, profile,
// endpoint, the function's memory, architecture, role, VPC, tags, package),
// the AWS context they resolve to, and `deploy`: bucket, role, package and
// function in each region, created or reused.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "aws/credentials.h"

namespace barrage::lambda {

// Options of `barrage lambda policy | setup | status | teardown | cleanup`
// and of `run --platform aws:lambda`.
struct DeployOptions {
  std::string regions;  // "eu-west-1,us-east-1"; "" = AWS_REGION, ...
  std::string profile;
  std::string endpoint_url;
  std::string account_id;  // policy: skip STS
  int memory_mb = 1769;
  std::string architecture = "x86_64";
  std::string role_arn;
  std::vector<std::string> security_group_ids;
  std::vector<std::string> subnet_ids;
  std::vector<std::string> tags;  // k=v
  std::string package;            // setup: an existing zip instead of packaging this binary
  std::string older_than = "24h";
  bool delete_bucket = false;
  bool yes = false;
};

// The regions and credentials the options resolve to.
struct AwsContext {
  aws::Env env = aws::process_env();
  std::vector<std::string> regions;
  std::shared_ptr<aws::CredentialsProvider> credentials;
};

// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text);
// Throws std::invalid_argument when `region_required` and none is known.
AwsContext aws_context(const DeployOptions& o, bool region_required);
aws::ClientConfig client_config(const AwsContext& c, const DeployOptions& o,
                                const std::string& region);

// What `setup` makes ready in each region, and `run --platform aws:lambda`
// runs on: the account's bucket, the role, the package and the function.
struct Deployed {
  std::string region;
  aws::ClientConfig config;
  std::string bucket;
  std::string function;
};
// Throws (AwsError, CredentialsError, or std::invalid_argument for bad
// options); `say` gets one line per resource.
std::vector<Deployed> deploy(const DeployOptions& options,
                             const std::function<void(const std::string&)>& say);

}  // namespace barrage::lambda
