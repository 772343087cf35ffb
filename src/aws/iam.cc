#include "aws/iam.h"

#include <fmt/format.h>

#include <pugixml.hpp>

#include "aws/result.h"

namespace barrage::aws {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

ServiceRequest query_request(const std::string& action, Params params) {
  params.insert(params.begin(), {{"Action", action}, {"Version", "2010-05-08"}});
  ServiceRequest r;
  r.operation = action;
  r.iam_action = "iam:" + action;
  r.method = "POST";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = form_encode(params);
  return r;
}

}  // namespace

Result<std::optional<Role>> IamClient::get_role(const std::string& name) {
  return detail::guarded([&]() -> std::optional<Role> {
    try {
      return parse_role(
          detail::call_or_throw(client_, query_request("GetRole", {{"RoleName", name}})).body,
          "GetRole");
    } catch (const AwsError& e) {
      if (e.code() == "NoSuchEntity") return std::nullopt;
      throw;
    }
  });
}

Result<Role> IamClient::create_role(const std::string& name,
                                    const std::string& assume_role_policy_json,
                                    const std::string& description,
                                    const std::map<std::string, std::string>& tags) {
  return detail::guarded([&]() -> Role {
    Params params = {{"RoleName", name}, {"AssumeRolePolicyDocument", assume_role_policy_json}};
    if (!description.empty()) params.emplace_back("Description", description);
    int i = 0;
    for (const auto& [key, value] : tags) {
      ++i;
      params.emplace_back(fmt::format("Tags.member.{}.Key", i), key);
      params.emplace_back(fmt::format("Tags.member.{}.Value", i), value);
    }
    return parse_role(
        detail::call_or_throw(client_, query_request("CreateRole", std::move(params))).body,
        "CreateRole");
  });
}

Status IamClient::put_role_policy(const std::string& role, const std::string& policy_name,
                                  const std::string& policy_json) {
  return detail::guarded([&]() -> void {
    detail::call_or_throw(client_,
                          query_request("PutRolePolicy", {{"RoleName", role},
                                                          {"PolicyName", policy_name},
                                                          {"PolicyDocument", policy_json}}));
  });
}

Status IamClient::attach_role_policy(const std::string& role, const std::string& policy_arn) {
  return detail::guarded([&]() -> void {
    detail::call_or_throw(client_, query_request("AttachRolePolicy",
                                                 {{"RoleName", role}, {"PolicyArn", policy_arn}}));
  });
}

Result<bool> IamClient::delete_role_policy(const std::string& role,
                                           const std::string& policy_name) {
  return detail::guarded([&]() -> bool {
    try {
      detail::call_or_throw(
          client_,
          query_request("DeleteRolePolicy", {{"RoleName", role}, {"PolicyName", policy_name}}));
      return true;
    } catch (const AwsError& e) {
      if (e.code() == "NoSuchEntity") return false;
      throw;
    }
  });
}

Result<bool> IamClient::delete_role(const std::string& name) {
  return detail::guarded([&]() -> bool {
    try {
      detail::call_or_throw(client_, query_request("DeleteRole", {{"RoleName", name}}));
      return true;
    } catch (const AwsError& e) {
      if (e.code() == "NoSuchEntity") return false;
      throw;
    }
  });
}

Role parse_role(std::string_view xml, std::string_view operation) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) throw_malformed("IAM", operation, "not XML");
  const std::string response = std::string(operation) + "Response";
  const std::string result = std::string(operation) + "Result";
  const pugi::xml_node role = doc.child(response.c_str()).child(result.c_str()).child("Role");
  if (!role) throw_malformed("IAM", operation, "no <Role>");
  Role out;
  out.name = role.child_value("RoleName");
  out.arn = role.child_value("Arn");
  out.role_id = role.child_value("RoleId");
  out.assume_role_policy = percent_decode(role.child_value("AssumeRolePolicyDocument"));
  out.description = role.child_value("Description");
  if (out.arn.empty()) throw_malformed("IAM", operation, "no <Arn>");
  return out;
}

}  // namespace barrage::aws
