#include "script/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "script/sections.h"

namespace barrage::script {
namespace {

using detail::Field;
using detail::KeySpec;
using detail::LoadContext;
using detail::Mapping;

std::string format_what(const std::string& file, int line, int column, const std::string& msg) {
  if (line <= 0) return fmt::format("{}: {}", file, msg);
  return fmt::format("{}:{}:{}: {}", file, line, column, msg);
}

constexpr std::array<KeySpec, 5> kRootKeys{{
    {"config"},
    {"scenarios"},
    {"before"},
    {"after"},
    {"output", detail::KeyKind::kIgnored,
     "legacy Artillery 1 key; write a report with -o/--output"},
}};

// --scenario-name: keeps only the named scenario.
void select_scenario(LoadContext& ctx, const Field& scenarios, const std::string& name,
                     Plan& plan) {
  std::string names;
  for (const Scenario& s : plan.scenarios) {
    if (s.name == name) {
      Scenario chosen = s;
      chosen.weight = 1;
      plan.scenarios.clear();
      plan.scenarios.push_back(std::move(chosen));
      return;
    }
    if (!s.name.empty()) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", s.name);
  }
  ctx.fail(scenarios.key_node, fmt::format("no scenario named '{}' (--scenario-name); {}", name,
                                           names.empty() ? "no scenario has a name"
                                                         : fmt::format("scenarios: {}", names)));
}

Plan load_root(LoadContext& ctx, const YAML::Node& root, const LoadOptions& options) {
  if (!root.IsDefined() || root.IsNull()) ctx.fail(YAML::Mark(), "script is empty");
  if (!root.IsMap()) ctx.fail(root, "a script is a mapping with 'config' and 'scenarios'");
  const Mapping m(ctx, root, kRootKeys, "script");

  Plan plan;
  plan.source_path = ctx.file();
  plan.notices = ctx.notices;
  const Field* config = m.find("config");
  if (config == nullptr) ctx.fail(root, "missing 'config' section");
  detail::load_config(ctx, *config, plan);

  const Field* scenarios = m.find("scenarios");
  if (scenarios == nullptr) ctx.fail(root, "missing 'scenarios' section");
  detail::load_scenarios(ctx, *scenarios, plan);
  if (options.scenario_name) select_scenario(ctx, *scenarios, *options.scenario_name, plan);
  if (const Field* f = m.find("before")) plan.before = detail::load_hook(ctx, *f, plan);
  if (const Field* f = m.find("after")) plan.after = detail::load_hook(ctx, *f, plan);
  detail::finish_ensure(ctx, plan);
  plan.environment = options.environment.value_or("");
  plan.files = ctx.files;
  plan.warnings = ctx.warnings;

  if (options.target_override) plan.target = *options.target_override;
  if (plan.target.empty() && ctx.first_relative_url) {
    ctx.fail(*ctx.first_relative_url, "no target: set config.target or pass --target");
  }
  return plan;
}

}  // namespace

ScriptError::ScriptError(std::string file, int line, int column, std::string message)
    : std::runtime_error(format_what(file, line, column, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(std::move(message)) {}

namespace {

// The loader proper; its sections throw ScriptError.
Plan load_string(std::string_view yaml, const std::string& display_name,
                 const LoadOptions& options) {
  LoadContext ctx(display_name);
  ctx.script_dir = std::filesystem::path(display_name).parent_path().string();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    ctx.fail(e.mark, fmt::format("YAML syntax error: {}", e.msg));
  }
  try {
    const int next_line = static_cast<int>(std::count(yaml.begin(), yaml.end(), '\n')) + 2;
    root = detail::apply_overlays(ctx, root, next_line, options);
    return load_root(ctx, root, options);
  } catch (const YAML::Exception& e) {
    // Safety net: the sections check node types before access, so this means
    // a loader bug; still report it as a script error with a position.
    ctx.fail(e.mark, e.msg);
  }
}

}  // namespace

Result<Plan> load_plan_string(std::string_view yaml, const std::string& display_name,
                              const LoadOptions& options) {
  try {
    return load_string(yaml, display_name, options);
  } catch (const ScriptError& e) {
    return fail(e.error());
  } catch (const TemplateError& e) {
    // Sections compile templates through yaml_access, which places their
    // errors; this is the safety net for one that was not placed.
    return fail(Error::at(display_name, 0, 0, e.what()));
  }
}

Result<Plan> load_plan_file(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return fail(Error::at(path, 0, 0, "cannot read script: it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(Error::at(path, 0, 0, fmt::format("cannot read script: {}", std::strerror(errno))));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(Error::at(path, 0, 0, "cannot read script"));
  return load_plan_string(text.str(), path, options);
}

}  // namespace barrage::script
