// engine: ws scenarios as the loader reads them (Artillery's ws syntax).
#include <gtest/gtest.h>

#include <string>

#include "script/loader.h"
#include "util/rng.h"

namespace barrage::script {
namespace {

Plan load(const std::string& yaml) {
  auto p = load_plan_string(yaml, "test.yml", {});
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().describe());
  return p ? std::move(*p) : Plan{};
}

const std::string kConfig =
    "config:\n  target: ws://127.0.0.1:1/chat\n  phases: [{ duration: 1, arrivalRate: 1 }]\n";

TEST(WsLoader, ConfigWsIsEveryConnectionsDefault) {
  const Plan p = load(kConfig +
                      "  ws:\n    subprotocols: [chat]\n    headers: { X-A: \"{{ a }}\", "
                      "Sec-WebSocket-Protocol: \"v1, v2\" }\n    rejectUnauthorized: false\n"
                      "    timeout: 2\n    maxPayload: 4096\n    responseTime: true\n"
                      "scenarios:\n  - engine: ws\n    flow:\n      - send: hi\n");
  ASSERT_EQ(p.scenarios.size(), 1u);
  const Scenario& s = p.scenarios[0];
  EXPECT_EQ(s.engine, Engine::kWs);
  EXPECT_FALSE(s.ws_connect.target);
  EXPECT_EQ(s.ws_connect.subprotocols, (std::vector<std::string>{"chat", "v1", "v2"}));
  ASSERT_EQ(s.ws_connect.headers.size(), 1u);  // the subprotocol header became the list
  EXPECT_EQ(s.ws_connect.headers[0].name, "X-A");
  EXPECT_EQ(s.ws_connect.reject_unauthorized, false);
  EXPECT_EQ(p.ws.timeout_s, 2);
  EXPECT_EQ(p.ws.max_payload, 4096);
  EXPECT_TRUE(p.ws.response_time);
}

TEST(WsLoader, FirstConnectStepIsTheConnectionAndIsNotAStep) {
  const Plan p = load(kConfig +
                      "  ws: { headers: { X-A: a }, rejectUnauthorized: false }\n"
                      "scenarios:\n  - engine: ws\n    flow:\n"
                      "      - connect: { target: \"ws://h/{{ room }}\", headers: { X-B: b } }\n"
                      "      - send: { a: 1, b: \"{{ x }}\" }\n"
                      "      - connect: ws://ignored\n"
                      "      - think: 1\n");
  const Scenario& s = p.scenarios[0];
  ASSERT_TRUE(s.ws_connect.target);
  EXPECT_EQ(s.ws_connect.target->source(), "ws://h/{{ room }}");
  ASSERT_EQ(s.ws_connect.headers.size(), 1u);  // the connect's headers replace config.ws's
  EXPECT_EQ(s.ws_connect.headers[0].name, "X-B");
  EXPECT_FALSE(s.ws_connect.reject_unauthorized);  // as in Artillery: config.ws's not merged
  ASSERT_EQ(s.flow.size(), 2u);                    // send, think: the connects are not steps
  const auto* send = std::get_if<WsSend>(&s.flow[0].action);
  ASSERT_NE(send, nullptr);
  ASSERT_TRUE(send->payload);
  Vars vars;
  vars.set("x", "q\"");
  Rng rng(1);
  EXPECT_EQ(send->payload->render(vars, rng), "{\"a\":1,\"b\":\"q\\\"\"}");
  // The second connect is a warning, as Artillery ignores it.
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings.back().message.find("connect is ignored here"), std::string::npos);
}

TEST(WsLoader, SendAndWaitWithCapturesAndMatches) {
  const Plan p =
      load(kConfig +
           "scenarios:\n  - engine: ws\n    flow:\n"
           "      - send: \"plain {{ n }}\"\n"
           "      - send:\n          payload: { q: 1 }\n"
           "          capture: { json: \"$.id\", as: id }\n"
           "          match: { regexp: \"ok\", value: ok }\n"
           "      - wait: { capture: [{ json: \"$.a\", as: a }, { json: \"$.b\", as: b }] }\n"
           "      - loop: [{ send: x }]\n        count: 2\n");
  const auto& flow = p.scenarios[0].flow;
  ASSERT_EQ(flow.size(), 4u);
  const auto& plain = std::get<WsSend>(flow[0].action);
  EXPECT_TRUE(plain.captures.empty());
  const auto& both = std::get<WsSend>(flow[1].action);
  ASSERT_EQ(both.captures.size(), 2u);
  EXPECT_EQ(both.captures[0].as, "id");
  EXPECT_TRUE(both.captures[1].match_value.has_value());
  const auto& wait = std::get<WsSend>(flow[2].action);
  EXPECT_FALSE(wait.payload);
  EXPECT_EQ(wait.captures.size(), 2u);
  EXPECT_NE(std::get_if<Loop>(&flow[3].action), nullptr);
}

}  // namespace
}  // namespace barrage::script
