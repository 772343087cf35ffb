#include "lambda/resources.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <thread>

#include "aws/iam.h"
#include "aws/lambda.h"
#include "aws/result.h"
#include "aws/s3.h"
#include "aws/sqs.h"
#include "aws/sts.h"
#include "util/base64.h"
#include "util/version.h"

namespace barrage::lambda {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Marks the role as barrage's: only such a role gets its inline policy
// replaced or is deleted by teardown. (A Description needs no iam:TagRole.)
constexpr std::string_view kRoleDescription =
    "Lambda workers of barrage load tests (created by barrage lambda setup)";
// x-amz-meta-sha256 of code/<function>.zip: the package's sha256 in base64,
// the form of Lambda's CodeSha256.
constexpr std::string_view kShaMeta = "sha256";
// The longest wait between CreateFunction attempts while IAM propagates.
constexpr std::chrono::milliseconds kMaxPropagationDelay{8000};

bool is_run_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string sha256_base64(std::string_view data) {
  const std::string hex = aws::sha256_hex(data);
  std::string raw;
  raw.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return base64_encode(raw);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read the package {}", path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_missing_queue(const Error& e) {
  return e.code == "QueueDoesNotExist" || e.code == "AWS.SimpleQueueService.NonExistentQueue";
}

// "The role defined for the function cannot be assumed by Lambda." right
// after CreateRole: IAM has not propagated the role yet.
bool is_role_propagation(const Error& e) {
  return e.code == "InvalidParameterValueException" &&
         e.message.find("cannot be assumed") != std::string::npos;
}

int64_t iso_ms(const std::string& iso) {
  const auto t = aws::parse_iso8601(iso);
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
}

// The run id of "runs/<id>/...", "" otherwise.
std::string run_of_key(std::string_view key) {
  constexpr std::string_view kRuns = "runs/";
  if (!key.starts_with(kRuns)) return "";
  key.remove_prefix(kRuns.size());
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return "";
  return std::string(key.substr(0, slash));
}

}  // namespace

// ---- Names and keys ----------------------------------------------------------

std::string_view project_version() { return kVersion; }

std::string partition_for(std::string_view region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  return "aws";
}

std::string bucket_name(std::string_view account, std::string_view region) {
  return fmt::format("barrage-{}-{}", account, region);
}

std::string function_version_prefix(std::string_view version) {
  std::string v(version);
  std::replace(v.begin(), v.end(), '.', '-');
  return fmt::format("{}{}-", kFunctionPrefix, v);
}

std::string function_name(std::string_view arch, int memory_mb, std::string_view version) {
  return fmt::format("{}{}-{}", function_version_prefix(version), arch, memory_mb);
}

bool valid_run_id(std::string_view run_id) {
  return !run_id.empty() && run_id.size() <= 64 &&
         std::all_of(run_id.begin(), run_id.end(), is_run_id_char);
}

std::string queue_name(std::string_view run_id) {
  if (!valid_run_id(run_id)) {
    throw std::invalid_argument(
        fmt::format("run id '{}' cannot name an SQS queue (1 to 64 of A-Z a-z 0-9 - _)", run_id));
  }
  return fmt::format("{}{}", kQueuePrefix, run_id);
}

std::string run_id_of_queue(std::string_view queue) {
  const size_t slash = queue.rfind('/');
  if (slash != std::string_view::npos) queue.remove_prefix(slash + 1);
  if (!queue.starts_with(kQueuePrefix)) return "";
  queue.remove_prefix(kQueuePrefix.size());
  return valid_run_id(queue) ? std::string(queue) : std::string();
}

std::string run_prefix(std::string_view run_id) { return fmt::format("runs/{}/", run_id); }
std::string run_key(std::string_view run_id, std::string_view name) {
  return fmt::format("runs/{}/{}", run_id, name);
}
std::string stop_key(std::string_view run_id) { return run_key(run_id, "stop"); }
std::string ack_prefix(std::string_view run_id) { return run_key(run_id, "acks/"); }
std::string ack_key(std::string_view run_id, int worker) {
  return fmt::format("{}{}", ack_prefix(run_id), worker);
}
std::string meta_key(std::string_view run_id) { return fmt::format("meta/{}.json", run_id); }
std::string code_key(std::string_view function) { return fmt::format("code/{}.zip", function); }

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kReused:
      return "reused";
    case Outcome::kCreated:
      return "created";
    case Outcome::kUpdated:
      return "updated";
  }
  return "";
}

// ---- Run metadata --------------------------------------------------------------

std::string run_metadata_to_json(const RunMetadata& m) {
  ordered_json j = {{"run_id", m.run_id},     {"started_ms", m.started_ms},
                    {"ended_ms", m.ended_ms}, {"status", m.status},
                    {"regions", m.regions},   {"queue_urls", m.queue_urls},
                    {"function", m.function}, {"workers", m.workers}};
  return j.dump();
}

Result<RunMetadata> run_metadata_from_json(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto fail = [](std::string what) -> Result<RunMetadata> {
    return barrage::fail(std::move(what));
  };
  if (!j.is_object()) return fail("run metadata is not a JSON object");
  // Every field but run_id is optional; a present one must have its type.
  auto integer = [&](const char* key, int64_t& out, int64_t max) {
    const auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_number_integer()) return false;
    const auto v = it->get<int64_t>();
    if (v < 0 || v > max) return false;
    out = v;
    return true;
  };
  auto string = [&](const char* key, std::string& out) {
    const auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  RunMetadata m;
  if (!string("run_id", m.run_id) || !valid_run_id(m.run_id))
    return fail("run metadata: no valid run_id");
  int64_t workers = 0;
  if (!integer("started_ms", m.started_ms, INT64_MAX) ||
      !integer("ended_ms", m.ended_ms, INT64_MAX) || !integer("workers", workers, INT32_MAX) ||
      !string("status", m.status) || !string("function", m.function)) {
    return fail("run metadata: a field has the wrong type");
  }
  m.workers = static_cast<int>(workers);
  if (const auto it = j.find("regions"); it != j.end()) {
    if (!it->is_array()) return fail("run metadata: regions is not a list");
    for (const auto& r : *it) {
      if (!r.is_string()) return fail("run metadata: a region is not a string");
      m.regions.push_back(r.get<std::string>());
    }
  }
  if (const auto it = j.find("queue_urls"); it != j.end()) {
    if (!it->is_object()) return fail("run metadata: queue_urls is not an object");
    for (const auto& [region, url] : it->items()) {
      if (!url.is_string()) return fail("run metadata: a queue URL is not a string");
      m.queue_urls[region] = url.get<std::string>();
    }
  }
  return m;
}

// ---- Policies ------------------------------------------------------------------

std::string lambda_trust_policy() {
  const ordered_json j = {{"Version", "2012-10-17"},
                          {"Statement",
                           {{{"Effect", "Allow"},
                             {"Principal", {{"Service", "lambda.amazonaws.com"}}},
                             {"Action", "sts:AssumeRole"}}}}};
  return j.dump();
}

std::string worker_role_policy(std::string_view account, std::string_view partition) {
  const std::string buckets = fmt::format("arn:{}:s3:::barrage-{}-*", partition, account);
  const std::string log_group = fmt::format("arn:{}:logs:*:{}:log-group:/aws/lambda/{}*", partition,
                                            account, kFunctionPrefix);
  const ordered_json j = {
      {"Version", "2012-10-17"},
      {"Statement",
       {
           {{"Sid", "RunQueues"},
            {"Effect", "Allow"},
            {"Action", {"sqs:SendMessage"}},
            {"Resource", fmt::format("arn:{}:sqs:*:{}:{}*", partition, account, kQueuePrefix)}},
           {{"Sid", "RunObjects"},
            {"Effect", "Allow"},
            {"Action", {"s3:GetObject"}},
            {"Resource", buckets + "/runs/*"}},
           // Without ListBucket, S3 answers HeadObject of a missing key (the
           // stop flag before a stop) with 403 instead of 404.
           {{"Sid", "RunListing"},
            {"Effect", "Allow"},
            {"Action", {"s3:ListBucket"}},
            {"Resource", buckets},
            {"Condition", {{"StringLike", {{"s3:prefix", {"runs/*"}}}}}}},
           {{"Sid", "StopAcks"},
            {"Effect", "Allow"},
            {"Action", {"s3:PutObject"}},
            {"Resource", buckets + "/runs/*/acks/*"}},
           {{"Sid", "Logs"},
            {"Effect", "Allow"},
            {"Action", {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}},
            {"Resource", {log_group, log_group + ":*"}}},
       }}};
  return j.dump();
}

// ---- Resources -------------------------------------------------------------------

Resources::Resources(aws::ClientConfig config, ResourcesOptions options)
    : config_(std::move(config)), options_(std::move(options)), region_(config_.region) {
  sts_ = std::make_unique<aws::StsClient>(config_);
  s3_ = std::make_unique<aws::S3Client>(config_);
  sqs_ = std::make_unique<aws::SqsClient>(config_);
  lambda_ = std::make_unique<aws::LambdaClient>(config_);
  iam_ = std::make_unique<aws::IamClient>(config_);
}

Resources::~Resources() = default;

aws::S3Client& Resources::s3() { return *s3_; }
aws::SqsClient& Resources::sqs() { return *sqs_; }
aws::LambdaClient& Resources::lambda() { return *lambda_; }
aws::IamClient& Resources::iam() { return *iam_; }

void Resources::sleep(std::chrono::milliseconds d) const {
  if (options_.sleep) {
    options_.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

int64_t Resources::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(config_.now().time_since_epoch())
      .count();
}

const std::string& Resources::account_id() {
  if (account_.empty()) account_ = aws::value_or_throw(sts_->get_caller_identity()).account;
  return account_;
}

std::string Resources::bucket() { return bucket_name(account_id(), region_); }

Ensured Resources::ensure_bucket() {
  Ensured out{bucket(), "", Outcome::kReused, false};
  if (aws::value_or_throw(s3_->head_bucket(out.name))) return out;
  aws::value_or_throw(s3_->create_bucket(out.name));
  // Also when CreateBucket found it already ours (a concurrent setup): the
  // rules are the same.
  aws::value_or_throw(
      s3_->put_bucket_lifecycle(out.name, {{"barrage-runs", "runs/", kRunExpirationDays},
                                           {"barrage-meta", "meta/", kMetaExpirationDays}}));
  out.outcome = Outcome::kCreated;
  return out;
}

Ensured Resources::ensure_role(const std::optional<std::string>& role_arn) {
  if (role_arn) {
    const size_t slash = role_arn->rfind('/');
    return {slash == std::string::npos ? *role_arn : role_arn->substr(slash + 1), *role_arn,
            Outcome::kReused, false};
  }
  const std::string name(kRoleName);
  std::optional<aws::Role> role = aws::value_or_throw(iam_->get_role(name));
  Outcome outcome = Outcome::kReused;
  if (!role) {
    auto created = iam_->create_role(name, lambda_trust_policy(), std::string(kRoleDescription));
    if (created) {
      role = std::move(*created);
      outcome = Outcome::kCreated;
    } else {
      if (created.error().code != "EntityAlreadyExists") throw aws::AwsError(created.error());
      role = aws::value_or_throw(iam_->get_role(name));  // created meanwhile by another setup
      if (!role) throw aws::AwsError(created.error());
    }
  }
  if (outcome == Outcome::kCreated || role->description == kRoleDescription) {
    aws::value_or_throw(
        iam_->put_role_policy(name, std::string(kRolePolicyName),
                              worker_role_policy(account_id(), partition_for(region_))));
  }
  return {name, role->arn, outcome, false};
}

Ensured Resources::ensure_function(const FunctionOptions& options) {
  if (options.role_arn.empty()) throw std::invalid_argument("ensure_function needs a role ARN");
  const std::string zip = read_file(options.package_path);
  const std::string sha = sha256_base64(zip);
  Ensured out{function_name(options.architecture, options.memory_mb), "", Outcome::kReused, false};
  const std::string b = bucket();
  const std::string key = code_key(out.name);
  const auto head = aws::value_or_throw(s3_->head_object(b, key));
  if (!head || head->metadata.find(std::string(kShaMeta)) == head->metadata.end() ||
      head->metadata.at(std::string(kShaMeta)) != sha) {
    aws::value_or_throw(
        s3_->put_object(b, key, zip, "application/zip", {{std::string(kShaMeta), sha}}));
    out.uploaded = true;
  }

  aws::WaitOptions wait;
  wait.timeout = options_.active_timeout;
  wait.interval = options_.active_interval;
  wait.sleep = options_.sleep;

  const auto existing = aws::value_or_throw(lambda_->get_function_configuration(out.name));
  if (!existing) {
    aws::FunctionSpec spec;
    spec.name = out.name;
    spec.role_arn = options.role_arn;
    spec.architecture = options.architecture;
    spec.memory_mb = options.memory_mb;
    spec.timeout_seconds = kFunctionTimeoutS;
    spec.tags = options.tags;
    spec.subnet_ids = options.subnet_ids;
    spec.security_group_ids = options.security_group_ids;
    spec.description = fmt::format("barrage {} load-test worker", project_version());
    spec.code = {b, key, ""};
    auto delay = options_.role_propagation_first_delay;
    std::chrono::milliseconds waited{0};
    for (;;) {
      const auto created = lambda_->create_function(spec);
      if (created) break;
      if (!is_role_propagation(created.error()) ||
          waited + delay > options_.role_propagation_timeout) {
        throw aws::AwsError(created.error());
      }
      sleep(delay);
      waited += delay;
      delay = std::min(delay * 2, kMaxPropagationDelay);
    }
    out.outcome = Outcome::kCreated;
  } else if (existing->code_sha256 != sha) {
    // An update still in progress would refuse another one.
    if (existing->last_update_status == "InProgress" || existing->state == "Pending") {
      aws::value_or_throw(lambda_->wait_until_active(out.name, wait));
    }
    aws::value_or_throw(
        lambda_->update_function_code(out.name, {b, key, ""}, options.architecture));
    out.outcome = Outcome::kUpdated;
  }
  const bool settling = out.outcome != Outcome::kReused || existing->state == "Pending" ||
                        existing->last_update_status == "InProgress";
  const aws::FunctionConfiguration config =
      settling ? aws::value_or_throw(lambda_->wait_until_active(out.name, wait)) : *existing;
  out.arn = config.arn;
  // Every time, not only at creation: a setup interrupted between the two
  // calls must not leave Lambda's default of 2 retries (double load).
  aws::value_or_throw(lambda_->put_function_event_invoke_config(out.name, 0));
  return out;
}

std::string Resources::create_run_queue(const std::string& run_id) {
  return aws::value_or_throw(sqs_->create_queue(queue_name(run_id)));
}

void Resources::delete_run_queue(const std::string& queue_url) {
  const auto deleted = sqs_->delete_queue(queue_url);
  if (!deleted && !is_missing_queue(deleted.error())) throw aws::AwsError(deleted.error());
}

void Resources::put_run_metadata(const RunMetadata& metadata) {
  queue_name(metadata.run_id);  // validates
  aws::value_or_throw(s3_->put_object(bucket(), meta_key(metadata.run_id),
                                      run_metadata_to_json(metadata), "application/json"));
}

std::optional<RunMetadata> Resources::get_run_metadata(const std::string& run_id) {
  const auto text = s3_->get_object(bucket(), meta_key(run_id));
  if (!text) {
    if (text.error().code == "NoSuchKey" || text.error().status == 404) return std::nullopt;
    throw aws::AwsError(text.error());
  }
  auto m = run_metadata_from_json(*text);
  if (!m) return std::nullopt;  // not a metadata document: as if absent
  return std::move(*m);
}

void Resources::put_stop_flag(const std::string& run_id) {
  queue_name(run_id);  // validates
  aws::value_or_throw(s3_->put_object(bucket(), stop_key(run_id), "stop\n", "text/plain"));
}

std::vector<int> Resources::stop_acks(const std::string& run_id) {
  const std::string prefix = ack_prefix(run_id);
  std::vector<int> out;
  for (const auto& o : aws::value_or_throw(s3_->list_all(bucket(), prefix))) {
    const std::string_view rest = std::string_view(o.key).substr(prefix.size());
    int worker = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), worker);
    if (ec == std::errc() && end == rest.data() + rest.size() && worker >= 0) {
      out.push_back(worker);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status Resources::status() {
  Status s;
  s.region = region_;
  s.account = account_id();
  s.bucket = bucket();
  s.bucket_exists = aws::value_or_throw(s3_->head_bucket(s.bucket));
  if (const auto role = aws::value_or_throw(iam_->get_role(std::string(kRoleName)))) {
    s.role_exists = true;
    s.role_arn = role->arn;
    s.role_created_by_barrage = role->description == kRoleDescription;
  }
  const std::string prefix = function_version_prefix();
  for (const auto& f : aws::value_or_throw(lambda_->list_functions())) {
    if (!f.name.starts_with(prefix)) continue;
    s.functions.push_back({f.name, f.state, f.architectures.empty() ? "" : f.architectures.front(),
                           f.memory_mb, f.code_sha256});
  }
  for (const auto& url : aws::value_or_throw(sqs_->list_queues(std::string(kQueuePrefix)))) {
    QueueInfo q;
    q.url = url;
    q.run_id = run_id_of_queue(url);
    const auto attributes =
        sqs_->get_queue_attributes(url, {"CreatedTimestamp", "ApproximateNumberOfMessages"});
    if (!attributes) {
      if (is_missing_queue(attributes.error())) continue;  // deleted since the listing
      throw aws::AwsError(attributes.error());
    }
    if (const auto it = attributes->find("CreatedTimestamp"); it != attributes->end())
      q.created_s = std::strtoll(it->second.c_str(), nullptr, 10);
    if (const auto it = attributes->find("ApproximateNumberOfMessages"); it != attributes->end())
      q.messages = std::strtoll(it->second.c_str(), nullptr, 10);
    s.queues.push_back(std::move(q));
  }
  if (s.bucket_exists) {
    auto metas = aws::value_or_throw(s3_->list_all(s.bucket, "meta/"));
    std::sort(metas.begin(), metas.end(), [](const aws::S3Object& a, const aws::S3Object& b) {
      return iso_ms(a.last_modified) > iso_ms(b.last_modified);
    });
    for (const auto& o : metas) {
      if (s.recent_runs.size() >= kStatusRuns) break;
      const auto text = s3_->get_object(s.bucket, o.key);
      if (!text) {
        if (text.error().code == "NoSuchKey") continue;  // expired since the listing
        throw aws::AwsError(text.error());
      }
      if (auto m = run_metadata_from_json(*text)) s.recent_runs.push_back(std::move(*m));
    }
    std::stable_sort(
        s.recent_runs.begin(), s.recent_runs.end(),
        [](const RunMetadata& a, const RunMetadata& b) { return a.started_ms > b.started_ms; });
  }
  return s;
}

TeardownReport Resources::teardown(const TeardownOptions& options) {
  TeardownReport report;
  const std::string prefix = function_version_prefix();
  bool other_barrage_functions = false;
  for (const auto& f : aws::value_or_throw(lambda_->list_functions())) {
    if (!f.name.starts_with(prefix)) {
      if (f.name.starts_with(kFunctionPrefix)) other_barrage_functions = true;
      continue;
    }
    if (const auto deleted = lambda_->delete_function(f.name);
        !deleted && deleted.error().code != "ResourceNotFoundException") {
      throw aws::AwsError(deleted.error());
    }
    report.deleted_functions.push_back(f.name);
  }
  for (const auto& url : aws::value_or_throw(sqs_->list_queues(std::string(kQueuePrefix)))) {
    delete_run_queue(url);
    report.deleted_queues.push_back(url);
  }
  if (options.delete_role) {
    const std::string name(kRoleName);
    const auto role = aws::value_or_throw(iam_->get_role(name));
    if (!role) {
      // Nothing to do.
    } else if (role->description != kRoleDescription) {
      report.notes.push_back(fmt::format("kept role {}: barrage did not create it", role->arn));
    } else if (other_barrage_functions) {
      report.notes.push_back(
          fmt::format("kept role {}: other barrage versions' functions in {} still use it",
                      role->arn, region_));
    } else {
      aws::value_or_throw(iam_->delete_role_policy(name, std::string(kRolePolicyName)));
      report.deleted_role = aws::value_or_throw(iam_->delete_role(name));
    }
  }
  const std::string b = bucket();
  if (!options.delete_bucket) {
    if (aws::value_or_throw(s3_->head_bucket(b))) {
      report.notes.push_back(fmt::format(
          "kept bucket {} (its runs/ and meta/ objects expire; --delete-bucket deletes it)", b));
    }
    return report;
  }
  if (!aws::value_or_throw(s3_->head_bucket(b))) return report;
  std::vector<std::string> keys;
  for (const auto& o : aws::value_or_throw(s3_->list_all(b, ""))) keys.push_back(o.key);
  for (size_t i = 0; i < keys.size(); i += 1000) {
    const std::vector<std::string> chunk(
        keys.begin() + static_cast<ptrdiff_t>(i),
        keys.begin() + static_cast<ptrdiff_t>(std::min(keys.size(), i + 1000)));
    const auto failures = aws::value_or_throw(s3_->delete_objects(b, chunk));
    if (!failures.empty()) {
      throw aws::AwsError(
          fmt::format("S3 DeleteObjects: could not delete {} of {} ({}: {} {})", failures.size(), b,
                      failures.front().key, failures.front().code, failures.front().message),
          200, failures.front().code);
    }
    report.deleted_objects += chunk.size();
  }
  report.deleted_bucket = aws::value_or_throw(s3_->delete_bucket(b));
  return report;
}

CleanupReport Resources::cleanup(std::chrono::seconds older_than) {
  CleanupReport report;
  const int64_t cutoff_ms =
      now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(older_than).count();
  const std::string b = bucket();
  const bool have_bucket = aws::value_or_throw(s3_->head_bucket(b));
  std::map<std::string, std::optional<RunMetadata>> metas;
  auto metadata = [&](const std::string& run_id) -> const std::optional<RunMetadata>& {
    auto it = metas.find(run_id);
    if (it == metas.end()) {
      it = metas.emplace(run_id, have_bucket ? get_run_metadata(run_id) : std::nullopt).first;
    }
    return it->second;
  };

  for (const auto& url : aws::value_or_throw(sqs_->list_queues(std::string(kQueuePrefix)))) {
    const std::string run_id = run_id_of_queue(url);
    int64_t started_ms = 0;
    if (!run_id.empty()) {
      if (const auto& m = metadata(run_id); m && m->started_ms > 0) started_ms = m->started_ms;
    }
    if (started_ms == 0) {
      const auto attributes = sqs_->get_queue_attributes(url, {"CreatedTimestamp"});
      if (!attributes) {
        if (is_missing_queue(attributes.error())) continue;
        throw aws::AwsError(attributes.error());
      }
      if (const auto it = attributes->find("CreatedTimestamp"); it != attributes->end())
        started_ms = std::strtoll(it->second.c_str(), nullptr, 10) * 1000;
    }
    if (started_ms == 0 || started_ms >= cutoff_ms) continue;  // unknown age: kept
    delete_run_queue(url);
    report.deleted_queues.push_back(url);
  }

  if (!have_bucket) return report;
  std::map<std::string, std::vector<aws::S3Object>> runs;
  for (auto& o : aws::value_or_throw(s3_->list_all(b, "runs/"))) {
    std::string run_id = run_of_key(o.key);
    if (!run_id.empty()) runs[run_id].push_back(std::move(o));
  }
  for (const auto& [run_id, objects] : runs) {
    int64_t started_ms = 0;
    if (valid_run_id(run_id)) {
      if (const auto& m = metadata(run_id); m && m->started_ms > 0) started_ms = m->started_ms;
    }
    if (started_ms == 0) {
      for (const auto& o : objects) started_ms = std::max(started_ms, iso_ms(o.last_modified));
    }
    if (started_ms == 0 || started_ms >= cutoff_ms) continue;
    std::vector<std::string> keys;
    for (const auto& o : objects) keys.push_back(o.key);
    for (size_t i = 0; i < keys.size(); i += 1000) {
      const std::vector<std::string> chunk(
          keys.begin() + static_cast<ptrdiff_t>(i),
          keys.begin() + static_cast<ptrdiff_t>(std::min(keys.size(), i + 1000)));
      const auto failures = aws::value_or_throw(s3_->delete_objects(b, chunk));
      report.deleted_objects += chunk.size() - failures.size();
    }
    report.cleaned_runs.push_back(run_id);
  }
  return report;
}

}  // namespace barrage::lambda
