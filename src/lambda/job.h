// LambdaJob: what one Lambda invocation of the worker receives. The job
// itself is the platform-neutral fleet::WorkerJob (serialized only by
// fleet/job.cc); what only Lambda needs travels beside it: the run's queue,
// bucket, stop flag and start object, the region, the segment's safety-net
// end, and the files the worker fetches from S3.
//
// The invocation payload: {"job": <fleet::to_json(job)>, "lambda": {...}}.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "fleet/job.h"
#include "util/error.h"

namespace barrage::lambda {

// The files a Lambda worker fetches from its region's bucket before it runs:
// the script's files (payload CSVs, fromFile, --config, --dotenv, -p) as path
// relative to the script's directory -> S3 key; and the script itself when
// too large for the invocation payload (the job's script_text is then empty).
struct ShippedFiles {
  std::map<std::string, std::string> files;
  std::string script_key;
  [[nodiscard]] bool empty() const { return files.empty() && script_key.empty(); }
  bool operator==(const ShippedFiles&) const = default;
};

struct LambdaJob {
  fleet::WorkerJob job;
  // The region of the queue and bucket (empty: the worker's own region).
  std::string region;
  // The run's SQS queue for the protocol's messages.
  std::string queue_url;
  // barrage-<account>-<region>: the stop flag, the start object, the files.
  std::string bucket;
  // The stop flag (an S3 object in `bucket`: exists = stop); empty = none.
  std::string stop_key;
  // The start barrier: the worker sends `ready`, then waits for this object
  // (in `bucket`), which holds the start's wall-clock ms. Empty: start at the
  // job's start_wall_ms (or at once).
  std::string start_key;
  // Safety net of a segment that hands over: end by this wall-clock ms even if
  // something keeps the worker busy (0 = none).
  int64_t segment_end_wall_ms = 0;
  ShippedFiles shipped;
};

// The invocation payload.
std::string to_json(const LambdaJob& job);
// An Error (message only) on malformed input, the neutral job's errors
// included.
Result<LambdaJob> lambda_job_from_json(const std::string& text);

}  // namespace barrage::lambda
