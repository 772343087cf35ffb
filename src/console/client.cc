#include "console/client.h"

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "util/exit_codes.h"

namespace barrage::console {

namespace {

using nlohmann::json;

struct Connection {
  std::unique_ptr<httplib::Client> client;  // null: could not connect (said why)
  std::string url;
};

Connection connect(const ClientOptions& o) {
  Connection c;
  std::string url = o.url;
  if (url.empty()) {
    const char* env = std::getenv("BARRAGE_CONSOLE_URL");
    url = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8089";
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::string token = o.token;
  if (token.empty()) {
    const char* env = std::getenv("BARRAGE_CONSOLE_TOKEN");
    if (env != nullptr) token = env;
  }
  if (token.empty()) {
    std::fprintf(stderr,
                 "barrage console: no token: set BARRAGE_CONSOLE_TOKEN (or --token) to a token "
                 "of the console\n");
    return c;
  }
  if (!url.starts_with("http://")) {
    std::fprintf(stderr, "barrage console: --url must be http://HOST:PORT, not '%s'\n",
                 url.c_str());
    return c;
  }
  auto client = std::make_unique<httplib::Client>(url);
  if (!client->is_valid()) {
    std::fprintf(stderr, "barrage console: bad --url '%s'\n", url.c_str());
    return c;
  }
  client->set_bearer_token_auth(token);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(60, 0);
  c.client = std::move(client);
  c.url = url;
  return c;
}

// The answer's JSON when its status is `expected`; else prints why, nullopt.
std::optional<json> answer(const Connection& c, const httplib::Result& res, int expected) {
  if (!res) {
    std::fprintf(stderr, "barrage console: cannot reach %s: %s\n", c.url.c_str(),
                 httplib::to_string(res.error()).c_str());
    return std::nullopt;
  }
  json body = json::parse(res->body, nullptr, false);
  if (res->status != expected) {
    std::string why = "HTTP " + std::to_string(res->status);
    if (body.is_object() && body.contains("error")) {
      why += ": " + body["error"].value("message", std::string());
    }
    std::fprintf(stderr, "barrage console: %s\n", why.c_str());
    return std::nullopt;
  }
  if (body.is_discarded()) body = json::object();
  return body;
}

std::string field(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void print_run(const json& r) {
  std::printf("%-24s %-12s %-5s %s\n", field(r, "id").c_str(), field(r, "status").c_str(),
              field(r, "exit_code").c_str(), field(r, "test_name").c_str());
}

}  // namespace

int client_tests(const ClientOptions& options) {
  const Connection conn = connect(options);
  if (!conn.client) return kExitUsage;
  const Connection* c = &conn;
  const auto body = answer(*c, c->client->Get("/api/v1/tests"), 200);
  if (!body) return kExitUsage;
  for (const auto& t : body->value("tests", json::array())) {
    std::printf("%-6s %s\n", field(t, "id").c_str(), field(t, "name").c_str());
  }
  return kExitOk;
}

int client_runs(const ClientOptions& options, std::optional<int64_t> test_id) {
  const Connection conn = connect(options);
  if (!conn.client) return kExitUsage;
  const Connection* c = &conn;
  const std::string path =
      "/api/v1/runs" + (test_id ? "?test_id=" + std::to_string(*test_id) : std::string());
  const auto body = answer(*c, c->client->Get(path), 200);
  if (!body) return kExitUsage;
  std::printf("%-24s %-12s %-5s %s\n", "RUN", "STATUS", "EXIT", "TEST");
  for (const auto& r : body->value("runs", json::array())) print_run(r);
  return kExitOk;
}

int client_start(const ClientOptions& options, int64_t test_id, bool wait) {
  const Connection conn = connect(options);
  if (!conn.client) return kExitUsage;
  const Connection* c = &conn;
  const auto run = answer(
      *c,
      c->client->Post("/api/v1/tests/" + std::to_string(test_id) + "/runs", "", "application/json"),
      201);
  if (!run) return kExitUsage;
  const std::string id = field(*run, "id");
  std::printf("Run %s started\n", id.c_str());
  std::fflush(stdout);
  if (!wait) return kExitOk;
  // Follow the live stream to its end event.
  std::string buffer;
  std::optional<json> end;
  const auto res = c->client->Get("/api/v1/runs/" + id + "/live", [&](const char* data, size_t n) {
    buffer.append(data, n);
    for (size_t cut; (cut = buffer.find("\n\n")) != std::string::npos;) {
      const std::string block = buffer.substr(0, cut);
      buffer.erase(0, cut + 2);
      const auto data_at = block.find("\ndata: ");
      if (!block.starts_with("event: ") || data_at == std::string::npos) continue;
      const std::string event = block.substr(7, data_at - 7);
      const json j = json::parse(block.substr(data_at + 7), nullptr, false);
      if (j.is_discarded()) continue;
      if (event == "period") {
        std::printf("%8.1f req/s  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  errors %s\n",
                    j.value("rps", 0.0), j.value("p50_ms", 0.0), j.value("p95_ms", 0.0),
                    j.value("p99_ms", 0.0), field(j, "errors").c_str());
        std::fflush(stdout);
      } else if (event == "end") {
        end = j;
      }
    }
    return true;
  });
  if (!end) {
    std::fprintf(stderr, "barrage console: the live stream of %s ended early (%s)\n", id.c_str(),
                 res ? ("HTTP " + std::to_string(res->status)).c_str()
                     : httplib::to_string(res.error()).c_str());
    return kExitUsage;
  }
  std::printf("Run %s %s", id.c_str(), field(*end, "status").c_str());
  if (const std::string e = field(*end, "error"); e != "-" && !e.empty()) {
    std::printf(": %s", e.c_str());
  }
  std::printf("\n");
  const auto code = end->find("exit_code");
  if (code != end->end() && code->is_number_integer()) return code->get<int>();
  return field(*end, "status") == "passed" ? kExitOk : kExitPlatform;
}

int client_stop(const ClientOptions& options, const std::string& run_id) {
  const Connection conn = connect(options);
  if (!conn.client) return kExitUsage;
  const Connection* c = &conn;
  const auto run =
      answer(*c, c->client->Post("/api/v1/runs/" + run_id + "/stop", "", "application/json"), 202);
  if (!run) return kExitUsage;
  std::printf("Stopping run %s\n", run_id.c_str());
  return kExitOk;
}

int client_baseline(const ClientOptions& options, const std::string& run_id) {
  const Connection conn = connect(options);
  if (!conn.client) return kExitUsage;
  const Connection* c = &conn;
  const auto run = answer(
      *c, c->client->Post("/api/v1/runs/" + run_id + "/baseline", "", "application/json"), 200);
  if (!run) return kExitUsage;
  std::printf("Run %s is now the baseline of test %s (%s)\n", run_id.c_str(),
              field(*run, "test_id").c_str(), field(*run, "test_name").c_str());
  return kExitOk;
}

int client_compare(const ClientOptions& options, const std::string& run_id,
                   const std::string& base_id) {
  const Connection conn = connect(options);
  if (!conn.client) return kExitUsage;
  const Connection* c = &conn;
  httplib::Params params{{"run", run_id}};
  if (!base_id.empty()) params.emplace("base", base_id);
  const auto body = answer(*c, c->client->Get("/api/v1/compare", params, httplib::Headers{}), 200);
  if (!body) return kExitUsage;
  std::printf("base %s, run %s\n", field(body->value("base", json::object()), "id").c_str(),
              run_id.c_str());
  std::printf("%-28s %-11s %12s %12s %12s  %s\n", "scope", "metric", "base", "run", "change",
              "tolerance");
  for (const auto& d : body->value("deltas", json::array())) {
    std::printf("%-28.28s %-11s %12.2f %12.2f %+12.2f  %s%s\n", field(d, "scope").c_str(),
                field(d, "metric").c_str(), d.value("base", 0.0), d.value("current", 0.0),
                d.value("change", 0.0), d.value("rule", std::string()).c_str(),
                d.value("regression", false) ? "  REGRESSION" : "");
  }
  for (const auto& r : body->value("config", json::array())) {
    if (!r.value("same", true)) {
      std::printf("config %s: %s -> %s\n", field(r, "field").c_str(), field(r, "base").c_str(),
                  field(r, "run").c_str());
    }
  }
  for (const auto& n : body->value("notes", json::array())) {
    std::printf("note: %s\n", n.get<std::string>().c_str());
  }
  const bool regressed = body->value("regressed", false);
  std::printf("%s\n", regressed ? "Regressed." : "No regressions.");
  return regressed ? kExitRegression : kExitOk;
}

}  // namespace barrage::console
