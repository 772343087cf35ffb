#include "run/request.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace barrage::run {

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t from = 0;
  while (true) {
    const size_t at = s.find(sep, from);
    out.emplace_back(s.substr(from, at == std::string_view::npos ? s.npos : at - from));
    if (at == std::string_view::npos) return out;
    from = at + 1;
  }
}

// --count's value: "" = none, "auto", or 1..10000.
bool parse_count(const std::string& text, uint32_t* count, bool* count_auto) {
  *count = 0;
  *count_auto = false;
  if (text.empty()) return true;
  if (text == "auto") {
    *count_auto = true;
    return true;
  }
  unsigned long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > 10'000) return false;
  *count = static_cast<uint32_t>(n);
  return true;
}

// Applies one --platform-opt key=value to `r`; an Error for a value barrage
// cannot use.
Status apply_platform_opt(const std::string& opt, RunRequest& r,
                          std::vector<std::string>* warnings) {
  const size_t eq = opt.find('=');
  const std::string key = opt.substr(0, eq);
  const std::string value = eq == std::string::npos ? std::string() : opt.substr(eq + 1);
  static const char* const kLambdaKeys[] = {
      "region",        "memory-size",        "architecture", "lambda-role-arn",
      "lambdaRoleArn", "security-group-ids", "subnet-ids"};
  const bool lambda_key =
      std::find(std::begin(kLambdaKeys), std::end(kLambdaKeys), key) != std::end(kLambdaKeys);
  if (key == "count") {
    r.count = value;
    return {};
  }
  if (!lambda_key) {
    warnings->push_back(fmt::format(
        "--platform-opt {}: barrage has no such platform option (it maps region, memory-size, "
        "architecture, lambda-role-arn, security-group-ids, subnet-ids and count); ignored",
        key));
    return {};
  }
  if (r.platform != "aws:lambda") {
    warnings->push_back(
        fmt::format("--platform-opt {} applies to --platform aws:lambda only; ignored", key));
    return {};
  }
  lambda::DeployOptions& a = r.lambda;
  if (key == "region") {
    a.regions = value;
  } else if (key == "memory-size") {
    int mb = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), mb);
    if (ec != std::errc() || end != value.data() + value.size() || mb < 128 || mb > 10240) {
      return fail("--platform-opt memory-size=" + value + ": a size in MB from 128 to 10240");
    }
    a.memory_mb = mb;
  } else if (key == "architecture") {
    if (value != "x86_64" && value != "arm64") {
      return fail("--platform-opt architecture=" + value + ": x86_64 or arm64");
    }
    a.architecture = value;
  } else if (key == "lambda-role-arn" || key == "lambdaRoleArn") {
    a.role_arn = value;
  } else {
    auto& list = key == "subnet-ids" ? a.subnet_ids : a.security_group_ids;
    list = lambda::split_list(value);
  }
  return {};
}

}  // namespace

barrage::Result<RunSpec> spec_for(const RunRequest& request, const script::ScriptOptions& load,
                                  std::vector<std::string>* warnings) {
  RunRequest args = request;
  for (const auto& opt : request.platform_opts) {
    if (auto applied = apply_platform_opt(opt, args, warnings); !applied) {
      return fail(std::move(applied.error()));
    }
  }
  uint32_t count = 0;
  bool count_auto = false;
  if (!parse_count(args.count, &count, &count_auto)) {
    return fail("--count takes a number of workers from 1 to 10000, or auto (got '" + args.count +
                "')");
  }
  const bool lambda = args.platform == "aws:lambda";
  if (load.solo && (count > 1 || count_auto)) {
    // Artillery's --solo runs one worker.
    warnings->push_back("--solo runs one virtual user: --count " + args.count +
                        " is taken as --count 1");
    count = 1;
    count_auto = false;
  }
  if (lambda && count == 0 && !count_auto) {
    return fail("--platform aws:lambda needs --count N (or --count auto)");
  }
  if (count_auto && !lambda) return fail("--count auto needs --platform aws:lambda");
  if (args.record || args.key) {
    warnings->push_back(
        "--record and --key send results to Artillery Cloud, which barrage does not use; "
        "ignored (the report is written with -o)");
  }
  RunSpec spec;
  spec.engine.cores = args.cores;
  spec.engine.insecure = args.insecure;
  spec.engine.target = args.target;
  spec.engine.seed = args.seed;
  spec.engine.period_ms = args.period_ms;
  spec.run_id = args.run_id;
  if (args.drain_timeout_s >= 0) {
    spec.engine.drain_timeout_ms = static_cast<int64_t>(args.drain_timeout_s * 1000);
  }
  if (count > 0 || count_auto) {
    spec.platform = lambda ? Platform::kLambda : Platform::kLocalWorkers;
    spec.workers.count = count;
    spec.workers.multiply = args.multiply;
    spec.workers.heartbeat_ms = args.heartbeat_ms;
    spec.workers.ready_timeout_ms = args.ready_timeout_ms;
    if (!args.worker_exec.empty()) spec.workers.worker_command = {args.worker_exec};
  }
  spec.lambda.aws = args.lambda;
  spec.lambda.count_auto = count_auto;
  spec.lambda.segment_ms = args.segment_ms;
  spec.lambda.segment_lead_ms = args.segment_lead_ms;
  return spec;
}

barrage::Result<report::RunLabels> labels_for(const RunRequest& request,
                                              std::vector<std::string>* warnings) {
  report::RunLabels labels;
  if (request.tags && !request.tags->empty()) {
    std::vector<std::string> bad;
    for (const auto& item : split(*request.tags, ',')) {
      const std::string t = trim(item);
      const auto parts = split(t, ':');
      if (parts.size() != 2) {
        bad.push_back(t);
        continue;
      }
      labels.tags.push_back({trim(parts[0]), trim(parts[1])});
    }
    if (!bad.empty()) {
      warnings->push_back(
          fmt::format("could not parse some tags (want name:value): {}", fmt::join(bad, ", ")));
    }
    if (labels.tags.size() > 10) {
      return fail(
          fmt::format("--tags: a maximum of 10 tags is supported ({} given)", labels.tags.size()));
    }
  }
  for (auto& t : labels.tags) {
    if (t.name != "name") continue;
    if (request.name) t.value = *request.name;  // --name wins, as in Artillery
    labels.name = t.value;
  }
  if (request.name) labels.name = *request.name;
  labels.note = request.note.value_or("");
  return labels;
}

Status apply_inputs(const RunRequest& request, script::ScriptOptions& load) {
  if (request.inputs.empty()) return {};
  if (request.inputs.size() > 1 || load.config_file) {
    return fail(
        "barrage merges one extra file over the script: give one -i FILE or --config FILE, "
        "not both or several");
  }
  load.config_file = request.inputs.front();
  return {};
}

}  // namespace barrage::run
