#include "milter/session.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/base/civil_time.h"
#include "core/proto/address.h"
#include "core/proto/header_address.h"
#include "core/proto/return_path.h"

namespace sendpool::milter {
namespace {

std::string_view strip_angles(std::string_view s) {
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') return s.substr(1, s.size() - 2);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Session::Session(Catalog& catalog, SignerFactory& signer, const PlatformSettings& platform,
                 const Clock& clock, const Logger& log)
    : catalog_(catalog), signer_(signer), platform_(platform), clock_(clock), log_(log) {}

void Session::connect(std::string client_address) {
  client_ = std::move(client_address);
}

void Session::abort() {
  account_.reset();
  sender_.clear();
  recipients_.clear();
  headers_.clear();
  header_bytes_ = 0;
  verdict_at_eom_.reset();
  added_.clear();
  new_sender_.clear();
  jobs_.clear();
  job_names_.clear();
}

void Session::fail(std::string why) {
  log_.error("milter: account={} client={}: {}", account_ ? account_->username : "-", client_, why);
  if (!verdict_at_eom_)
    verdict_at_eom_ = Reply::tempfail("temporary failure in the sending service, try again later");
  jobs_.clear();
}

Reply Session::mail(std::string_view sender_arg, std::string_view auth_authen) {
  abort();
  Result<std::optional<Account>> found = auth_authen.empty()
                                             ? catalog_.account_by_client(client_)
                                             : catalog_.account_by_username(auth_authen);
  if (!found) {
    fail(found.error().message);
    return *verdict_at_eom_;
  }
  if (!*found) {
    if (auth_authen.empty())
      return Reply::reject("550", "5.7.1",
                           fmt::format("client {} may not send without authentication", client_));
    return Reply::reject("550", "5.7.1", fmt::format("unknown account {}", sanitize(auth_authen)));
  }
  const Account& account = **found;
  if (account.status != AccountStatus::kEnabled)
    return Reply::reject(
        "550", "5.7.1",
        fmt::format("account {} is {}", account.username, to_string(account.status)));
  std::string_view sender = strip_angles(sender_arg);
  if (sender.empty())
    return Reply::reject("550", "5.7.1",
                         fmt::format("account {} must send from one of its domains, not the null "
                                     "sender",
                                     account.username));
  auto address = parse_mail_address(sender);
  if (!address)
    return Reply::reject("553", "5.1.7",
                         fmt::format("bad sender address: {}", address.error().message));
  auto linked = catalog_.domain_linked(address->domain, account.username);
  if (!linked) {
    fail(linked.error().message);
    return *verdict_at_eom_;
  }
  if (!*linked)
    return Reply::reject(
        "550", "5.7.1",
        fmt::format("{} is not authorised for account {}", address->domain, account.username));
  account_ = account;
  sender_ = address->str();
  return Reply::go();
}

Reply Session::rcpt(std::string_view recipient_arg) {
  if (!account_) return Reply::reject("503", "5.5.1", "no sender accepted for this message");
  if (recipients_.size() >= kMaxRecipients)
    return Reply::reject("452", "4.5.3", "too many recipients");
  auto suppressed = catalog_.suppressed(*account_, strip_angles(recipient_arg));
  if (!suppressed) {
    log_.error("milter: account={}: {}", account_->username, suppressed.error().message);
    return Reply::tempfail("temporary failure in the sending service, try again later");
  }
  recipients_.push_back(Recipient{std::string(recipient_arg), *suppressed});
  return Reply::go();
}

Reply Session::header(std::string_view name, std::string_view value) {
  if (!account_) return Reply::go();
  header_bytes_ += name.size() + value.size();
  if (headers_.size() >= kMaxHeaders || header_bytes_ > kMaxHeaderBytes)
    return Reply::reject("552", "5.3.4", "message header too large");
  headers_.emplace_back(name, value);
  return Reply::go();
}

Reply Session::check_author_headers() {
  const Account& a = *account_;
  auto one_linked_mailbox = [&](std::string_view field) -> std::optional<Reply> {
    std::vector<std::string_view> values;
    for (const auto& [n, v] : headers_)
      if (iequals(n, field)) values.push_back(v);
    if (values.empty()) return std::nullopt;
    if (values.size() > 1)
      return Reply::reject("550", "5.7.1",
                           fmt::format("the message has {} {}: headers; exactly one is required",
                                       values.size(), field));
    auto mailboxes = parse_header_mailboxes(values.front());
    if (!mailboxes || mailboxes->size() != 1)
      return Reply::reject("550", "5.7.1",
                           fmt::format("the {}: header must hold exactly one address", field));
    std::string domain(domain_of(mailboxes->front()));
    auto linked = catalog_.domain_linked(domain, a.username);
    if (!linked) return Reply::tempfail(linked.error().message);
    if (!*linked)
      return Reply::reject(
          "550", "5.7.1",
          fmt::format("{}: domain {} is not authorised for account {}", field, domain, a.username));
    return std::nullopt;
  };
  if (std::none_of(headers_.begin(), headers_.end(),
                   [](const auto& h) { return iequals(h.first, "From"); }))
    return Reply::reject("550", "5.7.1", "the message has no From: header");
  if (auto r = one_linked_mailbox("From")) return *r;
  if (auto r = one_linked_mailbox("Sender")) return *r;
  return Reply::go();
}

Reply Session::end_of_headers() {
  if (!account_ || verdict_at_eom_) return Reply::go();
  Reply authors = check_author_headers();
  if (authors.action == Action::kTempfail) {
    fail(authors.text);
    return Reply::go();
  }
  if (authors.action != Action::kContinue) {
    verdict_at_eom_ = authors;  // answered at end of message, as the issue of record asks
    return Reply::go();
  }
  std::string from_domain;
  for (const auto& [n, v] : headers_)
    if (iequals(n, "From"))
      from_domain = std::string(domain_of(parse_header_mailboxes(v)->front()));

  // The headers we will add, decided now so the signatures cover them.
  auto tag = new_message_tag();
  if (!tag) {
    fail(tag.error().message);
    return Reply::go();
  }
  int day = day_number(day_of(clock_.now()));
  const Account& a = *account_;
  new_sender_ = encode_return_path(ReturnPathToken{TokenKind::kBounce, a.id, day, *tag},
                                   platform_.return_path_domain, platform_.token_secret);
  added_.emplace_back("Feedback-ID", fmt::format("{}:{}:{}:{}", a.username, a.customer,
                                                 to_string(a.type), platform_.platform_id));
  bool has_unsubscribe = std::any_of(headers_.begin(), headers_.end(), [](const auto& h) {
    return iequals(h.first, "List-Unsubscribe");
  });
  if (a.type == AccountType::kPromotional && !has_unsubscribe) {
    std::string mailto =
        encode_return_path(ReturnPathToken{TokenKind::kUnsubscribe, a.id, day, *tag},
                           platform_.return_path_domain, platform_.token_secret);
    std::string value = fmt::format("<mailto:{}?subject=unsubscribe>", mailto);
    if (!platform_.unsubscribe_url.empty()) {
      std::string local = mailto.substr(0, mailto.find('@'));
      // The configured URL may already carry a query string.
      char joiner = platform_.unsubscribe_url.find('?') == std::string::npos ? '?' : '&';
      value += fmt::format(", <{}{}t={}>", platform_.unsubscribe_url, joiner, local);
      added_.emplace_back("List-Unsubscribe", value);
      added_.emplace_back("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    } else {
      added_.emplace_back("List-Unsubscribe", value);
    }
  }
  if (Status s = start_signatures(from_domain); !s) fail(s.error().message);
  return Reply::go();
}

Status Session::start_signatures(const std::string& from_domain) {
  SENDPOOL_ASSIGN_OR_RETURN(auto domain_keys, catalog_.signing_keys(from_domain));
  if (domain_keys.empty())
    return make_error(ErrorCode::kNotFound, fmt::format("domain {} has no DKIM key", from_domain));
  if (platform_.keys.empty())
    return make_error(ErrorCode::kNotFound, "the platform has no DKIM key");
  std::vector<SigningKey> keys = domain_keys;
  keys.insert(keys.end(), platform_.keys.begin(), platform_.keys.end());
  for (const auto& key : keys) {
    SENDPOOL_ASSIGN_OR_RETURN(auto job, signer_.start(key, account_->username));
    for (const auto& [n, v] : headers_)
      SENDPOOL_TRY(job->header(n, v));
    for (const auto& [n, v] : added_)
      SENDPOOL_TRY(job->header(n, v));
    SENDPOOL_TRY(job->end_of_headers());
    jobs_.push_back(std::move(job));
    job_names_.push_back(
        fmt::format("d={} s={} {}", key.domain, key.selector, to_string(key.type)));
  }
  return ok_status();
}

Reply Session::body(std::string_view chunk) {
  for (auto& job : jobs_) {
    if (Status s = job->body(chunk); !s) {
      fail(s.error().message);
      break;
    }
  }
  return Reply::go();
}

EomChanges Session::end_of_message(std::string_view queue_id) {
  EomChanges out;
  if (!account_) {
    out.reply = Reply::tempfail("no sender state for this message");
    return out;
  }
  if (verdict_at_eom_) {
    out.reply = *verdict_at_eom_;
    log_.info("milter: queue_id={} account={} refused: {} {} {}", sanitize(queue_id),
              account_->username, out.reply.rcode, out.reply.xcode, out.reply.text);
    return out;
  }
  size_t kept = 0;
  for (const auto& r : recipients_) {
    if (r.suppressed)
      out.delete_recipients.push_back(r.arg);
    else
      ++kept;
  }
  if (kept == 0) {
    out.reply = Reply{Action::kDiscard, "", "", "every recipient is suppressed"};
    log_.info("milter: queue_id={} account={} recipients kept=0 dropped={}: discarded",
              sanitize(queue_id), account_->username, out.delete_recipients.size());
    return out;
  }
  if (jobs_.empty()) {  // end of headers never ran: nothing was signed, so nothing is sent
    fail("no signature was started for this message");
    out = EomChanges{};
    out.reply = *verdict_at_eom_;
    return out;
  }
  for (auto& job : jobs_) {
    auto signature = job->finish();
    if (!signature) {
      fail(signature.error().message);
      out = EomChanges{};
      out.reply = *verdict_at_eom_;
      return out;
    }
    out.signatures.push_back(std::move(*signature));
  }
  out.new_sender = new_sender_;
  out.add_headers = added_;
  std::string signed_by;
  for (const auto& n : job_names_)
    signed_by += (signed_by.empty() ? "" : ", ") + n;
  log_.info("milter: queue_id={} account={} recipients kept={} dropped={} signatures: {}",
            sanitize(queue_id), account_->username, kept, out.delete_recipients.size(), signed_by);
  return out;
}

}  // namespace sendpool::milter
