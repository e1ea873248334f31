#include "core/proto/postfix_log.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace sendpool {
namespace {

constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// Longest host name and program name accepted in the prefix.
constexpr size_t kMaxHostLength = 255;
constexpr size_t kMaxProgramLength = 128;
constexpr size_t kMaxTimestampLength = 40;

Error malformed(std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("malformed postfix log line: {}", what));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

bool is_alnum(char c) {
  return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Consumes `prefix` from the front of `s`.
bool consume(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// The text up to the first space (exclusive), consumed with the space.
std::string_view take_word(std::string_view& s) {
  size_t sp = s.find(' ');
  std::string_view word = s.substr(0, sp);
  s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
  return word;
}

// "HH:MM:SS" at the start of `s`.
bool clock_time(std::string_view s) {
  return s.size() >= 8 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':' && is_digit(s[3]) &&
         is_digit(s[4]) && s[5] == ':' && is_digit(s[6]) && is_digit(s[7]);
}

// Consumes a classic syslog stamp "Mon DD HH:MM:SS " (DD: "04", " 4" or "4").
std::optional<std::string_view> syslog_stamp(std::string_view& s) {
  std::string_view start = s;
  if (s.size() < 15) return std::nullopt;
  bool month = false;
  for (std::string_view m : kMonths)
    month |= s.starts_with(m);
  if (!month || s[3] != ' ') return std::nullopt;
  std::string_view rest = s.substr(4);
  if (rest.starts_with(' ')) rest.remove_prefix(1);  // " 4"
  size_t digits = 0;
  while (digits < rest.size() && digits < 2 && is_digit(rest[digits]))
    ++digits;
  if (digits == 0 || digits >= rest.size() || rest[digits] != ' ') return std::nullopt;
  rest.remove_prefix(digits + 1);
  if (!clock_time(rest) || rest.size() < 9 || rest[8] != ' ') return std::nullopt;
  rest.remove_prefix(9);
  s = rest;
  return start.substr(0, start.size() - rest.size() - 1);
}

// Consumes an ISO 8601 stamp "YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM] ".
std::optional<std::string_view> iso_stamp(std::string_view& s) {
  size_t sp = s.find(' ');
  if (sp == std::string_view::npos || sp > kMaxTimestampLength) return std::nullopt;
  std::string_view t = s.substr(0, sp);
  if (t.size() < 19 || !all_digits(t.substr(0, 4)) || t[4] != '-' || !all_digits(t.substr(5, 2)) ||
      t[7] != '-' || !all_digits(t.substr(8, 2)) || t[10] != 'T' || !clock_time(t.substr(11)))
    return std::nullopt;
  std::string_view zone = t.substr(19);
  if (consume(zone, ".")) {
    size_t n = 0;
    while (n < zone.size() && is_digit(zone[n]))
      ++n;
    if (n == 0) return std::nullopt;
    zone.remove_prefix(n);
  }
  bool zone_ok = zone.empty() || zone == "Z" ||
                 (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
                  all_digits(zone.substr(1, 2)) && zone[3] == ':' && all_digits(zone.substr(4, 2)));
  if (!zone_ok) return std::nullopt;
  s.remove_prefix(sp + 1);
  return t;
}

bool printable_token(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

// Reads "<address>" at the front of `s` (the '<' already consumed), honouring a quoted local
// part in which '>' may appear; consumes through the '>'.
Result<std::string> take_address(std::string_view& s, std::string_view field) {
  size_t i = 0;
  if (i < s.size() && s[i] == '"') {
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\') ++i;
      ++i;
    }
    if (i >= s.size()) return malformed(fmt::format("{}: unterminated quoted local part", field));
    ++i;
  }
  size_t close = s.find('>', i);
  if (close == std::string_view::npos) return malformed(fmt::format("{}: no closing '>'", field));
  if (close > kMaxLoggedAddressLength)
    return malformed(
        fmt::format("{}: address longer than {} bytes", field, kMaxLoggedAddressLength));
  std::string address(s.substr(0, close));
  for (char c : address)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return malformed(fmt::format("{}: control character in address", field));
  s.remove_prefix(close + 1);
  return address;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (!all_digits(s)) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// "class.subject.detail" as Postfix logs it.
bool is_dsn(std::string_view s) {
  if (s.size() < 5 || s.size() > 9 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
    return false;
  s.remove_prefix(2);
  size_t dot = s.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view subject = s.substr(0, dot);
  std::string_view detail = s.substr(dot + 1);
  return all_digits(subject) && subject.size() <= 3 && all_digits(detail) && detail.size() <= 3;
}

// "from=<…>, size=N, nrcpt=N (queue active)" or "from=<…>, status=expired, returned to sender".
Result<std::optional<PostfixLogEvent>> parse_from(std::string_view qid, std::string_view rest) {
  SENDPOOL_ASSIGN_OR_RETURN(std::string sender, take_address(rest, "from="));
  if (rest == ", status=expired, returned to sender")
    return std::optional<PostfixLogEvent>(MessageExpired{std::string(qid), std::move(sender)});
  QueueFrom f{std::string(qid), std::move(sender), 0, 0};
  if (!consume(rest, ", size=")) return malformed("from= without size=");
  size_t comma = rest.find(',');
  if (comma == std::string_view::npos || !parse_number(rest.substr(0, comma), f.size))
    return malformed("from= with a bad size=");
  rest.remove_prefix(comma);
  if (!consume(rest, ", nrcpt=")) return malformed("from= without nrcpt=");
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos || !parse_number(rest.substr(0, sp), f.nrcpt))
    return malformed("from= with a bad nrcpt=");
  rest.remove_prefix(sp);
  if (rest != " (queue active)") return malformed("from= not followed by (queue active)");
  return std::optional<PostfixLogEvent>(std::move(f));
}

std::optional<DeliveryStatus> delivery_status(std::string_view word) {
  if (word == "sent") return DeliveryStatus::kSent;
  if (word == "deferred" || word == "SOFTBOUNCE") return DeliveryStatus::kDeferred;
  if (word == "bounced") return DeliveryStatus::kBounced;
  if (word == "expired") return DeliveryStatus::kExpired;
  return std::nullopt;
}

// "to=<…>[, orig_to=<…>], relay=…, …, dsn=X.Y.Z, status=WORD (text)".
Result<std::optional<PostfixLogEvent>> parse_to(std::string_view qid, std::string_view rest) {
  Delivery d;
  d.queue_id = std::string(qid);
  SENDPOOL_ASSIGN_OR_RETURN(d.recipient, take_address(rest, "to="));
  if (d.recipient.empty()) return malformed("to= with an empty address");
  if (consume(rest, ", orig_to=<")) {
    SENDPOOL_ASSIGN_OR_RETURN(std::string orig, take_address(rest, "orig_to="));
    d.orig_to = std::move(orig);
  }
  bool have_relay = false;
  // key=value fields separated by ", " up to status=, whose text may hold anything.
  while (true) {
    if (!consume(rest, ", ")) return malformed("to= field not separated by ', '");
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq > 16) return malformed("to= without status=");
    std::string_view key = rest.substr(0, eq);
    rest.remove_prefix(eq + 1);
    if (key == "status") break;
    size_t end = rest.find(", ");
    if (end == std::string_view::npos) return malformed("to= without status=");
    std::string_view value = rest.substr(0, end);
    rest.remove_prefix(end);
    if (key == "relay") {
      if (value.empty()) return malformed("to= with an empty relay=");
      d.relay = std::string(value);
      have_relay = true;
    } else if (key == "dsn") {
      if (!is_dsn(value)) return malformed("to= with a bad dsn=");
      d.dsn = std::string(value);
    }
  }
  if (!have_relay) return malformed("to= without relay=");
  if (d.dsn.empty()) return malformed("to= without dsn=");
  size_t word_end = rest.find_first_of(" ,");
  std::string_view word = rest.substr(0, word_end);
  rest.remove_prefix(word_end == std::string_view::npos ? rest.size() : word_end);
  if (word == "deliverable" || word == "undeliverable") return std::optional<PostfixLogEvent>();
  auto status = delivery_status(word);
  if (!status) return malformed("to= with an unknown status=");
  d.status = *status;
  if (consume(rest, " (")) {
    if (!rest.ends_with(')')) return malformed("to= status text without ')'");
    d.text = std::string(rest.substr(0, rest.size() - 1));
  } else if (consume(rest, ", ")) {
    d.text = std::string(rest);  // "status=expired, returned to sender"
  } else if (!rest.empty()) {
    return malformed("to= with text after status= not in parentheses");
  }
  return std::optional<PostfixLogEvent>(std::move(d));
}

// "STAGE from …" after "reject: " or "milter-reject: ".
template <typename T>
Result<std::optional<PostfixLogEvent>> parse_reject(std::string_view qid, std::string_view rest,
                                                    std::string_view what) {
  size_t sp = rest.find(' ');
  std::string_view stage = rest.substr(0, sp);
  if (stage.empty() || stage.size() > kMaxRejectStageLength)
    return malformed(fmt::format("{} without a stage", what));
  for (char c : stage)
    if (!(c >= 'A' && c <= 'Z') && c != '-')
      return malformed(fmt::format("{} with a bad stage", what));
  T event;
  event.queue_id = std::string(qid);
  event.stage = std::string(stage);
  event.rest = sp == std::string_view::npos ? std::string() : std::string(rest.substr(sp + 1));
  return std::optional<PostfixLogEvent>(std::move(event));
}

}  // namespace

std::string_view to_string(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kSent:
      return "sent";
    case DeliveryStatus::kDeferred:
      return "deferred";
    case DeliveryStatus::kBounced:
      return "bounced";
    case DeliveryStatus::kExpired:
      return "expired";
  }
  return "deferred";
}

const std::string& queue_id_of(const PostfixLogEvent& event) {
  return std::visit([](const auto& e) -> const std::string& { return e.queue_id; }, event);
}

bool is_queue_id(std::string_view text) {
  if (text.size() < kMinQueueIdLength || text.size() > kMaxQueueIdLength) return false;
  // Short IDs are upper-case hex; long ones (enable_long_queue_ids) use digits and letters
  // without vowels. Either way "NOQUEUE", "warning" and other words are not queue IDs.
  bool hex = true;
  bool vowel = false;
  for (char c : text) {
    if (!is_alnum(c)) return false;
    hex &= is_digit(c) || (c >= 'A' && c <= 'F');
    vowel |= std::string_view("AEIOUaeiou").find(c) != std::string_view::npos;
  }
  return hex || !vowel;
}

std::optional<PostfixLogPrefix> parse_postfix_log_prefix(std::string_view line) {
  PostfixLogPrefix p;
  std::string_view s = line;
  auto stamp = syslog_stamp(s);
  if (!stamp) stamp = iso_stamp(s);
  if (!stamp) return std::nullopt;
  p.timestamp = *stamp;
  p.host = take_word(s);
  if (!printable_token(p.host, kMaxHostLength)) return std::nullopt;
  size_t colon = s.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view program = s.substr(0, colon);
  p.message = s.substr(colon + 2);
  if (program.ends_with(']')) {
    size_t open = program.rfind('[');
    if (open == std::string_view::npos) return std::nullopt;
    std::string_view pid_text = program.substr(open + 1, program.size() - open - 2);
    uint32_t pid = 0;
    if (!parse_number(pid_text, pid)) return std::nullopt;
    p.pid = pid;
    program = program.substr(0, open);
  }
  if (!printable_token(program, kMaxProgramLength)) return std::nullopt;
  p.program = program;
  return p;
}

Result<std::optional<PostfixLogEvent>> parse_postfix_log_line(std::string_view line) {
  if (line.size() > kMaxPostfixLogLineLength)
    return malformed(fmt::format("longer than {} bytes", kMaxPostfixLogLineLength));
  auto prefix = parse_postfix_log_prefix(line);
  // Not a syslog line, or not a Postfix program ("syslog_name/daemon"): not ours to judge.
  if (!prefix || prefix->program.find('/') == std::string_view::npos)
    return std::optional<PostfixLogEvent>();
  std::string_view m = prefix->message;
  size_t colon = m.find(": ");
  if (colon == std::string_view::npos) return std::optional<PostfixLogEvent>();
  std::string_view qid = m.substr(0, colon);
  if (!is_queue_id(qid)) return std::optional<PostfixLogEvent>();  // NOQUEUE, warning: …
  std::string_view rest = m.substr(colon + 2);
  if (rest == "removed") return std::optional<PostfixLogEvent>(Removed{std::string(qid)});
  if (consume(rest, "from=<")) return parse_from(qid, rest);
  if (consume(rest, "to=<")) return parse_to(qid, rest);
  if (consume(rest, "milter-reject: "))
    return parse_reject<MilterReject>(qid, rest, "milter-reject");
  if (consume(rest, "reject: ")) return parse_reject<Reject>(qid, rest, "reject");
  return std::optional<PostfixLogEvent>();
}

std::string format_postfix_log_message(const PostfixLogEvent& event) {
  struct Formatter {
    std::string operator()(const QueueFrom& e) const {
      return fmt::format("{}: from=<{}>, size={}, nrcpt={} (queue active)", e.queue_id, e.sender,
                         e.size, e.nrcpt);
    }
    std::string operator()(const MessageExpired& e) const {
      return fmt::format("{}: from=<{}>, status=expired, returned to sender", e.queue_id, e.sender);
    }
    std::string operator()(const Delivery& e) const {
      std::string out = fmt::format("{}: to=<{}>", e.queue_id, e.recipient);
      if (e.orig_to) out += fmt::format(", orig_to=<{}>", *e.orig_to);
      out += fmt::format(", relay={}, delay=0.1, delays=0.1/0/0/0, dsn={}, status={} ({})", e.relay,
                         e.dsn, to_string(e.status), e.text);
      return out;
    }
    std::string operator()(const MilterReject& e) const {
      return fmt::format("{}: milter-reject: {}{}{}", e.queue_id, e.stage,
                         e.rest.empty() ? "" : " ", e.rest);
    }
    std::string operator()(const Reject& e) const {
      return fmt::format("{}: reject: {}{}{}", e.queue_id, e.stage, e.rest.empty() ? "" : " ",
                         e.rest);
    }
    std::string operator()(const Removed& e) const {
      return fmt::format("{}: removed", e.queue_id);
    }
  };
  return std::visit(Formatter{}, event);
}

}  // namespace sendpool
