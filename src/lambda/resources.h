// The AWS resources of Lambda runs in one region, their names and their
// lifecycle: the bucket barrage-<account>-<region> (package under code/, run
// artifacts under runs/<run_id>/ expiring after 2 days, run metadata under
// meta/<run_id>.json expiring after 7 days), the worker role
// barrage-lambda-worker (global; created with only what workers need unless
// the caller names its own), the function
// barrage-worker-<version>-<arch>-<memory> (created on first use, reused, its
// code updated when the package changes), and one SQS queue per run,
// barrage-<run_id>.
//
// Control-plane code: every AWS failure is an aws::AwsError (or
// aws::CredentialsError) carrying errors.h's message, caught by the CLI or
// the coordinator. A Resources is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "util/error.h"

namespace barrage::aws {
class IamClient;
class LambdaClient;
class S3Client;
class SqsClient;
class StsClient;
}  // namespace barrage::aws

namespace barrage::lambda {

// ---- Names -----------------------------------------------------------------

inline constexpr std::string_view kRoleName = "barrage-lambda-worker";
// The role's inline policy.
inline constexpr std::string_view kRolePolicyName = "barrage-lambda-worker";
// Queues and functions barrage owns start with these.
inline constexpr std::string_view kQueuePrefix = "barrage-";
inline constexpr std::string_view kFunctionPrefix = "barrage-worker-";
// 1,769 MB is one full vCPU on Lambda.
inline constexpr int kDefaultMemoryMb = 1769;
inline constexpr int kFunctionTimeoutS = 900;

// barrage's project version ("0.1.0").
std::string_view project_version();
// "aws", "aws-cn" (cn-*), "aws-us-gov" (us-gov-*).
std::string partition_for(std::string_view region);

// "barrage-<account>-<region>".
std::string bucket_name(std::string_view account, std::string_view region);
// "barrage-worker-<version with dots as dashes>-<arch>-<memory>", e.g.
// "barrage-worker-0-1-0-x86_64-1769"; without `version`, this build's.
std::string function_name(std::string_view arch, int memory_mb,
                          std::string_view version = project_version());
// Prefix of this version's functions: "barrage-worker-0-1-0-".
std::string function_version_prefix(std::string_view version = project_version());
// Run ids (cli::new_run_id) are [A-Za-z0-9_-], 1..64 characters, so the
// queue name (80 characters of the same set at most) always fits.
bool valid_run_id(std::string_view run_id);
// "barrage-<run_id>"; throws std::invalid_argument for an invalid run id.
std::string queue_name(std::string_view run_id);
// The run id of a queue URL or name "…/barrage-<run_id>"; "" if not barrage's.
std::string run_id_of_queue(std::string_view queue_url_or_name);

// ---- Key layout --------------------------------------------------------------

// "runs/<run_id>/": everything of one run (job script, payload shards, stop
// flag, acks); expires after kRunExpirationDays.
std::string run_prefix(std::string_view run_id);
// "runs/<run_id>/<name>".
std::string run_key(std::string_view run_id, std::string_view name);
// "runs/<run_id>/stop": workers poll it (HeadObject) and stop when it exists.
std::string stop_key(std::string_view run_id);
// "runs/<run_id>/acks/": a worker that saw the stop flag puts
// "runs/<run_id>/acks/<worker>" (the worker role may PutObject only there).
std::string ack_prefix(std::string_view run_id);
std::string ack_key(std::string_view run_id, int worker);
// "meta/<run_id>.json"; expires after kMetaExpirationDays.
std::string meta_key(std::string_view run_id);
// "code/<function>.zip": the deployment package.
std::string code_key(std::string_view function);

inline constexpr int kRunExpirationDays = 2;
inline constexpr int kMetaExpirationDays = 7;

// ---- Run metadata (meta/<run_id>.json) -----------------------------------------

struct RunMetadata {
  std::string run_id;
  int64_t started_ms = 0;  // wall clock, ms since the epoch
  int64_t ended_ms = 0;    // 0 while running
  std::string status;      // "running", "finished", "stopped", "failed"
  std::vector<std::string> regions;
  std::map<std::string, std::string> queue_urls;  // region -> queue URL
  std::string function;
  int workers = 0;
};

std::string run_metadata_to_json(const RunMetadata& m);
// An Error when the text is not such a document.
Result<RunMetadata> run_metadata_from_json(std::string_view text);

// ---- What the operations report ------------------------------------------------

enum class Outcome { kReused, kCreated, kUpdated };
std::string_view to_string(Outcome o);  // "reused", "created", "updated"

struct Ensured {
  std::string name;  // bucket, role or function name
  std::string arn;   // role and function ARNs; "" for the bucket
  Outcome outcome = Outcome::kReused;
  // ensure_function: whether the package went up to S3 (false when the same
  // sha256 was already there).
  bool uploaded = false;
};

struct FunctionOptions {
  int memory_mb = kDefaultMemoryMb;
  std::string architecture = "x86_64";  // or "arm64"
  std::string role_arn;                 // from ensure_role
  std::vector<std::string> security_group_ids;
  std::vector<std::string> subnet_ids;
  std::map<std::string, std::string> tags;
  std::string package_path;  // the zip (lambda::write_package)
};

struct FunctionInfo {
  std::string name;
  std::string state;
  std::string architecture;
  int memory_mb = 0;
  std::string code_sha256;
};

struct QueueInfo {
  std::string url;
  std::string run_id;     // "" if the name is not barrage-<run_id>
  int64_t created_s = 0;  // CreatedTimestamp, seconds since the epoch (0 unknown)
  int64_t messages = -1;  // ApproximateNumberOfMessages (-1 unknown)
};

struct Status {
  std::string region;
  std::string account;
  std::string bucket;
  bool bucket_exists = false;
  bool role_exists = false;
  std::string role_arn;
  bool role_created_by_barrage = false;
  std::vector<FunctionInfo> functions;   // this version's
  std::vector<QueueInfo> queues;         // barrage-*
  std::vector<RunMetadata> recent_runs;  // newest first, at most kStatusRuns
};
inline constexpr size_t kStatusRuns = 10;

struct TeardownOptions {
  bool delete_bucket = false;  // empties it first
  bool delete_role = true;     // only if barrage created it
};

struct TeardownReport {
  std::vector<std::string> deleted_functions;
  std::vector<std::string> deleted_queues;  // URLs
  bool deleted_role = false;
  bool deleted_bucket = false;
  size_t deleted_objects = 0;
  std::vector<std::string> notes;  // what was kept and why
};

struct CleanupReport {
  std::vector<std::string> deleted_queues;  // URLs
  std::vector<std::string> cleaned_runs;    // run ids whose runs/<id>/ objects went
  size_t deleted_objects = 0;
};

struct ResourcesOptions {
  // How long CreateFunction is retried while IAM has not yet propagated a new
  // role ("The role defined for the function cannot be assumed by Lambda").
  std::chrono::milliseconds role_propagation_timeout{60000};
  std::chrono::milliseconds role_propagation_first_delay{1000};
  // Waiting for the function to become Active after a create or update.
  std::chrono::milliseconds active_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds active_interval{1000};
  // null: std::this_thread::sleep_for. Tests inject a recorder.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// One region's resources. `config` is the base for every client (region,
// credentials, transport, endpoint overrides, retries); IAM and STS use it
// too (IAM resolves its global endpoint itself).
class Resources {
 public:
  explicit Resources(aws::ClientConfig config, ResourcesOptions options = {});
  ~Resources();
  Resources(const Resources&) = delete;
  Resources& operator=(const Resources&) = delete;

  const std::string& region() const { return region_; }
  // STS GetCallerIdentity, once.
  const std::string& account_id();
  // bucket_name(account_id(), region()).
  std::string bucket();

  // Creates the bucket with its lifecycle rules, or reuses it.
  Ensured ensure_bucket();
  // With `role_arn`: uses it as is (nothing is created or checked). Else
  // GetRole barrage-lambda-worker -> CreateRole (Lambda trust policy) if
  // missing; the inline policy is put when barrage created the role (now or
  // before), so it follows this version's needs.
  Ensured ensure_role(const std::optional<std::string>& role_arn = std::nullopt);
  // Uploads the package to code/<function>.zip unless the object already
  // carries the same sha256; creates the function, or updates its code when
  // its CodeSha256 differs; waits until Active; sets MaximumRetryAttempts 0.
  Ensured ensure_function(const FunctionOptions& options);

  // Creates barrage-<run_id> and returns its URL.
  std::string create_run_queue(const std::string& run_id);
  // A queue already gone is not an error.
  void delete_run_queue(const std::string& queue_url);

  void put_run_metadata(const RunMetadata& metadata);
  // nullopt when there is none (or it does not parse).
  std::optional<RunMetadata> get_run_metadata(const std::string& run_id);
  // Puts runs/<run_id>/stop.
  void put_stop_flag(const std::string& run_id);
  // Workers whose ack is under runs/<run_id>/acks/, ascending.
  std::vector<int> stop_acks(const std::string& run_id);

  Status status();
  TeardownReport teardown(const TeardownOptions& options = {});
  // Deletes queues barrage-* and runs/<id>/ objects of runs older than
  // `older_than` (by the run's metadata start, else the queue's creation
  // time, else the newest object's LastModified). Younger runs, and those
  // whose age is unknown, are kept; so is meta/ (it expires by itself).
  CleanupReport cleanup(std::chrono::seconds older_than = std::chrono::hours(24));

  aws::S3Client& s3();
  aws::SqsClient& sqs();
  aws::LambdaClient& lambda();
  aws::IamClient& iam();

 private:
  void sleep(std::chrono::milliseconds d) const;
  int64_t now_ms() const;

  aws::ClientConfig config_;
  ResourcesOptions options_;
  std::string region_;
  std::string account_;
  std::unique_ptr<aws::StsClient> sts_;
  std::unique_ptr<aws::S3Client> s3_;
  std::unique_ptr<aws::SqsClient> sqs_;
  std::unique_ptr<aws::LambdaClient> lambda_;
  std::unique_ptr<aws::IamClient> iam_;
};

// The trust policy of the worker role (lambda.amazonaws.com may assume it).
std::string lambda_trust_policy();
// The worker role's inline policy: sqs:SendMessage on the account's
// barrage-* queues, s3:GetObject on runs/* and s3:PutObject on runs/*/acks/*
// of the account's barrage buckets, CloudWatch Logs for barrage-worker-*
// log groups. Region wildcards: the role is global and serves every region.
std::string worker_role_policy(std::string_view account, std::string_view partition = "aws");

}  // namespace barrage::lambda
