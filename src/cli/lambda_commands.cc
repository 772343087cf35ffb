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
#include "lambda/deploy.h"
#include "lambda/policy.h"
#include "lambda/resources.h"
#include "lambda/worker_main.h"

namespace barrage::cli {

namespace {

using lambda::aws_context;
using lambda::AwsContext;
using lambda::client_config;
using lambda::split_list;

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

std::string utc(int64_t ms) {
  const auto t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// "24h", "90m", "2d", "3600s", "3600" (seconds).
std::chrono::seconds parse_age(const std::string& text) {
  size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  long long scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (used == 0 || n < 0 || scale == 0) {
    throw std::invalid_argument(fmt::format(
        "--older-than {}: expected a number with s, m, h or d (\"24h\", \"2d\")", text));
  }
  return std::chrono::seconds(n * scale);
}

void require_yes(const LambdaAdminOptions& o, const std::string& what) {
  if (!o.yes) throw std::invalid_argument(what + "; pass --yes to go ahead");
}

std::string regions_text(const std::vector<std::string>& regions) {
  std::string out;
  for (const auto& r : regions) out += (out.empty() ? "" : ", ") + r;
  return out;
}

}  // namespace

int lambda_policy_command(const LambdaAdminOptions& o) {
  return guarded("policy", [&] {
    std::string account = o.account_id;
    std::string partition = "aws";
    if (account.empty()) {
      const AwsContext c = aws_context(o, false);
      const std::string region = c.regions.empty() ? "us-east-1" : c.regions.front();
      partition = lambda::partition_for(region);
      lambda::Resources res(client_config(c, o, region));
      account = res.account_id();
    } else if (!o.regions.empty()) {
      partition = lambda::partition_for(split_list(o.regions).front());
    }
    std::fputs(lambda::caller_policy(account, partition).c_str(), stdout);
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
    const AwsContext c = aws_context(o, true);
    bool first = true;
    for (const auto& region : c.regions) {
      lambda::Resources res(client_config(c, o, region));
      const lambda::Status s = res.status();
      if (first) {
        std::printf("account %s\n", s.account.c_str());
        if (s.role_exists) {
          std::printf("role %s: %s%s\n", std::string(lambda::kRoleName).c_str(), s.role_arn.c_str(),
                      s.role_created_by_barrage ? "" : " (not created by barrage)");
        } else {
          std::printf("role %s: none\n", std::string(lambda::kRoleName).c_str());
        }
        first = false;
      }
      std::printf("%s:\n  bucket %s: %s\n", region.c_str(), s.bucket.c_str(),
                  s.bucket_exists ? "exists" : "none");
      if (s.functions.empty()) {
        std::printf("  functions of barrage %s: none\n",
                    std::string(lambda::project_version()).c_str());
      }
      for (const auto& f : s.functions) {
        std::printf("  function %s: %s, %s, %d MB\n", f.name.c_str(), f.state.c_str(),
                    f.architecture.c_str(), f.memory_mb);
      }
      if (s.queues.empty()) std::printf("  queues barrage-*: none\n");
      for (const auto& q : s.queues) {
        std::printf("  queue %s: created %s, %lld messages\n", q.url.c_str(),
                    q.created_s > 0 ? utc(q.created_s * 1000).c_str() : "?",
                    static_cast<long long>(q.messages));
      }
      for (const auto& r : s.recent_runs) {
        std::printf("  run %s: %s, started %s, %d workers, regions %s\n", r.run_id.c_str(),
                    r.status.empty() ? "?" : r.status.c_str(), utc(r.started_ms).c_str(), r.workers,
                    regions_text(r.regions).c_str());
      }
    }
    return kExitOk;
  });
}

int lambda_teardown_command(const LambdaAdminOptions& o) {
  return guarded("teardown", [&] {
    const AwsContext c = aws_context(o, true);
    require_yes(o, fmt::format("teardown deletes barrage {}'s functions, every barrage-* queue "
                               "(those of running tests too){} in {}, and barrage's worker role",
                               lambda::project_version(),
                               o.delete_bucket ? " and the bucket with everything in it" : "",
                               regions_text(c.regions)));
    for (size_t i = 0; i < c.regions.size(); ++i) {
      const std::string& region = c.regions[i];
      lambda::Resources res(client_config(c, o, region));
      // The role is global: deleted after the last region's functions.
      lambda::TeardownOptions to;
      to.delete_bucket = o.delete_bucket;
      to.delete_role = i + 1 == c.regions.size();
      const auto report = res.teardown(to);
      for (const auto& f : report.deleted_functions)
        std::printf("%s: deleted function %s\n", region.c_str(), f.c_str());
      for (const auto& q : report.deleted_queues)
        std::printf("%s: deleted queue %s\n", region.c_str(), q.c_str());
      if (report.deleted_bucket) {
        std::printf("%s: deleted bucket %s (%zu objects)\n", region.c_str(), res.bucket().c_str(),
                    report.deleted_objects);
      }
      if (report.deleted_role)
        std::printf("deleted role %s\n", std::string(lambda::kRoleName).c_str());
      for (const auto& n : report.notes) std::printf("%s: %s\n", region.c_str(), n.c_str());
    }
    return kExitOk;
  });
}

int lambda_cleanup_command(const LambdaAdminOptions& o) {
  return guarded("cleanup", [&] {
    const auto age = parse_age(o.older_than);
    const AwsContext c = aws_context(o, true);
    require_yes(o, fmt::format("cleanup deletes barrage-* queues and runs/ objects older than {} "
                               "in {}",
                               o.older_than, regions_text(c.regions)));
    for (const auto& region : c.regions) {
      lambda::Resources res(client_config(c, o, region));
      const auto report = res.cleanup(age);
      for (const auto& q : report.deleted_queues)
        std::printf("%s: deleted queue %s\n", region.c_str(), q.c_str());
      for (const auto& r : report.cleaned_runs)
        std::printf("%s: deleted the files of run %s\n", region.c_str(), r.c_str());
      if (report.deleted_queues.empty() && report.cleaned_runs.empty())
        std::printf("%s: nothing older than %s\n", region.c_str(), o.older_than.c_str());
    }
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

void add_deploy_options(CLI::App* cmd, LambdaAdminOptions& o) {
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
  cmd->add_option("--tags", o.tags, "Function tags, k=v,k2=v2")->delimiter(',');
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
