// The one configuration file shared by every sendpool program (sendpool.yaml).
//
// parse_config() turns YAML text into a validated Config; load_config() reads the file first.
// Every key has a built-in default (an empty or absent file gives them all); unknown keys,
// wrong types and invalid values are errors whose message names the file, the line and the
// dotted key, e.g. `sendpool.yaml:12: platform.dkim_domain: expected a domain name, got "x y"`,
// so a daemon can print it and exit with kExitConfig (DESIGN.md §5).
// Ownership: Config is a plain value; programs keep their own copy.
// Thread-safety: value types; the functions share no state.
// Security: the file is operator-written but still treated as untrusted text: it is size-
// bounded, nothing in it is executed or expanded, and values are quoted sanitised in errors.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/daemon/listen_spec.h"

namespace sendpool {

// sysexits(3) EX_CONFIG: what a program exits with when its configuration is invalid.
inline constexpr int kExitConfig = 78;
inline constexpr const char* kDefaultConfigPath = "/etc/sendpool/sendpool.yaml";

// Largest configuration file load_config() reads.
inline constexpr size_t kMaxConfigFileSize = 1024 * 1024;
// Smallest store map size accepted; LMDB needs room for its meta pages and the schema.
inline constexpr uint64_t kMinStoreMapSize = 1024 * 1024;

inline constexpr const char* kDefaultStorePath = "/var/lib/sendpool/store";
inline constexpr uint64_t kDefaultStoreMapSize = uint64_t{16} * 1024 * 1024 * 1024;
inline constexpr const char* kDefaultPlatformId = "sendpool";
inline constexpr const char* kDefaultPolicySocket = "/var/spool/postfix/sendpool/policy";
inline constexpr const char* kDefaultRouteSocket = "/var/spool/postfix/sendpool/route";
inline constexpr const char* kDefaultAuthSocket = "/var/spool/postfix/sendpool/auth";
inline constexpr const char* kDefaultMilterHost = "127.0.0.1";
inline constexpr uint16_t kDefaultMilterPort = 8891;
inline constexpr double kDefaultHighVolumeMinScore = 80;
inline constexpr const char* kDefaultLogLevel = "info";
inline constexpr const char* kDefaultMaillogFile = "/var/log/mail.log";
inline constexpr std::chrono::milliseconds kDefaultOutcomesPollInterval{1000};
// Bounds of outcomes.poll_interval: often enough to matter, rarely enough not to spin.
inline constexpr std::chrono::milliseconds kMinOutcomesPollInterval{10};
inline constexpr std::chrono::milliseconds kMaxOutcomesPollInterval{3600 * 1000};

struct Config {
  // Platform identity, shared by the milter (signing, headers) and the feedback tools.
  // Empty strings mean "not configured"; the program that needs a value checks for it.
  struct Platform {
    std::string id = kDefaultPlatformId;  // platform.id, the last field of Feedback-ID
    std::string dkim_domain;              // d= of the platform signature
    std::string dkim_selector;            // s= of the platform signature
    std::string dkim_key_file;            // absolute path of the platform's private key
    std::string return_path_domain;       // domain of the signed return-path addresses
    std::string token_secret_file;        // absolute path of the return-path HMAC secret
    std::string unsubscribe_url;          // http(s) URL for List-Unsubscribe
  };

  struct Policyd {
    ListenSpec policy_listen = make_unix_listen_spec(kDefaultPolicySocket);
    ListenSpec route_listen = make_unix_listen_spec(kDefaultRouteSocket);
    ListenSpec auth_listen = make_unix_listen_spec(kDefaultAuthSocket);
    std::string default_transactional_pool;  // pool name; empty: none
    std::string default_promotional_pool;    // pool name; empty: none
  };

  struct Milter {
    ListenSpec listen = make_inet_listen_spec(kDefaultMilterHost, kDefaultMilterPort);
  };

  struct Reputation {
    // 0..100: the customer reputation a customer needs to be eligible for high-volume plans.
    double high_volume_min_score = kDefaultHighVolumeMinScore;
  };

  struct Logging {
    std::string level = kDefaultLogLevel;  // debug | info | warning | error
  };

  // sendpool-outcomes, the follower of Postfix's delivery log.
  struct Outcomes {
    std::string maillog_file = kDefaultMaillogFile;  // absolute path of the log it follows
    std::chrono::milliseconds poll_interval = kDefaultOutcomesPollInterval;
  };

  std::string source_file;  // the path or name the configuration was read from
  std::string store = kDefaultStorePath;
  uint64_t store_map_size = kDefaultStoreMapSize;
  Platform platform;
  Policyd policyd;
  Milter milter;
  Reputation reputation;
  Logging logging;
  Outcomes outcomes;
};

// Reads and parses the configuration file at `path`. A missing or unreadable file is an
// error naming the file (kNotFound / kIo); everything else as parse_config().
Result<Config> load_config(const std::string& path);

// Parses configuration text; `source_name` is only used in messages and Config::source_file.
// Pure: no I/O, never throws. Errors are kInvalidArgument, formatted
// `<source_name>:<line>: <dotted.key>: <what is wrong>`.
Result<Config> parse_config(std::string_view yaml_text, const std::string& source_name);

}  // namespace sendpool
