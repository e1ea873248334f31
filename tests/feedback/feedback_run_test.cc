// process_message(): corpus messages applied to a temporary store, with the exit code
// sendpool-feedback would return to Postfix, and the options it takes from pipe(8).
#include "tools/feedback/feedback_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/daemon/daemon_main.h"
#include "core/store/tables.h"
#include "tests/feedback/feedback_test_util.h"

namespace sendpool::feedback {
namespace {

using namespace sendpool::testing;

class FeedbackRunTest : public ::testing::Test {
 protected:
  Processed process(const std::string& file, const std::string& recipient,
                    std::optional<std::string> client = "192.0.2.25") {
    Options o;
    o.recipient = recipient;
    o.client = std::move(client);
    o.forward_dsn = forward_;
    return process_message(read_corpus(file), o, Platform{kDomain, kTestSecret}, store_.env(),
                           store_.clock(), log_);
  }
  void deliver(AccountId id, uint64_t n) {
    FeedbackStore::expect_ok(store_.env().write([&](WriteTxn& txn) {
      DayCounters c;
      c.accepted = c.delivered = n;
      return tables::put_counters(txn, id, date_from_day_number(kDay), c);
    }));
  }
  DayCounters counters(AccountId id) {
    DayCounters out;
    FeedbackStore::expect_ok(store_.env().read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::get_counters(txn, id, date_from_day_number(kDay)));
      return ok_status();
    }));
    return out;
  }
  std::optional<SuppressionReason> suppressed(AccountId id, const std::string& address) {
    std::optional<SuppressionEntry> e;
    FeedbackStore::expect_ok(store_.env().read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(e, tables::get_suppression(txn, SuppressionScope{id}, address));
      return ok_status();
    }));
    if (!e) return std::nullopt;
    return e->reason;
  }

  FeedbackStore store_;
  Logger log_{"feedback-test", false, false};
  bool forward_ = false;
};

TEST_F(FeedbackRunTest, LateDsnMovesDeliveredToBounced) {
  deliver(1, 3);
  EXPECT_EQ(process("postfix_dsn_multi.eml", kTokenB).exit_code, 0);
  DayCounters c = counters(1);
  EXPECT_EQ(c.delivered, 1u);
  EXPECT_EQ(c.bounced, 2u);
  EXPECT_EQ(suppressed(1, "gone@dest.example"), SuppressionReason::kBounce);
  EXPECT_FALSE(suppressed(1, "full@dest.example"));  // 5.2.2 mailbox full is soft
  // Postfix may deliver the same report again (e.g. after a crash): nothing changes.
  EXPECT_EQ(process("postfix_dsn_multi.eml", kTokenB).exit_code, 0);
  EXPECT_EQ(counters(1).bounced, 2u);
}

TEST_F(FeedbackRunTest, ADsnOurPostfixGeneratedOnlySuppresses) {
  deliver(1, 3);
  // pipe(8) passes an empty ${client_address} for a bounce Postfix generated itself.
  EXPECT_EQ(process("postfix_dsn_single.eml", kTokenA, "").exit_code, 0);
  EXPECT_EQ(counters(1).delivered, 3u);
  EXPECT_EQ(counters(1).bounced, 0u);
  EXPECT_EQ(suppressed(1, "gone@dest.example"), SuppressionReason::kBounce);
}

TEST_F(FeedbackRunTest, ComplaintsAndUnsubscribes) {
  EXPECT_EQ(process("arf_with_rcpt.eml", kFeedbackLoop).exit_code, 0);
  EXPECT_EQ(process("arf_redacted.eml", kFeedbackLoop).exit_code, 0);
  EXPECT_EQ(process("unsubscribe.eml", kUnsubscribe2).exit_code, 0);
  EXPECT_EQ(counters(1).complaints, 1u);
  EXPECT_EQ(suppressed(1, "angry@mbp.example"), SuppressionReason::kComplaint);
  EXPECT_EQ(counters(2).complaints, 1u);
  EXPECT_EQ(counters(2).unsubscribes, 1u);
  EXPECT_EQ(suppressed(2, "Reader@dest.example"), SuppressionReason::kUnsubscribe);
}

TEST_F(FeedbackRunTest, ForgedAndForeignReportsExitZeroAndChangeNothing) {
  deliver(1, 3);
  EXPECT_EQ(process("dsn_forged.eml", kForged).exit_code, 0);
  EXPECT_EQ(process("arf_forged.eml", kFeedbackLoop).exit_code, 0);
  EXPECT_EQ(process("auto_reply.eml", kTokenI).exit_code, 0);
  EXPECT_EQ(counters(1).delivered, 3u);
  EXPECT_EQ(counters(1).complaints, 0u);
  EXPECT_FALSE(suppressed(1, "customer-best-list@dest.example"));
  EXPECT_FALSE(suppressed(1, "victim@mbp.example"));
}

TEST_F(FeedbackRunTest, UnparseableInputExits65) {
  EXPECT_EQ(process("garbage.eml", kTokenA).exit_code, kExitDataErr);
  EXPECT_EQ(process("dsn_broken.eml", kTokenI).exit_code, kExitDataErr);
}

TEST_F(FeedbackRunTest, ForwardsFreshBouncesToTheBounceAddressOnly) {
  forward_ = true;
  auto set_bounce_address = [&](const std::string& address) {
    admin::AccountChanges changes;
    changes.bounce_address = address;
    auto a = admin::update_account(store_.env(), "app", changes, store_.clock());
    ASSERT_TRUE(a) << a.error().message;
  };
  EXPECT_EQ(process("postfix_dsn_single.eml", kTokenA).forward_to, "");  // none configured
  set_bounce_address("bounces@acme.example");
  EXPECT_EQ(process("postfix_dsn_multi.eml", kTokenB).forward_to, "bounces@acme.example");
  EXPECT_EQ(process("postfix_dsn_multi.eml", kTokenB).forward_to, "");    // a duplicate
  EXPECT_EQ(process("arf_with_rcpt.eml", kFeedbackLoop).forward_to, "");  // not a bounce
  forward_ = false;
  EXPECT_EQ(process("postfix_dsn_late.eml", kTokenC).forward_to, "");  // --forward-dsn off
}

TEST(FeedbackOptionsTest, PipeArgumentsAreUnderstood) {
  const char* argv[] = {"sendpool-feedback", "--config", "/x.yaml",       "--recipient",  kTokenA,
                        "--client=",         "--sender", "MAILER-DAEMON", "--forward-dsn"};
  ParsedOptions p = parse_options(9, const_cast<char**>(argv));
  ASSERT_EQ(p.exit_code, -1);
  EXPECT_EQ(p.options.config_path, "/x.yaml");
  EXPECT_EQ(p.options.recipient, kTokenA);
  ASSERT_TRUE(p.options.client);
  EXPECT_EQ(*p.options.client, "");
  EXPECT_EQ(p.options.sender, "MAILER-DAEMON");
  EXPECT_TRUE(p.options.forward_dsn);
  const char* bad[] = {"sendpool-feedback", "--bogus"};
  EXPECT_EQ(parse_options(2, const_cast<char**>(bad)).exit_code, kExitUsage);
  const char* missing[] = {"sendpool-feedback", "--recipient"};
  EXPECT_EQ(parse_options(2, const_cast<char**>(missing)).exit_code, kExitUsage);
}

TEST(FeedbackReadTest, InputIsBounded) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string big(5000, 'x');
  ASSERT_EQ(::write(fds[1], big.data(), big.size()), static_cast<ssize_t>(big.size()));
  ::close(fds[1]);
  auto r = read_bounded(fds[0], 4096);
  ::close(fds[0]);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sendpool::feedback
