// SQS in the JSON 1.0 protocol (POST /, X-Amz-Target: AmazonSQS.<Action>,
// Content-Type: application/x-amz-json-1.0).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "util/error.h"

namespace barrage::aws {

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::map<std::string, std::string> attributes;  // SentTimestamp, ApproximateReceiveCount, ...
};

struct BatchEntry {
  std::string id;     // unique within the batch
  std::string value;  // message body (send) or receipt handle (delete)
};

struct BatchFailure {
  std::string id;
  std::string code;
  std::string message;
  bool sender_fault = false;
};

struct BatchResult {
  std::vector<std::string> successful;  // entry ids
  std::vector<BatchFailure> failed;
};

class SqsClient {
 public:
  static constexpr size_t kMaxBatch = 10;

  explicit SqsClient(ClientConfig config) : client_(Service::kSqs, std::move(config)) {}

  // Returns the queue URL (an existing queue with the same attributes is returned as is).
  Result<std::string> create_queue(const std::string& name,
                                   const std::map<std::string, std::string>& attributes = {},
                                   const std::map<std::string, std::string>& tags = {});
  // nullopt when the queue does not exist.
  Result<std::optional<std::string>> get_queue_url(const std::string& name);
  // At most 10 entries (std::invalid_argument otherwise).
  Result<BatchResult> send_message_batch(const std::string& queue_url,
                                         const std::vector<BatchEntry>& entries);
  // Long polling: waits up to wait_seconds (0..20) for a message.
  Result<std::vector<SqsMessage>> receive_message(const std::string& queue_url,
                                                  int max_messages = 10, int wait_seconds = 20,
                                                  int visibility_timeout = -1);
  Result<BatchResult> delete_message_batch(const std::string& queue_url,
                                           const std::vector<BatchEntry>& entries);
  Status delete_queue(const std::string& queue_url);
  // Attribute name -> value ("All" for every attribute): CreatedTimestamp,
  // ApproximateNumberOfMessages, ... (all strings, as SQS sends them).
  Result<std::map<std::string, std::string>> get_queue_attributes(
      const std::string& queue_url, const std::vector<std::string>& names = {"All"});
  // Every page.
  Result<std::vector<std::string>> list_queues(const std::string& prefix = {});

  ServiceClient& client() { return client_; }

 private:
  std::string call(const std::string& action, const std::string& iam_action,
                   const std::string& json_body, std::chrono::milliseconds timeout);

  ServiceClient client_;
};

// Response parsers (throw AwsError "MalformedResponse"); exposed for fuzzing.
std::vector<SqsMessage> parse_receive_message(std::string_view json);
std::map<std::string, std::string> parse_queue_attributes(std::string_view json);
BatchResult parse_batch_result(std::string_view json, std::string_view operation);

}  // namespace barrage::aws
