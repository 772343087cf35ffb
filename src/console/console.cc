// The HTTP server is cpp-httplib (Debian's libcpp-httplib-dev, a compiled
// library with a declarations-only header), used in this file only: a
// well-kept server with a thread pool, request size limits (413), regex
// routes and chunked streaming for server-sent events. barrage's own
// http::RequestParser and an epoll loop would have meant hand-writing the
// connection handling, keep-alive and streaming that httplib already has.
#include "console/console.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string_view>
#include <thread>

#include "console/auth.h"
#include "console/compare.h"
#include "console/cron.h"
#include "console/definitions.h"
#include "console/json_io.h"
#include "console/runs.h"
#include "console/scheduler.h"
#include "console/store.h"
#include "report/json_report.h"
#include "run/reports.h"

namespace barrage::console {

namespace assets {
extern const std::string_view kIndexHtml;
extern const std::string_view kAppJs;
extern const std::string_view kAppCss;
}  // namespace assets

namespace fs = std::filesystem;
using nlohmann::json;

std::string default_data_dir() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x != nullptr && *x == '/') {
    return std::string(x) + "/barrage/console";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/barrage/console";
}

namespace {

struct Listen {
  std::string host;
  int port = 0;
};

std::optional<Listen> parse_listen(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  Listen l;
  l.host = s.substr(0, colon);
  if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') {
    l.host = l.host.substr(1, l.host.size() - 2);
  }
  const std::string port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  l.port = std::stoi(port);
  if (l.port > 65535) return std::nullopt;
  return l;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", {{"message", message}}}});
}

}  // namespace

struct Console::Impl : ScheduleActions {
  ConsoleOptions options;
  Listen listen;
  std::string data_dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<RunManager> runs;
  std::unique_ptr<Scheduler> scheduler;
  httplib::Server server;
  std::optional<std::string> first_token;
  int interrupted = 0;
  int port = 0;
  std::atomic<bool> serving{false};
  std::atomic<bool> stopping{false};

  using Handler = void (Impl::*)(const httplib::Request&, httplib::Response&);
  struct Route {
    const char* method;
    const char* pattern;  // httplib's regex
    const char* path;     // the OpenAPI path
    Scope scope;
    Handler handler;
  };
  static const std::vector<Route>& routes();

  void install();
  std::optional<json> body_json(const httplib::Request& req, httplib::Response& res);
  // A test body (name + script or form) checked and turned into a script;
  // false after answering with the error.
  bool test_from_body(const json& body, httplib::Response& res, std::string* name,
                      std::string* script, json* warnings);

  void list_tests(const httplib::Request& req, httplib::Response& res);
  void create_test(const httplib::Request& req, httplib::Response& res);
  void get_test(const httplib::Request& req, httplib::Response& res);
  void update_test(const httplib::Request& req, httplib::Response& res);
  void delete_test(const httplib::Request& req, httplib::Response& res);
  void validate(const httplib::Request& req, httplib::Response& res);
  void start_run(const httplib::Request& req, httplib::Response& res);
  void list_runs(const httplib::Request& req, httplib::Response& res);
  void get_run(const httplib::Request& req, httplib::Response& res);
  void stop_run(const httplib::Request& req, httplib::Response& res);
  void live(const httplib::Request& req, httplib::Response& res);
  void get_report(const httplib::Request& req, httplib::Response& res);
  void get_html_report(const httplib::Request& req, httplib::Response& res);
  void set_baseline(const httplib::Request& req, httplib::Response& res);
  void compare(const httplib::Request& req, httplib::Response& res);
  void trend(const httplib::Request& req, httplib::Response& res);
  void list_tokens(const httplib::Request& req, httplib::Response& res);
  void list_schedules(const httplib::Request& req, httplib::Response& res);
  void create_schedule(const httplib::Request& req, httplib::Response& res);
  void get_schedule(const httplib::Request& req, httplib::Response& res);
  void update_schedule(const httplib::Request& req, httplib::Response& res);
  void delete_schedule(const httplib::Request& req, httplib::Response& res);
  void pause_schedule(const httplib::Request& req, httplib::Response& res);
  void resume_schedule(const httplib::Request& req, httplib::Response& res);
  void preview_schedule(const httplib::Request& req, httplib::Response& res);
  // A schedule body; false after answering with the error.
  bool schedule_from_body(const json& body, httplib::Response& res, ScheduleInput* in);
  json schedule_json(const ScheduleRow& row, bool with_events);

  // ScheduleActions: the scheduler starts runs as POST /tests/{id}/runs does.
  Result<std::string> start_run(int64_t test_id) override {
    const auto t = store->test(test_id);
    if (!t) return fail("the test " + std::to_string(test_id) + " no longer exists");
    auto run = runs->start(*t);
    if (!run) return fail(run.error());
    return run->id;
  }
  bool test_running(int64_t test_id) override { return store->test_running(test_id); }

  void create_token(const httplib::Request& req, httplib::Response& res);
  void revoke_token(const httplib::Request& req, httplib::Response& res);
};

const std::vector<Console::Impl::Route>& Console::Impl::routes() {
  static const std::vector<Route> kRoutes = {
      {"GET", R"(/api/v1/tests)", "/api/v1/tests", Scope::kRead, &Impl::list_tests},
      {"POST", R"(/api/v1/tests)", "/api/v1/tests", Scope::kRun, &Impl::create_test},
      {"GET", R"(/api/v1/tests/(\d{1,18}))", "/api/v1/tests/{id}", Scope::kRead, &Impl::get_test},
      {"PUT", R"(/api/v1/tests/(\d{1,18}))", "/api/v1/tests/{id}", Scope::kRun, &Impl::update_test},
      {"DELETE", R"(/api/v1/tests/(\d{1,18}))", "/api/v1/tests/{id}", Scope::kRun,
       &Impl::delete_test},
      {"POST", R"(/api/v1/validate)", "/api/v1/validate", Scope::kRead, &Impl::validate},
      {"POST", R"(/api/v1/tests/(\d{1,18})/runs)", "/api/v1/tests/{id}/runs", Scope::kRun,
       &Impl::start_run},
      {"GET", R"(/api/v1/runs)", "/api/v1/runs", Scope::kRead, &Impl::list_runs},
      {"GET", R"(/api/v1/runs/([A-Za-z0-9-]{1,64}))", "/api/v1/runs/{id}", Scope::kRead,
       &Impl::get_run},
      {"POST", R"(/api/v1/runs/([A-Za-z0-9-]{1,64})/stop)", "/api/v1/runs/{id}/stop", Scope::kRun,
       &Impl::stop_run},
      {"GET", R"(/api/v1/runs/([A-Za-z0-9-]{1,64})/live)", "/api/v1/runs/{id}/live", Scope::kRead,
       &Impl::live},
      {"GET", R"(/api/v1/runs/([A-Za-z0-9-]{1,64})/report)", "/api/v1/runs/{id}/report",
       Scope::kRead, &Impl::get_report},
      {"GET", R"(/api/v1/schedules)", "/api/v1/schedules", Scope::kRead, &Impl::list_schedules},
      {"POST", R"(/api/v1/schedules)", "/api/v1/schedules", Scope::kRun, &Impl::create_schedule},
      {"POST", R"(/api/v1/schedules/preview)", "/api/v1/schedules/preview", Scope::kRead,
       &Impl::preview_schedule},
      {"GET", R"(/api/v1/schedules/(\d{1,18}))", "/api/v1/schedules/{id}", Scope::kRead,
       &Impl::get_schedule},
      {"PUT", R"(/api/v1/schedules/(\d{1,18}))", "/api/v1/schedules/{id}", Scope::kRun,
       &Impl::update_schedule},
      {"DELETE", R"(/api/v1/schedules/(\d{1,18}))", "/api/v1/schedules/{id}", Scope::kRun,
       &Impl::delete_schedule},
      {"POST", R"(/api/v1/schedules/(\d{1,18})/pause)", "/api/v1/schedules/{id}/pause", Scope::kRun,
       &Impl::pause_schedule},
      {"POST", R"(/api/v1/schedules/(\d{1,18})/resume)", "/api/v1/schedules/{id}/resume",
       Scope::kRun, &Impl::resume_schedule},
      {"GET", R"(/api/v1/runs/([A-Za-z0-9-]{1,64})/report\.html)", "/api/v1/runs/{id}/report.html",
       Scope::kRead, &Impl::get_html_report},
      {"POST", R"(/api/v1/runs/([A-Za-z0-9-]{1,64})/baseline)", "/api/v1/runs/{id}/baseline",
       Scope::kRun, &Impl::set_baseline},
      {"GET", R"(/api/v1/compare)", "/api/v1/compare", Scope::kRead, &Impl::compare},
      {"GET", R"(/api/v1/tests/(\d{1,18})/trend)", "/api/v1/tests/{id}/trend", Scope::kRead,
       &Impl::trend},
      {"GET", R"(/api/v1/tokens)", "/api/v1/tokens", Scope::kAdmin, &Impl::list_tokens},
      {"POST", R"(/api/v1/tokens)", "/api/v1/tokens", Scope::kAdmin, &Impl::create_token},
      {"DELETE", R"(/api/v1/tokens/(\d{1,18}))", "/api/v1/tokens/{id}", Scope::kAdmin,
       &Impl::revoke_token},
  };
  return kRoutes;
}

std::vector<RouteInfo> api_routes() {
  std::vector<RouteInfo> out;
  for (const auto& r : Console::Impl::routes())
    out.push_back({r.method, r.path, scope_name(r.scope)});
  return out;
}

void Console::Impl::install() {
  server.set_payload_max_length(options.max_body_bytes);
  // Server-sent-event readers hold a thread each while they watch: 128
  // threads (idle ones cost only address space) serve 10 runs x 5 readers
  // with room for API calls.
  server.new_task_queue = [] { return new httplib::ThreadPool(128); };
  server.set_default_headers({
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        send_error(res, 500, what);
      });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_) return;
    if (res.status == 413) {
      send_error(res, 413, "the request body is larger than the console's limit");
    } else if (res.status == 404) {
      send_error(res, 404, "no such route: " + req.method + " " + req.path);
    } else if (res.status == 400) {
      send_error(res, 400, "bad request (a POST or PUT needs a body, or Content-Length: 0)");
    } else if (res.status >= 400) {
      send_error(res, res.status, "HTTP " + std::to_string(res.status));
    }
  });
  for (const auto& route : routes()) {
    const Route* r = &route;
    auto wrapped = [this, r](const httplib::Request& req, httplib::Response& res) {
      const auto token = bearer_token(req.get_header_value("Authorization"));
      const auto scope_text = token ? store->scope_of(hash_token(*token)) : std::nullopt;
      const auto scope = scope_text ? parse_scope(*scope_text) : std::nullopt;
      if (!scope) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "a valid token is needed: Authorization: Bearer TOKEN");
        return;
      }
      if (!allows(*scope, r->scope)) {
        send_error(res, 403,
                   std::string("this token's scope is ") + scope_name(*scope) + "; " + req.method +
                       " " + r->path + " needs " + scope_name(r->scope));
        return;
      }
      (this->*(r->handler))(req, res);
    };
    const std::string_view m = r->method;
    if (m == "GET") server.Get(r->pattern, wrapped);
    if (m == "POST") server.Post(r->pattern, wrapped);
    if (m == "PUT") server.Put(r->pattern, wrapped);
    if (m == "DELETE") server.Delete(r->pattern, wrapped);
  }
  // The web UI: static assets compiled in; it uses only the API above.
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(assets::kIndexHtml), "text/html; charset=utf-8");
  });
  server.Get("/ui/app.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(assets::kAppJs), "text/javascript; charset=utf-8");
  });
  server.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) {
    res.status = 204;  // none: browsers ask for it
  });
  server.Get("/ui/app.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(assets::kAppCss), "text/css; charset=utf-8");
  });
}

std::optional<json> Console::Impl::body_json(const httplib::Request& req, httplib::Response& res) {
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    send_error(res, 400, "the request body must be a JSON object");
    return std::nullopt;
  }
  return j;
}

namespace {

// A string field, or nullopt (absent: `*bad` false; another type: `*bad` true).
std::optional<std::string> string_field(const json& j, const char* key, bool* bad) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    *bad = true;
    return std::nullopt;
  }
  return it->get<std::string>();
}

json script_error_json(const ScriptProblem& p) {
  std::string where = p.file;
  if (p.line > 0) where += ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
  return {{"error",
           {{"message", where + ": " + p.message},
            {"script_error",
             {{"message", p.message}, {"file", p.file}, {"line", p.line}, {"column", p.column}}}}}};
}

// A test's or token's name: shown in the UI (as text) and by the CLI on a
// terminal, so no control characters (escape sequences).
bool good_name(const std::string& name) {
  return !name.empty() && name.size() <= 200 &&
         std::none_of(name.begin(), name.end(),
                      [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

int64_t id_of(const httplib::Request& req) { return std::stoll(req.matches[1].str()); }

}  // namespace

bool Console::Impl::test_from_body(const json& body, httplib::Response& res, std::string* name,
                                   std::string* script, json* warnings) {
  bool bad = false;
  const auto n = string_field(body, "name", &bad);
  if (bad || !n || !good_name(*n)) {
    send_error(res, 400, "name must be 1 to 200 characters, none of them control characters");
    return false;
  }
  *name = *n;
  const auto s = string_field(body, "script", &bad);
  const auto form_it = body.find("form");
  const bool has_form = form_it != body.end() && !form_it->is_null();
  if (bad || (s.has_value() == has_form)) {
    send_error(res, 400, "give either script (a string of YAML) or form (an object)");
    return false;
  }
  if (s) {
    *script = *s;
  } else {
    const json& f = *form_it;
    TestForm form;
    std::string error;
    try {
      if (!f.is_object()) throw std::invalid_argument("form must be an object");
      form.url = f.at("url").get<std::string>();
      form.method = f.value("method", std::string("GET"));
      form.rate = f.at("rate").get<double>();
      form.duration_s = f.at("duration").get<int64_t>();
      form.body = f.value("body", std::string());
      if (f.contains("headers"))
        form.headers = f.at("headers").get<std::map<std::string, std::string>>();
    } catch (const std::exception&) {
      send_error(res, 400,
                 "form needs url (string), rate (number), duration (integer seconds); method, "
                 "body (strings) and headers (an object of strings) are optional");
      return false;
    }
    auto made = script_from_form(form);
    if (!made) {
      send_error(res, 400, made.error().message);
      return false;
    }
    *script = std::move(*made);
  }
  const Validation v = validate_script(*script, "script.yml");
  if (v.error) {
    send_json(res, 422, script_error_json(*v.error));
    return false;
  }
  *warnings = v.warnings;
  return true;
}

void Console::Impl::list_tests(const httplib::Request&, httplib::Response& res) {
  json list = json::array();
  for (const auto& t : store->tests()) list.push_back(to_json(t, false));
  send_json(res, 200, {{"tests", list}});
}

void Console::Impl::create_test(const httplib::Request& req, httplib::Response& res) {
  const auto body = body_json(req, res);
  if (!body) return;
  std::string name, script;
  json warnings;
  if (!test_from_body(*body, res, &name, &script, &warnings)) return;
  const int64_t id = store->create_test(name, script);
  json out = to_json(*store->test(id), true);
  out["warnings"] = warnings;
  res.set_header("Location", "/api/v1/tests/" + std::to_string(id));
  send_json(res, 201, out);
}

void Console::Impl::get_test(const httplib::Request& req, httplib::Response& res) {
  const auto t = store->test(id_of(req));
  if (!t) return send_error(res, 404, "no such test");
  send_json(res, 200, to_json(*t, true));
}

void Console::Impl::update_test(const httplib::Request& req, httplib::Response& res) {
  const auto body = body_json(req, res);
  if (!body) return;
  const int64_t id = id_of(req);
  if (!store->test(id)) return send_error(res, 404, "no such test");
  std::string name, script;
  json warnings;
  if (!test_from_body(*body, res, &name, &script, &warnings)) return;
  if (!store->update_test(id, name, script)) return send_error(res, 404, "no such test");
  json out = to_json(*store->test(id), true);
  out["warnings"] = warnings;
  send_json(res, 200, out);
}

void Console::Impl::delete_test(const httplib::Request& req, httplib::Response& res) {
  if (!store->delete_test(id_of(req))) return send_error(res, 404, "no such test");
  res.status = 204;
}

void Console::Impl::validate(const httplib::Request& req, httplib::Response& res) {
  const auto body = body_json(req, res);
  if (!body) return;
  bool bad = false;
  const auto script = string_field(*body, "script", &bad);
  if (bad || !script) return send_error(res, 400, "script must be a string of YAML");
  const Validation v = validate_script(*script, "script.yml");
  if (v.error) return send_json(res, 422, script_error_json(*v.error));
  send_json(
      res, 200,
      {{"ok", true}, {"phases", v.phases}, {"scenarios", v.scenarios}, {"warnings", v.warnings}});
}

void Console::Impl::start_run(const httplib::Request& req, httplib::Response& res) {
  const auto t = store->test(id_of(req));
  if (!t) return send_error(res, 404, "no such test");
  const auto run = runs->start(*t);
  if (!run) {
    return send_error(res, run.error().code == RunManager::kTooMany ? 429 : 500,
                      run.error().message);
  }
  res.set_header("Location", "/api/v1/runs/" + run->id);
  send_json(res, 201, to_json(*run));
}

void Console::Impl::list_runs(const httplib::Request& req, httplib::Response& res) {
  std::optional<int64_t> test_id;
  if (req.has_param("test_id")) {
    const std::string v = req.get_param_value("test_id");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
      return send_error(res, 400, "test_id must be a test's id (an integer)");
    }
    test_id = std::stoll(v);
  }
  json list = json::array();
  for (const auto& r : store->runs(test_id)) list.push_back(to_json(r));
  send_json(res, 200, {{"runs", list}});
}

void Console::Impl::get_run(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1].str();
  const auto r = store->run(id);
  if (!r) return send_error(res, 404, "no such run");
  json out = to_json(*r);
  json series = json::array();
  for (const auto& p : store->periods(id)) series.push_back(to_json(p));
  out["series"] = series;
  out["script"] = r->script;
  send_json(res, 200, out);
}

void Console::Impl::stop_run(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1].str();
  const auto r = store->run(id);
  if (!r) return send_error(res, 404, "no such run");
  if (!runs->stop(id)) return send_error(res, 409, "the run is not running (" + r->status + ")");
  send_json(res, 202, to_json(*store->run(id)));
}

void Console::Impl::live(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1].str();
  auto channel = runs->channel(id);
  res.set_header("Cache-Control", "no-store");
  if (!channel) {
    const auto r = store->run(id);
    if (!r) return send_error(res, 404, "no such run");
    // Finished: the stored series (the same events the live view showed), then the end.
    std::string text;
    for (const auto& p : store->periods(id)) text += period_event(p);
    text += end_event(*r);
    res.set_content(text, "text/event-stream");
    return;
  }
  auto next = std::make_shared<size_t>(0);
  auto last_write =
      std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  res.set_chunked_content_provider(
      "text/event-stream", [channel, next, last_write](size_t, httplib::DataSink& sink) {
        if (!sink.is_writable()) return false;  // the reader went away
        bool ended = false;
        const auto events = channel->wait_from(*next, std::chrono::milliseconds(1000), &ended);
        for (const auto& e : events) {
          if (!sink.write(e.data(), e.size())) return false;
        }
        *next += events.size();
        const auto now = std::chrono::steady_clock::now();
        if (!events.empty()) {
          *last_write = now;
        } else if (ended) {
          sink.done();
        } else if (now - *last_write > std::chrono::seconds(15)) {
          static constexpr std::string_view kPing = ": ping\n\n";  // keeps proxies open
          if (!sink.write(kPing.data(), kPing.size())) return false;
          *last_write = now;
        }
        return true;
      });
}

void Console::Impl::get_report(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1].str();
  if (!store->run(id)) return send_error(res, 404, "no such run");
  const auto report = store->report(id);
  if (!report) return send_error(res, 404, "the run has no report (yet)");
  res.set_header("Content-Disposition", "attachment; filename=\"" + id + ".json\"");
  res.status = 200;
  res.set_content(*report, "application/json");
}

json Console::Impl::schedule_json(const ScheduleRow& r, bool with_events) {
  json j = {{"id", r.id},
            {"test_id", r.test_id},
            {"cron", r.cron.empty() ? json(nullptr) : json(r.cron)},
            {"at", r.at.empty() ? json(nullptr) : json(r.at)},
            {"timezone", r.timezone},
            {"expires_at", r.expires_at.empty() ? json(nullptr) : json(r.expires_at)},
            {"missed", r.missed},
            {"overlap", r.overlap},
            {"state", r.state},
            {"queued", r.queued},
            {"next_ms", nullptr},
            {"next", nullptr},
            {"last_fire_ms", nullptr},
            {"created_ms", r.created_ms},
            {"updated_ms", r.updated_ms}};
  if (r.next_ms && r.state == "active") {
    j["next_ms"] = *r.next_ms;
    j["next"] = format_local(*r.next_ms, r.timezone);
  }
  if (r.last_fire_ms) j["last_fire_ms"] = *r.last_fire_ms;
  if (with_events) {
    json events = json::array();
    for (const auto& e : store->schedule_events(r.id, 100)) {
      events.push_back({{"at_ms", e.at_ms},
                        {"fire_ms", e.fire_ms ? json(*e.fire_ms) : json(nullptr)},
                        {"kind", e.kind},
                        {"run_id", e.run_id.empty() ? json(nullptr) : json(e.run_id)},
                        {"message", e.message}});
    }
    j["events"] = events;
  }
  return j;
}

bool Console::Impl::schedule_from_body(const json& body, httplib::Response& res,
                                       ScheduleInput* in) {
  bool bad = false;
  const auto it = body.find("test_id");
  if (it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      send_error(res, 400, "test_id must be a test's id (an integer)");
      return false;
    }
    in->test_id = it->get<int64_t>();
  }
  in->cron = string_field(body, "cron", &bad).value_or("");
  in->at = string_field(body, "at", &bad).value_or("");
  in->timezone = string_field(body, "timezone", &bad).value_or("UTC");
  in->expires_at = string_field(body, "expires_at", &bad).value_or("");
  in->missed = string_field(body, "missed", &bad).value_or("skip");
  in->overlap = string_field(body, "overlap", &bad).value_or("skip");
  if (const auto p = body.find("paused"); p != body.end() && !p->is_null()) {
    if (!p->is_boolean())
      bad = true;
    else
      in->paused = p->get<bool>();
  }
  if (bad) {
    send_error(res, 400,
               "cron, at, timezone, expires_at, missed and overlap are strings; paused is a "
               "boolean");
    return false;
  }
  return true;
}

void Console::Impl::list_schedules(const httplib::Request& req, httplib::Response& res) {
  std::optional<int64_t> test_id;
  if (req.has_param("test_id")) {
    const std::string v = req.get_param_value("test_id");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
      return send_error(res, 400, "test_id must be a test's id (an integer)");
    }
    test_id = std::stoll(v);
  }
  json list = json::array();
  for (const auto& r : store->schedules(test_id)) list.push_back(schedule_json(r, false));
  send_json(res, 200, {{"schedules", list}});
}

void Console::Impl::create_schedule(const httplib::Request& req, httplib::Response& res) {
  const auto body = body_json(req, res);
  if (!body) return;
  ScheduleInput in;
  if (!schedule_from_body(*body, res, &in)) return;
  const auto row = scheduler->create(in);
  if (!row) return send_error(res, 400, row.error().message);
  res.set_header("Location", "/api/v1/schedules/" + std::to_string(row->id));
  send_json(res, 201, schedule_json(*row, true));
}

void Console::Impl::get_schedule(const httplib::Request& req, httplib::Response& res) {
  const auto row = store->schedule(id_of(req));
  if (!row) return send_error(res, 404, "no such schedule");
  send_json(res, 200, schedule_json(*row, true));
}

void Console::Impl::update_schedule(const httplib::Request& req, httplib::Response& res) {
  const auto body = body_json(req, res);
  if (!body) return;
  ScheduleInput in;
  if (!schedule_from_body(*body, res, &in)) return;
  const auto row = scheduler->update(id_of(req), in);
  if (!row) return send_error(res, 400, row.error().message);
  if (!*row) return send_error(res, 404, "no such schedule");
  send_json(res, 200, schedule_json(**row, true));
}

void Console::Impl::delete_schedule(const httplib::Request& req, httplib::Response& res) {
  if (!scheduler->remove(id_of(req))) return send_error(res, 404, "no such schedule");
  res.status = 204;
}

void Console::Impl::pause_schedule(const httplib::Request& req, httplib::Response& res) {
  const auto row = scheduler->pause(id_of(req));
  if (!row) return send_error(res, 404, "no such schedule");
  send_json(res, 200, schedule_json(*row, true));
}

void Console::Impl::resume_schedule(const httplib::Request& req, httplib::Response& res) {
  const auto row = scheduler->resume(id_of(req));
  if (!row) return send_error(res, 404, "no such schedule");
  send_json(res, 200, schedule_json(*row, true));
}

void Console::Impl::preview_schedule(const httplib::Request& req, httplib::Response& res) {
  const auto body = body_json(req, res);
  if (!body) return;
  ScheduleInput in;
  if (!schedule_from_body(*body, res, &in)) return;
  const auto times = scheduler->preview(in, 5);
  if (!times) return send_error(res, 400, times.error().message);
  json next = json::array();
  for (const int64_t t : *times) {
    next.push_back({{"ms", t}, {"utc", format_utc(t)}, {"local", format_local(t, in.timezone)}});
  }
  send_json(res, 200, {{"timezone", in.timezone}, {"next", next}});
}

void Console::Impl::get_html_report(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1].str();
  if (!store->run(id)) return send_error(res, 404, "no such run");
  const auto text = store->report(id);
  if (!text) return send_error(res, 404, "the run has no report (yet)");
  const auto model = report::read_report(*text);
  if (!model)
    return send_error(res, 500, "the stored report does not read: " + model.error().message);
  // The CLI's rendering (`barrage report`, `barrage run --report html`): a
  // self-contained page that needs no console.
  res.set_header("Content-Disposition", "attachment; filename=\"" + id + ".html\"");
  res.status = 200;
  res.set_content(run::render_report("html", *model), "text/html; charset=utf-8");
}

void Console::Impl::set_baseline(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1].str();
  const auto r = store->run(id);
  if (!r) return send_error(res, 404, "no such run");
  if (!r->test_id) return send_error(res, 409, "the run's test was deleted");
  if (!r->has_report) {
    return send_error(res, 409,
                      "the run has no report (" + r->status + "): it cannot be a baseline");
  }
  if (!store->set_baseline(*r->test_id, id))
    return send_error(res, 409, "the run's test was deleted");
  send_json(res, 200, to_json(*store->run(id)));
}

namespace {

// A run id from a query parameter, checked as the routes check it.
bool good_run_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-';
  });
}

}  // namespace

void Console::Impl::compare(const httplib::Request& req, httplib::Response& res) {
  const std::string run_id = req.get_param_value("run");
  if (!good_run_id(run_id))
    return send_error(res, 400,
                      "give run=RUN_ID (and base=RUN_ID, or none for the test's baseline)");
  const auto run = store->run(run_id);
  if (!run) return send_error(res, 404, "no such run: " + run_id);
  std::string base_id = req.get_param_value("base");
  if (base_id.empty()) {
    const auto test = run->test_id ? store->test(*run->test_id) : std::nullopt;
    if (!test || test->baseline_run_id.empty()) {
      return send_error(res, 409, "the run's test has no baseline: give base=RUN_ID or mark one");
    }
    base_id = test->baseline_run_id;
  }
  if (!good_run_id(base_id)) return send_error(res, 400, "base must be a run id");
  const auto base = store->run(base_id);
  if (!base) return send_error(res, 404, "no such run: " + base_id);
  const auto base_report = store->report(base_id);
  const auto run_report = store->report(run_id);
  if (!base_report || !run_report) {
    return send_error(res, 409,
                      "run " + (!base_report ? base_id : run_id) + " has no report (yet)");
  }
  auto out = compare_runs(*base, *base_report, *run, *run_report);
  if (!out) return send_error(res, 500, out.error().describe());
  (*out)["base"] = to_json(*base);
  (*out)["run"] = to_json(*run);
  send_json(res, 200, *out);
}

void Console::Impl::trend(const httplib::Request& req, httplib::Response& res) {
  const int64_t test_id = id_of(req);
  if (!store->test(test_id)) return send_error(res, 404, "no such test");
  const std::string metric = req.has_param("metric") ? req.get_param_value("metric") : "p95";
  const auto& metrics = trend_metrics();
  const auto m = std::find_if(metrics.begin(), metrics.end(),
                              [&](const TrendMetric& t) { return metric == t.name; });
  if (m == metrics.end()) {
    std::string names;
    for (const auto& t : metrics) names += (names.empty() ? "" : ", ") + std::string(t.name);
    return send_error(res, 400, "metric must be one of " + names);
  }
  int64_t last = 20;
  if (req.has_param("last")) {
    const std::string v = req.get_param_value("last");
    if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(v) < 1 || std::stoi(v) > 500) {
      return send_error(res, 400, "last must be a number of runs from 1 to 500");
    }
    last = std::stoi(v);
  }
  json points = json::array();
  for (const auto& r : store->runs(test_id)) {  // newest first
    if (static_cast<int64_t>(points.size()) >= last) break;
    if (!r.has_report) continue;
    const auto report = store->report(r.id);
    if (!report) continue;
    const auto v = trend_value(*report, metric);
    if (!v) continue;
    points.push_back({{"run_id", r.id},
                      {"started_ms", r.started_ms},
                      {"status", r.status},
                      {"baseline", r.baseline},
                      {"value", *v}});
  }
  std::reverse(points.begin(), points.end());  // oldest first
  send_json(res, 200,
            {{"test_id", test_id}, {"metric", metric}, {"unit", m->unit}, {"points", points}});
}

void Console::Impl::list_tokens(const httplib::Request&, httplib::Response& res) {
  json list = json::array();
  for (const auto& t : store->tokens()) list.push_back(to_json(t));
  send_json(res, 200, {{"tokens", list}});
}

void Console::Impl::create_token(const httplib::Request& req, httplib::Response& res) {
  const auto body = body_json(req, res);
  if (!body) return;
  bool bad = false;
  const auto name = string_field(*body, "name", &bad);
  const auto scope_text = string_field(*body, "scope", &bad);
  const auto scope = scope_text ? parse_scope(*scope_text) : std::nullopt;
  if (bad || !name || !good_name(*name) || !scope) {
    return send_error(res, 400, "give name (1 to 200 characters) and scope (read, run or admin)");
  }
  const std::string& scope_str = *scope_text;  // parsed above: read, run or admin
  const std::string token = new_token();
  const int64_t id = store->add_token(*name, scope_str, hash_token(token));
  send_json(res, 201, {{"id", id}, {"name", *name}, {"scope", scope_str}, {"token", token}});
}

void Console::Impl::revoke_token(const httplib::Request& req, httplib::Response& res) {
  if (!store->revoke_token(id_of(req), now_ms())) return send_error(res, 404, "no such token");
  res.status = 204;
}

Console::Console(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Console::~Console() {
  stop();
  impl_->scheduler->stop();
  impl_->runs->shutdown();
}

Result<std::unique_ptr<Console>> Console::open(const ConsoleOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const auto listen = parse_listen(options.listen);
  if (!listen) {
    return fail("--listen takes HOST:PORT (e.g. 127.0.0.1:8089), not '" + options.listen + "'");
  }
  impl->listen = *listen;
  if (!is_loopback(listen->host) && !options.allow_remote) {
    return fail("--listen " + options.listen +
                " is not a loopback address: add --allow-remote to serve the console beyond this "
                "machine");
  }
  impl->data_dir = options.data_dir.empty() ? default_data_dir() : options.data_dir;
  std::error_code ec;
  fs::create_directories(fs::path(impl->data_dir) / "runs", ec);
  if (ec) {
    return fail("cannot create the data directory " + impl->data_dir + ": " + ec.message());
  }
  ::chmod(impl->data_dir.c_str(), 0700);
  try {
    impl->store = std::make_unique<Store>((fs::path(impl->data_dir) / "console.db").string());
    impl->interrupted = impl->store->mark_interrupted(now_ms());
    if (impl->store->token_count() == 0) {
      const std::string token = new_token();
      impl->store->add_token("first admin token", "admin", hash_token(token));
      impl->first_token = token;
    }
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  RunnerOptions ro;
  ro.barrage_exe = options.barrage_exe;
  ro.runs_dir = (fs::path(impl->data_dir) / "runs").string();
  ro.max_runs = options.max_runs;
  impl->runs = std::make_unique<RunManager>(*impl->store, ro);
  impl->scheduler = std::make_unique<Scheduler>(*impl->store, *impl);
  impl->install();
  if (listen->port == 0) {
    impl->port = impl->server.bind_to_any_port(listen->host);
  } else {
    impl->port = impl->server.bind_to_port(listen->host, listen->port) ? listen->port : -1;
  }
  if (impl->port <= 0) {
    return fail("cannot listen on " + options.listen +
                " (in use, or not an address of this machine)");
  }
  return std::unique_ptr<Console>(new Console(std::move(impl)));
}

int Console::port() const { return impl_->port; }
const std::string& Console::host() const { return impl_->listen.host; }
const std::optional<std::string>& Console::first_admin_token() const { return impl_->first_token; }
int Console::interrupted_at_start() const { return impl_->interrupted; }
const std::string& Console::data_dir() const { return impl_->data_dir; }

void Console::serve() {
  // Schedules fire while the console serves: the first look handles the
  // fire times missed while it was down (each schedule's missed policy).
  impl_->scheduler->start();
  impl_->serving = true;
  if (!impl_->stopping) impl_->server.listen_after_bind();
  impl_->serving = false;
}

void Console::stop() {
  // httplib's stop() does nothing before the server runs: wait until serve()
  // has either started listening (then stop it) or returned.
  impl_->stopping = true;
  while (impl_->serving) {
    if (impl_->server.is_running()) {
      impl_->server.stop();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int console_main(const ConsoleOptions& options, const std::atomic<bool>& stop) {
  auto opened = Console::open(options);
  if (!opened) {
    std::fprintf(stderr, "barrage console: %s\n", opened.error().message.c_str());
    return 2;
  }
  auto& console = *opened;
  const std::string& host = console->host();
  const bool v6 = host.find(':') != std::string::npos;
  std::printf("barrage console listening on http://%s%s%s:%d/ (data: %s)\n", v6 ? "[" : "",
              host.c_str(), v6 ? "]" : "", console->port(), console->data_dir().c_str());
  if (!is_loopback(host)) {
    std::fprintf(stderr,
                 "barrage console: warning: listening on %s, beyond this machine: anyone who "
                 "reaches it with a token can start load tests from here; the API is plain HTTP, "
                 "so put TLS in front of it\n",
                 host.c_str());
  }
  if (console->first_admin_token()) {
    std::printf("First admin token (shown once, keep it): %s\n",
                console->first_admin_token()->c_str());
  }
  if (console->interrupted_at_start() > 0) {
    std::printf("%d run(s) in flight when the console last went down are marked interrupted\n",
                console->interrupted_at_start());
  }
  std::fflush(stdout);
  std::thread server([&] { console->serve(); });
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::printf("barrage console: stopping (runs still going are stopped)\n");
  std::fflush(stdout);
  console->stop();
  server.join();
  console.reset();
  return 0;
}

}  // namespace barrage::console
