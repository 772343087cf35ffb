// AWS credentials and where they come from, in the AWS CLI's order:
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//      (skipped when a profile is passed explicitly, as `aws --profile` does);
//   2. the profile (explicit argument, else AWS_PROFILE, else "default") from the
//      shared files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, ~/.aws/...):
//      role_arn + source_profile / credential_source (STS AssumeRole), static
//      keys, credential_process;
//   3. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against
//      169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI with
//      AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]);
//   4. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides
//      the address, AWS_EC2_METADATA_DISABLED=true skips it).
// Temporary credentials are cached and refreshed `refresh_before` their expiry.
//
// Control-plane code: failures are exceptions (CredentialsError), caught at
// the CLI or coordinator edge.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aws/env.h"

namespace barrage::aws {

class Transport;

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  // When temporary credentials stop working; nullopt for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;
  // Where they came from, for messages ("environment", "profile dev", ...).
  std::string source;
};

class CredentialsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Valid credentials now; throws CredentialsError when none can be obtained.
  // Thread-safe.
  virtual Credentials credentials() = 0;
};

// Fixed credentials (tests, and the source of an assume-role).
class StaticCredentialsProvider : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials c) : credentials_(std::move(c)) {}
  Credentials credentials() override { return credentials_; }

 private:
  Credentials credentials_;
};

// Caches what `fetch` returns; fetches again when the cached credentials are
// within `refresh_before` of their expiry. If a refresh fails while the cached
// credentials have not yet expired, they are kept.
class CachingCredentialsProvider : public CredentialsProvider {
 public:
  CachingCredentialsProvider(std::function<Credentials()> fetch,
                             std::chrono::seconds refresh_before, Clock now);
  Credentials credentials() override;
  int fetch_count() const;

 private:
  std::function<Credentials()> fetch_;
  std::chrono::seconds refresh_before_;
  Clock now_;
  mutable std::mutex mutex_;
  std::optional<Credentials> cached_;
  int fetches_ = 0;
};

struct CredentialsOptions {
  // Explicit profile (--profile); empty: AWS_PROFILE, else "default".
  std::string profile;
  Env env = process_env();
  // Region for STS when assuming a role (else the profile's, else us-east-1).
  std::string region;
  // Transport for STS, container and instance metadata calls; null: libcurl.
  std::shared_ptr<Transport> transport;
  std::chrono::seconds refresh_before{300};
  Clock now = [] { return std::chrono::system_clock::now(); };
  // Base of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (tests point it at loopback).
  std::string container_endpoint = "http://169.254.170.2";
  // Default instance metadata address (AWS_EC2_METADATA_SERVICE_ENDPOINT wins).
  std::string imds_endpoint = "http://169.254.169.254";
  // Short, as the SDKs do, so a machine outside EC2 gives up quickly.
  std::chrono::milliseconds metadata_timeout{1000};
};

// Resolves once through the chain above (no caching); throws CredentialsError
// naming every source tried when none has credentials.
Credentials resolve_credentials(const CredentialsOptions& options);

// The chain behind a cache that refreshes temporary credentials.
std::shared_ptr<CredentialsProvider> make_default_credentials_provider(CredentialsOptions options);

// Region: explicit, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`.
std::optional<std::string> resolve_region(std::string_view explicit_region, const Env& env,
                                          std::string_view profile = {});

// Which credentials JSON document to parse.
enum class CredentialsJson {
  kProcess,   // credential_process: Version 1, AccessKeyId, SecretAccessKey, SessionToken,
              // Expiration
  kMetadata,  // container / IMDS: AccessKeyId, SecretAccessKey, Token, Expiration (Code)
};
// Parses a credentials document; throws CredentialsError with what is wrong.
Credentials parse_credentials_json(std::string_view body, CredentialsJson format);

// ISO 8601 UTC ("2015-08-30T12:36:00Z", fractions and "+00:00" accepted).
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s);

}  // namespace barrage::aws
