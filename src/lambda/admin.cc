#include "lambda/admin.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <stdexcept>

#include "lambda/policy.h"
#include "lambda/resources.h"

namespace barrage::lambda {

namespace {

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

void require_yes(const DeployOptions& o, const std::string& what) {
  if (!o.yes) throw std::invalid_argument(what + "; pass --yes to go ahead");
}

std::string regions_text(const std::vector<std::string>& regions) {
  std::string out;
  for (const auto& r : regions) out += (out.empty() ? "" : ", ") + r;
  return out;
}

}  // namespace

std::string policy(const DeployOptions& o) {
  std::string account = o.account_id;
  std::string partition = "aws";
  if (account.empty()) {
    const AwsContext c = aws_context(o, false);
    const std::string region = c.regions.empty() ? "us-east-1" : c.regions.front();
    partition = partition_for(region);
    Resources res(client_config(c, o, region));
    account = res.account_id();
  } else if (!o.regions.empty()) {
    partition = partition_for(split_list(o.regions).front());
  }
  return caller_policy(account, partition);
}

void show_status(const DeployOptions& o, std::FILE* out) {
  const AwsContext c = aws_context(o, true);
  bool first = true;
  for (const auto& region : c.regions) {
    Resources res(client_config(c, o, region));
    const Status s = res.status();
    if (first) {
      std::fprintf(out, "account %s\n", s.account.c_str());
      if (s.role_exists) {
        std::fprintf(out, "role %s: %s%s\n", std::string(kRoleName).c_str(), s.role_arn.c_str(),
                     s.role_created_by_barrage ? "" : " (not created by barrage)");
      } else {
        std::fprintf(out, "role %s: none\n", std::string(kRoleName).c_str());
      }
      first = false;
    }
    std::fprintf(out, "%s:\n  bucket %s: %s\n", region.c_str(), s.bucket.c_str(),
                 s.bucket_exists ? "exists" : "none");
    if (s.functions.empty()) {
      std::fprintf(out, "  functions of barrage %s: none\n",
                   std::string(project_version()).c_str());
    }
    for (const auto& f : s.functions) {
      std::fprintf(out, "  function %s: %s, %s, %d MB\n", f.name.c_str(), f.state.c_str(),
                   f.architecture.c_str(), f.memory_mb);
    }
    if (s.queues.empty()) std::fprintf(out, "  queues barrage-*: none\n");
    for (const auto& q : s.queues) {
      std::fprintf(out, "  queue %s: created %s, %lld messages\n", q.url.c_str(),
                   q.created_s > 0 ? utc(q.created_s * 1000).c_str() : "?",
                   static_cast<long long>(q.messages));
    }
    for (const auto& r : s.recent_runs) {
      std::fprintf(out, "  run %s: %s, started %s, %d workers, regions %s\n", r.run_id.c_str(),
                   r.status.empty() ? "?" : r.status.c_str(), utc(r.started_ms).c_str(), r.workers,
                   regions_text(r.regions).c_str());
    }
  }
}

void teardown(const DeployOptions& o, std::FILE* out) {
  const AwsContext c = aws_context(o, true);
  require_yes(o, fmt::format("teardown deletes barrage {}'s functions, every barrage-* queue "
                             "(those of running tests too){} in {}, and barrage's worker role",
                             project_version(),
                             o.delete_bucket ? " and the bucket with everything in it" : "",
                             regions_text(c.regions)));
  for (size_t i = 0; i < c.regions.size(); ++i) {
    const std::string& region = c.regions[i];
    Resources res(client_config(c, o, region));
    // The role is global: deleted after the last region's functions.
    TeardownOptions to;
    to.delete_bucket = o.delete_bucket;
    to.delete_role = i + 1 == c.regions.size();
    const auto report = res.teardown(to);
    for (const auto& f : report.deleted_functions)
      std::fprintf(out, "%s: deleted function %s\n", region.c_str(), f.c_str());
    for (const auto& q : report.deleted_queues)
      std::fprintf(out, "%s: deleted queue %s\n", region.c_str(), q.c_str());
    if (report.deleted_bucket) {
      std::fprintf(out, "%s: deleted bucket %s (%zu objects)\n", region.c_str(),
                   res.bucket().c_str(), report.deleted_objects);
    }
    if (report.deleted_role) std::fprintf(out, "deleted role %s\n", std::string(kRoleName).c_str());
    for (const auto& n : report.notes) std::fprintf(out, "%s: %s\n", region.c_str(), n.c_str());
  }
}

void cleanup(const DeployOptions& o, std::FILE* out) {
  const auto age = parse_age(o.older_than);
  const AwsContext c = aws_context(o, true);
  require_yes(o, fmt::format("cleanup deletes barrage-* queues and runs/ objects older than {} "
                             "in {}",
                             o.older_than, regions_text(c.regions)));
  for (const auto& region : c.regions) {
    Resources res(client_config(c, o, region));
    const auto report = res.cleanup(age);
    for (const auto& q : report.deleted_queues)
      std::fprintf(out, "%s: deleted queue %s\n", region.c_str(), q.c_str());
    for (const auto& r : report.cleaned_runs)
      std::fprintf(out, "%s: deleted the files of run %s\n", region.c_str(), r.c_str());
    if (report.deleted_queues.empty() && report.cleaned_runs.empty())
      std::fprintf(out, "%s: nothing older than %s\n", region.c_str(), o.older_than.c_str());
  }
}

}  // namespace barrage::lambda
