#include "aws/s3.h"

#include <fmt/format.h>

#include <cctype>
#include <pugixml.hpp>
#include <sstream>

#include "aws/result.h"

namespace barrage::aws {
namespace {

constexpr const char* kNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string to_string(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

uint64_t to_u64(const char* s) {
  uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) {
    if (v > (UINT64_MAX - 9) / 10) return UINT64_MAX;
    v = v * 10 + static_cast<uint64_t>(*s - '0');
  }
  return v;
}

void add_metadata(std::vector<Header>& headers,
                  const std::map<std::string, std::string>& metadata) {
  for (const auto& [name, value] : metadata) headers.push_back({"x-amz-meta-" + name, value});
}

pugi::xml_document load(std::string_view xml, std::string_view operation) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) throw_malformed("S3", operation, "not XML");
  return doc;
}

}  // namespace

S3Client::S3Client(ClientConfig config, S3Options options)
    : client_(Service::kS3, std::move(config)), options_(options) {
  if (options_.part_size < kMinPartSize) {
    throw std::invalid_argument("S3 part size must be at least 5 MiB");
  }
}

ServiceRequest S3Client::request(std::string operation, std::string iam_action, std::string method,
                                 const std::string& bucket, const std::string& key) {
  ServiceRequest r;
  r.operation = std::move(operation);
  r.iam_action = std::move(iam_action);
  r.method = std::move(method);
  const std::string encoded_key = uri_encode(key, /*encode_slash=*/false);
  const bool path_style = client_.endpoint().overridden || bucket.find('.') != std::string::npos;
  if (path_style) {
    r.path = "/" + bucket + (key.empty() ? "" : "/" + encoded_key);
  } else {
    r.host = bucket + "." + client_.endpoint().host;
    r.path = "/" + encoded_key;
  }
  return r;
}

Result<bool> S3Client::create_bucket(const std::string& bucket) {
  return detail::guarded([&]() -> bool {
    ServiceRequest r = request("CreateBucket", "s3:CreateBucket", "PUT", bucket, "");
    r.body = create_bucket_body(client_.region() == "us-east-1" ? "" : client_.region());
    if (!r.body.empty()) r.headers.push_back({"Content-Type", "application/xml"});
    try {
      detail::call_or_throw(client_, r);
      return true;
    } catch (const AwsError& e) {
      if (e.code() == "BucketAlreadyOwnedByYou") return false;
      throw;
    }
  });
}

Result<bool> S3Client::head_bucket(const std::string& bucket) {
  return detail::guarded([&]() -> bool {
    ServiceRequest r = request("HeadBucket", "s3:ListBucket", "HEAD", bucket, "");
    r.accept_statuses = {404};
    return detail::call_or_throw(client_, r).status != 404;
  });
}

Result<std::string> S3Client::put_object(const std::string& bucket, const std::string& key,
                                         std::string_view body, const std::string& content_type,
                                         const std::map<std::string, std::string>& metadata) {
  return detail::guarded([&]() -> std::string {
    if (body.size() > options_.multipart_threshold) {
      return put_multipart(bucket, key, body, content_type, metadata);
    }
    ServiceRequest r = request("PutObject", "s3:PutObject", "PUT", bucket, key);
    r.headers = {{"Content-Type", content_type}};
    add_metadata(r.headers, metadata);
    r.body = std::string(body);
    r.timeout = std::chrono::minutes(5);
    last_put_parts_ = 1;
    return std::string(detail::call_or_throw(client_, r).header("ETag"));
  });
}

std::string S3Client::put_multipart(const std::string& bucket, const std::string& key,
                                    std::string_view body, const std::string& content_type,
                                    const std::map<std::string, std::string>& metadata) {
  ServiceRequest create = request("CreateMultipartUpload", "s3:PutObject", "POST", bucket, key);
  create.query = "uploads";
  create.headers = {{"Content-Type", content_type}};
  add_metadata(create.headers, metadata);
  const std::string upload_id = parse_upload_id(detail::call_or_throw(client_, create).body);
  const std::string id_query = "uploadId=" + uri_encode(upload_id);
  try {
    pugi::xml_document doc;
    auto root = doc.append_child("CompleteMultipartUpload");
    root.append_attribute("xmlns") = kNamespace;
    int part = 0;
    for (size_t offset = 0; offset < body.size(); offset += options_.part_size) {
      ++part;
      ServiceRequest up = request("UploadPart", "s3:PutObject", "PUT", bucket, key);
      up.query = fmt::format("partNumber={}&{}", part, id_query);
      up.body = std::string(body.substr(offset, options_.part_size));
      up.timeout = std::chrono::minutes(5);
      const HttpResponse response = detail::call_or_throw(client_, up);
      const std::string etag(response.header("ETag"));
      if (etag.empty()) throw_malformed("S3", "UploadPart", "no ETag header");
      auto p = root.append_child("Part");
      p.append_child("PartNumber").text().set(part);
      p.append_child("ETag").text().set(etag.c_str());
    }
    ServiceRequest complete =
        request("CompleteMultipartUpload", "s3:PutObject", "POST", bucket, key);
    complete.query = id_query;
    complete.headers = {{"Content-Type", "application/xml"}};
    complete.body = to_string(doc);
    complete.timeout = std::chrono::minutes(5);
    std::string etag = parse_complete_multipart(detail::call_or_throw(client_, complete).body);
    last_put_parts_ = part;
    return etag;
  } catch (const std::exception&) {
    try {
      ServiceRequest abort =
          request("AbortMultipartUpload", "s3:AbortMultipartUpload", "DELETE", bucket, key);
      abort.query = id_query;
      detail::call_or_throw(client_, abort);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): report the first error
    }
    throw;
  }
}

Result<std::string> S3Client::get_object(const std::string& bucket, const std::string& key) {
  return detail::guarded([&]() -> std::string {
    ServiceRequest r = request("GetObject", "s3:GetObject", "GET", bucket, key);
    r.timeout = std::chrono::minutes(5);
    return detail::call_or_throw(client_, r).body;
  });
}

Result<std::optional<ObjectInfo>> S3Client::head_object(const std::string& bucket,
                                                        const std::string& key) {
  return detail::guarded([&]() -> std::optional<ObjectInfo> {
    ServiceRequest r = request("HeadObject", "s3:GetObject", "HEAD", bucket, key);
    r.accept_statuses = {404};
    const HttpResponse response = detail::call_or_throw(client_, r);
    if (response.status == 404) return std::nullopt;
    ObjectInfo info;
    info.size = to_u64(std::string(response.header("Content-Length")).c_str());
    info.etag = std::string(response.header("ETag"));
    info.content_type = std::string(response.header("Content-Type"));
    constexpr std::string_view kMeta = "x-amz-meta-";
    for (const auto& h : response.headers) {
      std::string name = h.name;
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name.starts_with(kMeta)) info.metadata[name.substr(kMeta.size())] = h.value;
    }
    return info;
  });
}

Status S3Client::delete_object(const std::string& bucket, const std::string& key) {
  return detail::guarded([&]() -> void {
    detail::call_or_throw(client_,
                          request("DeleteObject", "s3:DeleteObject", "DELETE", bucket, key));
  });
}

Result<std::vector<DeleteFailure>> S3Client::delete_objects(const std::string& bucket,
                                                            const std::vector<std::string>& keys) {
  return detail::guarded([&]() -> std::vector<DeleteFailure> {
    if (keys.size() > 1000) throw std::invalid_argument("S3 DeleteObjects takes at most 1000 keys");
    if (keys.empty()) return {};
    ServiceRequest r = request("DeleteObjects", "s3:DeleteObject", "POST", bucket, "");
    r.query = "delete";
    r.body = delete_objects_body(keys);
    // S3 requires an integrity header on this call.
    r.headers = {{"Content-Type", "application/xml"}, {"Content-MD5", md5_base64(r.body)}};
    r.timeout = std::chrono::minutes(2);
    return parse_delete_result(detail::call_or_throw(client_, r).body);
  });
}

Result<bool> S3Client::delete_bucket(const std::string& bucket) {
  return detail::guarded([&]() -> bool {
    ServiceRequest r = request("DeleteBucket", "s3:DeleteBucket", "DELETE", bucket, "");
    try {
      detail::call_or_throw(client_, r);
      return true;
    } catch (const AwsError& e) {
      if (e.code() == "NoSuchBucket") return false;
      throw;
    }
  });
}

std::string delete_objects_body(const std::vector<std::string>& keys) {
  pugi::xml_document doc;
  auto root = doc.append_child("Delete");
  root.append_attribute("xmlns") = kNamespace;
  root.append_child("Quiet").text().set("true");
  for (const auto& key : keys) {
    root.append_child("Object").append_child("Key").text().set(key.c_str());
  }
  return to_string(doc);
}

std::vector<DeleteFailure> parse_delete_result(std::string_view xml) {
  const pugi::xml_document doc = load(xml, "DeleteObjects");
  const pugi::xml_node root = doc.child("DeleteResult");
  if (!root) throw_malformed("S3", "DeleteObjects", "no <DeleteResult>");
  std::vector<DeleteFailure> out;
  for (const auto& e : root.children("Error")) {
    out.push_back({e.child_value("Key"), e.child_value("Code"), e.child_value("Message")});
  }
  return out;
}

Result<ListObjectsResult> S3Client::list_objects_v2(const std::string& bucket,
                                                    const std::string& prefix,
                                                    const std::string& continuation_token,
                                                    int max_keys) {
  return detail::guarded([&]() -> ListObjectsResult {
    ServiceRequest r = request("ListObjectsV2", "s3:ListBucket", "GET", bucket, "");
    r.query = "list-type=2&max-keys=" + std::to_string(max_keys);
    if (!prefix.empty()) r.query += "&prefix=" + uri_encode(prefix);
    if (!continuation_token.empty()) {
      r.query += "&continuation-token=" + uri_encode(continuation_token);
    }
    return parse_list_objects_v2(detail::call_or_throw(client_, r).body);
  });
}

Result<std::vector<S3Object>> S3Client::list_all(const std::string& bucket,
                                                 const std::string& prefix) {
  return detail::guarded([&]() -> std::vector<S3Object> {
    std::vector<S3Object> out;
    std::string token;
    for (int page = 0; page < 100000; ++page) {
      ListObjectsResult r = value_or_throw(list_objects_v2(bucket, prefix, token));
      for (auto& o : r.objects) out.push_back(std::move(o));
      if (!r.truncated || r.next_continuation_token.empty()) break;
      token = r.next_continuation_token;
    }
    return out;
  });
}

Status S3Client::put_bucket_lifecycle(const std::string& bucket,
                                      const std::vector<LifecycleRule>& rules) {
  return detail::guarded([&]() -> void {
    ServiceRequest r = request("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration",
                               "PUT", bucket, "");
    r.query = "lifecycle";
    r.body = lifecycle_body(rules);
    // S3 requires an integrity header on this call.
    r.headers = {{"Content-Type", "application/xml"}, {"Content-MD5", md5_base64(r.body)}};
    detail::call_or_throw(client_, r);
  });
}

std::string S3Client::presign_get(const std::string& bucket, const std::string& key,
                                  std::chrono::seconds expires) {
  return client_.presign(request("GetObject", "s3:GetObject", "GET", bucket, key), expires);
}

ListObjectsResult parse_list_objects_v2(std::string_view xml) {
  const pugi::xml_document doc = load(xml, "ListObjectsV2");
  const pugi::xml_node root = doc.child("ListBucketResult");
  if (!root) throw_malformed("S3", "ListObjectsV2", "no <ListBucketResult>");
  ListObjectsResult out;
  for (auto c : root.children("Contents")) {
    S3Object o;
    o.key = c.child_value("Key");
    o.size = to_u64(c.child_value("Size"));
    o.etag = c.child_value("ETag");
    o.last_modified = c.child_value("LastModified");
    out.objects.push_back(std::move(o));
  }
  for (auto p : root.children("CommonPrefixes"))
    out.common_prefixes.emplace_back(p.child_value("Prefix"));
  out.truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  out.next_continuation_token = root.child_value("NextContinuationToken");
  return out;
}

std::string parse_upload_id(std::string_view xml) {
  const pugi::xml_document doc = load(xml, "CreateMultipartUpload");
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) throw_malformed("S3", "CreateMultipartUpload", "no <UploadId>");
  return id;
}

std::string parse_complete_multipart(std::string_view xml) {
  const pugi::xml_document doc = load(xml, "CompleteMultipartUpload");
  if (doc.child("Error")) {
    const ErrorInfo info = parse_error_response(200, xml, {});
    throw AwsError(describe_error("S3", "CompleteMultipartUpload", "s3:PutObject", 200, info), 200,
                   info.code);
  }
  const pugi::xml_node r = doc.child("CompleteMultipartUploadResult");
  if (!r) throw_malformed("S3", "CompleteMultipartUpload", "no <CompleteMultipartUploadResult>");
  return r.child_value("ETag");
}

std::string create_bucket_body(std::string_view region) {
  if (region.empty()) return {};
  pugi::xml_document doc;
  auto root = doc.append_child("CreateBucketConfiguration");
  root.append_attribute("xmlns") = kNamespace;
  root.append_child("LocationConstraint").text().set(std::string(region).c_str());
  return to_string(doc);
}

std::string lifecycle_body(const std::vector<LifecycleRule>& rules) {
  pugi::xml_document doc;
  auto root = doc.append_child("LifecycleConfiguration");
  root.append_attribute("xmlns") = kNamespace;
  for (const auto& rule : rules) {
    auto r = root.append_child("Rule");
    r.append_child("ID").text().set(rule.id.c_str());
    r.append_child("Filter").append_child("Prefix").text().set(rule.prefix.c_str());
    r.append_child("Status").text().set("Enabled");
    r.append_child("Expiration").append_child("Days").text().set(rule.expiration_days);
    r.append_child("AbortIncompleteMultipartUpload")
        .append_child("DaysAfterInitiation")
        .text()
        .set(1);
  }
  return to_string(doc);
}

}  // namespace barrage::aws
