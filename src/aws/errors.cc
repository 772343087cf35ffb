#include "aws/errors.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "aws/result.h"
#include "util/ascii.h"

namespace barrage::aws {
namespace {

// "com.amazonaws.sqs#QueueDoesNotExist" -> "QueueDoesNotExist";
// "ResourceNotFoundException:http://internal..." -> "ResourceNotFoundException".
std::string short_code(std::string_view type) {
  const size_t hash = type.rfind('#');
  if (hash != std::string_view::npos) type = type.substr(hash + 1);
  const size_t colon = type.find(':');
  if (colon != std::string_view::npos) type = type.substr(0, colon);
  return std::string(type);
}

std::string status_code_name(int status) {
  switch (status) {
    case 301:
      return "PermanentRedirect";
    case 400:
      return "BadRequest";
    case 403:
      return "AccessDenied";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 429:
      return "TooManyRequestsException";
    default:
      break;
  }
  if (status >= 500) return "InternalError";
  return status == 0 ? "" : fmt::format("HTTP{}", status);
}

bool parse_xml(std::string_view body, ErrorInfo& info) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8)) {
    return false;
  }
  pugi::xml_node error = doc.child("Error");
  if (!error) error = doc.child("ErrorResponse").child("Error");
  if (!error) error = doc.child("Response").child("Errors").child("Error");
  if (!error) return false;
  info.code = error.child_value("Code");
  info.message = error.child_value("Message");
  std::string id = doc.child("ErrorResponse").child_value("RequestId");
  if (id.empty()) id = doc.child("Response").child_value("RequestID");
  if (id.empty()) id = error.child_value("RequestId");
  info.request_id = id;
  return !info.code.empty();
}

bool parse_json(std::string_view body, ErrorInfo& info) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  for (const char* key : {"__type", "code", "Code"}) {
    const auto it = j.find(key);
    if (it != j.end() && it->is_string()) {
      info.code = short_code(it->get<std::string>());
      break;
    }
  }
  for (const char* key : {"message", "Message", "errorMessage"}) {
    const auto it = j.find(key);
    if (it != j.end() && it->is_string()) {
      info.message = it->get<std::string>();
      break;
    }
  }
  return !info.code.empty() || !info.message.empty();
}

}  // namespace

ErrorInfo parse_error_response(int status, std::string_view body,
                               const std::vector<Header>& headers) {
  ErrorInfo info;
  std::string header_type;
  for (const auto& h : headers) {
    if (ascii::iequals(h.name, "x-amzn-ErrorType")) {
      header_type = short_code(h.value);
    } else if (ascii::iequals(h.name, "x-amzn-RequestId") ||
               ascii::iequals(h.name, "x-amz-request-id")) {
      info.request_id = h.value;
    }
  }
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos) {
    const std::string_view trimmed = body.substr(first);
    if (trimmed.front() == '<') {
      parse_xml(trimmed, info);
    } else if (trimmed.front() == '{') {
      parse_json(trimmed, info);
    }
  }
  if (!header_type.empty()) info.code = header_type;
  if (info.code.empty()) info.code = status_code_name(status);
  return info;
}

bool is_throttling_code(std::string_view code) {
  static constexpr std::array<std::string_view, 12> kCodes = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
  };
  for (auto c : kCodes) {
    if (code == c) return true;
  }
  return code == "PriorRequestNotComplete" || code == "EC2ThrottledException";
}

bool is_retryable_error(int status, std::string_view code) {
  if (status == 429 || status >= 500) return true;
  if (is_throttling_code(code)) return true;
  // Clock skew and expired-token races are fixed by signing again.
  return code == "RequestTimeout" || code == "RequestTimeoutException" || code == "InternalError" ||
         code == "ServiceUnavailable";
}

bool is_access_denied_code(std::string_view code) {
  return code == "AccessDenied" || code == "AccessDeniedException" ||
         code == "UnauthorizedOperation" || code == "AuthorizationError" ||
         code == "AllAccessDisabled";
}

std::string describe_error(std::string_view service, std::string_view operation,
                           std::string_view iam_action, int status, const ErrorInfo& info) {
  std::string out = fmt::format("{} {}: ", service, operation);
  if (status == 0) {
    out += fmt::format("no response ({})", info.message);
    return out;
  }
  out += fmt::format("{} (HTTP {})", info.code.empty() ? "error" : info.code, status);
  if (!info.message.empty()) out += ": " + info.message;
  if (is_access_denied_code(info.code)) {
    // The service often names the action it refused ("... not authorized to
    // perform: lambda:CreateFunction on resource ..."); otherwise use ours.
    std::string action(iam_action);
    const size_t at = info.message.find("perform: ");
    if (at != std::string::npos) {
      const size_t begin = at + 9;
      const size_t end = info.message.find_first_of(" ,", begin);
      action = info.message.substr(begin, end == std::string::npos ? end : end - begin);
    }
    if (!action.empty()) {
      out += fmt::format(". The caller is not allowed {}", action);
    } else {
      out += ". The caller is not allowed this call";
    }
    out += "; run `barrage lambda policy` to print the IAM policy barrage needs";
  } else if (info.code == "ExpiredToken" || info.code == "ExpiredTokenException" ||
             info.code == "InvalidClientTokenId" || info.code == "UnrecognizedClientException" ||
             info.code == "SignatureDoesNotMatch" || info.code == "InvalidAccessKeyId") {
    out += ". Check the credentials (environment, profile or role) and the system clock";
  }
  if (!info.request_id.empty()) out += fmt::format(" [request id {}]", info.request_id);
  return out;
}

void throw_malformed(std::string_view service, std::string_view operation,
                     std::string_view detail) {
  throw AwsError(fmt::format("{} {}: unexpected response: {}", service, operation, detail), 200,
                 "MalformedResponse");
}

Error AwsError::error() const {
  Error e;
  e.message = what();
  e.code = code_;
  e.status = status_;
  return e;
}

void throw_error(const Error& error) {
  if (error.code == "CredentialsError") throw CredentialsError(error.message);
  throw AwsError(error);
}

Error credentials_error(const CredentialsError& e) {
  Error out;
  out.message = e.what();
  out.code = "CredentialsError";
  return out;
}

}  // namespace barrage::aws
