// The local AWS for Lambda tests, on loopback: the fauxqs S3/SQS emulator
// (tests/aws) and the Lambda/IAM/STS control plane that runs functions
// through @vercel/fun (tests/lambda/emulator/control-plane.mjs). Header-only,
// like fauxqs.h. Function processes reach fauxqs through AWS_ENDPOINT_URL.
//
//   LambdaEmulators aws;
//   if (aws.not_installed()) BARRAGE_MISSING_DEP(aws.error());  // missing_deps.h
//   ASSERT_TRUE(aws.error().empty()) << aws.error();
//   child env: aws.child_env(); in-process clients: aws.client_config().
//
// The control plane's stdout and stderr (and so the function processes'
// logs) go to log_path(). Destruction closes its stdin (it then SIGKILLs its
// function processes) and, as a last resort, SIGKILLs its process group.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/env.h"
#include "aws/http.h"
#include "fauxqs.h"

namespace barrage::testing {

// The worker zip of `exe`, packaged once per build of it (packaging takes
// seconds, a sanitizer build's much longer): reused while newer than the
// binary; written atomically so tests running in parallel share it. "" when
// packaging failed.
inline std::string worker_zip_path(const std::string& exe) {
  namespace fs = std::filesystem;
  const fs::path zip = fs::path(BARRAGE_BINARY_DIR) / "lambda-emulator-worker.zip";
  std::error_code ec;
  if (fs::exists(zip, ec) && fs::last_write_time(zip, ec) >= fs::last_write_time(exe, ec)) {
    return zip.string();
  }
  const std::string tmp = zip.string() + ".tmp." + std::to_string(getpid());
  const std::string cmd = exe + " lambda package -o " + tmp + " > /dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  fs::rename(tmp, zip, ec);
  return ec ? std::string() : zip.string();
}

inline std::filesystem::path lambda_emulator_dir() {
  return std::filesystem::path(BARRAGE_SOURCE_DIR) / "tests/lambda/emulator";
}

// One invocation as GET /_fixture/invocations reports it.
struct FixtureInvocation {
  std::string function;
  std::string request_id;
  std::string invocation_type;
  int worker = -1;    // the payload's "job"."worker" field, -1 if none
  long pid = 0;       // 0 until a process serves it
  std::string state;  // queued, running, succeeded, failed, killed, dropped
  int64_t accepted_ms = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string response;
  std::string error;
};

class LambdaControlPlane {
 public:
  // function_env: extra "K=V" for every function process.
  LambdaControlPlane(const std::string& s3_endpoint, const std::vector<std::string>& function_env) {
    const auto dir = lambda_emulator_dir();
    if (!std::filesystem::exists(dir / "node_modules/@vercel/fun")) {
      not_installed_ = true;
      error_ = "the Lambda emulation is not installed: run `bash tests/lambda/emulator/install.sh`";
      return;
    }
    char tmpl[] = "/tmp/barrage-lambda-cp-XXXXXX";
    const int log_fd = mkstemp(tmpl);
    if (log_fd < 0) {
      error_ = "mkstemp failed";
      return;
    }
    log_path_ = tmpl;
    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) {
      close(log_fd);
      error_ = "pipe failed";
      return;
    }
    std::vector<std::string> args = {"node", "control-plane.mjs", "--s3-endpoint", s3_endpoint};
    for (const auto& kv : function_env) {
      args.push_back("--function-env");
      args.push_back(kv);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);  // its function processes join this group
      dup2(in[0], 0);
      dup2(log_fd, 1);
      dup2(log_fd, 2);
      if (chdir(dir.c_str()) != 0) _exit(126);
      execvp("node", argv.data());
      _exit(127);
    }
    close(in[0]);
    close(log_fd);
    stdin_ = in[1];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = log();
      if (out.starts_with("PORT ") && out.find('\n') != std::string::npos) {
        port_ = std::stoi(out.substr(5));
        return;
      }
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "the Lambda control plane did not start: '" + log() + "'";
  }
  ~LambdaControlPlane() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      for (int i = 0; i < 50 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(100000);
      kill(-pid_, SIGKILL);  // whatever is left in its group
      waitpid(pid_, nullptr, 0);
    }
    if (!log_path_.empty() && std::getenv("BARRAGE_KEEP_EMULATOR_LOG") == nullptr)
      std::filesystem::remove(log_path_);
  }
  LambdaControlPlane(const LambdaControlPlane&) = delete;
  LambdaControlPlane& operator=(const LambdaControlPlane&) = delete;

  bool not_installed() const { return not_installed_; }
  const std::string& error() const { return error_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& log_path() const { return log_path_; }
  // The control plane's output so far, with the function processes' logs.
  std::string log() const {
    std::ifstream f(log_path_);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }

  std::vector<FixtureInvocation> invocations() const {
    const auto r = send("GET", "/_fixture/invocations", "");
    std::vector<FixtureInvocation> out;
    const auto list = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || !list.is_array()) return out;
    auto text = [](const nlohmann::json& j, const char* k) {
      return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
    };
    auto number = [](const nlohmann::json& j, const char* k, int64_t none) {
      return j.contains(k) && j[k].is_number() ? j[k].get<int64_t>() : none;
    };
    for (const auto& j : list) {
      FixtureInvocation i;
      i.function = text(j, "function");
      i.request_id = text(j, "request_id");
      i.invocation_type = text(j, "invocation_type");
      i.worker = static_cast<int>(number(j, "worker", -1));
      i.pid = static_cast<long>(number(j, "pid", 0));
      i.state = text(j, "state");
      i.accepted_ms = number(j, "accepted_ms", 0);
      i.start_ms = number(j, "start_ms", 0);
      i.end_ms = number(j, "end_ms", 0);
      i.response = text(j, "response");
      i.error = text(j, "error");
      out.push_back(std::move(i));
    }
    return out;
  }
  // SIGKILLs the running invocation of `worker`; the HTTP status (200: killed).
  int kill_worker(int worker) const {
    return send("POST", "/_fixture/kill", nlohmann::json{{"worker", worker}}.dump()).status;
  }
  // The next Event invocation for `worker` is accepted but never runs.
  int drop_next(int worker) const {
    return send("POST", "/_fixture/drop", nlohmann::json{{"worker", worker}}.dump()).status;
  }

 private:
  aws::HttpResponse send(const std::string& method, const std::string& path,
                         const std::string& body) const {
    aws::HttpRequest req;
    req.method = method;
    req.url = url() + path;
    req.body = body;
    req.timeout = std::chrono::seconds(10);
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    return aws::CurlTransport().send(req);
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
  bool not_installed_ = false;
  std::string error_;
  std::string log_path_;
};

// fauxqs (S3, SQS) and the Lambda control plane (Lambda, IAM, STS).
class LambdaEmulators {
 public:
  static constexpr const char* kRegion = "us-east-1";

  explicit LambdaEmulators(std::vector<std::string> extra_function_env = {}) {
    if (!fauxqs_.error().empty()) {
      error_ = fauxqs_.error();
      not_installed_ = error_.find("install.sh") != std::string::npos;
      return;
    }
    extra_function_env.insert(extra_function_env.begin(), "AWS_ENDPOINT_URL=" + fauxqs_.url());
    // A sanitizer build's workers report as the tests do: with TSAN_OPTIONS'
    // halt_on_error, a race in a worker ends its invocation as a failure.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
      if (const char* value = std::getenv(name)) {
        extra_function_env.push_back(std::string(name) + "=" + value);
      }
    }
    control_plane_ = std::make_unique<LambdaControlPlane>(fauxqs_.url(), extra_function_env);
    error_ = control_plane_->error();
    not_installed_ = control_plane_->not_installed();
  }

  // True when an npm install is missing (error() says which command fixes
  // it): tests then fail, or skip with BARRAGE_ALLOW_MISSING_DEPS=1.
  bool not_installed() const { return not_installed_; }
  const std::string& error() const { return error_; }
  std::string s3_sqs_url() const { return fauxqs_.url(); }
  const LambdaControlPlane& lambda() const { return *control_plane_; }

  // The endpoint overrides and dummy credentials a child `barrage` needs.
  std::map<std::string, std::string> env() const {
    return {{"AWS_ENDPOINT_URL_S3", fauxqs_.url()},
            {"AWS_ENDPOINT_URL_SQS", fauxqs_.url()},
            {"AWS_ENDPOINT_URL_LAMBDA", control_plane_->url()},
            {"AWS_ENDPOINT_URL_IAM", control_plane_->url()},
            {"AWS_ENDPOINT_URL_STS", control_plane_->url()},
            {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
            {"AWS_SECRET_ACCESS_KEY", "dummysecret"},
            {"AWS_REGION", kRegion}};
  }
  // env() as "K=V" entries (for run_measured).
  std::vector<std::string> child_env() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : env()) out.push_back(k + "=" + v);
    return out;
  }
  // For clients in the test process.
  aws::ClientConfig client_config() const {
    aws::ClientConfig c;
    c.region = kRegion;
    c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
        aws::Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
    c.env = aws::map_env(env());
    c.retry.max_attempts = 2;
    return c;
  }

 private:
  Fauxqs fauxqs_;
  std::unique_ptr<LambdaControlPlane> control_plane_;
  std::string error_;
  bool not_installed_ = false;
};

}  // namespace barrage::testing
