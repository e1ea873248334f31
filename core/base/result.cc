#include "core/base/result.h"

namespace sendpool {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid-argument";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kAlreadyExists:
      return "already-exists";
    case ErrorCode::kRefused:
      return "refused";
    case ErrorCode::kCorrupt:
      return "corrupt";
    case ErrorCode::kSchemaTooNew:
      return "schema-too-new";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace sendpool
