#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "vlm/metrics.h"
#include "vlm/resilience.h"

namespace edgeocr::vlm {
namespace {

using namespace std::chrono_literals;

// Manual clock: the breaker's cool-down is tested without sleeping.
struct FakeClock {
  Clock::time_point now = Clock::time_point{} + 1h;
  CircuitBreaker::Now fn() { return [this] { return now; }; }
};

TEST(CircuitBreaker, OpensAfterThresholdThenHalfOpensThenCloses) {
  FakeClock clock;
  CircuitBreaker breaker(3, 10s, clock.fn());
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(breaker.allow());
    breaker.record_failure();
  }
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  ASSERT_TRUE(breaker.allow());
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_FALSE(breaker.allow());
  clock.now += 9s;
  EXPECT_FALSE(breaker.allow());
  clock.now += 1s;
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_TRUE(breaker.allow());   // the one trial request
  EXPECT_FALSE(breaker.allow());  // no second probe while it runs
  breaker.record_success();
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_TRUE(breaker.allow());
  EXPECT_EQ(breaker.times_opened(), 1);
}

TEST(CircuitBreaker, FailedTrialReopensForAnotherCoolDown) {
  FakeClock clock;
  CircuitBreaker breaker(1, 5s, clock.fn());
  ASSERT_TRUE(breaker.allow());
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), BreakerState::open);
  clock.now += 5s;
  ASSERT_TRUE(breaker.allow());
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_FALSE(breaker.allow());
  clock.now += 5s;
  EXPECT_TRUE(breaker.allow());
  EXPECT_EQ(breaker.times_opened(), 2);
}

TEST(CircuitBreaker, SuccessResetsTheFailureCount) {
  FakeClock clock;
  CircuitBreaker breaker(2, 5s, clock.fn());
  breaker.record_failure();
  breaker.record_success();
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_EQ(breaker.consecutive_failures(), 1);
}

TEST(Backoff, ExponentialWithBoundedJitter) {
  std::mt19937 rng(42);
  for (int attempt = 0; attempt < 8; ++attempt) {
    const long long ceiling = std::min<long long>(8000, 500LL << attempt);
    for (int i = 0; i < 50; ++i) {
      const auto d = backoff_delay(attempt, 500ms, 8000ms, rng).count();
      EXPECT_GE(d, ceiling / 2);
      EXPECT_LE(d, ceiling);
    }
  }
  // Jitter: not all equal.
  std::set<long long> seen;
  for (int i = 0; i < 20; ++i) seen.insert(backoff_delay(3, 500ms, 8000ms, rng).count());
  EXPECT_GT(seen.size(), 5u);
}

TEST(RetryAfter, SecondsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("3"), 3000ms);
  EXPECT_EQ(parse_retry_after(" 0 "), 0ms);
  EXPECT_EQ(parse_retry_after("0.25"), 250ms);
  EXPECT_FALSE(parse_retry_after(""));
  EXPECT_FALSE(parse_retry_after("soon"));
  EXPECT_FALSE(parse_retry_after("-1"));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), 0ms);  // in the past
  const auto future = parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT");
  ASSERT_TRUE(future);
  EXPECT_GT(future->count(), 1000LL * 3600 * 24 * 365);
}

TEST(InflightLimiter, NeverExceedsCapacity) {
  InflightLimiter limiter(3);
  std::atomic<int> inside{0}, worst{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto slot = limiter.acquire_for(5s);
        ASSERT_TRUE(slot);
        const int now = ++inside;
        int prev = worst.load();
        while (now > prev && !worst.compare_exchange_weak(prev, now)) {}
        std::this_thread::sleep_for(200us);
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(worst.load(), 3);
  EXPECT_EQ(limiter.peak(), 3);
  EXPECT_EQ(limiter.in_flight(), 0);
}

TEST(InflightLimiter, TimesOutWhenFull) {
  InflightLimiter limiter(1);
  auto held = limiter.acquire_for(10ms);
  ASSERT_TRUE(held);
  const auto start = Clock::now();
  EXPECT_FALSE(limiter.acquire_for(50ms));
  EXPECT_GE(Clock::now() - start, 45ms);
}

TEST(Metrics, PrometheusText) {
  VlmMetrics m;
  m.record_request("spot", "ok", 0.3);
  m.record_request("spot", "ok", 3.0);
  m.record_request("translate", "unavailable", 0.01);
  m.record_error("http_5xx");
  m.add_tokens(1200, 80);
  m.record_route("low_confidence", true);
  const std::string text = m.prometheus_text();
  EXPECT_NE(text.find("edgeocr_vlm_requests_total{task=\"spot\",outcome=\"ok\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_requests_total{task=\"translate\",outcome=\"unavailable\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_request_seconds_bucket{le=\"0.25\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_request_seconds_bucket{le=\"0.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_request_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_request_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_errors_total{kind=\"http_5xx\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_tokens_total{type=\"prompt\"} 1200\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_tokens_total{type=\"completion\"} 80\n"), std::string::npos);
  EXPECT_NE(text.find("edgeocr_vlm_routes_total{reason=\"low_confidence\",vlm=\"true\"} 1\n"), std::string::npos);
  m.reset();
  EXPECT_EQ(m.requests("spot", "ok"), 0u);
}

}  // namespace
}  // namespace edgeocr::vlm
