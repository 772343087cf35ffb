// Fuzzes the AWS JSON response parsers: error bodies (SQS JSON 1.0, Lambda),
// SQS ReceiveMessage, batch results and GetQueueAttributes, Lambda
// GetFunctionConfiguration and ListFunctions, and
// credentials documents (credential_process, container, IMDS). Each either
// returns a value or throws its documented error type.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "aws/credentials.h"
#include "aws/errors.h"
#include "aws/lambda.h"
#include "aws/sqs.h"

namespace {

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

template <typename E, typename F>
void guarded(F&& f) {
  try {
    f();
  } catch (const E& e) {
    FUZZ_CHECK(e.what()[0] != '\0');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace barrage::aws;
  const ErrorInfo info =
      parse_error_response(400, in, {{"x-amzn-ErrorType", std::string(in.substr(0, 40))}});
  (void)describe_error("Lambda", "Invoke", "lambda:InvokeFunction", 400, info);
  guarded<AwsError>([&] {
    for (const auto& m : parse_receive_message(in)) FUZZ_CHECK(!m.receipt_handle.empty());
  });
  guarded<AwsError>([&] { (void)parse_batch_result(in, "SendMessageBatch"); });
  guarded<AwsError>([&] { FUZZ_CHECK(!parse_function_configuration(in).name.empty()); });
  guarded<AwsError>([&] { (void)parse_queue_attributes(in); });
  guarded<AwsError>([&] {
    std::string marker;
    for (const auto& f : parse_list_functions(in, &marker)) FUZZ_CHECK(!f.name.empty());
  });
  for (auto format : {CredentialsJson::kProcess, CredentialsJson::kMetadata}) {
    guarded<CredentialsError>([&] {
      const Credentials c = parse_credentials_json(in, format);
      FUZZ_CHECK(!c.access_key_id.empty() && !c.secret_access_key.empty());
    });
  }
  (void)parse_iso8601(in);
  return 0;
}
