// policy_load: a load generator for Postfix policy-delegation servers (SMTPD_POLICY_README).
//
// It speaks the protocol the way Postfix's smtpd does: many persistent connections, one
// request at a time on each, every request a realistic RCPT-stage attribute list
// (request=smtpd_access_policy, protocol_state=RCPT, sasl_username, instance, recipient,
// client_address, empty queue_id, ...). A transaction (one `instance`) carries
// --rcpts-per-tx recipients of one account, then the connection starts a new transaction
// for another account, as a new MAIL FROM on the same smtpd connection would.
//
// Two load models:
//   closed loop (default): each connection sends its next request as soon as the previous
//     reply is in; measures the server's capacity at that concurrency.
//   open loop (--rate R): requests are due at fixed times (R per second in total) whatever
//     the server does; a due request waits for an idle connection, and its latency is taken
//     from the time it was DUE (no coordinated omission), so queueing shows in the tail.
//
// Every run is bounded by --duration seconds and by --requests requests; replies still
// outstanding at the end are waited for at most --drain seconds. Output: one JSON object
// (--json) or a line of text with requests/s and the p50/p90/p99/p99.9/max latency.
// Works against any policy server (sendpool-policyd, postfwd, ...). Standalone: C++17 and
// the C library only; Linux (epoll).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr size_t kMaxConnections = 2000;
constexpr uint64_t kMaxRequestsCap = 50'000'000;  // hard cap on the latency buffer
constexpr double kMaxDuration = 3600;

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void die(const char* fmt, const char* arg = "") {
  std::fprintf(stderr, "policy_load: ");
  std::fprintf(stderr, fmt, arg);
  std::fprintf(stderr, "\n");
  std::exit(2);
}

struct Options {
  std::string connect;  // tcp:HOST:PORT, inet:HOST:PORT or unix:PATH
  int connections = 20;
  double duration = 5;
  double warmup = 0.5;
  double drain = 5;
  uint64_t requests = 5'000'000;
  double rate = 0;  // 0 = closed loop
  uint64_t accounts = 1000;
  std::string user_prefix = "acct";
  int user_width = 6;
  int rcpts_per_tx = 5;
  double suppressed_ratio = 0;    // share of recipients taken from the suppressed set
  uint64_t suppressed_count = 0;  // the suppressed set: sup<N>@suppressed.example, N < count
  std::string suppressed_user;    // only transactions of this account use it ("" = all)
  unsigned seed = 1;
  bool json = false;
  std::string label;
};

void usage() {
  std::printf(
      "usage: policy_load --connect tcp:HOST:PORT|unix:PATH [options]\n"
      "  --connections N       persistent connections (default 20)\n"
      "  --duration S          seconds of load, including warm-up (default 5)\n"
      "  --warmup S            seconds at the start not measured (default 0.5)\n"
      "  --requests N          at most N requests in all (default 5000000)\n"
      "  --rate R              open loop: R requests/s in total (default: closed loop)\n"
      "  --drain S             at most S seconds waiting for late replies (default 5)\n"
      "  --accounts N          accounts USER_PREFIX + zero-padded index, 0..N-1 (default 1000)\n"
      "  --user-prefix P       (default acct)   --user-width W (default 6)\n"
      "  --rcpts-per-tx N      recipients per transaction/instance (default 5)\n"
      "  --suppressed-ratio F  share of recipients from the suppressed set (default 0)\n"
      "  --suppressed-count N  the set is sup<i>@suppressed.example, i < N\n"
      "  --suppressed-user U   only this account's transactions draw from the set\n"
      "  --seed N --label TEXT --json\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("%s needs a value", a.c_str());
      return argv[++i];
    };
    if (a == "--connect")
      o.connect = next();
    else if (a == "--connections")
      o.connections = std::atoi(next().c_str());
    else if (a == "--duration")
      o.duration = std::atof(next().c_str());
    else if (a == "--warmup")
      o.warmup = std::atof(next().c_str());
    else if (a == "--drain")
      o.drain = std::atof(next().c_str());
    else if (a == "--requests")
      o.requests = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--rate")
      o.rate = std::atof(next().c_str());
    else if (a == "--accounts")
      o.accounts = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--user-prefix")
      o.user_prefix = next();
    else if (a == "--user-width")
      o.user_width = std::atoi(next().c_str());
    else if (a == "--rcpts-per-tx")
      o.rcpts_per_tx = std::atoi(next().c_str());
    else if (a == "--suppressed-ratio")
      o.suppressed_ratio = std::atof(next().c_str());
    else if (a == "--suppressed-count")
      o.suppressed_count = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--suppressed-user")
      o.suppressed_user = next();
    else if (a == "--seed")
      o.seed = static_cast<unsigned>(std::atoi(next().c_str()));
    else if (a == "--label")
      o.label = next();
    else if (a == "--json")
      o.json = true;
    else if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else
      die("unknown option %s (see --help)", a.c_str());
  }
  if (o.connect.empty()) die("--connect is required");
  if (o.connections < 1 || static_cast<size_t>(o.connections) > kMaxConnections)
    die("--connections must be 1..2000");
  if (!(o.duration > 0) || o.duration > kMaxDuration) die("--duration must be in (0, 3600]");
  if (o.warmup < 0 || o.warmup >= o.duration) die("--warmup must be in [0, duration)");
  if (o.drain < 0 || o.drain > 60) die("--drain must be in [0, 60]");
  if (o.requests == 0 || o.requests > kMaxRequestsCap) die("--requests must be 1..50000000");
  if (o.rate < 0) die("--rate must be >= 0");
  if (o.accounts == 0) die("--accounts must be > 0");
  if (o.rcpts_per_tx < 1) die("--rcpts-per-tx must be >= 1");
  return o;
}

int open_socket(const std::string& spec) {
  int fd = -1;
  if (spec.rfind("unix:", 0) == 0) {
    std::string path = spec.substr(5);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) die("unix socket path too long: %s", path.c_str());
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      die("cannot connect to %s", spec.c_str());
  } else {
    std::string rest;
    if (spec.rfind("tcp:", 0) == 0)
      rest = spec.substr(4);
    else if (spec.rfind("inet:", 0) == 0)
      rest = spec.substr(5);
    else
      rest = spec;
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) die("expected HOST:PORT in %s", spec.c_str());
    std::string host = rest.substr(0, colon);
    int port = std::atoi(rest.c_str() + colon + 1);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)
      die("not an IPv4 address: %s", host.c_str());
    // Loopback only: this tool must never load a machine other than the one it runs on.
    if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127)
      die("refusing a non-loopback target: %s", host.c_str());
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      die("cannot connect to %s", spec.c_str());
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return fd;
}

struct Conn {
  int fd = -1;
  int id = 0;
  bool alive = true;
  bool busy = false;     // a request is in flight
  double started = 0;    // when the in-flight request was due (open) or sent (closed)
  std::string out;       // bytes not yet written
  std::string in;        // bytes not yet parsed
  uint64_t tx = 0;       // transactions started on this connection
  int rcpt_in_tx = 0;    // recipients sent in the current transaction
  uint64_t account = 0;  // account of the current transaction
  unsigned client_port = 0;
};

class Generator {
 public:
  explicit Generator(const Options& o) : o_(o), rng_(o.seed) {}

  void run();
  void report(FILE* f) const;

 private:
  std::string username(uint64_t i) const {
    char num[32];
    std::snprintf(num, sizeof num, "%0*" PRIu64, o_.user_width, i);
    return o_.user_prefix + num;
  }
  void build_request(Conn& c, std::string& out);
  void send_request(Conn& c, double started);
  void flush(Conn& c);
  void on_readable(Conn& c);
  void on_reply(Conn& c, const std::string& reply);
  void close_conn(Conn& c, bool error);
  bool may_send(double t) const { return t < stop_at_ && sent_ < o_.requests; }

  const Options& o_;
  std::mt19937_64 rng_;
  std::vector<Conn> conns_;
  int ep_ = -1;
  double t0_ = 0, measure_from_ = 0, stop_at_ = 0, last_reply_ = 0;
  uint64_t sent_ = 0, replies_ = 0, measured_ = 0, errors_ = 0, closed_ = 0;
  uint64_t seq_ = 0;
  std::vector<uint32_t> lat_ns_;  // latency of measured requests, ns (capped at ~4.29 s)
  double lat_max_ = 0;
  std::map<std::string, uint64_t> actions_;
  std::deque<double> backlog_;  // open loop: due times waiting for an idle connection
  std::vector<int> idle_;       // open loop: idle connection indexes
  uint64_t due_issued_ = 0;     // open loop: requests that became due so far
  uint64_t backlog_peak_ = 0;
  double measured_until_ = 0;
};

void Generator::build_request(Conn& c, std::string& out) {
  if (c.rcpt_in_tx == 0) {
    c.account = rng_() % o_.accounts;
    ++c.tx;
    c.client_port = 1024 + static_cast<unsigned>(rng_() % 60000);
  }
  std::string user = username(c.account);
  char recipient[128];
  uint64_t s = ++seq_;
  bool from_suppressed = o_.suppressed_count > 0 && o_.suppressed_ratio > 0 &&
                         (o_.suppressed_user.empty() || o_.suppressed_user == user) &&
                         std::uniform_real_distribution<double>(0, 1)(rng_) < o_.suppressed_ratio;
  if (from_suppressed)
    std::snprintf(recipient, sizeof recipient, "sup%" PRIu64 "@suppressed.example",
                  rng_() % o_.suppressed_count);
  else
    std::snprintf(recipient, sizeof recipient, "r%" PRIu64 "@d%" PRIu64 ".example.org", s, s % 997);
  // The account's client address (192.0.2.0/24 + 198.51.100.0/24 ... spread by index).
  char client[64];
  std::snprintf(client, sizeof client, "10.%" PRIu64 ".%" PRIu64 ".%" PRIu64,
                (c.account >> 16) & 255, (c.account >> 8) & 255, c.account & 255);
  char instance[64];
  std::snprintf(instance, sizeof instance, "%x.%" PRIx64 ".%x.%" PRIx64,
                static_cast<unsigned>(0x1000 + c.id), static_cast<uint64_t>(t0_ * 1000) & 0xffffff,
                static_cast<unsigned>(getpid()), c.tx);
  out.clear();
  out.reserve(900);
  out += "request=smtpd_access_policy\n";
  out += "protocol_state=RCPT\n";
  out += "protocol_name=ESMTP\n";
  out += "helo_name=app-";
  out += user;
  out += ".customer.example\n";
  out += "queue_id=\n";
  out += "sender=app@";
  out += user;
  out += ".customer.example\n";
  out += "recipient=";
  out += recipient;
  out += "\n";
  out += "recipient_count=0\n";
  out += "client_address=";
  out += client;
  out += "\n";
  out += "client_name=unknown\n";
  out += "reverse_client_name=unknown\n";
  out += "instance=";
  out += instance;
  out += "\n";
  out += "sasl_method=PLAIN\n";
  out += "sasl_username=";
  out += user;
  out += "\n";
  out += "sasl_sender=\n";
  out += "size=4096\n";
  out += "ccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n";
  out += "encryption_protocol=\nencryption_cipher=\nencryption_keysize=0\n";
  out += "etrn_domain=\nstress=\n";
  out += "client_port=";
  out += std::to_string(c.client_port);
  out += "\n";
  out += "policy_context=\n";
  out += "server_address=127.0.0.1\nserver_port=25\n";
  out += "\n";
  if (++c.rcpt_in_tx >= o_.rcpts_per_tx) c.rcpt_in_tx = 0;
}

void Generator::flush(Conn& c) {
  while (!c.out.empty()) {
    ssize_t n = ::write(c.fd, c.out.data(), c.out.size());
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.u32 = static_cast<uint32_t>(c.id);
      epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
      return;
    } else {
      close_conn(c, true);
      return;
    }
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = static_cast<uint32_t>(c.id);
  epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
}

void Generator::send_request(Conn& c, double started) {
  std::string req;
  build_request(c, req);
  c.out += req;
  c.busy = true;
  c.started = started;
  ++sent_;
  flush(c);
}

void Generator::close_conn(Conn& c, bool error) {
  if (!c.alive) return;
  c.alive = false;
  if (error) ++errors_;
  ++closed_;
  epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  c.fd = -1;
}

void Generator::on_reply(Conn& c, const std::string& reply) {
  double t = now_s();
  c.busy = false;
  ++replies_;
  last_reply_ = t;
  // "action=WORD rest": count by the first word (DUNNO, OK, REJECT, DEFER, 450, 550, ...).
  std::string action = reply.rfind("action=", 0) == 0 ? reply.substr(7) : "(no action) " + reply;
  size_t sp = action.find_first_of(" \n");
  std::string word = action.substr(0, sp);
  if (actions_.size() < 50 || actions_.count(word)) ++actions_[word];
  if (c.started >= measure_from_ && c.started < stop_at_) {
    double lat = t - c.started;
    lat_max_ = std::max(lat_max_, lat);
    double ns = lat * 1e9;
    lat_ns_.push_back(ns >= 4.29e9 ? 4'290'000'000u : static_cast<uint32_t>(ns));
    ++measured_;
    measured_until_ = t;
  }
  if (o_.rate <= 0) {
    if (may_send(t)) send_request(c, t);
  } else if (!backlog_.empty() && may_send(t)) {
    double due = backlog_.front();
    backlog_.pop_front();
    send_request(c, due);
  } else {
    idle_.push_back(c.id);
  }
}

void Generator::on_readable(Conn& c) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.size() > (1u << 20)) {  // a reply never ends: not a policy server
        close_conn(c, true);
        return;
      }
      continue;
    }
    if (n == 0) {
      close_conn(c, c.busy);
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close_conn(c, true);
    break;
  }
  for (;;) {
    size_t end = c.in.find("\n\n");
    if (end == std::string::npos) break;
    std::string reply = c.in.substr(0, end);
    c.in.erase(0, end + 2);
    if (!c.busy) {  // a reply nobody asked for
      ++errors_;
      continue;
    }
    on_reply(c, reply);
  }
}

void Generator::run() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) die("epoll_create1 failed");
  lat_ns_.reserve(static_cast<size_t>(std::min<uint64_t>(o_.requests, 20'000'000)));
  conns_.resize(static_cast<size_t>(o_.connections));
  for (int i = 0; i < o_.connections; ++i) {
    Conn& c = conns_[static_cast<size_t>(i)];
    c.id = i;
    c.fd = open_socket(o_.connect);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) die("epoll_ctl failed");
  }
  t0_ = now_s();
  measure_from_ = t0_ + o_.warmup;
  stop_at_ = t0_ + o_.duration;
  if (o_.rate <= 0) {
    for (auto& c : conns_)
      send_request(c, t0_);
  } else {
    for (auto& c : conns_)
      idle_.push_back(c.id);
  }
  epoll_event events[256];
  const double hard_end = stop_at_ + o_.drain;
  for (;;) {
    double t = now_s();
    if (o_.rate > 0 && may_send(t)) {
      // Every request due by now is issued: on an idle connection, else it waits.
      uint64_t due =
          std::min<uint64_t>(static_cast<uint64_t>((t - t0_) * o_.rate) + 1, o_.requests);
      while (due_issued_ < due && sent_ + backlog_.size() < o_.requests) {
        double due_at = t0_ + static_cast<double>(due_issued_) / o_.rate;
        ++due_issued_;
        int idx = -1;
        while (!idle_.empty()) {
          int cand = idle_.back();
          idle_.pop_back();
          if (conns_[static_cast<size_t>(cand)].alive) {
            idx = cand;
            break;
          }
        }
        if (idx >= 0)
          send_request(conns_[static_cast<size_t>(idx)], due_at);
        else
          backlog_.push_back(due_at);
      }
      backlog_peak_ = std::max<uint64_t>(backlog_peak_, backlog_.size());
    }
    bool any_busy = false, any_alive = false;
    for (const auto& c : conns_) {
      any_busy |= c.alive && c.busy;
      any_alive |= c.alive;
    }
    if (!any_alive) break;
    if (!may_send(t) && !any_busy) break;
    if (t >= hard_end) break;
    // Sleep until the next due request (open loop) with a nanosecond timeout, so a high
    // rate does not turn this loop into a busy spin that steals the server's CPU.
    double wait_s = 0.05;
    if (o_.rate > 0 && may_send(t)) {
      double next_due = t0_ + static_cast<double>(due_issued_) / o_.rate;
      wait_s = std::clamp(next_due - t, 0.0, 0.05);
    }
    timespec ts;
    ts.tv_sec = 0;
    ts.tv_nsec = static_cast<long>(wait_s * 1e9);
    int n = epoll_pwait2(ep_, events, 256, &ts, nullptr);
    if (n < 0 && errno != EINTR) die("epoll_wait failed");
    for (int i = 0; i < n; ++i) {
      Conn& c = conns_[events[i].data.u32];
      if (!c.alive) continue;
      if (events[i].events & EPOLLOUT) flush(c);
      if (!c.alive) continue;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
    }
  }
  for (auto& c : conns_) {
    if (c.alive) {
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
      c.fd = -1;
    }
  }
  ::close(ep_);
}

void Generator::report(FILE* f) const {
  std::vector<uint32_t> v = lat_ns_;
  auto pct = [&](double p) -> double {
    if (v.empty()) return 0;
    size_t k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    k = k == 0 ? 0 : k - 1;
    k = std::min(k, v.size() - 1);
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k] / 1e3;  // µs
  };
  double p50 = pct(50), p90 = pct(90), p99 = pct(99), p999 = pct(99.9);
  double window = std::max(1e-9, std::min(measured_until_, stop_at_ + o_.drain) - measure_from_);
  double rps = static_cast<double>(measured_) / window;
  uint64_t outstanding = 0;
  for (const auto& c : conns_)
    outstanding += c.busy ? 1 : 0;
  if (o_.json) {
    std::fprintf(f,
                 "{\"label\": \"%s\", \"mode\": \"%s\", \"connections\": %d, \"rate\": %.1f, "
                 "\"duration_s\": %.3f, \"warmup_s\": %.3f, \"sent\": %" PRIu64
                 ", \"replies\": %" PRIu64 ", \"measured\": %" PRIu64
                 ", \"window_s\": %.4f, \"rps\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, "
                 "\"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, \"errors\": %" PRIu64
                 ", \"closed\": %" PRIu64 ", \"outstanding\": %" PRIu64
                 ", \"backlog_peak\": %" PRIu64 ", \"backlog_unsent\": %zu, \"actions\": {",
                 o_.label.c_str(), o_.rate > 0 ? "open" : "closed", o_.connections, o_.rate,
                 o_.duration, o_.warmup, sent_, replies_, measured_, window, rps, p50, p90, p99,
                 p999, lat_max_ * 1e6, errors_, closed_, outstanding, backlog_peak_,
                 backlog_.size());
    bool first = true;
    for (const auto& [k, n] : actions_) {
      std::string key;
      for (char ch : k) {
        if (ch == '"' || ch == '\\') key.push_back('\\');
        if (static_cast<unsigned char>(ch) >= 0x20) key.push_back(ch);
      }
      std::fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", key.c_str(), n);
      first = false;
    }
    std::fprintf(f, "}}\n");
  } else {
    std::fprintf(
        f,
        "%s%s %d conn%s: %.0f req/s  p50 %.1f us  p90 %.1f us  p99 %.1f us  "
        "p99.9 %.1f us  max %.1f us  (%" PRIu64 " measured, %" PRIu64 " errors, %" PRIu64
        " outstanding)\n",
        o_.label.empty() ? "" : (o_.label + ": ").c_str(), o_.rate > 0 ? "open" : "closed",
        o_.connections,
        o_.rate > 0 ? (" @" + std::to_string(static_cast<long>(o_.rate)) + "/s").c_str() : "", rps,
        p50, p90, p99, p999, lat_max_ * 1e6, measured_, errors_, outstanding);
    for (const auto& [k, n] : actions_)
      std::fprintf(f, "  action %s: %" PRIu64 "\n", k.c_str(), n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  Generator g(o);
  g.run();
  g.report(stdout);
  return 0;
}
