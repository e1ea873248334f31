#include "core/proto/address.h"

#include <fmt/format.h>

#include "core/proto/ascii.h"
#include "core/proto/domain_name.h"

namespace sendpool {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back()))
    text.remove_suffix(1);
  return text;
}

constexpr std::string_view kSmtpUtf8Refusal =
    "local part contains non-ASCII characters; SMTPUTF8 addresses are not supported";

// Length of the RFC 5321 Quoted-string at the start of `text` (which begins with '"'),
// both quotes included.
Result<size_t> scan_quoted_string(std::string_view text) {
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (++i == text.size()) break;
      c = text[i];  // quoted-pairSMTP: a backslash and any printable ASCII character
    }
    if (ascii::is_non_ascii(c)) return invalid(std::string(kSmtpUtf8Refusal));
    if (c < 0x20 || c == 0x7f) {
      return invalid(
          fmt::format("quoted local part contains invalid character {}", ascii::describe_byte(c)));
    }
  }
  return invalid("quoted local part has no closing quote");
}

Status check_dot_atom(std::string_view local) {
  for (char c : local) {
    if (ascii::is_non_ascii(c)) return invalid(std::string(kSmtpUtf8Refusal));
    if (c != '.' && !ascii::is_atext(c)) {
      return invalid(
          fmt::format("local part contains invalid character {}", ascii::describe_byte(c)));
    }
  }
  if (local.front() == '.') return invalid("local part starts with a dot");
  if (local.back() == '.') return invalid("local part ends with a dot");
  if (local.find("..") != std::string_view::npos)
    return invalid("local part has two dots in a row");
  return ok_status();
}

std::string_view strip_angle_brackets(std::string_view text) {
  return text.substr(1, text.size() - 2);
}

}  // namespace

std::string MailAddress::str() const {
  return fmt::format("{}@{}", local, domain);
}

Result<MailAddress> parse_mail_address(std::string_view text) {
  text = trim_blanks(text);
  if (text.empty()) return invalid("address is empty");
  bool opened = text.front() == '<';
  bool closed = text.back() == '>';
  if (opened && !closed) return invalid("address has '<' but no closing '>'");
  if (closed && !opened) return invalid("address has '>' but no opening '<'");
  if (opened) text = strip_angle_brackets(text);
  if (text.empty()) return invalid("the null sender has no domain");
  // One trailing dot on the domain is allowed and removed, hence the + 1.
  if (text.size() > kMaxAddressLength + 1) {
    return invalid(fmt::format("address is longer than {} octets", kMaxAddressLength));
  }
  if (text.front() == '@') {
    if (text.find(':') != std::string_view::npos) {
      return invalid("source routes (@host:...) are not accepted");
    }
    return invalid("local part is empty");
  }

  size_t local_end = 0;
  if (text.front() == '"') {
    SENDPOOL_ASSIGN_OR_RETURN(local_end, scan_quoted_string(text));
    if (local_end == text.size()) return invalid("address has no '@'");
    if (text[local_end] != '@') {
      return invalid("quoted local part is not followed by '@'");
    }
  } else {
    local_end = text.find('@');
    if (local_end == std::string_view::npos) return invalid("address has no '@'");
  }
  std::string_view local = text.substr(0, local_end);
  std::string_view domain = text.substr(local_end + 1);

  if (local.size() > kMaxLocalPartLength) {
    return invalid(fmt::format("local part is {} octets long, the limit is {}", local.size(),
                               kMaxLocalPartLength));
  }
  if (local.front() != '"') SENDPOOL_TRY(check_dot_atom(local));
  if (domain.find('@') != std::string_view::npos) return invalid("address has more than one '@'");

  MailAddress address;
  SENDPOOL_ASSIGN_OR_RETURN(address.domain, normalize_domain(domain));
  address.local = std::string(local);
  if (local.size() + 1 + address.domain.size() > kMaxAddressLength) {
    return invalid(fmt::format("address is longer than {} octets", kMaxAddressLength));
  }
  return address;
}

Result<std::string> normalize_address(std::string_view text) {
  SENDPOOL_ASSIGN_OR_RETURN(MailAddress address, parse_mail_address(text));
  return address.str();
}

std::string_view domain_of(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  return address.substr(at + 1);
}

bool is_null_sender(std::string_view text) {
  text = trim_blanks(text);
  return text.empty() || text == "<>";
}

}  // namespace sendpool
