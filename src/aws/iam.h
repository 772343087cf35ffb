// IAM (query protocol, global endpoint): the role the Lambda worker runs as.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/client.h"
#include "util/error.h"

namespace barrage::aws {

struct Role {
  std::string name;
  std::string arn;
  std::string role_id;
  std::string assume_role_policy;  // JSON (IAM sends it URL-encoded; decoded here)
  std::string description;
};

class IamClient {
 public:
  explicit IamClient(ClientConfig config) : client_(Service::kIam, std::move(config)) {}

  // nullopt when the role does not exist.
  Result<std::optional<Role>> get_role(const std::string& name);
  Result<Role> create_role(const std::string& name, const std::string& assume_role_policy_json,
                           const std::string& description = {},
                           const std::map<std::string, std::string>& tags = {});
  // Inline policy (replaces one of the same name).
  Status put_role_policy(const std::string& role, const std::string& policy_name,
                         const std::string& policy_json);
  Status attach_role_policy(const std::string& role, const std::string& policy_arn);
  // Both return false when the role (or policy) did not exist.
  Result<bool> delete_role_policy(const std::string& role, const std::string& policy_name);
  // The role must have no policies left.
  Result<bool> delete_role(const std::string& name);

  ServiceClient& client() { return client_; }

 private:
  ServiceClient client_;
};

// Parses <GetRoleResponse> or <CreateRoleResponse>; throws AwsError
// "MalformedResponse". Exposed for fuzzing and tests.
Role parse_role(std::string_view xml, std::string_view operation);

}  // namespace barrage::aws
