// S3 (REST/XML): buckets, objects (multipart above a threshold), listing,
// lifecycle rules, presigned GETs. Virtual-hosted addressing on AWS
// (bucket.s3.region.amazonaws.com), path-style when the endpoint is overridden
// (emulators) or the bucket name has dots.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "util/error.h"

namespace barrage::aws {

struct S3Object {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;  // ISO 8601 as S3 sends it
};

struct ListObjectsResult {
  std::vector<S3Object> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;
  std::string content_type;
  // User metadata: x-amz-meta-<name> headers, names lower-cased without the prefix.
  std::map<std::string, std::string> metadata;
};

struct DeleteFailure {
  std::string key;
  std::string code;
  std::string message;
};

struct LifecycleRule {
  std::string id;
  std::string prefix;
  int expiration_days = 1;
};

struct S3Options {
  // Bodies larger than this go up in parts (CreateMultipartUpload, UploadPart,
  // CompleteMultipartUpload). 8 MiB, as the AWS CLI's default: a failed part is
  // retried alone, and no request body is over 8 MiB (the Lambda tests' S3
  // emulator refuses bodies over 11 MiB; a release worker package is 11.6 MB).
  size_t multipart_threshold = 8 * 1024 * 1024;
  // S3's minimum for every part but the last is 5 MiB.
  size_t part_size = 8 * 1024 * 1024;
};

class S3Client {
 public:
  static constexpr size_t kMinPartSize = 5 * 1024 * 1024;

  explicit S3Client(ClientConfig config, S3Options options = {});

  // Creates the bucket in the client's region (LocationConstraint except in
  // us-east-1). Returns false when the caller already owns it.
  Result<bool> create_bucket(const std::string& bucket);
  // True if the bucket exists and is reachable; false on 404.
  Result<bool> head_bucket(const std::string& bucket);
  // Returns the ETag. Multipart above the threshold; a failed multipart upload
  // is aborted. `metadata` goes up as x-amz-meta-<name> headers.
  Result<std::string> put_object(const std::string& bucket, const std::string& key,
                                 std::string_view body,
                                 const std::string& content_type = "application/octet-stream",
                                 const std::map<std::string, std::string>& metadata = {});
  Result<std::string> get_object(const std::string& bucket, const std::string& key);
  // nullopt on 404.
  Result<std::optional<ObjectInfo>> head_object(const std::string& bucket, const std::string& key);
  Status delete_object(const std::string& bucket, const std::string& key);
  // DeleteObjects, at most 1000 keys (std::invalid_argument otherwise); returns
  // the keys S3 could not delete. Keys already gone count as deleted.
  Result<std::vector<DeleteFailure>> delete_objects(const std::string& bucket,
                                                    const std::vector<std::string>& keys);
  // The bucket must be empty. Returns false when it did not exist.
  Result<bool> delete_bucket(const std::string& bucket);
  Result<ListObjectsResult> list_objects_v2(const std::string& bucket, const std::string& prefix,
                                            const std::string& continuation_token = {},
                                            int max_keys = 1000);
  // Every page.
  Result<std::vector<S3Object>> list_all(const std::string& bucket, const std::string& prefix);
  // Replaces the bucket's lifecycle configuration; incomplete multipart
  // uploads are aborted after a day.
  Status put_bucket_lifecycle(const std::string& bucket, const std::vector<LifecycleRule>& rules);
  // A GET URL valid for `expires`, signed with UNSIGNED-PAYLOAD.
  std::string presign_get(const std::string& bucket, const std::string& key,
                          std::chrono::seconds expires);

  // Parts used by the last put_object (1 when not multipart).
  int last_put_parts() const { return last_put_parts_; }
  ServiceClient& client() { return client_; }

 private:
  ServiceRequest request(std::string operation, std::string iam_action, std::string method,
                         const std::string& bucket, const std::string& key);
  std::string put_multipart(const std::string& bucket, const std::string& key,
                            std::string_view body, const std::string& content_type,
                            const std::map<std::string, std::string>& metadata);

  ServiceClient client_;
  S3Options options_;
  int last_put_parts_ = 0;
};

// Response parsers (throw AwsError "MalformedResponse"); exposed for fuzzing.
ListObjectsResult parse_list_objects_v2(std::string_view xml);
std::string parse_upload_id(std::string_view xml);
// CompleteMultipartUpload can fail inside a 200 response; throws AwsError then.
std::string parse_complete_multipart(std::string_view xml);
std::vector<DeleteFailure> parse_delete_result(std::string_view xml);

// XML bodies, exposed for tests.
std::string create_bucket_body(std::string_view region);  // "" for us-east-1
std::string lifecycle_body(const std::vector<LifecycleRule>& rules);
std::string delete_objects_body(const std::vector<std::string>& keys);

}  // namespace barrage::aws
