// Bounce classification: is a failed delivery a recipient problem (suppress the address), a
// transient one, or a block of the sender (never suppress)?
//
// Input is what Postfix logs for a recipient: the enhanced status code (`dsn=5.1.1`) and the
// text in `status=… (text)`, usually `host mx[ip] said: 550 5.1.1 <x>: user unknown (in reply
// to RCPT TO command)`. Only the remote reply is matched against text patterns (the part after
// "said: ", without "(in reply to … command)"), so a receiving host named mx.spamexperts.net
// cannot turn a "user unknown" into a block. Patterns are lower-case substrings of the
// lower-cased reply; `w:` marks a whole word.
//
// The rules, first match wins (docs/bounce-classification.md has the same table with the
// reasoning and examples):
//
//   #  rule            condition                                                   class
//   1  success         dsn class 2 (nothing failed)                                soft
//   2  policy-status   dsn x.7.x (security or policy status), any class           block
//   3  transient       dsn class 4 (or no dsn and a 4xx reply): block patterns    block
//                      otherwise                                                   soft
//   4  bad-address     dsn 5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10                       hard
//   5  blocked         a block pattern: blocked, block list, blocklist, blacklist,
//                      black list, denylist, spam, spamhaus, spamcop, barracuda,
//                      w:rbl, dnsbl, reputation, policy, is listed, are listed,
//                      listed at/on/by, client host, your ip, sending ip, ip address,
//                      w:ip, w:helo, w:ptr, reverse dns, w:spf, w:dkim, w:dmarc, abuse,
//                      unsolicited, rate limit, too many, relay access, relaying,
//                      unable to relay, not authorized,
//                      not permitted, banned, virus, malware, phish                  block
//   6  bad-sender      dsn 5.1.7, 5.1.8 (our sender address refused)                 block
//   7  mailbox-full    dsn 5.2.2, or mailbox full, mailbox is full, over quota,
//                      quota exceeded, exceeded storage, insufficient storage        soft
//   8  no-such-user    user unknown, unknown user, no such user/mailbox/recipient/
//                      address/account, mailbox unavailable, mailbox not found,
//                      does not exist, doesn't exist, invalid recipient/mailbox/
//                      address, recipient rejected, address rejected, user not found,
//                      recipient not found, address not found, recipient unknown,
//                      unknown recipient, not listed in, account disabled, account
//                      has been disabled, mailbox disabled, mailbox is disabled,
//                      account is disabled, inactive, unrouteable address,
//                      undeliverable address, not a valid mailbox, no mailbox         hard
//   9  message-problem dsn 5.2.3, 5.3.x, 5.4.6, 5.4.7, 5.5.x, 5.6.x; message too
//                      large, message size exceeds                                   soft
//  10  permanent       any other 5.x.x (e.g. 5.0.0, 5.2.1, 5.4.4 no such domain)      hard
//  11  unknown         no usable dsn and no 4xx/5xx reply code                       soft
//
// Decisions: a full mailbox (5.2.2) is transient in practice (people empty them), so it is
// soft: counted as bounced when Postfix gives up, never suppressed. When a block pattern and a
// user-unknown pattern both match, block wins (suppression needs certainty) unless the dsn
// itself says the address is bad (rule 4).
// Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace sendpool {

enum class BounceClass {
  kHard,   // the recipient address is bad: suppress it
  kSoft,   // transient, or a problem of this message: retry later, never suppress
  kBlock,  // the receiver refused the sender (IP, domain, content, policy): never suppress
};

std::string_view to_string(BounceClass c);

struct BounceVerdict {
  BounceClass kind = BounceClass::kSoft;
  std::string_view rule;  // the rule's name in the table above ("no-such-user"), static text
};

// Classifies one failed delivery from its enhanced status code (may be empty or malformed) and
// Postfix's status text.
BounceVerdict classify_bounce(std::string_view dsn, std::string_view text);

// True for the one class that puts the recipient on the suppression list.
inline bool suppresses(BounceClass c) {
  return c == BounceClass::kHard;
}

// The remote server's reply inside Postfix's status text: after "said: " when present,
// without a trailing " (in reply to … command)". The whole text otherwise.
std::string_view remote_reply(std::string_view text);

}  // namespace sendpool
