// AWS Lambda on the command line: the hidden `lambda-worker` (the custom
// runtime, lambda/worker_main.h), `lambda package`
// (writes the deployment zip), and the resources' administration: `lambda
// policy | setup | status | teardown | cleanup`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lambda/deploy.h"
#include "lambda/package.h"

namespace CLI {
class App;
}

namespace barrage::cli {

// Options of `barrage lambda policy | setup | status | teardown | cleanup`.
using LambdaAdminOptions = lambda::DeployOptions;

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

// The administration commands; exit 0, 2 for usage errors, 1 when AWS fails
// (with the AWS layer's message on stderr).
// --region, --profile, --endpoint-url; and the function's options
// (--memory-size, --architecture, --lambda-role-arn, VPC, function tags, --package).
// Shared by `lambda setup` and `run --platform aws:lambda`.
void add_aws_options(CLI::App* cmd, LambdaAdminOptions& options, bool many_regions);
// The function tags' flag is --tags for `lambda setup`; `run` has Artillery's
// --tags (the run's), so it names them --function-tags.
void add_deploy_options(CLI::App* cmd, LambdaAdminOptions& options,
                        const std::string& tags_flag = "--tags");

int lambda_policy_command(const LambdaAdminOptions& options);
int lambda_setup_command(const LambdaAdminOptions& options);
int lambda_status_command(const LambdaAdminOptions& options);
int lambda_teardown_command(const LambdaAdminOptions& options);
int lambda_cleanup_command(const LambdaAdminOptions& options);

}  // namespace barrage::cli
