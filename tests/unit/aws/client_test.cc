// Endpoint resolution, retries with backoff, and AWS error messages, through
// the real libcurl transport against a loopback fixture server.
#include "aws/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>

#include "aws/http.h"
#include "fixture_server.h"

namespace barrage::aws {
namespace {

using namespace std::chrono_literals;
using testing_support::CannedResponse;
using testing_support::closed_port;
using testing_support::FixtureServer;
using testing_support::RecordedRequest;

ClientConfig config_for(const std::string& url, std::vector<std::chrono::milliseconds>* sleeps) {
  ClientConfig c;
  c.region = "eu-west-1";
  c.credentials = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
  c.endpoint_url = url;
  c.env = map_env({});
  c.retry.max_attempts = 4;
  c.retry.sleep = [sleeps](std::chrono::milliseconds d) { sleeps->push_back(d); };
  return c;
}

ServiceRequest get(std::string op, std::string action) {
  ServiceRequest r;
  r.operation = std::move(op);
  r.iam_action = std::move(action);
  r.path = "/x";
  return r;
}

TEST(Endpoints, OverridesInSdkOrder) {
  Env env = map_env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"},
                     {"AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9324/"}});
  EXPECT_EQ(resolve_endpoint(Service::kSqs, "eu-west-1", "", env).url(), "http://127.0.0.1:9324");
  EXPECT_EQ(resolve_endpoint(Service::kS3, "eu-west-1", "", env).url(), "http://127.0.0.1:4566");
  EXPECT_TRUE(resolve_endpoint(Service::kS3, "eu-west-1", "", env).overridden);
  EXPECT_EQ(resolve_endpoint(Service::kS3, "eu-west-1", "https://s3.local:8443/base", env).url(),
            "https://s3.local:8443/base");
  Env ignore = map_env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"},
                        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
  EXPECT_EQ(resolve_endpoint(Service::kLambda, "eu-west-1", "", ignore).url(),
            "https://lambda.eu-west-1.amazonaws.com");
  EXPECT_THROW(resolve_endpoint(Service::kS3, "eu-west-1", "ftp://x", env), std::invalid_argument);
  EXPECT_THROW(resolve_endpoint(Service::kS3, "eu-west-1/../x", "", env), std::invalid_argument);
}

TEST(Endpoints, DefaultsPerRegionAndGlobalIam) {
  const Env env = map_env({});
  const Endpoint iam = resolve_endpoint(Service::kIam, "ap-southeast-2", "", env);
  EXPECT_EQ(iam.url(), "https://iam.amazonaws.com");
  EXPECT_EQ(iam.signing_region, "us-east-1");
  EXPECT_EQ(resolve_endpoint(Service::kSts, "ap-southeast-2", "", env).url(),
            "https://sts.ap-southeast-2.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(Service::kSqs, "cn-north-1", "", env).url(),
            "https://sqs.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(resolve_endpoint(Service::kIam, "cn-northwest-1", "", env).signing_region,
            "cn-north-1");
  EXPECT_FALSE(resolve_endpoint(Service::kS3, "us-east-1", "", env).overridden);
}

TEST(Retry, FullJitterStaysUnderTheExponentialCeiling) {
  RetryPolicy p;
  p.base_delay = 100ms;
  p.max_delay = 1000ms;
  EXPECT_EQ(backoff_delay(1, p, 0.0), 0ms);
  EXPECT_EQ(backoff_delay(1, p, 0.999), 99ms);
  EXPECT_EQ(backoff_delay(3, p, 0.5), 200ms);
  EXPECT_EQ(backoff_delay(10, p, 0.999), 999ms);
}

TEST(Retry, ThrottlingAnd5xxAreRetriedThenSucceed) {
  std::atomic<int> n{0};
  FixtureServer server([&](const RecordedRequest&) {
    switch (n++) {
      case 0:
        return CannedResponse{400,
                              {},
                              R"({"__type":"com.amazonaws.sqs#ThrottlingException",)"
                              R"("message":"Rate exceeded"})"};
      case 1:
        return CannedResponse{503, {}, "<Error><Code>SlowDown</Code></Error>"};
      case 2:
        return CannedResponse{429, {}, ""};
      default:
        return CannedResponse{200, {}, "done"};
    }
  });
  std::vector<std::chrono::milliseconds> sleeps;
  ServiceClient client(Service::kSqs, config_for(server.url(), &sleeps));
  EXPECT_EQ(client.call(get("ListQueues", "sqs:ListQueues")).value().body, "done");
  EXPECT_EQ(client.last_attempts(), 4);
  ASSERT_EQ(sleeps.size(), 3U);
  EXPECT_LE(sleeps[0], 100ms);
  EXPECT_LE(sleeps[1], 200ms);
  EXPECT_LE(sleeps[2], 400ms);
  // Each attempt is signed again.
  for (const auto& r : server.requests()) {
    EXPECT_TRUE(r.header("Authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    EXPECT_FALSE(r.header("X-Amz-Date").empty());
  }
}

TEST(Retry, GivesUpAfterMaxAttempts) {
  FixtureServer server([](const RecordedRequest&) {
    return CannedResponse{400,
                          {},
                          "<ErrorResponse><Error><Code>Throttling</Code>"
                          "<Message>Rate exceeded</Message></Error></ErrorResponse>"};
  });
  std::vector<std::chrono::milliseconds> sleeps;
  ServiceClient client(Service::kIam, config_for(server.url(), &sleeps));
  if (const auto failed = client.call(get("GetRole", "iam:GetRole")); failed) {
    FAIL();
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.code, "Throttling");
    EXPECT_EQ(std::string(e.message),
              "IAM GetRole: Throttling (HTTP 400): Rate exceeded (gave up after 4 attempts)");
  }
  EXPECT_EQ(server.requests().size(), 4U);
  EXPECT_EQ(sleeps.size(), 3U);
}

TEST(Retry, ClientErrorsAreNotRetried) {
  FixtureServer server([](const RecordedRequest&) {
    return CannedResponse{404,
                          {{"x-amzn-ErrorType", "ResourceNotFoundException:http://internal/"},
                           {"x-amzn-RequestId", "req-1"}},
                          R"({"Type":"User","message":"Function not found: x"})"};
  });
  std::vector<std::chrono::milliseconds> sleeps;
  ServiceClient client(Service::kLambda, config_for(server.url(), &sleeps));
  if (const auto failed = client.call(get("DeleteFunction", "lambda:DeleteFunction")); failed) {
    FAIL();
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.status, 404);
    EXPECT_EQ(std::string(e.message),
              "Lambda DeleteFunction: ResourceNotFoundException (HTTP 404): Function not found: "
              "x [request id req-1]");
  }
  EXPECT_EQ(server.requests().size(), 1U);
  EXPECT_TRUE(sleeps.empty());
}

TEST(Retry, TransportFailuresRetryOnlyWhenSafe) {
  std::vector<std::chrono::milliseconds> sleeps;
  const std::string dead = "http://127.0.0.1:" + std::to_string(closed_port());
  ServiceClient client(Service::kSqs, config_for(dead, &sleeps));
  ServiceRequest r = get("SendMessageBatch", "sqs:SendMessage");
  r.idempotent = false;  // connect failures are still retried: nothing was sent
  if (const auto failed = client.call(r); failed) {
    FAIL();
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.status, 0);
    EXPECT_NE(std::string(e.message).find("SQS SendMessageBatch: no response"), std::string::npos);
    EXPECT_NE(std::string(e.message).find(dead), std::string::npos);
  }
  EXPECT_EQ(client.last_attempts(), 4);
}

TEST(Errors, AccessDeniedNamesTheActionAndThePolicyCommand) {
  FixtureServer server([](const RecordedRequest&) {
    return CannedResponse{403,
                          {},
                          "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access "
                          "Denied</Message><RequestId>R1</RequestId></Error>"};
  });
  std::vector<std::chrono::milliseconds> sleeps;
  ServiceClient client(Service::kS3, config_for(server.url(), &sleeps));
  if (const auto failed = client.call(get("PutObject", "s3:PutObject")); failed) {
    FAIL();
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(std::string(e.message),
              "S3 PutObject: AccessDenied (HTTP 403): Access Denied. The caller is not allowed "
              "s3:PutObject; run `barrage lambda policy` to print the IAM policy barrage needs "
              "[request id R1]");
  }
}

TEST(Errors, ServiceNamedActionWinsAndJsonTypesAreShortened) {
  const ErrorInfo sqs = parse_error_response(
      400,
      R"({"__type":"com.amazon.coral.service#AccessDeniedException","message":"User: )"
      R"(arn:aws:iam::1:user/u is not authorized to perform: sqs:CreateQueue on resource"})",
      {});
  EXPECT_EQ(sqs.code, "AccessDeniedException");
  EXPECT_NE(describe_error("SQS", "CreateQueue", "sqs:X", 400, sqs)
                .find("not allowed sqs:CreateQueue; run `barrage lambda policy`"),
            std::string::npos);
  EXPECT_EQ(parse_error_response(403, "", {}).code, "AccessDenied");
  EXPECT_EQ(parse_error_response(500, "<html>oops", {}).code, "InternalError");
  EXPECT_EQ(parse_error_response(400,
                                 "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                                 "</Error></Errors><RequestID>r</RequestID></Response>",
                                 {})
                .code,
            "RequestLimitExceeded");
  EXPECT_TRUE(is_retryable_error(400, "RequestLimitExceeded"));
  EXPECT_TRUE(is_retryable_error(400, "TooManyRequestsException"));
  EXPECT_TRUE(is_retryable_error(502, ""));
  EXPECT_FALSE(is_retryable_error(400, "ValidationException"));
}

}  // namespace
}  // namespace barrage::aws

namespace barrage::aws {
namespace {

TEST(CaBundle, EnvironmentFirstThenDebianThenAmazonLinux) {
  auto env = [](std::map<std::string, std::string> m) {
    return [m](const char* name) -> const char* {
      const auto it = m.find(name);
      return it == m.end() ? nullptr : it->second.c_str();
    };
  };
  auto files = [](std::set<std::string> s) {
    return [s](const std::string& p) { return s.contains(p); };
  };
  EXPECT_EQ(ca_bundle_path(env({{"AWS_CA_BUNDLE", "/a.pem"}, {"SSL_CERT_FILE", "/b.pem"}}),
                           files({"/etc/ssl/certs/ca-certificates.crt"})),
            "/a.pem");
  EXPECT_EQ(ca_bundle_path(env({{"SSL_CERT_FILE", "/b.pem"}}), files({})), "/b.pem");
  EXPECT_EQ(ca_bundle_path(env({}), files({"/etc/ssl/certs/ca-certificates.crt",
                                           "/etc/pki/tls/certs/ca-bundle.crt"})),
            "/etc/ssl/certs/ca-certificates.crt");
  // Amazon Linux 2023, where Lambda runs the packaged Debian build.
  EXPECT_EQ(ca_bundle_path(env({}), files({"/etc/pki/tls/certs/ca-bundle.crt"})),
            "/etc/pki/tls/certs/ca-bundle.crt");
  EXPECT_EQ(ca_bundle_path(env({}), files({})), "");
}

}  // namespace
}  // namespace barrage::aws
