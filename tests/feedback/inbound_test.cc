// analyze_inbound() over the corpus: what each realistic message is, and whom it is about.
#include "tools/feedback/inbound.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/feedback/feedback_test_util.h"

namespace sendpool::feedback {
namespace {

using namespace sendpool::testing;

struct Expected {
  std::string file;
  std::string recipient;  // --recipient
  Disposition disposition = Disposition::kIgnore;
  ReportKind kind = ReportKind::kBounce;
  uint64_t account = 0;
  std::string tag;
  std::vector<std::pair<std::string, bool>> bounced;  // address, hard
  std::string complaint_recipient;
  std::string unsubscriber;
  bool forged = false;
};

Verdict analyze(const std::string& file, const std::string& recipient,
                const std::string& secret = kTestSecret) {
  return analyze_inbound(read_corpus(file), InboundContext{recipient, "", kDomain, secret});
}

using Bounced = std::vector<std::pair<std::string, bool>>;

Expected make(std::string file, std::string rcpt, Disposition d,
              ReportKind kind = ReportKind::kBounce) {
  Expected e;
  e.file = std::move(file);
  e.recipient = std::move(rcpt);
  e.disposition = d;
  e.kind = kind;
  return e;
}

Expected bounce(std::string file, std::string rcpt, uint64_t account, std::string tag,
                Bounced bounced) {
  Expected e = make(std::move(file), std::move(rcpt), Disposition::kApply);
  e.account = account;
  e.tag = std::move(tag);
  e.bounced = std::move(bounced);
  return e;
}

Expected complaint(std::string file, uint64_t account, std::string tag, std::string who) {
  Expected e = make(std::move(file), kFeedbackLoop, Disposition::kApply, ReportKind::kComplaint);
  e.account = account;
  e.tag = std::move(tag);
  e.complaint_recipient = std::move(who);
  return e;
}

Expected ignored(std::string file, std::string rcpt, bool forged = false) {
  Expected e = make(std::move(file), std::move(rcpt), Disposition::kIgnore);
  e.forged = forged;
  return e;
}

Expected unparseable(std::string file, std::string rcpt) {
  return make(std::move(file), std::move(rcpt), Disposition::kUnparseable);
}

TEST(InboundTest, EachCorpusMessageGetsItsVerdict) {
  Expected unsubscribe =
      make("unsubscribe.eml", kUnsubscribe2, Disposition::kApply, ReportKind::kUnsubscribe);
  unsubscribe.account = 2;
  unsubscribe.tag = "kkkkkkkk";
  unsubscribe.unsubscriber = "Reader@dest.example";
  const std::vector<Expected> cases = {
      // Postfix DSNs: the envelope names the token; without it, X-Postfix-Sender does.
      bounce("postfix_dsn_single.eml", kTokenA, 1, "aaaaaaaa", {{"gone@dest.example", true}}),
      bounce("postfix_dsn_single.eml", "", 1, "aaaaaaaa", {{"gone@dest.example", true}}),
      bounce("postfix_dsn_multi.eml", kTokenB, 1, "bbbbbbbb",
             {{"full@dest.example", false}, {"gone@dest.example", true}}),
      // Original-Recipient wins over a Final-Recipient rewritten by the receiver's aliases.
      bounce("postfix_dsn_late.eml", kTokenC, 1, "cccccccc", {{"gone@dest.example", true}}),
      // No Original-Recipient, no X-Postfix-Sender: the token is in the quoted headers.
      bounce("dsn_no_original_recipient.eml", "", 1, "dddddddd",
             {{"nobody@provider.example", true}}),
      ignored("dsn_delayed.eml", kTokenE),
      bounce("dsn_expired.eml", kTokenF, 1, "ffffffff", {{"late@dest.example", false}}),
      // Plain-text bounces.
      bounce("plain_qmail_bounce.eml", kTokenG, 1, "gggggggg", {{"olduser@old.example", true}}),
      bounce("plain_qmail_bounce.eml", "", 1, "gggggggg", {{"olduser@old.example", true}}),
      bounce("plain_exchange_bounce.eml", kTokenH, 1, "hhhhhhhh", {{"leaver@corp.example", true}}),
      bounce("plain_exchange_bounce.eml", kFeedbackLoop, 1, "hhhhhhhh",
             {{"leaver@corp.example", true}}),
      // ARF complaints, sent to a feedback-loop address rather than to the token.
      complaint("arf_with_rcpt.eml", 1, "aaaaaaaa", "angry@mbp.example"),
      complaint("arf_without_rcpt.eml", 1, "bbbbbbbb", "reader@isp.example"),
      // Redacted: the recipient is unknown; the token is only in the List-Unsubscribe mailto.
      complaint("arf_redacted.eml", 2, "jjjjjjjj", ""),
      ignored("arf_not_spam.eml", kFeedbackLoop),
      unsubscribe,
      ignored("auto_reply.eml", kTokenI),
      // Forgeries: whatever else the message says, nothing is applied.
      ignored("dsn_forged.eml", kForged, true),
      ignored("dsn_forged.eml", "", true),
      ignored("arf_forged.eml", kFeedbackLoop, true),
      ignored("postfix_dsn_single.eml", kForged, true),
      // Unparseable.
      unparseable("garbage.eml", kTokenA),
      unparseable("dsn_broken.eml", kTokenI),
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file + " to <" + c.recipient + ">");
    Verdict v = analyze(c.file, c.recipient);
    ASSERT_EQ(v.disposition, c.disposition) << v.reason;
    EXPECT_EQ(v.forged, c.forged) << v.reason;
    EXPECT_FALSE(v.reason.empty() && c.disposition != Disposition::kApply);
    if (c.disposition != Disposition::kApply) continue;
    EXPECT_EQ(v.kind, c.kind);
    EXPECT_EQ(v.token.account, c.account);
    EXPECT_EQ(v.token.day, kDay);
    EXPECT_EQ(v.token.tag, c.tag);
    std::vector<std::pair<std::string, bool>> bounced;
    for (const auto& b : v.bounced)
      bounced.emplace_back(b.address, b.hard);
    EXPECT_EQ(bounced, c.bounced);
    EXPECT_EQ(v.complaint_recipient, c.complaint_recipient);
    EXPECT_EQ(v.unsubscriber, c.unsubscriber);
  }
}

TEST(InboundTest, ATokenUnderAnotherSecretIsAForgery) {
  Verdict v = analyze("postfix_dsn_single.eml", kTokenA, "another-secret-0123456789");
  EXPECT_EQ(v.disposition, Disposition::kIgnore);
  EXPECT_TRUE(v.forged);
}

TEST(InboundTest, MailWithoutAnyTokenIsNotOursAndNotForged) {
  Verdict v =
      analyze_inbound("From: a@b.example\nTo: postmaster@bounces.sendpool.test\n\nhello\n",
                      InboundContext{"postmaster@bounces.sendpool.test", "", kDomain, kTestSecret});
  EXPECT_EQ(v.disposition, Disposition::kIgnore);
  EXPECT_FALSE(v.forged);
}

TEST(InboundTest, AnEmptyMessageIsUnparseable) {
  EXPECT_EQ(analyze_inbound("", InboundContext{kTokenA, "", kDomain, kTestSecret}).disposition,
            Disposition::kUnparseable);
}

TEST(InboundTest, UnsubscribeFallsBackToTheEnvelopeSenderButNeverToMailerDaemon) {
  std::string body = "To: x\nSubject: unsubscribe\n\nplease\n";
  Verdict v = analyze_inbound(
      body, InboundContext{kUnsubscribe2, "<someone@dest.example>", kDomain, kTestSecret});
  ASSERT_EQ(v.disposition, Disposition::kApply);
  EXPECT_EQ(v.unsubscriber, "someone@dest.example");
  v = analyze_inbound("Return-Path: <MAILER-DAEMON>\n" + body,
                      InboundContext{kUnsubscribe2, "", kDomain, kTestSecret});
  EXPECT_EQ(v.disposition, Disposition::kIgnore);
}

TEST(InboundTest, TokenShapeIsCheckedBeforeTheMac) {
  EXPECT_TRUE(is_token_shaped(kTokenA, kDomain));
  EXPECT_TRUE(is_token_shaped(std::string("<") + kForged + ">", kDomain));
  EXPECT_TRUE(
      is_token_shaped("B.1.5137.AAAAAAAA.4DUIKPEFQBTFKCHW@Bounces.Sendpool.Test.", kDomain));
  EXPECT_FALSE(is_token_shaped(kTokenA, "other.example"));
  EXPECT_FALSE(is_token_shaped("fbl@bounces.sendpool.test", kDomain));
  EXPECT_FALSE(
      is_token_shaped("x.1.5137.aaaaaaaa.4duikpefqbtfkchw@bounces.sendpool.test", kDomain));
  EXPECT_FALSE(is_token_shaped("b.1.5137.aaaaaaaa.4duikpefqbtfkch@bounces.sendpool.test", kDomain));
  EXPECT_FALSE(
      is_token_shaped("b.1.5137.aaaaaaaa.4duikpefqbtfkchw.x@bounces.sendpool.test", kDomain));
}

}  // namespace
}  // namespace sendpool::feedback
