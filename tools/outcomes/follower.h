// LogFollower: follows Postfix's delivery log and applies it to the store, batch by batch.
//
// The follower reads complete lines only and applies each batch of lines together with its new
// position (file inode + offset after the batch's last line) in ONE write transaction
// (core/store/outcomes.h), so after a crash or restart it resumes exactly after the last line
// it applied: nothing is counted twice, nothing is skipped. Rotation:
//  - rename (logrotate's default, `postfix logrotate`): when the path names a new inode, the old
//    file is read to its end first, and only once the new file has data (so the writer has
//    switched to it) the follower opens the path and starts at offset 0;
//  - truncation (copytruncate): when the file got shorter than the position, or the bytes just
//    before the position (FollowerPosition::tail) changed, it starts again at 0 (lines written
//    between the last poll and the truncation are lost: that is copytruncate's own race);
//  - restart after a rotation: when the stored inode is not the path's, the rotated names in the
//    same directory (PATH.1, PATH-20261204, postfix logrotate's PATH.20261204-163421, …) are
//    searched for that inode, and that file is finished from the stored offset first; otherwise
//    the path starts at 0, as
//    it does when the path has the stored inode but not the stored tail (a replaced file that
//    reused the inode number).
// A malformed line never stalls it: it is counted, logged sanitised (a few per batch) and
// skipped with its batch. A store failure fails the batch (nothing of it applied); the next poll
// retries from the same position. Before each batch the stored position must still be the one
// this follower last wrote, so two followers on one store refuse instead of counting twice.
// Ownership: the follower owns its file descriptor; the store and logger outlive it.
// Thread-safety: one thread.
// Security: the log holds text from remote servers; it is parsed by pure code with bounded
// lines (kMaxPostfixLogLineLength) and bounded reads, and sanitised before it is logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/result.h"
#include "core/store/lmdb_env.h"
#include "core/store/outcomes.h"

namespace sendpool::outcomes {

// Bytes read from the log at a time, and held at most before they are applied.
inline constexpr size_t kReadChunk = 64 * 1024;
inline constexpr size_t kMaxPendingBytes = 4 * 1024 * 1024;
// Lines per write transaction.
inline constexpr size_t kMaxBatchLines = 2000;
// Malformed lines logged in full per batch (the rest are only counted).
inline constexpr size_t kMaxLoggedMalformedPerBatch = 5;
// How often tracked queue IDs are swept (outcomes.h).
inline constexpr std::chrono::minutes kSweepInterval{60};

// Run inside each batch's transaction with the accounts whose counters the batch changed (e.g.
// to recompute their reputation); lines in `notes` are logged after the commit.
using AccountsChanged = std::function<Status(WriteTxn& txn, const std::set<AccountId>& accounts,
                                             TimePoint now, std::vector<std::string>& notes)>;

struct FollowerOptions {
  std::string path;  // the log file (not used by apply_stream)
  OutcomeSettings settings;
  size_t max_batch_lines = kMaxBatchLines;
  AccountsChanged on_accounts_changed;  // optional
};

// What one poll (or one stream) applied.
struct PassResult {
  OutcomeTally tally;
  uint64_t lines = 0;
  uint64_t malformed = 0;
  uint64_t batches = 0;
  uint64_t rotations = 0;  // files finished and switched from (rename or truncation)
};

class LogFollower {
 public:
  LogFollower(LmdbEnv& env, FollowerOptions options, const Clock& clock, const Logger& log);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  // Applies every complete line the log holds now, following a rotation, and returns what it
  // did. A missing log file is not an error (nothing to do yet). On a store error, what was
  // committed before stays committed and the next poll continues from there.
  Result<PassResult> poll();

  // Where the follower is (inode and offset of the last applied line's end); for tests.
  uint64_t inode() const { return inode_; }
  uint64_t offset() const { return offset_; }

 private:
  Status open_start();
  Status open_path_at_zero();
  Status read_available(bool& eof);
  Status apply_complete_lines(bool final_partial, PassResult& result);
  Status commit(const std::vector<std::string_view>& lines, uint64_t consumed, PassResult& result);
  Status commit_position_only(PassResult& result);
  Result<bool> truncated() const;
  void close_file();

  LmdbEnv& env_;
  FollowerOptions options_;
  const Clock& clock_;
  const Logger& log_;

  int fd_ = -1;
  std::string file_;           // the name the open file was opened as (for logs)
  uint64_t inode_ = 0;         // of fd_
  uint64_t offset_ = 0;        // bytes of fd_'s file applied
  std::string pending_;        // bytes read after offset_, not applied yet
  bool skipping_ = false;      // inside an overlong line: drop bytes up to its newline
  bool draining_old_ = false;  // fd_ is a rotated file finished after a restart
  std::string tail_;           // the kPositionTailLength bytes before offset_
  // The position this follower last read or wrote in the store.
  uint64_t stored_inode_ = 0;
  uint64_t stored_offset_ = 0;
  bool missing_logged_ = false;
};

// Applies complete lines read from `fd` (a pipe or stdin) until end of input, the last
// unterminated line included; uses the tracked queue IDs but neither reads nor moves the file
// position.
Result<PassResult> apply_stream(LmdbEnv& env, int fd, const FollowerOptions& options,
                                const Clock& clock, const Logger& log);

// One lower-case log line for what a batch or a pass did.
std::string describe(const OutcomeTally& tally, uint64_t lines, uint64_t malformed);

// Polls every `interval` until SIGTERM, SIGINT or SIGHUP (taken with sigtimedwait, no
// handlers; the caller blocks them first with block_stop_signals()), or once with `once`.
// Returns the exit status: 0, or 75 (EX_TEMPFAIL) when `once` met a store error.
int run_follower(LogFollower& follower, std::chrono::milliseconds interval, bool once,
                 const Logger& log);

// Blocks the signals run_follower() waits for; call before any thread starts.
void block_stop_signals();

}  // namespace sendpool::outcomes
