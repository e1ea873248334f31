#include "core/proto/postfix_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

// Lines as a private Postfix 3.7.11 wrote them to its maillog_file (tests/integration/harness),
// with pool transports' syslog_name prefixes.
constexpr const char* kFromLine =
    "Dec 04 16:48:41 mta postfix/qmgr[3913]: 19577A7226C: "
    "from=<b.1.5137.pxtjrdhf.rejwhmlc7apu7yy2@bounces.sendpool.test>, size=461, nrcpt=4 (queue "
    "active)";
constexpr const char* kBlockedLine =
    "Dec 04 16:48:41 mta postfix/pool_tx/smtp[3930]: 19577A7226C: to=<blk@dest.example>, "
    "relay=127.0.0.1[127.0.0.1]:35391, delay=0.13, delays=0.11/0.01/0/0.01, dsn=5.7.1, "
    "status=bounced (host 127.0.0.1[127.0.0.1] said: 554 5.7.1 Service unavailable; Client host "
    "[127.0.0.2] blocked using zen.spamhaus.org (in reply to RCPT TO command))";
constexpr const char* kUnknownLine =
    "Dec 04 16:48:41 mta postfix/pool_tx/smtp[3930]: 19577A7226C: to=<gone@dest.example>, "
    "relay=127.0.0.1[127.0.0.1]:35391, delay=0.13, delays=0.11/0.01/0/0.01, dsn=5.1.1, "
    "status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <gone@dest.example>: user unknown "
    "(in reply to RCPT TO command))";
constexpr const char* kDeferredLine =
    "Dec 04 16:48:41 mta postfix/pool_tx/smtp[3930]: 19577A7226C: to=<later@dest.example>, "
    "relay=127.0.0.1[127.0.0.1]:35391, delay=0.13, delays=0.11/0.01/0/0.02, dsn=4.2.0, "
    "status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.2.0 mailbox busy, try later (in reply "
    "to RCPT TO command))";
constexpr const char* kSentLine =
    "Dec 04 16:48:41 mta postfix/pool_tx/smtp[3930]: 19577A7226C: to=<ok@dest.example>, "
    "relay=127.0.0.1[127.0.0.1]:35391, delay=0.14, delays=0.11/0.01/0/0.02, dsn=2.0.0, "
    "status=sent (250 2.0.0 Ok: queued as df6000001)";
constexpr const char* kExpiredLine =
    "Dec 04 16:49:02 mta postfix/qmgr[4341]: 1F093A72180: "
    "from=<b.1.5137.lqx4e54f.c7ghqc7d2ar6koml@bounces.sendpool.test>, status=expired, returned to "
    "sender";
constexpr const char* kMilterRejectLine =
    "Dec 04 16:38:40 mta postfix/cleanup[26229]: 0AF7CA7201A: milter-reject: END-OF-MESSAGE from "
    "unknown[127.0.0.1]: 5.7.1 From: domain other.example is not authorised for account app; "
    "from=<a@acme.example> to=<x@dest.example> proto=ESMTP helo=<client.sendpool.test>";
constexpr const char* kRemovedLine = "Dec 04 16:48:46 mta postfix/qmgr[3913]: 19577A7226C: removed";

PostfixLogEvent must_parse(const std::string& line) {
  auto parsed = parse_postfix_log_line(line);
  EXPECT_TRUE(parsed) << line << ": " << (parsed ? "" : parsed.error().message);
  if (!parsed || !*parsed) {
    ADD_FAILURE() << "no event: " << line;
    return Removed{};
  }
  return **parsed;
}

TEST(PostfixLogTest, QmgrFromLineNamesSenderSizeAndRecipients) {
  EXPECT_EQ(
      must_parse(kFromLine),
      PostfixLogEvent(QueueFrom{
          "19577A7226C", "b.1.5137.pxtjrdhf.rejwhmlc7apu7yy2@bounces.sendpool.test", 461, 4}));
  EXPECT_EQ(must_parse("Dec 04 16:48:41 mta postfix/qmgr[3913]: 38D73A721B4: from=<>, size=4190, "
                       "nrcpt=1 (queue active)"),
            PostfixLogEvent(QueueFrom{"38D73A721B4", "", 4190, 1}));
}

TEST(PostfixLogTest, DeliveryLinesOfPoolTransportsCarryStatusDsnAndText) {
  struct Case {
    const char* line;
    std::string recipient;
    DeliveryStatus status;
    std::string dsn;
    std::string text;
  };
  const std::vector<Case> cases = {
      {kBlockedLine, "blk@dest.example", DeliveryStatus::kBounced, "5.7.1",
       "host 127.0.0.1[127.0.0.1] said: 554 5.7.1 Service unavailable; Client host [127.0.0.2] "
       "blocked using zen.spamhaus.org (in reply to RCPT TO command)"},
      {kUnknownLine, "gone@dest.example", DeliveryStatus::kBounced, "5.1.1",
       "host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <gone@dest.example>: user unknown (in reply to "
       "RCPT TO command)"},
      {kDeferredLine, "later@dest.example", DeliveryStatus::kDeferred, "4.2.0",
       "host 127.0.0.1[127.0.0.1] said: 450 4.2.0 mailbox busy, try later (in reply to RCPT TO "
       "command)"},
      {kSentLine, "ok@dest.example", DeliveryStatus::kSent, "2.0.0",
       "250 2.0.0 Ok: queued as df6000001"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    PostfixLogEvent e = must_parse(c.line);
    ASSERT_TRUE(std::holds_alternative<Delivery>(e));
    const auto& d = std::get<Delivery>(e);
    EXPECT_EQ(d.queue_id, "19577A7226C");
    EXPECT_EQ(d.recipient, c.recipient);
    EXPECT_FALSE(d.orig_to);
    EXPECT_EQ(d.relay, "127.0.0.1[127.0.0.1]:35391");
    EXPECT_EQ(d.status, c.status);
    EXPECT_EQ(d.dsn, c.dsn);
    EXPECT_EQ(d.text, c.text);
  }
}

TEST(PostfixLogTest, MultiRecipientDeliveryLogsOneLinePerRecipient) {
  const std::vector<std::string> lines = {
      "Dec 04 16:38:39 mta postfix/pool_tx/smtp[26238]: 6D21BA725B9: to=<one@dest.example>, "
      "relay=127.0.0.1[127.0.0.1]:54157, delay=0.11, delays=0.1/0.01/0/0, dsn=2.0.0, status=sent "
      "(250 2.0.0 Ok)",
      "Dec 04 16:38:39 mta postfix/pool_tx/smtp[26238]: 6D21BA725B9: to=<two@dest.example>, "
      "relay=127.0.0.1[127.0.0.1]:54157, delay=0.11, delays=0.1/0.01/0/0, dsn=2.0.0, status=sent "
      "(250 2.0.0 Ok)",
  };
  std::vector<std::string> recipients;
  for (const auto& line : lines) {
    auto d = std::get<Delivery>(must_parse(line));
    EXPECT_EQ(d.queue_id, "6D21BA725B9");
    EXPECT_EQ(d.status, DeliveryStatus::kSent);
    recipients.push_back(d.recipient);
  }
  EXPECT_EQ(recipients, (std::vector<std::string>{"one@dest.example", "two@dest.example"}));
}

TEST(PostfixLogTest, OrigToConnUseAndQuotedLocalPartsAreParsed) {
  auto d = std::get<Delivery>(must_parse(
      "Dec  4 09:01:02 mx1 postfix/pool_promo/smtp[123]: 3F2A1B4C5D: to=<\"john> "
      "doe\"@example.org>, "
      "orig_to=<Alias@Example.ORG>, relay=mx.example.org[192.0.2.10]:25, conn_use=3, delay=1.2, "
      "delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.10] said: 550 "
      "5.1.1 No such user (in reply to RCPT TO command))"));
  EXPECT_EQ(d.recipient, "\"john> doe\"@example.org");
  ASSERT_TRUE(d.orig_to);
  EXPECT_EQ(*d.orig_to, "Alias@Example.ORG");
  EXPECT_EQ(d.relay, "mx.example.org[192.0.2.10]:25");
  EXPECT_EQ(d.dsn, "5.1.1");
}

TEST(PostfixLogTest, MessageExpiryIsOneQmgrLinePerMessage) {
  EXPECT_EQ(must_parse(kExpiredLine),
            PostfixLogEvent(MessageExpired{
                "1F093A72180", "b.1.5137.lqx4e54f.c7ghqc7d2ar6koml@bounces.sendpool.test"}));
  // Should a per-recipient form appear, it is a Delivery with status expired.
  auto d = std::get<Delivery>(must_parse(
      "Dec 04 16:49:02 mta postfix/error[9]: 1F093A72180: to=<x@dest.example>, relay=none, "
      "delay=432000, delays=432000/0/0/0, dsn=4.4.7, status=expired, returned to sender"));
  EXPECT_EQ(d.status, DeliveryStatus::kExpired);
  EXPECT_EQ(d.text, "returned to sender");
}

TEST(PostfixLogTest, RejectsAfterTheQueueIdExistsNameTheirStage) {
  EXPECT_EQ(must_parse(kMilterRejectLine),
            PostfixLogEvent(MilterReject{
                "0AF7CA7201A", "END-OF-MESSAGE",
                "from unknown[127.0.0.1]: 5.7.1 From: domain other.example is not authorised for "
                "account app; from=<a@acme.example> to=<x@dest.example> proto=ESMTP "
                "helo=<client.sendpool.test>"}));
  auto r = std::get<Reject>(must_parse(
      "Dec 04 16:40:00 mta postfix/smtpd[26196]: 4C1D2A7201A: reject: END-OF-MESSAGE from "
      "unknown[127.0.0.1]: 452 4.3.1 quota; from=<a@acme.example> to=<x@dest.example> "
      "proto=ESMTP helo=<c>"));
  EXPECT_EQ(r.queue_id, "4C1D2A7201A");
  EXPECT_EQ(r.stage, "END-OF-MESSAGE");
  auto rcpt = std::get<Reject>(
      must_parse("Dec 04 16:40:00 mta postfix/smtpd[26196]: 4C1D2A7201A: reject: RCPT from "
                 "unknown[127.0.0.1]: 550 5.7.1 <y@dest.example>: Recipient address rejected; "
                 "from=<a@acme.example> to=<y@dest.example> proto=ESMTP helo=<c>"));
  EXPECT_EQ(rcpt.stage, "RCPT");
}

TEST(PostfixLogTest, RemovedEndsAQueueFile) {
  EXPECT_EQ(must_parse(kRemovedLine), PostfixLogEvent(Removed{"19577A7226C"}));
  EXPECT_EQ(must_parse("Dec 04 16:48:46 mta postfix/postsuper[77]: 19577A7226C: removed"),
            PostfixLogEvent(Removed{"19577A7226C"}));
}

TEST(PostfixLogTest, IsoTimestampsAndSyslogPaddingAreAccepted) {
  const std::vector<std::string> stamps = {
      "2026-12-04T16:34:21.123456+00:00",
      "2026-12-04T16:34:21+01:00",
      "2026-12-04T16:34:21Z",
      "2026-12-04T16:34:21.5-05:30",
      "Dec  4 16:34:21",
      "Dec 04 16:34:21",
      "Dec 4 16:34:21",
  };
  for (const auto& stamp : stamps) {
    SCOPED_TRACE(stamp);
    std::string line = stamp + " mail.example.net postfix/qmgr[3913]: 19577A7226C: removed";
    auto prefix = parse_postfix_log_prefix(line);
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->timestamp, stamp);
    EXPECT_EQ(prefix->host, "mail.example.net");
    EXPECT_EQ(prefix->program, "postfix/qmgr");
    EXPECT_EQ(prefix->pid, 3913u);
    EXPECT_EQ(must_parse(line), PostfixLogEvent(Removed{"19577A7226C"}));
  }
}

TEST(PostfixLogTest, IrrelevantLinesAreIgnoredNotErrors) {
  const std::vector<std::string> lines = {
      "",
      "garbage",
      "Dec 04 16:38:39 mta postfix/postfix-script[26187]: starting the Postfix mail system",
      "Dec 04 16:38:39 mta postfix/smtpd[26196]: connect from unknown[127.0.0.1]",
      "Dec 04 16:38:39 mta postfix/smtpd[26196]: 6D21BA725B9: client=unknown[127.0.0.1], "
      "sasl_method=PLAIN, sasl_username=app",
      "Dec 04 16:38:39 mta postfix/cleanup[26229]: 6D21BA725B9: "
      "message-id=<20261204163839.026198@vm>",
      "Dec 04 16:38:39 mta postfix/smtpd[26196]: NOQUEUE: milter-reject: MAIL from "
      "unknown[127.0.0.1]: 550 5.7.1 other.example is not authorised for account app; "
      "from=<a@other.example> proto=ESMTP helo=<client.sendpool.test>",
      "Dec 04 16:38:39 mta postfix/smtpd[26196]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 "
      "5.7.1 <y@z>: Relay access denied; from=<a@b> to=<y@z> proto=ESMTP helo=<x>",
      "Dec 04 16:48:41 mta postfix/bounce[3932]: 19577A7226C: sender non-delivery notification: "
      "38D73A721B4",
      "Dec 04 16:49:01 mta postfix/qmgr[4341]: warning: bounce_queue_lifetime is larger than "
      "maximal_queue_lifetime - adjusting bounce_queue_lifetime",
      "Dec 04 16:38:40 mta postfix/cleanup[1]: 0AF7CA7201A: milter-discard: END-OF-MESSAGE from "
      "unknown[127.0.0.1]: milter triggers DISCARD action",
      "Dec 04 16:38:40 mta postfix/pickup[1]: 0AF7CA7201A: uid=0 from=<root>",
      // Not a Postfix program (no syslog_name/daemon): never ours, whatever it says.
      "Dec 04 16:38:40 mta sendpool-milter[5]: 0AF7CA7201A: to=<x>, broken",
      "Dec 04 16:38:40 mta opendkim[5]: 0AF7CA7201A: DKIM-Signature field added",
      // Address verification probes.
      "Dec 04 16:38:40 mta postfix/smtp[5]: 0AF7CA7201A: to=<x@y.example>, relay=none, delay=0, "
      "delays=0/0/0/0, dsn=2.0.0, status=deliverable (probe)",
  };
  for (const auto& line : lines) {
    SCOPED_TRACE(line);
    auto parsed = parse_postfix_log_line(line);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_FALSE(*parsed);
  }
}

TEST(PostfixLogTest, SoftBounceIsADeferral) {
  auto d = std::get<Delivery>(must_parse(
      "Dec 04 16:48:41 mta postfix/smtp[3930]: 19577A7226C: to=<gone@dest.example>, "
      "relay=x[1.2.3.4]:25, "
      "delay=1, delays=1/0/0/0, dsn=5.1.1, status=SOFTBOUNCE (host x said: 550 5.1.1 unknown)"));
  EXPECT_EQ(d.status, DeliveryStatus::kDeferred);
}

TEST(PostfixLogTest, MalformedRelevantLinesAreErrorsThatDoNotRepeatTheInput) {
  const std::string head = "Dec 04 16:48:41 mta postfix/pool_tx/smtp[3930]: 19577A7226C: ";
  const std::vector<std::string> bad = {
      head + "to=<gone@dest.example",
      head + "to=<>, relay=none, delay=0, delays=0/0/0/0, dsn=5.0.0, status=bounced (x)",
      head + "to=<gone@dest.example>, relay=x, delay=0, delays=0/0/0/0, dsn=5.0.0",
      head + "to=<gone@dest.example>, delay=0, delays=0/0/0/0, dsn=5.0.0, status=bounced (x)",
      head + "to=<gone@dest.example>, relay=x, delay=0, status=bounced (x)",
      head + "to=<gone@dest.example>, relay=x, dsn=5.1, status=bounced (x)",
      head + "to=<gone@dest.example>, relay=x, dsn=5.1.1, status=exploded (x)",
      head + "to=<gone@dest.example>, relay=x, dsn=5.1.1, status=bounced (unterminated",
      head + "to=<gone@dest.example>, relay=x, dsn=5.1.1, status=bounced trailing",
      head + "to=<\"unterminated@dest.example>, relay=x, dsn=5.1.1, status=bounced (x)",
      head +
          "to=<a\x01"
          "b@dest.example>, relay=x, dsn=5.1.1, status=bounced (x)",
      head + "to=<" + std::string(600, 'a') + "@x>, relay=x, dsn=5.1.1, status=bounced (x)",
      head + "from=<x@y>, size=12",
      head + "from=<x@y>, size=big, nrcpt=1 (queue active)",
      head + "from=<x@y>, size=1, nrcpt=1",
      head + "from=<x@y>, size=1, nrcpt=-1 (queue active)",
      head + "from=<x@y>, status=expired",
      head + "milter-reject: ",
      head + "reject: end-of-message from x",
      head + "to=<gone@dest.example>, relay=x, dsn=5.1.1, status=bounced (" +
          std::string(kMaxPostfixLogLineLength, 'x') + ")",
  };
  for (const auto& line : bad) {
    SCOPED_TRACE(line.substr(0, 200));
    auto parsed = parse_postfix_log_line(line);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message.find("dest.example"), std::string::npos);
  }
}

TEST(PostfixLogTest, QueueIdsAreAlphanumericAndNotNoqueue) {
  for (const char* ok : {"6D21BA725B9", "4TsxNq5Hxvz9vK3", "ABCDE"})
    EXPECT_TRUE(is_queue_id(ok)) << ok;
  for (const char* bad : {"NOQUEUE", "", "ABCD", "6D21-A725B9", "warning", "removed",
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    EXPECT_FALSE(is_queue_id(bad)) << bad;
}

TEST(PostfixLogTest, FormattedEventsParseBackToThemselves) {
  const std::vector<PostfixLogEvent> events = {
      QueueFrom{"19577A7226C", "b.1.2.x.y@bounces.example", 461, 4},
      QueueFrom{"19577A7226C", "", 1, 1},
      MessageExpired{"1F093A72180", "b.1.2.x.y@bounces.example"},
      Delivery{"19577A7226C", "gone@dest.example", std::nullopt, "mx[192.0.2.1]:25",
               DeliveryStatus::kBounced, "5.1.1",
               "host mx said: 550 5.1.1 no (in reply to RCPT TO command)"},
      Delivery{"19577A7226C", "\"a>b\"@dest.example", std::string("orig@dest.example"), "none",
               DeliveryStatus::kDeferred, "4.4.1", "connect to mx: Connection refused"},
      Delivery{"19577A7226C", "ok@dest.example", std::nullopt, "local", DeliveryStatus::kSent,
               "2.0.0", "250 2.0.0 Ok (queued)"},
      MilterReject{"0AF7CA7201A", "END-OF-MESSAGE", "from unknown[127.0.0.1]: 5.7.1 no"},
      Reject{"0AF7CA7201A", "RCPT", "from unknown[127.0.0.1]: 550 5.1.1 no"},
      Removed{"19577A7226C"},
  };
  for (const auto& e : events) {
    std::string line = "2026-12-04T16:34:21.123456+00:00 mta postfix/pool_a/smtp[1]: " +
                       format_postfix_log_message(e);
    SCOPED_TRACE(line);
    EXPECT_EQ(must_parse(line), e);
    EXPECT_EQ(queue_id_of(e), queue_id_of(must_parse(line)));
  }
}

}  // namespace
}  // namespace sendpool
