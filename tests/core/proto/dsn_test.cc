// core/proto/dsn.h and the MIME reader it stands on (mime_message.h).
#include "core/proto/dsn.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/proto/mime_message.h"

namespace sendpool {
namespace {

// --- MIME reader ----------------------------------------------------------------------------

TEST(MimeMessageTest, HeaderBlocksUnfoldAndStopAtTheFirstEmptyLine) {
  size_t consumed = 0;
  auto block = parse_header_block(
      "Subject: a\r\n\tfolded\r\nX-Empty:\r\nnot a field\r\nTo: b@x.example\r\n\r\nbody\r\n",
      &consumed);
  ASSERT_TRUE(block);
  ASSERT_EQ(block->fields.size(), 3u);
  EXPECT_EQ(*block->find("subject"), "a\tfolded");
  EXPECT_EQ(*block->find("X-EMPTY"), "");
  EXPECT_EQ(block->skipped_lines, 1u);
  EXPECT_EQ(consumed, std::string_view("Subject: a\r\n\tfolded\r\nX-Empty:\r\nnot a field\r\n"
                                       "To: b@x.example\r\n\r\n")
                          .size());
  EXPECT_EQ(block->find("Cc"), nullptr);
}

TEST(MimeMessageTest, HeaderBlocksAreBounded) {
  std::string many;
  for (size_t i = 0; i <= kMaxHeaderFields; ++i)
    many += "X-A: b\n";
  EXPECT_FALSE(parse_header_block(many));
  std::string long_field = "X-A: " + std::string(kMaxHeaderFieldLength, 'a') + "\n";
  EXPECT_FALSE(parse_header_block(long_field));
  std::string long_folded = "X-A: a\n";
  for (int i = 0; i < 1000; ++i)
    long_folded += " " + std::string(100, 'b') + "\n";
  EXPECT_FALSE(parse_header_block(long_folded));
}

TEST(MimeMessageTest, ContentTypesParseWithQuotesCommentsAndDefaults) {
  struct Case {
    std::string value, type, subtype, boundary;
  };
  const std::vector<Case> cases = {
      {"multipart/report; report-type=delivery-status;\n\tboundary=\"A.1/x\"", "multipart",
       "report", "A.1/x"},
      {"Multipart/Mixed; BOUNDARY=plain (a comment)", "multipart", "mixed", "plain"},
      {"text/plain; charset=\"a;b\"; boundary=\"q\\\"x\"", "text", "plain", "q\"x"},
      {"garbage", "text", "plain", ""},
      {"", "text", "plain", ""},
      {"a b/c", "text", "plain", ""},
  };
  for (const auto& c : cases) {
    ContentType t = parse_content_type(c.value);
    EXPECT_EQ(t.type, c.type) << c.value;
    EXPECT_EQ(t.subtype, c.subtype) << c.value;
    EXPECT_EQ(t.param("boundary"), c.boundary) << c.value;
  }
}

TEST(MimeMessageTest, MultipartsSplitAtTheirBoundaryAndDecodeLeaves) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=\"b1\"\n\npreamble\n--b1\n"
      "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVs\nbG8=\n--b1\n"
      "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\na=3Db=\nc\n"
      "--b1\nContent-Type: multipart/alternative; boundary=b2\n\n--b2\n\ninner\n--b2--\n"
      "--b1--\nepilogue\n";
  auto msg = parse_mime_message(m);
  ASSERT_TRUE(msg) << msg.error().message;
  ASSERT_EQ(msg->parts.size(), 3u);
  EXPECT_EQ(msg->parts[0].body, "hello");
  EXPECT_EQ(msg->parts[1].body, "a=bc");
  ASSERT_EQ(msg->parts[2].parts.size(), 1u);
  EXPECT_EQ(msg->parts[2].parts[0].body, "inner");
}

TEST(MimeMessageTest, MalformedMessagesAreErrorsNotCrashes) {
  EXPECT_FALSE(parse_mime_message("no headers here\n"));
  EXPECT_FALSE(parse_mime_message("Content-Type: multipart/mixed\n\n--x\n"));  // no boundary
  EXPECT_FALSE(parse_mime_message("Content-Type: multipart/mixed; boundary=x\n\nno parts\n"));
  std::string deep = "Content-Type: multipart/mixed; boundary=x\n\n";
  for (int i = 0; i <= kMaxMimeDepth; ++i)
    deep += "--x\nContent-Type: multipart/mixed; boundary=x\n\n";
  EXPECT_FALSE(parse_mime_message(deep));
  std::string many = "Content-Type: multipart/mixed; boundary=x\n\n";
  for (size_t i = 0; i <= kMaxMimeParts; ++i)
    many += "--x\n\np\n";
  EXPECT_FALSE(parse_mime_message(many));
  EXPECT_FALSE(parse_mime_message(std::string(kMaxMimeMessageSize + 1, 'a')));
  // A missing closing boundary is tolerated: truncated reports still count.
  auto truncated = parse_mime_message("Content-Type: multipart/mixed; boundary=x\n\n--x\n\nlast");
  ASSERT_TRUE(truncated);
  EXPECT_EQ(truncated->parts.at(0).body, "last");
}

TEST(MimeMessageTest, TransferDecodersAreLenientAndBounded) {
  EXPECT_EQ(decode_mime_base64("aGVs\r\n bG8="), "hello");
  EXPECT_FALSE(decode_mime_base64("aGVs*"));
  EXPECT_EQ(decode_quoted_printable("a=\r\nb=3d=ZZ="), "ab==ZZ");
}

// --- DSN ------------------------------------------------------------------------------------

constexpr const char* kStatus =
    "Reporting-MTA: dns; mta.sendpool.test\n"
    "X-Postfix-Queue-ID: 0CAE2A722B3\n"
    "X-Postfix-Sender: rfc822; b.1.2.abc.xyz@bounces.example\n"
    "\n"
    "Final-Recipient: rfc822; full@dest.example\n"
    "Original-Recipient: rfc822;full@dest.example\n"
    "Action: failed\n"
    "Status: 5.2.2\n"
    "Diagnostic-Code: smtp; 552 5.2.2 <full@dest.example>: Mailbox full\n"
    "\n"
    "Final-Recipient: rfc822; gone@mail.dest.example\n"
    "Original-Recipient: rfc822;gone@dest.example\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; 127.0.0.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <gone@dest.example>: Recipient address\n"
    "    rejected: User unknown\n"
    "\n"
    "Final-Recipient: RFC822; <slow@dest.example>\n"
    "Action: delayed\n"
    "Status: 4.4.1\n";

TEST(DsnTest, DeliveryStatusBlocksGiveOneEntryPerRecipient) {
  auto r = parse_delivery_status(kStatus);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->reporting_mta, "dns; mta.sendpool.test");
  EXPECT_EQ(r->postfix_queue_id, "0CAE2A722B3");
  EXPECT_EQ(r->postfix_sender, "b.1.2.abc.xyz@bounces.example");
  ASSERT_EQ(r->recipients.size(), 3u);
  EXPECT_EQ(r->recipients[0].address(), "full@dest.example");
  EXPECT_EQ(r->recipients[0].status, (DsnStatus{5, 2, 2}));
  EXPECT_EQ(r->recipients[1].final_recipient, "gone@mail.dest.example");
  EXPECT_EQ(r->recipients[1].address(), "gone@dest.example");  // Original-Recipient wins
  EXPECT_EQ(r->recipients[1].diagnostic_code,
            "smtp; 550 5.1.1 <gone@dest.example>: Recipient address    rejected: User unknown");
  EXPECT_EQ(r->recipients[2].address(), "slow@dest.example");  // no Original-Recipient
  EXPECT_EQ(r->recipients[2].action, DsnAction::kDelayed);
}

TEST(DsnTest, MalformedDeliveryStatusIsAnError) {
  EXPECT_FALSE(parse_delivery_status(""));
  EXPECT_FALSE(parse_delivery_status("Reporting-MTA: dns; x\n\n"));
  EXPECT_FALSE(parse_delivery_status("Reporting-MTA: dns; x\n\nAction: failed\nStatus: 5.1.1\n"));
  std::string many = "Reporting-MTA: dns; x\n";
  for (size_t i = 0; i <= kMaxDsnRecipients; ++i)
    many += "\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n";
  EXPECT_FALSE(parse_delivery_status(many));
}

TEST(DsnTest, MissingActionIsTakenFromTheStatusClass) {
  auto r = parse_delivery_status("Final-Recipient: rfc822; a@b.example\nStatus: 5.1.1\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->recipients.at(0).action, DsnAction::kFailed);
}

TEST(DsnTest, StatusCodesParseStrictly) {
  EXPECT_EQ(parse_dsn_status("5.1.1"), (DsnStatus{5, 1, 1}));
  EXPECT_EQ(parse_dsn_status(" 4.4.7 (delivery time expired)"), (DsnStatus{4, 4, 7}));
  EXPECT_EQ(parse_dsn_status("5.1.10"), (DsnStatus{5, 1, 10}));
  EXPECT_EQ(parse_dsn_status("2.0.0").value().str(), "2.0.0");
  for (const char* bad : {"", "5.1", "6.1.1", "5.1.1000", "55.1.1", "a.b.c", "5..1"})
    EXPECT_FALSE(parse_dsn_status(bad)) << bad;
}

TEST(DsnTest, AddressFieldsLoseTheirTypeAndBrackets) {
  EXPECT_EQ(dsn_address("rfc822; a@b.example"), "a@b.example");
  EXPECT_EQ(dsn_address("rfc822;<a@b.example>"), "a@b.example");
  EXPECT_EQ(dsn_address("a@b.example"), "a@b.example");
  EXPECT_EQ(dsn_address("utf-8; j\xc3\xb6@b.example"), "j\xc3\xb6@b.example");
}

TEST(DsnTest, ReportsAreFoundInTheirMultipartWithTheOriginalHeaders) {
  std::string m = std::string(
                      "From: MAILER-DAEMON@x.example\n"
                      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n"
                      "\n--B\nContent-Type: text/plain\n\nsorry\n"
                      "--B\nContent-Type: message/delivery-status\n\n") +
                  kStatus +
                  "\n--B\nContent-Type: message/rfc822\n\nReturn-Path: <rp@x.example>\n"
                  "To: full@dest.example\n\nbody\n--B--\n";
  auto msg = parse_mime_message(m);
  ASSERT_TRUE(msg);
  auto dsn = parse_dsn(*msg);
  ASSERT_TRUE(dsn);
  ASSERT_TRUE(*dsn);
  EXPECT_EQ((*dsn)->recipients.size(), 3u);
  ASSERT_TRUE((*dsn)->original_headers);
  EXPECT_EQ(*(*dsn)->original_headers->find("Return-Path"), "<rp@x.example>");

  auto plain = parse_mime_message("From: a@b.example\nSubject: hi\n\nhello\n");
  ASSERT_TRUE(plain);
  auto none = parse_dsn(*plain);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  auto broken = parse_mime_message(
      "Content-Type: multipart/report; report-type=delivery-status; "
      "boundary=B\n\n--B\n\nx\n--B--\n");
  ASSERT_TRUE(broken);
  EXPECT_FALSE(parse_dsn(*broken));
}

TEST(DsnTest, BounceClassificationFollowsTheTable) {
  struct Case {
    DsnAction action;
    std::optional<DsnStatus> status;
    std::string diagnostic;
    BounceClass expected;
  };
  const auto kFailed = DsnAction::kFailed;
  const auto kHard = BounceClass::kHard, kSoft = BounceClass::kSoft, kNot = BounceClass::kNotFailed;
  const std::vector<Case> cases = {
      {kFailed, DsnStatus{5, 1, 1}, "smtp; 550 5.1.1 user unknown", kHard},
      {kFailed, DsnStatus{5, 1, 2}, "smtp; 550 5.1.2 bad destination system", kHard},
      {kFailed, DsnStatus{5, 1, 10}, "smtp; 550 5.1.10 recipient not found", kHard},
      {kFailed, DsnStatus{5, 2, 1}, "smtp; 550 5.2.1 mailbox disabled", kHard},
      {kFailed, DsnStatus{5, 0, 0}, "smtp; 550 Requested action not taken: mailbox unavailable",
       kHard},
      {kFailed, DsnStatus{5, 0, 0}, "smtp; 550 No such user here", kHard},
      {kFailed, std::nullopt, "Sorry, no mailbox here by that name.", kHard},
      {kFailed, DsnStatus{5, 2, 2}, "smtp; 552 5.2.2 mailbox full", kSoft},
      {kFailed, DsnStatus{5, 7, 1}, "smtp; 550 5.7.1 user unknown but also blocked", kSoft},
      {kFailed, DsnStatus{5, 7, 1}, "smtp; 554 5.7.1 Service unavailable; client host blocked",
       kSoft},
      {kFailed, DsnStatus{5, 0, 0}, "smtp; 550 Message rejected as spam, user unknown", kSoft},
      {kFailed, DsnStatus{5, 1, 0}, "smtp; 550 5.1.0 sender blocked by policy", kSoft},
      {kFailed, DsnStatus{5, 4, 4}, "X-Postfix; Host or domain name not found", kSoft},
      {kFailed, DsnStatus{5, 1, 8}, "smtp; 553 5.1.8 sender domain does not exist", kSoft},
      {kFailed, DsnStatus{4, 4, 7}, "smtp; 421 4.4.2 timed out", kSoft},
      {kFailed, DsnStatus{5, 0, 0}, "smtp; 550 rejected", kSoft},
      {DsnAction::kDelayed, DsnStatus{4, 4, 1}, "connect timed out", kNot},
      {DsnAction::kDelivered, DsnStatus{2, 0, 0}, "", kNot},
      {DsnAction::kRelayed, DsnStatus{2, 0, 0}, "", kNot},
  };
  for (const auto& c : cases)
    EXPECT_EQ(classify_bounce(c.action, c.status, c.diagnostic), c.expected) << c.diagnostic;
}

TEST(DsnTest, PlainBouncesYieldRecipientsFromTheirText) {
  auto qmail = parse_mime_message(
      "From: MAILER-DAEMON@old.example\nSubject: failure notice\n\n"
      "Hi. This is the qmail-send program.\n\n<a@old.example>:\n"
      "Sorry, no mailbox here by that name. (#5.1.1)\n\n<b@old.example>:\n"
      "This message is looping: it already has my Delivered-To line. (#5.4.6)\n\n"
      "--- Below this line is a copy of the message.\n\nReturn-Path: <rp@x.example>\n"
      "Received: from x\nTo: a@old.example\n\nhello\n");
  ASSERT_TRUE(qmail);
  auto r = parse_plain_bounce(*qmail);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->recipients.size(), 2u);
  EXPECT_EQ(r->recipients[0].address(), "a@old.example");
  EXPECT_EQ(r->recipients[0].status, (DsnStatus{5, 1, 1}));
  EXPECT_EQ(r->recipients[1].status, (DsnStatus{5, 4, 6}));
  ASSERT_TRUE(r->original_headers);
  EXPECT_EQ(*r->original_headers->find("Return-Path"), "<rp@x.example>");

  auto one_line = parse_mime_message(
      "From: postmaster@x.example\nSubject: Undeliverable: hi\n\n"
      "550 5.1.1 <c@x.example>: Recipient address rejected: User unknown\n");
  ASSERT_TRUE(one_line);
  r = parse_plain_bounce(*one_line);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->recipients.size(), 1u);
  EXPECT_EQ(r->recipients[0].address(), "c@x.example");

  auto chat = parse_mime_message("From: friend@x.example\nSubject: lunch?\n\nsee you at 12\n");
  ASSERT_TRUE(chat);
  EXPECT_FALSE(parse_plain_bounce(*chat));  // not a bounce at all
}

TEST(DsnTest, AddressesAreFoundInFreeText) {
  EXPECT_EQ(addresses_in_text("<mailto:u.1.2@rp.example?subject=x>, a@b.example.", 10),
            (std::vector<std::string>{"u.1.2@rp.example", "a@b.example"}));
  EXPECT_EQ(addresses_in_text("a@b.example a@b.example c@d", 10),
            (std::vector<std::string>{"a@b.example"}));
  EXPECT_EQ(addresses_in_text("x@y.example z@w.example", 1).size(), 1u);
  EXPECT_TRUE(addresses_in_text("@@@ .@. @example.com", 10).empty());
}

}  // namespace
}  // namespace sendpool
