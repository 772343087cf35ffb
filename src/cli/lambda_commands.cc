#include "cli/lambda_commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

#include "aws/credentials.h"
#include "aws/errors.h"
#include "aws/s3.h"
#include "cli/commands.h"
#include "fleet/worker.h"
#include "lambda/policy.h"
#include "lambda/resources.h"
#include "lambda/runtime.h"
#include "lambda/sqs_output.h"
#include "lambda/stop_monitor.h"
#include "util/clock.h"

namespace barrage::cli {

namespace {

using Clock = std::chrono::steady_clock;

// A worker flushes and ends this long before Lambda's deadline, so its last
// batch and done reach the queue before the sandbox is frozen.
constexpr int64_t kDeadlineMarginMs = 20'000;
// Of that margin, what the final flush may use; the rest is for the response.
constexpr int64_t kFlushBudgetMs = 15'000;

void log(const std::string& line) {
  std::fprintf(stderr, "barrage lambda-worker: %s\n", line.c_str());
  std::fflush(stderr);
}

struct Outcome {
  bool ok = false;
  std::string response;  // when ok
  std::string error_type;
  std::string error_message;
};

Outcome fail(std::string type, std::string message) {
  log(type + ": " + message);
  return Outcome{false, {}, std::move(type), std::move(message)};
}

// The start barrier: after `ready`, the coordinator writes the start instant
// (wall ms) to the job's start key once every worker is ready. Polled every
// 250 ms until it appears, the run is stopped, or `end_by` passes; nullopt
// then (the worker starts at once and ends at once).
std::optional<int64_t> wait_for_start(const aws::ClientConfig& config, const fleet::WorkerJob& job,
                                      int64_t end_by, const std::atomic<bool>& stop,
                                      uint64_t* requests) {
  aws::S3Client s3(config);
  std::string last_error;
  while (!stop.load() && (end_by <= 0 || wall_now_ms() < end_by)) {
    try {
      ++*requests;
      if (s3.head_object(job.bucket, job.start_key)) {
        ++*requests;
        const std::string body = s3.get_object(job.bucket, job.start_key);
        int64_t ms = 0;
        const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), ms);
        if (ec == std::errc() && ms > 0) return ms;
        log("start object '" + job.start_key + "' holds no start time: '" + body.substr(0, 40) +
            "'");
        return std::nullopt;
      }
    } catch (const std::exception& e) {
      if (last_error != e.what()) log(std::string("waiting for the start: ") + e.what());
      last_error = e.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return std::nullopt;
}

// Puts the job's files where its script expects them: a fresh directory under
// the temp dir (Lambda's /tmp), the script's directory nested deep enough that
// "../data.csv" stays inside it. Rewrites the job's script path and its
// --config / --dotenv paths to the fetched copies.
void fetch_files(const aws::ClientConfig& config, fleet::WorkerJob& job, uint64_t* requests) {
  namespace fs = std::filesystem;
  size_t depth = 0;
  for (const auto& [rel, key] : job.files) {
    const fs::path p = fs::path(rel).lexically_normal();
    if (p.is_absolute() || rel.empty())
      throw std::runtime_error("job file '" + rel + "' is not relative");
    size_t up = 0;
    for (const auto& part : p) {
      if (part != "..") break;
      ++up;
    }
    depth = std::max(depth, up);
  }
  const fs::path root = fs::temp_directory_path() /
                        fmt::format("barrage-{}-{}-{}", job.run_id, job.worker, job.segment);
  fs::path dir = root / "s";
  for (size_t i = 0; i < depth; ++i) dir /= "d";
  fs::create_directories(dir);
  aws::S3Client s3(config);
  if (!job.script_key.empty()) {
    ++*requests;
    job.script_text = s3.get_object(job.bucket, job.script_key);
  }
  for (const auto& [rel, key] : job.files) {
    const fs::path dest = (dir / rel).lexically_normal();
    fs::create_directories(dest.parent_path());
    ++*requests;
    const std::string bytes = s3.get_object(job.bucket, key);
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + dest.string());
  }
  job.script_path = (dir / fs::path(job.script_path).filename()).string();
  for (const char* k : {"config_file", "dotenv_file"}) {
    auto it = job.load.find(k);
    if (it != job.load.end() && job.files.contains(it->second))
      it->second = (dir / it->second).lexically_normal().string();
  }
}

Outcome handle(const lambda::Invocation& inv) {
  const auto invoked = Clock::now();
  if (!inv.deadline_problem.empty())
    log("deadline unknown (" + inv.deadline_problem + "); no deadline safety net");
  std::string error;
  auto job = fleet::job_from_json(inv.body, &error);
  if (!job) return fail("Barrage.InvalidJob", error);
  if (job->queue_url.empty())
    return fail("Barrage.InvalidJob", "the job names no queue_url for the worker's messages");

  const aws::Env env = aws::process_env();
  aws::ClientConfig config;
  config.region =
      !job->region.empty() ? job->region : aws::resolve_region("", env).value_or("us-east-1");
  aws::CredentialsOptions co;
  co.region = config.region;
  config.credentials = aws::make_default_credentials_provider(co);

  lambda::SqsOutput output(config, job->queue_url);
  std::unique_ptr<fleet::Worker> worker;
  uint64_t file_requests = 0;
  try {
    if (!job->files.empty() || !job->script_key.empty()) fetch_files(config, *job, &file_requests);
    worker = std::make_unique<fleet::Worker>(*job, output.output());
  } catch (const std::exception& e) {
    // Tell the coordinator too, through the protocol.
    fleet::Message m;
    m.kind = fleet::Kind::kError;
    m.run_id = job->run_id;
    m.worker = job->worker;
    m.seq = 1;
    m.reason = e.what();
    for (const auto& envelope : fleet::encode(m)) output.push(envelope);
    output.close(Clock::now() + std::chrono::milliseconds(kFlushBudgetMs));
    return fail("Barrage.ScriptError", e.what());
  }

  // When to end at the latest: the segment's end, and the safety net before
  // Lambda's deadline; whichever comes first.
  int64_t end_by = job->segment_end_wall_ms;
  if (inv.deadline_wall_ms) {
    const int64_t net = *inv.deadline_wall_ms - kDeadlineMarginMs;
    end_by = end_by > 0 ? std::min(end_by, net) : net;
  }
  std::atomic<bool> stop{false};
  lambda::StopOptions so;
  so.bucket = job->stop_key.empty() ? std::string() : job->bucket;
  so.key = job->stop_key;
  so.end_by_wall_ms = end_by;
  if (!job->stop_key.empty())
    so.ack_key = lambda::ack_key(job->run_id, static_cast<int>(job->worker));
  bool ran = false;
  lambda::StopReason reason = lambda::StopReason::kNone;
  {
    lambda::StopMonitor monitor(config, so, &stop);
    uint64_t start_requests = 0;
    worker->set_done_extras([&](bool /*interrupted*/) {
      fleet::Worker::DoneExtras x;
      // A stop flag ends the whole test; a segment's end hands over.
      x.more = job->segment + 1 < job->segments && monitor.reason() != lambda::StopReason::kFlag;
      x.duration_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - invoked).count();
      // The done itself and the final flush go in about one more batch.
      x.sqs_requests = output.stats().batches + 1;
      x.s3_requests = monitor.polls() + start_requests + file_requests;
      return x;
    });
    worker->send_ready();
    output.flush_soon();
    int64_t start = job->start_wall_ms;
    if (!job->start_key.empty()) {
      const auto at = wait_for_start(config, *job, end_by, stop, &start_requests);
      // No start time (stopped before the start, or past the end): a start
      // in the past with the stop set ends the run at once.
      if (at) {
        // A later segment's start_wall_ms is the test's phase 0 already.
        if (job->segment == 0) start = *at;
      } else {
        stop.store(true);
      }
    }
    log(fmt::format("run {} worker {}/{} segment {}/{}: starting{}", job->run_id, job->worker,
                    job->workers, job->segment + 1, job->segments,
                    end_by > 0 ? fmt::format(", ending by {} ms from now", end_by - wall_now_ms())
                               : std::string()));
    ran = worker->run(start, &stop);
    reason = monitor.reason();
  }
  auto flush_until = Clock::now() + std::chrono::milliseconds(kFlushBudgetMs);
  if (inv.deadline_wall_ms) {
    const int64_t left = *inv.deadline_wall_ms - wall_now_ms() - 2'000;
    flush_until = std::min(flush_until, Clock::now() + std::chrono::milliseconds(left));
  }
  const lambda::SqsOutputStats stats = output.close(flush_until);
  log(fmt::format(
      "run {} worker {}: {} (stopped by {}), {} messages sent in {} batches, {} dropped",
      job->run_id, job->worker, ran ? "done" : "failed", lambda::stop_reason_name(reason),
      stats.sent, stats.batches, stats.dropped));
  if (!ran) return fail("Barrage.WorkerFailed", "the engine failed; the reason is on the queue");
  const nlohmann::json summary{{"run_id", job->run_id},
                               {"worker", job->worker},
                               {"stopped_by", lambda::stop_reason_name(reason)},
                               {"messages_sent", stats.sent},
                               {"messages_dropped", stats.dropped},
                               {"sqs_batches", stats.batches}};
  return Outcome{true, summary.dump(), {}, {}};
}

}  // namespace

int lambda_worker_command() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr || *api == '\0') {
    std::fprintf(stderr,
                 "barrage lambda-worker: AWS_LAMBDA_RUNTIME_API is not set (this command is "
                 "the Lambda custom runtime; the package's bootstrap starts it)\n");
    return kExitUsage;
  }
  lambda::RuntimeClient runtime(api);
  while (true) {
    lambda::Invocation inv;
    try {
      inv = runtime.next();
    } catch (const lambda::RuntimeApiError& e) {
      log(e.what());
      return 1;
    }
    Outcome outcome;
    try {
      outcome = handle(inv);
    } catch (const std::exception& e) {
      outcome = fail("Barrage.Error", e.what());
    }
    try {
      if (outcome.ok) {
        runtime.post_response(inv.request_id, outcome.response);
      } else {
        runtime.post_error(inv.request_id, outcome.error_type, outcome.error_message);
      }
    } catch (const lambda::RuntimeApiError& e) {
      log(e.what());
      return 1;
    }
  }
}

// ---- lambda policy | setup | status | teardown | cleanup ----------------------

namespace {

class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct AwsContext {
  aws::Env env = aws::process_env();
  std::vector<std::string> regions;
  std::shared_ptr<aws::CredentialsProvider> credentials;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    if (!item.empty()) out.push_back(std::move(item));
    pos = comma + 1;
  }
  return out;
}

AwsContext aws_context(const LambdaAdminOptions& o, bool region_required) {
  AwsContext c;
  c.regions = split_list(o.regions);
  if (c.regions.empty()) {
    if (auto r = aws::resolve_region("", c.env, o.profile)) c.regions.push_back(*r);
  }
  if (c.regions.empty() && region_required) {
    throw UsageError(
        "no region: pass --region (comma list allowed), or set AWS_REGION, AWS_DEFAULT_REGION "
        "or the profile's region");
  }
  aws::CredentialsOptions co;
  co.profile = o.profile;
  co.env = c.env;
  co.region = c.regions.empty() ? "us-east-1" : c.regions.front();
  c.credentials = aws::make_default_credentials_provider(co);
  return c;
}

aws::ClientConfig client_config(const AwsContext& c, const LambdaAdminOptions& o,
                                const std::string& region) {
  aws::ClientConfig config;
  config.region = region;
  config.credentials = c.credentials;
  config.endpoint_url = o.endpoint_url;
  config.env = c.env;
  return config;
}

// Runs one command with the exit codes of docs/aws-lambda.md.
int guarded(const char* name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "barrage lambda %s: %s\n", name, e.what());
    return kExitUsage;
  } catch (const std::invalid_argument& e) {  // unusable region or endpoint URL
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
    throw UsageError(fmt::format(
        "--older-than {}: expected a number with s, m, h or d (\"24h\", \"2d\")", text));
  }
  return std::chrono::seconds(n * scale);
}

void require_yes(const LambdaAdminOptions& o, const std::string& what) {
  if (!o.yes) throw UsageError(what + "; pass --yes to go ahead");
}

// A file removed when this goes out of scope ("" for none).
class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove(path, ec);
  }
  std::filesystem::path path;
};

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

std::vector<Deployed> deploy(const LambdaAdminOptions& o,
                             const std::function<void(const std::string&)>& say) {
  if (o.architecture == "arm64" && o.package.empty()) {
    throw UsageError(
        "--architecture arm64 needs --package ZIP built for arm64 (this build packages "
        "x86_64 only)");
  }
  std::map<std::string, std::string> tags;
  for (const auto& t : o.tags) {
    const size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--tags " + t + ": expected k=v");
    tags[t.substr(0, eq)] = t.substr(eq + 1);
  }
  const AwsContext c = aws_context(o, true);
  std::string role_arn;
  std::string package = o.package;
  TempFile temp;
  std::vector<Deployed> out;
  for (const auto& region : c.regions) {
    Deployed d;
    d.region = region;
    d.config = client_config(c, o, region);
    lambda::Resources res(d.config);
    if (role_arn.empty()) say(fmt::format("account {}", res.account_id()));
    const auto bucket = res.ensure_bucket();
    d.bucket = bucket.name;
    say(fmt::format("{}: bucket {}: {}", region, bucket.name, lambda::to_string(bucket.outcome)));
    if (role_arn.empty()) {
      const auto role = o.role_arn.empty() ? res.ensure_role() : res.ensure_role(o.role_arn);
      role_arn = role.arn;
      say(fmt::format("role {}: {} ({})", role.name,
                      o.role_arn.empty() ? std::string(lambda::to_string(role.outcome)) : "given",
                      role.arn));
    }
    if (package.empty()) {
      temp.path = std::filesystem::temp_directory_path() /
                  fmt::format("barrage-lambda-{}-{}.zip", o.architecture, ::getpid());
      lambda::PackageOptions po;
      po.output = temp.path.string();
      po.arch = o.architecture;
      const auto written = lambda::write_package(po);
      package = written.path;
      say(fmt::format("package {}: {:.1f} MiB", package,
                      static_cast<double>(written.bytes) / (1024.0 * 1024.0)));
    }
    lambda::FunctionOptions fo;
    fo.memory_mb = o.memory_mb;
    fo.architecture = o.architecture;
    fo.role_arn = role_arn;
    fo.security_group_ids = o.security_group_ids;
    fo.subnet_ids = o.subnet_ids;
    fo.tags = tags;
    fo.package_path = package;
    const auto function = res.ensure_function(fo);
    d.function = function.name;
    say(fmt::format("{}: function {}: {}{} ({})", region, function.name,
                    lambda::to_string(function.outcome),
                    function.uploaded ? ", package uploaded" : "", function.arn));
    out.push_back(std::move(d));
  }
  return out;
}

int lambda_setup_command(const LambdaAdminOptions& o) {
  return guarded("setup", [&] {
    (void)deploy(o, [](const std::string& line) { std::printf("%s\n", line.c_str()); });
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
  if (*worker_) return lambda_worker_command();
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
