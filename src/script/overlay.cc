// What `artillery run` merges into a script before reading it: a --config
// file, the -e environment, --overrides and --variables, in Artillery's order
// and with lodash's merge rules. Merging moves YAML nodes (never copies their
// text), so every value keeps the position of the file it came from; texts
// other than the script are parsed behind blank lines so LoadContext can tell
// which file a line belongs to.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "script/loader.h"
#include "script/sections.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in <unistd.h> C++

namespace barrage::script::detail {
namespace {

enum class Arrays : uint8_t {
  kByIndex,  // lodash _.merge: element i merges into element i
  kReplace,  // Artillery's --overrides: an array replaces the array
};

// lodash merge of `src` into `dst` (both mappings): maps merge key by key,
// arrays per `arrays`, anything else is replaced by the source value.
void deep_merge(YAML::Node dst, const YAML::Node& src, Arrays arrays);

void merge_value(YAML::Node dst, const YAML::Node& src, Arrays arrays) {
  if (dst.IsMap() && src.IsMap()) {
    deep_merge(dst, src, arrays);
  } else if (dst.IsSequence() && src.IsSequence() && arrays == Arrays::kByIndex) {
    for (size_t i = 0; i < src.size(); ++i) {
      if (i < dst.size()) {
        merge_value(dst[i], src[i], arrays);
      } else {
        dst.push_back(src[i]);
      }
    }
  } else {
    dst = src;  // the entry now holds the source node (and its position)
  }
}

void deep_merge(YAML::Node dst, const YAML::Node& src, Arrays arrays) {
  for (const auto& kv : src) {
    if (!kv.first.IsScalar()) continue;  // reported by the section that reads it
    bool found = false;
    for (auto it = dst.begin(); it != dst.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == kv.first.Scalar()) {
        merge_value(it->second, kv.second, arrays);
        found = true;
        break;
      }
    }
    if (!found) dst.force_insert(kv.first, kv.second);
  }
}

int count_lines(std::string_view text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
}

// Parses `text` as if it started at 0-based line `first_line`; positions in it
// report as `name`. Advances first_line past it.
YAML::Node parse_at(LoadContext& ctx, std::string_view text, int& first_line,
                    const std::string& name) {
  ctx.add_source(first_line, name);
  std::string padded(static_cast<size_t>(first_line), '\n');
  padded += text;
  YAML::Mark start;
  start.line = first_line;
  first_line += count_lines(text) + 1;
  try {
    return YAML::Load(padded);
  } catch (const YAML::Exception& e) {
    ctx.fail(e.mark.is_null() ? start : e.mark, fmt::format("YAML syntax error: {}", e.msg));
  }
}

// A JSON object given on the command line, checked with a JSON parser first
// (YAML would accept far more) and then read as YAML nodes with positions.
YAML::Node parse_json_option(LoadContext& ctx, const std::string& text, int& first_line,
                             const std::string& option) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) {
    throw ScriptError(option, 0, 0, "not valid JSON");
  }
  if (!json.is_object()) throw ScriptError(option, 0, 0, "must be a JSON object ({...})");
  return parse_at(ctx, text, first_line, option);
}

std::string read_text(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ScriptError(path, 0, 0, fmt::format("cannot read {}: {}", what, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The script's config mapping, created when missing.
YAML::Node config_of(YAML::Node& root) {
  YAML::Node config = find_value(root, "config");
  if (!config.IsDefined()) {
    root.force_insert(YAML::Node("config"), YAML::Node(YAML::NodeType::Map));
    config = find_value(root, "config");
  }
  return config;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_env_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> read_dotenv(const std::string& path,
                                                                     std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  int line_no = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    if (l.starts_with("export ")) l = trim(l.substr(7));
    const size_t eq = l.find('=');
    const std::string_view key = eq == std::string_view::npos ? l : trim(l.substr(0, eq));
    if (eq == std::string_view::npos || !is_env_name(key)) {
      return fail(Error::at(path, line_no, 1, "expected KEY=VALUE"));
    }
    std::string_view value = trim(l.substr(eq + 1));
    std::string v;
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      const char q = value.front();
      value = value.substr(1, value.size() - 2);
      for (size_t i = 0; i < value.size(); ++i) {
        if (q == '"' && value[i] == '\\' && i + 1 < value.size() && value[i + 1] == 'n') {
          v += '\n';
          ++i;
        } else {
          v += value[i];
        }
      }
    } else {
      // Unquoted: an inline comment starts at " #".
      if (const size_t hash = value.find(" #"); hash != std::string_view::npos) {
        value = trim(value.substr(0, hash));
      }
      v = std::string(value);
    }
    out.emplace_back(std::string(key), std::move(v));
  }
  return out;
}

namespace {

// -p FILE as `artillery run -p` applies it: the path of a config.payload
// mapping (FILE wins over a path the mapping has, with a notice); ignored with
// a notice when config.payload is absent or a list.
void apply_payload_file(LoadContext& ctx, YAML::Node& root, int& next_line,
                        const std::string& file) {
  YAML::Node config = find_value(root, "config");
  YAML::Node payload = config.IsMap() ? find_value(config, "payload") : YAML::Node();
  if (!payload.IsMap()) {
    ctx.notices.push_back(fmt::format(
        "-p {} is ignored: it gives the file of a config.payload mapping, and the script has {}",
        file, payload.IsSequence() ? "a list of payloads (each names its path)" : "no payload"));
    return;
  }
  if (find_value(payload, "path").IsDefined()) {
    ctx.notices.push_back(fmt::format(
        "both -p and config.payload.path are set: config.payload.path is ignored, {} is read",
        file));
  }
  const std::string absolute = std::filesystem::absolute(file).lexically_normal().string();
  const YAML::Node path = parse_at(ctx, nlohmann::json(absolute).dump(), next_line, "-p");
  YAML::Node extra(YAML::NodeType::Map);
  extra.force_insert(YAML::Node("path"), path);
  deep_merge(payload, extra, Arrays::kReplace);
}

}  // namespace

YAML::Node apply_overlays(LoadContext& ctx, YAML::Node root, int next_line,
                          const LoadOptions& options) {
  // The environment seen by $env / $processEnvironment; a .env file adds
  // names the environment does not already have (dotenv never overrides).
  ctx.strict = options.strict;
  TemplateEnv& env = ctx.template_env;
  if (options.env) {
    env.env = *options.env;
  } else {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string_view kv(*e);
      const size_t eq = kv.find('=');
      if (eq != std::string_view::npos) {
        env.env.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
      }
    }
  }
  if (options.dotenv_file) {
    const std::string text = read_text(*options.dotenv_file, "--dotenv file");
    auto entries = read_dotenv(*options.dotenv_file, text);
    if (!entries) throw ScriptError(entries.error());
    for (auto& entry : *entries) {
      const std::string& name = entry.first;
      const bool present = std::any_of(env.env.begin(), env.env.end(),
                                       [&](const auto& e) { return e.first == name; });
      if (!present) env.env.push_back(std::move(entry));
    }
  }
  env.environment = options.environment.value_or("");
  env.dirname = ctx.script_dir.empty() ? "." : ctx.script_dir;
  {
    std::error_code ec;
    const std::filesystem::path script = std::filesystem::absolute(ctx.file(), ec);
    env.scenario_file = ec ? ctx.file() : script.lexically_normal().string();
  }

  if (!root.IsMap()) return root;  // load_root reports it

  // 1. --config FILE: merged over the script (as `artillery run -c`).
  if (options.config_file) {
    const std::string text = read_text(*options.config_file, "--config file");
    const YAML::Node extra = parse_at(ctx, text, next_line, *options.config_file);
    if (!extra.IsMap()) {
      if (extra.IsNull()) throw ScriptError(*options.config_file, 0, 0, "config file is empty");
      ctx.fail(extra, "a config file is a mapping, usually with a 'config' section");
    }
    deep_merge(root, extra, Arrays::kByIndex);
  }

  // 2. -e NAME: config.environments.NAME merged over config.
  if (options.environment) {
    YAML::Node config = find_value(root, "config");
    if (!config.IsMap()) {
      ctx.fail(root, fmt::format("environment '{}' is not defined: the script has no 'config'",
                                 *options.environment));
    }
    YAML::Node envs = find_value(config, "environments");
    YAML::Node chosen = find_value(envs, *options.environment);
    if (!chosen.IsDefined()) {
      // Artillery prints "WARNING: environment NAME is set but is not
      // defined in the script" and runs with the base config; so does barrage.
      YAML::Mark at = config.Mark();
      std::string defined;
      if (envs.IsMap()) {
        for (const auto& kv : config) {
          if (kv.first.IsScalar() && kv.first.Scalar() == "environments") at = kv.first.Mark();
        }
        for (const auto& kv : envs) {
          if (kv.first.IsScalar()) defined += (defined.empty() ? "" : ", ") + kv.first.Scalar();
        }
      }
      ctx.warn(at, fmt::format("environment '{}' is set but is not defined in "
                               "config.environments{}: running with the base config",
                               *options.environment,
                               defined.empty() ? "" : fmt::format(" (defined: {})", defined)));
    } else {
      if (!chosen.IsMap()) {
        ctx.fail(chosen, fmt::format("environment '{}' must be a mapping", *options.environment));
      }
      deep_merge(config, chosen, Arrays::kByIndex);
    }
  }

  // 3. --overrides JSON: deep-merged into the whole script; arrays replace.
  if (options.overrides_json) {
    const YAML::Node o = parse_json_option(ctx, *options.overrides_json, next_line, "--overrides");
    deep_merge(root, o, Arrays::kReplace);
  }

  // 4. --variables JSON: each entry sets config.variables.NAME.
  if (options.variables_json) {
    const YAML::Node v = parse_json_option(ctx, *options.variables_json, next_line, "--variables");
    YAML::Node config = config_of(root);
    if (!config.IsMap()) ctx.fail(config, "config must be a mapping");
    YAML::Node vars = find_value(config, "variables");
    if (!vars.IsDefined()) {
      config.force_insert(YAML::Node("variables"), YAML::Node(YAML::NodeType::Map));
      vars = find_value(config, "variables");
    }
    if (!vars.IsMap()) ctx.fail(vars, "variables must be a mapping");
    deep_merge(vars, v, Arrays::kReplace);
    // Artillery renders the config with them too (resolveConfigTemplates).
    if (v.IsMap()) {
      for (const auto& kv : v) {
        if (kv.first.IsScalar() && kv.second.IsScalar()) {
          ctx.config_variables.emplace_back(kv.first.Scalar(), kv.second.Scalar());
        }
      }
    }
  }

  // 5. -p FILE: the CSV of a config.payload mapping (Artillery's rule).
  if (options.payload_file) apply_payload_file(ctx, root, next_line, *options.payload_file);

  // 6. --solo: one arrival, whatever the phases (Artillery's rule).
  if (options.solo) {
    YAML::Node config = config_of(root);
    if (!config.IsMap()) ctx.fail(config, "config must be a mapping");
    const YAML::Node phases =
        parse_at(ctx, "[{duration: 1, arrivalCount: 1}]", next_line, "--solo");
    YAML::Node solo(YAML::NodeType::Map);
    solo.force_insert(YAML::Node("phases"), phases);
    deep_merge(config, solo, Arrays::kReplace);
  }
  return root;
}

}  // namespace barrage::script::detail
