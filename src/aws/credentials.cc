#include "aws/credentials.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "aws/http.h"
#include "aws/profile.h"
#include "aws/result.h"
#include "aws/sts.h"
#include "util/ascii.h"

namespace barrage::aws {
namespace {

using std::chrono::system_clock;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || ascii::is_ows(s.back())))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && ascii::is_ows(s[i])) ++i;
  return s.substr(i);
}

std::string json_string(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::optional<Credentials> from_environment(const Env& env) {
  const auto id = env_value(env, "AWS_ACCESS_KEY_ID");
  const auto secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::nullopt;
  if (!id || !secret) {
    throw CredentialsError(fmt::format("{} is set but {} is not; set both or neither",
                                       id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                       id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"));
  }
  Credentials c;
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  c.session_token = env_value(env, "AWS_SESSION_TOKEN").value_or("");
  c.source = "environment";
  return c;
}

std::shared_ptr<Transport> transport_of(const CredentialsOptions& o) {
  return o.transport ? o.transport : make_curl_transport();
}

Credentials run_credential_process(const std::string& command, const std::string& profile) {
  // Through /bin/sh, so the command may quote arguments; its stderr goes to
  // the user's terminal (prompts, errors).
  FILE* pipe = popen(command.c_str(), "r");  // NOLINT(cert-env33-c): the user's own setting
  if (pipe == nullptr) {
    throw CredentialsError(
        fmt::format("profile {}: cannot start credential_process '{}'", profile, command));
  }
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0 && out.size() < (1U << 20)) out.append(buf, n);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw CredentialsError(
        fmt::format("profile {}: credential_process '{}' failed (exit status {})", profile, command,
                    status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  try {
    Credentials c = parse_credentials_json(out, CredentialsJson::kProcess);
    c.source = fmt::format("profile {} (credential_process)", profile);
    return c;
  } catch (const CredentialsError& e) {
    throw CredentialsError(
        fmt::format("profile {}: credential_process '{}': {}", profile, command, e.what()));
  }
}

bool allowed_full_uri(std::string_view url) {
  if (url.starts_with("https://")) return true;
  if (!url.starts_with("http://")) return false;
  std::string_view host = url.substr(7);
  host = host.substr(0, host.find('/'));
  if (host.starts_with("[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host.starts_with("127.") || host == "localhost" || host == "[::1]" ||
         host == "169.254.170.2" || host == "169.254.170.23" || host == "[fd00:ec2::23]";
}

// nullopt when the environment does not configure container credentials.
std::optional<Credentials> from_container(const CredentialsOptions& o) {
  const auto relative = env_value(o.env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const auto full = env_value(o.env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative && !full) return std::nullopt;
  HttpRequest req;
  if (relative) {
    req.url = o.container_endpoint + (relative->starts_with("/") ? "" : "/") + *relative;
  } else {
    if (!allowed_full_uri(*full)) {
      throw CredentialsError(fmt::format(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI '{}' must use https or a loopback or ECS/EKS "
          "address",
          *full));
    }
    req.url = *full;
  }
  std::string token = env_value(o.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  if (const auto file = env_value(o.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*file);
    if (!in) throw CredentialsError("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
    std::stringstream ss;
    ss << in.rdbuf();
    token = trimmed(ss.str());
  }
  if (!token.empty()) req.headers.push_back({"Authorization", token});
  req.timeout = o.metadata_timeout * 2;
  req.connect_timeout = o.metadata_timeout;
  const auto transport = transport_of(o);
  HttpResponse r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    r = transport->send(req);
    if (r.status == 200 || (r.status != 0 && r.status < 500)) break;
  }
  if (r.status != 200) {
    throw CredentialsError(fmt::format("container credentials from {}: {}", req.url,
                                       r.status == 0 ? r.error : fmt::format("HTTP {}", r.status)));
  }
  Credentials c = parse_credentials_json(r.body, CredentialsJson::kMetadata);
  c.source = "container";
  return c;
}

// An Error (why) when no instance metadata service answers with a role.
Result<Credentials> from_instance_metadata(const CredentialsOptions& o) {
  std::string base =
      env_value(o.env, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(o.imds_endpoint);
  while (!base.empty() && base.back() == '/') base.pop_back();
  const auto transport = transport_of(o);
  HttpRequest put;
  put.method = "PUT";
  put.url = base + "/latest/api/token";
  put.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  put.timeout = o.metadata_timeout;
  put.connect_timeout = o.metadata_timeout;
  const HttpResponse token = transport->send(put);
  if (token.status != 200) {
    return fail(
        fmt::format("instance metadata at {}: {}", base,
                    token.status == 0 ? "no answer" : fmt::format("token HTTP {}", token.status)));
  }
  HttpRequest get;
  get.url = base + "/latest/meta-data/iam/security-credentials/";
  get.headers = {{"X-aws-ec2-metadata-token", trimmed(token.body)}};
  get.timeout = o.metadata_timeout;
  get.connect_timeout = o.metadata_timeout;
  const HttpResponse roles = transport->send(get);
  const std::string role = trimmed(roles.body.substr(0, roles.body.find('\n')));
  if (roles.status != 200 || role.empty()) {
    return fail(fmt::format("instance metadata at {}: no IAM role attached to the instance", base));
  }
  get.url += role;
  const HttpResponse creds = transport->send(get);
  if (creds.status != 200) {
    throw CredentialsError(
        fmt::format("instance metadata at {}: credentials of role {}: {}", base, role,
                    creds.status == 0 ? creds.error : fmt::format("HTTP {}", creds.status)));
  }
  Credentials c = parse_credentials_json(creds.body, CredentialsJson::kMetadata);
  c.source = "instance metadata (role " + role + ")";
  return c;
}

std::optional<Credentials> from_profile(const std::string& name, const ProfileFiles& files,
                                        const CredentialsOptions& o, int depth);

Credentials assume_role(const std::string& name, const Profile& p, const ProfileFiles& files,
                        const CredentialsOptions& o, int depth) {
  const auto get = [&](const char* key) {
    const auto it = p.find(key);
    return it == p.end() ? std::string() : it->second;
  };
  if (!get("mfa_serial").empty()) {
    throw CredentialsError(
        fmt::format("profile {}: roles that need MFA (mfa_serial) are not supported; use a "
                    "credential_process or temporary credentials in the environment",
                    name));
  }
  std::optional<Credentials> source;
  const std::string source_profile = get("source_profile");
  const std::string credential_source = get("credential_source");
  if (!source_profile.empty()) {
    if (source_profile == name) {
      // A profile may be its own source when it also holds static keys.
      if (get("aws_access_key_id").empty() || get("aws_secret_access_key").empty()) {
        throw CredentialsError(
            fmt::format("profile {} is its own source_profile but has no keys", name));
      }
      source = Credentials{get("aws_access_key_id"), get("aws_secret_access_key"),
                           get("aws_session_token"), std::nullopt, "profile " + name};
    } else {
      if (!files.profile(source_profile)) {
        throw CredentialsError(fmt::format("profile {}: source_profile {} not found in {} or {}",
                                           name, source_profile, files.credentials_path,
                                           files.config_path));
      }
      source = from_profile(source_profile, files, o, depth + 1);
      if (!source) {
        throw CredentialsError(
            fmt::format("profile {}: source_profile {} has no credentials", name, source_profile));
      }
    }
  } else if (credential_source == "Environment") {
    source = from_environment(o.env);
  } else if (credential_source == "EcsContainer") {
    source = from_container(o);
  } else if (credential_source == "Ec2InstanceMetadata") {
    auto imds = from_instance_metadata(o);
    if (!imds) throw CredentialsError(fmt::format("profile {}: {}", name, imds.error().message));
    source = std::move(*imds);
  } else if (!credential_source.empty()) {
    throw CredentialsError(
        fmt::format("profile {}: unknown credential_source '{}' (Environment, "
                    "Ec2InstanceMetadata or EcsContainer)",
                    name, credential_source));
  } else {
    throw CredentialsError(fmt::format(
        "profile {} has role_arn but neither source_profile nor credential_source", name));
  }
  if (!source) {
    throw CredentialsError(fmt::format("profile {}: credential_source {} has no credentials", name,
                                       credential_source));
  }

  ClientConfig config;
  config.region = !o.region.empty() ? o.region : get("region");
  if (config.region.empty()) config.region = "us-east-1";
  config.credentials = std::make_shared<StaticCredentialsProvider>(*source);
  config.transport = o.transport;
  config.env = o.env;
  config.now = o.now;
  StsClient sts(std::move(config));
  AssumeRoleRequest req;
  req.role_arn = get("role_arn");
  req.session_name = get("role_session_name");
  if (req.session_name.empty()) {
    req.session_name = fmt::format(
        "barrage-{}",
        std::chrono::duration_cast<std::chrono::seconds>(o.now().time_since_epoch()).count());
  }
  req.external_id = get("external_id");
  if (const std::string d = get("duration_seconds"); !d.empty()) {
    try {
      req.duration_seconds = std::stoi(d);
    } catch (const std::exception&) {
      throw CredentialsError(
          fmt::format("profile {}: duration_seconds '{}' is not a number", name, d));
    }
  }
  Credentials c;
  try {
    c = aws::value_or_throw(sts.assume_role(req));
  } catch (const AwsError& e) {
    throw CredentialsError(fmt::format("profile {}: assuming role {} with credentials from {}: {}",
                                       name, req.role_arn, source->source, e.what()));
  }
  c.source = fmt::format("profile {} (role {})", name, req.role_arn);
  return c;
}

std::optional<Credentials> from_profile(const std::string& name, const ProfileFiles& files,
                                        const CredentialsOptions& o, int depth) {
  if (depth > 8) {
    throw CredentialsError(
        fmt::format("profile {}: source_profile chain too long (a cycle?)", name));
  }
  const auto profile = files.profile(name);
  if (!profile) return std::nullopt;
  const Profile& p = *profile;
  const auto get = [&](const char* key) {
    const auto it = p.find(key);
    return it == p.end() ? std::string() : it->second;
  };
  if (!get("role_arn").empty()) return assume_role(name, p, files, o, depth);
  if (!get("web_identity_token_file").empty() || !get("sso_start_url").empty() ||
      !get("sso_session").empty()) {
    throw CredentialsError(fmt::format(
        "profile {} uses SSO or web identity, which barrage does not read directly; set "
        "credential_process = aws configure export-credentials --profile {} --format process "
        "in another profile and use that one",
        name, name));
  }
  const std::string id = get("aws_access_key_id");
  const std::string secret = get("aws_secret_access_key");
  if (!id.empty() || !secret.empty()) {
    if (id.empty() || secret.empty()) {
      throw CredentialsError(fmt::format(
          "profile {} has only one of aws_access_key_id and aws_secret_access_key", name));
    }
    return Credentials{id, secret, get("aws_session_token"), std::nullopt, "profile " + name};
  }
  if (const std::string process = get("credential_process"); !process.empty()) {
    return run_credential_process(process, name);
  }
  return std::nullopt;
}

}  // namespace

CachingCredentialsProvider::CachingCredentialsProvider(std::function<Credentials()> fetch,
                                                       std::chrono::seconds refresh_before,
                                                       Clock now)
    : fetch_(std::move(fetch)), refresh_before_(refresh_before), now_(std::move(now)) {}

Credentials CachingCredentialsProvider::credentials() {
  const std::lock_guard lock(mutex_);
  const auto now = now_();
  if (cached_ && (!cached_->expiration || *cached_->expiration - refresh_before_ > now)) {
    return *cached_;
  }
  try {
    Credentials fresh = fetch_();
    ++fetches_;
    cached_ = fresh;
    return fresh;
  } catch (const std::exception&) {
    // Still usable for a while: keep working and try again on the next call.
    if (cached_ && cached_->expiration && *cached_->expiration > now) return *cached_;
    throw;
  }
}

int CachingCredentialsProvider::fetch_count() const {
  const std::lock_guard lock(mutex_);
  return fetches_;
}

Credentials resolve_credentials(const CredentialsOptions& options) {
  std::vector<std::string> tried;
  const bool explicit_profile = !options.profile.empty();
  if (!explicit_profile) {
    if (auto c = from_environment(options.env)) return *c;
    tried.emplace_back("environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
  }
  const std::string name = profile_name(options.profile, options.env);
  const ProfileFiles files = load_profile_files(options.env);
  if (!files.profile(name)) {
    if (explicit_profile || env_value(options.env, "AWS_PROFILE")) {
      throw CredentialsError(fmt::format("profile {} not found in {} or {}", name,
                                         files.credentials_path, files.config_path));
    }
  } else if (auto c = from_profile(name, files, options, 0)) {
    return *c;
  }
  tried.push_back(
      fmt::format("profile {} ({}, {})", name, files.credentials_path, files.config_path));
  if (auto c = from_container(options)) return *c;
  tried.emplace_back("container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI unset)");
  if (ascii::iequals(env_value(options.env, "AWS_EC2_METADATA_DISABLED").value_or(""), "true")) {
    tried.emplace_back("instance metadata (AWS_EC2_METADATA_DISABLED=true)");
  } else {
    auto c = from_instance_metadata(options);
    if (c) return *c;
    tried.push_back(c.error().message);
  }
  std::string msg = "no AWS credentials found; tried:";
  for (const auto& t : tried) msg += "\n  - " + t;
  msg +=
      "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile "
      "(aws configure) and pass --profile or AWS_PROFILE.";
  throw CredentialsError(msg);
}

std::shared_ptr<CredentialsProvider> make_default_credentials_provider(CredentialsOptions options) {
  const auto refresh = options.refresh_before;
  Clock now = options.now;
  return std::make_shared<CachingCredentialsProvider>(
      [options = std::move(options)] { return resolve_credentials(options); }, refresh,
      std::move(now));
}

std::optional<std::string> resolve_region(std::string_view explicit_region, const Env& env,
                                          std::string_view profile) {
  if (!explicit_region.empty()) return std::string(explicit_region);
  if (auto r = env_value(env, "AWS_REGION")) return r;
  if (auto r = env_value(env, "AWS_DEFAULT_REGION")) return r;
  const auto p = load_profile_files(env).profile(profile_name(profile, env));
  if (p) {
    const auto it = p->find("region");
    if (it != p->end() && !it->second.empty()) return it->second;
  }
  return std::nullopt;
}

Credentials parse_credentials_json(std::string_view body, CredentialsJson format) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw CredentialsError("credentials document is not a JSON object");
  Credentials c;
  if (format == CredentialsJson::kProcess) {
    const auto v = j.find("Version");
    if (v == j.end() || !v->is_number_integer() || v->get<int64_t>() != 1) {
      throw CredentialsError("credential_process output must have \"Version\": 1");
    }
    c.session_token = json_string(j, "SessionToken");
  } else {
    const std::string code = json_string(j, "Code");
    if (!code.empty() && code != "Success") {
      throw CredentialsError(
          fmt::format("credentials document says {}: {}", code, json_string(j, "Message")));
    }
    c.session_token = json_string(j, "Token");
  }
  c.access_key_id = json_string(j, "AccessKeyId");
  c.secret_access_key = json_string(j, "SecretAccessKey");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    throw CredentialsError("credentials document lacks AccessKeyId or SecretAccessKey");
  }
  if (const std::string exp = json_string(j, "Expiration"); !exp.empty()) {
    c.expiration = parse_iso8601(exp);
    if (!c.expiration)
      throw CredentialsError("credentials Expiration '" + exp + "' is not ISO 8601");
  } else if (format == CredentialsJson::kMetadata && !c.session_token.empty()) {
    throw CredentialsError("temporary credentials without an Expiration");
  }
  return c;
}

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00|+0000]
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  const int year = num(0, 4), mon = num(5, 2), day = num(8, 2), hour = num(11, 2), min = num(14, 2),
            sec = num(17, 2);
  if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      min < 0 || min > 59 || sec < 0 || sec > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  long offset = 0;
  const std::string_view zone = s.substr(pos);
  if (zone == "Z" || zone == "z" || zone.empty()) {
    offset = 0;
  } else if ((zone[0] == '+' || zone[0] == '-') && (zone.size() == 6 || zone.size() == 5)) {
    const std::string_view hm = zone.substr(1);
    const std::string digits = zone.size() == 6
                                   ? std::string(hm.substr(0, 2)) + std::string(hm.substr(3, 2))
                                   : std::string(hm);
    if (zone.size() == 6 && hm[2] != ':') return std::nullopt;
    int v = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    offset = ((v / 100) * 3600L + (v % 100) * 60L) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  return std::chrono::system_clock::from_time_t(t - offset);
}

}  // namespace barrage::aws
