#include "tools/feedback/inbound.h"

#include <fmt/format.h>

#include "core/proto/address.h"
#include "core/proto/arf.h"
#include "core/proto/dsn.h"
#include "core/proto/header_address.h"
#include "core/proto/mime_message.h"

namespace sendpool::feedback {
namespace {

constexpr size_t kMaxCandidates = 64;        // addresses tried as tokens per message
constexpr size_t kMaxTextScan = 256 * 1024;  // bytes of plain text scanned for a token

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool all_of(std::string_view s, std::string_view alphabet, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  return s.find_first_not_of(alphabet) == std::string_view::npos;
}

std::string strip_angles(std::string_view a) {
  while (!a.empty() && (a.front() == ' ' || a.front() == '\t'))
    a.remove_prefix(1);
  while (!a.empty() && (a.back() == ' ' || a.back() == '\t'))
    a.remove_suffix(1);
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return std::string(a);
}

// Collects candidate addresses and checks them as tokens, first valid one wins.
class TokenSearch {
 public:
  explicit TokenSearch(const InboundContext& c) : c_(c) {}

  void consider(std::string_view address) {
    if (token_ || tried_ >= kMaxCandidates) return;
    std::string a = strip_angles(address);
    if (!is_token_shaped(a, c_.return_path_domain)) return;
    ++tried_;
    token_ = decode_return_path(a, c_.return_path_domain, c_.secret);
    if (!token_) forged_ = true;
  }
  // Every address at the return-path domain in free text (headers, bounce text).
  void consider_text(std::string_view text) {
    if (token_) return;
    text = text.substr(0, kMaxTextScan);
    std::string needle = "@" + lower(c_.return_path_domain);
    std::string low = lower(text);
    if (low.find(needle) == std::string::npos) return;
    for (const auto& a : addresses_in_text(text, kMaxCandidates))
      consider(a);
  }
  void consider_headers(const std::optional<HeaderBlock>& h) {
    if (!h) return;
    for (const auto& v : h->all("Return-Path"))
      consider(v);
    for (const auto& v : h->all("List-Unsubscribe"))
      consider_text(v);
    for (const auto& f : h->fields)
      consider_text(f.value);
  }

  const std::optional<ReturnPathToken>& token() const { return token_; }
  bool forged() const { return forged_; }

 private:
  const InboundContext& c_;
  std::optional<ReturnPathToken> token_;
  bool forged_ = false;
  size_t tried_ = 0;
};

// A feedback type as it may appear in a log line.
std::string sanitize_type(std::string_view type) {
  std::string out;
  for (char c : type.substr(0, 40))
    out.push_back((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ? c : '?');
  return out;
}

Verdict ignore(std::string reason) {
  Verdict v;
  v.disposition = Disposition::kIgnore;
  v.reason = std::move(reason);
  return v;
}

Verdict unparseable(std::string reason) {
  Verdict v;
  v.disposition = Disposition::kUnparseable;
  v.reason = std::move(reason);
  return v;
}

// The verdict once the token search is over: forged, not ours, or apply.
Verdict with_token(Verdict v, const TokenSearch& search, std::string_view what) {
  if (search.token()) {
    v.token = *search.token();
    return v;
  }
  if (search.forged()) {
    Verdict f = ignore(fmt::format("{} with a forged token", what));
    f.forged = true;
    return f;
  }
  return ignore(fmt::format("{} without a token of ours", what));
}

std::vector<BouncedRecipient> failed_recipients(const DeliveryReport& report,
                                                std::string_view return_path_domain) {
  std::vector<BouncedRecipient> out;
  for (const auto& r : report.recipients) {
    BounceClass c = classify_bounce(r.action, r.status, r.diagnostic_code);
    if (c == BounceClass::kNotFailed) continue;
    std::string address = strip_angles(r.address());
    // Our own addresses are never the recipients a bounce is about (a plain-text scan may
    // pick up the return path itself).
    if (iequals_ascii(std::string(domain_of(address)), return_path_domain)) continue;
    std::string detail = r.status ? r.status->str() : "no status";
    if (!r.diagnostic_code.empty()) detail += " " + r.diagnostic_code;
    out.push_back({address, c == BounceClass::kHard, detail});
  }
  return out;
}

Verdict bounce_verdict(const DeliveryReport& report, bool rfc3464, TokenSearch& search,
                       const InboundContext& c) {
  if (rfc3464) search.consider(report.postfix_sender);
  search.consider_headers(report.original_headers);
  Verdict v;
  v.disposition = Disposition::kApply;
  v.kind = ReportKind::kBounce;
  v.rfc3464 = rfc3464;
  v.bounced = failed_recipients(report, c.return_path_domain);
  v = with_token(std::move(v), search, rfc3464 ? "a delivery status notification" : "a bounce");
  if (v.disposition == Disposition::kApply && v.bounced.empty())
    return ignore(rfc3464 ? "a delivery status notification without a failed recipient"
                          : "a bounce without a recognisable failed recipient");
  return v;
}

// The complaining recipient: Original-Rcpt-To, else the quoted To: when it names one mailbox.
std::string complaint_recipient(const FeedbackReport& arf) {
  std::vector<std::string> candidates = arf.original_rcpt_to;
  if (candidates.empty() && arf.original_headers) {
    if (const std::string* to = arf.original_headers->find("To")) {
      auto mailboxes = parse_header_mailboxes(*to);
      if (mailboxes && mailboxes->size() == 1) candidates.push_back(mailboxes->front());
    }
  }
  if (candidates.size() != 1) return {};  // several or none: no one to single out
  std::string a = strip_angles(candidates.front());
  return is_redacted_address(a) ? std::string() : a;
}

Verdict complaint_verdict(const FeedbackReport& arf, TokenSearch& search) {
  if (!is_complaint_feedback(arf.feedback_type))
    return ignore(fmt::format("a feedback report of type \"{}\", not a complaint",
                              sanitize_type(arf.feedback_type)));
  search.consider(arf.original_mail_from);
  search.consider_headers(arf.original_headers);
  Verdict v;
  v.disposition = Disposition::kApply;
  v.kind = ReportKind::kComplaint;
  v.feedback_type = arf.feedback_type;
  v.complaint_recipient = complaint_recipient(arf);
  return with_token(std::move(v), search, "a feedback report");
}

Verdict unsubscribe_verdict(const MimePart& message, const ReturnPathToken& token,
                            const InboundContext& c) {
  Verdict v;
  v.disposition = Disposition::kApply;
  v.kind = ReportKind::kUnsubscribe;
  v.token = token;
  if (const std::string* from = message.headers.find("From")) {
    auto mailboxes = parse_header_mailboxes(*from);
    if (mailboxes && !mailboxes->empty()) v.unsubscriber = mailboxes->front();
  }
  // The envelope sender: --sender, else the Return-Path: pipe(8) adds (flag R). Postfix
  // spells the null sender MAILER-DAEMON there; that is nobody to unsubscribe.
  std::string envelope = strip_angles(c.sender);
  if (envelope.empty())
    if (const std::string* rp = message.headers.find("Return-Path")) envelope = strip_angles(*rp);
  if (v.unsubscriber.empty() && envelope.find('@') != std::string::npos) v.unsubscriber = envelope;
  if (v.unsubscriber.empty()) return ignore("an unsubscribe mail without a sender address");
  return v;
}

// The text of every part, for a token quoted somewhere in a plain-text bounce.
void consider_bodies(const MimePart& part, TokenSearch& search) {
  search.consider_text(part.body);
  for (const auto& p : part.parts)
    consider_bodies(p, search);
}

}  // namespace

bool is_token_shaped(std::string_view address, std::string_view domain) {
  std::string a = strip_angles(address);
  size_t at = a.rfind('@');
  if (at == std::string::npos || at > kMaxLocalPartLength) return false;
  std::string d = lower(std::string_view(a).substr(at + 1));
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d != lower(domain)) return false;
  std::string local = lower(std::string_view(a).substr(0, at));
  constexpr std::string_view kHex = "0123456789abcdef", kB32 = "abcdefghijklmnopqrstuvwxyz234567";
  std::string_view parts[5];
  std::string_view rest = local;
  for (int i = 0; i < 5; ++i) {
    size_t dot = rest.find('.');
    if ((i < 4) != (dot != std::string_view::npos)) return false;
    parts[i] = rest.substr(0, dot);
    rest = i < 4 ? rest.substr(dot + 1) : std::string_view();
  }
  return (parts[0] == "b" || parts[0] == "u") && all_of(parts[1], kHex, 1, 16) &&
         all_of(parts[2], kHex, 1, 8) && all_of(parts[3], kB32, 1, kMaxTagLength) &&
         all_of(parts[4], kB32, kMacTextLength, kMacTextLength);
}

Verdict analyze_inbound(std::string_view bytes, const InboundContext& c) {
  if (bytes.empty()) return unparseable("an empty message");
  auto message = parse_mime_message(bytes);
  if (!message) return unparseable(message.error().message);

  TokenSearch search(c);
  search.consider(c.recipient);
  if (search.forged()) {
    Verdict f = ignore("mail to a forged token");
    f.forged = true;
    return f;
  }

  auto arf = parse_arf(*message);
  if (!arf) return unparseable(arf.error().message);
  if (*arf) return complaint_verdict(**arf, search);

  auto dsn = parse_dsn(*message);
  if (!dsn) return unparseable(dsn.error().message);
  if (*dsn) return bounce_verdict(**dsn, true, search, c);

  if (search.token() && search.token()->kind == TokenKind::kUnsubscribe)
    return unsubscribe_verdict(*message, *search.token(), c);

  auto plain = parse_plain_bounce(*message);
  if (!plain) {
    if (search.token()) return ignore("mail to the return path that is not a bounce");
    return ignore("mail without a token of ours");
  }
  // The bounce was addressed to our return path: To: names it when the envelope did not.
  if (const std::string* to = message->headers.find("To")) search.consider_text(*to);
  consider_bodies(*message, search);
  return bounce_verdict(*plain, false, search, c);
}

}  // namespace sendpool::feedback
