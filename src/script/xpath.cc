#include "script/xpath.h"

#include <pugixml.hpp>

namespace barrage::script {

struct XPath::Compiled {
  explicit Compiled(const std::string& e) : query(e.c_str()) {}
  pugi::xpath_query query;
};

XPath XPath::compile(const std::string& expression) {
  std::shared_ptr<Compiled> c;
  try {
    c = std::make_shared<Compiled>(expression);
  } catch (const pugi::xpath_exception& e) {
    throw XPathError(e.result().description(), static_cast<size_t>(e.result().offset));
  }
  XPath x;
  x.compiled_ = std::move(c);
  return x;
}

std::optional<std::string> XPath::first_string(std::string_view body) const {
  if (!compiled_) return std::nullopt;
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed) return std::nullopt;
  return compiled_->query.evaluate_string(doc);
}

}  // namespace barrage::script
