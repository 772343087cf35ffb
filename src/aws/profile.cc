#include "aws/profile.h"

#include <fstream>
#include <sstream>

#include "util/ascii.h"

namespace barrage::aws {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (ascii::is_ows(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (ascii::is_ows(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string expand_home(const std::string& path, const Env& env) {
  if (path.starts_with("~/")) return env_value(env, "HOME").value_or("") + path.substr(1);
  return path;
}

}  // namespace

std::map<std::string, Profile> parse_profile_text(std::string_view text, bool config_file) {
  std::map<std::string, Profile> out;
  Profile* current = nullptr;
  std::string parent_key;  // key of an "s3 =" block whose indented lines follow
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    const std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      parent_key.clear();
      current = nullptr;
      if (line.back() != ']') continue;
      std::string_view name = trim(line.substr(1, line.size() - 2));
      if (config_file) {
        if (name.starts_with("profile ") || name.starts_with("profile\t")) {
          name = trim(name.substr(8));
        } else if (name != "default") {
          continue;  // [sso-session x], [services x], or a bare name the CLI ignores
        }
      }
      if (name.empty()) continue;
      current = &out[std::string(name)];
      continue;
    }
    if (current == nullptr) continue;
    const bool indented = ascii::is_ows(raw.front());
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key(trim(line.substr(0, eq)));
    const std::string value(trim(line.substr(eq + 1)));
    if (indented && !parent_key.empty()) {
      (*current)[std::string(parent_key).append(".").append(key)] = value;
      continue;
    }
    parent_key = value.empty() ? key : std::string();
    if (!key.empty()) (*current)[key] = value;
  }
  return out;
}

std::optional<Profile> ProfileFiles::profile(const std::string& name) const {
  const auto c = config.find(name);
  const auto k = credentials.find(name);
  if (c == config.end() && k == credentials.end()) return std::nullopt;
  Profile merged;
  if (c != config.end()) merged = c->second;
  if (k != credentials.end()) {
    for (const auto& [key, value] : k->second) merged[key] = value;
  }
  return merged;
}

ProfileFiles load_profile_files(const Env& env) {
  ProfileFiles files;
  files.credentials_path = expand_home(
      env_value(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
  files.config_path = expand_home(env_value(env, "AWS_CONFIG_FILE").value_or("~/.aws/config"), env);
  files.credentials = parse_profile_text(read_file(files.credentials_path), false);
  files.config = parse_profile_text(read_file(files.config_path), true);
  return files;
}

std::string profile_name(std::string_view explicit_profile, const Env& env) {
  if (!explicit_profile.empty()) return std::string(explicit_profile);
  return env_value(env, "AWS_PROFILE").value_or("default");
}

}  // namespace barrage::aws
