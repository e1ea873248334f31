#include "core/proto/dsn.h"

#include <fmt/format.h>

#include <array>
#include <functional>
#include <initializer_list>

#include "core/proto/ascii.h"

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
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n'))
    ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return s.substr(b, e - b);
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool contains_any(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  for (auto n : needles)
    if (contains(haystack, n)) return true;
  return false;
}

std::optional<int> small_number(std::string_view digits) {
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  int v = 0;
  for (char c : digits) {
    if (!ascii::is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

DsnAction parse_action(std::string_view text) {
  std::string a = lower(trim(text));
  // "failed (bad mailbox)" style comments are seen in the wild.
  a = a.substr(0, a.find_first_of(" \t("));
  if (a == "failed") return DsnAction::kFailed;
  if (a == "delayed") return DsnAction::kDelayed;
  if (a == "delivered") return DsnAction::kDelivered;
  if (a == "relayed") return DsnAction::kRelayed;
  if (a == "expanded") return DsnAction::kExpanded;
  return DsnAction::kOther;
}

using PartTest = std::function<bool(const MimePart&)>;

const MimePart* find_part(const MimePart& part, const PartTest& test) {
  if (test(part)) return &part;
  for (const auto& p : part.parts)
    if (const MimePart* found = find_part(p, test)) return found;
  return nullptr;
}

bool is_delivery_status(const MimePart& p) {
  return p.content_type.is("message", "delivery-status") ||
         p.content_type.is("message", "global-delivery-status");
}

// Looks for an RFC 3463 code ("5.1.1") in free text; the first one wins.
std::optional<DsnStatus> find_enhanced_code(std::string_view text) {
  for (size_t i = 0; i + 4 < text.size(); ++i) {
    char c = text[i];
    if ((c != '2' && c != '4' && c != '5') || text[i + 1] != '.') continue;
    if (i > 0 && (ascii::is_digit(text[i - 1]) || text[i - 1] == '.')) continue;
    size_t j = i + 2, subject_start = j;
    while (j < text.size() && ascii::is_digit(text[j]))
      ++j;
    if (j >= text.size() || text[j] != '.' || j == subject_start) continue;
    size_t detail_start = ++j;
    while (j < text.size() && ascii::is_digit(text[j]))
      ++j;
    if (j == detail_start || (j < text.size() && (text[j] == '.' || ascii::is_digit(text[j]))))
      continue;
    auto s = parse_dsn_status(text.substr(i, j - i));
    if (s) return s;
  }
  return std::nullopt;
}

// A 3-digit SMTP reply code (2xx/4xx/5xx) standing alone as a word.
std::optional<int> find_reply_code(std::string_view text) {
  for (size_t i = 0; i + 3 <= text.size(); ++i) {
    char c = text[i];
    if (c != '4' && c != '5') continue;
    if (i > 0 &&
        (ascii::is_digit(text[i - 1]) || text[i - 1] == '.' || ascii::is_alpha(text[i - 1])))
      continue;
    if (!ascii::is_digit(text[i + 1]) || !ascii::is_digit(text[i + 2])) continue;
    if (i + 3 < text.size() &&
        (ascii::is_digit(text[i + 3]) || text[i + 3] == '.' || ascii::is_alpha(text[i + 3])))
      continue;
    return (c - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
  }
  return std::nullopt;
}

std::optional<DsnStatus> status_from_text(std::string_view text) {
  if (auto s = find_enhanced_code(text)) return s;
  if (auto code = find_reply_code(text)) return DsnStatus{*code / 100, 0, 0};
  return std::nullopt;
}

bool is_local_char(char c) {
  return ascii::is_atext(c) || c == '.';
}
bool is_domain_char(char c) {
  return ascii::is_ldh(c) || c == '.';
}

bool looks_like_bounce(const MimePart& message) {
  const HeaderBlock& h = message.headers;
  if (const std::string* rp = h.find("Return-Path")) {
    // Postfix's pipe(8) writes the null sender as <MAILER-DAEMON>.
    std::string v = lower(trim(*rp));
    if (v == "<>" || v.empty() || v == "<mailer-daemon>") return true;
  }
  if (const std::string* from = h.find("From")) {
    std::string f = lower(*from);
    if (contains_any(f, {"mailer-daemon", "postmaster", "mail delivery", "mail-daemon"}))
      return true;
  }
  if (const std::string* subject = h.find("Subject")) {
    std::string s = lower(*subject);
    if (contains_any(s, {"undeliver", "delivery status", "delivery failure", "delivery failed",
                         "delivery notification", "returned mail", "failure notice",
                         "mail delivery", "could not be delivered", "not delivered",
                         "delivery has failed", "nondeliverable", "non-delivery"}))
      return true;
  }
  return message.content_type.is("multipart", "report");
}

// The text a plain bounce explains itself in: its text/* leaves outside any quoted message.
void collect_text(const MimePart& part, std::string& out, size_t limit) {
  if (out.size() >= limit) return;
  if (part.content_type.type == "multipart") {
    for (const auto& p : part.parts)
      collect_text(p, out, limit);
    return;
  }
  if (part.content_type.type != "text" || part.content_type.subtype == "rfc822-headers") return;
  out.append(part.body.substr(0, limit - out.size()));
  out.push_back('\n');
}

std::vector<std::string_view> split_lines(std::string_view text, size_t max_lines) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size() && lines.size() < max_lines) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  return lines;
}

// "<addr>:" or "<addr>: more text" at the start of a line (Postfix and qmail plain bounces).
std::optional<std::string> paragraph_recipient(std::string_view line, std::string_view* rest) {
  if (line.size() < 5 || line[0] != '<') return std::nullopt;
  size_t close = line.find(">:");
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view addr = line.substr(1, close - 1);
  if (addr.find('@') == std::string_view::npos || addr.find_first_of(" \t<>") != addr.npos)
    return std::nullopt;
  *rest = line.substr(close + 2);
  return std::string(addr);
}

// Headers quoted inline in the text (after "----- Original message -----" and the like):
// from the first line that starts with a well-known header name.
std::optional<HeaderBlock> inline_headers(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kStarts = {
      "return-path:", "received:", "message-id:", "dkim-signature:", "feedback-id:", "from:"};
  size_t pos = 0;
  size_t lines = 0;
  while (pos < text.size() && lines++ < kMaxPlainBounceLines) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, (nl == text.npos ? text.size() : nl) - pos);
    std::string head = lower(line.substr(0, 16));
    for (auto s : kStarts) {
      if (head.rfind(s, 0) == 0) {
        auto block = parse_header_block(text.substr(pos));
        if (block && block->fields.size() >= 2) return std::move(block).value();
        break;
      }
    }
    if (nl == text.npos) break;
    pos = nl + 1;
  }
  return std::nullopt;
}

}  // namespace

std::string DsnStatus::str() const {
  return fmt::format("{}.{}.{}", klass, subject, detail);
}

std::optional<DsnStatus> parse_dsn_status(std::string_view text) {
  text = trim(text);
  size_t end = text.find_first_of(" \t(");
  std::string_view code = trim(text.substr(0, end));
  size_t d1 = code.find('.');
  if (d1 == std::string_view::npos) return std::nullopt;
  size_t d2 = code.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  auto k = small_number(code.substr(0, d1));
  auto s = small_number(code.substr(d1 + 1, d2 - d1 - 1));
  auto d = small_number(code.substr(d2 + 1));
  if (!k || !s || !d || (*k != 2 && *k != 4 && *k != 5) || d1 != 1) return std::nullopt;
  return DsnStatus{*k, *s, *d};
}

std::string dsn_address(std::string_view value) {
  value = trim(value);
  size_t semi = value.find(';');
  if (semi != std::string_view::npos) value = trim(value.substr(semi + 1));
  if (value.size() >= 2 && value.front() == '<' && value.back() == '>')
    value = trim(value.substr(1, value.size() - 2));
  return std::string(value);
}

Result<DeliveryReport> parse_delivery_status(std::string_view body) {
  DeliveryReport report;
  size_t pos = 0;
  bool first = true;
  while (pos < body.size()) {
    size_t consumed = 0;
    SENDPOOL_ASSIGN_OR_RETURN(HeaderBlock block, parse_header_block(body.substr(pos), &consumed));
    pos += consumed;
    if (consumed == 0) break;  // cannot happen (an empty line is consumed); stay safe
    if (block.fields.empty()) continue;
    bool is_recipient =
        block.find("Final-Recipient") || block.find("Original-Recipient") || block.find("Action");
    if (first && !is_recipient) {
      first = false;
      if (const std::string* v = block.find("Reporting-MTA")) report.reporting_mta = *v;
      if (const std::string* v = block.find("Original-Envelope-Id"))
        report.original_envelope_id = *v;
      if (const std::string* v = block.find("X-Postfix-Queue-ID")) report.postfix_queue_id = *v;
      if (const std::string* v = block.find("X-Postfix-Sender"))
        report.postfix_sender = dsn_address(*v);
      continue;
    }
    first = false;
    if (!is_recipient) continue;  // an unknown extension block
    if (report.recipients.size() >= kMaxDsnRecipients)
      return invalid(
          fmt::format("more than {} recipients in a delivery status", kMaxDsnRecipients));
    DsnRecipient r;
    if (const std::string* v = block.find("Final-Recipient")) r.final_recipient = dsn_address(*v);
    if (const std::string* v = block.find("Original-Recipient"))
      r.original_recipient = dsn_address(*v);
    if (const std::string* v = block.find("Status")) r.status = parse_dsn_status(*v);
    if (const std::string* v = block.find("Diagnostic-Code")) r.diagnostic_code = *v;
    if (const std::string* v = block.find("Remote-MTA")) r.remote_mta = *v;
    if (const std::string* v = block.find("Action")) {
      r.action = parse_action(*v);
    } else if (r.status) {
      // Lenient: some reporters leave Action out; the status class says enough.
      r.action = r.status->klass == 5   ? DsnAction::kFailed
                 : r.status->klass == 4 ? DsnAction::kDelayed
                                        : DsnAction::kDelivered;
    }
    if (r.address().empty()) return invalid("a delivery status recipient block without an address");
    report.recipients.push_back(std::move(r));
  }
  if (report.recipients.empty()) return invalid("a delivery status without any recipient");
  return report;
}

const MimePart* find_report(const MimePart& message) {
  return find_part(message,
                   [](const MimePart& p) { return p.content_type.is("multipart", "report"); });
}

std::optional<HeaderBlock> quoted_original_headers(const MimePart& report) {
  const MimePart* original = find_part(report, [](const MimePart& p) {
    const ContentType& t = p.content_type;
    return t.is("message", "rfc822") || t.is("message", "global") ||
           t.is("text", "rfc822-headers") || t.is("message", "global-headers");
  });
  if (!original) return std::nullopt;
  auto block = parse_header_block(original->body);
  if (!block || block->fields.empty()) return std::nullopt;
  return std::move(block).value();
}

Result<std::optional<DeliveryReport>> parse_dsn(const MimePart& message) {
  const MimePart* report = find_report(message);
  bool declared = report && lower(report->content_type.param("report-type")) == "delivery-status";
  const MimePart* status = find_part(message, is_delivery_status);
  if (!status) {
    if (declared) return invalid("a delivery-status report without its status part");
    return std::optional<DeliveryReport>();
  }
  SENDPOOL_ASSIGN_OR_RETURN(DeliveryReport dsn, parse_delivery_status(status->body));
  dsn.original_headers = quoted_original_headers(report ? *report : message);
  return std::optional<DeliveryReport>(std::move(dsn));
}

std::optional<DeliveryReport> parse_plain_bounce(const MimePart& message) {
  if (!looks_like_bounce(message)) return std::nullopt;
  DeliveryReport report;
  report.original_headers = quoted_original_headers(message);
  std::string text;
  collect_text(message, text, kMaxMimeMessageSize);
  if (!report.original_headers) report.original_headers = inline_headers(text);
  std::vector<std::string_view> lines = split_lines(text, kMaxPlainBounceLines);

  auto add = [&](std::string address, std::string diagnostic) {
    if (report.recipients.size() >= kMaxDsnRecipients) return;
    for (const auto& r : report.recipients)
      if (r.final_recipient == address) return;
    DsnRecipient r;
    r.final_recipient = std::move(address);
    r.action = DsnAction::kFailed;
    r.status = status_from_text(diagnostic);
    r.diagnostic_code = std::string(trim(diagnostic.substr(0, 1000)));
    report.recipients.push_back(std::move(r));
  };

  // Pass 1: "<addr>: reason" paragraphs.
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view rest;
    auto addr = paragraph_recipient(lines[i], &rest);
    if (!addr) continue;
    std::string diagnostic(trim(rest));
    for (size_t j = i + 1; j < lines.size() && !trim(lines[j]).empty(); ++j) {
      std::string_view ignored;
      if (paragraph_recipient(lines[j], &ignored)) break;
      if (diagnostic.size() < 1000) diagnostic.append(" ").append(trim(lines[j]));
    }
    add(*addr, diagnostic);
  }
  // Pass 2: an address on a line with a failure code, or just above one.
  if (report.recipients.empty()) {
    for (size_t i = 0; i < lines.size(); ++i) {
      auto found = addresses_in_text(lines[i], 4);
      if (found.empty()) continue;
      for (size_t j = i; j < lines.size() && j <= i + 2; ++j) {
        auto status = status_from_text(lines[j]);
        if (status && status->klass != 2) {
          add(found.front(), std::string(trim(lines[j])));
          break;
        }
      }
    }
  }
  // Pass 3: a failure code somewhere, and the quoted message had exactly one recipient.
  if (report.recipients.empty() && report.original_headers) {
    auto status = status_from_text(text);
    const std::string* to = report.original_headers->find("To");
    if (status && status->klass != 2 && to) {
      auto found = addresses_in_text(*to, 2);
      if (found.size() == 1) add(found.front(), status->str());
    }
  }
  return report;
}

std::vector<std::string> addresses_in_text(std::string_view text, size_t max) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (out.size() < max) {
    size_t at = text.find('@', pos);
    if (at == std::string_view::npos) break;
    size_t b = at, e = at + 1;
    while (b > 0 && is_local_char(text[b - 1]))
      --b;
    while (e < text.size() && is_domain_char(text[e]))
      ++e;
    std::string_view local = text.substr(b, at - b), domain = text.substr(at + 1, e - at - 1);
    while (!local.empty() && local.front() == '.')
      local.remove_prefix(1);
    while (!domain.empty() && (domain.back() == '.' || domain.back() == '-'))
      domain.remove_suffix(1);
    if (!local.empty() && domain.find('.') != std::string_view::npos &&
        local.size() <= kMaxAddressTextLength && domain.size() <= kMaxAddressTextLength) {
      std::string a = fmt::format("{}@{}", local, domain);
      bool seen = false;
      for (const auto& o : out)
        seen |= o == a;
      if (!seen) out.push_back(std::move(a));
    }
    pos = e > at + 1 ? e : at + 1;
  }
  return out;
}

BounceClass classify_bounce(DsnAction action, const std::optional<DsnStatus>& status,
                            std::string_view diagnostic) {
  if (action != DsnAction::kFailed) return BounceClass::kNotFailed;
  if (status && status->klass != 5) return BounceClass::kSoft;  // 4.x.x: expired after retries
  std::string text = lower(diagnostic.substr(0, 4096));
  bool policy = contains_any(text, {"spam", "blocked", "block list", "blocklist", "blacklist",
                                    "denylist", "policy", "reputation", "rate limit", "too many"});
  if (status) {
    int s = status->subject, d = status->detail;
    if (s == 1 && (d == 0 || d == 1 || d == 2 || d == 3 || d == 6 || d == 10))
      return policy && d == 0 ? BounceClass::kSoft : BounceClass::kHard;
    if (s == 2 && d == 1) return BounceClass::kHard;
    bool generic = (s == 0 && d == 0) || (s == 2 && d == 0) || s == 5;
    if (!generic) return BounceClass::kSoft;
  }
  if (policy) return BounceClass::kSoft;
  bool recipient = contains_any(
      text, {"user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
             "unknown recipient", "recipient unknown", "does not exist", "doesn't exist",
             "mailbox unavailable", "mailbox not found", "invalid recipient", "invalid mailbox",
             "address not found", "account disabled", "account has been disabled",
             "mailbox disabled", "user not found", "no mailbox here"});
  return recipient ? BounceClass::kHard : BounceClass::kSoft;
}

}  // namespace sendpool
