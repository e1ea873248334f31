#include "core/model/reputation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sendpool {
namespace {

// Badness (fraction of the weight lost) at the band edges; 0 at a perfect rate and 1 at the
// extreme one, linear in between.
constexpr double kGoodEdgeBadness = 0.15;
constexpr double kCriticalEdgeBadness = 0.40;

constexpr std::array<FactorRule, 4> kRules{{
    {ReputationFactor::kBounce, 100, false, 0.005, 0.01, false, 0.10},
    {ReputationFactor::kComplaint, 100, false, 0.001, 0.003, true, 0.005},
    {ReputationFactor::kUnsubscribe, 40, false, 0.003, 0.01, true, 0.05},
    {ReputationFactor::kEngagement, 30, true, 0.10, 0.03, false, 0.20},
}};

double ratio(uint64_t part, uint64_t whole) {
  if (whole == 0) return 0;
  return std::min(1.0, static_cast<double>(part) / static_cast<double>(whole));
}

// Linear interpolation of y over [x0, x1] (x0 != x1).
double lerp(double x, double x0, double y0, double x1, double y1) {
  return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

double badness(const FactorRule& r, double rate) {
  if (r.higher_is_better) {
    if (rate >= r.extreme) return 0;
    if (rate >= r.good_edge) return lerp(rate, r.extreme, 0, r.good_edge, kGoodEdgeBadness);
    if (rate >= r.critical_edge)
      return lerp(rate, r.good_edge, kGoodEdgeBadness, r.critical_edge, kCriticalEdgeBadness);
    return lerp(std::max(rate, 0.0), r.critical_edge, kCriticalEdgeBadness, 0, 1);
  }
  if (rate <= 0) return 0;
  if (rate < r.good_edge) return lerp(rate, 0, 0, r.good_edge, kGoodEdgeBadness);
  if (rate < r.critical_edge)
    return lerp(rate, r.good_edge, kGoodEdgeBadness, r.critical_edge, kCriticalEdgeBadness);
  if (rate < r.extreme) return lerp(rate, r.critical_edge, kCriticalEdgeBadness, r.extreme, 1);
  return 1;
}

double rate_of(const Reputation& r, ReputationFactor f) {
  switch (f) {
    case ReputationFactor::kBounce:
      return r.bounce_rate;
    case ReputationFactor::kComplaint:
      return r.complaint_rate;
    case ReputationFactor::kUnsubscribe:
      return r.unsubscribe_rate;
    case ReputationFactor::kEngagement:
      return r.engagement_rate;
  }
  return 0;
}

// Factors, score rounding and driver shared by assess_reputation and explain_reputation.
// Engagement 0 means nothing was fed in (opens + clicks == 0): no data, no cost.
ReputationAssessment judge(const Reputation& rates, uint64_t volume,
                           const ReputationSettings& settings) {
  ReputationAssessment a;
  a.reputation = rates;
  a.volume = volume;
  a.scored = volume >= settings.min_volume;
  double lost = 0;
  for (size_t i = 0; i < kReputationFactors.size(); ++i) {
    ReputationFactor f = kReputationFactors[i];
    FactorScore& s = a.factors[i];
    s.factor = f;
    s.rate = rate_of(rates, f);
    if (f == ReputationFactor::kEngagement && s.rate <= 0) {
      s.band = Band::kNoData;
      continue;
    }
    s.band = band_of(f, s.rate);
    s.points_lost = points_lost(f, s.rate);
    lost += s.points_lost;
  }
  a.reputation.score =
      a.scored ? std::round(std::clamp(100 - lost, 0.0, 100.0) * 10) / 10 : settings.neutral_score;
  if (a.scored) {
    const FactorScore* worst = nullptr;
    for (const auto& s : a.factors)
      if (s.points_lost > 0 && (!worst || s.points_lost > worst->points_lost)) worst = &s;
    if (worst) a.driver = worst->factor;
  }
  return a;
}

// Pools of `category` ordered best first: min_score descending, then name.
std::vector<Pool> ranked(const std::vector<Pool>& pools, AccountType category) {
  std::vector<Pool> out;
  for (const auto& p : pools)
    if (p.category == category) out.push_back(p);
  std::sort(out.begin(), out.end(), [](const Pool& a, const Pool& b) {
    if (a.min_score != b.min_score) return a.min_score > b.min_score;
    return a.name < b.name;
  });
  return out;
}

}  // namespace

std::string_view to_string(ReputationFactor v) {
  switch (v) {
    case ReputationFactor::kBounce:
      return "bounce rate";
    case ReputationFactor::kComplaint:
      return "complaint rate";
    case ReputationFactor::kUnsubscribe:
      return "unsubscribe rate";
    case ReputationFactor::kEngagement:
      return "engagement rate";
  }
  return "?";
}

std::string_view factor_key(ReputationFactor v) {
  switch (v) {
    case ReputationFactor::kBounce:
      return "bounce";
    case ReputationFactor::kComplaint:
      return "complaint";
    case ReputationFactor::kUnsubscribe:
      return "unsubscribe";
    case ReputationFactor::kEngagement:
      return "engagement";
  }
  return "?";
}

std::string_view to_string(Band v) {
  switch (v) {
    case Band::kGood:
      return "good";
    case Band::kWatch:
      return "watch";
    case Band::kCritical:
      return "critical";
    case Band::kNoData:
      return "no-data";
  }
  return "?";
}

std::string_view to_string(StandingEventKind v) {
  return v == StandingEventKind::kPause ? "pause" : "pool-move";
}

const FactorRule& factor_rule(ReputationFactor factor) {
  return kRules[static_cast<size_t>(factor)];
}

Band band_of(ReputationFactor factor, double rate) {
  const FactorRule& r = factor_rule(factor);
  if (r.higher_is_better) {
    if (rate >= r.good_edge) return Band::kGood;
    return rate < r.critical_edge ? Band::kCritical : Band::kWatch;
  }
  if (rate < r.good_edge) return Band::kGood;
  bool critical = r.critical_inclusive ? rate >= r.critical_edge : rate > r.critical_edge;
  return critical ? Band::kCritical : Band::kWatch;
}

double points_lost(ReputationFactor factor, double rate) {
  const FactorRule& r = factor_rule(factor);
  return r.weight * badness(r, rate);
}

Reputation reputation_rates(const DayCounters& window) {
  Reputation r;
  r.bounce_rate = ratio(window.bounced, window.delivered + window.bounced);
  r.complaint_rate = ratio(window.complaints, window.delivered);
  r.unsubscribe_rate = ratio(window.unsubscribes, window.delivered);
  r.engagement_rate = ratio(window.opens + window.clicks, window.delivered);
  return r;
}

ReputationAssessment assess_reputation(const DayCounters& window, TimePoint now,
                                       const ReputationSettings& settings) {
  Reputation rates = reputation_rates(window);
  rates.computed = now;
  return judge(rates, window.delivered + window.bounced, settings);
}

ReputationAssessment explain_reputation(const Reputation& stored, uint64_t volume,
                                        const ReputationSettings& settings) {
  ReputationAssessment a = judge(stored, volume, settings);
  a.reputation.score = stored.score;  // what the pool was chosen from, even if stale
  return a;
}

std::string format_rate(ReputationFactor factor, double rate) {
  if (factor == ReputationFactor::kComplaint) return fmt::format("{:.3f}%", 100 * rate);
  return fmt::format("{:.2f}%", 100 * rate);
}

std::string describe_factor(const FactorScore& f) {
  if (f.band == Band::kNoData)
    return fmt::format("{}: no data (no opens or clicks fed in)", to_string(f.factor));
  return fmt::format("{} {} ({}, -{:.1f} points)", to_string(f.factor),
                     format_rate(f.factor, f.rate), to_string(f.band), f.points_lost);
}

std::optional<GuardrailTrip> check_guardrails(const DayCounters& window,
                                              const ReputationSettings& settings) {
  uint64_t volume = window.delivered + window.bounced;
  if (volume < settings.min_volume) return std::nullopt;
  Reputation rates = reputation_rates(window);
  if (rates.bounce_rate >= kPauseBounceRate)
    return GuardrailTrip{ReputationFactor::kBounce, rates.bounce_rate, kPauseBounceRate, volume};
  if (rates.complaint_rate >= kPauseComplaintRate && window.complaints >= kPauseMinComplaints)
    return GuardrailTrip{ReputationFactor::kComplaint, rates.complaint_rate, kPauseComplaintRate,
                         volume};
  return std::nullopt;
}

std::string describe(const GuardrailTrip& trip) {
  return fmt::format("{} {} reached the {} pause limit ({} delivered+bounced)",
                     to_string(trip.factor), format_rate(trip.factor, trip.rate),
                     format_rate(trip.factor, trip.limit), trip.volume);
}

std::optional<PoolChoice> choose_pool(const std::vector<Pool>& pools, AccountType category,
                                      double score) {
  std::vector<Pool> order = ranked(pools, category);
  if (order.empty()) return std::nullopt;
  PoolChoice choice;
  auto reached =
      std::find_if(order.begin(), order.end(), [&](const Pool& p) { return score >= p.min_score; });
  if (reached == order.end()) {
    // The lowest threshold; among equal ones the first by name, as everywhere else.
    uint32_t lowest = order.back().min_score;
    reached = std::find_if(order.begin(), order.end(),
                           [&](const Pool& p) { return p.min_score == lowest; });
    choice.reached = false;
  }
  choice.pool = *reached;
  // The next better pool: the smallest threshold above the chosen one, first by name.
  for (auto it = order.begin(); it != reached; ++it) {
    if (it->min_score == reached->min_score) break;
    if (!choice.next || it->min_score < choice.next->min_score) choice.next = *it;
  }
  return choice;
}

std::string explain_choice(const PoolChoice& choice, double score) {
  const Pool& p = choice.pool;
  if (!choice.reached)
    return fmt::format("score {:.1f} reaches no {} pool; {} (min {}) is the lowest", score,
                       to_string(p.category), p.name, p.min_score);
  if (choice.next)
    return fmt::format("score {:.1f} reaches {} (min {}) but not {} (min {})", score, p.name,
                       p.min_score, choice.next->name, choice.next->min_score);
  return fmt::format("score {:.1f} reaches {} (min {}), the best {} pool", score, p.name,
                     p.min_score, to_string(p.category));
}

}  // namespace sendpool
