// Account reputation as pure rules: the score and its factors, their bands, the guardrails
// that pause an account, and the choice of a sending pool from the score.
//
// Inputs are message outcome counters summed over a rolling window (ReputationSettings). Each
// factor is a rate; the score is 100 minus the points each factor loses, so every point of the
// score can be explained (docs/reputation.md has the tables and worked examples):
//   bounce rate      = bounced / (delivered + bounced)          weight 100
//   complaint rate   = complaints / delivered                   weight 100
//   unsubscribe rate = unsubscribes / delivered                 weight 40
//   engagement rate  = min(1, (opens + clicks) / delivered)     weight 30
// A factor loses weight x badness points; badness is piecewise linear through 0 (perfect),
// 0.15 (edge of the good band), 0.40 (edge of the critical band) and 1 (the "worst" rate).
// Below the minimum volume the score stays at the neutral new-account value.
// Engagement with no open or click at all in the window is "no data" (tracking may not be fed
// for this account) and costs nothing.
// Thread-safety: pure functions over values.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/entities.h"

namespace sendpool {

enum class ReputationFactor { kBounce, kComplaint, kUnsubscribe, kEngagement };
enum class Band { kGood, kWatch, kCritical, kNoData };

inline constexpr std::array<ReputationFactor, 4> kReputationFactors{
    ReputationFactor::kBounce, ReputationFactor::kComplaint, ReputationFactor::kUnsubscribe,
    ReputationFactor::kEngagement};

// "bounce rate", "complaint rate", "unsubscribe rate", "engagement rate".
std::string_view to_string(ReputationFactor v);
// The JSON key form: "bounce", "complaint", "unsubscribe", "engagement".
std::string_view factor_key(ReputationFactor v);
// "good", "watch", "critical", "no-data".
std::string_view to_string(Band v);

// The tunable frame of the computation (the factor tables themselves are constants).
struct ReputationSettings {
  std::chrono::days window{30};  // counters of the last `window` days, today included
  uint64_t min_volume = 200;     // delivered + bounced in the window before the score moves
  double neutral_score = 70;     // the score of an account below the minimum volume
};

// How one factor is judged. Rates are fractions (0.005 = 0.5 %).
// Lower is better (bounce, complaint, unsubscribe): good below good_edge; critical above
// critical_edge (or at it, when critical_inclusive); watch in between; `extreme` is the rate
// at which the factor costs its whole weight.
// Higher is better (engagement): good at or above good_edge; critical below critical_edge;
// watch in between; `extreme` is the rate from which the factor costs nothing.
struct FactorRule {
  ReputationFactor factor;
  double weight;  // points the factor can cost at most
  bool higher_is_better;
  double good_edge;
  double critical_edge;
  bool critical_inclusive;
  double extreme;
};

const FactorRule& factor_rule(ReputationFactor factor);

// The band of `rate` for `factor` (never kNoData: that is decided from the counters).
Band band_of(ReputationFactor factor, double rate);
// Points `rate` costs for `factor`, 0..weight.
double points_lost(ReputationFactor factor, double rate);

struct FactorScore {
  ReputationFactor factor = ReputationFactor::kBounce;
  double rate = 0;  // 0..1
  Band band = Band::kGood;
  double points_lost = 0;
};

struct ReputationAssessment {
  Reputation reputation;                 // score and rates as stored
  std::array<FactorScore, 4> factors{};  // in kReputationFactors order
  uint64_t volume = 0;                   // delivered + bounced in the window
  bool scored = false;  // false: below the minimum volume, the score is the neutral value
  // The factor that costs the most points (the one to act on); nullopt when none costs any or
  // the account is not scored yet.
  std::optional<ReputationFactor> driver;
};

// The factor rates of window counters, each clamped to 0..1; engagement_rate 0 = no data.
Reputation reputation_rates(const DayCounters& window);

// Scores window counters. The score is rounded to 0.1 so what is shown is what pools compare.
ReputationAssessment assess_reputation(const DayCounters& window, TimePoint now,
                                       const ReputationSettings& settings = {});

// Explains a stored reputation: factors and bands from its rates, its stored score, and
// whether `volume` (delivered + bounced in the current window) reaches the minimum.
ReputationAssessment explain_reputation(const Reputation& stored, uint64_t volume,
                                        const ReputationSettings& settings = {});

// "bounce rate 1.20% (critical, -43.3 points)" / "engagement rate: no data".
std::string describe_factor(const FactorScore& f);
// A rate as an operator reads it: "1.20%" (complaints with three decimals: "0.050%").
std::string format_rate(ReputationFactor factor, double rate);

// --- guardrails -----------------------------------------------------------------------------

inline constexpr double kPauseBounceRate = 0.10;      // bounce rate that pauses an account
inline constexpr double kPauseComplaintRate = 0.005;  // complaint rate that pauses an account
// A complaint rate over a small volume can be one report; pausing needs at least this many.
inline constexpr uint64_t kPauseMinComplaints = 3;

struct GuardrailTrip {
  ReputationFactor factor = ReputationFactor::kBounce;
  double rate = 0;
  double limit = 0;
  uint64_t volume = 0;  // delivered + bounced of the counters judged
};

// The guardrail `window` trips, if any (bounce first): needs the minimum volume.
std::optional<GuardrailTrip> check_guardrails(const DayCounters& window,
                                              const ReputationSettings& settings = {});
// "bounce rate 12.00% reached the 10.00% pause limit (1500 delivered+bounced)".
std::string describe(const GuardrailTrip& trip);

// --- pool choice ----------------------------------------------------------------------------

struct PoolChoice {
  Pool pool;                 // the chosen pool
  bool reached = true;       // false: no pool's minimum is reached; the lowest pool is used
  std::optional<Pool> next;  // the next better pool of the category (what the score misses)
};

// Among `pools` of `category`, the one with the highest min_score that `score` reaches; when
// none is reached, the one with the lowest min_score; nullopt when the category has no pool.
// Equal min_scores are ordered by name, so the choice is stable.
std::optional<PoolChoice> choose_pool(const std::vector<Pool>& pools, AccountType category,
                                      double score);

// "score 62.5 reaches tx-standard (min 50) but not tx-good (min 80)".
std::string explain_choice(const PoolChoice& choice, double score);

// --- history --------------------------------------------------------------------------------

enum class StandingEventKind { kPoolMove, kPause };
std::string_view to_string(StandingEventKind v);  // "pool-move", "pause"

// One entry of an account's standing history: a pool move, or a guardrail pause (then `from`
// and `to` both name the pool the account was in).
struct PoolMove {
  TimePoint time{};
  StandingEventKind kind = StandingEventKind::kPoolMove;
  std::string from;  // empty: no pool
  std::string to;    // empty: no pool (the route falls back to the category's default)
  double score = 0;
  std::string reason;
};

}  // namespace sendpool
