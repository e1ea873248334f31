#include "core/proto/mime_message.h"

#include <fmt/format.h>

namespace sendpool {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = lower(c);
  return out;
}

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (is_wsp(s[b]) || s[b] == '\r' || s[b] == '\n'))
    ++b;
  while (e > b && (is_wsp(s[e - 1]) || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return s.substr(b, e - b);
}

// The line starting at `pos` without its terminator; `next` receives the start of the next
// line (text.size() at the end).
std::string_view line_at(std::string_view text, size_t pos, size_t* next) {
  size_t nl = text.find('\n', pos);
  size_t end = nl == std::string_view::npos ? text.size() : nl;
  *next = nl == std::string_view::npos ? text.size() : nl + 1;
  std::string_view line = text.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == ':') return false;
  }
  return true;
}

// Removes RFC 5322 comments outside quoted strings (for Content-Type values).
std::string strip_comments(std::string_view v) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quoted) {
      out.push_back(c);
      if (c == '\\' && i + 1 < v.size()) {
        out.push_back(v[++i]);
      } else if (c == '"') {
        quoted = false;
      }
    } else if (depth > 0) {
      if (c == '\\')
        ++i;
      else if (c == '(')
        ++depth;
      else if (c == ')')
        --depth;
    } else if (c == '(') {
      depth = 1;
    } else {
      if (c == '"') quoted = true;
      out.push_back(c);
    }
  }
  return out;
}

// Splits "a=b; c=\"d;e\"" at top-level semicolons.
std::vector<std::string_view> split_params(std::string_view v) {
  std::vector<std::string_view> out;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ';' && !quoted) {
      out.push_back(v.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(v.substr(start));
  return out;
}

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() < 2 || v.front() != '"') return std::string(v);
  std::string out;
  for (size_t i = 1; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\\' && i + 1 < v.size()) {
      out.push_back(v[++i]);
    } else if (c == '"') {
      break;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool is_token_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

// Whether `line` is the delimiter of `boundary`; sets `close` for the closing one.
bool is_delimiter(std::string_view line, std::string_view boundary, bool* close) {
  if (line.size() < boundary.size() + 2 || line[0] != '-' || line[1] != '-') return false;
  if (line.substr(2, boundary.size()) != boundary) return false;
  std::string_view rest = line.substr(2 + boundary.size());
  *close = rest.size() >= 2 && rest[0] == '-' && rest[1] == '-';
  if (*close) rest.remove_prefix(2);
  for (char c : rest)
    if (!is_wsp(c)) return false;
  return true;
}

// The content between delimiters: from `begin` to the line break before the delimiter line
// that starts at `delimiter` (RFC 2046: that CRLF belongs to the delimiter).
std::string_view part_text(std::string_view body, size_t begin, size_t delimiter) {
  size_t end = delimiter;
  if (end > begin && body[end - 1] == '\n') --end;
  if (end > begin && body[end - 1] == '\r') --end;
  return body.substr(begin, end - begin);
}

struct Budget {
  size_t parts = 0;
};

Status parse_part(std::string_view text, int depth, Budget& budget, MimePart& out);

Status split_multipart(std::string_view body, std::string_view boundary, int depth, Budget& budget,
                       MimePart& out) {
  size_t pos = 0;
  std::optional<size_t> current;  // start of the current part's text
  bool closed = false;
  while (pos < body.size() && !closed) {
    size_t next = 0;
    std::string_view line = line_at(body, pos, &next);
    bool close = false;
    if (is_delimiter(line, boundary, &close)) {
      if (current) {
        MimePart part;
        SENDPOOL_TRY(parse_part(part_text(body, *current, pos), depth + 1, budget, part));
        out.parts.push_back(std::move(part));
      }
      current = next;
      closed = close;
    }
    pos = next;
  }
  if (current && !closed) {
    // No closing delimiter: the last part runs to the end (a truncated report still counts).
    MimePart part;
    SENDPOOL_TRY(parse_part(body.substr(std::min(*current, body.size())), depth + 1, budget, part));
    out.parts.push_back(std::move(part));
  }
  if (out.parts.empty()) return invalid("a multipart body without any part");
  return ok_status();
}

Status parse_part(std::string_view text, int depth, Budget& budget, MimePart& out) {
  if (depth > kMaxMimeDepth)
    return invalid(fmt::format("MIME parts nested deeper than {}", kMaxMimeDepth));
  if (++budget.parts > kMaxMimeParts)
    return invalid(fmt::format("more than {} MIME parts", kMaxMimeParts));
  size_t consumed = 0;
  SENDPOOL_ASSIGN_OR_RETURN(out.headers, parse_header_block(text, &consumed));
  std::string_view body = text.substr(consumed);
  if (const std::string* ct = out.headers.find("Content-Type"))
    out.content_type = parse_content_type(*ct);
  if (out.content_type.type == "multipart") {
    std::string boundary = out.content_type.param("boundary");
    if (boundary.empty() || boundary.size() > kMaxBoundaryLength)
      return invalid("a multipart body without a usable boundary");
    return split_multipart(body, boundary, depth, budget, out);
  }
  std::string encoding;
  if (const std::string* cte = out.headers.find("Content-Transfer-Encoding"))
    encoding = lower(trim(*cte));
  if (encoding == "base64") {
    auto decoded = decode_mime_base64(body);
    out.body = decoded ? std::move(*decoded) : std::string(body);
  } else if (encoding == "quoted-printable") {
    out.body = decode_quoted_printable(body);
  } else {
    out.body = std::string(body);
  }
  return ok_status();
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

const std::string* HeaderBlock::find(std::string_view name) const {
  for (const auto& f : fields)
    if (iequals_ascii(f.name, name)) return &f.value;
  return nullptr;
}

std::vector<std::string> HeaderBlock::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& f : fields)
    if (iequals_ascii(f.name, name)) out.push_back(f.value);
  return out;
}

Result<HeaderBlock> parse_header_block(std::string_view text, size_t* consumed) {
  HeaderBlock block;
  bool in_field = false;  // whether a continuation line extends the last field
  size_t pos = 0;
  auto finish = [&](size_t at) {
    if (consumed) *consumed = at;
    for (auto& f : block.fields)
      f.value = std::string(trim(f.value));
  };
  while (pos < text.size()) {
    size_t next = 0;
    std::string_view line = line_at(text, pos, &next);
    if (line.empty()) {
      finish(next);
      return block;
    }
    if (is_wsp(line[0])) {
      if (in_field) {
        std::string& value = block.fields.back().value;
        if (value.size() + line.size() > kMaxHeaderFieldLength)
          return invalid(fmt::format("a header field longer than {} bytes", kMaxHeaderFieldLength));
        value.append(line);
      } else {
        ++block.skipped_lines;
      }
    } else {
      size_t colon = line.find(':');
      std::string_view name =
          colon == std::string_view::npos ? std::string_view() : trim(line.substr(0, colon));
      if (!is_field_name(name)) {
        ++block.skipped_lines;
        in_field = false;
      } else {
        if (block.fields.size() >= kMaxHeaderFields)
          return invalid(fmt::format("more than {} header fields", kMaxHeaderFields));
        if (line.size() > kMaxHeaderFieldLength)
          return invalid(fmt::format("a header field longer than {} bytes", kMaxHeaderFieldLength));
        block.fields.push_back({std::string(name), std::string(line.substr(colon + 1))});
        in_field = true;
      }
    }
    pos = next;
  }
  finish(text.size());
  return block;
}

std::string ContentType::param(std::string_view name) const {
  for (const auto& [n, v] : params)
    if (n == name) return v;
  return {};
}

ContentType parse_content_type(std::string_view value) {
  ContentType out;
  std::string clean = strip_comments(value);
  std::vector<std::string_view> pieces = split_params(clean);
  std::string_view media = trim(pieces.front());
  size_t slash = media.find('/');
  if (slash == std::string_view::npos) return out;
  std::string_view type = trim(media.substr(0, slash)), subtype = trim(media.substr(slash + 1));
  if (!is_token(type) || !is_token(subtype)) return out;
  out.type = lower(type);
  out.subtype = lower(subtype);
  for (size_t i = 1; i < pieces.size() && out.params.size() < kMaxContentTypeParams; ++i) {
    size_t eq = pieces[i].find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = trim(pieces[i].substr(0, eq));
    if (!is_token(name)) continue;
    out.params.emplace_back(lower(name), unquote(pieces[i].substr(eq + 1)));
  }
  return out;
}

Result<MimePart> parse_mime_message(std::string_view message) {
  if (message.size() > kMaxMimeMessageSize)
    return invalid(fmt::format("a message larger than {} bytes", kMaxMimeMessageSize));
  MimePart top;
  Budget budget;
  SENDPOOL_TRY(parse_part(message, 0, budget, top));
  if (top.headers.fields.empty()) return invalid("no header fields");
  return top;
}

std::optional<std::string> decode_mime_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    if (is_wsp(c) || c == '\r' || c == '\n') continue;
    int v = base64_value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string decode_quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    // Soft line break: '=' then optional white space, then the line end.
    size_t j = i + 1;
    while (j < text.size() && is_wsp(text[j]))
      ++j;
    if (j < text.size() && (text[j] == '\n' || text[j] == '\r')) {
      if (text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n') ++j;
      i = j;
      continue;
    }
    if (j == text.size()) {
      i = j;
      continue;
    }
    if (i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace sendpool
