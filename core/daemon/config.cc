#include "core/daemon/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <system_error>
#include <vector>

#include "core/base/log.h"
#include "core/daemon/units.h"

namespace sendpool {
namespace {

constexpr size_t kMaxPathLength = 4095;  // PATH_MAX less the terminating NUL
constexpr size_t kMaxNameLength = 64;    // platform id, pool names
constexpr size_t kMaxUrlLength = 2000;
constexpr size_t kMaxQuotedValue = 100;  // how much of a bad value an error message repeats

// A leaf value as the file wrote it; `null` for `key:` or `key: ~` (nothing written).
struct Scalar {
  bool null = false;
  std::string text;
};

std::string describe(const Scalar& value) {
  if (value.null) return "nothing";
  return fmt::format("\"{}\"", sanitize(value.text, kMaxQuotedValue));
}

Error value_error(std::string_view expected, const Scalar& value) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("expected {}, got {}", expected, describe(value)));
}

bool has_control_or_space(std::string_view text, bool allow_space) {
  return std::any_of(text.begin(), text.end(), [allow_space](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u >= 0x7f || (!allow_space && u == ' ');
  });
}

bool is_name(std::string_view text) {
  if (text.empty() || text.size() > kMaxNameLength) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

// A value that must be written (empty or nothing is an error).
Result<std::string> required_text(std::string_view expected, const Scalar& value) {
  if (value.null || value.text.empty()) return value_error(expected, value);
  return value.text;
}

// Each checker validates one value and stores it; its error message has no location, the
// walker adds file, line and key.
using Setter = std::function<Status(const Scalar&)>;

Setter absolute_path(std::string* out, bool optional) {
  return [out, optional](const Scalar& value) -> Status {
    constexpr std::string_view kExpected = "an absolute path";
    if (optional && (value.null || value.text.empty())) {
      out->clear();
      return ok_status();
    }
    SENDPOOL_ASSIGN_OR_RETURN(std::string text, required_text(kExpected, value));
    if (text.front() != '/' || text.size() > kMaxPathLength || has_control_or_space(text, true)) {
      return value_error(kExpected, value);
    }
    *out = std::move(text);
    return ok_status();
  };
}

// Domain-valued keys are optional: empty means "not configured".
Setter domain_name(std::string* out, std::string_view expected) {
  return [out, expected](const Scalar& value) -> Status {
    if (value.null || value.text.empty()) {
      out->clear();
      return ok_status();
    }
    if (!is_domain_name(value.text)) return value_error(expected, value);
    *out = value.text;
    return ok_status();
  };
}

Setter identifier(std::string* out, std::string_view expected, bool optional) {
  return [out, expected, optional](const Scalar& value) -> Status {
    if (optional && (value.null || value.text.empty())) {
      out->clear();
      return ok_status();
    }
    if (value.null || !is_name(value.text)) return value_error(expected, value);
    *out = value.text;
    return ok_status();
  };
}

Setter http_url(std::string* out) {
  return [out](const Scalar& value) -> Status {
    constexpr std::string_view kExpected = "an http:// or https:// URL";
    if (value.null || value.text.empty()) {
      out->clear();
      return ok_status();
    }
    std::string_view text = value.text;
    std::string_view rest;
    if (text.starts_with("https://")) {
      rest = text.substr(8);
    } else if (text.starts_with("http://")) {
      rest = text.substr(7);
    } else {
      return value_error(kExpected, value);
    }
    // The URL ends up inside <...> in a List-Unsubscribe header: no spaces, no brackets.
    if (text.size() > kMaxUrlLength || has_control_or_space(text, false) ||
        text.find_first_of("<>\"\\") != std::string_view::npos) {
      return value_error(kExpected, value);
    }
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string_view host = authority.substr(0, authority.find(':'));
    if (host.size() < authority.size()) {
      std::string_view port = authority.substr(host.size() + 1);
      if (port.empty() || port.size() > 5 ||
          !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return value_error(kExpected, value);
      }
    }
    if (!is_domain_name(host)) return value_error(kExpected, value);
    *out = value.text;
    return ok_status();
  };
}

Setter listen_spec(ListenSpec* out) {
  return [out](const Scalar& value) -> Status {
    if (value.null) return value_error("unix:/path or inet:host:port", value);
    SENDPOOL_ASSIGN_OR_RETURN(*out, parse_listen_spec(value.text));
    return ok_status();
  };
}

Setter size_at_least(uint64_t* out, uint64_t minimum) {
  return [out, minimum](const Scalar& value) -> Status {
    if (value.null) return value_error("a size such as 16GiB", value);
    SENDPOOL_ASSIGN_OR_RETURN(uint64_t bytes, parse_size(value.text));
    if (bytes < minimum) {
      return value_error(fmt::format("a size of at least {}", format_size(minimum)), value);
    }
    *out = bytes;
    return ok_status();
  };
}

Setter number_between(double* out, double low, double high) {
  return [out, low, high](const Scalar& value) -> Status {
    std::string expected = fmt::format("a number from {} to {}", low, high);
    if (value.null || value.text.empty()) return value_error(expected, value);
    const char* begin = value.text.data();
    const char* end = begin + value.text.size();
    double number = 0;
    auto [stop, ec] = std::from_chars(begin, end, number);
    if (ec != std::errc() || stop != end || !std::isfinite(number) || number < low ||
        number > high) {
      return value_error(expected, value);
    }
    *out = number;
    return ok_status();
  };
}

Setter duration_between(std::chrono::milliseconds* out, std::chrono::milliseconds low,
                        std::chrono::milliseconds high) {
  return [out, low, high](const Scalar& value) -> Status {
    std::string expected =
        fmt::format("a duration from {} to {}", format_duration(low), format_duration(high));
    if (value.null) return value_error(expected, value);
    auto duration = parse_duration(value.text);
    if (!duration || *duration < low || *duration > high) return value_error(expected, value);
    *out = *duration;
    return ok_status();
  };
}

Setter one_of(std::string* out, std::vector<std::string_view> choices) {
  return [out, choices = std::move(choices)](const Scalar& value) -> Status {
    if (!value.null && std::find(choices.begin(), choices.end(), value.text) != choices.end()) {
      *out = value.text;
      return ok_status();
    }
    std::string expected = "one of ";
    for (size_t i = 0; i < choices.size(); ++i) {
      if (i > 0) expected += ", ";
      expected += choices[i];
    }
    return value_error(expected, value);
  };
}

// One key of the schema: a leaf with a setter, or a section with keys of its own.
struct Key {
  std::string_view name;
  Setter set;             // leaf when non-empty
  std::vector<Key> keys;  // section otherwise
};

std::vector<Key> schema(Config& c) {
  constexpr std::string_view kPool = "a pool name (letters, digits, '.', '-', '_'; at most 64)";
  return {
      {"store", absolute_path(&c.store, false), {}},
      {"store_map_size", size_at_least(&c.store_map_size, kMinStoreMapSize), {}},
      {"platform",
       {},
       {
           {"id",
            identifier(&c.platform.id, "letters, digits, '.', '-' or '_' (1 to 64)", false),
            {}},
           {"dkim_domain", domain_name(&c.platform.dkim_domain, "a domain name"), {}},
           {"dkim_selector",
            domain_name(&c.platform.dkim_selector,
                        "a DKIM selector (letters, digits, hyphens, dot-separated)"),
            {}},
           {"dkim_key_file", absolute_path(&c.platform.dkim_key_file, true), {}},
           {"return_path_domain", domain_name(&c.platform.return_path_domain, "a domain name"), {}},
           {"token_secret_file", absolute_path(&c.platform.token_secret_file, true), {}},
           {"unsubscribe_url", http_url(&c.platform.unsubscribe_url), {}},
       }},
      {"policyd",
       {},
       {
           {"policy_listen", listen_spec(&c.policyd.policy_listen), {}},
           {"route_listen", listen_spec(&c.policyd.route_listen), {}},
           {"auth_listen", listen_spec(&c.policyd.auth_listen), {}},
           {"default_transactional_pool",
            identifier(&c.policyd.default_transactional_pool, kPool, true),
            {}},
           {"default_promotional_pool",
            identifier(&c.policyd.default_promotional_pool, kPool, true),
            {}},
       }},
      {"milter", {}, {{"listen", listen_spec(&c.milter.listen), {}}}},
      {"reputation",
       {},
       {{"high_volume_min_score",
         number_between(&c.reputation.high_volume_min_score, 0, 100),
         {}}}},
      {"logging",
       {},
       {{"level", one_of(&c.logging.level, {"debug", "info", "warning", "error"}), {}}}},
      {"outcomes",
       {},
       {
           {"maillog_file", absolute_path(&c.outcomes.maillog_file, false), {}},
           {"poll_interval",
            duration_between(&c.outcomes.poll_interval, kMinOutcomesPollInterval,
                             kMaxOutcomesPollInterval),
            {}},
       }},
  };
}

std::string_view node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a value";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// Walks the YAML tree against the schema and turns every complaint into
// "<source>:<line>: <dotted.key>: <message>".
class Walker {
 public:
  explicit Walker(const std::string& source) : source_(source) {}

  Error at(const YAML::Mark& mark, std::string_view key, std::string_view message) const {
    std::string where = source_;
    if (!mark.is_null()) where += fmt::format(":{}", mark.line + 1);
    if (key.empty()) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", where, message));
    }
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: {}: {}", where, key, message));
  }

  // `node` is the value of section `prefix` ("" for the top level); null means "all defaults".
  Status walk(const YAML::Node& node, const YAML::Mark& fallback, const std::vector<Key>& keys,
              const std::string& prefix) const {
    if (node.IsNull()) return ok_status();
    if (!node.IsMap()) {
      return at(mark_of(node, fallback), prefix,
                fmt::format("expected a mapping of keys, got {}", node_kind(node)));
    }
    std::map<std::string, int, std::less<>> seen;  // key -> 1-based line of first use
    for (const auto& pair : node) {
      const YAML::Node& key_node = pair.first;
      const YAML::Node& value = pair.second;
      YAML::Mark key_mark = mark_of(key_node, mark_of(node, fallback));
      if (!key_node.IsScalar()) {
        return at(key_mark, prefix,
                  fmt::format("expected a key name, got {}", node_kind(key_node)));
      }
      const std::string& name = key_node.Scalar();
      std::string dotted = prefix.empty() ? name : prefix + "." + name;
      std::string shown = sanitize(dotted, kMaxQuotedValue);
      auto [it, inserted] = seen.emplace(name, key_mark.line + 1);
      if (!inserted) {
        return at(key_mark, shown, fmt::format("duplicate key (first set on line {})", it->second));
      }
      auto key =
          std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == name; });
      if (key == keys.end()) return at(key_mark, shown, "unknown key" + known_keys(keys));
      // yaml-cpp marks an empty value where the next token starts; the key's line is clearer.
      YAML::Mark value_mark = value.IsNull() ? key_mark : mark_of(value, key_mark);
      if (!key->set) {
        SENDPOOL_TRY(walk(value, key_mark, key->keys, dotted));
        continue;
      }
      Scalar scalar;
      if (value.IsNull()) {
        scalar.null = true;
      } else if (value.IsScalar()) {
        scalar.text = value.Scalar();
      } else {
        return at(value_mark, shown,
                  fmt::format("expected a single value, got {}", node_kind(value)));
      }
      Status set = key->set(scalar);
      if (!set) return at(value_mark, shown, set.error().message);
    }
    return ok_status();
  }

 private:
  static YAML::Mark mark_of(const YAML::Node& node, const YAML::Mark& fallback) {
    YAML::Mark mark = node.Mark();
    return mark.is_null() ? fallback : mark;
  }

  static std::string known_keys(const std::vector<Key>& keys) {
    std::string out = " (known keys: ";
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) out += ", ";
      out += keys[i].name;
    }
    return out + ")";
  }

  std::string source_;
};

Result<Config> parse_config_or_throw(std::string_view yaml_text, const std::string& source_name) {
  Walker walker(source_name);
  // yaml-cpp stops at a NUL byte and would silently ignore the rest of the file.
  if (size_t nul = yaml_text.find('\0'); nul != std::string_view::npos) {
    YAML::Mark mark;
    mark.line = static_cast<int>(std::count(yaml_text.begin(), yaml_text.begin() + nul, '\n'));
    return walker.at(mark, "", "invalid YAML: contains a NUL byte");
  }
  std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
  Config config;
  config.source_file = source_name;
  if (documents.empty()) return config;
  if (documents.size() > 1) {
    return walker.at(documents[1].Mark(), "", "only one YAML document is allowed");
  }
  YAML::Mark start;  // line 0: the top of the file
  SENDPOOL_TRY(walker.walk(documents[0], start, schema(config), ""));
  return config;
}

}  // namespace

Result<Config> parse_config(std::string_view yaml_text, const std::string& source_name) {
  try {
    return parse_config_or_throw(yaml_text, source_name);
  } catch (const YAML::Exception& e) {
    std::string where = source_name;
    if (!e.mark.is_null()) where += fmt::format(":{}", e.mark.line + 1);
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: invalid YAML: {}", where, sanitize(e.msg)));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("{}: cannot parse: {}", source_name, sanitize(e.what())));
  } catch (...) {
    return make_error(ErrorCode::kInternal, fmt::format("{}: cannot parse", source_name));
  }
}

Result<Config> load_config(const std::string& path) {
  auto io_error = [&path](int err, std::string_view doing) {
    ErrorCode code = err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    return make_error(code, fmt::format("{}: cannot {}: {}", path, doing,
                                        std::error_code(err, std::generic_category()).message()));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return io_error(errno, "open");
  std::string text;
  std::array<char, 8192> buffer;
  while (true) {
    size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
    text.append(buffer.data(), n);
    if (text.size() > kMaxConfigFileSize) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: larger than {} bytes", path, kMaxConfigFileSize));
    }
    if (n < buffer.size()) {
      if (std::ferror(file.get())) return io_error(errno, "read");
      break;
    }
  }
  return parse_config(text, path);
}

}  // namespace sendpool
