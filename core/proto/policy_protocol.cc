#include "core/proto/policy_protocol.h"

#include <fmt/format.h>

namespace sendpool {

std::string_view PolicyRequest::get(std::string_view name) const {
  for (auto it = attributes.rbegin(); it != attributes.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return {};
}

bool PolicyRequest::has(std::string_view name) const {
  for (const auto& [attribute, value] : attributes) {
    if (attribute == name) return true;
  }
  return false;
}

Status PolicyParser::feed(std::string_view bytes, std::vector<PolicyRequest>& out) {
  if (error_) return *error_;
  // One byte at a time, so the first offending byte decides the error however the stream was
  // split; requests are small and this is not the bottleneck.
  for (char c : bytes)
    SENDPOOL_TRY(consume(c, out));
  return ok_status();
}

bool PolicyParser::mid_request() const {
  return !error_ && request_bytes_ > 0;
}

Status PolicyParser::consume(char c, std::vector<PolicyRequest>& out) {
  if (++request_bytes_ > kMaxPolicyRequestSize)
    return fail(fmt::format("request larger than {} bytes", kMaxPolicyRequestSize));
  if (c == '\n') return end_of_line(out);
  if (c == '\0') return fail("NUL byte in request");
  // Past the limit only a CR may follow, and only as the last byte before the LF.
  bool room =
      line_.size() < kMaxPolicyLineLength || (line_.size() == kMaxPolicyLineLength && c == '\r');
  if (!room) return fail(fmt::format("line longer than {} bytes", kMaxPolicyLineLength));
  line_.push_back(c);
  return ok_status();
}

Status PolicyParser::end_of_line(std::vector<PolicyRequest>& out) {
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_.empty()) {
    if (request_.attributes.empty()) return fail("empty request (no attributes)");
    out.push_back(std::move(request_));
    request_ = PolicyRequest{};
    request_bytes_ = 0;
    return ok_status();
  }
  size_t eq = line_.find('=');
  if (eq == std::string::npos) return fail("attribute line without '='");
  if (eq == 0) return fail("attribute with an empty name");
  if (request_.attributes.size() >= kMaxPolicyAttributes)
    return fail(fmt::format("more than {} attributes in one request", kMaxPolicyAttributes));
  request_.attributes.emplace_back(line_.substr(0, eq), line_.substr(eq + 1));
  line_.clear();
  return ok_status();
}

Status PolicyParser::fail(std::string message) {
  error_ = make_error(ErrorCode::kInvalidArgument, std::move(message));
  line_.clear();
  line_.shrink_to_fit();
  request_ = PolicyRequest{};
  request_bytes_ = 0;
  return *error_;
}

std::string format_policy_reply(std::string_view action) {
  std::string reply = "action=";
  reply.reserve(reply.size() + action.size() + 2);
  for (char c : action)
    reply.push_back(c == '\n' || c == '\r' || c == '\0' ? ' ' : c);
  reply += "\n\n";
  return reply;
}

}  // namespace sendpool
