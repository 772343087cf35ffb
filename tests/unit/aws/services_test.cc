// The STS, Lambda, IAM, S3 and SQS clients: the requests they build (method,
// path, headers, body, signature) as a loopback fixture server receives them,
// and how they read responses (canned from the AWS API references).
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "aws/iam.h"
#include "aws/lambda.h"
#include "aws/result.h"
#include "aws/s3.h"
#include "aws/sqs.h"
#include "aws/sts.h"
#include "fixture_server.h"

namespace barrage::aws {
namespace {

using nlohmann::json;
using testing_support::CannedResponse;
using testing_support::FixtureServer;
using testing_support::RecordedRequest;

ClientConfig config_for(const FixtureServer& server, std::string region = "eu-west-1") {
  ClientConfig c;
  c.region = std::move(region);
  c.credentials = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDEXAMPLE", "dummysecret", "dummytoken", std::nullopt, "test"});
  c.endpoint_url = server.url();
  c.env = map_env({});
  c.retry.sleep = [](std::chrono::milliseconds) {};
  return c;
}

void expect_signed(const RecordedRequest& r, const std::string& scope) {
  const std::string auth = r.header("Authorization");
  EXPECT_TRUE(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")) << auth;
  EXPECT_NE(auth.find(scope), std::string::npos) << auth;
  EXPECT_NE(auth.find("SignedHeaders="), std::string::npos);
  EXPECT_EQ(r.header("X-Amz-Security-Token"), "dummytoken");
  EXPECT_EQ(r.header("X-Amz-Date").size(), 16U);
}

// From the GetFunctionConfiguration API reference, trimmed.
constexpr const char* kFunctionConfig = R"({
  "FunctionName": "barrage-worker-0-1-0-x86_64-1024",
  "FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:barrage-worker-0-1-0-x86_64-1024",
  "Runtime": "provided.al2023", "Role": "arn:aws:iam::123456789012:role/barrage-lambda-worker",
  "Handler": "bootstrap", "CodeSize": 5797206, "Timeout": 900, "MemorySize": 1024,
  "LastModified": "2019-09-24T18:20:35.054+0000", "CodeSha256": "YFgDgEKG3ugvF1+pX64gV6tu9qNuIYNUdgJm8nCxsm4=",
  "Version": "$LATEST", "State": "%STATE%", "StateReason": "%REASON%",
  "LastUpdateStatus": "Successful", "Architectures": ["x86_64"]})";

std::string function_config(const std::string& state, const std::string& reason = "") {
  std::string s = kFunctionConfig;
  s.replace(s.find("%STATE%"), 7, state);
  s.replace(s.find("%REASON%"), 8, reason);
  return s;
}

TEST(Sts, GetCallerIdentity) {
  FixtureServer server([](const RecordedRequest&) {
    return CannedResponse{200,
                          {{"Content-Type", "text/xml"}},
                          "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/"
                          "2011-06-15/\"><GetCallerIdentityResult>"
                          "<Arn>arn:aws:iam::123456789012:user/Alice</Arn>"
                          "<UserId>AKIAI44QH8DHBEXAMPLE</UserId><Account>123456789012</Account>"
                          "</GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-"
                          "cdef-0123-456789abcdef</RequestId></ResponseMetadata>"
                          "</GetCallerIdentityResponse>"};
  });
  StsClient sts(config_for(server));
  const CallerIdentity id = sts.get_caller_identity().value();
  EXPECT_EQ(id.account, "123456789012");
  EXPECT_EQ(id.arn, "arn:aws:iam::123456789012:user/Alice");
  const auto r = server.requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/");
  EXPECT_EQ(r.header("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(r.body, "Action=GetCallerIdentity&Version=2011-06-15");
  expect_signed(r, "/eu-west-1/sts/aws4_request");
  EXPECT_THROW(parse_get_caller_identity("<x/>"), AwsError);
}

TEST(Lambda, CreateFunctionFromS3AndWaitUntilActive) {
  std::atomic<int> polls{0};
  FixtureServer server([&](const RecordedRequest& r) {
    if (r.method == "POST") return CannedResponse{201, {}, function_config("Pending")};
    return CannedResponse{200, {}, function_config(++polls < 3 ? "Pending" : "Active")};
  });
  LambdaClient lambda(config_for(server));
  FunctionSpec spec;
  spec.name = "barrage-worker-0-1-0-x86_64-1024";
  spec.role_arn = "arn:aws:iam::123456789012:role/barrage-lambda-worker";
  spec.code.s3_bucket = "barrage-123456789012-eu-west-1";
  spec.code.s3_key = "packages/worker.zip";
  spec.environment = {{"BARRAGE_MODE", "worker"}};
  spec.tags = {{"app", "barrage"}};
  spec.subnet_ids = {"subnet-1"};
  spec.security_group_ids = {"sg-1"};
  EXPECT_EQ(lambda.create_function(spec).value().state, "Pending");
  std::vector<std::chrono::milliseconds> sleeps;
  WaitOptions wait;
  wait.sleep = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };
  const FunctionConfiguration c = lambda.wait_until_active(spec.name, wait).value();
  EXPECT_EQ(c.state, "Active");
  EXPECT_EQ(c.memory_mb, 1024);
  EXPECT_EQ(c.architectures, std::vector<std::string>{"x86_64"});
  EXPECT_EQ(sleeps.size(), 2U);

  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 4U);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/2015-03-31/functions");
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
  expect_signed(reqs[0], "/eu-west-1/lambda/aws4_request");
  const json body = json::parse(reqs[0].body);
  EXPECT_EQ(body["FunctionName"], spec.name);
  EXPECT_EQ(body["Runtime"], "provided.al2023");
  EXPECT_EQ(body["Handler"], "bootstrap");
  EXPECT_EQ(body["Architectures"], json::array({"x86_64"}));
  EXPECT_EQ(body["Timeout"], 900);
  EXPECT_EQ(body["Code"]["S3Bucket"], "barrage-123456789012-eu-west-1");
  EXPECT_EQ(body["Environment"]["Variables"]["BARRAGE_MODE"], "worker");
  EXPECT_EQ(body["VpcConfig"]["SubnetIds"], json::array({"subnet-1"}));
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].target, "/2015-03-31/functions/barrage-worker-0-1-0-x86_64-1024/configuration");
}

TEST(Lambda, FailedFunctionAndMissingFunction) {
  FixtureServer server([](const RecordedRequest& r) {
    if (r.target.find("/missing/") != std::string::npos) {
      return CannedResponse{404,
                            {{"x-amzn-ErrorType", "ResourceNotFoundException"}},
                            R"({"Type":"User","Message":"Function not found"})"};
    }
    return CannedResponse{200, {}, function_config("Failed", "The role cannot be assumed")};
  });
  LambdaClient lambda(config_for(server));
  EXPECT_FALSE(lambda.get_function_configuration("missing").value());
  if (const auto failed = lambda.wait_until_active("broken", WaitOptions{}); failed) {
    FAIL();
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(std::string(e.message),
              "Lambda: function broken failed to become active: The role cannot be assumed");
  }
}

TEST(Lambda, UpdateCodeEventConfigInvokeDelete) {
  FixtureServer server([](const RecordedRequest& r) {
    if (r.target.ends_with("/invocations")) {
      return CannedResponse{202, {{"x-amzn-RequestId", "inv-1"}}, ""};
    }
    if (r.method == "DELETE") return CannedResponse{204, {}, ""};
    if (r.target.ends_with("/event-invoke-config")) {
      return CannedResponse{200, {}, R"({"MaximumRetryAttempts":0})"};
    }
    return CannedResponse{200, {}, function_config("Active")};
  });
  LambdaClient lambda(config_for(server));
  FunctionCode zip;
  zip.zip_file = std::string("PK\x03\x04", 4);
  lambda.update_function_code("w", zip, "arm64").value();
  lambda.put_function_event_invoke_config("w").value();
  const InvokeResult inv = lambda.invoke_event("w", R"({"job":1})").value();
  EXPECT_EQ(inv.status, 202);
  EXPECT_EQ(inv.request_id, "inv-1");
  lambda.delete_function("w").value();

  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 4U);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].target, "/2015-03-31/functions/w/code");
  EXPECT_EQ(json::parse(reqs[0].body)["ZipFile"], "UEsDBA==");
  EXPECT_EQ(json::parse(reqs[0].body)["Architectures"], json::array({"arm64"}));
  EXPECT_EQ(reqs[1].method, "PUT");
  EXPECT_EQ(reqs[1].target, "/2019-09-25/functions/w/event-invoke-config");
  EXPECT_EQ(json::parse(reqs[1].body)["MaximumRetryAttempts"], 0);
  EXPECT_EQ(reqs[2].method, "POST");
  EXPECT_EQ(reqs[2].target, "/2015-03-31/functions/w/invocations");
  EXPECT_EQ(reqs[2].header("X-Amz-Invocation-Type"), "Event");
  EXPECT_EQ(reqs[2].body, R"({"job":1})");
  EXPECT_NE(reqs[2].header("Authorization").find("x-amz-invocation-type"), std::string::npos);
  EXPECT_EQ(reqs[3].method, "DELETE");
  EXPECT_EQ(reqs[3].target, "/2015-03-31/functions/w");
  for (const auto& r : reqs) expect_signed(r, "/eu-west-1/lambda/aws4_request");
}

// From the GetRole API reference.
constexpr const char* kGetRole =
    "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetRoleResult><Role>"
    "<Path>/</Path><AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D"
    "</AssumeRolePolicyDocument><RoleId>AROADBQP57FF2AEXAMPLE</RoleId>"
    "<RoleName>barrage-lambda-worker</RoleName>"
    "<Arn>arn:aws:iam::123456789012:role/barrage-lambda-worker</Arn>"
    "<CreateDate>2019-11-13T16:45:56Z</CreateDate></Role></GetRoleResult>"
    "<ResponseMetadata><RequestId>df37e965-9967-11e1-a4c3-270EXAMPLE04</RequestId>"
    "</ResponseMetadata></GetRoleResponse>";

TEST(Iam, RoleCalls) {
  FixtureServer server([](const RecordedRequest& r) {
    if (r.body.find("Action=GetRole") == 0 && r.body.find("RoleName=nope") != std::string::npos) {
      return CannedResponse{404,
                            {},
                            "<ErrorResponse><Error><Type>Sender</Type>"
                            "<Code>NoSuchEntity</Code><Message>The role with name nope "
                            "cannot be found.</Message></Error></ErrorResponse>"};
    }
    if (r.body.find("Action=CreateRole") == 0) {
      std::string s = kGetRole;
      for (const char* from : {"GetRoleResponse", "GetRoleResult"}) {
        for (size_t p; (p = s.find(from)) != std::string::npos;) {
          s.replace(p, 3, "Create");
        }
      }
      return CannedResponse{200, {}, s};
    }
    if (r.body.find("Action=GetRole") == 0) return CannedResponse{200, {}, kGetRole};
    return CannedResponse{200, {}, "<Ok/>"};
  });
  IamClient iam(config_for(server, "ap-south-1"));
  EXPECT_FALSE(iam.get_role("nope").value());
  const auto role = iam.get_role("barrage-lambda-worker").value();
  ASSERT_TRUE(role);
  EXPECT_EQ(role->arn, "arn:aws:iam::123456789012:role/barrage-lambda-worker");
  EXPECT_EQ(role->assume_role_policy, R"({"Version":"2012-10-17"})");
  const Role created =
      iam.create_role("barrage-lambda-worker", R"({"Version":"2012-10-17"})", "", {{"app", "b"}})
          .value();
  EXPECT_EQ(created.name, "barrage-lambda-worker");
  iam.put_role_policy("barrage-lambda-worker", "worker", R"({"Statement":[]})").value();
  iam.attach_role_policy("barrage-lambda-worker",
                         "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
      .value();
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5U);
  for (const auto& r : reqs) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/");
    // IAM is global: signed for us-east-1 whatever the client's region.
    expect_signed(r, "/us-east-1/iam/aws4_request");
  }
  EXPECT_EQ(reqs[2].body,
            "Action=CreateRole&Version=2010-05-08&RoleName=barrage-lambda-worker&"
            "AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%7D&"
            "Tags.member.1.Key=app&Tags.member.1.Value=b");
  EXPECT_EQ(reqs[3].body,
            "Action=PutRolePolicy&Version=2010-05-08&RoleName=barrage-lambda-worker&"
            "PolicyName=worker&PolicyDocument=%7B%22Statement%22%3A%5B%5D%7D");
  EXPECT_NE(reqs[4].body.find("Action=AttachRolePolicy"), std::string::npos);
  EXPECT_NE(reqs[4].body.find("PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fservice-role%2F"),
            std::string::npos);
}

TEST(Iam, DeleteRoleAndPolicyAndDescription) {
  FixtureServer server([](const RecordedRequest& r) {
    if (r.body.find("RoleName=gone") != std::string::npos) {
      return CannedResponse{404,
                            {},
                            "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
                            "<Message>The role with name gone cannot be found.</Message></Error>"
                            "</ErrorResponse>"};
    }
    if (r.body.find("Action=GetRole") == 0) {
      std::string s = kGetRole;
      s.insert(s.find("</Arn>") + 6, "<Description>made by barrage</Description>");
      return CannedResponse{200, {}, s};
    }
    return CannedResponse{200, {}, "<Ok/>"};
  });
  IamClient iam(config_for(server));
  EXPECT_EQ(iam.get_role("barrage-lambda-worker").value()->description, "made by barrage");
  EXPECT_TRUE(iam.delete_role_policy("barrage-lambda-worker", "worker").value());
  EXPECT_TRUE(iam.delete_role("barrage-lambda-worker").value());
  EXPECT_FALSE(iam.delete_role_policy("gone", "worker").value());
  EXPECT_FALSE(iam.delete_role("gone").value());
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5U);
  EXPECT_EQ(reqs[1].body,
            "Action=DeleteRolePolicy&Version=2010-05-08&RoleName=barrage-lambda-worker&"
            "PolicyName=worker");
  EXPECT_EQ(reqs[2].body, "Action=DeleteRole&Version=2010-05-08&RoleName=barrage-lambda-worker");
  expect_signed(reqs[2], "/us-east-1/iam/aws4_request");
}

TEST(Errors, AFailedCallIsAnErrorWithTheAwsCodeAndHttpStatus) {
  FixtureServer server([](const RecordedRequest&) {
    return CannedResponse{
        404,
        {{"Content-Type", "application/xml"}},
        "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The "
        "specified key does not exist.</Message><RequestId>R2</RequestId></Error>"};
  });
  S3Client s3(config_for(server));
  const auto got = s3.get_object("bkt", "runs/r1/job.json");
  ASSERT_FALSE(got);
  const barrage::Error& e = got.error();
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.file, "");
  EXPECT_EQ(
      e.message,
      "S3 GetObject: NoSuchKey (HTTP 404): The specified key does not exist. [request id R2]");
  EXPECT_EQ(e.describe(), e.message);
  // The same Error through AwsError (what the lambda library rethrows) and back.
  const AwsError thrown(e);
  EXPECT_EQ(std::string(thrown.what()), e.message);
  EXPECT_EQ(thrown.error().code, "NoSuchKey");
  EXPECT_EQ(thrown.error().status, 404);

  // A transport failure: status 0, no code.
  ClientConfig dead = config_for(server);
  dead.endpoint_url = "http://127.0.0.1:1";
  dead.retry.max_attempts = 1;
  const auto unreachable = S3Client(dead).head_bucket("bkt");
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().status, 0);
  EXPECT_EQ(unreachable.error().code, "");
}

// A provider that has no credentials.
class NoCredentials : public CredentialsProvider {
 public:
  Credentials credentials() override { throw CredentialsError("no credentials here"); }
};

TEST(Errors, MissingCredentialsAreAnErrorAndUnwindAsCredentialsError) {
  FixtureServer server([](const RecordedRequest&) { return CannedResponse{200, {}, ""}; });
  ClientConfig config = config_for(server);
  config.credentials = std::make_shared<NoCredentials>();
  SqsClient sqs(config);
  const auto deleted = sqs.delete_queue("https://q/1/x");
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, "CredentialsError");
  EXPECT_EQ(deleted.error().status, 0);
  EXPECT_EQ(deleted.error().message, "no credentials here");
  EXPECT_TRUE(server.requests().empty());
  EXPECT_THROW(value_or_throw(sqs.delete_queue("https://q/1/x")), CredentialsError);
}

TEST(S3, MetadataDeleteObjectsAndDeleteBucket) {
  FixtureServer server([](const RecordedRequest& r) {
    if (r.method == "HEAD") {
      return CannedResponse{200, {{"ETag", "\"e\""}, {"X-Amz-Meta-Sha256", "abc="}}, ""};
    }
    if (r.method == "POST" && r.query() == "delete") {
      return CannedResponse{200,
                            {},
                            "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b c</Key>"
                            "<Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                            "</DeleteResult>"};
    }
    if (r.method == "DELETE" && r.target == "/gone") {
      return CannedResponse{404, {}, "<Error><Code>NoSuchBucket</Code></Error>"};
    }
    return CannedResponse{r.method == "DELETE" ? 204 : 200, {}, ""};
  });
  S3Client s3(config_for(server));
  s3.put_object("bkt", "code/f.zip", "zip", "application/zip", {{"sha256", "abc="}}).value();
  const auto info = s3.head_object("bkt", "code/f.zip").value();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->metadata, (std::map<std::string, std::string>{{"sha256", "abc="}}));
  const auto failures = s3.delete_objects("bkt", {"a", "b c"}).value();
  ASSERT_EQ(failures.size(), 1U);
  EXPECT_EQ(failures[0].key, "b c");
  EXPECT_EQ(failures[0].code, "AccessDenied");
  EXPECT_TRUE(s3.delete_objects("bkt", {}).value().empty());  // no request
  EXPECT_THROW(s3.delete_objects("bkt", std::vector<std::string>(1001, "k")).value(),
               std::invalid_argument);
  EXPECT_TRUE(s3.delete_bucket("bkt").value());
  EXPECT_FALSE(s3.delete_bucket("gone").value());
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5U);
  EXPECT_EQ(reqs[0].header("x-amz-meta-sha256"), "abc=");
  EXPECT_EQ(reqs[2].method, "POST");
  EXPECT_EQ(reqs[2].target, "/bkt?delete");
  EXPECT_EQ(reqs[2].body,
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            "<Object><Key>a</Key></Object><Object><Key>b c</Key></Object></Delete>");
  EXPECT_EQ(reqs[2].header("Content-MD5"), md5_base64(reqs[2].body));
  EXPECT_EQ(reqs[3].method, "DELETE");
  EXPECT_EQ(reqs[3].target, "/bkt");
  expect_signed(reqs[3], "/eu-west-1/s3/aws4_request");
}

TEST(Sqs, GetQueueAttributes) {
  FixtureServer server([](const RecordedRequest&) {
    return CannedResponse{200,
                          {},
                          R"({"Attributes":{"CreatedTimestamp":"1800000000",)"
                          R"("ApproximateNumberOfMessages":"3"}})"};
  });
  SqsClient sqs(config_for(server));
  const auto a = sqs.get_queue_attributes("https://q/1/barrage-r-1", {"CreatedTimestamp"}).value();
  EXPECT_EQ(a.at("CreatedTimestamp"), "1800000000");
  EXPECT_EQ(a.at("ApproximateNumberOfMessages"), "3");
  const auto r = server.requests().at(0);
  EXPECT_EQ(r.header("X-Amz-Target"), "AmazonSQS.GetQueueAttributes");
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"QueueUrl":"https://q/1/barrage-r-1",)"
                                             R"("AttributeNames":["CreatedTimestamp"]})"));
  EXPECT_THROW(parse_queue_attributes(R"({"Attributes":[]})"), AwsError);
  EXPECT_TRUE(parse_queue_attributes("{}").empty());
}

TEST(Lambda, ListFunctionsFollowsMarkers) {
  FixtureServer server([](const RecordedRequest& r) {
    if (r.query().find("Marker=m%2F2") == std::string::npos) {
      return CannedResponse{
          200, {}, R"({"Functions":[{"FunctionName":"a","MemorySize":128}],"NextMarker":"m/2"})"};
    }
    return CannedResponse{200, {}, R"({"Functions":[{"FunctionName":"b"}]})"};
  });
  LambdaClient lambda(config_for(server));
  const auto functions = lambda.list_functions().value();
  ASSERT_EQ(functions.size(), 2U);
  EXPECT_EQ(functions[0].name, "a");
  EXPECT_EQ(functions[0].memory_mb, 128);
  EXPECT_EQ(functions[1].name, "b");
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/2015-03-31/functions/?MaxItems=50");
  EXPECT_EQ(reqs[1].target, "/2015-03-31/functions/?Marker=m%2F2&MaxItems=50");
  expect_signed(reqs[1], "/eu-west-1/lambda/aws4_request");
}

TEST(Client, OnCallSeesEveryCallOnce) {
  FixtureServer server([](const RecordedRequest&) { return CannedResponse{503, {}, ""}; });
  ClientConfig config = config_for(server);
  std::vector<std::string> seen;
  config.on_call = [&](const ServiceRequest& r) { seen.push_back(r.iam_action); };
  SqsClient sqs(config);
  const auto deleted = sqs.delete_queue("https://q/1/x");
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().status, 503);
  EXPECT_EQ(deleted.error().code, "InternalError");  // no body: named after the status
  EXPECT_EQ(server.requests().size(), 5U);           // retried
  EXPECT_EQ(seen, std::vector<std::string>{"sqs:DeleteQueue"});
}

TEST(S3, BucketCreationLifecycleAndPresign) {
  FixtureServer server([](const RecordedRequest& r) {
    if (r.target == "/taken") {
      return CannedResponse{409, {}, "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>"};
    }
    return CannedResponse{200, {}, ""};
  });
  S3Client s3(config_for(server, "eu-west-1"));
  EXPECT_TRUE(s3.create_bucket("barrage-123456789012-eu-west-1").value());
  EXPECT_FALSE(s3.create_bucket("taken").value());
  s3.put_bucket_lifecycle("barrage-123456789012-eu-west-1",
                          {{"runs", "runs/", 2}, {"meta", "meta/", 7}})
      .value();
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3U);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].target, "/barrage-123456789012-eu-west-1");
  EXPECT_EQ(reqs[0].body,
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
  EXPECT_EQ(reqs[0].header("x-amz-content-sha256"), sha256_hex(reqs[0].body));
  expect_signed(reqs[0], "/eu-west-1/s3/aws4_request");
  EXPECT_EQ(reqs[2].target, "/barrage-123456789012-eu-west-1?lifecycle");
  EXPECT_EQ(reqs[2].header("Content-MD5"), md5_base64(reqs[2].body));
  EXPECT_NE(reqs[2].body.find("<Rule><ID>runs</ID><Filter><Prefix>runs/</Prefix></Filter>"
                              "<Status>Enabled</Status><Expiration><Days>2</Days></Expiration>"),
            std::string::npos);
  EXPECT_EQ(create_bucket_body(""), "");

  const std::string url = s3.presign_get("barrage-123456789012-eu-west-1", "runs/r 1/out.json",
                                         std::chrono::minutes(5));
  EXPECT_TRUE(url.starts_with(
      server.url() + "/barrage-123456789012-eu-west-1/runs/r%201/out.json?X-Amz-Algorithm="))
      << url;
  EXPECT_NE(url.find("&X-Amz-Expires=300&X-Amz-Security-Token=dummytoken&X-Amz-Signature="),
            std::string::npos);
}

TEST(S3, UsEast1HasNoLocationConstraintAndAwsUsesVirtualHosts) {
  FixtureServer server([](const RecordedRequest&) { return CannedResponse{200, {}, ""}; });
  S3Client s3(config_for(server, "us-east-1"));
  s3.create_bucket("b").value();
  EXPECT_EQ(server.requests().at(0).body, "");
  ClientConfig aws;
  aws.region = "eu-west-1";
  aws.env = map_env({});
  aws.credentials = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
  S3Client real(aws);  // presigning makes no request
  EXPECT_TRUE(real.presign_get("bucket", "k", std::chrono::seconds(60))
                  .starts_with("https://bucket.s3.eu-west-1.amazonaws.com/k?X-Amz-Algorithm="));
}

TEST(Sqs, JsonProtocolRequests) {
  FixtureServer server([](const RecordedRequest& r) {
    const std::string target = r.header("X-Amz-Target");
    if (target == "AmazonSQS.GetQueueUrl") {
      return CannedResponse{
          400,
          {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}},
          R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist",)"
          R"("message":"The specified queue does not exist."})"};
    }
    if (target == "AmazonSQS.SendMessageBatch") {
      return CannedResponse{200,
                            {},
                            R"({"Successful":[{"Id":"a","MessageId":"m1","MD5OfMessageBody":"x"}],)"
                            R"("Failed":[{"Id":"b","Code":"InvalidMessageContents",)"
                            R"("Message":"bad","SenderFault":true}]})"};
    }
    return CannedResponse{200, {}, R"({"QueueUrl":"http://q/1/run"})"};
  });
  SqsClient sqs(config_for(server));
  EXPECT_EQ(sqs.create_queue("run", {{"MessageRetentionPeriod", "3600"}}).value(),
            "http://q/1/run");
  EXPECT_FALSE(sqs.get_queue_url("nope").value());
  const BatchResult r = sqs.send_message_batch("http://q/1/run", {{"a", "x"}, {"b", "y"}}).value();
  EXPECT_EQ(r.successful, std::vector<std::string>{"a"});
  ASSERT_EQ(r.failed.size(), 1U);
  EXPECT_TRUE(r.failed[0].sender_fault);
  EXPECT_THROW(sqs.send_message_batch("q", std::vector<BatchEntry>(11)).value(),
               std::invalid_argument);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3U);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/");
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(reqs[0].header("X-Amz-Target"), "AmazonSQS.CreateQueue");
  EXPECT_EQ(json::parse(reqs[0].body)["Attributes"]["MessageRetentionPeriod"], "3600");
  EXPECT_EQ(json::parse(reqs[2].body)["Entries"][1]["MessageBody"], "y");
  expect_signed(reqs[0], "/eu-west-1/sqs/aws4_request");
}

TEST(Parsers, ReceiveMessageAndListObjects) {
  const auto msgs =
      parse_receive_message(R"({"Messages":[{"MessageId":"m","ReceiptHandle":"rh","Body":"hi",)"
                            R"("Attributes":{"ApproximateReceiveCount":"1"}}]})");
  ASSERT_EQ(msgs.size(), 1U);
  EXPECT_EQ(msgs[0].attributes.at("ApproximateReceiveCount"), "1");
  EXPECT_TRUE(parse_receive_message("{}").empty());
  EXPECT_THROW(parse_receive_message(R"({"Messages":[{"Body":"x"}]})"), AwsError);
  const auto list = parse_list_objects_v2(
      "<ListBucketResult><Contents><Key>a/b</Key><Size>12</Size><ETag>\"e\"</ETag></Contents>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken>"
      "</ListBucketResult>");
  ASSERT_EQ(list.objects.size(), 1U);
  EXPECT_EQ(list.objects[0].size, 12U);
  EXPECT_TRUE(list.truncated);
  EXPECT_EQ(list.next_continuation_token, "tok");
  EXPECT_THROW(parse_list_objects_v2("<Nope/>"), AwsError);
  EXPECT_THROW(parse_complete_multipart("<Error><Code>InternalError</Code></Error>"), AwsError);
}

}  // namespace
}  // namespace barrage::aws
