#include "milter/session.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/base/civil_time.h"
#include "core/proto/return_path.h"
#include "tests/milter/fakes.h"

namespace sendpool::milter {
namespace {

using testing::FailAt;
using testing::FakeCatalog;
using testing::FakeSignerFactory;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kReturnPathDomain = "rp.sendpool.example";
constexpr std::string_view kSecret = "platform-secret-for-tests";
constexpr int kToday = 20522;  // 2026-03-10
constexpr AccountId kAcmeId = 42;
constexpr AccountId kPromoId = 43;

SigningKey key(std::string domain, std::string selector, KeyType type) {
  return SigningKey{std::move(domain), std::move(selector), type, "-----PEM " + selector};
}

Account account(AccountId id, std::string username, AccountType type,
                AccountStatus status = AccountStatus::kEnabled) {
  Account a;
  a.id = id;
  a.username = std::move(username);
  a.customer = a.username + "-corp";
  a.type = type;
  a.status = status;
  return a;
}

Headers good_headers() {
  return {{"Received", "from client.example by mx.example"},
          {"From", "Acme News <news@good.example>"},
          {"To", "alice@dest.example"},
          {"Subject", "hello\n\tfolded"},
          {"Date", "Tue, 10 Mar 2026 12:00:00 +0000"},
          {"Message-ID", "<1@good.example>"}};
}

// The message a test sends, each part replaceable.
struct Message {
  std::string auth = "acme";
  std::string sender = "<news@good.example>";
  std::vector<std::string> recipients = {"<alice@dest.example>"};
  Headers headers = good_headers();
  std::vector<std::string> body = {"Hello,\r\n", "world.\r\n"};
};

class SessionTest : public ::testing::Test {
 protected:
  SessionTest()
      : clock_(start_of(date_from_day_number(kToday)) + std::chrono::hours(12)),
        log_("sendpool-milter-test", false, false) {
    platform_.keys = {key("platform.example", "p-rsa", KeyType::kRsa)};
    platform_.return_path_domain = std::string(kReturnPathDomain);
    platform_.token_secret = std::string(kSecret);
    platform_.platform_id = "sendpool-test";

    catalog_.add_account(account(kAcmeId, "acme", AccountType::kTransactional));
    catalog_.add_account(account(kPromoId, "promo", AccountType::kPromotional));
    catalog_.add_account(account(44, "off", AccountType::kTransactional, AccountStatus::kDisabled));
    catalog_.add_account(account(45, "held", AccountType::kTransactional, AccountStatus::kPaused));
    catalog_.add_account(
        account(46, "unpaid", AccountType::kTransactional, AccountStatus::kPendingPayment));
    catalog_.clients["192.0.2.10"] = "acme";
    catalog_.link("good.example", "acme");
    catalog_.link("also.example", "acme");
    catalog_.link("xn--bcher-kva.example", "acme");
    catalog_.link("nokeys.example", "acme");
    catalog_.link("promo.example", "promo");
    catalog_.link("evil.example", "promo");  // linked, but to another account
    catalog_.keys["good.example"] = {key("good.example", "s1", KeyType::kRsa)};
    catalog_.keys["also.example"] = {key("also.example", "s2", KeyType::kRsa)};
    catalog_.keys["xn--bcher-kva.example"] = {key("xn--bcher-kva.example", "s3", KeyType::kRsa)};
    catalog_.keys["promo.example"] = {key("promo.example", "rsa1", KeyType::kRsa),
                                      key("promo.example", "ed1", KeyType::kEd25519)};
  }

  // The Session, made on first use so a test may change platform_ before.
  Session& session() {
    if (!session_) {
      session_ = std::make_unique<Session>(catalog_, signer_, platform_, clock_, log_);
      session_->connect("198.51.100.7");
    }
    return *session_;
  }

  // Runs MAIL, RCPT, headers, EOH and body, expecting each to continue, then EOM.
  EomChanges send(const Message& m) {
    Session& s = session();
    EXPECT_EQ(s.mail(m.sender, m.auth).action, Action::kContinue) << m.sender;
    for (const auto& r : m.recipients)
      EXPECT_EQ(s.rcpt(r).action, Action::kContinue) << r;
    for (const auto& [n, v] : m.headers)
      EXPECT_EQ(s.header(n, v).action, Action::kContinue) << n;
    EXPECT_EQ(s.end_of_headers().action, Action::kContinue);
    for (const auto& chunk : m.body)
      EXPECT_EQ(s.body(chunk).action, Action::kContinue);
    return s.end_of_message("4ABCDEF");
  }

  // The value of the one added header called `name`, or nullopt.
  static std::optional<std::string> added(const EomChanges& out, std::string_view name) {
    std::optional<std::string> found;
    for (const auto& [n, v] : out.add_headers) {
      if (n != name) continue;
      EXPECT_FALSE(found) << "added twice: " << name;
      found = v;
    }
    return found;
  }

  static void expect_untouched(const EomChanges& out) {
    EXPECT_TRUE(out.delete_recipients.empty());
    EXPECT_FALSE(out.new_sender);
    EXPECT_TRUE(out.add_headers.empty());
    EXPECT_TRUE(out.signatures.empty());
  }

  static void expect_tempfail(const EomChanges& out) {
    EXPECT_EQ(out.reply.action, Action::kTempfail);
    EXPECT_EQ(out.reply.rcode, "451");
    EXPECT_EQ(out.reply.xcode, "4.3.0");
    expect_untouched(out);
  }

  static void expect_signed(const EomChanges& out) {
    EXPECT_EQ(out.reply.action, Action::kContinue) << out.reply.text;
    EXPECT_FALSE(out.signatures.empty());
    EXPECT_TRUE(out.new_sender);
  }

  FixedClock clock_;
  Logger log_;
  PlatformSettings platform_;
  FakeCatalog catalog_;
  FakeSignerFactory signer_;
  std::unique_ptr<Session> session_;
};

// ---- MAIL ----

TEST_F(SessionTest, MailAcceptsTheAuthenticatedAccountWithALinkedSenderDomain) {
  EXPECT_EQ(session().mail("<news@good.example>", "acme").action, Action::kContinue);
  EXPECT_EQ(catalog_.link_queries, std::vector<std::string>{"good.example acme"});
}

TEST_F(SessionTest, MailWithoutAuthUsesTheAccountThatAllowsTheClientAddress) {
  session_ = std::make_unique<Session>(catalog_, signer_, platform_, clock_, log_);
  session_->connect("192.0.2.10");
  EXPECT_EQ(session_->mail("<news@good.example>", "").action, Action::kContinue);
  EXPECT_EQ(catalog_.link_queries, std::vector<std::string>{"good.example acme"});
  expect_signed(send(Message{.auth = ""}));
}

TEST_F(SessionTest, MailWithoutAuthFromAnUnknownClientIsRefused) {
  Reply r = session().mail("<news@good.example>", "");
  EXPECT_EQ(r.action, Action::kReject);
  EXPECT_EQ(r.rcode, "550");
  EXPECT_EQ(r.xcode, "5.7.1");
  EXPECT_EQ(r.text, "client 198.51.100.7 may not send without authentication");
}

TEST_F(SessionTest, MailRefusesUnknownAndNotEnabledAccountsSayingWhy) {
  struct Case {
    std::string auth;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"nobody", "unknown account nobody"},
      {"off", "account off is disabled"},
      {"held", "account held is paused"},
      {"unpaid", "account unpaid is pending-payment"},
  };
  for (const auto& c : cases) {
    Reply r = session().mail("<news@good.example>", c.auth);
    EXPECT_EQ(r.action, Action::kReject) << c.auth;
    EXPECT_EQ(r.rcode, "550") << c.auth;
    EXPECT_EQ(r.xcode, "5.7.1") << c.auth;
    EXPECT_EQ(r.text, c.text);
  }
}

TEST_F(SessionTest, MailRefusesASenderDomainNotLinkedToTheAccount) {
  struct Case {
    std::string sender;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"<news@other.example>", "other.example is not authorised for account acme"},
      {"<news@evil.example>", "evil.example is not authorised for account acme"},
      {"<News@OTHER.Example>", "other.example is not authorised for account acme"},
  };
  for (const auto& c : cases) {
    Reply r = session().mail(c.sender, "acme");
    EXPECT_EQ(r.action, Action::kReject) << c.sender;
    EXPECT_EQ(r.rcode, "550");
    EXPECT_EQ(r.xcode, "5.7.1");
    EXPECT_EQ(r.text, c.text);
  }
}

TEST_F(SessionTest, MailRefusesTheNullSender) {
  for (std::string sender : {"<>", ""}) {
    Reply r = session().mail(sender, "acme");
    EXPECT_EQ(r.action, Action::kReject) << sender;
    EXPECT_EQ(r.rcode, "550");
    EXPECT_EQ(r.xcode, "5.7.1");
    EXPECT_NE(r.text.find("null sender"), std::string::npos) << r.text;
  }
}

TEST_F(SessionTest, MailAcceptsAnUpperCaseSenderDomainNormalised) {
  EXPECT_EQ(session().mail("<News@GOOD.Example>", "acme").action, Action::kContinue);
  EXPECT_EQ(catalog_.link_queries, std::vector<std::string>{"good.example acme"});
}

TEST_F(SessionTest, MailRefusesAMalformedSender) {
  Reply r = session().mail("<no-at-sign>", "acme");
  EXPECT_EQ(r.action, Action::kReject);
  EXPECT_EQ(r.rcode, "553");
}

// ---- RCPT ----

TEST_F(SessionTest, RcptBeforeAnAcceptedMailIsRefused) {
  EXPECT_EQ(session().rcpt("<alice@dest.example>").action, Action::kReject);
  EXPECT_EQ(session().mail("<news@other.example>", "acme").action, Action::kReject);
  EXPECT_EQ(session().rcpt("<alice@dest.example>").action, Action::kReject);
}

TEST_F(SessionTest, SuppressedRecipientsAreDeletedExactlyAsTheyWereGiven) {
  catalog_.suppress(kAcmeId, "bob@dest.example");
  catalog_.suppress(0, "Carol@dest.example");        // platform-wide
  catalog_.suppress(kPromoId, "dave@dest.example");  // another account's list: not ours
  Message m;
  m.recipients = {"<Alice@Dest.Example>", "<bob@DEST.example>", "<Carol@Dest.Example>",
                  "<dave@dest.example>"};
  EomChanges out = send(m);
  expect_signed(out);
  EXPECT_EQ(out.delete_recipients,
            (std::vector<std::string>{"<bob@DEST.example>", "<Carol@Dest.Example>"}));
}

TEST_F(SessionTest, WhenEveryRecipientIsSuppressedTheMessageIsDiscarded) {
  catalog_.suppress(kAcmeId, "alice@dest.example");
  catalog_.suppress(0, "bob@dest.example");
  Message m;
  m.recipients = {"<alice@dest.example>", "<bob@dest.example>"};
  EomChanges out = send(m);
  EXPECT_EQ(out.reply.action, Action::kDiscard);
  EXPECT_EQ(out.delete_recipients, m.recipients);
  EXPECT_TRUE(out.signatures.empty());
  EXPECT_FALSE(out.new_sender);
}

// ---- Author headers ----

struct AuthorCase {
  std::string name;
  Headers headers;        // replaces From:/Sender: of good_headers()
  std::string text_part;  // empty: accepted; otherwise the 550 text must contain it
  std::string signed_domain = "good.example";
};

Headers with_authors(const Headers& authors) {
  Headers out;
  for (const auto& h : good_headers())
    if (h.first != "From") out.push_back(h);
  out.insert(out.begin() + 1, authors.begin(), authors.end());
  return out;
}

TEST_F(SessionTest, AuthorHeadersNeedExactlyOneLinkedMailboxChecksAtEndOfMessage) {
  const std::vector<AuthorCase> cases = {
      {"no From", {}, "no From: header"},
      {"two From",
       {{"From", "news@good.example"}, {"From", "news@good.example"}},
       "has 2 From: headers"},
      {"two From of any case",
       {{"From", "news@good.example"}, {"FROM", "news@good.example"}},
       "has 2 From: headers"},
      {"two addresses", {{"From", "a@good.example, b@good.example"}}, "exactly one address"},
      {"two addresses, one elsewhere",
       {{"From", "a@good.example, b@evil.example"}},
       "exactly one address"},
      {"quoted display name with @", {{"From", "\"a@evil.example\" <x@good.example>"}}, ""},
      {"display name with @ and comma",
       {{"From", "\"Evil, a@evil.example\" <x@good.example>"}},
       ""},
      {"display name with @, address elsewhere",
       {{"From", "\"x@good.example\" <x@evil.example>"}},
       "domain evil.example is not authorised for account acme"},
      {"comment after", {{"From", "x@good.example (Evil <x@evil.example>)"}}, ""},
      {"comment before", {{"From", "(evil.example) x@good.example"}}, ""},
      {"nested comment", {{"From", "Acme (a (b@evil.example) c) <x@good.example>"}}, ""},
      {"group of one", {{"From", "Team: x@good.example;"}}, ""},
      {"empty group", {{"From", "undisclosed-recipients:;"}}, "exactly one address"},
      {"group of two", {{"From", "Team: x@good.example, y@good.example;"}}, "exactly one address"},
      {"address after a group",
       {{"From", "Team: <x@good.example>; y@evil.example"}},
       "exactly one address"},
      {"address hidden after the angle address",
       {{"From", "<x@good.example> y@evil.example"}},
       "exactly one address"},
      {"upper-case domain", {{"From", "News <News@GOOD.EXAMPLE>"}}, ""},
      {"folded", {{"From", "Acme News\n\t<news@good.example>"}}, ""},
      {"IDN A-label", {{"From", "x@xn--bcher-kva.example"}}, "", "xn--bcher-kva.example"},
      {"IDN A-label, upper case",
       {{"From", "x@XN--BCHER-KVA.example"}},
       "",
       "xn--bcher-kva.example"},
      {"IDN U-label",
       {{"From",
         "x@b\xc3\xbc"
         "cher.example"}},
       "exactly one address"},
      {"other linked domain", {{"From", "x@also.example"}}, "", "also.example"},
      {"not linked",
       {{"From", "x@other.example"}},
       "From: domain other.example is not authorised for account acme"},
      {"linked to another account",
       {{"From", "x@evil.example"}},
       "From: domain evil.example is not authorised for account acme"},
      {"malformed", {{"From", "<x@good.example"}}, "exactly one address"},
      {"empty", {{"From", ""}}, "exactly one address"},
      {"Sender linked", {{"From", "x@good.example"}, {"Sender", "agent@also.example"}}, ""},
      {"Sender not linked",
       {{"From", "x@good.example"}, {"Sender", "agent@other.example"}},
       "Sender: domain other.example is not authorised for account acme"},
      {"Sender with two addresses",
       {{"From", "x@good.example"}, {"Sender", "a@good.example, b@good.example"}},
       "the Sender: header must hold exactly one address"},
      {"two Sender",
       {{"From", "x@good.example"}, {"Sender", "a@good.example"}, {"sender", "a@good.example"}},
       "has 2 Sender: headers"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    signer_.jobs.clear();
    Session& s = session();
    ASSERT_EQ(s.mail("<news@good.example>", "acme").action, Action::kContinue);
    ASSERT_EQ(s.rcpt("<alice@dest.example>").action, Action::kContinue);
    // Nothing is refused before the end of the message.
    for (const auto& [n, v] : with_authors(c.headers))
      EXPECT_EQ(s.header(n, v).action, Action::kContinue);
    EXPECT_EQ(s.end_of_headers().action, Action::kContinue);
    EXPECT_EQ(s.body("text\r\n").action, Action::kContinue);
    EomChanges out = s.end_of_message("4ABCDEF");
    if (c.text_part.empty()) {
      expect_signed(out);
      ASSERT_FALSE(out.signatures.empty());
      EXPECT_EQ(out.signatures.front(), "sig(d=" + c.signed_domain + ";s=" +
                                            catalog_.keys[c.signed_domain].front().selector + ")");
    } else {
      EXPECT_EQ(out.reply.action, Action::kReject) << out.reply.text;
      EXPECT_EQ(out.reply.rcode, "550");
      EXPECT_EQ(out.reply.xcode, "5.7.1");
      EXPECT_NE(out.reply.text.find(c.text_part), std::string::npos) << out.reply.text;
      expect_untouched(out);
    }
  }
}

TEST_F(SessionTest, TheDisplayNameIsNotTheAddressChecked) {
  Message m;
  m.headers = with_authors({{"From", "\"a@evil.example\" <x@good.example>"}});
  catalog_.link_queries.clear();
  expect_signed(send(m));
  EXPECT_EQ(catalog_.link_queries,
            (std::vector<std::string>{"good.example acme", "good.example acme"}));
}

// ---- Added headers and the return path ----

TEST_F(SessionTest, FeedbackIdNamesAccountCustomerTypeAndPlatform) {
  EomChanges out = send(Message{});
  expect_signed(out);
  EXPECT_EQ(added(out, "Feedback-ID"), "acme:acme-corp:transactional:sendpool-test");
}

TEST_F(SessionTest, TransactionalMailGetsNoListUnsubscribe) {
  platform_.unsubscribe_url = "https://unsub.example/u";
  EomChanges out = send(Message{});
  expect_signed(out);
  EXPECT_FALSE(added(out, "List-Unsubscribe"));
  EXPECT_FALSE(added(out, "List-Unsubscribe-Post"));
  EXPECT_EQ(out.add_headers.size(), 1u);
}

Message promotional() {
  Message m;
  m.auth = "promo";
  m.sender = "<offers@promo.example>";
  m.headers = with_authors({{"From", "Promo <offers@promo.example>"}});
  return m;
}

// The mailto: token of a List-Unsubscribe value "<mailto:TOKEN?subject=unsubscribe>...".
std::string mailto_of(const std::string& value) {
  const std::string head = "<mailto:";
  EXPECT_EQ(value.rfind(head, 0), 0u) << value;
  size_t end = value.find("?subject=unsubscribe>");
  EXPECT_NE(end, std::string::npos) << value;
  if (end == std::string::npos) return {};
  return value.substr(head.size(), end - head.size());
}

void expect_unsubscribe_token(const std::string& address) {
  auto token = decode_return_path(address, kReturnPathDomain, kSecret);
  ASSERT_TRUE(token) << address;
  EXPECT_EQ(token->kind, TokenKind::kUnsubscribe);
  EXPECT_EQ(token->account, kPromoId);
  EXPECT_EQ(token->day, kToday);
}

TEST_F(SessionTest, PromotionalMailWithoutListUnsubscribeGetsAMailtoAtTheReturnPathDomain) {
  EomChanges out = send(promotional());
  expect_signed(out);
  EXPECT_EQ(added(out, "Feedback-ID"), "promo:promo-corp:promotional:sendpool-test");
  auto value = added(out, "List-Unsubscribe");
  ASSERT_TRUE(value);
  EXPECT_EQ(value->find(','), std::string::npos) << "no URL is configured: " << *value;
  std::string mailto = mailto_of(*value);
  EXPECT_TRUE(mailto.ends_with("@" + std::string(kReturnPathDomain))) << mailto;
  expect_unsubscribe_token(mailto);
  EXPECT_FALSE(added(out, "List-Unsubscribe-Post"));
}

TEST_F(SessionTest, PromotionalMailGetsAnHttpsUrlAndOneClickPostWhenAUrlIsConfigured) {
  struct Case {
    std::string url;
    std::string joiner;
  };
  for (const Case& c :
       {Case{"https://unsub.example/u", "?"}, Case{"https://unsub.example/u?list=news", "&"}}) {
    SCOPED_TRACE(c.url);
    platform_.unsubscribe_url = c.url;
    EomChanges out = send(promotional());
    expect_signed(out);
    auto value = added(out, "List-Unsubscribe");
    ASSERT_TRUE(value);
    std::string mailto = mailto_of(*value);
    expect_unsubscribe_token(mailto);
    std::string local = mailto.substr(0, mailto.find('@'));
    EXPECT_EQ(*value, "<mailto:" + mailto + "?subject=unsubscribe>, <" + c.url + c.joiner +
                          "t=" + local + ">");
    EXPECT_EQ(added(out, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
  }
}

TEST_F(SessionTest, PromotionalMailWithItsOwnListUnsubscribeGetsNoneAdded) {
  platform_.unsubscribe_url = "https://unsub.example/u";
  for (std::string name : {"List-Unsubscribe", "list-unsubscribe"}) {
    SCOPED_TRACE(name);
    Message m = promotional();
    m.headers.emplace_back(name, "<mailto:leave@promo.example>");
    EomChanges out = send(m);
    expect_signed(out);
    EXPECT_FALSE(added(out, "List-Unsubscribe"));
    EXPECT_FALSE(added(out, "List-Unsubscribe-Post"));
    EXPECT_TRUE(added(out, "Feedback-ID"));
  }
}

TEST_F(SessionTest, TheNewSenderIsASignedBounceTokenForTheAccount) {
  EomChanges out = send(Message{});
  expect_signed(out);
  ASSERT_TRUE(out.new_sender);
  const std::string& sender = *out.new_sender;
  auto token = decode_return_path(sender, kReturnPathDomain, kSecret);
  ASSERT_TRUE(token) << sender;
  EXPECT_EQ(token->kind, TokenKind::kBounce);
  EXPECT_EQ(token->account, kAcmeId);
  EXPECT_EQ(token->day, kToday);
  EXPECT_TRUE(is_valid_tag(token->tag));
  EXPECT_FALSE(decode_return_path(sender, kReturnPathDomain, "another-secret"));
  auto parsed = parse_mail_address(sender);
  ASSERT_TRUE(parsed);
  EXPECT_LE(parsed->local.size(), kMaxLocalPartLength);
  EXPECT_EQ(parsed->domain, kReturnPathDomain);
  for (char c : sender)
    EXPECT_FALSE(c >= 'A' && c <= 'Z') << sender;
}

// ---- Signatures ----

TEST_F(SessionTest, EverySignatureIsFedTheHeadersInOrderThenTheAddedOnesThenTheBody) {
  platform_.unsubscribe_url = "https://unsub.example/u";
  Message m = promotional();
  m.body = {"first\r\n", "second\r\n", "third\r\n"};
  EomChanges out = send(m);
  expect_signed(out);
  ASSERT_EQ(out.add_headers.size(), 3u);  // Feedback-ID, List-Unsubscribe, -Post
  std::vector<std::string> expected;
  for (const auto& [n, v] : m.headers)
    expected.push_back("header " + n + ": " + v);
  for (const auto& [n, v] : out.add_headers)
    expected.push_back("header " + n + ": " + v);
  expected.push_back("eoh");
  for (const auto& chunk : m.body)
    expected.push_back("body " + chunk);
  expected.push_back("finish");
  ASSERT_EQ(signer_.jobs.size(), 3u);
  for (const auto& job : signer_.jobs)
    EXPECT_EQ(job->calls, expected) << job->key.selector;
}

TEST_F(SessionTest, SignaturesAreTheDomainKeysThenThePlatformKeys) {
  platform_.keys.push_back(key("platform.example", "p-ed", KeyType::kEd25519));
  EomChanges out = send(promotional());
  expect_signed(out);
  EXPECT_EQ(out.signatures,
            (std::vector<std::string>{"sig(d=promo.example;s=rsa1)", "sig(d=promo.example;s=ed1)",
                                      "sig(d=platform.example;s=p-rsa)",
                                      "sig(d=platform.example;s=p-ed)"}));
  ASSERT_EQ(signer_.jobs.size(), 4u);
  EXPECT_EQ(signer_.jobs[1]->key.type, KeyType::kEd25519);
  EXPECT_EQ(catalog_.key_queries, std::vector<std::string>{"promo.example"});
}

TEST_F(SessionTest, ARsaOnlyDomainGetsOneDomainAndOnePlatformSignature) {
  EomChanges out = send(Message{});
  expect_signed(out);
  EXPECT_EQ(out.signatures, (std::vector<std::string>{"sig(d=good.example;s=s1)",
                                                      "sig(d=platform.example;s=p-rsa)"}));
}

TEST_F(SessionTest, TheDomainSignatureIsForTheFromDomainNotTheEnvelopeDomain) {
  Message m;
  m.sender = "<bounces@also.example>";
  EomChanges out = send(m);
  expect_signed(out);
  EXPECT_EQ(out.signatures.front(), "sig(d=good.example;s=s1)");
}

TEST_F(SessionTest, AFromDomainWithoutSigningKeysTempfails) {
  Message m;
  m.headers = with_authors({{"From", "x@nokeys.example"}});
  expect_tempfail(send(m));
}

TEST_F(SessionTest, APlatformWithoutSigningKeysTempfails) {
  platform_.keys.clear();
  expect_tempfail(send(Message{}));
}

// ---- Failures ----

TEST_F(SessionTest, AStoreFailureAtMailTempfails) {
  catalog_.fail_accounts = true;
  Reply r = session().mail("<news@good.example>", "acme");
  EXPECT_EQ(r.action, Action::kTempfail);
  EXPECT_EQ(r.rcode, "451");
  EXPECT_EQ(r.xcode, "4.3.0");
  catalog_.fail_accounts = false;
  catalog_.fail_links = true;
  r = session().mail("<news@good.example>", "acme");
  EXPECT_EQ(r.action, Action::kTempfail);
  EXPECT_EQ(r.rcode, "451");
}

TEST_F(SessionTest, AStoreFailureAtRcptTempfailsThatRecipient) {
  Session& s = session();
  ASSERT_EQ(s.mail("<news@good.example>", "acme").action, Action::kContinue);
  catalog_.fail_suppressions = true;
  Reply r = s.rcpt("<alice@dest.example>");
  EXPECT_EQ(r.action, Action::kTempfail);
  EXPECT_EQ(r.rcode, "451");
  EXPECT_EQ(r.xcode, "4.3.0");
}

TEST_F(SessionTest, AStoreFailureAtEndOfHeadersTempfailsAtEndOfMessage) {
  for (bool links : {true, false}) {
    SCOPED_TRACE(links ? "links" : "keys");
    Session& s = session();
    catalog_.fail_links = catalog_.fail_keys = false;
    ASSERT_EQ(s.mail("<news@good.example>", "acme").action, Action::kContinue);
    ASSERT_EQ(s.rcpt("<alice@dest.example>").action, Action::kContinue);
    for (const auto& [n, v] : good_headers())
      ASSERT_EQ(s.header(n, v).action, Action::kContinue);
    (links ? catalog_.fail_links : catalog_.fail_keys) = true;
    EXPECT_EQ(s.end_of_headers().action, Action::kContinue);
    EXPECT_EQ(s.body("text\r\n").action, Action::kContinue);
    expect_tempfail(s.end_of_message("4ABCDEF"));
  }
}

TEST_F(SessionTest, ASignerFailureAtAnyStepTempfailsWithNoSignatureMissing) {
  struct Case {
    FailAt at;
    std::optional<size_t> job;
  };
  const std::vector<Case> cases = {
      {FailAt::kStart, std::nullopt},
      {FailAt::kHeader, std::nullopt},
      {FailAt::kEndOfHeaders, 0},
      {FailAt::kBody, std::nullopt},
      {FailAt::kFinish, std::nullopt},
      {FailAt::kStart, 1},
      {FailAt::kBody, 1},
      {FailAt::kFinish, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "step " << static_cast<int>(c.at) << " job "
                                      << (c.job ? static_cast<int>(*c.job) : -1));
    signer_ = FakeSignerFactory{};
    signer_.fail_at = c.at;
    signer_.fail_job = c.job;
    catalog_.suppress(kAcmeId, "bob@dest.example");
    Message m;
    m.recipients = {"<alice@dest.example>", "<bob@dest.example>"};
    expect_tempfail(send(m));
  }
}

TEST_F(SessionTest, EndOfMessageWithoutEndOfHeadersTempfailsRatherThanSendUnsigned) {
  Session& s = session();
  ASSERT_EQ(s.mail("<news@good.example>", "acme").action, Action::kContinue);
  ASSERT_EQ(s.rcpt("<alice@dest.example>").action, Action::kContinue);
  for (const auto& [n, v] : good_headers())
    ASSERT_EQ(s.header(n, v).action, Action::kContinue);
  expect_tempfail(s.end_of_message("4ABCDEF"));
}

TEST_F(SessionTest, EndOfMessageWithoutAMessageTempfails) {
  expect_tempfail(session().end_of_message("4ABCDEF"));
}

TEST_F(SessionTest, TooManyHeadersAreRefused) {
  Session& s = session();
  ASSERT_EQ(s.mail("<news@good.example>", "acme").action, Action::kContinue);
  Reply last;
  for (size_t i = 0; i <= kMaxHeaders && last.action == Action::kContinue; ++i)
    last = s.header("X-Filler", "x");
  EXPECT_EQ(last.action, Action::kReject);
  EXPECT_EQ(last.rcode, "552");
}

// ---- Message state ----

TEST_F(SessionTest, AbortResetsTheMessageSoTheNextStartsClean) {
  Session& s = session();
  catalog_.suppress(kAcmeId, "bob@dest.example");
  ASSERT_EQ(s.mail("<news@good.example>", "acme").action, Action::kContinue);
  ASSERT_EQ(s.rcpt("<bob@dest.example>").action, Action::kContinue);
  ASSERT_EQ(s.header("From", "x@other.example").action, Action::kContinue);
  ASSERT_EQ(s.header("X-First", "1").action, Action::kContinue);
  ASSERT_EQ(s.end_of_headers().action, Action::kContinue);  // decided: 550 at EOM
  s.abort();

  signer_.jobs.clear();
  EomChanges out = send(Message{});
  expect_signed(out);
  EXPECT_TRUE(out.delete_recipients.empty());
  ASSERT_EQ(signer_.jobs.size(), 2u);
  for (const auto& job : signer_.jobs) {
    for (const auto& call : job->calls)
      EXPECT_EQ(call.find("X-First"), std::string::npos);
    EXPECT_EQ(job->calls.front(), "header Received: from client.example by mx.example");
  }
}

TEST_F(SessionTest, AbortAfterASignerFailureLetsTheNextMessageSign) {
  signer_.fail_at = FailAt::kBody;
  EomChanges first = send(Message{});
  expect_tempfail(first);
  session().abort();
  signer_.fail_at = FailAt::kNever;
  expect_signed(send(Message{}));
}

TEST_F(SessionTest, TheNextMailOnTheSameConnectionStartsClean) {
  catalog_.suppress(kAcmeId, "bob@dest.example");
  Message first;
  first.recipients = {"<alice@dest.example>", "<bob@dest.example>"};
  first.headers.emplace_back("X-First", "1");
  EomChanges one = send(first);
  expect_signed(one);
  EXPECT_EQ(one.delete_recipients, std::vector<std::string>{"<bob@dest.example>"});

  signer_.jobs.clear();
  Message second = promotional();
  EomChanges two = send(second);
  expect_signed(two);
  EXPECT_TRUE(two.delete_recipients.empty());
  EXPECT_EQ(added(two, "Feedback-ID"), "promo:promo-corp:promotional:sendpool-test");
  auto token = decode_return_path(*two.new_sender, kReturnPathDomain, kSecret);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->account, kPromoId);
  for (const auto& job : signer_.jobs)
    for (const auto& call : job->calls)
      EXPECT_EQ(call.find("X-First"), std::string::npos);
}

TEST_F(SessionTest, ARefusedMessageDoesNotLeakItsVerdictIntoTheNext) {
  Message bad;
  bad.headers = with_authors({{"From", "x@other.example"}});
  Session& s = session();
  ASSERT_EQ(s.mail(bad.sender, bad.auth).action, Action::kContinue);
  ASSERT_EQ(s.rcpt("<alice@dest.example>").action, Action::kContinue);
  for (const auto& [n, v] : bad.headers)
    ASSERT_EQ(s.header(n, v).action, Action::kContinue);
  ASSERT_EQ(s.end_of_headers().action, Action::kContinue);
  EXPECT_EQ(s.end_of_message("4ABC").reply.action, Action::kReject);
  expect_signed(send(Message{}));
}

}  // namespace
}  // namespace sendpool::milter
