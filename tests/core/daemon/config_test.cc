#include "core/daemon/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace sendpool {
namespace {

constexpr const char* kName = "sendpool.yaml";

Config must_parse(const std::string& text) {
  auto config = parse_config(text, kName);
  EXPECT_TRUE(config) << config.error().message;
  return config ? *config : Config{};
}

void expect_defaults(const Config& c) {
  EXPECT_EQ(c.store, "/var/lib/sendpool/store");
  EXPECT_EQ(c.store_map_size, uint64_t{16} * 1024 * 1024 * 1024);
  EXPECT_EQ(c.platform.id, "sendpool");
  EXPECT_EQ(c.platform.dkim_domain, "");
  EXPECT_EQ(c.platform.dkim_selector, "");
  EXPECT_EQ(c.platform.dkim_key_file, "");
  EXPECT_EQ(c.platform.return_path_domain, "");
  EXPECT_EQ(c.platform.token_secret_file, "");
  EXPECT_EQ(c.platform.unsubscribe_url, "");
  EXPECT_EQ(c.policyd.policy_listen.text, "unix:/var/spool/postfix/sendpool/policy");
  EXPECT_EQ(c.policyd.policy_listen.kind, ListenSpec::Kind::kUnix);
  EXPECT_EQ(c.policyd.policy_listen.path, "/var/spool/postfix/sendpool/policy");
  EXPECT_EQ(c.policyd.route_listen.text, "unix:/var/spool/postfix/sendpool/route");
  EXPECT_EQ(c.policyd.auth_listen.text, "unix:/var/spool/postfix/sendpool/auth");
  EXPECT_EQ(c.policyd.default_transactional_pool, "");
  EXPECT_EQ(c.policyd.default_promotional_pool, "");
  EXPECT_EQ(c.milter.listen.text, "inet:127.0.0.1:8891");
  EXPECT_EQ(c.milter.listen.kind, ListenSpec::Kind::kInet);
  EXPECT_EQ(c.milter.listen.host, "127.0.0.1");
  EXPECT_EQ(c.milter.listen.port, 8891);
  EXPECT_EQ(c.reputation.high_volume_min_score, 80);
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_EQ(c.outcomes.maillog_file, "/var/log/mail.log");
  EXPECT_EQ(c.outcomes.poll_interval, std::chrono::seconds(1));
}

TEST(ConfigTest, ExitCodeAndDefaultPathFollowTheDesign) {
  EXPECT_EQ(kExitConfig, 78);
  EXPECT_STREQ(kDefaultConfigPath, "/etc/sendpool/sendpool.yaml");
}

TEST(ConfigTest, DefaultConstructedConfigHoldsTheDocumentedDefaults) {
  expect_defaults(Config{});
}

TEST(ConfigTest, EmptyOrCommentOnlyFileGivesAllDefaults) {
  for (const char* text : {"", "\n\n", "# nothing here\n", "---\n", "~\n",
                           "platform:\npolicyd:\nmilter:\nreputation:\nlogging:\noutcomes:\n",
                           "platform: {}\n", "platform:\n  # id: sendpool\n"}) {
    SCOPED_TRACE(text);
    auto config = parse_config(text, kName);
    ASSERT_TRUE(config) << config.error().message;
    expect_defaults(*config);
    EXPECT_EQ(config->source_file, kName);
  }
}

TEST(ConfigTest, EveryKeyCanBeSet) {
  Config c = must_parse(R"(
store: /srv/sendpool/store
store_map_size: 2GB
platform:
  id: acme-mail
  dkim_domain: dkim.acme.example
  dkim_selector: sp2024.a
  dkim_key_file: /etc/sendpool/keys/p.key
  return_path_domain: rp.acme.example
  token_secret_file: /etc/sendpool/keys/t.secret
  unsubscribe_url: https://u.acme.example:8443/unsub?x=1
policyd:
  policy_listen: inet:127.0.0.1:10040
  route_listen: inet:[::1]:10041
  auth_listen: unix:/run/sendpool/auth
  default_transactional_pool: trans-1
  default_promotional_pool: promo_1
milter:
  listen: unix:/var/spool/postfix/private/sendpool-milter
reputation:
  high_volume_min_score: 92.5
logging:
  level: debug
outcomes:
  maillog_file: /var/log/postfix.log
  poll_interval: 250ms
)");
  EXPECT_EQ(c.store, "/srv/sendpool/store");
  EXPECT_EQ(c.store_map_size, 2'000'000'000u);
  EXPECT_EQ(c.platform.id, "acme-mail");
  EXPECT_EQ(c.platform.dkim_domain, "dkim.acme.example");
  EXPECT_EQ(c.platform.dkim_selector, "sp2024.a");
  EXPECT_EQ(c.platform.dkim_key_file, "/etc/sendpool/keys/p.key");
  EXPECT_EQ(c.platform.return_path_domain, "rp.acme.example");
  EXPECT_EQ(c.platform.token_secret_file, "/etc/sendpool/keys/t.secret");
  EXPECT_EQ(c.platform.unsubscribe_url, "https://u.acme.example:8443/unsub?x=1");
  EXPECT_EQ(c.policyd.policy_listen, make_inet_listen_spec("127.0.0.1", 10040));
  EXPECT_EQ(c.policyd.route_listen, make_inet_listen_spec("::1", 10041));
  EXPECT_EQ(c.policyd.auth_listen, make_unix_listen_spec("/run/sendpool/auth"));
  EXPECT_EQ(c.policyd.default_transactional_pool, "trans-1");
  EXPECT_EQ(c.policyd.default_promotional_pool, "promo_1");
  EXPECT_EQ(c.milter.listen, make_unix_listen_spec("/var/spool/postfix/private/sendpool-milter"));
  EXPECT_EQ(c.reputation.high_volume_min_score, 92.5);
  EXPECT_EQ(c.logging.level, "debug");
  EXPECT_EQ(c.outcomes.maillog_file, "/var/log/postfix.log");
  EXPECT_EQ(c.outcomes.poll_interval, std::chrono::milliseconds(250));
}

TEST(ConfigTest, OutcomesPollIntervalTakesDurationsFromTenMillisecondsToAnHour) {
  EXPECT_EQ(must_parse("outcomes: {poll_interval: 10ms}\n").outcomes.poll_interval,
            std::chrono::milliseconds(10));
  EXPECT_EQ(must_parse("outcomes: {poll_interval: 5m}\n").outcomes.poll_interval,
            std::chrono::minutes(5));
  EXPECT_EQ(must_parse("outcomes: {poll_interval: 1h}\n").outcomes.poll_interval,
            std::chrono::hours(1));
}

TEST(ConfigTest, KeysLeftOutKeepTheirDefaults) {
  Config c = must_parse("platform:\n  dkim_domain: dkim.example.net\n");
  EXPECT_EQ(c.platform.dkim_domain, "dkim.example.net");
  c.platform.dkim_domain.clear();
  expect_defaults(c);
}

TEST(ConfigTest, OptionalKeysAcceptEmptyAsNotConfigured) {
  Config c = must_parse(R"(platform:
  dkim_domain: ""
  dkim_selector: ""
  dkim_key_file:
  return_path_domain: ~
  token_secret_file: ''
  unsubscribe_url: ""
policyd:
  default_transactional_pool: ""
  default_promotional_pool:
)");
  expect_defaults(c);
}

TEST(ConfigTest, ScoreTakesAnyNumberFromZeroToHundredAndLevelTakesItsNames) {
  const struct {
    const char* yaml;
    double score;
    const char* level;
  } cases[] = {
      {"reputation: {high_volume_min_score: 0}\n", 0, "info"},
      {"reputation: {high_volume_min_score: 100}\n", 100, "info"},
      {"reputation: {high_volume_min_score: 1e1}\n", 10, "info"},
      {"reputation: {high_volume_min_score: '55'}\n", 55, "info"},
      {"logging: {level: warning}\n", 80, "warning"},
      {"logging: {level: error}\n", 80, "error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    Config config = must_parse(c.yaml);
    EXPECT_EQ(config.reputation.high_volume_min_score, c.score);
    EXPECT_EQ(config.logging.level, c.level);
  }
}

TEST(ConfigTest, StoreMapSizeAcceptsEveryUnitFromOneMebibyte) {
  EXPECT_EQ(must_parse("store_map_size: 1MiB\n").store_map_size, 1024u * 1024u);
  EXPECT_EQ(must_parse("store_map_size: 1048576\n").store_map_size, 1024u * 1024u);
  EXPECT_EQ(must_parse("store_map_size: 1TiB\n").store_map_size, uint64_t{1} << 40);
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  auto config = parse_config("store: /s\n\nplatform:\n  id: x\n  dkim_domian: a.example\n", kName);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(config.error().message.rfind("sendpool.yaml:5: platform.dkim_domian: unknown key", 0),
            0u)
      << config.error().message;
  // The message lists what would have been valid, to catch typos.
  EXPECT_NE(config.error().message.find("dkim_domain"), std::string::npos);
}

TEST(ConfigTest, InvalidValueMessageNamesFileLineKeyAndValue) {
  auto config =
      parse_config("# sendpool\n\n\n\n\n\n\n\n\n\nplatform:\n  dkim_domain: x y\n", kName);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message,
            "sendpool.yaml:12: platform.dkim_domain: expected a domain name, got \"x y\"");
}

TEST(ConfigTest, SourceNameIsUsedAsGiven) {
  auto config = parse_config("bogus: 1\n", "/etc/sendpool/sendpool.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message.rfind("/etc/sendpool/sendpool.yaml:1: bogus: unknown key", 0),
            0u)
      << config.error().message;
}

struct BadConfig {
  const char* yaml;
  const char* message;  // exact, or a prefix when it ends with "..."
};

void expect_errors(const BadConfig* begin, const BadConfig* end) {
  for (const BadConfig* c = begin; c != end; ++c) {
    SCOPED_TRACE(c->yaml);
    auto config = parse_config(c->yaml, kName);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    std::string want = c->message;
    if (want.size() > 3 && want.ends_with("...")) {
      want.resize(want.size() - 3);
      EXPECT_EQ(config.error().message.rfind(want, 0), 0u) << config.error().message;
    } else {
      EXPECT_EQ(config.error().message, want);
    }
  }
}

TEST(ConfigTest, InvalidValuesAreRejectedWithLineKeyAndReason) {
  const BadConfig cases[] = {
      {"store: var/lib/store\n",
       "sendpool.yaml:1: store: expected an absolute path, got \"var/lib/store\""},
      {"store: \"\"\n", "sendpool.yaml:1: store: expected an absolute path, got \"\""},
      {"store:\n", "sendpool.yaml:1: store: expected an absolute path, got nothing"},
      {"store: \"/a\\tb\"\n", "sendpool.yaml:1: store: expected an absolute path, got \"/a?b\""},
      {"store_map_size: 16 GiB\n",
       "sendpool.yaml:1: store_map_size: invalid size \"16 GiB\": unknown unit \" GiB\"..."},
      {"store_map_size: -1\n",
       "sendpool.yaml:1: store_map_size: invalid size \"-1\": must not be negative"},
      {"store_map_size: 99999999999TiB\n",
       "sendpool.yaml:1: store_map_size: invalid size \"99999999999TiB\": too large"},
      {"store_map_size: 512KiB\n",
       "sendpool.yaml:1: store_map_size: expected a size of at least 1MiB, got \"512KiB\""},
      {"store_map_size:\n",
       "sendpool.yaml:1: store_map_size: expected a size such as 16GiB, got nothing"},
      {"platform:\n  id: a:b\n",
       "sendpool.yaml:2: platform.id: expected letters, digits, '.', '-' or '_' (1 to 64), got "
       "\"a:b\""},
      {"platform:\n  id: \"\"\n",
       "sendpool.yaml:2: platform.id: expected letters, digits, '.', '-' or '_' (1 to 64), got "
       "\"\""},
      {"platform:\n  id:\n",
       "sendpool.yaml:2: platform.id: expected letters, digits, '.', '-' or '_' (1 to 64), got "
       "nothing"},
      {"platform:\n  id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
       "sendpool.yaml:2: platform.id: expected letters, digits..."},
      {"platform:\n  dkim_domain: example..net\n",
       "sendpool.yaml:2: platform.dkim_domain: expected a domain name, got \"example..net\""},
      {"platform:\n  dkim_domain: example.net.\n",
       "sendpool.yaml:2: platform.dkim_domain: expected a domain name, got \"example.net.\""},
      {"platform:\n  dkim_selector: s_1\n",
       "sendpool.yaml:2: platform.dkim_selector: expected a DKIM selector (letters, digits, "
       "hyphens, dot-separated), got \"s_1\""},
      {"platform:\n  dkim_key_file: keys/p.key\n",
       "sendpool.yaml:2: platform.dkim_key_file: expected an absolute path, got \"keys/p.key\""},
      {"platform:\n  return_path_domain: -bounces.example.net\n",
       "sendpool.yaml:2: platform.return_path_domain: expected a domain name, got "
       "\"-bounces.example.net\""},
      {"platform:\n  token_secret_file: token.secret\n",
       "sendpool.yaml:2: platform.token_secret_file: expected an absolute path, got "
       "\"token.secret\""},
      {"platform:\n  unsubscribe_url: ftp://u.example.net/\n",
       "sendpool.yaml:2: platform.unsubscribe_url: expected an http:// or https:// URL, got "
       "\"ftp://u.example.net/\""},
      {"platform:\n  unsubscribe_url: https://\n",
       "sendpool.yaml:2: platform.unsubscribe_url: expected an http:// or https:// URL..."},
      {"platform:\n  unsubscribe_url: https://u.example.net/a b\n",
       "sendpool.yaml:2: platform.unsubscribe_url: expected an http:// or https:// URL..."},
      {"platform:\n  unsubscribe_url: https://u.example.net/a>b\n",
       "sendpool.yaml:2: platform.unsubscribe_url: expected an http:// or https:// URL..."},
      {"platform:\n  unsubscribe_url: https://u.example.net:/\n",
       "sendpool.yaml:2: platform.unsubscribe_url: expected an http:// or https:// URL..."},
      {"platform:\n  unsubscribe_url: https://u.example.net:80a/\n",
       "sendpool.yaml:2: platform.unsubscribe_url: expected an http:// or https:// URL..."},
      {"platform:\n  unsubscribe_url: https://u_x.example.net/\n",
       "sendpool.yaml:2: platform.unsubscribe_url: expected an http:// or https:// URL..."},
      {"policyd:\n  policy_listen: tcp:1.2.3.4:5\n",
       "sendpool.yaml:2: policyd.policy_listen: invalid listen address \"tcp:1.2.3.4:5\": "
       "expected unix:/path or inet:host:port"},
      {"policyd:\n  route_listen: unix:relative\n",
       "sendpool.yaml:2: policyd.route_listen: invalid listen address \"unix:relative\": socket "
       "path must be absolute (start with '/')"},
      {"policyd:\n  auth_listen: inet:127.0.0.1:0\n",
       "sendpool.yaml:2: policyd.auth_listen: invalid listen address \"inet:127.0.0.1:0\": port "
       "must be a number from 1 to 65535"},
      {"policyd:\n  auth_listen:\n",
       "sendpool.yaml:2: policyd.auth_listen: expected unix:/path or inet:host:port, got nothing"},
      {"policyd:\n  default_transactional_pool: pool 1\n",
       "sendpool.yaml:2: policyd.default_transactional_pool: expected a pool name (letters, "
       "digits, '.', '-', '_'; at most 64), got \"pool 1\""},
      {"policyd:\n  default_promotional_pool: smtp:promo\n",
       "sendpool.yaml:2: policyd.default_promotional_pool: expected a pool name..."},
      {"milter:\n  listen: inet:localhost\n",
       "sendpool.yaml:2: milter.listen: invalid listen address \"inet:localhost\": missing ':port' "
       "(expected inet:host:port)"},
      {"reputation:\n  high_volume_min_score: 100.5\n",
       "sendpool.yaml:2: reputation.high_volume_min_score: expected a number from 0 to 100, got "
       "\"100.5\""},
      {"reputation:\n  high_volume_min_score: -1\n",
       "sendpool.yaml:2: reputation.high_volume_min_score: expected a number from 0 to 100, got "
       "\"-1\""},
      {"reputation:\n  high_volume_min_score: high\n",
       "sendpool.yaml:2: reputation.high_volume_min_score: expected a number from 0 to 100, got "
       "\"high\""},
      {"reputation:\n  high_volume_min_score: 80%\n",
       "sendpool.yaml:2: reputation.high_volume_min_score: expected a number from 0 to 100, got "
       "\"80%\""},
      {"reputation:\n  high_volume_min_score: nan\n",
       "sendpool.yaml:2: reputation.high_volume_min_score: expected a number from 0 to 100, got "
       "\"nan\""},
      {"reputation:\n  high_volume_min_score: inf\n",
       "sendpool.yaml:2: reputation.high_volume_min_score: expected a number from 0 to 100..."},
      {"reputation:\n  high_volume_min_score:\n",
       "sendpool.yaml:2: reputation.high_volume_min_score: expected a number from 0 to 100, got "
       "nothing"},
      {"logging:\n  level: verbose\n",
       "sendpool.yaml:2: logging.level: expected one of debug, info, warning, error, got "
       "\"verbose\""},
      {"logging:\n  level: INFO\n",
       "sendpool.yaml:2: logging.level: expected one of debug, info, warning, error, got "
       "\"INFO\""},
      {"logging:\n  level:\n",
       "sendpool.yaml:2: logging.level: expected one of debug, info, warning, error, got "
       "nothing"},
      {"outcomes:\n  maillog_file: mail.log\n",
       "sendpool.yaml:2: outcomes.maillog_file: expected an absolute path, got \"mail.log\""},
      {"outcomes:\n  maillog_file:\n",
       "sendpool.yaml:2: outcomes.maillog_file: expected an absolute path, got nothing"},
      {"outcomes:\n  poll_interval: 1\n",
       "sendpool.yaml:2: outcomes.poll_interval: expected a duration from 10ms to 1h, got \"1\""},
      {"outcomes:\n  poll_interval: 5ms\n",
       "sendpool.yaml:2: outcomes.poll_interval: expected a duration from 10ms to 1h, got \"5ms\""},
      {"outcomes:\n  poll_interval: 2h\n",
       "sendpool.yaml:2: outcomes.poll_interval: expected a duration from 10ms to 1h, got \"2h\""},
      {"outcomes:\n  poll_interval:\n",
       "sendpool.yaml:2: outcomes.poll_interval: expected a duration from 10ms to 1h, got nothing"},
  };
  expect_errors(std::begin(cases), std::end(cases));
}

TEST(ConfigTest, WrongTypesAreRejectedWithLineAndKey) {
  const BadConfig cases[] = {
      {"store: [/a, /b]\n", "sendpool.yaml:1: store: expected a single value, got a sequence"},
      {"store:\n  path: /a\n", "sendpool.yaml:2: store: expected a single value, got a mapping"},
      {"platform: sendpool\n",
       "sendpool.yaml:1: platform: expected a mapping of keys, got a value"},
      {"policyd:\n  - policy_listen\n",
       "sendpool.yaml:2: policyd: expected a mapping of keys, got a sequence"},
      {"milter:\n  listen: [inet:127.0.0.1:8891]\n",
       "sendpool.yaml:2: milter.listen: expected a single value, got a sequence"},
      {"logging:\n  level: {name: info}\n",
       "sendpool.yaml:2: logging.level: expected a single value, got a mapping"},
      {"- store\n", "sendpool.yaml:1: expected a mapping of keys, got a sequence"},
      {"just some text\n", "sendpool.yaml:1: expected a mapping of keys, got a value"},
      {"? [a, b]\n: c\n", "sendpool.yaml:1: expected a key name, got a sequence"},
      {"platform:\n  ? {a: b}\n  : c\n",
       "sendpool.yaml:2: platform: expected a key name, got a mapping"},
  };
  expect_errors(std::begin(cases), std::end(cases));
}

TEST(ConfigTest, UnknownKeysAreRejectedAtEveryLevel) {
  const BadConfig cases[] = {
      {"stor: /a\n",
       "sendpool.yaml:1: stor: unknown key (known keys: store, store_map_size, "
       "platform, policyd, milter, reputation, logging, outcomes)"},
      {"platform:\n  domain: a.example\n", "sendpool.yaml:2: platform.domain: unknown key..."},
      {"policyd:\n  listen: unix:/a\n", "sendpool.yaml:2: policyd.listen: unknown key..."},
      {"milter:\n  socket: unix:/a\n",
       "sendpool.yaml:2: milter.socket: unknown key (known keys: listen)"},
      {"reputation:\n  min_score: 1\n", "sendpool.yaml:2: reputation.min_score: unknown key..."},
      {"logging:\n  facility: mail\n", "sendpool.yaml:2: logging.facility: unknown key..."},
      {"outcomes:\n  file: /a\n",
       "sendpool.yaml:2: outcomes.file: unknown key (known keys: maillog_file, poll_interval)"},
      {"logging:\n  level:\n    debug: yes\n",
       "sendpool.yaml:3: logging.level: expected a single value, got a mapping"},
      {"<<: {store: /a}\n", "sendpool.yaml:1: <<: unknown key..."},
  };
  expect_errors(std::begin(cases), std::end(cases));
}

TEST(ConfigTest, DuplicateKeysAreRejected) {
  const BadConfig cases[] = {
      {"store: /a\nstore: /b\n", "sendpool.yaml:2: store: duplicate key (first set on line 1)"},
      {"platform:\n  id: a\n\n  id: b\n",
       "sendpool.yaml:4: platform.id: duplicate key (first set on line 2)"},
      {"milter: {}\nmilter: {}\n", "sendpool.yaml:2: milter: duplicate key (first set on line 1)"},
  };
  expect_errors(std::begin(cases), std::end(cases));
}

TEST(ConfigTest, YamlSyntaxErrorNamesFileAndLine) {
  const BadConfig cases[] = {
      {"store: /a\nplatform: [unclosed\n", "sendpool.yaml:3: invalid YAML: ..."},
      {"store: /a\n  bad indent: x\n", "sendpool.yaml:2: invalid YAML: ..."},
      {"store: {path: /a\n", "sendpool.yaml:2: invalid YAML: ..."},
      {"store: /a\nplatform:\n\tid: x\n", "sendpool.yaml:3: invalid YAML: ..."},
      {"a: *nowhere\n", "sendpool.yaml:1: invalid YAML: ..."},
      {"store: /a\n---\nstore: /b\n", "sendpool.yaml:3: only one YAML document is allowed"},
  };
  expect_errors(std::begin(cases), std::end(cases));
}

TEST(ConfigTest, HostileInputIsAnErrorNotACrash) {
  const std::string cases[] = {
      std::string(100'000, '['), std::string(100'000, '{'),
      "store: \"\\\x01\"\n",     "store: /a\n" + std::string("\xff\xfe\x00\x01", 4),
      std::string("\0\0\0", 3),
  };
  for (const auto& text : cases) {
    auto config = parse_config(text, kName);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().message.rfind("sendpool.yaml", 0), 0u) << config.error().message;
    for (char c : config.error().message)
      EXPECT_GE(static_cast<unsigned char>(c), 0x20);
  }
}

TEST(ConfigTest, NulByteIsRejectedWithItsLine) {
  auto config = parse_config(std::string("store: /a\nplatform:\n  id: x\0y\n", 30), kName);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, "sendpool.yaml:3: invalid YAML: contains a NUL byte");
}

TEST(ConfigTest, BadValuesAreSanitisedInMessages) {
  auto config = parse_config("platform:\n  dkim_domain: \"a\\e[31mb\"\n", kName);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message,
            "sendpool.yaml:2: platform.dkim_domain: expected a domain name, got \"a?[31mb\"");
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "sendpool_config_test_" + std::to_string(::getpid());
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  }
  void TearDown() override {
    std::remove(file_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const std::string& text) {
    file_ = dir_ + "/sendpool.yaml";
    std::ofstream out(file_, std::ios::binary);
    out << text;
    return file_;
  }
  std::string dir_;
  std::string file_;
};

TEST_F(ConfigFileTest, LoadsAFileAndRecordsItsPath) {
  std::string path = write("logging:\n  level: debug\n");
  auto config = load_config(path);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->source_file, path);
  EXPECT_EQ(config->logging.level, "debug");
}

TEST_F(ConfigFileTest, ErrorsNameThePathAsGiven) {
  std::string path = write("store: /a\nmilter:\n  listen: nowhere\n");
  auto config = load_config(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message.rfind(path + ":3: milter.listen: invalid listen address", 0), 0u)
      << config.error().message;
}

TEST_F(ConfigFileTest, EmptyFileGivesAllDefaults) {
  auto config = load_config(write(""));
  ASSERT_TRUE(config) << config.error().message;
  expect_defaults(*config);
}

TEST_F(ConfigFileTest, MissingFileIsNotFoundAndNamesTheFile) {
  std::string path = dir_ + "/absent.yaml";
  auto config = load_config(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(config.error().message, path + ": cannot open: No such file or directory");
}

TEST_F(ConfigFileTest, DirectoryIsAnIoErrorNamingIt) {
  auto config = load_config(dir_);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kIo);
  EXPECT_EQ(config.error().message.rfind(dir_ + ": cannot ", 0), 0u) << config.error().message;
}

TEST_F(ConfigFileTest, OversizedFileIsRefused) {
  std::string path = write(std::string(kMaxConfigFileSize + 1, '#'));
  auto config = load_config(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, path + ": larger than 1048576 bytes");
}

TEST_F(ConfigFileTest, FileOfExactlyTheLimitIsRead) {
  auto config = load_config(write(std::string(kMaxConfigFileSize, '\n')));
  ASSERT_TRUE(config) << config.error().message;
}

TEST(ShippedConfigTest, EtcSendpoolYamlParsesAndMatchesBuiltInDefaults) {
  std::string path = std::string(SENDPOOL_SOURCE_DIR) + "/etc/sendpool.yaml";
  auto config = load_config(path);
  ASSERT_TRUE(config) << config.error().message;
  // The platform identity has no built-in default; the file shows example values.
  EXPECT_EQ(config->platform.dkim_domain, "dkim.example.net");
  EXPECT_EQ(config->platform.return_path_domain, "bounces.example.net");
  EXPECT_EQ(config->platform.dkim_key_file, "/etc/sendpool/keys/platform.private");
  EXPECT_EQ(config->platform.token_secret_file, "/etc/sendpool/keys/token.secret");
  EXPECT_FALSE(config->platform.dkim_selector.empty());
  EXPECT_FALSE(config->platform.unsubscribe_url.empty());
  // Everything else is exactly the built-in default.
  Config rest = *config;
  rest.platform = Config::Platform{};
  expect_defaults(rest);
}

TEST(ShippedConfigTest, EtcSendpoolYamlSetsEveryKeyExplicitly) {
  std::ifstream in(std::string(SENDPOOL_SOURCE_DIR) + "/etc/sendpool.yaml");
  ASSERT_TRUE(in);
  std::vector<std::string> keys;  // "section.key" of every uncommented key line
  std::string line;
  std::string section;
  while (std::getline(in, line)) {
    size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos || line[indent] == '#') continue;
    std::string key = line.substr(indent, line.find(':') - indent);
    if (indent == 0) section = key;
    keys.push_back(indent == 0 ? key : section + "." + key);
  }
  for (const char* key : {"store",
                          "store_map_size",
                          "platform",
                          "platform.id",
                          "platform.dkim_domain",
                          "platform.dkim_selector",
                          "platform.dkim_key_file",
                          "platform.return_path_domain",
                          "platform.token_secret_file",
                          "platform.unsubscribe_url",
                          "policyd",
                          "policyd.policy_listen",
                          "policyd.route_listen",
                          "policyd.auth_listen",
                          "policyd.default_transactional_pool",
                          "policyd.default_promotional_pool",
                          "milter",
                          "milter.listen",
                          "reputation",
                          "reputation.high_volume_min_score",
                          "logging",
                          "logging.level",
                          "outcomes",
                          "outcomes.maillog_file",
                          "outcomes.poll_interval"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
  }
  EXPECT_EQ(keys.size(), 25u);
}

}  // namespace
}  // namespace sendpool
