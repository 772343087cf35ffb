// The credential chain, region resolution and the refreshing cache. Profile
// files live in temp dirs; container and instance metadata endpoints are a
// loopback fixture server (nothing here contacts 169.254.x); keys are dummies.
#include "aws/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "aws/profile.h"
#include "fixture_server.h"

namespace barrage::aws {
namespace {

namespace fs = std::filesystem;
using testing_support::CannedResponse;
using testing_support::closed_port;
using testing_support::FixtureServer;
using testing_support::RecordedRequest;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "barrage-aws-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string write(const std::string& name, const std::string& text, bool executable = false) {
    const fs::path p = path_ / name;
    std::ofstream(p) << text;
    if (executable) chmod(p.c_str(), 0755);
    return p.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// An environment that never reaches a real metadata service: IMDS points at
// a closed loopback port, profile files at a temp dir.
std::map<std::string, std::string> base_env(const TempDir& dir) {
  return {
      {"HOME", dir.path().string()},
      {"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string()},
      {"AWS_CONFIG_FILE", (dir.path() / "config").string()},
      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:" + std::to_string(closed_port())}};
}

CredentialsOptions options(std::map<std::string, std::string> env, std::string profile = {}) {
  CredentialsOptions o;
  o.env = map_env(std::move(env));
  o.profile = std::move(profile);
  o.metadata_timeout = std::chrono::milliseconds(500);
  return o;
}

TEST(Credentials, EnvironmentComesFirst) {
  TempDir dir;
  dir.write("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  auto env = base_env(dir);
  env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env["AWS_SECRET_ACCESS_KEY"] = "secret";
  env["AWS_SESSION_TOKEN"] = "token";
  const Credentials c = resolve_credentials(options(env));
  EXPECT_EQ(c.access_key_id, "AKIDENV");
  EXPECT_EQ(c.session_token, "token");
  EXPECT_EQ(c.source, "environment");
}

TEST(Credentials, HalfSetEnvironmentIsAnError) {
  TempDir dir;
  auto env = base_env(dir);
  env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  try {
    resolve_credentials(options(env));
    FAIL() << "expected CredentialsError";
  } catch (const CredentialsError& e) {
    EXPECT_NE(std::string(e.what()).find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos);
  }
}

TEST(Credentials, ExplicitProfileSkipsEnvironmentAndMergesFiles) {
  TempDir dir;
  dir.write("credentials",
            "# comment\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = devsecret\n");
  dir.write("config",
            "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n"
            "s3 =\n  addressing_style = path\n[sso-session x]\nsso_region = us-east-1\n");
  auto env = base_env(dir);
  env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env["AWS_SECRET_ACCESS_KEY"] = "secret";
  const Credentials c = resolve_credentials(options(env, "dev"));
  EXPECT_EQ(c.access_key_id, "AKIDDEV");
  EXPECT_EQ(c.secret_access_key, "devsecret");
  EXPECT_EQ(c.source, "profile dev");
  EXPECT_EQ(resolve_region("", map_env(env), "dev"), "eu-west-1");
  const auto files = load_profile_files(map_env(env));
  EXPECT_EQ(files.profile("dev")->at("s3.addressing_style"), "path");
  EXPECT_FALSE(files.profile("x"));
}

TEST(Credentials, AwsProfileVariableSelectsTheProfile) {
  TempDir dir;
  dir.write("config", "[profile ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = s\n");
  auto env = base_env(dir);
  env["AWS_PROFILE"] = "ci";
  EXPECT_EQ(resolve_credentials(options(env)).access_key_id, "AKIDCI");
  env["AWS_PROFILE"] = "missing";
  try {
    resolve_credentials(options(env));
    FAIL() << "expected CredentialsError";
  } catch (const CredentialsError& e) {
    EXPECT_NE(std::string(e.what()).find("profile missing not found"), std::string::npos);
  }
}

TEST(Credentials, CredentialProcessRunsAndItsJsonIsParsed) {
  TempDir dir;
  const std::string script = dir.write("creds.sh",
                                       "#!/bin/sh\n"
                                       "echo \"$1\" > \"$(dirname \"$0\")/arg\"\n"
                                       "cat <<'JSON'\n"
                                       "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\",\n"
                                       " \"SecretAccessKey\": \"procsecret\", \"SessionToken\": "
                                       "\"proctoken\",\n"
                                       " \"Expiration\": \"2030-01-02T03:04:05Z\"}\n"
                                       "JSON\n",
                                       true);
  dir.write("config", "[profile proc]\ncredential_process = " + script + " 'an arg'\n");
  const Credentials c = resolve_credentials(options(base_env(dir), "proc"));
  EXPECT_EQ(c.access_key_id, "AKIDPROC");
  EXPECT_EQ(c.session_token, "proctoken");
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(*c.expiration, *parse_iso8601("2030-01-02T03:04:05Z"));
  std::ifstream arg(dir.path() / "arg");
  std::string line;
  std::getline(arg, line);
  EXPECT_EQ(line, "an arg");
}

TEST(Credentials, CredentialProcessFailureIsExplained) {
  TempDir dir;
  const std::string script = dir.write("fail.sh", "#!/bin/sh\nexit 3\n", true);
  const std::string bad = dir.write("bad.sh", "#!/bin/sh\necho '{\"Version\": 2}'\n", true);
  dir.write("config", "[profile fail]\ncredential_process = " + script +
                          "\n[profile bad]\ncredential_process = " + bad + "\n");
  try {
    resolve_credentials(options(base_env(dir), "fail"));
    FAIL();
  } catch (const CredentialsError& e) {
    EXPECT_NE(std::string(e.what()).find("exit status 3"), std::string::npos) << e.what();
  }
  try {
    resolve_credentials(options(base_env(dir), "bad"));
    FAIL();
  } catch (const CredentialsError& e) {
    EXPECT_NE(std::string(e.what()).find("\"Version\": 1"), std::string::npos) << e.what();
  }
}

TEST(Credentials, AssumeRoleThroughStsWithSourceProfile) {
  FixtureServer sts([](const RecordedRequest&) {
    return CannedResponse{200,
                          {{"Content-Type", "text/xml"}},
                          "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                          "<AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId>"
                          "<SecretAccessKey>rolesecret</SecretAccessKey>"
                          "<SessionToken>roletoken</SessionToken>"
                          "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>"
                          "</AssumeRoleResult></AssumeRoleResponse>"};
  });
  TempDir dir;
  dir.write("credentials", "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = b\n");
  dir.write("config",
            "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\n"
            "source_profile = base\nexternal_id = ext-1\nrole_session_name = sess\n"
            "region = eu-central-1\n");
  auto env = base_env(dir);
  env["AWS_ENDPOINT_URL_STS"] = sts.url();
  const Credentials c = resolve_credentials(options(env, "deploy"));
  EXPECT_EQ(c.access_key_id, "ASIAROLE");
  EXPECT_EQ(c.session_token, "roletoken");
  EXPECT_EQ(c.source, "profile deploy (role arn:aws:iam::123456789012:role/deploy)");
  const auto reqs = sts.requests();
  ASSERT_EQ(reqs.size(), 1U);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_NE(reqs[0].body.find("Action=AssumeRole"), std::string::npos);
  EXPECT_NE(reqs[0].body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy"),
            std::string::npos);
  EXPECT_NE(reqs[0].body.find("ExternalId=ext-1"), std::string::npos);
  EXPECT_NE(reqs[0].body.find("RoleSessionName=sess"), std::string::npos);
  // Signed with the source profile's key, for STS in the profile's region.
  EXPECT_NE(reqs[0].header("Authorization").find("Credential=AKIDBASE/"), std::string::npos);
  EXPECT_NE(reqs[0].header("Authorization").find("/eu-central-1/sts/aws4_request"),
            std::string::npos);
}

TEST(Credentials, AssumeRoleFailureNamesProfileAndRole) {
  FixtureServer sts([](const RecordedRequest&) {
    return CannedResponse{
        403,
        {},
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        "<Message>User: arn:aws:iam::123456789012:user/u is not authorized to "
        "perform: sts:AssumeRole on resource: x</Message></Error></ErrorResponse>"};
  });
  TempDir dir;
  dir.write("config",
            "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\n"
            "source_profile = deploy\naws_access_key_id = AKIDSELF\naws_secret_access_key = s\n");
  auto env = base_env(dir);
  env["AWS_ENDPOINT_URL"] = sts.url();
  try {
    resolve_credentials(options(env, "deploy"));
    FAIL();
  } catch (const CredentialsError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("profile deploy: assuming role arn:aws:iam::123456789012:role/deploy"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("not allowed sts:AssumeRole"), std::string::npos) << m;
  }
}

TEST(Credentials, ContainerRelativeUri) {
  FixtureServer ecs([](const RecordedRequest& r) {
    if (r.target != "/v2/credentials/abc") return CannedResponse{404, {}, ""};
    return CannedResponse{200,
                          {},
                          R"({"AccessKeyId":"ASIAECS","SecretAccessKey":"ecssecret",)"
                          R"("Token":"ecstoken","Expiration":"2030-01-01T00:00:00Z",)"
                          R"("RoleArn":"arn:aws:iam::123456789012:role/task"})"};
  });
  TempDir dir;
  auto env = base_env(dir);
  env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  CredentialsOptions o = options(env);
  o.container_endpoint = ecs.url();
  const Credentials c = resolve_credentials(o);
  EXPECT_EQ(c.access_key_id, "ASIAECS");
  EXPECT_EQ(c.session_token, "ecstoken");
  EXPECT_EQ(c.source, "container");
}

TEST(Credentials, ContainerFullUriSendsTheAuthorizationToken) {
  FixtureServer pod([](const RecordedRequest& r) {
    if (r.header("Authorization") != "tok-123") return CannedResponse{401, {}, ""};
    return CannedResponse{200,
                          {},
                          R"({"AccessKeyId":"ASIAPOD","SecretAccessKey":"s","Token":"t",)"
                          R"("Expiration":"2030-01-01T00:00:00Z"})"};
  });
  TempDir dir;
  auto env = base_env(dir);
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = pod.url() + "/creds";
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = dir.write("token", "tok-123\n");
  EXPECT_EQ(resolve_credentials(options(env)).access_key_id, "ASIAPOD");
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds";
  EXPECT_THROW(resolve_credentials(options(env)), CredentialsError);
}

TEST(Credentials, InstanceMetadataV2TokenThenRoleThenCredentials) {
  FixtureServer imds([](const RecordedRequest& r) {
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (r.header("X-aws-ec2-metadata-token-ttl-seconds") != "21600")
        return CannedResponse{400, {}, ""};
      return CannedResponse{200, {}, "imds-token"};
    }
    if (r.header("X-aws-ec2-metadata-token") != "imds-token") return CannedResponse{401, {}, ""};
    if (r.target == "/latest/meta-data/iam/security-credentials/") {
      return CannedResponse{200, {}, "worker-role"};
    }
    if (r.target == "/latest/meta-data/iam/security-credentials/worker-role") {
      return CannedResponse{200,
                            {},
                            R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS",)"
                            R"("SecretAccessKey":"s","Token":"t",)"
                            R"("Expiration":"2030-01-01T00:00:00Z"})"};
    }
    return CannedResponse{404, {}, ""};
  });
  TempDir dir;
  auto env = base_env(dir);
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url() + "/";
  const Credentials c = resolve_credentials(options(env));
  EXPECT_EQ(c.access_key_id, "ASIAIMDS");
  EXPECT_EQ(c.source, "instance metadata (role worker-role)");
  EXPECT_EQ(imds.requests().size(), 3U);
}

TEST(Credentials, NothingFoundListsEverySourceTried) {
  TempDir dir;
  try {
    resolve_credentials(options(base_env(dir)));
    FAIL();
  } catch (const CredentialsError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no AWS credentials found"), std::string::npos);
    EXPECT_NE(m.find("environment"), std::string::npos);
    EXPECT_NE(m.find("profile default"), std::string::npos);
    EXPECT_NE(m.find("container"), std::string::npos);
    EXPECT_NE(m.find("instance metadata at http://127.0.0.1:"), std::string::npos) << m;
  }
  auto env = base_env(dir);
  env["AWS_EC2_METADATA_DISABLED"] = "true";
  try {
    resolve_credentials(options(env));
    FAIL();
  } catch (const CredentialsError& e) {
    EXPECT_NE(std::string(e.what()).find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
  }
}

TEST(Credentials, CacheRefreshesFiveMinutesBeforeExpiry) {
  using namespace std::chrono_literals;
  auto now = *parse_iso8601("2030-01-01T00:00:00Z");
  int calls = 0;
  bool fail = false;
  CachingCredentialsProvider provider(
      [&] {
        if (fail) throw CredentialsError("metadata service down");
        ++calls;
        Credentials c{"ASIA" + std::to_string(calls), "s", "t", now + 1h, "test"};
        return c;
      },
      300s, [&] { return now; });
  EXPECT_EQ(provider.credentials().access_key_id, "ASIA1");
  now += 54min;  // 6 min left: cached
  EXPECT_EQ(provider.credentials().access_key_id, "ASIA1");
  now += 2min;  // 4 min left: refreshed
  EXPECT_EQ(provider.credentials().access_key_id, "ASIA2");
  EXPECT_EQ(provider.fetch_count(), 2);
  now += 56min;  // refresh fails while the old ones still work: keep them
  fail = true;
  EXPECT_EQ(provider.credentials().access_key_id, "ASIA2");
  now += 5min;  // expired and the refresh fails: error
  EXPECT_THROW(provider.credentials(), CredentialsError);
}

TEST(Credentials, LongTermCredentialsAreFetchedOnce) {
  int calls = 0;
  CachingCredentialsProvider provider(
      [&] {
        ++calls;
        return Credentials{"AKID", "s", "", std::nullopt, "test"};
      },
      std::chrono::seconds(300), [] { return std::chrono::system_clock::now(); });
  for (int i = 0; i < 5; ++i) provider.credentials();
  EXPECT_EQ(calls, 1);
}

TEST(Region, ExplicitThenAwsRegionThenDefaultRegionThenProfile) {
  TempDir dir;
  dir.write("config", "[default]\nregion = ap-south-1\n");
  auto env = base_env(dir);
  EXPECT_EQ(resolve_region("", map_env(env)), "ap-south-1");
  env["AWS_DEFAULT_REGION"] = "us-west-1";
  EXPECT_EQ(resolve_region("", map_env(env)), "us-west-1");
  env["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(resolve_region("", map_env(env)), "us-west-2");
  EXPECT_EQ(resolve_region("eu-north-1", map_env(env)), "eu-north-1");
  TempDir empty;
  EXPECT_EQ(resolve_region("", map_env(base_env(empty))), std::nullopt);
}

TEST(CredentialsJson, ParsesAndRejects) {
  EXPECT_THROW(parse_credentials_json("[]", CredentialsJson::kProcess), CredentialsError);
  EXPECT_THROW(
      parse_credentials_json(R"({"Version":1,"AccessKeyId":"A"})", CredentialsJson::kProcess),
      CredentialsError);
  EXPECT_THROW(
      parse_credentials_json(R"({"Code":"Failure","Message":"no"})", CredentialsJson::kMetadata),
      CredentialsError);
  EXPECT_THROW(parse_credentials_json(R"({"AccessKeyId":"A","SecretAccessKey":"S","Token":"T"})",
                                      CredentialsJson::kMetadata),
               CredentialsError);
  const Credentials c = parse_credentials_json(
      R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"})", CredentialsJson::kProcess);
  EXPECT_FALSE(c.expiration);
  EXPECT_EQ(parse_iso8601("2019-09-25T12:00:00.000+0000"), parse_iso8601("2019-09-25T12:00:00Z"));
  EXPECT_EQ(parse_iso8601("2019-09-25T14:00:00+02:00"), parse_iso8601("2019-09-25T12:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2019-13-25T12:00:00Z"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
}

}  // namespace
}  // namespace barrage::aws
