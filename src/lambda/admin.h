// The administration of barrage's resources in an account (`barrage lambda
// policy | status | teardown | cleanup`; `setup` is lambda/deploy.h). Each
// writes its lines to `out` and throws AwsError, CredentialsError, or
// std::invalid_argument for usage errors (no region, --yes missing, a bad
// --older-than).
#pragma once

#include <cstdio>
#include <string>

#include "lambda/deploy.h"

namespace barrage::lambda {

// The IAM policy (JSON) the caller needs, with the account id filled in
// (options.account_id, or STS).
std::string policy(const DeployOptions& options);
// The account, the role, and per region the bucket, this version's
// functions, the queues and recent runs.
void show_status(const DeployOptions& options, std::FILE* out);
// Deletes this version's functions, every barrage-* queue and the worker
// role (and the bucket with options.delete_bucket); needs options.yes.
void teardown(const DeployOptions& options, std::FILE* out);
// Deletes queues and run files older than options.older_than; needs options.yes.
void cleanup(const DeployOptions& options, std::FILE* out);

}  // namespace barrage::lambda
