#include "core/proto/header_address.h"

#include <fmt/format.h>

#include "core/proto/address.h"

namespace sendpool {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

// One top-level element of the list, with comments removed and the angle address (if any)
// found. Quoted strings are kept as written.
struct Element {
  std::string text;   // outside angle brackets, comments removed
  std::string angle;  // inside <...>, when present
  bool has_angle = false;
};

// Splits the header into top-level elements at commas, understanding quotes, comments,
// angle brackets and groups. Group names ("name:") and terminators (";") are dropped.
Result<std::vector<Element>> split(std::string_view v) {
  std::vector<Element> out(1);
  int comment = 0;
  bool quoted = false, in_angle = false;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    Element& e = out.back();
    std::string& target = in_angle ? e.angle : e.text;
    if (quoted) {
      target.push_back(c);
      if (c == '\\' && i + 1 < v.size()) {
        target.push_back(v[++i]);
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (comment > 0) {
      if (c == '\\') ++i;
      else if (c == '(') {
        if (++comment > kMaxCommentNesting) return invalid("comments nested too deep");
      } else if (c == ')') --comment;
      continue;
    }
    switch (c) {
      case '"':
        quoted = true;
        target.push_back(c);
        break;
      case '(':
        comment = 1;
        break;
      case '<':
        if (in_angle || e.has_angle) return invalid("unexpected '<'");
        in_angle = true;
        e.has_angle = true;
        break;
      case '>':
        if (!in_angle) return invalid("unexpected '>'");
        in_angle = false;
        break;
      case ',':
        if (in_angle) return invalid("',' inside an angle address");
        if (out.size() >= kMaxHeaderMailboxes) return invalid("too many addresses");
        out.emplace_back();
        break;
      case ':':
        if (in_angle) {  // obsolete source route "<@a,@b:user@host>": keep only after ':'
          e.angle.clear();
          break;
        }
        e.text.clear();  // a group's display name
        break;
      case ';':
        if (in_angle) return invalid("';' inside an angle address");
        break;
      default:
        target.push_back(c);
    }
  }
  if (quoted) return invalid("unterminated quoted string");
  if (comment > 0) return invalid("unterminated comment");
  if (in_angle) return invalid("unterminated angle address");
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

Result<std::vector<std::string>> parse_header_mailboxes(std::string_view value) {
  if (value.size() > kMaxAddressHeaderLength) return invalid("address header too long");
  SENDPOOL_ASSIGN_OR_RETURN(auto elements, split(value));
  std::vector<std::string> out;
  for (const auto& e : elements) {
    std::string spec = trim(e.has_angle ? e.angle : e.text);
    if (spec.empty()) {
      if (e.has_angle) return invalid("empty angle address");
      continue;  // an empty list element or an empty group
    }
    // Folding whitespace inside a bare addr-spec ("a @ b") is obsolete syntax: remove it.
    std::string compact;
    bool q = false;
    for (char c : spec) {
      if (c == '"') q = !q;
      if (!q && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) continue;
      compact.push_back(c);
    }
    auto address = parse_mail_address(compact);
    if (!address) return invalid(fmt::format("mailbox {}: {}", out.size() + 1, address.error().message));
    out.push_back(address->str());
  }
  return out;
}

}  // namespace sendpool
