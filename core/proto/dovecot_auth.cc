#include "core/proto/dovecot_auth.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>

#include "core/proto/ascii.h"

namespace sendpool {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return fields;
}

bool is_decimal_id(std::string_view text) {
  if (text.empty() || text.size() > kMaxAuthIdDigits) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (!ascii::is_digit(c)) return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value <= std::numeric_limits<uint32_t>::max();
}

std::optional<unsigned> parse_version_number(std::string_view text) {
  if (!is_decimal_id(text)) return std::nullopt;
  unsigned value = 0;
  for (char c : text)
    value = value * 10 + static_cast<unsigned>(c - '0');
  return value;
}

bool is_mechanism_char(char c) {
  return ascii::is_alpha(c) || ascii::is_digit(c) || c == '_' || c == '-';
}

// A field put into a reply line: TAB, CR, LF or NUL would split it or end the line.
void append_field(std::string& out, std::string_view text) {
  for (char c : text) {
    out.push_back(c == '\t' || c == '\n' || c == '\r' || c == '\0' ? ' ' : c);
  }
}

AuthCommand command_of_kind(AuthCommandKind kind) {
  AuthCommand command;
  command.kind = kind;
  return command;
}

Result<AuthCommand> parse_version(const std::vector<std::string_view>& fields) {
  if (fields.size() < 3) return invalid("VERSION without major and minor version");
  std::optional<unsigned> major = parse_version_number(fields[1]);
  std::optional<unsigned> minor = parse_version_number(fields[2]);
  if (!major || !minor) return invalid("VERSION numbers are not decimal");
  AuthCommand command = command_of_kind(AuthCommandKind::kVersion);
  command.major = *major;
  command.minor = *minor;
  return command;
}

Result<AuthCommand> parse_cpid(const std::vector<std::string_view>& fields) {
  if (fields.size() != 2) return invalid("CPID needs exactly one field");
  if (!is_decimal_id(fields[1])) return invalid("CPID is not a decimal process id");
  AuthCommand command = command_of_kind(AuthCommandKind::kCpid);
  command.id = std::string(fields[1]);
  return command;
}

Result<AuthCommand> parse_auth(const std::vector<std::string_view>& fields) {
  if (fields.size() < 3) return invalid("AUTH without id and mechanism");
  if (!is_decimal_id(fields[1])) return invalid("AUTH id is not a decimal number");
  std::string_view mechanism = fields[2];
  if (mechanism.empty()) return invalid("AUTH with an empty mechanism");
  for (char c : mechanism) {
    if (!is_mechanism_char(c))
      return invalid("AUTH mechanism: unexpected byte " + ascii::describe_byte(c));
  }
  if (fields.size() - 3 > kMaxAuthParameters)
    return invalid(fmt::format("AUTH with more than {} parameters", kMaxAuthParameters));

  AuthCommand command = command_of_kind(AuthCommandKind::kAuth);
  command.id = std::string(fields[1]);
  for (char c : mechanism)
    command.mechanism.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  for (size_t i = 3; i < fields.size(); ++i) {
    std::string_view field = fields[i];
    if (field.empty()) return invalid("AUTH with an empty parameter");
    size_t eq = field.find('=');
    std::string_view name = field.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : field.substr(eq + 1);
    if (name.empty()) return invalid("AUTH parameter with an empty name");
    if (eq != std::string_view::npos && name == "resp") {
      if (command.response) return invalid("AUTH with two resp= parameters");
      command.response = std::string(value);
      continue;
    }
    command.params.emplace_back(std::string(name), std::string(value));
  }
  return command;
}

Result<AuthCommand> parse_cont(const std::vector<std::string_view>& fields) {
  if (fields.size() != 3) return invalid("CONT needs exactly an id and a data field");
  if (!is_decimal_id(fields[1])) return invalid("CONT id is not a decimal number");
  AuthCommand command = command_of_kind(AuthCommandKind::kCont);
  command.id = std::string(fields[1]);
  command.response = std::string(fields[2]);
  return command;
}

}  // namespace

Status AuthLineParser::feed(std::string_view bytes, std::vector<std::string>& lines) {
  if (error_) return *error_;
  for (char c : bytes) {
    if (c == '\n') {
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      lines.push_back(std::move(line_));
      line_ = std::string();
      continue;
    }
    if (c == '\0') return fail("NUL byte on the auth socket");
    // Past the limit only a CR may follow, and only as the last byte before the LF.
    bool room =
        line_.size() < kMaxAuthLineLength || (line_.size() == kMaxAuthLineLength && c == '\r');
    if (!room) return fail(fmt::format("auth line longer than {} bytes", kMaxAuthLineLength));
    line_.push_back(c);
  }
  return ok_status();
}

bool AuthLineParser::mid_line() const {
  return !error_ && !line_.empty();
}

Status AuthLineParser::fail(std::string message) {
  error_ = invalid(std::move(message));
  line_ = std::string();
  return *error_;
}

Result<AuthCommand> parse_auth_command(std::string_view line) {
  if (line.size() > kMaxAuthLineLength)
    return invalid(fmt::format("auth line longer than {} bytes", kMaxAuthLineLength));
  if (line.find_first_of(std::string_view("\n\0", 2)) != std::string_view::npos)
    return invalid("LF or NUL byte inside an auth line");
  std::vector<std::string_view> fields = split_fields(line);
  std::string_view name = fields[0];
  if (name == "VERSION") return parse_version(fields);
  if (name == "CPID") return parse_cpid(fields);
  if (name == "AUTH") return parse_auth(fields);
  if (name == "CONT") return parse_cont(fields);
  return invalid("unknown command");
}

std::string auth_handshake(unsigned long spid, unsigned long cuid, std::string_view cookie_hex) {
  std::string out = fmt::format(
      "VERSION\t1\t2\n"
      "MECH\tPLAIN\tplaintext\n"
      "MECH\tLOGIN\tplaintext\n"
      "SPID\t{}\n"
      "CUID\t{}\n"
      "COOKIE\t",
      spid, cuid);
  append_field(out, cookie_hex);
  out += "\nDONE\n";
  return out;
}

std::string auth_ok(std::string_view id, std::string_view user) {
  std::string out = "OK\t";
  append_field(out, id);
  out += "\tuser=";
  append_field(out, user);
  out.push_back('\n');
  return out;
}

std::string auth_fail(std::string_view id, std::string_view reason) {
  std::string out = "FAIL\t";
  append_field(out, id);
  if (!reason.empty()) {
    out += "\treason=";
    append_field(out, reason);
  }
  out.push_back('\n');
  return out;
}

std::string auth_cont(std::string_view id, std::string_view base64_challenge) {
  std::string out = "CONT\t";
  append_field(out, id);
  out.push_back('\t');
  append_field(out, base64_challenge);
  out.push_back('\n');
  return out;
}

Result<PlainCredentials> parse_sasl_plain(std::string_view decoded) {
  size_t first = decoded.find('\0');
  if (first == std::string_view::npos) return invalid("PLAIN response without NUL separators");
  size_t second = decoded.find('\0', first + 1);
  if (second == std::string_view::npos) return invalid("PLAIN response with one NUL separator");
  if (decoded.find('\0', second + 1) != std::string_view::npos)
    return invalid("PLAIN response with more than two NUL separators");
  PlainCredentials credentials;
  credentials.authzid = std::string(decoded.substr(0, first));
  credentials.authcid = std::string(decoded.substr(first + 1, second - first - 1));
  credentials.password = std::string(decoded.substr(second + 1));
  if (credentials.authcid.empty()) return invalid("PLAIN response with an empty user name");
  if (credentials.password.empty()) return invalid("PLAIN response with an empty password");
  return credentials;
}

}  // namespace sendpool
