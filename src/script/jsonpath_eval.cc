// JSONPath evaluation over a document parsed with nlohmann::json (exceptions
// off). Depth-first, so matches come out in pre-order and evaluation can stop
// as soon as a limit is hit. The nesting guard runs before parsing because the
// evaluator, the serializer and the library's recursive paths use the stack in
// proportion to nesting depth.
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "script/jsonpath.h"

namespace barrage::script {

using jsonpath_detail::CmpOp;
using jsonpath_detail::Filter;
using jsonpath_detail::Literal;
using jsonpath_detail::Program;
using jsonpath_detail::Selector;
using jsonpath_detail::Step;
using jsonpath_detail::Term;
using Json = nlohmann::json;

namespace {

// True when brackets outside strings nest deeper than JsonPath::kMaxDepth. An
// approximation for invalid text, which the parser then rejects anyway.
bool nested_too_deep(std::string_view text) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > JsonPath::kMaxDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// The element at `index` (negative counts from the end), or nullptr.
const Json* element(const Json& array, int64_t index) {
  const auto size = static_cast<int64_t>(array.size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) return nullptr;
  return &array[static_cast<size_t>(index)];
}

// Member `name` of an object, or the element it names in an array.
const Json* member(const Json& node, const std::string& name, int64_t index) {
  if (node.is_object()) {
    const auto it = node.find(name);
    return it == node.end() ? nullptr : &*it;
  }
  if (node.is_array() && index >= 0) return element(node, index);
  return nullptr;
}

const Json* resolve(const Json& node, const std::vector<Step>& path) {
  const Json* cur = &node;
  for (const Step& step : path) {
    if (step.is_index) {
      cur = cur->is_array() ? element(*cur, step.index) : nullptr;
    } else {
      cur = member(*cur, step.name, step.index);
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

template <typename T>
bool compare(const T& a, const T& b, CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return a == b;
    case CmpOp::kNe:
      return !(a == b);
    case CmpOp::kLt:
      return a < b;
    case CmpOp::kLe:
      return a <= b;
    case CmpOp::kGt:
      return a > b;
    case CmpOp::kGe:
      return a >= b;
    case CmpOp::kExists:
      return true;
  }
  return false;
}

bool term_holds(const Term& term, const Json& candidate) {
  const Json* v = resolve(candidate, term.path);
  if (v == nullptr) return false;
  const Literal& lit = term.literal;
  const bool equality = term.op == CmpOp::kEq || term.op == CmpOp::kNe;
  switch (lit.kind) {
    case Literal::Kind::kNumber:
      return v->is_number() && compare(v->get<double>(), lit.number, term.op);
    case Literal::Kind::kString:
      return v->is_string() && compare(std::string_view(v->get_ref<const std::string&>()),
                                       std::string_view(lit.text), term.op);
    case Literal::Kind::kTrue:
    case Literal::Kind::kFalse:
      return equality && v->is_boolean() &&
             compare(v->get<bool>(), lit.kind == Literal::Kind::kTrue, term.op);
    case Literal::Kind::kNull:
      return equality && v->is_null() && term.op == CmpOp::kEq;
  }
  return false;
}

bool filter_holds(const Filter& filter, const Json& candidate) {
  for (const auto& all_of : filter.any_of) {
    bool holds = true;
    for (const Term& term : all_of) {
      if (term.op == CmpOp::kExists ? resolve(candidate, term.path) == nullptr
                                    : !term_holds(term, candidate)) {
        holds = false;
        break;
      }
    }
    if (holds) return true;
  }
  return false;
}

class Evaluator {
 public:
  Evaluator(const Program& program, std::vector<std::string>& out) : program_(program), out_(out) {}

  void run(size_t seg, const Json& node) {
    if (!visit()) return;
    if (seg == program_.segments.size()) {
      emit(node);
      return;
    }
    if (program_.segments[seg].descendant) {
      descend(seg, node);
    } else {
      for (const Selector& sel : program_.segments[seg].selectors) select(seg, sel, node);
    }
  }

 private:
  // Counts one visited node; false once evaluation must stop.
  bool visit() {
    if (stopped_) return false;
    if (++visits_ > JsonPath::kMaxVisits) stopped_ = true;
    return !stopped_;
  }

  void descend(size_t seg, const Json& node) {
    for (const Selector& sel : program_.segments[seg].selectors) select(seg, sel, node);
    if (!node.is_structured()) return;
    for (const Json& child : node) {
      if (!visit()) return;
      descend(seg, child);
    }
  }

  void select(size_t seg, const Selector& sel, const Json& node) {
    const size_t next = seg + 1;
    switch (sel.kind) {
      case Selector::Kind::kName:
        if (const Json* v = member(node, sel.name, sel.index)) {
          run(next, *v);
        } else if (node.is_array() && sel.name == "length" && next == program_.segments.size() &&
                   !program_.segments[seg].descendant) {
          emit_text(std::to_string(node.size()));
        }
        break;
      case Selector::Kind::kIndex:
        if (node.is_array()) {
          if (const Json* v = element(node, sel.index)) run(next, *v);
        }
        break;
      case Selector::Kind::kWildcard:
        if (node.is_structured()) {
          for (const Json& child : node) run(next, child);
        }
        break;
      case Selector::Kind::kSlice:
        if (node.is_array()) slice(next, sel, node);
        break;
      case Selector::Kind::kFilter:
        if (node.is_structured()) {
          const Filter& filter = program_.filters[sel.filter];
          for (const Json& child : node) {
            if (!visit()) return;
            if (filter_holds(filter, child)) run(next, child);
          }
        }
        break;
    }
  }

  // Python slice semantics; bounds are at most 2^53 so the arithmetic cannot
  // overflow.
  void slice(size_t next, const Selector& sel, const Json& array) {
    const auto n = static_cast<int64_t>(array.size());
    const auto norm = [n](int64_t i, int64_t lo, int64_t hi) {
      if (i < 0) i += n;
      return i < lo ? lo : (i > hi ? hi : i);
    };
    if (sel.step > 0) {
      const int64_t start = sel.has_start ? norm(sel.start, 0, n) : 0;
      const int64_t end = sel.has_end ? norm(sel.end, 0, n) : n;
      for (int64_t i = start; i < end && !stopped_; i += sel.step) {
        run(next, array[static_cast<size_t>(i)]);
      }
    } else {
      const int64_t start = sel.has_start ? norm(sel.start, -1, n - 1) : n - 1;
      const int64_t end = sel.has_end ? norm(sel.end, -1, n - 1) : -1;
      for (int64_t i = start; i > end && !stopped_; i += sel.step) {
        run(next, array[static_cast<size_t>(i)]);
      }
    }
  }

  void emit(const Json& node) {
    if (node.is_string()) {
      emit_text(node.get_ref<const std::string&>());
    } else if (node.is_number_float() && std::nearbyint(node.get<double>()) == node.get<double>() &&
               std::fabs(node.get<double>()) < 1e15) {
      emit_text(std::to_string(static_cast<int64_t>(node.get<double>())));
    } else {
      emit_text(node.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  }

  void emit_text(std::string text) {
    if (stopped_) return;
    if (bytes_ + text.size() > JsonPath::kMaxResultBytes) {
      stopped_ = true;
      return;
    }
    bytes_ += text.size();
    out_.push_back(std::move(text));
    if (out_.size() >= JsonPath::kMaxResults) stopped_ = true;
  }

  const Program& program_;
  std::vector<std::string>& out_;
  size_t visits_ = 0;
  size_t bytes_ = 0;
  bool stopped_ = false;
};

}  // namespace

std::optional<std::vector<std::string>> JsonPath::evaluate(std::string_view json_document) const {
  if (nested_too_deep(json_document)) return std::nullopt;
  const Json doc = Json::parse(json_document.begin(), json_document.end(), nullptr,
                               /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::nullopt;
  std::vector<std::string> out;
  Evaluator(*program_, out).run(0, doc);
  return out;
}

}  // namespace barrage::script
