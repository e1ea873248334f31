#include "policyd/policy_connection.h"

namespace sendpool::policyd {

PolicyConnection::PolicyConnection(std::unique_ptr<ByteStream> stream, ConnectionSlot slot,
                                   const Logger& log, PolicyService& service)
    : Connection(std::move(stream), std::move(slot), log, "policy"), service_(service) {}

Status PolicyConnection::on_data(std::string_view bytes) {
  std::vector<PolicyRequest> requests;
  SENDPOOL_TRY(parser_.feed(bytes, requests));
  for (auto& r : requests)
    queue_.push_back(std::move(r));
  if (queue_.size() > kMaxQueuedPolicyRequests)
    return make_error(ErrorCode::kInvalidArgument, "too many requests without waiting for replies");
  answer_next();
  return ok_status();
}

void PolicyConnection::answer_next() {
  if (busy_ || queue_.empty() || !is_open()) return;
  PolicyRequest request = std::move(queue_.front());
  queue_.pop_front();
  std::string instance(request.get("instance"));
  if (!instance_.empty() && instance != instance_) service_.abandon(instance_);
  instance_ = instance;
  busy_ = true;
  auto self = std::static_pointer_cast<PolicyConnection>(shared_from_this());
  service_.handle(request, [self](const std::string& action) {
    self->busy_ = false;
    self->send(format_policy_reply(action));
    self->answer_next();
  });
}

void PolicyConnection::on_close() {
  if (!instance_.empty() && !busy_) service_.abandon(instance_);
}

}  // namespace sendpool::policyd
