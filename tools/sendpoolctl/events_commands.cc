// sendpoolctl events import FILE: opens, clicks and web unsubscribes from a tracking system.
//
// FILE ("-" for stdin) holds JSON lines:
//   {"id":"…","account":"…","recipient":"…","type":"open|click|unsubscribe",
//    "time":"2026-12-04T10:00:00Z"}
// Each line is checked on its own; a bad one is reported as "FILE:LINE: problem" on stderr and
// skipped, the good ones are applied (core/store/events.h) in batches, each batch one
// transaction that also recomputes the touched accounts' reputation (standing.h). Ids already
// applied are skipped, so importing a file again applies nothing twice. Exit 0 when every
// line was good, 1 when some were bad (the good ones still count).
// Security: the file comes from another system; lines are bounded (kMaxEventLineLength) and
// every field is validated before anything is written.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>

#include "core/base/civil_time.h"
#include "core/proto/address.h"
#include "core/store/events.h"
#include "core/store/standing.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

constexpr size_t kMaxEventLineLength = 64 * 1024;
constexpr size_t kEventBatch = 1000;       // events per write transaction
constexpr size_t kMaxProblemsKept = 1000;  // problems (and reputation notes) listed

struct NumberedEvent {
  size_t line = 0;
  EngagementEvent event;
};

struct Problem {
  size_t line = 0;
  std::string text;
};

struct ImportSummary {
  size_t lines = 0;
  size_t applied = 0;
  size_t duplicates = 0;
  size_t bad = 0;
  std::vector<Problem> problems;
  std::vector<std::string> reputation_changes;  // standing.h summaries of changed accounts
};

// "2026-12-04T10:00:00Z", also with fractional seconds ("…:00.123Z"), which are dropped.
std::optional<TimePoint> event_time(std::string text) {
  size_t dot = text.find('.');
  if (dot != std::string::npos && !text.empty() && text.back() == 'Z') {
    std::string_view fraction(text.data() + dot + 1, text.size() - dot - 2);
    if (fraction.empty() || fraction.size() > 9 ||
        fraction.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    text = text.substr(0, dot) + "Z";
  }
  return parse_timestamp(text);
}

Result<std::string> string_field(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end())
    return make_error(ErrorCode::kInvalidArgument, fmt::format("\"{}\" is missing", name));
  if (!it->is_string())
    return make_error(ErrorCode::kInvalidArgument, fmt::format("\"{}\" must be a string", name));
  return it->get<std::string>();
}

Result<EngagementEvent> parse_event_line(std::string_view line) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's message names the byte position; the id prefix ("[json.exception…]") is noise.
    // Its "line 1" would be confusing next to our own line numbers: one line is one document.
    std::string what = e.what();
    size_t close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    if (size_t at = what.find("at line 1, column "); at != std::string::npos)
      what.replace(at, 18, "at column ");
    return make_error(ErrorCode::kInvalidArgument, "invalid JSON: " + what);
  }
  if (!j.is_object()) return make_error(ErrorCode::kInvalidArgument, "not a JSON object");
  EngagementEvent e;
  SENDPOOL_ASSIGN_OR_RETURN(e.id, string_field(j, "id"));
  SENDPOOL_TRY(validate_event_id(e.id));
  SENDPOOL_ASSIGN_OR_RETURN(e.account, string_field(j, "account"));
  if (e.account.empty()) return make_error(ErrorCode::kInvalidArgument, "\"account\" is empty");
  SENDPOOL_ASSIGN_OR_RETURN(std::string recipient, string_field(j, "recipient"));
  auto normalized = normalize_address(recipient);
  if (!normalized)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("\"recipient\": {}", normalized.error().message));
  e.recipient = *normalized;
  SENDPOOL_ASSIGN_OR_RETURN(std::string type, string_field(j, "type"));
  auto t = parse_engagement_type(type);
  if (!t)
    return make_error(ErrorCode::kInvalidArgument, "\"type\" must be open, click or unsubscribe");
  e.type = *t;
  SENDPOOL_ASSIGN_OR_RETURN(std::string time, string_field(j, "time"));
  auto when = event_time(time);
  if (!when)
    return make_error(ErrorCode::kInvalidArgument,
                      "\"time\" must be a UTC time as YYYY-MM-DDTHH:MM:SSZ");
  e.time = *when;
  return e;
}

class Importer {
 public:
  Importer(Context& ctx, std::string name) : ctx_(ctx), name_(std::move(name)) {}

  // Problems are reported per batch in line order (unknown accounts are only found when the
  // batch is applied, after the syntax problems of later lines).
  void bad(size_t line, std::string text) { batch_problems_.push_back({line, std::move(text)}); }

  void report_problems() {
    std::stable_sort(batch_problems_.begin(), batch_problems_.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
    for (auto& p : batch_problems_) {
      ++summary_.bad;
      ctx_.err() << fmt::format("{}:{}: {}\n", name_, p.line, p.text);
      if (summary_.problems.size() < kMaxProblemsKept) summary_.problems.push_back(std::move(p));
    }
    batch_problems_.clear();
  }

  // Applies the pending events in one transaction, then reports the batch's problems.
  Status flush(LmdbEnv& env) {
    if (pending_.empty()) {
      report_problems();
      return ok_status();
    }
    std::vector<std::pair<size_t, EventOutcome>> outcomes;
    std::vector<std::string> notes;
    TimePoint now = ctx_.clock().now();
    SENDPOOL_TRY(env.write([&](WriteTxn& txn) -> Status {
      outcomes.clear();  // the function may run again after a map resize
      notes.clear();
      std::set<std::string> touched;
      for (const auto& p : pending_) {
        SENDPOOL_ASSIGN_OR_RETURN(EventOutcome o, apply_engagement_event(txn, p.event, now));
        outcomes.emplace_back(p.line, o);
        if (o == EventOutcome::kApplied) touched.insert(p.event.account);
      }
      // Reputation follows the counters in the same transaction (standing.h).
      for (const auto& username : touched) {
        SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account(txn, username));
        if (!account) continue;
        SENDPOOL_ASSIGN_OR_RETURN(StandingChange change, recompute_standing(txn, account->id, now));
        if (change.changed()) notes.push_back(change.summary());
      }
      return ok_status();
    }));
    for (auto& n : notes)
      if (summary_.reputation_changes.size() < kMaxProblemsKept)
        summary_.reputation_changes.push_back(std::move(n));
    for (size_t i = 0; i < outcomes.size(); ++i) {
      switch (outcomes[i].second) {
        case EventOutcome::kApplied:
          ++summary_.applied;
          break;
        case EventOutcome::kDuplicate:
          ++summary_.duplicates;
          break;
        case EventOutcome::kUnknownAccount:
          bad(outcomes[i].first, fmt::format("no account named {}", pending_[i].event.account));
          break;
      }
    }
    pending_.clear();
    report_problems();
    return ok_status();
  }

  Status take_line(size_t number, std::string& line, bool too_long, LmdbEnv& env) {
    ++summary_.lines;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (too_long || line.size() > kMaxEventLineLength) {
      bad(number, fmt::format("a line longer than {} bytes", kMaxEventLineLength));
      return ok_status();
    }
    if (line.find_first_not_of(" \t") == std::string::npos) return ok_status();
    auto event = parse_event_line(line);
    if (!event) {
      bad(number, event.error().message);
      return ok_status();
    }
    pending_.push_back({number, std::move(event).value()});
    if (pending_.size() >= kEventBatch || batch_problems_.size() >= kEventBatch) return flush(env);
    return ok_status();
  }

  Status run(std::istream& in, LmdbEnv& env) {
    std::string line;
    size_t number = 0;
    bool too_long = false;
    std::streambuf* buf = in.rdbuf();
    // Reads byte by byte so that a line is never held beyond kMaxEventLineLength bytes.
    for (int c = buf->sbumpc();; c = buf->sbumpc()) {
      bool end = c == std::char_traits<char>::eof();
      if (!end && c != '\n') {
        if (line.size() <= kMaxEventLineLength)
          line.push_back(static_cast<char>(c));
        else
          too_long = true;
        continue;
      }
      if (end && line.empty() && !too_long) break;
      ++number;
      SENDPOOL_TRY(take_line(number, line, too_long, env));
      line.clear();
      too_long = false;
      if (end) break;
    }
    return flush(env);
  }

  const ImportSummary& summary() const { return summary_; }

 private:
  Context& ctx_;
  std::string name_;
  std::vector<NumberedEvent> pending_;
  std::vector<Problem> batch_problems_;
  ImportSummary summary_;
};

int events_import(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("file", po::value<std::string>()->required(), "JSON lines file, - for stdin");
  Options vm = parse_args(args, desc, {"file"});
  std::string file = vm["file"].as<std::string>();
  std::ifstream stream;
  std::istream* in = &std::cin;
  if (file != "-") {
    stream.open(file, std::ios::binary);
    if (!stream)
      return ctx.fail(make_error(ErrorCode::kNotFound, fmt::format("cannot read {}", file)));
    in = &stream;
  }
  auto env = ctx.store(false);
  if (!env) return ctx.fail(env.error());
  std::string name = file == "-" ? "stdin" : file;
  Importer importer(ctx, name);
  Status s = importer.run(*in, **env);
  importer.report_problems();  // any left by a failed batch
  const ImportSummary& sum = importer.summary();
  if (ctx.json()) {
    Json problems = Json::array();
    for (const auto& p : sum.problems)
      problems.push_back(Json{{"line", p.line}, {"problem", p.text}});
    print_json(ctx.out(), Json{{"file", name},
                               {"lines", sum.lines},
                               {"applied", sum.applied},
                               {"duplicates", sum.duplicates},
                               {"bad", sum.bad},
                               {"complete", s.has_value()},
                               {"problems", problems},
                               {"reputation_changes", sum.reputation_changes}});
  } else {
    ctx.out() << fmt::format("{}: {} event{} applied, {} already imported, {} bad line{}\n", name,
                             sum.applied, sum.applied == 1 ? "" : "s", sum.duplicates, sum.bad,
                             sum.bad == 1 ? "" : "s");
    for (const auto& note : sum.reputation_changes)
      ctx.out() << note << "\n";
  }
  if (!s) {
    ctx.err() << fmt::format(
        "sendpoolctl: {} (events applied so far stay; importing the file again is safe)\n",
        s.error().message);
    return kExitRefused;
  }
  return sum.bad == 0 ? kExitOk : kExitRefused;
}

}  // namespace

std::vector<Command> events_commands() {
  return {{"events", "import", events_import, "events import FILE"}};
}

}  // namespace sendpool::ctl
