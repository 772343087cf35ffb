#include "lambda/deploy.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <system_error>

#include "lambda/package.h"
#include "lambda/resources.h"

namespace barrage::lambda {

namespace {

// A file removed when this goes out of scope ("" for none).
class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove(path, ec);
  }
  std::filesystem::path path;
};

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    if (!item.empty()) out.push_back(std::move(item));
    pos = comma + 1;
  }
  return out;
}

AwsContext aws_context(const DeployOptions& o, bool region_required) {
  AwsContext c;
  c.regions = split_list(o.regions);
  if (c.regions.empty()) {
    if (auto r = aws::resolve_region("", c.env, o.profile)) c.regions.push_back(*r);
  }
  if (c.regions.empty() && region_required) {
    throw std::invalid_argument(
        "no region: pass --region (comma list allowed), or set AWS_REGION, AWS_DEFAULT_REGION "
        "or the profile's region");
  }
  aws::CredentialsOptions co;
  co.profile = o.profile;
  co.env = c.env;
  co.region = c.regions.empty() ? "us-east-1" : c.regions.front();
  c.credentials = aws::make_default_credentials_provider(co);
  return c;
}

aws::ClientConfig client_config(const AwsContext& c, const DeployOptions& o,
                                const std::string& region) {
  aws::ClientConfig config;
  config.region = region;
  config.credentials = c.credentials;
  config.endpoint_url = o.endpoint_url;
  config.env = c.env;
  return config;
}

std::vector<Deployed> deploy(const DeployOptions& o,
                             const std::function<void(const std::string&)>& say) {
  if (o.architecture == "arm64" && o.package.empty()) {
    throw std::invalid_argument(
        "--architecture arm64 needs --package ZIP built for arm64 (this build packages "
        "x86_64 only)");
  }
  std::map<std::string, std::string> tags;
  for (const auto& t : o.tags) {
    const size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("--tags " + t + ": expected k=v");
    tags[t.substr(0, eq)] = t.substr(eq + 1);
  }
  const AwsContext c = aws_context(o, true);
  std::string role_arn;
  std::string package = o.package;
  TempFile temp;
  std::vector<Deployed> out;
  for (const auto& region : c.regions) {
    Deployed d;
    d.region = region;
    d.config = client_config(c, o, region);
    Resources res(d.config);
    if (role_arn.empty()) say(fmt::format("account {}", res.account_id()));
    const auto bucket = res.ensure_bucket();
    d.bucket = bucket.name;
    say(fmt::format("{}: bucket {}: {}", region, bucket.name, to_string(bucket.outcome)));
    if (role_arn.empty()) {
      const auto role = o.role_arn.empty() ? res.ensure_role() : res.ensure_role(o.role_arn);
      role_arn = role.arn;
      say(fmt::format("role {}: {} ({})", role.name,
                      o.role_arn.empty() ? std::string(to_string(role.outcome)) : "given",
                      role.arn));
    }
    if (package.empty()) {
      temp.path = std::filesystem::temp_directory_path() /
                  fmt::format("barrage-lambda-{}-{}.zip", o.architecture, ::getpid());
      PackageOptions po;
      po.output = temp.path.string();
      po.arch = o.architecture;
      const auto written = write_package(po);
      package = written.path;
      say(fmt::format("package {}: {:.1f} MiB", package,
                      static_cast<double>(written.bytes) / (1024.0 * 1024.0)));
    }
    FunctionOptions fo;
    fo.memory_mb = o.memory_mb;
    fo.architecture = o.architecture;
    fo.role_arn = role_arn;
    fo.security_group_ids = o.security_group_ids;
    fo.subnet_ids = o.subnet_ids;
    fo.tags = tags;
    fo.package_path = package;
    const auto function = res.ensure_function(fo);
    d.function = function.name;
    say(fmt::format("{}: function {}: {}{} ({})", region, function.name,
                    to_string(function.outcome), function.uploaded ? ", package uploaded" : "",
                    function.arn));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace barrage::lambda
