// core/proto/arf.h: feedback reports, with and without the recipient, and redaction masks.
#include "core/proto/arf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

std::string report(const std::string& fields, const std::string& original) {
  return "From: fbl@isp.example\n"
         "Content-Type: multipart/report; report-type=feedback-report;\n"
         "\tboundary=\"arf\"\n\n"
         "--arf\nContent-Type: text/plain\n\nThis is an abuse report.\n"
         "--arf\nContent-Type: message/feedback-report\n\n" +
         fields + "\n--arf\nContent-Type: message/rfc822\n\n" + original + "\n--arf--\n";
}

Result<std::optional<FeedbackReport>> parse(const std::string& text) {
  auto m = parse_mime_message(text);
  if (!m) return m.error();
  return parse_arf(*m);
}

TEST(ArfTest, FieldsAndQuotedHeadersAreRead) {
  auto r =
      parse(report("Feedback-Type: Abuse\nUser-Agent: ISP-FBL/1.0\nVersion: 1\n"
                   "Original-Mail-From: <b.1.2.x.y@rp.example>\nOriginal-Rcpt-To: <a@isp.example>\n"
                   "Original-Rcpt-To: b@isp.example\nArrival-Date: Thu, 8 Mar 2005 14:00:00 EDT\n"
                   "Source-IP: 192.0.2.1\nReported-Domain: acme.example\n",
                   "Return-Path: <b.1.2.x.y@rp.example>\nTo: a@isp.example\nSubject: hi\n\nbody"));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(*r);
  const FeedbackReport& f = **r;
  EXPECT_EQ(f.feedback_type, "abuse");
  EXPECT_EQ(f.user_agent, "ISP-FBL/1.0");
  EXPECT_EQ(f.version, "1");
  EXPECT_EQ(f.original_mail_from, "b.1.2.x.y@rp.example");
  EXPECT_EQ(f.original_rcpt_to, (std::vector<std::string>{"a@isp.example", "b@isp.example"}));
  EXPECT_EQ(f.source_ip, "192.0.2.1");
  EXPECT_EQ(f.reported_domains, (std::vector<std::string>{"acme.example"}));
  ASSERT_TRUE(f.original_headers);
  EXPECT_EQ(*f.original_headers->find("Subject"), "hi");
}

TEST(ArfTest, OriginalRcptToIsOptional) {
  auto r = parse(
      report("Feedback-Type: abuse\nUser-Agent: x\nVersion: 1\n", "To: c@isp.example\n\nbody"));
  ASSERT_TRUE(r);
  ASSERT_TRUE(*r);
  EXPECT_TRUE((*r)->original_rcpt_to.empty());
  EXPECT_EQ(*(*r)->original_headers->find("To"), "c@isp.example");
}

TEST(ArfTest, ReportsWithoutFeedbackTypeOrTheirPartAreErrors) {
  EXPECT_FALSE(parse(report("User-Agent: x\nVersion: 1\n", "To: a@b.example\n\nx")));
  EXPECT_FALSE(
      parse("Content-Type: multipart/report; report-type=feedback-report; boundary=b\n\n"
            "--b\n\ntext only\n--b--\n"));
  std::string many = "Feedback-Type: abuse\n";
  for (size_t i = 0; i <= kMaxArfRecipients; ++i)
    many += "Original-Rcpt-To: a@b.example\n";
  EXPECT_FALSE(parse(report(many, "To: a@b.example\n\nx")));
}

TEST(ArfTest, OtherMessagesAreNotReports) {
  auto r = parse("From: a@b.example\nSubject: hi\n\nhello\n");
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  auto dsn = parse(
      "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n"
      "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
      "Final-Recipient: rfc822; a@b.example\nAction: failed\n--b--\n");
  ASSERT_TRUE(dsn);
  EXPECT_FALSE(*dsn);
}

TEST(ArfTest, OnlyAbuseFraudAndVirusAreComplaints) {
  for (const char* t : {"abuse", "Fraud", " virus "})
    EXPECT_TRUE(is_complaint_feedback(t)) << t;
  for (const char* t : {"other", "not-spam", "auth-failure", "", "abusive"})
    EXPECT_FALSE(is_complaint_feedback(t)) << t;
}

TEST(ArfTest, RedactionMasksAreRecognised) {
  for (const char* a :
       {"redacted@isp.example", "[REDACTED]@isp.example", "xxxxxxxx@isp.example",
        "********@isp.example", "####@isp.example", "@isp.example", "\"redacted\"@isp.example"})
    EXPECT_TRUE(is_redacted_address(a)) << a;
  for (const char* a : {"x@isp.example", "xx@isp.example", "alex@isp.example", "xavier@isp.example",
                        "reader@isp.example"})
    EXPECT_FALSE(is_redacted_address(a)) << a;
}

}  // namespace
}  // namespace sendpool
