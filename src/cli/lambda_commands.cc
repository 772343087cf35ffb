#include "cli/lambda_commands.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <stdexcept>
#include <string>

#include "cli/commands.h"
#include "lambda/admin.h"
#include "lambda/deploy.h"
#include "lambda/policy.h"
#include "lambda/resources.h"
#include "lambda/worker_main.h"

namespace barrage::cli {

namespace {

// Runs one command with the exit codes of docs/aws-lambda.md.
int guarded(const char* name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::invalid_argument& e) {  // usage; unusable region or endpoint URL
    std::fprintf(stderr, "barrage lambda %s: %s\n", name, e.what());
    return kExitUsage;
  } catch (const std::exception& e) {  // AwsError, CredentialsError, files
    std::fprintf(stderr, "barrage lambda %s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace

int lambda_policy_command(const LambdaAdminOptions& o) {
  return guarded("policy", [&] {
    std::fputs(lambda::policy(o).c_str(), stdout);
    return kExitOk;
  });
}

int lambda_setup_command(const LambdaAdminOptions& o) {
  return guarded("setup", [&] {
    (void)lambda::deploy(o, [](const std::string& line) { std::printf("%s\n", line.c_str()); });
    return kExitOk;
  });
}

int lambda_status_command(const LambdaAdminOptions& o) {
  return guarded("status", [&] {
    lambda::show_status(o, stdout);
    return kExitOk;
  });
}

int lambda_teardown_command(const LambdaAdminOptions& o) {
  return guarded("teardown", [&] {
    lambda::teardown(o, stdout);
    return kExitOk;
  });
}

int lambda_cleanup_command(const LambdaAdminOptions& o) {
  return guarded("cleanup", [&] {
    lambda::cleanup(o, stdout);
    return kExitOk;
  });
}

void add_aws_options(CLI::App* cmd, LambdaAdminOptions& o, bool many_regions) {
  cmd->add_option("--region", o.regions,
                  many_regions ? "AWS region(s), comma-separated (default: AWS_REGION, "
                                 "AWS_DEFAULT_REGION, the profile's)"
                               : "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the "
                                 "profile's)");
  cmd->add_option("--profile", o.profile, "Profile of the shared AWS config files");
  cmd->add_option("--endpoint-url", o.endpoint_url,
                  "Send every AWS call to this URL (emulators; AWS_ENDPOINT_URL_<SERVICE> "
                  "also works)");
}

void add_deploy_options(CLI::App* cmd, LambdaAdminOptions& o, const std::string& tags_flag) {
  cmd->add_option("--memory-size", o.memory_mb, "Worker memory in MB (1769 = one vCPU)")
      ->check(CLI::Range(128, 10240));
  cmd->add_option("--architecture", o.architecture, "x86_64 or arm64")
      ->check(CLI::IsMember({"x86_64", "arm64"}));
  cmd->add_option("--lambda-role-arn", o.role_arn,
                  "Run workers as this role instead of creating barrage-lambda-worker");
  cmd->add_option("--security-group-ids", o.security_group_ids,
                  "Comma-separated, for workers inside a VPC")
      ->delimiter(',');
  cmd->add_option("--subnet-ids", o.subnet_ids, "Comma-separated, for workers inside a VPC")
      ->delimiter(',');
  cmd->add_option(tags_flag, o.tags, "Function tags, k=v,k2=v2")->delimiter(',');
  cmd->add_option("--package", o.package,
                  "Deploy this zip (from `barrage lambda package`) instead of packaging now");
}

LambdaCommands::LambdaCommands(CLI::App& app) {
  worker_ = app.add_subcommand("lambda-worker", "Internal: the AWS Lambda custom runtime");
  worker_->group("");
  lambda_ = app.add_subcommand(
      "lambda", "AWS Lambda: the worker package and barrage's resources in your account");
  lambda_->require_subcommand(1);
  package_ = lambda_->add_subcommand(
      "package", "Write the Lambda deployment zip (binary, libraries, loader, bootstrap)");
  package_->add_option("-o,--output", package_options_.output,
                       "Zip to write (default barrage-lambda-x86_64.zip)");
  package_->add_option("--arch", package_options_.arch, "x86_64 (arm64: not available)")
      ->check(CLI::IsMember({"x86_64", "arm64"}));

  auto common = [this](CLI::App* cmd, bool many_regions) {
    cmd->footer(
        "Exit codes: 0 success, 1 an AWS call failed (its message names the call, the error "
        "and, for a denial, the IAM action), 2 usage.");
    add_aws_options(cmd, admin_, many_regions);
  };
  policy_ = lambda_->add_subcommand(
      "policy",
      "Print the IAM policy (JSON) the caller needs for setup, run, status, teardown and "
      "cleanup, with the account id filled in (from STS GetCallerIdentity)");
  common(policy_, false);
  policy_->add_option("--account-id", admin_.account_id,
                      "Use this account id instead of asking STS (no credentials needed)");

  setup_ = lambda_->add_subcommand(
      "setup",
      "Create or reuse the bucket, the worker role and the worker function (packaging this "
      "binary); prints what it created or reused");
  common(setup_, true);
  add_deploy_options(setup_, admin_);

  status_ = lambda_->add_subcommand(
      "status", "Show the account, role, bucket, this version's functions, queues and recent runs");
  common(status_, true);

  teardown_ = lambda_->add_subcommand(
      "teardown",
      "Delete this version's functions, every barrage-* queue and barrage's worker role; the "
      "bucket stays unless --delete-bucket");
  common(teardown_, true);
  teardown_->add_flag("--delete-bucket", admin_.delete_bucket,
                      "Also empty and delete the bucket barrage-<account>-<region>");
  teardown_->add_flag("--yes", admin_.yes, "Needed: teardown deletes things");

  cleanup_ = lambda_->add_subcommand(
      "cleanup", "Delete queues and run files left by crashed runs (older than --older-than)");
  common(cleanup_, true);
  cleanup_->add_option("--older-than", admin_.older_than,
                       "Age of what is deleted: 24h (default), 90m, 2d, 3600s");
  cleanup_->add_flag("--yes", admin_.yes, "Needed: cleanup deletes things");
}

int LambdaCommands::run() const {
  if (*worker_) return lambda::run_worker_runtime();
  if (*package_) {
    try {
      const auto r = lambda::write_package(package_options_);
      std::printf("wrote %s: %llu bytes (%.1f MiB): bootstrap, barrage, %s, %zu libraries\n",
                  r.path.c_str(), static_cast<unsigned long long>(r.bytes),
                  static_cast<double>(r.bytes) / (1024.0 * 1024.0), r.loader.c_str(), r.libraries);
      return kExitOk;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "barrage lambda package: %s\n", e.what());
      return kExitUsage;
    }
  }
  if (*policy_) return lambda_policy_command(admin_);
  if (*setup_) return lambda_setup_command(admin_);
  if (*status_) return lambda_status_command(admin_);
  if (*teardown_) return lambda_teardown_command(admin_);
  if (*cleanup_) return lambda_cleanup_command(admin_);
  return -1;
}

}  // namespace barrage::cli
