#include "core/model/bounce_class.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

struct Case {
  std::string dsn;
  std::string text;  // as Postfix logs it inside status=… (…)
  BounceClass want;
  std::string rule;
};

std::string said(const std::string& reply) {
  return "host mx.example.net[192.0.2.25] said: " + reply + " (in reply to RCPT TO command)";
}

TEST(BounceClassTest, TableOfRealRepliesIsClassifiedAsDocumented) {
  const std::vector<Case> cases = {
      // Hard: the address does not exist (suppress).
      {"5.1.1", said("550 5.1.1 <gone@dest.example>: user unknown"), BounceClass::kHard,
       "bad-address"},
      {"5.1.1",
       said("550-5.1.1 The email account that you tried to reach does not exist. Please try "
            "double-checking the recipient's email address for typos"),
       BounceClass::kHard, "bad-address"},
      {"5.1.1", "unknown user: \"gone\"", BounceClass::kHard, "bad-address"},
      {"5.1.10", said("556 5.1.10 Recipient address has null MX"), BounceClass::kHard,
       "bad-address"},
      {"5.5.0", said("550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302)"),
       BounceClass::kHard, "no-such-user"},
      {"5.0.0", said("550 Requested action not taken: mailbox unavailable"), BounceClass::kHard,
       "no-such-user"},
      {"5.0.0", said("550 No such user here"), BounceClass::kHard, "no-such-user"},
      {"5.0.0", said("550 5.0.0 User not listed in Domino Directory"), BounceClass::kHard,
       "no-such-user"},
      {"5.4.1", said("550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"),
       BounceClass::kHard, "no-such-user"},
      {"5.2.1", said("550 5.2.1 The email account that you tried to reach is disabled."),
       BounceClass::kHard, "permanent"},
      {"5.0.0",
       said("554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) "
            "[0] - mta1234.mail.bf1.yahoo.com"),
       BounceClass::kHard, "permanent"},
      {"5.4.4",
       "Host or domain name not found. Name service error for name=nxdomain.example type=A: Host "
       "not found",
       BounceClass::kHard, "permanent"},
      // The receiving host's name is not part of the reply: "spamexperts" blocks nothing.
      {"5.0.0",
       "host mx.spamexperts.net[192.0.2.1] said: 550 Recipient unknown (in reply to RCPT TO "
       "command)",
       BounceClass::kHard, "no-such-user"},
      // Block or policy: the sender was refused, never suppress.
      {"5.7.1",
       said("554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using "
            "zen.spamhaus.org"),
       BounceClass::kBlock, "policy-status"},
      {"5.7.1",
       said("550 5.7.1 Unfortunately, messages from [192.0.2.2] weren't sent. Please contact your "
            "Internet service provider since part of their network is on our block list (S3150)"),
       BounceClass::kBlock, "policy-status"},
      {"5.7.1", said("553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.2"),
       BounceClass::kBlock, "policy-status"},
      {"5.7.26", said("550 5.7.26 This message does not pass authentication checks (SPF and DKIM)"),
       BounceClass::kBlock, "policy-status"},
      {"5.7.1", said("554 5.7.1 <x@dest.example>: Relay access denied"), BounceClass::kBlock,
       "policy-status"},
      {"5.7.1", said("550 5.7.1 No such user"), BounceClass::kBlock, "policy-status"},
      {"5.0.0", said("554 Your IP is listed at bl.example.org"), BounceClass::kBlock, "blocked"},
      {"5.0.0", said("550 Message rejected as spam by Content Filtering"), BounceClass::kBlock,
       "blocked"},
      {"5.0.0", said("550 mailbox unavailable: sending IP blacklisted"), BounceClass::kBlock,
       "blocked"},
      {"5.0.0", said("554 Rejected due to poor sender reputation"), BounceClass::kBlock, "blocked"},
      {"5.0.0", said("550 relaying denied"), BounceClass::kBlock, "blocked"},
      {"5.1.8", said("553 5.1.8 <b.1@bounces.example>: Sender address rejected: Domain not found"),
       BounceClass::kBlock, "bad-sender"},
      // Soft: transient, or the message rather than the address.
      {"4.2.0", said("450 4.2.0 mailbox busy, try later"), BounceClass::kSoft, "transient"},
      {"4.2.2", said("452 4.2.2 The email account that you tried to reach is over quota"),
       BounceClass::kSoft, "transient"},
      {"4.1.1", said("450 4.1.1 <x@dest.example>: Recipient address rejected: User unknown"),
       BounceClass::kSoft, "transient"},
      {"4.4.1", "connect to mx.example.net[192.0.2.25]:25: Connection refused", BounceClass::kSoft,
       "transient"},
      {"4.7.0", said("421 4.7.0 Try again later, closing connection (reputation)"),
       BounceClass::kBlock, "policy-status"},
      {"4.0.0", said("451 Temporarily rejected: your IP is on a block list"), BounceClass::kBlock,
       "transient"},
      {"5.2.2", said("552 5.2.2 Mailbox full"), BounceClass::kSoft, "mailbox-full"},
      {"5.0.0", said("552 Requested mail action aborted: mailbox unavailable, quota exceeded"),
       BounceClass::kSoft, "mailbox-full"},
      {"5.3.4", said("552 5.3.4 Message size exceeds fixed limit"), BounceClass::kSoft,
       "message-problem"},
      {"5.4.6", "mail for dest.example loops back to myself", BounceClass::kSoft,
       "message-problem"},
      {"5.5.2", said("500 5.5.2 Error: bad syntax"), BounceClass::kSoft, "message-problem"},
      {"5.6.0", said("554 5.6.0 Message contains invalid header"), BounceClass::kSoft,
       "message-problem"},
      {"2.0.0", "250 2.0.0 Ok", BounceClass::kSoft, "success"},
      // Without a usable dsn, the reply code decides the class.
      {"", said("550 user unknown"), BounceClass::kHard, "no-such-user"},
      {"x.y.z", said("450 try later"), BounceClass::kSoft, "transient"},
      {"", "delivery failed for reasons unknown", BounceClass::kSoft, "unknown"},
      // An explicit bad-address code wins over incidental words.
      {"5.1.1", said("550 5.1.1 blocked: no such mailbox"), BounceClass::kHard, "bad-address"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dsn + " " + c.text);
    BounceVerdict v = classify_bounce(c.dsn, c.text);
    EXPECT_EQ(to_string(v.kind), to_string(c.want));
    EXPECT_EQ(v.rule, c.rule);
  }
}

TEST(BounceClassTest, OnlyHardBouncesSuppress) {
  EXPECT_TRUE(suppresses(BounceClass::kHard));
  EXPECT_FALSE(suppresses(BounceClass::kSoft));
  EXPECT_FALSE(suppresses(BounceClass::kBlock));
}

TEST(BounceClassTest, MatchingIgnoresCaseAndWholeWordsAreWholeWords) {
  EXPECT_EQ(classify_bounce("5.0.0", "550 USER UNKNOWN").kind, BounceClass::kHard);
  EXPECT_EQ(classify_bounce("5.0.0", "550 Listed on RBL").kind, BounceClass::kBlock);
  // "rbl" inside a word is not the word.
  EXPECT_EQ(classify_bounce("5.0.0", "550 herbly unknown user").kind, BounceClass::kHard);
}

TEST(BounceClassTest, RemoteReplyIsTheTextAfterSaidWithoutTheCommand) {
  EXPECT_EQ(remote_reply(said("550 5.1.1 <x>: user unknown")), "550 5.1.1 <x>: user unknown");
  EXPECT_EQ(remote_reply("host x[1.2.3.4] said: 554 no (in reply to end of DATA command)"),
            "554 no");
  EXPECT_EQ(remote_reply("connect to x: Connection refused"), "connect to x: Connection refused");
  EXPECT_EQ(remote_reply(""), "");
}

TEST(BounceClassTest, ClassNamesAreStable) {
  EXPECT_EQ(to_string(BounceClass::kHard), "hard");
  EXPECT_EQ(to_string(BounceClass::kSoft), "soft");
  EXPECT_EQ(to_string(BounceClass::kBlock), "block");
}

}  // namespace
}  // namespace sendpool
