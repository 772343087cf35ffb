#include "demo_target/router.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

namespace barrage::demo_target {
namespace {

using nlohmann::json;

constexpr std::string_view kGetHead = "GET, HEAD";
constexpr std::string_view kPost = "POST";

constexpr std::string_view kIndex =
    R"({"name":"barrage demo target","routes":["GET /","GET /health","POST /auth/login",)"
    R"("GET /catalog/items","GET /catalog/items/{id}","GET /user/profile","GET /orders",)"
    R"("POST /cart/items","POST /orders/checkout","POST /reports/generate-preview",)"
    R"("GET /delay/{ms}","GET /status/{code}","GET /bytes/{n}","ANY /echo","GET /links.xml"]})";

// GET /links.xml: a small XML document, for `xpath` captures.
constexpr std::string_view kLinksXml =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<links><a href="/echo/first" id="1">first</a><a href="/echo/second" id="2">second</a>)"
    "</links>";

bool is_get(const Request& r) noexcept { return r.method == "GET" || r.method == "HEAD"; }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Non-negative decimal integer of at most 18 digits.
std::optional<int64_t> parse_uint(std::string_view s) noexcept {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Value of query parameter `name`, percent-decoded ('+' is a space); nullopt if absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      std::string out;
      out.reserve(raw.size());
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out.push_back(' ');
        } else if (raw[i] == '%' && i + 2 < raw.size() && hex_digit(raw[i + 1]) >= 0 &&
                   hex_digit(raw[i + 2]) >= 0) {
          out.push_back(static_cast<char>(hex_digit(raw[i + 1]) * 16 + hex_digit(raw[i + 2])));
          i += 2;
        } else {
          out.push_back(raw[i]);
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// An integer field given as a JSON number or a decimal string (templated
// Artillery values are strings).
std::optional<int64_t> int_field(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (d >= 0 && d <= 1e15 && d == static_cast<double>(static_cast<int64_t>(d))) {
      return static_cast<int64_t>(d);
    }
    return std::nullopt;
  }
  if (it->is_string()) return parse_uint(it->get_ref<const std::string&>());
  return std::nullopt;
}

// Parses an optional JSON body: empty is an empty object; nullopt when invalid.
std::optional<json> parse_body(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

RouteResponse gateway(RouteResponse r) {
  r.invokes_function = false;
  return r;
}

RouteResponse method_not_allowed(std::string_view allow) {
  RouteResponse r = gateway(message_response(405, "Method Not Allowed"));
  r.allow = allow;
  return r;
}

RouteResponse unauthorized() { return message_response(401, "Unauthorized"); }

// ANY /echo[/...]: the request as the target saw it, for checking what a
// client sent (query string, headers, cookies, body encodings).
RouteResponse echo(const Request& request) {
  json args = json::object();
  std::string_view query = request.query;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::string name(pair.substr(0, pair.find('=')));
    if (!name.empty() && !args.contains(name)) {
      args[name] = query_param(request.query, name).value_or("");
    }
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  json headers = json::object();
  for (const auto& h : request.headers) {
    std::string name(h.name);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[name] = std::string(h.value);
  }
  json echoed{{"method", request.method}, {"path", request.path},          {"query", request.query},
              {"args", std::move(args)},  {"headers", std::move(headers)}, {"body", request.body}};
  // A JSON body, parsed, for tests that capture from what they sent.
  if (auto parsed = json::parse(request.body, nullptr, false); !parsed.is_discarded()) {
    echoed["json"] = std::move(parsed);
  }
  RouteResponse r;
  r.body = dump(echoed);
  return gateway(std::move(r));
}

}  // namespace

RouteResponse message_response(int status, std::string_view message) {
  RouteResponse r;
  r.status = status;
  r.body = dump(json{{"message", message}});
  return r;
}

Router::Auth Router::authenticate(const Request& request, int64_t wall_now_s,
                                  std::string* username) const {
  std::string_view value = request.header("authorization");
  if (value.empty()) return Auth::kMissing;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return Auth::kInvalid;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if ((value[i] | 0x20) != kScheme[i]) return Auth::kInvalid;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (!demo_token_.empty() && value == demo_token_) {
    *username = "demo";
    return Auth::kValid;
  }
  auto user = signer_.verify(value, wall_now_s);
  if (!user) return Auth::kInvalid;
  *username = std::move(*user);
  return Auth::kValid;
}

RouteResponse Router::login(const Request& request, int64_t wall_now_s) const {
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return message_response(400, "Invalid JSON");
  if (!body.is_object()) return message_response(400, "username and password are required");
  const auto user = body.find("username");
  const auto pass = body.find("password");
  if (user == body.end() || pass == body.end() || !user->is_string() || !pass->is_string() ||
      user->get_ref<const std::string&>().empty() || pass->get_ref<const std::string&>().empty()) {
    return message_response(400, "username and password are required");
  }
  RouteResponse r;
  r.body = dump(json{
      {"token", signer_.issue(user->get_ref<const std::string&>(), wall_now_s, kTokenTtlSeconds)},
      {"expiresIn", kTokenTtlSeconds}});
  return r;
}

RouteResponse Router::catalog_items(const Request& request) const {
  size_t limit = Catalog::kDefaultLimit;
  if (const auto raw = query_param(request.query, "limit")) {
    const auto n = parse_uint(*raw);
    if (!n || *n < 1 || *n > static_cast<int64_t>(Catalog::kMaxLimit)) {
      return message_response(400, "limit must be between 1 and 100");
    }
    limit = static_cast<size_t>(*n);
  }
  const std::string category = query_param(request.query, "category").value_or("");
  RouteResponse r;
  r.body = catalog_.list_json(category, limit);
  return r;
}

RouteResponse Router::add_to_cart(const Request& request) const {
  const auto body = parse_body(request.body);
  if (!body) return message_response(400, "Invalid JSON");
  if (!body->is_object()) return message_response(400, "itemId is required");
  const auto item_id = int_field(*body, "itemId");
  if (!item_id) return message_response(400, "itemId is required");
  int64_t quantity = 1;
  if (body->contains("quantity")) {
    const auto q = int_field(*body, "quantity");
    if (!q || *q < 1 || *q > 1000) return message_response(400, "quantity must be 1..1000");
    quantity = *q;
  }
  if (catalog_.find(*item_id) == nullptr) return message_response(404, "Item not found");
  std::string cart_id;
  const auto given = body->find("cartId");
  if (given != body->end() && given->is_string() && !given->get_ref<const std::string&>().empty()) {
    cart_id = given->get<std::string>();
  } else {
    cart_id = fmt::format("cart-{}", next_id());
  }
  RouteResponse r;
  r.status = 201;
  r.body = dump(json{{"cartId", cart_id}, {"items", quantity}});
  return r;
}

RouteResponse Router::handle(const Request& request, int64_t wall_now_s) const {
  const std::string_view path = request.path;
  std::string username;

  if (path == "/" || path == "/health") {
    if (!is_get(request)) return method_not_allowed(kGetHead);
    RouteResponse r;
    if (path == "/") {
      r.body = kIndex;
    } else {
      r.body = "ok";
      r.content_type = "text/plain";
    }
    return gateway(std::move(r));
  }

  if (path == "/auth/login") {
    if (request.method != "POST") return method_not_allowed(kPost);
    return login(request, wall_now_s);
  }

  constexpr std::string_view kItemPrefix = "/catalog/items/";
  const bool item_path = path.starts_with(kItemPrefix);
  if (path == "/catalog/items" || item_path || path == "/user/profile" || path == "/orders") {
    if (!is_get(request)) return method_not_allowed(kGetHead);
    if (authenticate(request, wall_now_s, &username) != Auth::kValid) return unauthorized();
    RouteResponse r;
    if (path == "/catalog/items") return catalog_items(request);
    if (item_path) {
      const auto id = parse_uint(path.substr(kItemPrefix.size()));
      const CatalogItem* item = id ? catalog_.find(*id) : nullptr;
      if (item == nullptr) return message_response(404, "Item not found");
      r.body = item->json;
    } else if (path == "/user/profile") {
      r.body = dump(json{{"username", username}});
    } else {
      r.body = Catalog::orders_json(username, query_param(request.query, "status").value_or(""));
    }
    return r;
  }

  if (path == "/cart/items" || path == "/orders/checkout" || path == "/reports/generate-preview") {
    if (request.method != "POST") return method_not_allowed(kPost);
    if (authenticate(request, wall_now_s, &username) == Auth::kInvalid) return unauthorized();
    if (path == "/cart/items") return add_to_cart(request);
    if (!parse_body(request.body)) return message_response(400, "Invalid JSON");
    RouteResponse r;
    if (path == "/orders/checkout") {
      r.status = 201;
      r.body = fmt::format(R"({{"orderId":"ord-{}","status":"confirmed"}})", next_id());
    } else {
      r.body = fmt::format(R"({{"reportId":"rpt-{}"}})", next_id());
      r.extra_delay_ns = kReportWorkMs * 1'000'000;
    }
    return r;
  }

  if (path == "/echo" || path.starts_with("/echo/")) return echo(request);

  if (path == "/links.xml") {
    if (!is_get(request)) return method_not_allowed(kGetHead);
    RouteResponse r;
    r.body = kLinksXml;
    r.content_type = "application/xml";
    return gateway(std::move(r));
  }

  if (path.starts_with("/delay/")) {
    const auto ms = parse_uint(path.substr(7));
    if (!ms || *ms > kMaxDelayMs) return message_response(400, "delay must be 0..300000 ms");
    RouteResponse r;
    r.body = fmt::format(R"({{"delayMs":{}}})", *ms);
    r.extra_delay_ns = *ms * 1'000'000;
    return r;
  }

  if (path.starts_with("/status/")) {
    const auto code = parse_uint(path.substr(8));
    if (!code || *code < 200 || *code > 599)
      return message_response(400, "status must be 200..599");
    RouteResponse r;
    r.status = static_cast<int>(*code);
    if (r.status != 204 && r.status != 304) r.body = fmt::format(R"({{"status":{}}})", *code);
    return r;
  }

  if (path.starts_with("/bytes/")) {
    if (!is_get(request)) return method_not_allowed(kGetHead);
    const auto n = parse_uint(path.substr(7));
    if (!n || static_cast<uint64_t>(*n) > kMaxStreamBytes) {
      return message_response(400, "n must be 0..104857600");
    }
    RouteResponse r;
    r.content_type = "application/octet-stream";
    r.stream_bytes = static_cast<uint64_t>(*n);
    return r;
  }

  return gateway(message_response(404, "Not Found"));
}

}  // namespace barrage::demo_target
