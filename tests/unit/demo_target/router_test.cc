#include "demo_target/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace barrage::demo_target {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'700'000'000;

class TargetRouter : public ::testing::Test {
 protected:
  RouteResponse call(const std::string& method, const std::string& target,
                     const std::string& body = "", const std::string& token = "") {
    raw_ = method + " " + target + " HTTP/1.1\r\nHost: t\r\n";
    if (!token.empty()) raw_ += "Authorization: Bearer " + token + "\r\n";
    raw_ += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    parser_.reset();
    EXPECT_EQ(parser_.parse(raw_), http::RequestParser::State::kComplete);
    return router_.handle(parser_.request(), kNow);
  }
  std::string login(const std::string& user) {
    const RouteResponse r =
        call("POST", "/auth/login", json{{"username", user}, {"password", "pw"}}.dump());
    EXPECT_EQ(r.status, 200);
    return json::parse(r.body).at("token").get<std::string>();
  }

  Router router_{"demo-token", TokenSigner("test-secret")};
  http::RequestParser parser_;
  std::string raw_;
};

TEST_F(TargetRouter, LoginIssuesTokenThatAuthorizes) {
  const std::string token = login("alice");
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  const RouteResponse profile = call("GET", "/user/profile", "", token);
  EXPECT_EQ(profile.status, 200);
  EXPECT_EQ(json::parse(profile.body).at("username"), "alice");
  EXPECT_TRUE(profile.invokes_function);
}

TEST_F(TargetRouter, LoginValidatesBody) {
  EXPECT_EQ(call("POST", "/auth/login", "{not json").status, 400);
  EXPECT_EQ(call("POST", "/auth/login", R"({"username":"a"})").status, 400);
  EXPECT_EQ(call("POST", "/auth/login", R"({"username":"a","password":""})").status, 400);
  EXPECT_EQ(call("POST", "/auth/login", R"({"username":1,"password":"x"})").status, 400);
  EXPECT_EQ(call("POST", "/auth/login", "[]").status, 400);
  EXPECT_EQ(call("GET", "/auth/login").status, 405);
}

TEST_F(TargetRouter, ProtectedRoutesNeedToken) {
  for (const char* path : {"/catalog/items", "/catalog/items/3", "/user/profile", "/orders"}) {
    const RouteResponse r = call("GET", path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(json::parse(r.body).at("message"), "Unauthorized");
    EXPECT_EQ(call("GET", path, "", "bogus.token.sig").status, 401) << path;
    EXPECT_EQ(call("GET", path, "", "demo-token").status, 200) << path;
  }
}

TEST_F(TargetRouter, CatalogListLimitAndCategory) {
  auto items = json::parse(call("GET", "/catalog/items", "", "demo-token").body);
  ASSERT_TRUE(items.is_array());
  EXPECT_EQ(items.size(), Catalog::kDefaultLimit);
  for (const char* key : {"id", "name", "price", "category"}) {
    EXPECT_TRUE(items[0].contains(key)) << key;
  }
  items = json::parse(call("GET", "/catalog/items?limit=100", "", "demo-token").body);
  EXPECT_EQ(items.size(), 100u);
  items =
      json::parse(call("GET", "/catalog/items?category=books&limit=100", "", "demo-token").body);
  EXPECT_EQ(items.size(), 20u);
  for (const auto& item : items) EXPECT_EQ(item.at("category"), "books");
  EXPECT_EQ(call("GET", "/catalog/items?limit=0", "", "demo-token").status, 400);
  EXPECT_EQ(call("GET", "/catalog/items?limit=x", "", "demo-token").status, 400);
}

TEST_F(TargetRouter, CatalogItemById) {
  const RouteResponse r = call("GET", "/catalog/items/42", "", "demo-token");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("id"), 42);
  EXPECT_EQ(r.body, call("GET", "/catalog/items/42", "", "demo-token").body);  // deterministic
  EXPECT_EQ(call("GET", "/catalog/items/101", "", "demo-token").status, 404);
  EXPECT_EQ(call("GET", "/catalog/items/abc", "", "demo-token").status, 404);
}

TEST_F(TargetRouter, OrdersFilterByStatus) {
  const std::string token = login("bob");
  const auto all = json::parse(call("GET", "/orders", "", token).body);
  const auto open = json::parse(call("GET", "/orders?status=open", "", token).body);
  EXPECT_GT(all.size(), open.size());
  ASSERT_FALSE(open.empty());
  for (const auto& o : open) EXPECT_EQ(o.at("status"), "open");
}

TEST_F(TargetRouter, CartCheckoutAndReports) {
  RouteResponse r = call("POST", "/cart/items", R"({"itemId":7,"quantity":3})");
  EXPECT_EQ(r.status, 201);
  auto body = json::parse(r.body);
  EXPECT_EQ(body.at("items"), 3);
  EXPECT_TRUE(body.at("cartId").is_string());
  EXPECT_EQ(call("POST", "/cart/items", R"({"itemId":"7"})").status, 201);  // templated string
  EXPECT_EQ(call("POST", "/cart/items", R"({"itemId":999})").status, 404);
  EXPECT_EQ(call("POST", "/cart/items", R"({"quantity":1})").status, 400);
  EXPECT_EQ(call("POST", "/cart/items", "{").status, 400);
  EXPECT_EQ(call("POST", "/cart/items", R"({"itemId":1})", "bad-token").status, 401);

  r = call("POST", "/orders/checkout", "", "demo-token");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(json::parse(r.body).at("status"), "confirmed");
  EXPECT_EQ(call("POST", "/orders/checkout", "{oops").status, 400);

  r = call("POST", "/reports/generate-preview", R"({"range":"7d"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(json::parse(r.body).contains("reportId"));
  EXPECT_EQ(r.extra_delay_ns, 50'000'000);
}

TEST_F(TargetRouter, GatewayRoutes) {
  RouteResponse r = call("GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_FALSE(r.invokes_function);
  r = call("GET", "/");
  EXPECT_TRUE(json::parse(r.body).at("routes").is_array());
  r = call("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.invokes_function);
  r = call("DELETE", "/catalog/items");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET, HEAD");
  EXPECT_EQ(call("GET", "/orders/checkout").status, 405);
  EXPECT_EQ(call("HEAD", "/health").status, 200);
  r = call("GET", "/links.xml");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/xml");
  EXPECT_NE(r.body.find(R"(<a href="/echo/first")"), std::string::npos);
  EXPECT_FALSE(r.invokes_function);
  EXPECT_EQ(call("POST", "/links.xml").status, 405);
}

TEST_F(TargetRouter, TestRoutes) {
  RouteResponse r = call("GET", "/delay/250");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.extra_delay_ns, 250'000'000);
  EXPECT_EQ(call("GET", "/delay/999999999").status, 400);
  EXPECT_EQ(call("POST", "/status/503").status, 503);
  EXPECT_TRUE(call("GET", "/status/204").body.empty());
  EXPECT_EQ(call("GET", "/status/99").status, 400);
  r = call("GET", "/bytes/12345");
  EXPECT_EQ(r.stream_bytes, 12345u);
  EXPECT_EQ(r.content_type, "application/octet-stream");
  EXPECT_EQ(call("GET", "/bytes/104857601").status, 400);
}

}  // namespace
}  // namespace barrage::demo_target
