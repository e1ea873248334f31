#include "core/proto/arf.h"

#include <fmt/format.h>

#include "core/proto/ascii.h"
#include "core/proto/dsn.h"

namespace sendpool {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = ascii::to_lower(c);
  return out;
}

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t'))
    ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
    --e;
  return s.substr(b, e - b);
}

// "<a@b>" or "a@b" (some reporters add a comment or a display name): the address.
std::string arf_address(std::string_view value) {
  value = trim(value);
  size_t open = value.find('<');
  size_t close = value.find('>', open == std::string_view::npos ? 0 : open);
  if (open != std::string_view::npos && close != std::string_view::npos)
    return std::string(trim(value.substr(open + 1, close - open - 1)));
  return std::string(value.substr(0, value.find_first_of(" \t(")));
}

const MimePart* find_feedback_part(const MimePart& part) {
  if (part.content_type.is("message", "feedback-report")) return &part;
  for (const auto& p : part.parts)
    if (const MimePart* found = find_feedback_part(p)) return found;
  return nullptr;
}

}  // namespace

Result<FeedbackReport> parse_feedback_fields(std::string_view body) {
  SENDPOOL_ASSIGN_OR_RETURN(HeaderBlock block, parse_header_block(body));
  FeedbackReport r;
  const std::string* type = block.find("Feedback-Type");
  if (!type || trim(*type).empty()) return invalid("a feedback report without Feedback-Type");
  r.feedback_type = lower(trim(*type));
  if (const std::string* v = block.find("User-Agent")) r.user_agent = *v;
  if (const std::string* v = block.find("Version")) r.version = *v;
  if (const std::string* v = block.find("Original-Mail-From"))
    r.original_mail_from = arf_address(*v);
  if (const std::string* v = block.find("Arrival-Date")) r.arrival_date = *v;
  if (const std::string* v = block.find("Source-IP")) r.source_ip = *v;
  if (const std::string* v = block.find("Reporting-MTA")) r.reporting_mta = *v;
  for (const auto& v : block.all("Original-Rcpt-To")) {
    if (r.original_rcpt_to.size() >= kMaxArfRecipients)
      return invalid(fmt::format("more than {} Original-Rcpt-To fields", kMaxArfRecipients));
    std::string a = arf_address(v);
    if (!a.empty()) r.original_rcpt_to.push_back(std::move(a));
  }
  for (const auto& v : block.all("Reported-Domain"))
    if (r.reported_domains.size() < kMaxArfRecipients) r.reported_domains.push_back(v);
  return r;
}

Result<std::optional<FeedbackReport>> parse_arf(const MimePart& message) {
  const MimePart* report = find_report(message);
  bool declared = report && lower(report->content_type.param("report-type")) == "feedback-report";
  const MimePart* fields = find_feedback_part(message);
  if (!fields) {
    if (declared) return invalid("a feedback report without its message/feedback-report part");
    return std::optional<FeedbackReport>();
  }
  SENDPOOL_ASSIGN_OR_RETURN(FeedbackReport r, parse_feedback_fields(fields->body));
  r.original_headers = quoted_original_headers(report ? *report : message);
  return std::optional<FeedbackReport>(std::move(r));
}

bool is_complaint_feedback(std::string_view feedback_type) {
  std::string t = lower(trim(feedback_type));
  return t == "abuse" || t == "fraud" || t == "virus";
}

bool is_redacted_address(std::string_view address) {
  size_t at = address.rfind('@');
  std::string local = lower(trim(at == std::string_view::npos ? address : address.substr(0, at)));
  if (local.size() >= 2 && local.front() == '"' && local.back() == '"')
    local = local.substr(1, local.size() - 2);
  if (local.empty()) return true;
  if (local.find("redacted") != std::string::npos) return true;
  char first = local.front();
  if (first != 'x' && first != '*' && first != '#' && first != '-' && first != '_') return false;
  if (local.size() < 3) return false;  // "x@example.com" may well be a real mailbox
  return local.find_first_not_of(first) == std::string::npos;
}

}  // namespace sendpool
