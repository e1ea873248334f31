#include "tools/outcomes/follower.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/outcomes/outcomes_test_util.h"

namespace sendpool::outcomes {
namespace {

using sendpool::testing::OutcomeStore;
namespace t = sendpool::testing;

class FollowerTest : public ::testing::Test {
 protected:
  FollowerTest() : clock_(t::kNow), log_("follower-test", false, false, LogLevel::kError) {
    path_ = store_.dir().sub("maillog");
  }

  std::unique_ptr<LogFollower> follower() {
    FollowerOptions options;
    options.path = path_;
    options.settings = store_.settings();
    options.max_batch_lines = 3;  // several batches per poll
    return std::make_unique<LogFollower>(store_.env(), options, clock_, log_);
  }

  // Appends text as-is (lines need their own "\n").
  void append(const std::string& text, const std::string& path = {}) {
    std::ofstream out(path.empty() ? path_ : path, std::ios::app | std::ios::binary);
    out << text;
  }
  void append_lines(const std::vector<std::string>& lines, const std::string& path = {}) {
    std::string text;
    for (const auto& l : lines)
      text += l + "\n";
    append(text, path);
  }

  PassResult poll(LogFollower& f) {
    auto r = f.poll();
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : PassResult{};
  }

  DayCounters counters() const { return store_.counters(store_.app(), day_); }

  // One charged message of `n` recipients: the from= line and the recipients' addresses.
  std::string message(const std::string& qid, int n) {
    store_.charge(qid, store_.app(), day_, static_cast<uint32_t>(n));
    return t::from_line(qid, rp_, n);
  }

  uint64_t inode_of(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
  }

  OutcomeStore store_;
  FixedClock clock_;
  Logger log_;
  std::string path_;
  int day_ = store_.today();
  std::string rp_ = store_.token(store_.app(), day_);
};

TEST_F(FollowerTest, AppliesCompleteLinesOnlyAndStoresTheirEnd) {
  std::string from = message("AAAA00001", 2);
  std::string sent = t::sent_line("AAAA00001", "a@dest.example");
  append(from + "\n" + sent.substr(0, 40));  // the second line is still being written
  auto f = follower();
  PassResult r = poll(*f);
  EXPECT_EQ(r.lines, 1u);
  EXPECT_EQ(counters().delivered, 0u);
  FollowerPosition p = store_.position();
  EXPECT_EQ(p.offset, from.size() + 1);
  EXPECT_EQ(p.inode, inode_of(path_));
  append(sent.substr(40) + "\n" + t::sent_line("AAAA00001", "b@dest.example") + "\n");
  r = poll(*f);
  EXPECT_EQ(r.tally.delivered, 2u);
  EXPECT_EQ(counters().delivered, 2u);
  EXPECT_EQ(store_.position().offset, std::filesystem::file_size(path_));
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(FollowerTest, ARestartNeverCountsALineTwiceNorSkipsOne) {
  append_lines({message("AAAA00001", 3), t::sent_line("AAAA00001", "a@dest.example")});
  poll(*follower());
  EXPECT_EQ(counters().delivered, 1u);
  // The next process starts where the last one stopped, the qid map included: the from= line
  // is behind it, the to= lines after it are still attributed.
  append_lines({t::sent_line("AAAA00001", "b@dest.example")});
  auto f = follower();
  PassResult r = poll(*f);
  EXPECT_EQ(r.lines, 1u);
  EXPECT_EQ(counters().delivered, 2u);
  EXPECT_EQ(poll(*follower()).lines, 0u);  // nothing new: nothing applied
  append_lines({t::unknown_user_line("AAAA00001", "c@dest.example")});
  poll(*follower());
  DayCounters c = counters();
  EXPECT_EQ((std::vector<uint64_t>{c.enqueued, c.delivered, c.bounced}),
            (std::vector<uint64_t>{0, 2, 1}));
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(FollowerTest, RenameRotationFinishesTheOldFileThenReadsTheNewOneFromZero) {
  append_lines({message("AAAA00001", 4), t::sent_line("AAAA00001", "a@dest.example")});
  auto f = follower();
  poll(*f);
  uint64_t old_inode = inode_of(path_);
  // Lines written just before the rename, then the rename, then an empty new file: the writer
  // has not switched yet and writes one more line to the old file.
  append_lines({t::sent_line("AAAA00001", "b@dest.example")});
  std::filesystem::rename(path_, path_ + ".1");
  append("", path_);
  poll(*f);
  EXPECT_EQ(f->inode(), old_inode);  // stays on the old file while the new one is empty
  append_lines({t::sent_line("AAAA00001", "c@dest.example")}, path_ + ".1");
  append_lines({t::sent_line("AAAA00001", "d@dest.example")});
  PassResult r = poll(*f);
  EXPECT_EQ(r.rotations, 1u);
  EXPECT_EQ(f->inode(), inode_of(path_));
  EXPECT_EQ(counters().delivered, 4u);
  FollowerPosition p = store_.position();
  EXPECT_EQ(p.inode, inode_of(path_));
  EXPECT_EQ(p.offset, std::filesystem::file_size(path_));
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(FollowerTest, ARestartAfterARotationFinishesPathDotOneFirst) {
  append_lines({message("AAAA00001", 3), t::sent_line("AAAA00001", "a@dest.example")});
  poll(*follower());
  // While the follower is down: a line to the old file, rotation, lines to the new file.
  append_lines({t::sent_line("AAAA00001", "b@dest.example")});
  std::filesystem::rename(path_, path_ + ".1");
  append_lines({t::sent_line("AAAA00001", "c@dest.example")});
  auto f = follower();
  PassResult r = poll(*f);
  EXPECT_EQ(r.tally.delivered, 2u);
  EXPECT_EQ(counters().delivered, 3u);
  EXPECT_EQ(store_.position().inode, inode_of(path_));
  // And again: nothing counted twice.
  EXPECT_EQ(poll(*follower()).tally.delivered, 0u);
  EXPECT_EQ(counters().delivered, 3u);
}

TEST_F(FollowerTest, ARestartFindsPostfixLogrotatesDatedName) {
  append_lines({message("AAAA00001", 2), t::sent_line("AAAA00001", "a@dest.example")});
  poll(*follower());
  append_lines({t::sent_line("AAAA00001", "b@dest.example")});
  std::filesystem::rename(path_, path_ + ".20261204-163421");
  append("", path_);
  poll(*follower());
  EXPECT_EQ(counters().delivered, 2u);
  EXPECT_EQ(store_.position().inode, inode_of(path_));
}

TEST_F(FollowerTest, WhenTheRotatedFileIsGoneTheNewFileIsReadFromZero) {
  append_lines({message("AAAA00001", 2), t::sent_line("AAAA00001", "a@dest.example")});
  poll(*follower());
  std::filesystem::remove(path_);
  append_lines({t::sent_line("AAAA00001", "b@dest.example")});
  poll(*follower());
  EXPECT_EQ(counters().delivered, 2u);
}

TEST_F(FollowerTest, TruncationStartsTheFileAgainFromZero) {
  append_lines({message("AAAA00001", 3), t::sent_line("AAAA00001", "a@dest.example"),
                t::sent_line("AAAA00001", "b@dest.example")});
  auto f = follower();
  poll(*f);
  // copytruncate, then a shorter new content.
  std::filesystem::resize_file(path_, 0);
  append_lines({t::sent_line("AAAA00001", "c@dest.example")});
  PassResult r = poll(*f);
  EXPECT_EQ(r.rotations, 1u);
  EXPECT_EQ(counters().delivered, 3u);
  // Truncated and rewritten past the old position: the bytes before it changed.
  append_lines({message("BBBB00002", 2)});
  poll(*f);
  std::filesystem::resize_file(path_, 0);
  append_lines({t::from_line("BBBB00002", rp_, 2), t::sent_line("BBBB00002", "d@dest.example"),
                t::sent_line("BBBB00002", "e@dest.example"), t::removed_line("BBBB00002")});
  poll(*f);
  EXPECT_EQ(counters().delivered, 5u);
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(FollowerTest, AMalformedLineIsCountedAndSkippedNeverStalling) {
  std::string broken = t::prefix("pool_tx/smtp[1]") +
                       "AAAA00001: to=<x@dest.example>, relay=x, "
                       "dsn=5.1.1, status=exploded (boom\x01)";
  append_lines({message("AAAA00001", 2), broken, std::string(20000, 'z'),
                t::sent_line("AAAA00001", "a@dest.example"), "just noise",
                t::sent_line("AAAA00001", "b@dest.example")});
  PassResult r = poll(*follower());
  EXPECT_EQ(r.malformed, 2u);  // the bad status and the overlong line
  EXPECT_EQ(r.tally.delivered, 2u);
  FollowerPosition p = store_.position();
  EXPECT_EQ(p.malformed, 2u);
  EXPECT_EQ(p.lines, 6u);
  EXPECT_EQ(p.offset, std::filesystem::file_size(path_));
}

TEST_F(FollowerTest, AnOverlongLineArrivingInPiecesIsOneMalformedLine) {
  append_lines({message("AAAA00001", 1)});
  auto f = follower();
  poll(*f);
  append(std::string(kMaxPostfixLogLineLength + 100, 'y'));
  EXPECT_EQ(poll(*f).malformed, 1u);
  append(std::string(5000, 'y') + "\n" + t::sent_line("AAAA00001", "a@dest.example") + "\n");
  PassResult r = poll(*f);
  EXPECT_EQ(r.malformed, 0u);
  EXPECT_EQ(r.tally.delivered, 1u);
  EXPECT_EQ(store_.position().offset, std::filesystem::file_size(path_));
}

TEST_F(FollowerTest, TwoFollowersOnOneStoreRefuseInsteadOfCountingTwice) {
  append_lines({message("AAAA00001", 2)});
  auto a = follower();
  auto b = follower();
  poll(*a);
  poll(*b);  // both at the end
  append_lines({t::sent_line("AAAA00001", "a@dest.example")});
  poll(*a);
  append_lines({t::sent_line("AAAA00001", "b@dest.example")});
  auto refused = b->poll();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRefused);
  EXPECT_EQ(counters().delivered, 1u);
  poll(*a);
  EXPECT_EQ(counters().delivered, 2u);
}

TEST_F(FollowerTest, AMissingLogIsWaitedFor) {
  auto f = follower();
  PassResult r = poll(*f);
  EXPECT_EQ(r.lines, 0u);
  append_lines({message("AAAA00001", 1), t::sent_line("AAAA00001", "a@dest.example")});
  poll(*f);
  EXPECT_EQ(counters().delivered, 1u);
}

TEST_F(FollowerTest, StreamInputIsAppliedWithoutTouchingThePosition) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string text = message("AAAA00001", 2) + "\n" + t::sent_line("AAAA00001", "a@dest.example") +
                     "\n" + t::unknown_user_line("AAAA00001", "b@dest.example");  // no newline
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  FollowerOptions options;
  options.settings = store_.settings();
  auto r = apply_stream(store_.env(), fds[0], options, clock_, log_);
  ::close(fds[0]);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->lines, 3u);
  DayCounters c = counters();
  EXPECT_EQ((std::vector<uint64_t>{c.delivered, c.bounced}), (std::vector<uint64_t>{1, 1}));
  FollowerPosition p = store_.position();
  EXPECT_EQ(p.inode, 0u);
  EXPECT_EQ(p.offset, 0u);
}

TEST_F(FollowerTest, TheAccountsHookRunsInTheBatchWithTheAccountsChanged) {
  append_lines({message("AAAA00001", 1), t::sent_line("AAAA00001", "a@dest.example")});
  std::set<AccountId> seen;
  FollowerOptions options;
  options.path = path_;
  options.settings = store_.settings();
  options.on_accounts_changed = [&](WriteTxn&, const std::set<AccountId>& accounts, TimePoint now,
                                    std::vector<std::string>& notes) -> Status {
    seen.insert(accounts.begin(), accounts.end());
    EXPECT_EQ(now, t::kNow);
    notes.push_back("hook ran");
    return ok_status();
  };
  LogFollower f(store_.env(), options, clock_, log_);
  poll(f);
  EXPECT_EQ(seen, std::set<AccountId>{store_.app()});
}

TEST_F(FollowerTest, RunOnceReturnsZeroAfterOnePass) {
  append_lines({message("AAAA00001", 1), t::sent_line("AAAA00001", "a@dest.example")});
  auto f = follower();
  EXPECT_EQ(run_follower(*f, std::chrono::milliseconds(10), true, log_), 0);
  EXPECT_EQ(counters().delivered, 1u);
}

}  // namespace
}  // namespace sendpool::outcomes
