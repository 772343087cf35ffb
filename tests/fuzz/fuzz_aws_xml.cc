// Fuzzes the AWS XML response parsers: error bodies (S3/IAM/STS forms),
// ListObjectsV2, CreateMultipartUpload, CompleteMultipartUpload, STS
// GetCallerIdentity/AssumeRole, IAM GetRole and S3 DeleteObjects. Each either returns a value
// or throws AwsError; nothing else may escape, and parse results are sane.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "aws/errors.h"
#include "aws/iam.h"
#include "aws/s3.h"
#include "aws/sts.h"

namespace {

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

template <typename F>
void guarded(F&& f) {
  try {
    f();
  } catch (const barrage::aws::AwsError& e) {
    FUZZ_CHECK(e.what()[0] != '\0');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace barrage::aws;
  for (int status : {0, 200, 400, 403, 404, 503}) {
    const ErrorInfo info = parse_error_response(status, in, {});
    if (status != 0 && status != 200) FUZZ_CHECK(!info.code.empty());
    (void)describe_error("S3", "PutObject", "s3:PutObject", status, info);
  }
  guarded([&] {
    const auto r = parse_list_objects_v2(in);
    if (!r.truncated) (void)r.next_continuation_token.size();
  });
  guarded([&] { FUZZ_CHECK(!parse_upload_id(in).empty()); });
  guarded([&] { (void)parse_complete_multipart(in); });
  guarded([&] { FUZZ_CHECK(!parse_get_caller_identity(in).account.empty()); });
  guarded([&] {
    const Credentials c = parse_assume_role(in);
    FUZZ_CHECK(!c.access_key_id.empty() && c.expiration.has_value());
  });
  guarded([&] { FUZZ_CHECK(!parse_role(in, "GetRole").arn.empty()); });
  guarded([&] { (void)parse_delete_result(in); });
  return 0;
}
