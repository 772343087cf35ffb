// AWS Lambda on the command line: the hidden `lambda-worker` (the custom
// runtime's loop, started by the package's bootstrap), `lambda package`
// (writes the deployment zip), and the resources' administration: `lambda
// policy | setup | status | teardown | cleanup`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "lambda/package.h"

namespace CLI {
class App;
}

namespace barrage::cli {

// Options of `barrage lambda policy | setup | status | teardown | cleanup`.
struct LambdaAdminOptions {
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

class LambdaCommands {
 public:
  // Adds the subcommands to `app` (before it parses).
  explicit LambdaCommands(CLI::App& app);
  // The exit code of the chosen subcommand; -1 when none of these was chosen.
  int run() const;

 private:
  CLI::App* worker_ = nullptr;
  CLI::App* lambda_ = nullptr;
  CLI::App* package_ = nullptr;
  CLI::App* policy_ = nullptr;
  CLI::App* setup_ = nullptr;
  CLI::App* status_ = nullptr;
  CLI::App* teardown_ = nullptr;
  CLI::App* cleanup_ = nullptr;
  lambda::PackageOptions package_options_;
  LambdaAdminOptions admin_;
};

// The custom-runtime loop: next invocation -> run its WorkerJob -> response
// or error, until the Runtime API fails (then Lambda restarts the runtime).
int lambda_worker_command();

// The administration commands; exit 0, 2 for usage errors, 1 when AWS fails
// (with the AWS layer's message on stderr).
// --region, --profile, --endpoint-url; and the function's options
// (--memory-size, --architecture, --lambda-role-arn, VPC, --tags, --package).
// Shared by `lambda setup` and `run --platform aws:lambda`.
void add_aws_options(CLI::App* cmd, LambdaAdminOptions& options, bool many_regions);
void add_deploy_options(CLI::App* cmd, LambdaAdminOptions& options);

// What `setup` makes ready in each region, and `run --platform aws:lambda`
// runs on: the account's bucket, the role, the package and the function.
struct Deployed {
  std::string region;
  aws::ClientConfig config;
  std::string bucket;
  std::string function;
};
// Throws (AwsError, CredentialsError, or std::runtime_error for bad options);
// `say` gets one line per resource.
std::vector<Deployed> deploy(const LambdaAdminOptions& options,
                             const std::function<void(const std::string&)>& say);

int lambda_policy_command(const LambdaAdminOptions& options);
int lambda_setup_command(const LambdaAdminOptions& options);
int lambda_status_command(const LambdaAdminOptions& options);
int lambda_teardown_command(const LambdaAdminOptions& options);
int lambda_cleanup_command(const LambdaAdminOptions& options);

}  // namespace barrage::cli
