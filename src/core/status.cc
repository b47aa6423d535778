#include "core/status.h"

namespace gtops {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kBadInput: return "bad_input";
    case StatusCode::kBadConfig: return "bad_config";
    case StatusCode::kStoreError: return "store_error";
    case StatusCode::kGateFailed: return "gate_failed";
    case StatusCode::kUsage: return "usage";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace gtops
