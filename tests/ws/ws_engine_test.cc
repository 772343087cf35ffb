// The ws engine (engine: ws) against a real WebSocket server on loopback:
// tests/ws/ws_server.py on Debian's python3-websockets, plain and TLS with a
// self-signed certificate. Counts are exact: every flow ends with a step that
// waits for its reply, so every earlier reply has arrived by then (one
// connection, in order).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "../integration/servers.h"
#include "engine/runner.h"
#include "missing_deps.h"

namespace barrage {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

class WsServer {
 public:
  WsServer() {
    dir_ = testing::make_temp_dir();
    const auto cert = testing::run_command(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -keyout " +
            dir_ + "/key.pem -out " + dir_ + "/cert.pem",
        60);
    if (cert.exit_code != 0) {
      error_ = "openssl failed: " + cert.out;
      return;
    }
    port_ = testing::free_port();
    tls_port_ = testing::free_port();
    const std::string script = std::string(BARRAGE_SOURCE_DIR) + "/tests/ws/ws_server.py";
    const std::string port = std::to_string(port_);
    const std::string tls_port = std::to_string(tls_port_);
    const std::string cert_path = dir_ + "/cert.pem";
    const std::string key_path = dir_ + "/key.pem";
    const std::string log = dir_ + "/server.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      ::execl(kPython, "python3", script.c_str(), port.c_str(), tls_port.c_str(), cert_path.c_str(),
              key_path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Generous: Python starts slowly on a loaded machine. Stop early if it exited.
    for (int i = 0; i < 1800; ++i) {  // up to 3 minutes
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      if (testing::wait_for_port(port_, 100) && testing::wait_for_port(tls_port_, 100)) return;
    }
    const std::string out = testing::read_file(log);
    if (out.find("No module named 'websockets'") != std::string::npos) {
      missing_ =
          "python3-websockets is not installed: run `bash scripts/install-deps.sh` (or `sudo "
          "apt-get install python3-websockets`)";
    } else {
      error_ = "ws_server.py did not start: " + out;
    }
  }
  ~WsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) testing::run_command("rm -rf " + dir_, 10);
  }
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  [[nodiscard]] std::string url(const std::string& path) const {
    return "ws://127.0.0.1:" + std::to_string(port_) + path;
  }
  [[nodiscard]] std::string tls_url(const std::string& path) const {
    return "wss://127.0.0.1:" + std::to_string(tls_port_) + path;
  }
  std::string missing_;
  std::string error_;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
};

class WsEngine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new WsServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!server_->missing_.empty()) BARRAGE_MISSING_DEP(server_->missing_);
    ASSERT_TRUE(server_->error_.empty()) << server_->error_;
  }
  static engine::RunResult run(const std::string& target, const std::string& flow, int vus = 4,
                               const std::string& config = "") {
    const std::string yaml =
        "config:\n  target: " + target +
        "\n  phases:\n    - { duration: 1, arrivalCount: " + std::to_string(vus) + " }\n" + config +
        "scenarios:\n  - engine: ws\n    flow:\n" + flow;
    return testing::run_script(yaml, 2);
  }
  static WsServer* server_;
};

WsServer* WsEngine::server_ = nullptr;

TEST_F(WsEngine, EchoCountsEveryMessageAndCapturesFeedLaterSends) {
  // /json answers {"id": n, "echo": message}, n counting per connection.
  const auto r = run(server_->url("/json"),
                     "      - loop:\n"
                     // A late reply to the previous "got" could carry an id
                     // too: the match picks the reply to this "hi".
                     "          - send:\n"
                     "              payload: \"hi\"\n"
                     "              capture: { json: \"$.id\", as: id }\n"
                     "              match: { json: \"$.echo\", value: \"hi\" }\n"
                     "          - send: \"got {{ id }}\"\n"
                     "        count: 5\n"
                     // The 11th message: its id is 11, and the capture of the
                     // 9th (id 9) is what this sends.
                     "      - send:\n"
                     "          payload: \"{{ id }}\"\n"
                     "          match: [{ json: \"$.echo\", value: \"9\" }, { json: \"$.id\", "
                     "value: \"11\" }]\n",
                     4, "  ws: { responseTime: true }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.created"), 4u);
  EXPECT_EQ(a.counter("vusers.completed"), 4u);
  EXPECT_EQ(a.counter("vusers.failed"), 0u);
  EXPECT_EQ(a.counter("websocket.messages_sent"), 44u);
  EXPECT_EQ(a.counter("websocket.messages_received"), 44u);
  ASSERT_NE(a.find_histogram("websocket.response_time"), nullptr);
  EXPECT_EQ(a.find_histogram("websocket.response_time")->count(), 24u);  // matched replies
  EXPECT_EQ(a.counter("http.requests"), 0u);
}

TEST_F(WsEngine, NoResponseTimeHistogramUnlessAskedFor) {
  const auto r =
      run(server_->url("/echo"),
          "      - send: { payload: \"a\", match: { regexp: \"a\", value: \"a\" } }\n", 2);
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 2u);
  EXPECT_EQ(r.aggregate.find_histogram("websocket.response_time"), nullptr);
}

TEST_F(WsEngine, SeveralRepliesToOneSendAreCountedAndACaptureTakesTheFirstMatching) {
  // /multi: three replies per message ("reply i of <msg>"); "end" -> "done".
  const auto r = run(server_->url("/multi"),
                     "      - send: \"a\"\n"
                     "      - send:\n"
                     "          payload: \"q\"\n"
                     "          capture: { regexp: \"reply (\\\\d) of q\", group: 1, as: first }\n"
                     "      - send:\n"
                     "          payload: \"q\"\n"
                     "          match: { regexp: \"reply (\\\\d) of q\", group: 1, value: \"3\" }\n"
                     // Replies 1 and 2 to "1" do not match: the third does.
                     "      - send:\n"
                     "          payload: \"{{ first }}\"\n"
                     "          match: { regexp: \"reply 3 of (\\\\d)\", group: 1, value: \"1\" }\n"
                     "      - send:\n"
                     "          payload: \"end\"\n"
                     "          match: { regexp: \"done\", value: \"done\" }\n",
                     3);
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.completed"), 3u);
  EXPECT_EQ(a.counter("vusers.failed"), 0u);
  EXPECT_EQ(a.counter("websocket.messages_sent"), 15u);
  EXPECT_EQ(a.counter("websocket.messages_received"), 3u * (3 + 3 + 3 + 3 + 1));
}

TEST_F(WsEngine, MessagesThatArriveWhileNothingWaitsAreCounted) {
  // /hello sends "hello" right after the handshake, before any step.
  const auto r = run(server_->url("/hello"),
                     "      - think: 0.05\n"
                     "      - send: { payload: \"e\", match: { regexp: \"^e$\", value: \"e\" } }\n",
                     3);
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 3u);
  EXPECT_EQ(r.aggregate.counter("websocket.messages_received"), 6u);
}

TEST_F(WsEngine, WaitSeesAMessageThatArrivedBeforeIt) {
  // "hello" arrives right after the handshake, before or during the think.
  const auto r = run(server_->url("/hello"),
                     "      - think: 0.05\n"
                     "      - wait: { match: { regexp: \"hel+o\", value: hello } }\n"
                     "      - send: { payload: \"e\", match: { regexp: \"^e$\", value: \"e\" } }\n",
                     3);
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 3u);
  EXPECT_EQ(r.aggregate.counter("websocket.messages_received"), 6u);
  EXPECT_EQ(r.aggregate.counter("websocket.messages_sent"), 3u);
}

TEST_F(WsEngine, ServerCloseMidFlowIsANamedError) {
  const auto r = run(server_->url("/close"),
                     "      - send: \"x\"\n"
                     "      - send: { payload: \"y\", match: { regexp: \"y\", value: \"y\" } }\n",
                     3);
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.failed"), 3u);
  EXPECT_EQ(a.counter("errors.WS_CLOSED_1011"), 3u);
}

TEST_F(WsEngine, OversizedMessageIsANamedError) {
  const auto r = run(server_->url("/big"),
                     "      - send: { payload: \"x\", match: { regexp: \"x\", value: \"x\" } }\n",
                     2, "  ws: { maxPayload: 1000 }\n");
  EXPECT_EQ(r.aggregate.counter("vusers.failed"), 2u);
  EXPECT_EQ(r.aggregate.counter("errors.WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"), 2u);
  // The same 2000 bytes are fine under the default limit.
  const auto ok = run(server_->url("/big"),
                      "      - send: { payload: \"x\", match: { regexp: \"^x+$\", value: \"" +
                          std::string(2000, 'x') + "\" } }\n",
                      2);
  EXPECT_EQ(ok.aggregate.counter("vusers.completed"), 2u);
}

TEST_F(WsEngine, BadUtf8InATextMessageIsANamedError) {
  const auto r =
      run(server_->url("/badutf8"),
          "      - send: { payload: \"x\", match: { regexp: \"x\", value: \"x\" } }\n", 2);
  EXPECT_EQ(r.aggregate.counter("vusers.failed"), 2u);
  EXPECT_EQ(r.aggregate.counter("errors.WS_ERR_INVALID_UTF8"), 2u);
}

TEST_F(WsEngine, PingFromTheServerIsAnswered) {
  // The server sends "pong-ok" only once our pong arrived.
  const auto r = run(server_->url("/ping"),
                     "      - send: { payload: \"p\", match: { regexp: \"pong-ok\", value: "
                     "\"pong-ok\" } }\n",
                     2);
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 2u);
  EXPECT_EQ(r.aggregate.counter("websocket.messages_received"), 2u);
}

TEST_F(WsEngine, FragmentedMessageIsReassembled) {
  const auto r = run(server_->url("/fragment"),
                     "      - send: { payload: \"f\", match: { regexp: \".*\", value: "
                     "\"abcdefghi\" } }\n",
                     2);
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 2u);
  EXPECT_EQ(r.aggregate.counter("websocket.messages_received"), 2u);
}

TEST_F(WsEngine, ConnectHeadersAndSubprotocolsAreTemplatedPerVu) {
  const auto r = run(server_->url("/nowhere"),
                     "      - connect:\n"
                     "          target: \"" +
                         server_->url("/whoami") +
                         "\"\n"
                         "          headers: { X-User: \"user-{{ $loopCount }}{{ name }}\" }\n"
                         "          subprotocols: [superchat]\n"
                         "      - send:\n"
                         "          payload: { ask: true }\n"
                         "          match:\n"
                         "            - { json: \"$.user\", value: \"user-{{ name }}\" }\n"
                         "            - { json: \"$.subprotocol\", value: superchat }\n",
                     3, "  variables: { name: [ann, bob] }\n");
  EXPECT_EQ(r.aggregate.counter("vusers.completed"), 3u);
  EXPECT_EQ(r.aggregate.counter("vusers.failed"), 0u);
}

TEST_F(WsEngine, WssWithASelfSignedCertificate) {
  const std::string flow =
      "      - send: { payload: \"s\", match: { regexp: \"s\", value: \"s\" } }\n";
  const auto refused = run(server_->tls_url("/echo"), flow, 2);
  EXPECT_EQ(refused.aggregate.counter("errors.DEPTH_ZERO_SELF_SIGNED_CERT"), 2u);
  const auto ok = run(server_->tls_url("/echo"), flow, 2, "  ws: { rejectUnauthorized: false }\n");
  EXPECT_EQ(ok.aggregate.counter("vusers.completed"), 2u);
  EXPECT_EQ(ok.aggregate.counter("websocket.messages_received"), 2u);
  const auto tls =
      run(server_->tls_url("/echo"), flow, 2, "  tls: { rejectUnauthorized: false }\n");
  EXPECT_EQ(tls.aggregate.counter("vusers.completed"), 2u);
}

TEST_F(WsEngine, ReplyThatNeverMatchesFailsAfterTheTimeout) {
  const auto r = run(server_->url("/echo"),
                     "      - send: { payload: \"a\", match: { regexp: \"a\", value: \"b\" } }\n",
                     1, "  ws: { timeout: 0.3 }\n");
  EXPECT_EQ(r.aggregate.counter("errors.Failed capture or match"), 1u);
  const auto silent =
      run(server_->url("/echo"), "      - wait: { match: { regexp: \"a\", value: \"a\" } }\n", 1,
          "  ws: { timeout: 0.3 }\n");
  EXPECT_EQ(silent.aggregate.counter("errors.response timeout"), 1u);
}

TEST_F(WsEngine, RefusedConnectionAndNonUpgradeResponseAreNamed) {
  const auto refused = run("ws://127.0.0.1:" + std::to_string(testing::closed_port()) + "/",
                           "      - send: \"x\"\n", 1);
  EXPECT_EQ(refused.aggregate.counter("errors.ECONNREFUSED"), 1u);
  EXPECT_EQ(refused.aggregate.counter("vusers.failed"), 1u);
  const auto not_found = run(server_->url("/notfound"), "      - send: \"x\"\n", 2);
  EXPECT_EQ(not_found.aggregate.counter("errors.Unexpected server response: 404"), 2u);
  EXPECT_EQ(not_found.aggregate.counter("websocket.messages_sent"), 0u);
}

}  // namespace
}  // namespace barrage
