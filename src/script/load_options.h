// The options a person gives for loading a script (-e, --config, --overrides,
// --variables, --dotenv, --scenario-name, -p, --solo): the script loader's inputs
// (script::LoadOptions adds the rest), and what a worker's job carries so the
// worker loads the same plan (fleet/job.cc serializes it). Plain data.
#pragma once

#include <optional>
#include <string>

namespace barrage::script {

struct ScriptOptions {
  // -e/--environment: config.environments.NAME merged over config (lodash
  // merge: mappings key by key, lists element by element). Unknown = error.
  std::optional<std::string> environment;
  // --config FILE: a YAML/JSON file merged over the script like the above.
  std::optional<std::string> config_file;
  // --overrides JSON: an object deep-merged into the script; lists replace.
  std::optional<std::string> overrides_json;
  // --variables JSON: an object whose entries set config.variables.
  std::optional<std::string> variables_json;
  // --dotenv FILE: KEY=VALUE lines added to the environment $env reads
  // (names already in the environment keep their value, as dotenv does).
  std::optional<std::string> dotenv_file;
  // --scenario-name NAME: run only that scenario. Unknown = error.
  std::optional<std::string> scenario_name;
  // -p/--payload FILE (Artillery's): the CSV file of a config.payload mapping
  // that names no path; when it names one, FILE replaces it (with a notice).
  // Relative to the current directory. Ignored, with a notice, when
  // config.payload is absent or a list.
  std::optional<std::string> payload_file;
  // -s/--solo (Artillery's): the phases become one arrival (duration 1,
  // arrivalCount 1): one virtual user runs one scenario once.
  bool solo = false;
  // --strict: a warning (unknown or ignored key, plugin not built in, ...)
  // fails the load instead of landing in Plan::warnings.
  bool strict = false;

  bool operator==(const ScriptOptions&) const = default;
};

}  // namespace barrage::script
