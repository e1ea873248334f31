#include "core/model/bounce_class.h"

#include <array>
#include <cstddef>
#include <optional>
#include <string>

namespace sendpool {
namespace {

// Longest reply text looked at; replies are bounded by Postfix's line length anyway.
constexpr size_t kMaxClassifiedText = 4096;

struct Code {
  int klass = 0;  // 2, 4 or 5
  int subject = -1;
  int detail = -1;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads 1 to 3 digits at `pos`.
std::optional<int> number_at(std::string_view s, size_t& pos) {
  size_t start = pos;
  int v = 0;
  while (pos < s.size() && is_digit(s[pos]) && pos - start < 3)
    v = v * 10 + (s[pos++] - '0');
  if (pos == start) return std::nullopt;
  return v;
}

// "5.1.1" -> {5, 1, 1}; nullopt unless the whole text is class.subject.detail.
std::optional<Code> parse_dsn(std::string_view dsn) {
  if (dsn.size() < 5 || (dsn[0] != '2' && dsn[0] != '4' && dsn[0] != '5') || dsn[1] != '.')
    return std::nullopt;
  Code c;
  c.klass = dsn[0] - '0';
  size_t pos = 2;
  auto subject = number_at(dsn, pos);
  if (!subject || pos >= dsn.size() || dsn[pos] != '.') return std::nullopt;
  ++pos;
  auto detail = number_at(dsn, pos);
  if (!detail || pos != dsn.size()) return std::nullopt;
  c.subject = *subject;
  c.detail = *detail;
  return c;
}

// The class of a basic reply code at the start of the reply ("550 …" -> 5).
int reply_class(std::string_view reply) {
  if (reply.size() >= 3 && (reply[0] == '4' || reply[0] == '5') && is_digit(reply[1]) &&
      is_digit(reply[2]) && (reply.size() == 3 || reply[3] == ' ' || reply[3] == '-'))
    return reply[0] - '0';
  return 0;
}

std::string lower(std::string_view s) {
  std::string out(s.substr(0, kMaxClassifiedText));
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c);
}

// A pattern: a lower-case substring, or (with a "w:" prefix) a whole word.
bool matches(std::string_view text, std::string_view pattern) {
  bool word = pattern.starts_with("w:");
  if (word) pattern.remove_prefix(2);
  for (size_t at = text.find(pattern); at != std::string_view::npos;
       at = text.find(pattern, at + 1)) {
    if (!word) return true;
    size_t end = at + pattern.size();
    bool left = at == 0 || !is_word_char(text[at - 1]);
    bool right = end == text.size() || !is_word_char(text[end]);
    if (left && right) return true;
  }
  return false;
}

template <size_t N>
bool any_of(std::string_view text, const std::array<std::string_view, N>& patterns) {
  for (std::string_view p : patterns)
    if (matches(text, p)) return true;
  return false;
}

// Rule 5: the receiver refused the sender, not the address.
constexpr std::array<std::string_view, 46> kBlockPatterns = {
    "blocked",
    "block list",
    "blocklist",
    "blacklist",
    "black list",
    "denylist",
    "spam",
    "spamhaus",
    "spamcop",
    "barracuda",
    "w:rbl",
    "dnsbl",
    "reputation",
    "policy",
    "is listed",
    "are listed",
    "listed at",
    "listed on",
    "listed by",
    "client host",
    "your ip",
    "sending ip",
    "ip address",
    "w:ip",
    "w:helo",
    "w:ptr",
    "reverse dns",
    "w:spf",
    "w:dkim",
    "w:dmarc",
    "abuse",
    "unsolicited",
    "rate limit",
    "too many",
    "relay access",
    "relaying",
    "unable to relay",
    "not authorized",
    "not permitted",
    "banned",
    "virus",
    "malware",
    "phish",
    "bulk mail",
    "junk",
    "rejected due to",
};

// Rule 7: the mailbox exists but is full.
constexpr std::array<std::string_view, 7> kMailboxFullPatterns = {
    "mailbox full",     "mailbox is full",      "over quota",         "quota exceeded",
    "exceeded storage", "insufficient storage", "mailbox size limit",
};

// Rule 8: the address does not (or no longer) exist.
constexpr std::array<std::string_view, 36> kNoSuchUserPatterns = {
    "user unknown",
    "unknown user",
    "no such user",
    "no such mailbox",
    "no such recipient",
    "no such address",
    "no such account",
    "mailbox unavailable",
    "mailbox not found",
    "does not exist",
    "doesn't exist",
    "invalid recipient",
    "invalid mailbox",
    "invalid address",
    "recipient rejected",
    "address rejected",
    "user not found",
    "recipient not found",
    "address not found",
    "recipient unknown",
    "unknown recipient",
    "not listed in",
    "account disabled",
    "account has been disabled",
    "mailbox disabled",
    "mailbox is disabled",
    "account is disabled",
    "inactive",
    "unrouteable address",
    "undeliverable address",
    "not a valid mailbox",
    "no mailbox",
    "mailbox has been disabled",
    "address unknown",
    "unknown address",
    "unknown or illegal alias",
};

// Rule 9 (text half): the message, not the address, was the problem.
constexpr std::array<std::string_view, 3> kMessagePatterns = {
    "message too large",
    "message size exceeds",
    "message is too large",
};

BounceVerdict verdict(BounceClass kind, std::string_view rule) {
  return BounceVerdict{kind, rule};
}

}  // namespace

std::string_view to_string(BounceClass c) {
  switch (c) {
    case BounceClass::kHard:
      return "hard";
    case BounceClass::kSoft:
      return "soft";
    case BounceClass::kBlock:
      return "block";
  }
  return "soft";
}

std::string_view remote_reply(std::string_view text) {
  constexpr std::string_view kSaid = " said: ";
  if (size_t said = text.find(kSaid); said != std::string_view::npos)
    text.remove_prefix(said + kSaid.size());
  constexpr std::string_view kInReplyTo = " (in reply to ";
  if (size_t tail = text.rfind(kInReplyTo);
      tail != std::string_view::npos && text.ends_with(" command)"))
    text = text.substr(0, tail);
  return text;
}

BounceVerdict classify_bounce(std::string_view dsn, std::string_view text) {
  std::string_view reply = remote_reply(text);
  std::string r = lower(reply);
  std::optional<Code> code = parse_dsn(dsn);
  int klass = code ? code->klass : reply_class(reply);

  if (klass == 2) return verdict(BounceClass::kSoft, "success");
  if (code && code->subject == 7) return verdict(BounceClass::kBlock, "policy-status");
  if (klass == 4) {
    if (any_of(r, kBlockPatterns)) return verdict(BounceClass::kBlock, "transient");
    return verdict(BounceClass::kSoft, "transient");
  }
  if (klass != 5) return verdict(BounceClass::kSoft, "unknown");

  int subject = code ? code->subject : -1;
  int detail = code ? code->detail : -1;
  if (subject == 1 && (detail == 1 || detail == 2 || detail == 3 || detail == 6 || detail == 10))
    return verdict(BounceClass::kHard, "bad-address");
  if (any_of(r, kBlockPatterns)) return verdict(BounceClass::kBlock, "blocked");
  if (subject == 1 && (detail == 7 || detail == 8))
    return verdict(BounceClass::kBlock, "bad-sender");
  if ((subject == 2 && detail == 2) || any_of(r, kMailboxFullPatterns))
    return verdict(BounceClass::kSoft, "mailbox-full");
  if (any_of(r, kNoSuchUserPatterns)) return verdict(BounceClass::kHard, "no-such-user");
  if ((subject == 2 && detail == 3) || subject == 3 ||
      (subject == 4 && (detail == 6 || detail == 7)) || subject == 5 || subject == 6 ||
      any_of(r, kMessagePatterns))
    return verdict(BounceClass::kSoft, "message-problem");
  return verdict(BounceClass::kHard, "permanent");
}

}  // namespace sendpool
