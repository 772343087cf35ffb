// Compiled XPath 1.0 expressions for `capture: { xpath: ... }` (Artillery's
// XML capture, the artillery-xml-capture plugin: libxmljs's
// `doc.get(expr).text()`), on pugixml's XPath engine.
//
// The body is parsed as XML (not HTML); the value is the XPath string value of
// the result: for a node set, of its first node in document order (an
// element's text, an attribute's value, a text node's text); for a number,
// string or boolean expression, that value as text. Names match as written,
// prefix included (`//soap:Body`); pugixml does not resolve namespaces.
// Immutable once compiled; copies share it; evaluation from many threads at
// once is safe.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace barrage::script {

class XPathError : public std::runtime_error {
 public:
  XPathError(const std::string& what, size_t offset) : std::runtime_error(what), offset_(offset) {}
  [[nodiscard]] size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

class XPath {
 public:
  XPath() = default;
  // Throws XPathError on a bad expression.
  static XPath compile(const std::string& expression);
  // The string value of the expression on the XML document `body`; nullopt
  // when the body is not well-formed XML. Empty when nothing matched.
  [[nodiscard]] std::optional<std::string> first_string(std::string_view body) const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace barrage::script
