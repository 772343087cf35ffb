#include "fleet/job.h"

#include <nlohmann/json.hpp>
#include <random>

namespace barrage::fleet {

using nlohmann::json;

namespace {

// The load options as the "load" object: only the options given, as strings.
constexpr std::pair<const char*, std::optional<std::string> script::ScriptOptions::*> kLoadKeys[] =
    {
        {"environment", &script::ScriptOptions::environment},
        {"config_file", &script::ScriptOptions::config_file},
        {"overrides_json", &script::ScriptOptions::overrides_json},
        {"variables_json", &script::ScriptOptions::variables_json},
        {"dotenv_file", &script::ScriptOptions::dotenv_file},
        {"scenario_name", &script::ScriptOptions::scenario_name},
        {"payload_file", &script::ScriptOptions::payload_file},
};

json load_to_json(const script::ScriptOptions& o) {
  json j = json::object();
  for (const auto& [key, member] : kLoadKeys) {
    if (o.*member) j[key] = *(o.*member);
  }
  if (o.solo) j["solo"] = true;
  return j;
}

// Throws json::exception for a mistyped value; unknown keys are ignored.
script::ScriptOptions load_from_json(const json& j) {
  script::ScriptOptions o;
  for (const auto& [key, member] : kLoadKeys) {
    if (j.contains(key)) o.*member = j.at(key).get<std::string>();
  }
  if (j.contains("solo")) o.solo = j.at("solo").get<bool>();
  return o;
}

}  // namespace

std::string to_json(const WorkerJob& job) {
  json j{{"version", job.version},
         {"run_id", job.run_id},
         {"worker", job.worker},
         {"workers", job.workers},
         {"script_path", job.script_path},
         {"script_text", job.script_text},
         {"insecure", job.insecure},
         {"seed", job.seed},
         {"cores", job.cores},
         {"slice_base", job.slice_base},
         {"slice_total", job.slice_total},
         {"period_ms", job.period_ms},
         {"heartbeat_ms", job.heartbeat_ms},
         {"variables", job.variables}};
  if (job.load != script::ScriptOptions{}) j["load"] = load_to_json(job.load);
  if (job.target) j["target"] = *job.target;
  if (job.start_wall_ms != 0) j["start_wall_ms"] = job.start_wall_ms;
  if (job.drain_timeout_ms >= 0) j["drain_timeout_ms"] = job.drain_timeout_ms;
  if (job.segments != 1 || job.segment != 0) {
    j["segment"] = job.segment;
    j["segments"] = job.segments;
  }
  if (job.window_from_ms != 0) j["window_from_ms"] = job.window_from_ms;
  if (job.window_to_ms != 0) j["window_to_ms"] = job.window_to_ms;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<WorkerJob> job_from_json(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("job is not a JSON object");
  }
  try {
    WorkerJob job;
    job.version = j.at("version").get<int>();
    if (job.version != 1) {
      return fail("unsupported job version " + std::to_string(job.version));
    }
    job.run_id = j.at("run_id").get<std::string>();
    job.worker = j.at("worker").get<uint32_t>();
    job.workers = j.at("workers").get<uint32_t>();
    job.script_path = j.at("script_path").get<std::string>();
    job.script_text = j.at("script_text").get<std::string>();
    if (j.contains("target")) job.target = j.at("target").get<std::string>();
    job.insecure = j.at("insecure").get<bool>();
    job.seed = j.at("seed").get<uint64_t>();
    job.cores = j.at("cores").get<int>();
    job.slice_base = j.at("slice_base").get<uint64_t>();
    job.slice_total = j.at("slice_total").get<uint64_t>();
    job.period_ms = j.at("period_ms").get<int64_t>();
    job.heartbeat_ms = j.at("heartbeat_ms").get<int64_t>();
    job.variables = j.at("variables").get<std::map<std::string, std::string>>();
    if (j.contains("load")) job.load = load_from_json(j.at("load"));
    // Optional (added for segments; older jobs lack them).
    job.start_wall_ms = j.value("start_wall_ms", int64_t{0});
    job.drain_timeout_ms = j.value("drain_timeout_ms", int64_t{-1});
    job.segment = j.value("segment", uint32_t{0});
    job.segments = j.value("segments", uint32_t{1});
    job.window_from_ms = j.value("window_from_ms", int64_t{0});
    job.window_to_ms = j.value("window_to_ms", int64_t{0});
    if (job.segments == 0 || job.segment >= job.segments || job.window_from_ms < 0 ||
        job.window_to_ms < 0 || (job.window_to_ms != 0 && job.window_to_ms <= job.window_from_ms)) {
      return fail("job segment fields out of range");
    }
    if (job.workers == 0 || job.worker >= job.workers || job.cores < 1 || job.slice_total == 0 ||
        job.slice_base + static_cast<uint64_t>(job.cores) > job.slice_total ||
        job.period_ms < 100 || job.heartbeat_ms < 10 || job.start_wall_ms < 0) {
      return fail("job fields out of range");
    }
    return job;
  } catch (const json::exception& e) {
    return fail(std::string("job field missing or mistyped: ") + e.what());
  }
}

std::vector<WorkerJob> split_jobs(const WorkerJob& base, const SplitOptions& options) {
  const uint32_t n = std::max<uint32_t>(1, options.count);
  const int cores = std::max(1, options.cores_per_worker);
  uint64_t seed = options.seed;
  if (seed == 0)
    seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  std::vector<WorkerJob> jobs;
  jobs.reserve(n);
  for (uint32_t w = 0; w < n; ++w) {
    WorkerJob j = base;
    j.worker = w;
    j.workers = n;
    j.cores = cores;
    if (options.multiply) {
      j.slice_base = 0;
      j.slice_total = static_cast<uint64_t>(cores);
    } else {
      j.slice_base = static_cast<uint64_t>(w) * static_cast<uint64_t>(cores);
      j.slice_total = static_cast<uint64_t>(n) * static_cast<uint64_t>(cores);
    }
    // Distinct per worker (the shards then mix in their slice index).
    j.seed = seed + 0x9E3779B97F4A7C15ULL * (w + 1);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

}  // namespace barrage::fleet
