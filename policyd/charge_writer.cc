#include "policyd/charge_writer.h"

#include "core/store/accounting.h"

namespace sendpool::policyd {

ChargeWriter::ChargeWriter(LmdbEnv& env, boost::asio::io_context& io, const Logger& log)
    : env_(env), io_(io), log_(log), thread_([this] { run(); }) {}

ChargeWriter::~ChargeWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void ChargeWriter::submit(Charge charge, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Item{std::move(charge), std::move(done)});
  }
  wake_.notify_one();
}

uint64_t ChargeWriter::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

void ChargeWriter::run() {
  for (;;) {
    std::vector<Item> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      while (!queue_.empty() && batch.size() < kMaxChargesPerCommit) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit(batch);
  }
}

void ChargeWriter::commit(std::vector<Item>& batch) {
  Status status = env_.write([&](WriteTxn& txn) -> Status {
    for (const auto& item : batch) {
      Status s = apply_charge(txn, item.charge);
      // A queue ID charged before (a request Postfix repeated) is not charged twice.
      if (!s && s.error().code != ErrorCode::kAlreadyExists) return s;
    }
    return ok_status();
  });
  if (!status) log_.error("cannot record {} charge(s): {}", batch.size(), status.error().message);
  {
    std::lock_guard lock(mutex_);
    ++commits_;
  }
  for (auto& item : batch)
    boost::asio::post(io_, [done = std::move(item.done), status] { done(status); });
}

}  // namespace sendpool::policyd
