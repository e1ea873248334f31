#include "tools/outcomes/follower.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include "core/daemon/daemon_main.h"
#include "core/proto/postfix_log.h"

namespace sendpool::outcomes {
namespace {

// Rotations followed in one poll at most, so a file that keeps being truncated cannot keep a
// poll from returning.
constexpr int kMaxSwitchesPerPoll = 8;
// A persistent store error is logged again after this many polls even when unchanged.
constexpr int kRepeatErrorEvery = 60;
// Bytes applied in one poll at most, so that a writer faster than the store cannot keep a poll
// (and the signal check between polls) from returning.
constexpr uint64_t kMaxBytesPerPoll = uint64_t{64} * 1024 * 1024;
// Directory entries looked at when searching for a rotated file after a restart.
constexpr size_t kMaxRotatedCandidates = 10000;

Error io_error(std::string_view doing, const std::string& path, int err) {
  return make_error(ErrorCode::kIo,
                    fmt::format("{} {}: {}", doing, sanitize(path), std::strerror(err)));
}

// The position a batch moves the stored one from and to; nullopt for a stream.
struct PositionMove {
  uint64_t from_inode = 0;
  uint64_t from_offset = 0;
  uint64_t to_inode = 0;
  uint64_t to_offset = 0;
  std::string to_tail;
};

// The kPositionTailLength bytes before a position, from the ones before the old position and
// the bytes consumed since.
std::string next_tail(std::string_view old_tail, std::string_view consumed) {
  if (consumed.size() >= kPositionTailLength)
    return std::string(consumed.substr(consumed.size() - kPositionTailLength));
  std::string out(old_tail);
  out += consumed;
  if (out.size() > kPositionTailLength) out.erase(0, out.size() - kPositionTailLength);
  return out;
}

struct BatchResult {
  OutcomeTally tally;
  uint64_t malformed = 0;
  std::vector<std::string> problems;  // logged after the commit
  std::vector<std::string> notes;
};

// Applies `lines` (and the position move) in one write transaction.
Status apply_batch(LmdbEnv& env, const std::vector<std::string_view>& lines,
                   const FollowerOptions& options, const Clock& clock,
                   const std::optional<PositionMove>& move, BatchResult& out) {
  return env.write([&](WriteTxn& txn) -> Status {
    out = BatchResult{};  // this function may run again after MDB_MAP_RESIZED
    SENDPOOL_ASSIGN_OR_RETURN(FollowerPosition position, get_follower_position(txn));
    if (move && (position.inode != move->from_inode || position.offset != move->from_offset)) {
      return make_error(
          ErrorCode::kRefused,
          fmt::format("the stored log position (inode {} offset {}) is not the one "
                      "this follower left (inode {} offset {}): is another "
                      "sendpool-outcomes following the log?",
                      position.inode, position.offset, move->from_inode, move->from_offset));
    }
    TimePoint now = clock.now();
    for (std::string_view line : lines) {
      auto event = parse_postfix_log_line(line);
      if (!event) {
        ++out.malformed;
        if (out.problems.size() < kMaxLoggedMalformedPerBatch)
          out.problems.push_back(
              fmt::format("skipped: {}: {}", event.error().message, sanitize(line)));
        continue;
      }
      if (!*event) continue;
      Status applied =
          apply_outcome_event(txn, **event, options.settings, now, position, out.tally);
      if (!applied) {
        // A damaged record must not stall the log either; anything else (store full,
        // unavailable) fails the batch so that it is retried whole.
        if (applied.error().code != ErrorCode::kCorrupt) return applied;
        ++out.malformed;
        if (out.problems.size() < kMaxLoggedMalformedPerBatch)
          out.problems.push_back(fmt::format(
              "skipped: queue_id={}: {}", sanitize(queue_id_of(**event)), applied.error().message));
      }
    }
    if (position.tracked > kMaxTrackedMessages || now - position.last_sweep >= kSweepInterval) {
      SENDPOOL_ASSIGN_OR_RETURN(uint64_t swept, sweep_tracked_messages(txn, now, position));
      out.tally.swept += swept;
    }
    if (options.on_accounts_changed && !out.tally.accounts.empty())
      SENDPOOL_TRY(options.on_accounts_changed(txn, out.tally.accounts, now, out.notes));
    if (move) {
      position.inode = move->to_inode;
      position.offset = move->to_offset;
      position.tail = move->to_tail;
    }
    position.lines += lines.size();
    position.malformed += out.malformed;
    return put_follower_position(txn, position);
  });
}

void log_batch(const Logger& log, const BatchResult& batch, size_t lines, std::string_view where) {
  for (const std::string& problem : batch.problems)
    log.warning("outcomes: {}: {}", where, problem);
  if (batch.malformed > batch.problems.size())
    log.warning("outcomes: {}: {} more malformed line(s) skipped", where,
                batch.malformed - batch.problems.size());
  if (batch.tally.counted_anything() || batch.malformed > 0) {
    log.info("outcomes: {}: {}", where, describe(batch.tally, lines, batch.malformed));
  } else {
    log.debug("outcomes: {}: {} line(s), nothing of ours", where, lines);
  }
  for (const std::string& note : batch.notes)
    log.info("outcomes: {}", note);
}

void add(PassResult& result, const BatchResult& batch, size_t lines) {
  result.tally += batch.tally;
  result.lines += lines;
  result.malformed += batch.malformed;
  ++result.batches;
}

// Splits `buffer` into complete lines from `pos`: stops at the batch size, at the end, or at
// an unterminated tail (kept unless `final_partial`). Overlong lines are cut to one line longer
// than the parser accepts (so it reports them) and the rest of them is dropped via `skipping`.
// Returns the bytes consumed.
size_t split_lines(std::string_view buffer, bool final_partial, size_t max_lines, bool& skipping,
                   std::vector<std::string_view>& lines) {
  size_t pos = 0;
  while (lines.size() < max_lines) {
    size_t nl = buffer.find('\n', pos);
    if (nl == std::string_view::npos) {
      size_t rest = buffer.size() - pos;
      if (skipping) return buffer.size();
      if (rest > kMaxPostfixLogLineLength) {
        lines.push_back(buffer.substr(pos, kMaxPostfixLogLineLength + 1));
        skipping = true;
        return buffer.size();
      }
      if (final_partial && rest > 0) {
        lines.push_back(buffer.substr(pos));
        return buffer.size();
      }
      return pos;
    }
    if (skipping) {
      skipping = false;
    } else {
      lines.push_back(buffer.substr(pos, nl - pos));
    }
    pos = nl + 1;
  }
  return pos;
}

}  // namespace

std::string describe(const OutcomeTally& t, uint64_t lines, uint64_t malformed) {
  std::string out = fmt::format(
      "{} line(s): delivered={} bounced={} (expired={}) deferred={} suppressed={} refunded={} "
      "messages={} unmatched={} malformed={}",
      lines, t.delivered, t.bounced, t.expired, t.deferred, t.suppressed, t.refunded, t.tracked,
      t.unmatched, malformed);
  if (t.swept > 0) out += fmt::format(" swept={}", t.swept);
  return out;
}

LogFollower::LogFollower(LmdbEnv& env, FollowerOptions options, const Clock& clock,
                         const Logger& log)
    : env_(env), options_(std::move(options)), clock_(clock), log_(log) {}

LogFollower::~LogFollower() {
  close_file();
}

void LogFollower::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pending_.clear();
  skipping_ = false;
  tail_.clear();
}

// The rotated name of `path` that holds inode `inode`, or "": PATH.1 (logrotate), PATH-DATE
// (logrotate dateext), PATH.YYYYMMDD-HHMMSS (postfix logrotate) and the like, in the same
// directory. Compressed copies are other files (other inodes) and are not looked at.
std::string find_rotated(const std::string& path, uint64_t inode) {
  namespace fs = std::filesystem;
  fs::path p(path);
  std::string base = p.filename().string();
  std::error_code ec;
  fs::directory_iterator it(p.parent_path().empty() ? fs::path(".") : p.parent_path(), ec);
  size_t seen = 0;
  for (; !ec && it != fs::directory_iterator() && seen < kMaxRotatedCandidates;
       it.increment(ec), ++seen) {
    std::string name = it->path().filename().string();
    if (name.size() <= base.size() || !name.starts_with(base) ||
        (name[base.size()] != '.' && name[base.size()] != '-'))
      continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_ino) == inode)
      return it->path().string();
  }
  return {};
}

// Whether the bytes before `offset` in `fd` are `tail`.
bool tail_matches(int fd, uint64_t offset, const std::string& tail) {
  if (tail.size() > offset) return false;
  if (tail.empty()) return true;
  std::string now(tail.size(), '\0');
  ssize_t got = ::pread(fd, now.data(), now.size(), static_cast<off_t>(offset - tail.size()));
  return got == static_cast<ssize_t>(now.size()) && now == tail;
}

Status LogFollower::open_path_at_zero() {
  close_file();
  int fd = ::open(options_.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", options_.path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("cannot stat", options_.path, err);
  }
  fd_ = fd;
  file_ = options_.path;
  inode_ = st.st_ino;
  offset_ = 0;
  draining_old_ = false;
  return ok_status();
}

Status LogFollower::open_start() {
  FollowerPosition stored;
  SENDPOOL_TRY(env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(stored, get_follower_position(txn));
    return ok_status();
  }));
  stored_inode_ = stored.inode;
  stored_offset_ = stored.offset;
  struct stat st {};
  if (::stat(options_.path.c_str(), &st) != 0) {
    if (errno != ENOENT) return io_error("cannot stat", options_.path, errno);
    if (!missing_logged_)
      log_.warning("outcomes: {} does not exist yet; waiting", sanitize(options_.path));
    missing_logged_ = true;
    return ok_status();
  }
  missing_logged_ = false;
  if (stored.inode != 0 && stored.inode != st.st_ino) {
    // Rotated while we were not running: finish the old file first when it is still there.
    std::string old = find_rotated(options_.path, stored.inode);
    struct stat ost {};
    if (!old.empty() && ::stat(old.c_str(), &ost) == 0 && ost.st_ino == stored.inode &&
        static_cast<uint64_t>(ost.st_size) >= stored.offset) {
      int fd = ::open(old.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && tail_matches(fd, stored.offset, stored.tail) &&
          ::lseek(fd, static_cast<off_t>(stored.offset), SEEK_SET) >= 0) {
        close_file();
        fd_ = fd;
        file_ = old;
        inode_ = stored.inode;
        offset_ = stored.offset;
        tail_ = stored.tail;
        draining_old_ = true;
        log_.info("outcomes: finishing rotated {} from offset {}", sanitize(old), offset_);
        return ok_status();
      }
      if (fd >= 0) ::close(fd);
    }
    log_.warning(
        "outcomes: the file of the stored position (inode {} offset {}) is gone; "
        "reading {} from the beginning",
        stored.inode, stored.offset, sanitize(options_.path));
    return open_path_at_zero();
  }
  SENDPOOL_TRY(open_path_at_zero());
  if (inode_ == stored.inode) {
    struct stat now {};
    if (::fstat(fd_, &now) == 0 && static_cast<uint64_t>(now.st_size) >= stored.offset &&
        tail_matches(fd_, stored.offset, stored.tail)) {
      if (::lseek(fd_, static_cast<off_t>(stored.offset), SEEK_SET) < 0)
        return io_error("cannot seek in", options_.path, errno);
      offset_ = stored.offset;
      tail_ = stored.tail;
    } else {
      log_.warning(
          "outcomes: {} is not the file of the stored position (offset {}): truncated "
          "or replaced; reading it from the beginning",
          sanitize(options_.path), stored.offset);
    }
  }
  log_.info("outcomes: following {} (inode {}) from offset {}", sanitize(file_), inode_, offset_);
  return ok_status();
}

Status LogFollower::read_available(bool& eof) {
  eof = false;
  while (pending_.size() < kMaxPendingBytes) {
    size_t old = pending_.size();
    pending_.resize(old + kReadChunk);
    ssize_t n = ::read(fd_, pending_.data() + old, kReadChunk);
    int err = errno;
    pending_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n < 0) {
      if (err == EINTR) continue;
      return io_error("cannot read", file_, err);
    }
    if (n == 0) {
      eof = true;
      return ok_status();
    }
  }
  return ok_status();
}

Status LogFollower::commit(const std::vector<std::string_view>& lines, uint64_t consumed,
                           PassResult& result) {
  PositionMove move{stored_inode_, stored_offset_, inode_, offset_ + consumed,
                    next_tail(tail_, std::string_view(pending_).substr(0, consumed))};
  BatchResult batch;
  SENDPOOL_TRY(apply_batch(env_, lines, options_, clock_, move, batch));
  stored_inode_ = move.to_inode;
  stored_offset_ = move.to_offset;
  tail_ = std::move(move.to_tail);
  log_batch(log_, batch, lines.size(),
            fmt::format("{} offset {}", sanitize(file_), move.to_offset));
  add(result, batch, lines.size());
  return ok_status();
}

Status LogFollower::commit_position_only(PassResult& result) {
  return commit({}, 0, result);
}

Status LogFollower::apply_complete_lines(bool final_partial, PassResult& result) {
  while (true) {
    std::vector<std::string_view> lines;
    bool skipping = skipping_;
    size_t consumed =
        split_lines(pending_, final_partial, options_.max_batch_lines, skipping, lines);
    if (consumed == 0) return ok_status();
    SENDPOOL_TRY(commit(lines, consumed, result));
    skipping_ = skipping;
    pending_.erase(0, consumed);
    offset_ += consumed;
  }
}

Result<bool> LogFollower::truncated() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return io_error("cannot stat", file_, errno);
  if (static_cast<uint64_t>(st.st_size) < offset_ + pending_.size()) return true;
  return !tail_matches(fd_, offset_, tail_);
}

Result<PassResult> LogFollower::poll() {
  PassResult result;
  if (fd_ < 0) {
    SENDPOOL_TRY(open_start());
    if (fd_ < 0) return result;
  }
  uint64_t budget = 0;
  for (int switches = 0; switches <= kMaxSwitchesPerPoll;) {
    SENDPOOL_ASSIGN_OR_RETURN(bool cut, truncated());
    if (cut) {
      log_.warning("outcomes: {} was truncated; reading it from the beginning", sanitize(file_));
      pending_.clear();
      skipping_ = false;
      tail_.clear();
      if (::lseek(fd_, 0, SEEK_SET) < 0) return io_error("cannot seek in", file_, errno);
      offset_ = 0;
      SENDPOOL_TRY(commit_position_only(result));
      ++result.rotations;
      ++switches;
      continue;
    }
    bool eof = false;
    SENDPOOL_TRY(read_available(eof));
    uint64_t before = offset_;
    SENDPOOL_TRY(apply_complete_lines(false, result));
    budget += offset_ > before ? offset_ - before : 0;
    if (!eof) {
      if (budget >= kMaxBytesPerPoll) break;
      continue;
    }

    // At the end of the file: has the path moved on to a new file?
    struct stat st {};
    bool exists = ::stat(options_.path.c_str(), &st) == 0;
    bool renamed = exists && st.st_ino != inode_;
    // Switch once the writer has started the new file (or at once for a file finished after a
    // restart); until then the old file may still receive its last lines.
    if (!renamed || (!draining_old_ && st.st_size == 0)) break;
    SENDPOOL_TRY(read_available(eof));
    SENDPOOL_TRY(apply_complete_lines(true, result));
    if (!eof) continue;  // more than a buffer's worth arrived: keep draining
    log_.info("outcomes: {} finished at offset {}; following the new {}", sanitize(file_), offset_,
              sanitize(options_.path));
    SENDPOOL_TRY(open_path_at_zero());
    SENDPOOL_TRY(commit_position_only(result));
    ++result.rotations;
    ++switches;
  }
  return result;
}

Result<PassResult> apply_stream(LmdbEnv& env, int fd, const FollowerOptions& options,
                                const Clock& clock, const Logger& log) {
  PassResult result;
  std::string pending;
  bool skipping = false;
  bool eof = false;
  while (!eof) {
    while (pending.size() < kMaxPendingBytes) {
      size_t old = pending.size();
      pending.resize(old + kReadChunk);
      ssize_t n = ::read(fd, pending.data() + old, kReadChunk);
      int err = errno;
      pending.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
      if (n < 0 && err == EINTR) continue;
      if (n < 0) return io_error("cannot read", "standard input", err);
      if (n == 0) {
        eof = true;
        break;
      }
    }
    while (true) {
      std::vector<std::string_view> lines;
      bool next_skipping = skipping;
      size_t consumed = split_lines(pending, eof, options.max_batch_lines, next_skipping, lines);
      if (consumed == 0) break;
      BatchResult batch;
      if (!lines.empty()) {
        SENDPOOL_TRY(apply_batch(env, lines, options, clock, std::nullopt, batch));
        log_batch(log, batch, lines.size(), "standard input");
        add(result, batch, lines.size());
      }
      skipping = next_skipping;
      pending.erase(0, consumed);
    }
  }
  return result;
}

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_follower(LogFollower& follower, std::chrono::milliseconds interval, bool once,
                 const Logger& log) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  std::string last_error;
  int repeats = 0;
  while (true) {
    auto pass = follower.poll();
    if (!pass) {
      const std::string& message = pass.error().message;
      if (message != last_error || ++repeats >= kRepeatErrorEvery) {
        log.error("outcomes: {}; retrying from the same position", message);
        repeats = 0;
      }
      last_error = message;
      if (once) return kExitTempFail;
    } else {
      last_error.clear();
    }
    if (once) return 0;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(interval);
    timespec wait{static_cast<time_t>(secs.count()),
                  static_cast<long>(std::chrono::nanoseconds(interval - secs).count())};
    int sig = sigtimedwait(&set, nullptr, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      log.info("outcomes: stopping (signal {})", sig);
      return 0;
    }
    // SIGHUP, a timeout or EINTR: poll again.
  }
}

}  // namespace sendpool::outcomes
