#include "aws/lambda.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "aws/result.h"
#include "util/base64.h"

namespace barrage::aws {
namespace {

using nlohmann::json;

constexpr std::string_view kFunctions = "/2015-03-31/functions";

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int integer(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  const auto v = it->get<int64_t>();
  return v < 0 || v > INT32_MAX ? 0 : static_cast<int>(v);
}

std::string function_path(const std::string& name) {
  return std::string(kFunctions) + "/" + uri_encode(name);
}

json code_json(const FunctionCode& code) {
  if (!code.zip_file.empty()) return {{"ZipFile", base64_encode(code.zip_file)}};
  return {{"S3Bucket", code.s3_bucket}, {"S3Key", code.s3_key}};
}

ServiceRequest json_request(std::string operation, std::string iam_action, std::string method,
                            std::string path, std::string body) {
  ServiceRequest r;
  r.operation = std::move(operation);
  r.iam_action = std::move(iam_action);
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (!r.body.empty()) r.headers = {{"Content-Type", "application/json"}};
  return r;
}

}  // namespace

std::string create_function_body(const FunctionSpec& spec) {
  json body = {{"FunctionName", spec.name},
               {"Role", spec.role_arn},
               {"Runtime", spec.runtime},
               {"Handler", spec.handler},
               {"Architectures", json::array({spec.architecture})},
               {"MemorySize", spec.memory_mb},
               {"Timeout", spec.timeout_seconds},
               {"PackageType", "Zip"},
               {"Code", code_json(spec.code)}};
  if (!spec.description.empty()) body["Description"] = spec.description;
  if (!spec.environment.empty()) body["Environment"] = {{"Variables", spec.environment}};
  if (!spec.tags.empty()) body["Tags"] = spec.tags;
  if (!spec.subnet_ids.empty() || !spec.security_group_ids.empty()) {
    body["VpcConfig"] = {{"SubnetIds", spec.subnet_ids},
                         {"SecurityGroupIds", spec.security_group_ids}};
  }
  return body.dump();
}

Result<FunctionConfiguration> LambdaClient::create_function(const FunctionSpec& spec) {
  return detail::guarded([&]() -> FunctionConfiguration {
    ServiceRequest r = json_request("CreateFunction", "lambda:CreateFunction", "POST",
                                    std::string(kFunctions), create_function_body(spec));
    r.timeout = std::chrono::minutes(5);
    return parse_function_configuration(detail::call_or_throw(client_, r).body);
  });
}

Result<std::optional<FunctionConfiguration>> LambdaClient::get_function_configuration(
    const std::string& name) {
  return detail::guarded([&]() -> std::optional<FunctionConfiguration> {
    ServiceRequest r = json_request("GetFunctionConfiguration", "lambda:GetFunctionConfiguration",
                                    "GET", function_path(name) + "/configuration", "");
    r.accept_statuses = {404};
    const HttpResponse response = detail::call_or_throw(client_, r);
    if (response.status == 404) {
      const ErrorInfo info = parse_error_response(404, response.body, response.headers);
      if (info.code == "ResourceNotFoundException" || info.code == "NotFound") return std::nullopt;
      throw AwsError(describe_error("Lambda", r.operation, r.iam_action, 404, info), 404,
                     info.code);
    }
    return parse_function_configuration(response.body);
  });
}

Result<FunctionConfiguration> LambdaClient::wait_until_active(const std::string& name,
                                                              const WaitOptions& wait) {
  return detail::guarded([&]() -> FunctionConfiguration {
    std::chrono::milliseconds waited{0};
    for (;;) {
      const auto config = value_or_throw(get_function_configuration(name));
      if (!config) {
        throw AwsError(fmt::format("Lambda: function {} disappeared while waiting for it", name),
                       404, "ResourceNotFoundException");
      }
      if (config->state == "Failed" || config->last_update_status == "Failed") {
        const std::string& reason =
            config->state == "Failed" ? config->state_reason : config->last_update_status_reason;
        throw AwsError(fmt::format("Lambda: function {} failed to become active: {}", name, reason),
                       200, "FunctionFailed");
      }
      if (config->state == "Active" && config->last_update_status != "InProgress") return *config;
      if (waited >= wait.timeout) {
        throw AwsError(
            fmt::format("Lambda: function {} not active after {} s (State {}, {})", name,
                        wait.timeout.count() / 1000, config->state, config->state_reason),
            200, "Timeout");
      }
      if (wait.sleep) {
        wait.sleep(wait.interval);
      } else {
        std::this_thread::sleep_for(wait.interval);
      }
      waited += wait.interval;
    }
  });
}

Result<FunctionConfiguration> LambdaClient::update_function_code(const std::string& name,
                                                                 const FunctionCode& code,
                                                                 const std::string& architecture) {
  return detail::guarded([&]() -> FunctionConfiguration {
    json body = code_json(code);
    if (!architecture.empty()) body["Architectures"] = json::array({architecture});
    ServiceRequest r = json_request("UpdateFunctionCode", "lambda:UpdateFunctionCode", "PUT",
                                    function_path(name) + "/code", body.dump());
    r.timeout = std::chrono::minutes(5);
    return parse_function_configuration(detail::call_or_throw(client_, r).body);
  });
}

Status LambdaClient::put_function_event_invoke_config(const std::string& name,
                                                      int maximum_retry_attempts,
                                                      int maximum_event_age_seconds) {
  return detail::guarded([&]() -> void {
    const json body = {{"MaximumRetryAttempts", maximum_retry_attempts},
                       {"MaximumEventAgeInSeconds", maximum_event_age_seconds}};
    detail::call_or_throw(
        client_,
        json_request("PutFunctionEventInvokeConfig", "lambda:PutFunctionEventInvokeConfig", "PUT",
                     "/2019-09-25/functions/" + uri_encode(name) + "/event-invoke-config",
                     body.dump()));
  });
}

Result<InvokeResult> LambdaClient::invoke_event(const std::string& name, std::string_view payload) {
  return detail::guarded([&]() -> InvokeResult {
    ServiceRequest r = json_request("Invoke", "lambda:InvokeFunction", "POST",
                                    function_path(name) + "/invocations", std::string(payload));
    r.headers.push_back({"X-Amz-Invocation-Type", "Event"});
    // Sent again only if it surely did not arrive: a second worker is double load.
    r.idempotent = false;
    const HttpResponse response = detail::call_or_throw(client_, r);
    InvokeResult out;
    out.status = response.status;
    out.request_id = std::string(response.header("x-amzn-RequestId"));
    out.function_error = std::string(response.header("X-Amz-Function-Error"));
    out.payload = response.body;
    return out;
  });
}

Status LambdaClient::delete_function(const std::string& name) {
  return detail::guarded([&]() -> void {
    detail::call_or_throw(client_, json_request("DeleteFunction", "lambda:DeleteFunction", "DELETE",
                                                function_path(name), ""));
  });
}

Result<std::vector<FunctionConfiguration>> LambdaClient::list_functions() {
  return detail::guarded([&]() -> std::vector<FunctionConfiguration> {
    std::vector<FunctionConfiguration> out;
    std::string marker;
    for (int page = 0; page < 10000; ++page) {
      ServiceRequest r = json_request("ListFunctions", "lambda:ListFunctions", "GET",
                                      std::string(kFunctions) + "/", "");
      r.query = "MaxItems=50";
      if (!marker.empty()) r.query = "Marker=" + uri_encode(marker) + "&" + r.query;
      std::vector<FunctionConfiguration> functions =
          parse_list_functions(detail::call_or_throw(client_, r).body, &marker);
      for (auto& f : functions) out.push_back(std::move(f));
      if (marker.empty()) break;
    }
    return out;
  });
}

std::vector<FunctionConfiguration> parse_list_functions(std::string_view body,
                                                        std::string* next_marker) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw_malformed("Lambda", "ListFunctions", "not a JSON object");
  std::vector<FunctionConfiguration> out;
  const auto functions = j.find("Functions");
  if (functions != j.end()) {
    if (!functions->is_array())
      throw_malformed("Lambda", "ListFunctions", "Functions is not a list");
    for (const auto& f : *functions) out.push_back(parse_function_configuration(f.dump()));
  }
  if (next_marker != nullptr) *next_marker = str(j, "NextMarker");
  return out;
}

FunctionConfiguration parse_function_configuration(std::string_view body) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw_malformed("Lambda", "GetFunctionConfiguration", "not a JSON object");
  FunctionConfiguration c;
  c.name = str(j, "FunctionName");
  if (c.name.empty()) throw_malformed("Lambda", "GetFunctionConfiguration", "no FunctionName");
  c.arn = str(j, "FunctionArn");
  c.runtime = str(j, "Runtime");
  c.role = str(j, "Role");
  c.state = str(j, "State");
  c.state_reason = str(j, "StateReason");
  c.state_reason_code = str(j, "StateReasonCode");
  c.last_update_status = str(j, "LastUpdateStatus");
  c.last_update_status_reason = str(j, "LastUpdateStatusReason");
  c.code_sha256 = str(j, "CodeSha256");
  c.version = str(j, "Version");
  c.memory_mb = integer(j, "MemorySize");
  c.timeout_seconds = integer(j, "Timeout");
  const auto arch = j.find("Architectures");
  if (arch != j.end() && arch->is_array()) {
    for (const auto& a : *arch) {
      if (a.is_string()) c.architectures.push_back(a.get<std::string>());
    }
  }
  return c;
}

}  // namespace barrage::aws
