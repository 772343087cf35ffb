#include "script/quick.h"

#include <yaml-cpp/yaml.h>

#include "script/loader.h"

namespace barrage::script {

std::string quick_script(const QuickOptions& o) {
  YAML::Node phase;
  if (o.rate) {
    phase["duration"] = o.duration_s.value_or(10);
    phase["arrivalRate"] = *o.rate;
  } else if (o.duration_s) {
    phase["duration"] = *o.duration_s;
    phase["vusers"] = o.count;
  } else {
    phase["duration"] = 1;
    phase["arrivalCount"] = o.count;
  }
  YAML::Node request;
  request["get"]["url"] = o.url;
  YAML::Node loop;
  loop["loop"].push_back(request);
  loop["count"] = o.num;
  YAML::Node scenario;
  scenario["flow"].push_back(loop);
  YAML::Node root;
  root["config"]["target"] = o.url;
  root["config"]["phases"].push_back(phase);
  root["scenarios"].push_back(scenario);
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

Result<Plan> quick_plan(const QuickOptions& o) {
  const std::string name = "quick " + o.url;
  if (o.url.find_first_of("\r\n") != std::string::npos)
    return fail(Error::at(name, 0, 0, "the URL contains a line break"));
  if (o.url.find("{{") != std::string::npos) {
    return fail(Error::at(name, 0, 0,
                          "the URL contains '{{', which a script reads as a template; quick "
                          "sends URLs as given (percent-encode the braces: %7B%7B)"));
  }
  return load_plan_string(quick_script(o), name, {});
}

}  // namespace barrage::script
