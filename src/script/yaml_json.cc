// Hand-written rather than via nlohmann::json: numbers keep the exact text the
// script wrote (no double round-trip), key order is preserved, and the walk
// enforces the loader's depth and size limits on aliased (possibly cyclic)
// yaml-cpp node graphs.
#include "script/yaml_json.h"

#include <fmt/format.h>

#include "script/json_escape.h"
#include "util/ascii.h"

namespace barrage::script::detail {
namespace {

using ascii::is_json_number;

bool is_string_tag(const std::string& tag) { return tag == "!" || tag == "tag:yaml.org,2002:str"; }

void append_string(std::string& out, std::string_view s) {
  out += '"';
  append_json_escaped(out, s);
  out += '"';
}

void append_scalar(std::string& out, const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (is_string_tag(node.Tag())) {
    append_string(out, s);
  } else if (s == "true" || s == "True" || s == "TRUE") {
    out += "true";
  } else if (s == "false" || s == "False" || s == "FALSE") {
    out += "false";
  } else if (is_json_number(s)) {
    out += s;
  } else if (s.size() > 1 && s.front() == '+' && is_json_number(s.substr(1)) && s[1] != '-') {
    out += s.substr(1);
  } else {
    append_string(out, s);
  }
}

class Writer {
 public:
  explicit Writer(LoadContext& ctx) : ctx_(ctx) {}

  void write(const YAML::Node& node, int depth) {
    ctx_.charge(node);
    if (depth > kMaxDepth)
      ctx_.fail(node, fmt::format("json nested deeper than {} levels", kMaxDepth));
    if (out_.size() > kMaxJsonBytes) {
      ctx_.fail(node, fmt::format("json body larger than {} bytes", kMaxJsonBytes));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        if (is_string_tag(node.Tag())) {
          out_ += "\"\"";
        } else {
          out_ += "null";
        }
        break;
      case YAML::NodeType::Scalar:
        append_scalar(out_, node);
        break;
      case YAML::NodeType::Sequence: {
        out_ += '[';
        bool first = true;
        for (const auto& item : node) {
          if (!first) out_ += ',';
          first = false;
          write(item, depth + 1);
        }
        out_ += ']';
        break;
      }
      case YAML::NodeType::Map: {
        out_ += '{';
        bool first = true;
        for (const auto& kv : node) {
          if (!first) out_ += ',';
          first = false;
          if (kv.first.IsNull()) {
            out_ += "\"null\"";
          } else if (kv.first.IsScalar()) {
            append_string(out_, kv.first.Scalar());
          } else {
            ctx_.fail(kv.first, "json keys must be strings");
          }
          out_ += ':';
          write(kv.second, depth + 1);
        }
        out_ += '}';
        break;
      }
    }
  }

  std::string take() { return std::move(out_); }

 private:
  LoadContext& ctx_;
  std::string out_;
};

}  // namespace

std::string yaml_to_json(LoadContext& ctx, const YAML::Node& node) {
  Writer w(ctx);
  w.write(node, 0);
  return w.take();
}

}  // namespace barrage::script::detail
