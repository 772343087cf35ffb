// The Lambda worker: the custom runtime's loop (`barrage lambda-worker`,
// started by the package's bootstrap). Each invocation's payload is a
// WorkerJob; the worker fetches the job's files, waits for the start barrier,
// runs its share, sends the protocol to the run's SQS queue, watches the S3
// stop flag and Lambda's deadline, and answers the invocation.
#pragma once

namespace barrage::lambda {

// Next invocation -> run its job -> response or error, until the Runtime API
// fails (then Lambda restarts the runtime). Returns the process exit code:
// 2 when AWS_LAMBDA_RUNTIME_API is not set, 1 when the Runtime API fails.
int run_worker_runtime();

}  // namespace barrage::lambda
