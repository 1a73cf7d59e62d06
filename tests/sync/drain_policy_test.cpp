// drain_outbox's refusal policy against an in-process stand-in collector over real TLS, which
// decrypts each batch and answers with a scripted HTTP status: which refusals split a batch,
// dead-letter a lone record, rename a batch, or stop the drain without touching the outbox.
#include <sys/stat.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "process_util.h"
#include "store/sqlite.h"
#include "sync/envelope.h"
#include "sync/outbox.h"
#include "sync/sync_client.h"

namespace edgeocr::sync::testing {
namespace {

using namespace std::chrono_literals;

// Answers POST /v1/sync/batches with decide(batch_id, record ids); on 200 it acknowledges.
class StandInCollector {
 public:
  using Decide = std::function<int(const std::string& batch_id, const std::vector<std::string>& record_ids)>;
  StandInCollector(const TlsFiles& tls, StoreKey key, Decide decide)
      : server_(tls.server_cert.c_str(), tls.server_key.c_str()), key_(std::move(key)), decide_(std::move(decide)) {
    server_.Post("/v1/sync/batches", [this](const httplib::Request& req, httplib::Response& res) {
      Envelope env = envelope_from_json(req.body);
      auto plain = nlohmann::json::parse(inflate_bytes(open(key_, env), 64u << 20));
      std::vector<std::string> ids;
      for (const auto& r : plain["records"]) ids.push_back(r["record_id"].get<std::string>());
      std::lock_guard lock(mutex_);
      ++requests_;
      int status = decide_(env.batch_id, ids);
      res.status = status;
      if (status == 200) {
        for (const auto& id : ids) ++delivered_[id];
        res.set_content(nlohmann::json({{"ack", env.batch_id}}).dump(), "application/json");
      } else {
        res.set_content("{\"error\":{\"code\":\"scripted\"}}", "application/json");
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(10ms);
  }
  ~StandInCollector() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::map<std::string, int> delivered() {
    std::lock_guard lock(mutex_);
    return delivered_;
  }

 private:
  httplib::SSLServer server_;
  StoreKey key_;
  Decide decide_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  int requests_ = 0;
  std::map<std::string, int> delivered_;
};

class DrainPolicy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("edgeocr-drain-policy");
    tls_ = new TlsFiles(make_tls_files(dir_->path()));
    write_new_key_file(dir_->path() / "store.key");
  }
  static void TearDownTestSuite() {
    delete tls_;
    delete dir_;
  }

  // A fresh outbox with records rec-0 .. rec-<count-1>.
  std::unique_ptr<Outbox> make_outbox(int count) {
    auto file = work_.path() / ("archive-" + std::to_string(++outboxes_) + ".db");
    auto outbox = std::make_unique<Outbox>(file);
    sqlite3* raw = nullptr;
    sqlite3_open(file.c_str(), &raw);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> close(raw, sqlite3_close);
    sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr);
    store::sqlite::Handle tx(raw);
    for (int i = 0; i < count; ++i) {
      enqueue_in_transaction(tx, {"rec-" + std::to_string(i), "2026-11-25T10:00:00Z",
                                   "{\"n\":" + std::to_string(i) + "}", ""});
    }
    EXPECT_EQ(sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    return outbox;
  }

  std::unique_ptr<StandInCollector> collector(StandInCollector::Decide decide) {
    return std::make_unique<StandInCollector>(*tls_, load_key_file(dir_->path() / "store.key"), std::move(decide));
  }

  SyncClient client(int port) {
    SyncConfig config;
    config.url = "https://127.0.0.1:" + std::to_string(port);
    config.ca = tls_->ca_cert.string();
    config.key_file = (dir_->path() / "store.key").string();
    config.store_id = "shop-policy";
    config.batch_size = 10;
    config.timeout_s = 5;
    return SyncClient(config, work_.path());
  }

  static TempDir* dir_;
  static TlsFiles* tls_;
  TempDir work_{"edgeocr-drain-policy-case"};
  int outboxes_ = 0;
};
TempDir* DrainPolicy::dir_ = nullptr;
TlsFiles* DrainPolicy::tls_ = nullptr;

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST_F(DrainPolicy, MalformedRefusalSplitsTheBatchAndDeadLettersOnlyTheLoneRecord) {
  auto stand_in = collector([](const std::string&, const std::vector<std::string>& ids) {
    return contains(ids, "rec-5") ? 400 : 200;
  });
  auto outbox = make_outbox(23);
  SyncClient sync_client = client(stand_in->port());
  DrainResult result = drain_outbox(*outbox, sync_client);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.dead_lettered, 1);
  EXPECT_GE(result.splits, 1);
  EXPECT_EQ(result.records, 22);
  auto delivered = stand_in->delivered();
  EXPECT_EQ(delivered.size(), 22u);
  EXPECT_EQ(delivered.count("rec-5"), 0u);
  for (const auto& [id, times] : delivered) EXPECT_EQ(times, 1) << id << " acknowledged more than once";
  EXPECT_LT(stand_in->requests(), 20) << "splitting must converge quickly";
  OutboxStatus status = outbox->status();
  EXPECT_EQ(status.pending, 0);
  EXPECT_EQ(status.dead_letter, 1);
  EXPECT_TRUE(status.last_error.empty()) << status.last_error;
}

TEST_F(DrainPolicy, ConflictGetsAFreshBatchIdAndARepeatedConflictStops) {
  std::string refused;
  auto stand_in = collector([&refused](const std::string& batch_id, const std::vector<std::string>&) {
    if (refused.empty()) refused = batch_id;
    return batch_id == refused ? 409 : 200;
  });
  auto outbox = make_outbox(12);
  SyncClient sync_client = client(stand_in->port());
  DrainResult result = drain_outbox(*outbox, sync_client);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.records, 12);
  EXPECT_EQ(stand_in->delivered().size(), 12u);
  EXPECT_EQ(stand_in->requests(), 3);
  EXPECT_EQ(outbox->status().pending, 0);

  // A collector that refuses every batch id with 409 is not a one-off clash: stop after one rename.
  auto always = collector([](const std::string&, const std::vector<std::string>&) { return 409; });
  auto second = make_outbox(12);
  SyncClient second_client = client(always->port());
  result = drain_outbox(*second, second_client);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(always->requests(), 2);
  EXPECT_EQ(second->status().pending, 12);
  EXPECT_EQ(second->status().dead_letter, 0);
}

TEST_F(DrainPolicy, OutageAndKeyRefusalsStopWithoutSkippingOrSplitting) {
  for (int refusal : {401, 403, 422, 500, 503}) {
    SCOPED_TRACE("HTTP " + std::to_string(refusal));
    auto stand_in = collector([refusal](const std::string&, const std::vector<std::string>&) { return refusal; });
    auto outbox = make_outbox(12);
    SyncClient sync_client = client(stand_in->port());
    DrainResult result = drain_outbox(*outbox, sync_client);
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find("HTTP " + std::to_string(refusal)), std::string::npos) << result.error;
    EXPECT_EQ(stand_in->requests(), 1);
    EXPECT_EQ(result.dead_lettered, 0);
    EXPECT_EQ(result.splits, 0);
    OutboxStatus status = outbox->status();
    EXPECT_EQ(status.pending, 12);
    EXPECT_EQ(status.dead_letter, 0);
    EXPECT_NE(status.last_error.find("HTTP " + std::to_string(refusal)), std::string::npos);
    // The whole batch waits for the retry, under its id.
    auto batch = outbox->next_batch(10);
    ASSERT_TRUE(batch);
    EXPECT_EQ(batch->records.size(), 10u);
  }
}

}  // namespace
}  // namespace edgeocr::sync::testing
