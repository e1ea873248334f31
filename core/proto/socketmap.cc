#include "core/proto/socketmap.h"

#include "core/proto/ascii.h"

namespace sendpool {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

bool is_name_char(char c) {
  return ascii::is_alpha(c) || ascii::is_digit(c) || c == '_' || c == '.' || c == '-';
}

std::string with_reason(std::string_view status, std::string_view reason) {
  std::string out(status);
  out.push_back(' ');
  for (char c : reason)
    out.push_back(c == '\n' || c == '\r' || c == '\0' ? ' ' : c);
  return out;
}

}  // namespace

Result<SocketmapRequest> parse_socketmap_request(std::string_view payload) {
  size_t space = payload.find(' ');
  if (space == std::string_view::npos) return invalid("socketmap request without a space");
  std::string_view name = payload.substr(0, space);
  std::string_view key = payload.substr(space + 1);
  if (name.empty()) return invalid("socketmap request with an empty map name");
  for (char c : name) {
    if (!is_name_char(c))
      return invalid("socketmap map name: unexpected byte " + ascii::describe_byte(c));
  }
  if (key.empty()) return invalid("socketmap request with an empty key");
  if (key.find('\0') != std::string_view::npos) return invalid("NUL byte in socketmap key");
  return SocketmapRequest{std::string(name), std::string(key)};
}

std::string socketmap_ok(std::string_view data) {
  std::string out = "OK ";
  out.append(data);
  return out;
}

std::string socketmap_notfound() {
  return "NOTFOUND ";
}

std::string socketmap_temp(std::string_view reason) {
  return with_reason("TEMP", reason);
}

std::string socketmap_perm(std::string_view reason) {
  return with_reason("PERM", reason);
}

}  // namespace sendpool
