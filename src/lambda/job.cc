#include "lambda/job.h"

#include <nlohmann/json.hpp>

namespace barrage::lambda {

using nlohmann::json;

std::string to_json(const LambdaJob& job) {
  json l = json::object();
  if (!job.region.empty()) l["region"] = job.region;
  if (!job.queue_url.empty()) l["queue_url"] = job.queue_url;
  if (!job.bucket.empty()) l["bucket"] = job.bucket;
  if (!job.stop_key.empty()) l["stop_key"] = job.stop_key;
  if (!job.start_key.empty()) l["start_key"] = job.start_key;
  if (job.segment_end_wall_ms != 0) l["segment_end_wall_ms"] = job.segment_end_wall_ms;
  if (!job.shipped.files.empty()) l["files"] = job.shipped.files;
  if (!job.shipped.script_key.empty()) l["script_key"] = job.shipped.script_key;
  // The neutral job as fleet/job.cc writes it, spliced in unchanged.
  return R"({"job":)" + fleet::to_json(job.job) + R"(,"lambda":)" +
         l.dump(-1, ' ', false, json::error_handler_t::replace) + "}";
}

Result<LambdaJob> lambda_job_from_json(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("job") || !j.at("job").is_object()) {
    return fail("the invocation is not a Lambda job ({\"job\": {...}, \"lambda\": {...}})");
  }
  auto neutral = fleet::job_from_json(j.at("job").dump());
  if (!neutral) return fail(std::move(neutral.error()));
  LambdaJob job;
  job.job = std::move(*neutral);
  const json l = j.value("lambda", json::object());
  if (!l.is_object()) {
    return fail("the job's lambda section is not an object");
  }
  try {
    job.region = l.value("region", std::string());
    job.queue_url = l.value("queue_url", std::string());
    job.bucket = l.value("bucket", std::string());
    job.stop_key = l.value("stop_key", std::string());
    job.start_key = l.value("start_key", std::string());
    job.segment_end_wall_ms = l.value("segment_end_wall_ms", int64_t{0});
    if (l.contains("files"))
      job.shipped.files = l.at("files").get<std::map<std::string, std::string>>();
    job.shipped.script_key = l.value("script_key", std::string());
  } catch (const json::exception& e) {
    return fail(std::string("lambda job field missing or mistyped: ") + e.what());
  }
  if (!job.shipped.empty() && job.bucket.empty()) {
    return fail("job names files but no bucket");
  }
  if (job.segment_end_wall_ms < 0 || (!job.stop_key.empty() && job.bucket.empty()) ||
      (!job.start_key.empty() && job.bucket.empty())) {
    return fail("lambda job fields out of range");
  }
  return job;
}

}  // namespace barrage::lambda
