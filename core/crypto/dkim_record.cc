#include "core/crypto/dkim_record.h"

#include <algorithm>
#include <string>
#include <vector>

namespace sendpool {
namespace {

std::string_view tag_prefix(KeyType type) {
  return type == KeyType::kEd25519 ? "v=DKIM1; k=ed25519; " : "v=DKIM1; k=rsa; ";
}

std::string_view without_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// Appends `chunk` as a zone-file quoted character-string.
void append_quoted(std::string& out, std::string_view chunk) {
  out += '"';
  for (char c : chunk) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_valid_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxDnsLabelBytes) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), is_ldh);
}

}  // namespace

std::string dkim_txt_value(KeyType type, std::string_view public_b64) {
  std::string value(tag_prefix(type));
  value += "p=";
  value += public_b64;
  return value;
}

std::string dkim_record_name(std::string_view selector, std::string_view domain) {
  std::string name(selector);
  name += "._domainkey.";
  name += without_trailing_dot(domain);
  return name;
}

std::string dkim_dns_record(std::string_view selector, std::string_view domain, KeyType type,
                            std::string_view public_b64) {
  // The tags get their own string so the key starts a fresh one, as opendkim-genkey does.
  const std::string value = dkim_txt_value(type, public_b64);
  std::string_view rest(value);
  std::string line = dkim_record_name(selector, domain) + ". IN TXT ( ";
  append_quoted(line, rest.substr(0, tag_prefix(type).size()));
  rest.remove_prefix(tag_prefix(type).size());
  while (!rest.empty()) {
    line += ' ';
    append_quoted(line, rest.substr(0, kMaxTxtStringBytes));
    rest.remove_prefix(std::min(rest.size(), kMaxTxtStringBytes));
  }
  line += " )";
  return line;
}

bool is_valid_selector(std::string_view selector) {
  if (selector.empty() || selector.size() > kMaxDnsNameBytes) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = selector.find('.', start);
    const std::string_view label = selector.substr(
        start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_valid_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace sendpool
