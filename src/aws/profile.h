// The AWS shared configuration files: `credentials` (AWS_SHARED_CREDENTIALS_FILE,
// default ~/.aws/credentials; sections `[name]`) and `config` (AWS_CONFIG_FILE,
// default ~/.aws/config; sections `[default]` and `[profile name]`). A profile
// is the config section with the credentials section laid over it, as the
// AWS CLI merges them. Hand-written: the format is AWS's own INI dialect
// (`profile ` prefixes, indented sub-settings such as `s3 =` blocks, `#`/`;`
// comments), which generic INI libraries do not follow.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/env.h"

namespace barrage::aws {

using Profile = std::map<std::string, std::string>;

struct ProfileFiles {
  std::map<std::string, Profile> credentials;  // by profile name
  std::map<std::string, Profile> config;       // by profile name ("profile " stripped)
  std::string credentials_path;
  std::string config_path;

  // Merged profile, nullopt when neither file has it.
  std::optional<Profile> profile(const std::string& name) const;
};

// Reads both files (a missing file is empty); paths from the environment.
ProfileFiles load_profile_files(const Env& env);

// Parses one file's text. `config_file` strips "profile " and skips other
// typed sections ([sso-session x], [services x]).
std::map<std::string, Profile> parse_profile_text(std::string_view text, bool config_file);

// The profile name in use: explicit, else AWS_PROFILE, else "default".
std::string profile_name(std::string_view explicit_profile, const Env& env);

}  // namespace barrage::aws
