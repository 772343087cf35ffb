#include "aws/sqs.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "aws/result.h"

namespace barrage::aws {
namespace {

using nlohmann::json;

json parse(std::string_view body, std::string_view operation) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw_malformed("SQS", operation, "not a JSON object");
  return j;
}

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The body of SendMessageBatch / DeleteMessageBatch: each entry's value under
// `value_key` (MessageBody or ReceiptHandle).
std::string batch_body(const std::string& queue_url, const std::vector<BatchEntry>& entries,
                       const char* value_key) {
  if (entries.empty() || entries.size() > SqsClient::kMaxBatch) {
    throw std::invalid_argument("an SQS batch holds 1 to 10 entries");
  }
  json list = json::array();
  for (const auto& e : entries) list.push_back({{"Id", e.id}, {value_key, e.value}});
  return json{{"QueueUrl", queue_url}, {"Entries", list}}.dump();
}

}  // namespace

std::string SqsClient::call(const std::string& action, const std::string& iam_action,
                            const std::string& json_body, std::chrono::milliseconds timeout) {
  ServiceRequest r;
  r.operation = action;
  r.iam_action = iam_action;
  r.method = "POST";
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
               {"X-Amz-Target", "AmazonSQS." + action}};
  r.body = json_body;
  r.timeout = timeout;
  return detail::call_or_throw(client_, r).body;
}

Result<std::string> SqsClient::create_queue(const std::string& name,
                                            const std::map<std::string, std::string>& attributes,
                                            const std::map<std::string, std::string>& tags) {
  return detail::guarded([&]() -> std::string {
    json body = {{"QueueName", name}};
    if (!attributes.empty()) body["Attributes"] = attributes;
    if (!tags.empty()) body["tags"] = tags;
    const json r =
        parse(call("CreateQueue", "sqs:CreateQueue", body.dump(), std::chrono::seconds(30)),
              "CreateQueue");
    std::string url = str(r, "QueueUrl");
    if (url.empty()) throw_malformed("SQS", "CreateQueue", "no QueueUrl");
    return url;
  });
}

Result<std::optional<std::string>> SqsClient::get_queue_url(const std::string& name) {
  return detail::guarded([&]() -> std::optional<std::string> {
    try {
      const json r = parse(call("GetQueueUrl", "sqs:GetQueueUrl", json{{"QueueName", name}}.dump(),
                                std::chrono::seconds(30)),
                           "GetQueueUrl");
      std::string url = str(r, "QueueUrl");
      if (url.empty()) throw_malformed("SQS", "GetQueueUrl", "no QueueUrl");
      return url;
    } catch (const AwsError& e) {
      if (e.code() == "QueueDoesNotExist" ||
          e.code() == "AWS.SimpleQueueService.NonExistentQueue") {
        return std::nullopt;
      }
      throw;
    }
  });
}

Result<BatchResult> SqsClient::send_message_batch(const std::string& queue_url,
                                                  const std::vector<BatchEntry>& entries) {
  return detail::guarded([&]() -> BatchResult {
    const std::string body = batch_body(queue_url, entries, "MessageBody");
    return parse_batch_result(
        call("SendMessageBatch", "sqs:SendMessage", body, std::chrono::seconds(30)),
        "SendMessageBatch");
  });
}

Result<std::vector<SqsMessage>> SqsClient::receive_message(const std::string& queue_url,
                                                           int max_messages, int wait_seconds,
                                                           int visibility_timeout) {
  return detail::guarded([&]() -> std::vector<SqsMessage> {
    json body = {{"QueueUrl", queue_url},
                 {"MaxNumberOfMessages", max_messages},
                 {"WaitTimeSeconds", wait_seconds},
                 {"MessageSystemAttributeNames", json::array({"All"})}};
    if (visibility_timeout >= 0) body["VisibilityTimeout"] = visibility_timeout;
    // The HTTP timeout must outlast the long poll.
    return parse_receive_message(call("ReceiveMessage", "sqs:ReceiveMessage", body.dump(),
                                      std::chrono::seconds(wait_seconds + 15)));
  });
}

Result<BatchResult> SqsClient::delete_message_batch(const std::string& queue_url,
                                                    const std::vector<BatchEntry>& entries) {
  return detail::guarded([&]() -> BatchResult {
    const std::string body = batch_body(queue_url, entries, "ReceiptHandle");
    return parse_batch_result(
        call("DeleteMessageBatch", "sqs:DeleteMessage", body, std::chrono::seconds(30)),
        "DeleteMessageBatch");
  });
}

Status SqsClient::delete_queue(const std::string& queue_url) {
  return detail::guarded([&]() -> void {
    call("DeleteQueue", "sqs:DeleteQueue", json{{"QueueUrl", queue_url}}.dump(),
         std::chrono::seconds(30));
  });
}

Result<std::map<std::string, std::string>> SqsClient::get_queue_attributes(
    const std::string& queue_url, const std::vector<std::string>& names) {
  return detail::guarded([&]() -> std::map<std::string, std::string> {
    const json body = {{"QueueUrl", queue_url}, {"AttributeNames", names}};
    return parse_queue_attributes(call("GetQueueAttributes", "sqs:GetQueueAttributes", body.dump(),
                                       std::chrono::seconds(30)));
  });
}

std::map<std::string, std::string> parse_queue_attributes(std::string_view body) {
  const json r = parse(body, "GetQueueAttributes");
  std::map<std::string, std::string> out;
  const auto attributes = r.find("Attributes");
  if (attributes == r.end()) return out;
  if (!attributes->is_object()) {
    throw_malformed("SQS", "GetQueueAttributes", "Attributes is not an object");
  }
  for (const auto& [name, value] : attributes->items()) {
    if (value.is_string()) out[name] = value.get<std::string>();
  }
  return out;
}

Result<std::vector<std::string>> SqsClient::list_queues(const std::string& prefix) {
  return detail::guarded([&]() -> std::vector<std::string> {
    std::vector<std::string> out;
    std::string token;
    for (int page = 0; page < 10000; ++page) {
      json body = {{"MaxResults", 1000}};
      if (!prefix.empty()) body["QueueNamePrefix"] = prefix;
      if (!token.empty()) body["NextToken"] = token;
      const json r =
          parse(call("ListQueues", "sqs:ListQueues", body.dump(), std::chrono::seconds(30)),
                "ListQueues");
      const auto urls = r.find("QueueUrls");
      if (urls != r.end() && urls->is_array()) {
        for (const auto& u : *urls) {
          if (u.is_string()) out.push_back(u.get<std::string>());
        }
      }
      token = str(r, "NextToken");
      if (token.empty()) break;
    }
    return out;
  });
}

std::vector<SqsMessage> parse_receive_message(std::string_view body) {
  // An empty long poll may come back as "{}".
  const json r = parse(body, "ReceiveMessage");
  std::vector<SqsMessage> out;
  const auto messages = r.find("Messages");
  if (messages == r.end()) return out;
  if (!messages->is_array()) throw_malformed("SQS", "ReceiveMessage", "Messages is not a list");
  for (const auto& m : *messages) {
    if (!m.is_object()) throw_malformed("SQS", "ReceiveMessage", "a message is not an object");
    SqsMessage msg;
    msg.message_id = str(m, "MessageId");
    msg.receipt_handle = str(m, "ReceiptHandle");
    msg.body = str(m, "Body");
    if (msg.receipt_handle.empty()) throw_malformed("SQS", "ReceiveMessage", "no ReceiptHandle");
    const auto attrs = m.find("Attributes");
    if (attrs != m.end() && attrs->is_object()) {
      for (const auto& [k, v] : attrs->items()) {
        if (v.is_string()) msg.attributes[k] = v.get<std::string>();
      }
    }
    out.push_back(std::move(msg));
  }
  return out;
}

BatchResult parse_batch_result(std::string_view body, std::string_view operation) {
  const json r = parse(body, operation);
  BatchResult out;
  const auto ok = r.find("Successful");
  if (ok != r.end() && ok->is_array()) {
    for (const auto& e : *ok) {
      if (e.is_object()) out.successful.push_back(str(e, "Id"));
    }
  }
  const auto failed = r.find("Failed");
  if (failed != r.end() && failed->is_array()) {
    for (const auto& e : *failed) {
      if (!e.is_object()) continue;
      BatchFailure f;
      f.id = str(e, "Id");
      f.code = str(e, "Code");
      f.message = str(e, "Message");
      const auto sf = e.find("SenderFault");
      f.sender_fault = sf != e.end() && sf->is_boolean() && sf->get<bool>();
      out.failed.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace barrage::aws
