// STS (query protocol): GetCallerIdentity and AssumeRole.
#pragma once

#include <string>
#include <string_view>

#include "aws/client.h"
#include "util/error.h"

namespace barrage::aws {

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

struct AssumeRoleRequest {
  std::string role_arn;
  std::string session_name;
  std::string external_id;      // "" for none
  int duration_seconds = 3600;  // 900 .. the role's maximum
};

class StsClient {
 public:
  explicit StsClient(ClientConfig config) : client_(Service::kSts, std::move(config)) {}

  Result<CallerIdentity> get_caller_identity();
  // Temporary credentials of the role (with their expiration).
  Result<Credentials> assume_role(const AssumeRoleRequest& request);

  ServiceClient& client() { return client_; }

 private:
  ServiceClient client_;
};

// Response parsers (throw AwsError "MalformedResponse"); exposed for fuzzing.
CallerIdentity parse_get_caller_identity(std::string_view xml);
Credentials parse_assume_role(std::string_view xml);

}  // namespace barrage::aws
