// Lambda (REST/JSON, API version 2015-03-31): the calls barrage needs to
// create, update, configure, invoke and delete its worker function.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "util/error.h"

namespace barrage::aws {

// Where the deployment package is: an S3 object, or the zip bytes inline
// (up to 50 MB; sent base64-encoded).
struct FunctionCode {
  std::string s3_bucket;
  std::string s3_key;
  std::string zip_file;
};

struct FunctionSpec {
  std::string name;
  std::string role_arn;
  std::string runtime = "provided.al2023";
  std::string handler = "bootstrap";
  std::string architecture = "x86_64";  // or "arm64"
  int memory_mb = 1024;
  int timeout_seconds = 900;
  std::map<std::string, std::string> environment;
  std::map<std::string, std::string> tags;
  std::vector<std::string> subnet_ids;
  std::vector<std::string> security_group_ids;
  std::string description;
  FunctionCode code;
};

struct FunctionConfiguration {
  std::string name;
  std::string arn;
  std::string runtime;
  std::string role;
  std::string state;  // Pending, Active, Inactive, Failed
  std::string state_reason;
  std::string state_reason_code;
  std::string last_update_status;  // InProgress, Successful, Failed
  std::string last_update_status_reason;
  std::string code_sha256;
  std::string version;
  std::vector<std::string> architectures;
  int memory_mb = 0;
  int timeout_seconds = 0;
};

struct InvokeResult {
  int status = 0;  // 202 for an accepted Event invocation
  std::string request_id;
  std::string function_error;  // X-Amz-Function-Error (RequestResponse)
  std::string payload;
};

struct WaitOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds interval{std::chrono::seconds(1)};
  // null: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class LambdaClient {
 public:
  explicit LambdaClient(ClientConfig config) : client_(Service::kLambda, std::move(config)) {}

  Result<FunctionConfiguration> create_function(const FunctionSpec& spec);
  // nullopt when the function does not exist.
  Result<std::optional<FunctionConfiguration>> get_function_configuration(const std::string& name);
  // Polls GetFunctionConfiguration until State is Active and no update is in
  // progress; an Error when it fails (code "FunctionFailed") or the timeout
  // passes (code "Timeout").
  Result<FunctionConfiguration> wait_until_active(const std::string& name,
                                                  const WaitOptions& wait = {});
  Result<FunctionConfiguration> update_function_code(const std::string& name,
                                                     const FunctionCode& code,
                                                     const std::string& architecture = {});
  // Asynchronous invocations: never retried by Lambda (0), so a failed worker
  // does not come back as double load; events older than max_event_age dropped.
  Status put_function_event_invoke_config(const std::string& name, int maximum_retry_attempts = 0,
                                          int maximum_event_age_seconds = 3600);
  // InvocationType Event: Lambda queues it and answers 202.
  Result<InvokeResult> invoke_event(const std::string& name, std::string_view payload);
  Status delete_function(const std::string& name);
  // ListFunctions, every page (Lambda cannot filter by name: callers do).
  Result<std::vector<FunctionConfiguration>> list_functions();

  ServiceClient& client() { return client_; }

 private:
  ServiceClient client_;
};

// Response parser (throws AwsError "MalformedResponse"); exposed for fuzzing.
FunctionConfiguration parse_function_configuration(std::string_view json);
// A ListFunctions page: the functions and the NextMarker ("" on the last page).
std::vector<FunctionConfiguration> parse_list_functions(std::string_view json,
                                                        std::string* next_marker);
// Request body of CreateFunction, exposed for tests.
std::string create_function_body(const FunctionSpec& spec);

}  // namespace barrage::aws
