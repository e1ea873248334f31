#include "core/model/reputation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

using F = ReputationFactor;

const TimePoint kNow{std::chrono::seconds{1'714'521'600}};  // 2024-05-01T00:00:00Z

DayCounters counters(uint64_t delivered, uint64_t bounced, uint64_t complaints = 0,
                     uint64_t unsubscribes = 0, uint64_t opens = 0, uint64_t clicks = 0) {
  DayCounters c;
  c.accepted = delivered + bounced;
  c.delivered = delivered;
  c.bounced = bounced;
  c.complaints = complaints;
  c.unsubscribes = unsubscribes;
  c.opens = opens;
  c.clicks = clicks;
  return c;
}

TEST(ReputationTest, BandsFollowTheDocumentedEdges) {
  struct Case {
    F factor;
    double rate;
    Band band;
  };
  const std::vector<Case> cases = {
      // bounce: < 0.5 % good, 0.5-1 % watch, > 1 % critical
      {F::kBounce, 0, Band::kGood},
      {F::kBounce, 0.0049, Band::kGood},
      {F::kBounce, 5.0 / 1000, Band::kWatch},
      {F::kBounce, 10.0 / 1000, Band::kWatch},
      {F::kBounce, 0.0101, Band::kCritical},
      {F::kBounce, 1, Band::kCritical},
      // complaint: < 0.1 % good, 0.1-0.3 % watch, >= 0.3 % critical
      {F::kComplaint, 0.00099, Band::kGood},
      {F::kComplaint, 1.0 / 1000, Band::kWatch},
      {F::kComplaint, 0.0029, Band::kWatch},
      {F::kComplaint, 3.0 / 1000, Band::kCritical},
      // unsubscribe: < 0.3 % good, 0.3-1 % watch, >= 1 % critical
      {F::kUnsubscribe, 0.0029, Band::kGood},
      {F::kUnsubscribe, 3.0 / 1000, Band::kWatch},
      {F::kUnsubscribe, 0.0099, Band::kWatch},
      {F::kUnsubscribe, 10.0 / 1000, Band::kCritical},
      // engagement: >= 10 % good, 3-10 % watch, < 3 % critical
      {F::kEngagement, 1, Band::kGood},
      {F::kEngagement, 100.0 / 1000, Band::kGood},
      {F::kEngagement, 0.0999, Band::kWatch},
      {F::kEngagement, 30.0 / 1000, Band::kWatch},
      {F::kEngagement, 0.0299, Band::kCritical},
  };
  for (const auto& c : cases)
    EXPECT_EQ(band_of(c.factor, c.rate), c.band) << to_string(c.factor) << " " << c.rate;
}

TEST(ReputationTest, PointsLostArePiecewiseLinearThroughTheBandEdges) {
  struct Case {
    F factor;
    double rate;
    double points;
  };
  const std::vector<Case> cases = {
      // weight 100: 15 points at the good edge, 40 at the critical edge, 100 at the extreme
      {F::kBounce, 0, 0},
      {F::kBounce, 0.0025, 7.5},
      {F::kBounce, 0.005, 15},
      {F::kBounce, 0.0075, 27.5},
      {F::kBounce, 0.01, 40},
      {F::kBounce, 0.055, 70},
      {F::kBounce, 0.10, 100},
      {F::kBounce, 0.5, 100},
      {F::kComplaint, 0.0005, 7.5},
      {F::kComplaint, 0.001, 15},
      {F::kComplaint, 0.003, 40},
      {F::kComplaint, 0.004, 70},
      {F::kComplaint, 0.005, 100},
      // weight 40
      {F::kUnsubscribe, 0.003, 6},
      {F::kUnsubscribe, 0.01, 16},
      {F::kUnsubscribe, 0.03, 28},
      {F::kUnsubscribe, 0.05, 40},
      // weight 30, higher is better: nothing lost from 20 %
      {F::kEngagement, 0.5, 0},
      {F::kEngagement, 0.20, 0},
      {F::kEngagement, 0.15, 2.25},
      {F::kEngagement, 0.10, 4.5},
      {F::kEngagement, 0.03, 12},
      {F::kEngagement, 0.015, 21},
      {F::kEngagement, 0, 30},
  };
  for (const auto& c : cases)
    EXPECT_NEAR(points_lost(c.factor, c.rate), c.points, 1e-9)
        << to_string(c.factor) << " " << c.rate;
  double weights = 0;
  for (F f : kReputationFactors)
    weights += factor_rule(f).weight;
  EXPECT_EQ(weights, 270);
}

TEST(ReputationTest, RatesUseTheDocumentedDenominators) {
  Reputation r = reputation_rates(counters(800, 200, 8, 4, 300, 100));
  EXPECT_DOUBLE_EQ(r.bounce_rate, 200.0 / 1000);  // of delivered + bounced
  EXPECT_DOUBLE_EQ(r.complaint_rate, 8.0 / 800);  // of delivered
  EXPECT_DOUBLE_EQ(r.unsubscribe_rate, 4.0 / 800);
  EXPECT_DOUBLE_EQ(r.engagement_rate, 400.0 / 800);  // opens + clicks per delivered
  // capped at 1 (repeated opens, late reports), 0 without a denominator
  Reputation capped = reputation_rates(counters(10, 0, 50, 0, 30, 5));
  EXPECT_EQ(capped.complaint_rate, 1);
  EXPECT_EQ(capped.engagement_rate, 1);
  Reputation empty = reputation_rates(counters(0, 0, 3, 1, 2, 0));
  EXPECT_EQ(empty.bounce_rate, 0);
  EXPECT_EQ(empty.complaint_rate, 0);
  EXPECT_EQ(empty.engagement_rate, 0);
}

TEST(ReputationTest, ScoreIsOneHundredMinusThePointsEachFactorLoses) {
  struct Case {
    const char* name;
    DayCounters window;
    double score;
    std::optional<F> driver;
  };
  const std::vector<Case> cases = {
      {"clean", counters(1000, 0), 100, std::nullopt},
      {"bounce at the good edge", counters(995, 5), 85, F::kBounce},
      {"bounce at the critical edge", counters(990, 10), 60, F::kBounce},
      {"bounce far beyond", counters(800, 200), 0, F::kBounce},
      {"complaints at the good edge", counters(1000, 0, 1), 85, F::kComplaint},
      {"complaints critical", counters(1000, 0, 3), 60, F::kComplaint},
      {"unsubscribes at the good edge", counters(1000, 0, 0, 3), 94, F::kUnsubscribe},
      {"engagement good", counters(1000, 0, 0, 0, 80, 20), 95.5, F::kEngagement},
      {"no engagement fed is no data", counters(1000, 0, 0, 0, 0, 0), 100, std::nullopt},
      // 6 (bounce 0.2 %) + 2.0 (unsubscribes 0.1 %) + 0 (engagement 30 %), rounded to 0.1
      {"typical healthy", counters(998, 2, 0, 1, 300, 0), 92, F::kBounce},
      // 27.5 (bounce 0.75 %) + 27.7 (complaints 0.20 %) + 12.0 (engagement 3.0 %)
      {"several in watch", counters(1985, 15, 4, 0, 60, 0), 32.8, F::kComplaint},
  };
  for (const auto& c : cases) {
    ReputationAssessment a = assess_reputation(c.window, kNow);
    EXPECT_TRUE(a.scored) << c.name;
    EXPECT_DOUBLE_EQ(a.reputation.score, c.score) << c.name;
    EXPECT_EQ(a.driver, c.driver) << c.name;
    EXPECT_EQ(a.reputation.computed, kNow) << c.name;
    double lost = 0;
    for (const auto& f : a.factors)
      lost += f.points_lost;
    EXPECT_NEAR(a.reputation.score, std::max(0.0, 100 - lost), 0.05) << c.name;
  }
}

TEST(ReputationTest, FactorsCarryRateBandAndPointsInTheDocumentedOrder) {
  ReputationAssessment a = assess_reputation(counters(980, 20, 1, 5, 0, 0), kNow);
  ASSERT_EQ(a.factors.size(), 4u);
  EXPECT_EQ(a.factors[0].factor, F::kBounce);
  EXPECT_DOUBLE_EQ(a.factors[0].rate, 0.02);
  EXPECT_EQ(a.factors[0].band, Band::kCritical);
  EXPECT_EQ(a.factors[1].factor, F::kComplaint);
  EXPECT_EQ(a.factors[1].band, Band::kWatch);
  EXPECT_EQ(a.factors[2].factor, F::kUnsubscribe);
  EXPECT_EQ(a.factors[2].band, Band::kWatch);
  EXPECT_EQ(a.factors[3].factor, F::kEngagement);
  EXPECT_EQ(a.factors[3].band, Band::kNoData);
  EXPECT_EQ(a.factors[3].points_lost, 0);
  EXPECT_EQ(describe_factor(a.factors[0]), "bounce rate 2.00% (critical, -46.7 points)");
  EXPECT_EQ(describe_factor(a.factors[1]), "complaint rate 0.102% (watch, -15.3 points)");
  EXPECT_EQ(describe_factor(a.factors[3]), "engagement rate: no data (no opens or clicks fed in)");
}

TEST(ReputationTest, BelowTheMinimumVolumeTheScoreStaysNeutral) {
  // 199 delivered + bounced, all of them bounces: still the new-account score
  ReputationAssessment low = assess_reputation(counters(0, 199), kNow);
  EXPECT_FALSE(low.scored);
  EXPECT_EQ(low.volume, 199u);
  EXPECT_EQ(low.reputation.score, 70);
  EXPECT_EQ(low.driver, std::nullopt);
  EXPECT_EQ(low.factors[0].band, Band::kCritical);  // the factors are still shown
  EXPECT_DOUBLE_EQ(low.reputation.bounce_rate, 1);

  // suppressed, enqueued and accepted recipients are not volume
  DayCounters c = counters(150, 49);
  c.accepted += 500;
  c.suppressed = 300;
  c.enqueued = 200;
  EXPECT_FALSE(assess_reputation(c, kNow).scored);

  ReputationAssessment enough = assess_reputation(counters(150, 50), kNow);
  EXPECT_TRUE(enough.scored);
  EXPECT_EQ(enough.reputation.score, 0);

  ReputationSettings settings;
  settings.min_volume = 10;
  settings.neutral_score = 50;
  EXPECT_EQ(assess_reputation(counters(9, 0), kNow, settings).reputation.score, 50);
  EXPECT_EQ(assess_reputation(counters(10, 0), kNow, settings).reputation.score, 100);
}

TEST(ReputationTest, ExplainingAStoredReputationKeepsItsScore) {
  Reputation stored;
  stored.score = 61.2;
  stored.bounce_rate = 0.012;
  stored.complaint_rate = 0.0005;
  stored.engagement_rate = 0;
  ReputationAssessment a = explain_reputation(stored, 5000);
  EXPECT_EQ(a.reputation.score, 61.2);
  EXPECT_TRUE(a.scored);
  EXPECT_EQ(a.factors[0].band, Band::kCritical);
  EXPECT_EQ(a.factors[1].band, Band::kGood);
  EXPECT_EQ(a.factors[3].band, Band::kNoData);
  EXPECT_EQ(a.driver, F::kBounce);
  EXPECT_FALSE(explain_reputation(stored, 199).scored);
}

TEST(ReputationTest, GuardrailsPauseOnlyWithEnoughVolume) {
  struct Case {
    const char* name;
    DayCounters window;
    std::optional<F> trips;
  };
  const std::vector<Case> cases = {
      {"bounce 10 % over 200", counters(180, 20), F::kBounce},
      {"bounce 9.5 %", counters(181, 19), std::nullopt},
      {"bounce 10 % over 100", counters(90, 10), std::nullopt},
      {"bounce 100 % over 199", counters(0, 199), std::nullopt},
      {"complaints 0.5 %", counters(600, 0, 3), F::kComplaint},
      {"complaints 0.49 %", counters(610, 0, 3), std::nullopt},
      {"one complaint in 200 is 0.5 % but too few", counters(200, 0, 1), std::nullopt},
      {"both: bounce is named first", counters(900, 100, 9), F::kBounce},
      {"critical but below the limits", counters(950, 50, 2), std::nullopt},
  };
  for (const auto& c : cases) {
    auto trip = check_guardrails(c.window);
    EXPECT_EQ(trip.has_value(), c.trips.has_value()) << c.name;
    if (trip && c.trips) {
      EXPECT_EQ(trip->factor, *c.trips) << c.name;
    }
  }
  auto bounce = check_guardrails(counters(1320, 180));
  ASSERT_TRUE(bounce);
  EXPECT_EQ(describe(*bounce),
            "bounce rate 12.00% reached the 10.00% pause limit (1500 delivered+bounced)");
  auto complaint = check_guardrails(counters(1000, 0, 6));
  ASSERT_TRUE(complaint);
  EXPECT_EQ(describe(*complaint),
            "complaint rate 0.600% reached the 0.500% pause limit (1000 delivered+bounced)");
}

Pool pool(const char* name, AccountType category, uint32_t min_score) {
  Pool p;
  p.name = name;
  p.category = category;
  p.min_score = min_score;
  p.transport = std::string("smtp_") + name;
  return p;
}

TEST(ReputationTest, PoolChoiceTakesTheBestPoolTheScoreReaches) {
  const auto tx = AccountType::kTransactional, pr = AccountType::kPromotional;
  const std::vector<Pool> pools = {
      pool("tx-std", tx, 50), pool("tx-good", tx, 80), pool("tx-low", tx, 20),
      pool("tx-alt", tx, 50), pool("pr-best", pr, 90), pool("pr-ok", pr, 60),
      pool("pr-mid", pr, 75),
  };
  struct Case {
    AccountType type;
    double score;
    const char* chosen;
    bool reached;
    const char* next;  // nullptr: none better
  };
  const std::vector<Case> cases = {
      {tx, 100, "tx-good", true, nullptr},
      {tx, 80, "tx-good", true, nullptr},
      {tx, 79.9, "tx-alt", true, "tx-good"},  // equal thresholds: first by name
      {tx, 50, "tx-alt", true, "tx-good"},
      {tx, 49.9, "tx-low", true, "tx-alt"},
      {tx, 20, "tx-low", true, "tx-alt"},
      {tx, 19.9, "tx-low", false, "tx-alt"},  // none reached: the lowest
      {tx, 0, "tx-low", false, "tx-alt"},
      {pr, 95, "pr-best", true, nullptr},
      {pr, 89, "pr-mid", true, "pr-best"},
      {pr, 70, "pr-ok", true, "pr-mid"},
      {pr, 10, "pr-ok", false, "pr-mid"},
  };
  for (const auto& c : cases) {
    auto choice = choose_pool(pools, c.type, c.score);
    ASSERT_TRUE(choice) << c.score;
    EXPECT_EQ(choice->pool.name, c.chosen) << c.score;
    EXPECT_EQ(choice->reached, c.reached) << c.score;
    EXPECT_EQ(choice->next ? choice->next->name : std::string("-"), c.next ? c.next : "-")
        << c.score;
  }
}

TEST(ReputationTest, PoolChoiceWithoutPoolsOfTheCategoryIsNone) {
  EXPECT_FALSE(choose_pool({}, AccountType::kTransactional, 90));
  EXPECT_FALSE(
      choose_pool({pool("pr", AccountType::kPromotional, 0)}, AccountType::kTransactional, 90));
  auto zero =
      choose_pool({pool("tx", AccountType::kTransactional, 0)}, AccountType::kTransactional, 0);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->reached);
}

TEST(ReputationTest, ChoicesAreExplainedInWords) {
  const auto tx = AccountType::kTransactional;
  const std::vector<Pool> pools = {pool("tx-good", tx, 80), pool("tx-std", tx, 50),
                                   pool("tx-low", tx, 20)};
  EXPECT_EQ(explain_choice(*choose_pool(pools, tx, 62.5), 62.5),
            "score 62.5 reaches tx-std (min 50) but not tx-good (min 80)");
  EXPECT_EQ(explain_choice(*choose_pool(pools, tx, 92), 92),
            "score 92.0 reaches tx-good (min 80), the best transactional pool");
  EXPECT_EQ(explain_choice(*choose_pool(pools, tx, 3), 3),
            "score 3.0 reaches no transactional pool; tx-low (min 20) is the lowest");
}

}  // namespace
}  // namespace sendpool
