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
  bool angle_closed = false;  // after '>': only whitespace and comments may follow
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Whether an angle address so far is an obsolete source route ("@a,@b"), which ends at ':'.
bool is_route(std::string_view angle) {
  size_t b = angle.find_first_not_of(" \t\r\n");
  return b != std::string_view::npos && angle[b] == '@';
}

// Splits the header into top-level elements at commas and group terminators, understanding
// quotes, comments, angle brackets and groups. Group names ("name:") are dropped.
Result<std::vector<Element>> split(std::string_view v) {
  std::vector<Element> out(1);
  int comment = 0;
  bool quoted = false, in_angle = false;
  auto next_element = [&]() -> Status {
    if (out.size() >= kMaxHeaderMailboxes) return invalid("too many addresses");
    out.emplace_back();
    return ok_status();
  };
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
      if (c == '\\') {
        ++i;
      } else if (c == '(') {
        if (++comment > kMaxCommentNesting) return invalid("comments nested too deep");
      } else if (c == ')') {
        --comment;
      }
      continue;
    }
    if (c == '(') {
      comment = 1;
      continue;
    }
    // Nothing but whitespace and comments may follow an angle address in its element: a
    // second address hidden there would be seen by receivers and not by us.
    if (e.angle_closed && !is_space(c) && c != ',' && c != ';')
      return invalid("text after an angle address");
    switch (c) {
      case '"':
        quoted = true;
        target.push_back(c);
        break;
      case '<':
        if (in_angle || e.has_angle) return invalid("unexpected '<'");
        in_angle = true;
        e.has_angle = true;
        break;
      case '>':
        if (!in_angle) return invalid("unexpected '>'");
        in_angle = false;
        e.angle_closed = true;
        break;
      case ',':
        if (in_angle) {  // only between the hops of an obsolete source route
          if (!is_route(e.angle)) return invalid("',' inside an angle address");
          e.angle.push_back(c);
          break;
        }
        SENDPOOL_TRY(next_element());
        break;
      case ':':
        if (in_angle) {  // obsolete source route "<@a,@b:user@host>": keep only after ':'
          if (!is_route(e.angle)) return invalid("':' inside an angle address");
          e.angle.clear();
          break;
        }
        e.text.clear();  // a group's display name
        break;
      case ';':
        if (in_angle) return invalid("';' inside an angle address");
        SENDPOOL_TRY(next_element());  // the end of a group
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

// Removes the folding whitespace obsolete syntax allows around '.' and '@' ("a . b @ c"),
// outside quoted strings. Whitespace between two words ("John a@b", a display name without
// angle brackets) is malformed: squeezing it out would invent a different mailbox.
Result<std::string> compact(std::string_view spec) {
  std::string out;
  bool quoted = false, space = false;
  for (size_t i = 0; i < spec.size(); ++i) {
    char c = spec[i];
    if (quoted) {
      out.push_back(c);
      if (c == '\\' && i + 1 < spec.size())
        out.push_back(spec[++i]);
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (is_space(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty() && out.back() != '.' && out.back() != '@' && c != '.' && c != '@')
      return invalid("a mailbox without angle brackets contains a space");
    space = false;
    if (c == '"') quoted = true;
    out.push_back(c);
  }
  return out;
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
    auto compacted = compact(spec);
    if (!compacted)
      return invalid(fmt::format("mailbox {}: {}", out.size() + 1, compacted.error().message));
    auto address = parse_mail_address(*compacted);
    if (!address)
      return invalid(fmt::format("mailbox {}: {}", out.size() + 1, address.error().message));
    out.push_back(address->str());
  }
  return out;
}

}  // namespace sendpool
