#include "aws/sts.h"

#include <pugixml.hpp>

#include "aws/result.h"

namespace barrage::aws {
namespace {

constexpr std::string_view kVersion = "2011-06-15";

ServiceRequest query_request(std::string operation, std::string iam_action,
                             std::vector<std::pair<std::string, std::string>> params) {
  params.insert(params.begin(), {{"Action", operation}, {"Version", std::string(kVersion)}});
  ServiceRequest r;
  r.operation = std::move(operation);
  r.iam_action = std::move(iam_action);
  r.method = "POST";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = form_encode(params);
  return r;
}

pugi::xml_node result_node(const pugi::xml_document& doc, const char* response, const char* result,
                           std::string_view operation) {
  const pugi::xml_node node = doc.child(response).child(result);
  if (!node) throw_malformed("STS", operation, std::string("no <") + result + ">");
  return node;
}

}  // namespace

CallerIdentity parse_get_caller_identity(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size()))
    throw_malformed("STS", "GetCallerIdentity", "not XML");
  const auto r =
      result_node(doc, "GetCallerIdentityResponse", "GetCallerIdentityResult", "GetCallerIdentity");
  CallerIdentity id{r.child_value("Account"), r.child_value("Arn"), r.child_value("UserId")};
  if (id.account.empty()) throw_malformed("STS", "GetCallerIdentity", "no <Account>");
  return id;
}

Credentials parse_assume_role(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) throw_malformed("STS", "AssumeRole", "not XML");
  const auto c =
      result_node(doc, "AssumeRoleResponse", "AssumeRoleResult", "AssumeRole").child("Credentials");
  Credentials out;
  out.access_key_id = c.child_value("AccessKeyId");
  out.secret_access_key = c.child_value("SecretAccessKey");
  out.session_token = c.child_value("SessionToken");
  out.expiration = parse_iso8601(c.child_value("Expiration"));
  if (out.access_key_id.empty() || out.secret_access_key.empty() || out.session_token.empty() ||
      !out.expiration) {
    throw_malformed("STS", "AssumeRole", "incomplete <Credentials>");
  }
  return out;
}

Result<CallerIdentity> StsClient::get_caller_identity() {
  return detail::guarded([&]() -> CallerIdentity {
    // Needs no permission: any valid credentials may call it.
    return parse_get_caller_identity(
        detail::call_or_throw(client_, query_request("GetCallerIdentity", "", {})).body);
  });
}

Result<Credentials> StsClient::assume_role(const AssumeRoleRequest& request) {
  return detail::guarded([&]() -> Credentials {
    std::vector<std::pair<std::string, std::string>> params = {
        {"RoleArn", request.role_arn},
        {"RoleSessionName", request.session_name},
        {"DurationSeconds", std::to_string(request.duration_seconds)},
    };
    if (!request.external_id.empty()) params.emplace_back("ExternalId", request.external_id);
    Credentials c = parse_assume_role(
        detail::call_or_throw(client_,
                              query_request("AssumeRole", "sts:AssumeRole", std::move(params)))
            .body);
    c.source = "assume-role " + request.role_arn;
    return c;
  });
}

}  // namespace barrage::aws
