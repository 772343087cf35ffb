#include "console/definitions.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "script/loader.h"

namespace barrage::console {

Validation validate_script(const std::string& yaml, const std::string& display_name) {
  Validation v;
  const auto plan = script::load_plan_string(yaml, display_name, script::LoadOptions{});
  if (!plan) {
    const Error& e = plan.error();
    v.error = ScriptProblem{e.message, e.file, e.line, e.column};
    return v;
  }
  v.phases = plan->phases.size();
  v.scenarios = plan->scenarios.size();
  for (const auto& w : plan->warnings) v.warnings.push_back(w.describe());
  return v;
}

Result<std::string> script_from_form(const TestForm& form) {
  const auto scheme_end = form.url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : form.url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return fail("form.url must start with http:// or https://");
  }
  const auto path_start = form.url.find('/', scheme_end + 3);
  const std::string origin = form.url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : form.url.substr(path_start);
  if (origin.size() <= scheme_end + 3) {
    return fail("form.url has no host");
  }
  if (std::any_of(form.url.begin(), form.url.end(),
                  [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
    return fail("form.url must not contain spaces or control characters");
  }
  std::string method = form.method;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kMethods[] = {"get", "post", "put", "patch", "delete", "head"};
  if (std::find(std::begin(kMethods), std::end(kMethods), method) == std::end(kMethods)) {
    return fail("form.method must be one of GET, POST, PUT, PATCH, DELETE, HEAD");
  }
  if (!(form.rate > 0 && form.rate <= 100'000)) {
    return fail("form.rate must be more than 0 and at most 100000 arrivals per second");
  }
  if (form.duration_s < 1 || form.duration_s > 86'400) {
    return fail("form.duration must be 1 to 86400 seconds");
  }
  // yaml-cpp's emitter quotes and escapes every value, so no form field can
  // change the script's structure.
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "config" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "target" << YAML::Value << YAML::DoubleQuoted << origin;
  out << YAML::Key << "phases" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "duration" << YAML::Value << form.duration_s;
  out << YAML::Key << "arrivalRate" << YAML::Value << form.rate;
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  out << YAML::Key << "scenarios" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "flow" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << method << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << path;
  if (!form.headers.empty()) {
    out << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, val] : form.headers) {
      out << YAML::Key << YAML::DoubleQuoted << k << YAML::Value << YAML::DoubleQuoted << val;
    }
    out << YAML::EndMap;
  }
  if (!form.body.empty())
    out << YAML::Key << "body" << YAML::Value << YAML::DoubleQuoted << form.body;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap;
  if (!out.good()) {
    return fail("cannot write the script: " + out.GetLastError());
  }
  return std::string(out.c_str()) + "\n";
}

}  // namespace barrage::console
