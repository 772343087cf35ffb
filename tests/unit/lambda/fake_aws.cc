#include "fake_aws.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "aws/sigv4.h"
#include "util/base64.h"

namespace barrage::lambda::testing_support {
namespace {

using aws::testing_support::CannedResponse;
using aws::testing_support::RecordedRequest;
using nlohmann::json;

std::string sha256_base64(std::string_view data) {
  const std::string hex = aws::sha256_hex(data);
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return base64_encode(raw);
}

std::map<std::string, std::string> parse_form(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) amp = text.size();
    const std::string_view pair = text.substr(pos, amp - pos);
    const size_t eq = pair.find('=');
    if (!pair.empty()) {
      out[aws::percent_decode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : aws::percent_decode(pair.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return out;
}

std::string iso(int64_t s) {
  const std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

CannedResponse xml_error(int status, const std::string& code, const std::string& message) {
  return {status,
          {{"Content-Type", "text/xml"}},
          fmt::format("<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</"
                      "Message></Error><RequestId>req-1</RequestId></ErrorResponse>",
                      code, message)};
}

CannedResponse s3_error(int status, const std::string& code, const std::string& message) {
  return {status,
          {{"Content-Type", "application/xml"}},
          fmt::format("<Error><Code>{}</Code><Message>{}</Message><RequestId>req-1</RequestId>"
                      "</Error>",
                      code, message)};
}

CannedResponse json_error(int status, const std::string& type, const std::string& message) {
  return {status,
          {{"Content-Type", "application/json"}, {"X-Amzn-ErrorType", type}},
          json{{"__type", type}, {"message", message}}.dump()};
}

CannedResponse ok_json(const json& j) {
  return {200, {{"Content-Type", "application/json"}}, j.dump()};
}

json function_json(const FakeFunction& f, bool pending) {
  return {{"FunctionName", f.name},
          {"FunctionArn", fmt::format("arn:aws:lambda:eu-west-1:{}:function:{}", kAccount, f.name)},
          {"Runtime", "provided.al2023"},
          {"Role", f.role},
          {"Handler", "bootstrap"},
          {"MemorySize", f.memory_mb},
          {"Timeout", 900},
          {"CodeSha256", f.code_sha256},
          {"Version", "$LATEST"},
          {"State", pending ? "Pending" : "Active"},
          {"LastUpdateStatus", "Successful"},
          {"Architectures", {f.architecture}}};
}

// The service in the SigV4 scope: ".../<region>/<service>/aws4_request".
std::string service_of(const RecordedRequest& r) {
  const std::string auth = r.header("Authorization");
  const size_t end = auth.find("/aws4_request");
  if (end == std::string::npos) return "";
  const size_t start = auth.rfind('/', end - 1);
  return auth.substr(start + 1, end - start - 1);
}

}  // namespace

FakeAws::FakeAws() : server_([this](const RecordedRequest& r) { return handle(r); }) {}

aws::ClientConfig FakeAws::config(const std::string& region) {
  aws::ClientConfig c;
  c.region = region;
  c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
      aws::Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
  c.endpoint_url = server_.url();
  c.env = aws::map_env({});
  c.retry.sleep = [](std::chrono::milliseconds) {};
  c.now = [this] { return std::chrono::system_clock::time_point(std::chrono::seconds(now_s())); };
  c.on_call = [this](const aws::ServiceRequest& r) {
    const std::lock_guard lock(mutex_);
    actions_.insert(r.iam_action);
  };
  return c;
}

void FakeAws::set_now(int64_t s) {
  const std::lock_guard lock(mutex_);
  now_s_ = s;
}

int64_t FakeAws::now_s() const {
  const std::lock_guard lock(mutex_);
  return now_s_;
}

std::vector<std::string> FakeAws::operations() const {
  const std::lock_guard lock(mutex_);
  return operations_;
}

size_t FakeAws::count(const std::string& operation) const {
  const auto ops = operations();
  return static_cast<size_t>(std::count(ops.begin(), ops.end(), operation));
}

std::set<std::string> FakeAws::actions() const {
  const std::lock_guard lock(mutex_);
  return actions_;
}

std::string FakeAws::queue_url(const std::string& name) const {
  return fmt::format("{}/{}/{}", server_.url(), kAccount, name);
}

CannedResponse FakeAws::handle(const RecordedRequest& r) {
  const std::lock_guard lock(mutex_);
  const std::string service = service_of(r);
  if (service == "sts") return sts(r);
  if (service == "iam") return iam(r);
  if (service == "s3") return s3(r);
  if (service == "lambda") return lambda(r);
  if (service == "sqs") return sqs(r);
  return {400, {}, "unknown service " + service};
}

CannedResponse FakeAws::sts(const RecordedRequest& r) {
  const auto form = parse_form(r.body);
  operations_.push_back("STS " + (form.count("Action") != 0 ? form.at("Action") : "?"));
  if (form.count("Action") == 0 || form.at("Action") != "GetCallerIdentity")
    return xml_error(400, "InvalidAction", "not faked");
  if (denied.count("GetCallerIdentity") != 0)
    return xml_error(403, "AccessDenied", "not authorized to perform sts:GetCallerIdentity");
  return {200,
          {{"Content-Type", "text/xml"}},
          fmt::format("<GetCallerIdentityResponse><GetCallerIdentityResult>"
                      "<Arn>arn:aws:iam::{0}:user/tester</Arn><UserId>AIDEXAMPLE</UserId>"
                      "<Account>{0}</Account></GetCallerIdentityResult>"
                      "</GetCallerIdentityResponse>",
                      kAccount)};
}

CannedResponse FakeAws::iam(const RecordedRequest& r) {
  auto form = parse_form(r.body);
  const std::string action = form["Action"];
  operations_.push_back("IAM " + action);
  if (denied.count(action) != 0) {
    return xml_error(403, "AccessDenied",
                     fmt::format("User: arn:aws:iam::{}:user/tester is not authorized to perform: "
                                 "iam:{}",
                                 kAccount, action));
  }
  const std::string name = form["RoleName"];
  auto role_xml = [&](const std::string& op) {
    return CannedResponse{
        200,
        {{"Content-Type", "text/xml"}},
        fmt::format("<{0}Response><{0}Result><Role><RoleName>{1}</RoleName><Arn>{2}</Arn>"
                    "<RoleId>AROAEXAMPLE</RoleId><Description>{3}</Description>"
                    "<AssumeRolePolicyDocument>{4}</AssumeRolePolicyDocument></Role></{0}Result>"
                    "</{0}Response>",
                    op, name, role->arn, role->description, aws::uri_encode(role->trust_policy))};
  };
  auto missing = [&] {
    return xml_error(404, "NoSuchEntity",
                     fmt::format("The role with name {} cannot be found.", name));
  };
  if (action == "GetRole") {
    if (!role) return missing();
    return role_xml("GetRole");
  }
  if (action == "CreateRole") {
    if (role) return xml_error(409, "EntityAlreadyExists", "Role with name exists.");
    role = FakeRole{fmt::format("arn:aws:iam::{}:role/{}", kAccount, name),
                    form["Description"],
                    form["AssumeRolePolicyDocument"],
                    {}};
    return role_xml("CreateRole");
  }
  if (action == "PutRolePolicy") {
    if (!role) return missing();
    role->policies[form["PolicyName"]] = form["PolicyDocument"];
    return {200, {}, "<PutRolePolicyResponse/>"};
  }
  if (action == "DeleteRolePolicy") {
    if (!role || role->policies.erase(form["PolicyName"]) == 0) return missing();
    return {200, {}, "<DeleteRolePolicyResponse/>"};
  }
  if (action == "DeleteRole") {
    if (!role) return missing();
    if (!role->policies.empty())
      return xml_error(409, "DeleteConflict", "Cannot delete entity, must delete policies first.");
    role.reset();
    return {200, {}, "<DeleteRoleResponse/>"};
  }
  return xml_error(400, "InvalidAction", "not faked");
}

CannedResponse FakeAws::s3(const RecordedRequest& r) {
  const std::string path = r.path();
  const std::string query = r.query();
  const size_t slash = path.find('/', 1);
  const std::string bucket =
      path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  const std::string key =
      slash == std::string::npos ? "" : aws::percent_decode(path.substr(slash + 1));
  std::string op;
  if (key.empty()) {
    if (r.method == "HEAD") op = "HeadBucket";
    if (r.method == "PUT")
      op = query == "lifecycle" ? "PutBucketLifecycleConfiguration" : "CreateBucket";
    if (r.method == "GET") op = "ListObjectsV2";
    if (r.method == "POST" && query == "delete") op = "DeleteObjects";
    if (r.method == "DELETE") op = "DeleteBucket";
  } else {
    if (r.method == "PUT") op = query.starts_with("partNumber=") ? "UploadPart" : "PutObject";
    if (r.method == "POST")
      op = query == "uploads" ? "CreateMultipartUpload" : "CompleteMultipartUpload";
    if (r.method == "GET") op = "GetObject";
    if (r.method == "HEAD") op = "HeadObject";
    if (r.method == "DELETE") op = "DeleteObject";
  }
  operations_.push_back("S3 " + op);
  if (denied.count(op) != 0) return s3_error(403, "AccessDenied", "Access Denied");
  const auto b = buckets.find(bucket);
  if (op == "CreateBucket") {
    if (b != buckets.end()) return s3_error(409, "BucketAlreadyOwnedByYou", "yours");
    buckets[bucket];
    return {200, {{"Location", "/" + bucket}}, ""};
  }
  if (b == buckets.end()) {
    if (r.method == "HEAD") return {404, {}, ""};
    return s3_error(404, "NoSuchBucket", "The specified bucket does not exist");
  }
  auto& objects = b->second;
  if (op == "HeadBucket") return {200, {}, ""};
  if (op == "PutBucketLifecycleConfiguration") {
    if (r.header("Content-MD5").empty()) return s3_error(400, "InvalidRequest", "Content-MD5");
    lifecycle[bucket] = r.body;
    return {200, {}, ""};
  }
  if (op == "DeleteBucket") {
    if (!objects.empty()) return s3_error(409, "BucketNotEmpty", "The bucket is not empty");
    buckets.erase(b);
    return {204, {}, ""};
  }
  if (op == "ListObjectsV2") {
    const auto q = parse_form(query);
    const std::string prefix = q.count("prefix") != 0 ? q.at("prefix") : "";
    std::string contents;
    for (const auto& [k, o] : objects) {
      if (!k.starts_with(prefix)) continue;
      contents += fmt::format(
          "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>\"e\"</ETag>"
          "<Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
          k, iso(o.modified_s), o.body.size());
    }
    return {200,
            {{"Content-Type", "application/xml"}},
            fmt::format("<ListBucketResult><Name>{}</Name><Prefix>{}</Prefix><IsTruncated>false"
                        "</IsTruncated>{}</ListBucketResult>",
                        bucket, prefix, contents)};
  }
  if (op == "DeleteObjects") {
    if (r.header("Content-MD5").empty()) return s3_error(400, "InvalidRequest", "Content-MD5");
    size_t pos = 0;
    while ((pos = r.body.find("<Key>", pos)) != std::string::npos) {
      const size_t end = r.body.find("</Key>", pos);
      objects.erase(r.body.substr(pos + 5, end - pos - 5));
      pos = end;
    }
    return {200, {{"Content-Type", "application/xml"}}, "<DeleteResult></DeleteResult>"};
  }
  // Multipart (a sanitizer build's package is over the 16 MiB threshold):
  // parts are kept per upload and joined in part-number order on completion.
  if (op == "CreateMultipartUpload") {
    const std::string id = fmt::format("upload-{}", uploads_.size() + 1);
    auto& u = uploads_[id];
    for (const auto& h : r.headers) {
      std::string n = h.name;
      for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (n.starts_with("x-amz-meta-")) u.metadata[n.substr(11)] = h.value;
    }
    return {200,
            {{"Content-Type", "application/xml"}},
            fmt::format("<InitiateMultipartUploadResult><Bucket>{}</Bucket><Key>{}</Key>"
                        "<UploadId>{}</UploadId></InitiateMultipartUploadResult>",
                        bucket, key, id)};
  }
  if (op == "UploadPart" || op == "CompleteMultipartUpload") {
    const auto q = parse_form(query);
    const auto u = q.count("uploadId") != 0 ? uploads_.find(q.at("uploadId")) : uploads_.end();
    if (u == uploads_.end()) return s3_error(404, "NoSuchUpload", "The upload does not exist.");
    if (op == "UploadPart") {
      u->second.parts[std::stoi(q.at("partNumber"))] = r.body;
      return {200, {{"ETag", "\"part\""}}, ""};
    }
    FakeObject o{{}, u->second.metadata, now_s_};
    for (const auto& [n, part] : u->second.parts) o.body += part;
    objects[key] = std::move(o);
    uploads_.erase(u);
    return {200,
            {{"Content-Type", "application/xml"}},
            "<CompleteMultipartUploadResult><ETag>\"etag-multipart\"</ETag>"
            "</CompleteMultipartUploadResult>"};
  }
  if (op == "PutObject") {
    FakeObject o{r.body, {}, now_s_};
    for (const auto& h : r.headers) {
      std::string n = h.name;
      for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (n.starts_with("x-amz-meta-")) o.metadata[n.substr(11)] = h.value;
    }
    objects[key] = std::move(o);
    return {200, {{"ETag", "\"etag\""}}, ""};
  }
  const auto o = objects.find(key);
  if (o == objects.end()) {
    if (r.method == "HEAD") return {404, {}, ""};
    return s3_error(404, "NoSuchKey", "The specified key does not exist.");
  }
  if (op == "GetObject") return {200, {}, o->second.body};
  if (op == "HeadObject") {
    CannedResponse res{200, {{"ETag", "\"etag\""}}, ""};
    for (const auto& [n, v] : o->second.metadata) res.headers.push_back({"x-amz-meta-" + n, v});
    return res;
  }
  if (op == "DeleteObject") {
    objects.erase(o);
    return {204, {}, ""};
  }
  return s3_error(400, "NotImplemented", "not faked");
}

CannedResponse FakeAws::lambda(const RecordedRequest& r) {
  const std::string path = r.path();
  constexpr std::string_view kFunctions = "/2015-03-31/functions";
  constexpr std::string_view kEventConfig = "/2019-09-25/functions/";
  std::string op;
  std::string name;
  if (path.starts_with(kEventConfig)) {
    op = "PutFunctionEventInvokeConfig";
    name =
        path.substr(kEventConfig.size(), path.find('/', kEventConfig.size()) - kEventConfig.size());
  } else if (path == kFunctions && r.method == "POST") {
    op = "CreateFunction";
  } else if (path == std::string(kFunctions) + "/" && r.method == "GET") {
    op = "ListFunctions";
  } else if (path.starts_with(std::string(kFunctions) + "/")) {
    std::string rest = path.substr(kFunctions.size() + 1);
    const size_t s = rest.find('/');
    name = aws::percent_decode(rest.substr(0, s));
    const std::string tail = s == std::string::npos ? "" : rest.substr(s);
    if (tail == "/configuration") op = "GetFunctionConfiguration";
    if (tail == "/code") op = "UpdateFunctionCode";
    if (tail.empty() && r.method == "DELETE") op = "DeleteFunction";
  }
  operations_.push_back("Lambda " + op);
  if (denied.count(op) != 0) {
    return json_error(403, "AccessDeniedException",
                      "User is not authorized to perform: lambda:" + op);
  }
  auto missing = [&] {
    return json_error(404, "ResourceNotFoundException", "Function not found: " + name);
  };
  auto code_sha = [&](const json& code) -> std::optional<std::string> {
    const auto b = buckets.find(code.value("S3Bucket", ""));
    if (b == buckets.end()) return std::nullopt;
    const auto o = b->second.find(code.value("S3Key", ""));
    if (o == b->second.end()) return std::nullopt;
    return sha256_base64(o->second.body);
  };
  if (op == "CreateFunction") {
    const json body = json::parse(r.body);
    if (propagation_failures > 0) {
      --propagation_failures;
      return json_error(400, "InvalidParameterValueException",
                        "The role defined for the function cannot be assumed by Lambda.");
    }
    FakeFunction f;
    f.name = body.at("FunctionName");
    if (functions.count(f.name) != 0)
      return json_error(409, "ResourceConflictException", "Function already exist: " + f.name);
    auto sha = code_sha(body.at("Code"));
    if (!sha && accept_unknown_code) sha = "";
    if (!sha) return json_error(400, "InvalidParameterValueException", "no such S3 object");
    f.role = body.at("Role");
    f.architecture = body.at("Architectures").at(0);
    f.memory_mb = body.at("MemorySize");
    f.code_sha256 = *sha;
    f.create_body = r.body;
    f.pending_polls = pending_after_change;
    functions[f.name] = f;
    return {201, {{"Content-Type", "application/json"}}, function_json(f, true).dump()};
  }
  if (op == "ListFunctions") {
    json list = json::array();
    for (const auto& [n, f] : functions) list.push_back(function_json(f, false));
    return ok_json({{"Functions", list}});
  }
  const auto f = functions.find(name);
  if (f == functions.end()) return missing();
  if (op == "GetFunctionConfiguration") {
    const bool pending = f->second.pending_polls > 0;
    if (pending) --f->second.pending_polls;
    return ok_json(function_json(f->second, pending));
  }
  if (op == "UpdateFunctionCode") {
    auto sha = code_sha(json::parse(r.body));
    if (!sha && accept_unknown_code) sha = "";
    if (!sha) return json_error(400, "InvalidParameterValueException", "no such S3 object");
    f->second.code_sha256 = *sha;
    f->second.pending_polls = pending_after_change;
    return ok_json(function_json(f->second, false));
  }
  if (op == "PutFunctionEventInvokeConfig") {
    f->second.maximum_retry_attempts = json::parse(r.body).at("MaximumRetryAttempts").get<int>();
    return ok_json({{"MaximumRetryAttempts", *f->second.maximum_retry_attempts}});
  }
  if (op == "DeleteFunction") {
    functions.erase(f);
    return {204, {}, ""};
  }
  return json_error(400, "InvalidRequestContentException", "not faked");
}

CannedResponse FakeAws::sqs(const RecordedRequest& r) {
  std::string op = r.header("X-Amz-Target");
  if (op.starts_with("AmazonSQS.")) op = op.substr(10);
  operations_.push_back("SQS " + op);
  if (denied.count(op) != 0)
    return json_error(400, "com.amazonaws.sqs#AccessDeniedException",
                      "Access to the resource is denied.");
  const json body = json::parse(r.body, nullptr, false);
  auto missing = [] {
    return json_error(400, "com.amazonaws.sqs#QueueDoesNotExist",
                      "The specified queue does not exist.");
  };
  auto by_url = [&](const std::string& url) {
    const std::string name = url.substr(url.rfind('/') + 1);
    return queues.find(name);
  };
  if (op == "CreateQueue") {
    const std::string name = body.at("QueueName");
    if (queues.count(name) == 0) queues[name] = FakeQueue{name, now_s_};
    return ok_json({{"QueueUrl", queue_url(name)}});
  }
  if (op == "GetQueueUrl") {
    const std::string name = body.at("QueueName");
    if (queues.count(name) == 0) return missing();
    return ok_json({{"QueueUrl", queue_url(name)}});
  }
  if (op == "ListQueues") {
    const std::string prefix = body.value("QueueNamePrefix", "");
    json urls = json::array();
    for (const auto& [n, q] : queues) {
      if (n.starts_with(prefix)) urls.push_back(queue_url(n));
    }
    return ok_json({{"QueueUrls", urls}});
  }
  if (op == "GetQueueAttributes") {
    const auto q = by_url(body.at("QueueUrl"));
    if (q == queues.end()) return missing();
    return ok_json({{"Attributes",
                     {{"CreatedTimestamp", std::to_string(q->second.created_s)},
                      {"ApproximateNumberOfMessages", "0"}}}});
  }
  if (op == "DeleteQueue") {
    const auto q = by_url(body.at("QueueUrl"));
    if (q == queues.end()) return missing();
    queues.erase(q);
    return ok_json(json::object());
  }
  return json_error(400, "com.amazonaws.sqs#InvalidAction", "not faked");
}

}  // namespace barrage::lambda::testing_support
