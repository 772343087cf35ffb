// The IAM permissions barrage's caller needs for `barrage lambda setup`,
// `barrage run --platform aws:lambda`, `status`, `teardown` and `cleanup`,
// as one list (the policy printed by `barrage lambda policy` is built from it,
// and a test checks every call the resources code makes against it), scoped
// to barrage's names: buckets barrage-<account>-*, the role
// barrage-lambda-worker, functions barrage-worker-*, queues barrage-*.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace barrage::lambda {

// What a permission applies to; each becomes one statement.
enum class PolicyScope {
  kAny,        // "*": calls without resource-level permissions
  kBuckets,    // arn:<p>:s3:::barrage-<account>-*
  kObjects,    // arn:<p>:s3:::barrage-<account>-*/*
  kRole,       // arn:<p>:iam::<account>:role/barrage-lambda-worker
  kPassRole,   // the same, only when passed to lambda.amazonaws.com
  kFunctions,  // arn:<p>:lambda:*:<account>:function:barrage-worker-*
  kQueues,     // arn:<p>:sqs:*:<account>:barrage-*
};

struct CallerPermission {
  std::string_view action;  // "s3:PutObject"
  PolicyScope scope;
  std::string_view why;  // which barrage call needs it
};

// Every permission the caller needs, in policy order.
std::span<const CallerPermission> caller_permissions();

// The policy document (JSON, 2-space indented) with the account id and the
// partition ("aws", "aws-cn", "aws-us-gov") filled in.
std::string caller_policy(std::string_view account, std::string_view partition = "aws");

}  // namespace barrage::lambda
