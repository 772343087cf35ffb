// A small stateful stand-in for the AWS control plane behind one loopback
// FixtureServer: STS GetCallerIdentity, IAM roles and inline policies, S3
// buckets and objects (path-style, with user metadata and lifecycle), Lambda
// functions (create, configuration, code update, event invoke config,
// list, delete) and SQS queues (create, list, attributes, delete). Requests
// are routed by the service in their SigV4 credential scope. It answers the
// way the AWS API references say for the calls barrage makes, including the
// errors barrage handles (NoSuchEntity, ResourceNotFoundException,
// QueueDoesNotExist, NoSuchKey), and can inject the IAM propagation error,
// a Pending state and AccessDenied. Everything else answers 400.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/client.h"
#include "fixture_server.h"

namespace barrage::lambda::testing_support {

inline constexpr const char* kAccount = "123456789012";

struct FakeObject {
  std::string body;
  std::map<std::string, std::string> metadata;
  int64_t modified_s = 0;
};

struct FakeFunction {
  std::string name;
  std::string role;
  std::string architecture;
  int memory_mb = 0;
  std::string code_sha256;  // of the S3 object it was created or updated from
  std::string create_body;  // as received
  int pending_polls = 0;    // GetFunctionConfiguration answers Pending this many times
  std::optional<int> maximum_retry_attempts;
};

struct FakeQueue {
  std::string name;
  int64_t created_s = 0;
};

class FakeAws {
 public:
  FakeAws();

  // A client config for region `region` that reaches this fake, with dummy
  // credentials, no retry sleeps, the fake's clock, and every call's IAM
  // action recorded (actions()).
  aws::ClientConfig config(const std::string& region = "eu-west-1");

  // Wall clock of the fake (object and queue times, and the config's now).
  void set_now(int64_t s);
  int64_t now_s() const;

  std::vector<aws::testing_support::RecordedRequest> requests() const { return server_.requests(); }
  // "Service Operation" of every request, in order ("S3 PutObject", "IAM CreateRole").
  std::vector<std::string> operations() const;
  size_t count(const std::string& operation) const;
  // IAM actions of every call made through config()'s clients.
  std::set<std::string> actions() const;

  // State (locked by the accessors; the test thread reads after calls return).
  std::map<std::string, std::map<std::string, FakeObject>> buckets;
  std::map<std::string, std::string> lifecycle;  // bucket -> XML body
  struct FakeRole {
    std::string arn;
    std::string description;
    std::string trust_policy;
    std::map<std::string, std::string> policies;
  };
  std::optional<FakeRole> role;
  std::map<std::string, FakeFunction> functions;
  std::map<std::string, FakeQueue> queues;  // by name

  // Fault injection.
  int propagation_failures = 0;  // CreateFunction answers "cannot be assumed" this often
  int pending_after_change = 0;  // polls of Pending after create/update
  std::set<std::string> denied;  // operations answered with AccessDenied ("CreateRole")
  // Lambda takes code from S3 objects this fake does not hold (S3 elsewhere);
  // CodeSha256 is then "" (as if unknown).
  bool accept_unknown_code = false;

  std::mutex& mutex() { return mutex_; }

 private:
  struct Upload {
    std::map<std::string, std::string> metadata;
    std::map<int, std::string> parts;
  };
  std::map<std::string, Upload> uploads_;  // S3 multipart uploads in progress
  aws::testing_support::CannedResponse handle(const aws::testing_support::RecordedRequest& r);
  aws::testing_support::CannedResponse sts(const aws::testing_support::RecordedRequest& r);
  aws::testing_support::CannedResponse iam(const aws::testing_support::RecordedRequest& r);
  aws::testing_support::CannedResponse s3(const aws::testing_support::RecordedRequest& r);
  aws::testing_support::CannedResponse lambda(const aws::testing_support::RecordedRequest& r);
  aws::testing_support::CannedResponse sqs(const aws::testing_support::RecordedRequest& r);
  std::string queue_url(const std::string& name) const;

  mutable std::mutex mutex_;
  int64_t now_s_ = 1'800'000'000;
  std::vector<std::string> operations_;
  std::set<std::string> actions_;
  aws::testing_support::FixtureServer server_;
};

}  // namespace barrage::lambda::testing_support
