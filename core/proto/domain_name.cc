#include "core/proto/domain_name.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/proto/ascii.h"

namespace sendpool {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

// Checks one label's characters, length and hyphen placement; an empty label is the
// caller's business because only the caller knows where the stray dot was.
Status check_label(std::string_view label) {
  for (char c : label) {
    if (!ascii::is_ldh(c)) {
      return invalid(
          fmt::format("domain contains invalid character {}; only letters, digits, "
                      "hyphens and dots are allowed",
                      ascii::describe_byte(c)));
    }
  }
  if (label.size() > kMaxDomainLabelLength) {
    return invalid(fmt::format("domain label of {} octets is longer than the limit of {}",
                               label.size(), kMaxDomainLabelLength));
  }
  if (label.front() == '-') {
    return invalid(fmt::format("domain label \"{}\" starts with a hyphen", label));
  }
  if (label.back() == '-') {
    return invalid(fmt::format("domain label \"{}\" ends with a hyphen", label));
  }
  return ok_status();
}

}  // namespace

Result<std::string> normalize_domain(std::string_view text) {
  if (text.empty()) return invalid("domain is empty");
  if (std::any_of(text.begin(), text.end(), ascii::is_non_ascii)) {
    return invalid(
        "domain contains non-ASCII characters; write internationalised domains in their IDNA "
        "A-label form (xn--...)");
  }
  if (text.front() == '[') {
    return invalid("address literals ([...]) are not accepted; a domain name is required");
  }
  // The absolute form "example.com." names the same domain; strip exactly one dot.
  if (text.back() == '.') text.remove_suffix(1);
  if (text.empty()) return invalid("domain is only a dot");
  if (text.size() > kMaxDomainLength) {
    return invalid(
        fmt::format("domain is {} octets long, the limit is {}", text.size(), kMaxDomainLength));
  }

  size_t labels = 0;
  std::string_view last_label;
  for (size_t start = 0;;) {
    size_t dot = text.find('.', start);
    std::string_view label =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) {
      if (start == 0) return invalid("domain starts with a dot");
      if (dot == std::string_view::npos) return invalid("domain ends with more than one dot");
      return invalid("domain has two dots in a row");
    }
    SENDPOOL_TRY(check_label(label));
    ++labels;
    last_label = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < kMinDomainLabels) {
    return invalid("domain has a single label; a mail domain needs at least two (example.com)");
  }
  if (std::all_of(last_label.begin(), last_label.end(), ascii::is_digit)) {
    return invalid(fmt::format(
        "top-level domain label \"{}\" is all digits; an IP address is not a mail domain",
        last_label));
  }

  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ascii::to_lower);
  return out;
}

}  // namespace sendpool
