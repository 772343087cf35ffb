#include "lambda/policy.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>

#include "lambda/resources.h"

namespace barrage::lambda {
namespace {

using nlohmann::ordered_json;

constexpr std::array kPermissions = {
    CallerPermission{"sts:GetCallerIdentity", PolicyScope::kAny, "the account id in names"},
    CallerPermission{"lambda:ListFunctions", PolicyScope::kAny, "status, teardown"},
    CallerPermission{"sqs:ListQueues", PolicyScope::kAny, "status, teardown, cleanup"},
    CallerPermission{"s3:CreateBucket", PolicyScope::kBuckets, "setup"},
    CallerPermission{"s3:PutLifecycleConfiguration", PolicyScope::kBuckets, "setup"},
    CallerPermission{"s3:ListBucket", PolicyScope::kBuckets, "HeadBucket, listing runs"},
    CallerPermission{"s3:DeleteBucket", PolicyScope::kBuckets, "teardown --delete-bucket"},
    CallerPermission{"s3:PutObject", PolicyScope::kObjects, "package, run files, stop flag"},
    CallerPermission{"s3:GetObject", PolicyScope::kObjects, "HeadObject, run metadata"},
    CallerPermission{"s3:DeleteObject", PolicyScope::kObjects, "cleanup, teardown"},
    CallerPermission{"s3:AbortMultipartUpload", PolicyScope::kObjects, "a failed large upload"},
    CallerPermission{"iam:GetRole", PolicyScope::kRole, "setup, status"},
    CallerPermission{"iam:CreateRole", PolicyScope::kRole, "setup"},
    CallerPermission{"iam:PutRolePolicy", PolicyScope::kRole, "setup"},
    CallerPermission{"iam:DeleteRolePolicy", PolicyScope::kRole, "teardown"},
    CallerPermission{"iam:DeleteRole", PolicyScope::kRole, "teardown"},
    CallerPermission{"iam:PassRole", PolicyScope::kPassRole, "CreateFunction with the role"},
    CallerPermission{"lambda:CreateFunction", PolicyScope::kFunctions, "setup"},
    CallerPermission{"lambda:TagResource", PolicyScope::kFunctions, "CreateFunction with --tags"},
    CallerPermission{"lambda:GetFunctionConfiguration", PolicyScope::kFunctions, "setup, run"},
    CallerPermission{"lambda:UpdateFunctionCode", PolicyScope::kFunctions, "a new package"},
    CallerPermission{"lambda:PutFunctionEventInvokeConfig", PolicyScope::kFunctions,
                     "no retries of failed workers"},
    CallerPermission{"lambda:InvokeFunction", PolicyScope::kFunctions, "starting workers"},
    CallerPermission{"lambda:DeleteFunction", PolicyScope::kFunctions, "teardown"},
    CallerPermission{"sqs:CreateQueue", PolicyScope::kQueues, "a run's queue"},
    CallerPermission{"sqs:GetQueueUrl", PolicyScope::kQueues, "a run's queue"},
    CallerPermission{"sqs:GetQueueAttributes", PolicyScope::kQueues, "status, cleanup"},
    CallerPermission{"sqs:ReceiveMessage", PolicyScope::kQueues, "reading workers' messages"},
    CallerPermission{"sqs:DeleteMessage", PolicyScope::kQueues, "reading workers' messages"},
    CallerPermission{"sqs:DeleteQueue", PolicyScope::kQueues, "end of a run, cleanup"},
};

constexpr std::array kScopes = {
    PolicyScope::kAny,      PolicyScope::kBuckets,   PolicyScope::kObjects, PolicyScope::kRole,
    PolicyScope::kPassRole, PolicyScope::kFunctions, PolicyScope::kQueues};

std::string_view sid(PolicyScope s) {
  switch (s) {
    case PolicyScope::kAny:
      return "BarrageAccountLevel";
    case PolicyScope::kBuckets:
      return "BarrageBuckets";
    case PolicyScope::kObjects:
      return "BarrageObjects";
    case PolicyScope::kRole:
      return "BarrageWorkerRole";
    case PolicyScope::kPassRole:
      return "BarragePassWorkerRole";
    case PolicyScope::kFunctions:
      return "BarrageFunctions";
    case PolicyScope::kQueues:
      return "BarrageQueues";
  }
  return "";
}

std::string resource(PolicyScope s, std::string_view account, std::string_view partition) {
  switch (s) {
    case PolicyScope::kAny:
      return "*";
    case PolicyScope::kBuckets:
      return fmt::format("arn:{}:s3:::barrage-{}-*", partition, account);
    case PolicyScope::kObjects:
      return fmt::format("arn:{}:s3:::barrage-{}-*/*", partition, account);
    case PolicyScope::kRole:
    case PolicyScope::kPassRole:
      return fmt::format("arn:{}:iam::{}:role/{}", partition, account, kRoleName);
    case PolicyScope::kFunctions:
      return fmt::format("arn:{}:lambda:*:{}:function:{}*", partition, account, kFunctionPrefix);
    case PolicyScope::kQueues:
      return fmt::format("arn:{}:sqs:*:{}:{}*", partition, account, kQueuePrefix);
  }
  return "";
}

}  // namespace

std::span<const CallerPermission> caller_permissions() { return kPermissions; }

std::string caller_policy(std::string_view account, std::string_view partition) {
  ordered_json statements = ordered_json::array();
  for (PolicyScope scope : kScopes) {
    ordered_json actions = ordered_json::array();
    for (const auto& p : kPermissions) {
      if (p.scope == scope) actions.push_back(std::string(p.action));
    }
    if (actions.empty()) continue;
    ordered_json s = {{"Sid", std::string(sid(scope))},
                      {"Effect", "Allow"},
                      {"Action", actions},
                      {"Resource", resource(scope, account, partition)}};
    if (scope == PolicyScope::kPassRole) {
      s["Condition"] = {{"StringEquals", {{"iam:PassedToService", "lambda.amazonaws.com"}}}};
    }
    statements.push_back(std::move(s));
  }
  const ordered_json policy = {{"Version", "2012-10-17"}, {"Statement", statements}};
  return policy.dump(2) + "\n";
}

}  // namespace barrage::lambda
