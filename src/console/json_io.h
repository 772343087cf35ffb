// The console API's JSON shapes (docs/console-openapi.yaml), in one place.
// Included only by the console's .cc files (nlohmann-json stays out of
// widely included headers).
#pragma once

#include <nlohmann/json.hpp>

#include "console/store.h"

namespace barrage::console {

inline nlohmann::json to_json(const TestRow& t, bool with_script) {
  nlohmann::json j = {
      {"id", t.id}, {"name", t.name}, {"created_ms", t.created_ms}, {"updated_ms", t.updated_ms}};
  j["baseline_run_id"] =
      t.baseline_run_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.baseline_run_id);
  if (with_script) j["script"] = t.script;
  return j;
}

inline nlohmann::json to_json(const RunRow& r) {
  nlohmann::json j = {{"id", r.id},
                      {"test_id", nullptr},
                      {"test_name", r.test_name},
                      {"status", r.status},
                      {"started_ms", r.started_ms},
                      {"ended_ms", nullptr},
                      {"exit_code", nullptr},
                      {"error", r.error},
                      {"has_report", r.has_report},
                      {"baseline", r.baseline}};
  if (r.test_id) j["test_id"] = *r.test_id;
  if (r.ended_ms) j["ended_ms"] = *r.ended_ms;
  if (r.exit_code) j["exit_code"] = *r.exit_code;
  return j;
}

inline nlohmann::json to_json(const PeriodRow& p) {
  return {{"start_ms", p.start_ms}, {"end_ms", p.end_ms},
          {"requests", p.requests}, {"responses", p.responses},
          {"errors", p.errors},     {"vusers_created", p.vusers_created},
          {"rps", p.rps},           {"p50_ms", p.p50_ms},
          {"p95_ms", p.p95_ms},     {"p99_ms", p.p99_ms}};
}

inline nlohmann::json to_json(const TokenRow& t) {
  nlohmann::json j = {{"id", t.id},
                      {"name", t.name},
                      {"scope", t.scope},
                      {"created_ms", t.created_ms},
                      {"revoked", t.revoked_ms.has_value()}};
  return j;
}

}  // namespace barrage::console
