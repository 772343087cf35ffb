#include "script/plan.h"

namespace barrage::script {

const char* method_name(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kHead:
      return "HEAD";
    case Method::kOptions:
      return "OPTIONS";
  }
  return "GET";
}

double Plan::total_duration_s() const {
  double total = 0;
  for (const Phase& p : phases) total += p.duration_s;
  return total;
}

}  // namespace barrage::script
