// End-to-end sync tests: real `sync`/`collect` processes, TLS on 127.0.0.1 and a throwaway
// PostgreSQL cluster.
#include <signal.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "pg_cluster.h"
#include "process_util.h"
#include "seed.h"
#include "sync/archive_link.h"
#include "common/base64.h"
#include "sync/envelope.h"
#include "sync/sync_client.h"

namespace edgeocr::sync::testing {
namespace {

using namespace std::chrono_literals;

const std::string kTestBin = EDGEOCR_SYNC_TESTBIN;

struct Suite {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<PgCluster> pg;
  TlsFiles tls;
  std::string skip_reason;
};
Suite* suite = nullptr;

class SyncE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite = new Suite;
    suite->skip_reason = PgCluster::unavailable_reason();
    if (!suite->skip_reason.empty()) return;
    suite->dir = std::make_unique<TempDir>("edgeocr-sync-suite");
    suite->tls = make_tls_files(suite->dir->path());
    suite->pg = std::make_unique<PgCluster>();
  }
  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }

  void SetUp() override {
    if (!suite->skip_reason.empty()) GTEST_SKIP() << "sync end-to-end tests need PostgreSQL: " << suite->skip_reason;
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    database_ = "t_";
    for (char c : name.substr(0, 40)) database_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    suite->pg->create_database(database_);
    work_ = std::make_unique<TempDir>("edgeocr-sync-" + name);
    keys_dir_ = work_->path() / "keys";
    std::filesystem::create_directories(keys_dir_);
    ::chmod(keys_dir_.c_str(), 0700);
    collector_port_ = free_loopback_port();
  }

  std::string pg() const { return suite->pg->conninfo(database_); }
  std::filesystem::path log(const std::string& name) const { return work_->path() / (name + ".log"); }

  // Creates the store's key on the edge and gives head office its copy; returns the edge key path.
  std::filesystem::path make_store_key(const std::string& store_id) {
    auto edge_key = work_->path() / (store_id + "-edge.key");
    write_new_key_file(edge_key);
    std::filesystem::copy_file(edge_key, keys_dir_ / (store_id + ".key"));
    ::chmod((keys_dir_ / (store_id + ".key")).c_str(), 0600);
    return edge_key;
  }

  struct Edge {
    std::filesystem::path data_dir;
    std::filesystem::path config;
  };
  Edge make_edge(const std::string& store_id, int batch_size, const std::string& images = "none",
                 const std::string& extra = "") {
    Edge edge;
    edge.data_dir = work_->path() / ("edge-" + store_id);
    std::filesystem::create_directories(edge.data_dir);
    edge.config = work_->path() / (store_id + ".toml");
    auto key = std::filesystem::exists(work_->path() / (store_id + "-edge.key")) ? work_->path() / (store_id + "-edge.key")
                                                                                 : make_store_key(store_id);
    std::ofstream(edge.config) << "# edge config\n[sync]\n"
                               << "url = \"https://127.0.0.1:" << collector_port_ << "\"\n"
                               << "ca = \"" << suite->tls.ca_cert.string() << "\"\n"
                               << "key_file = \"" << key.string() << "\"\n"
                               << "store_id = \"" << store_id << "\"\n"
                               << "batch_size = " << batch_size << "\n"
                               << "images = \"" << images << "\"\n"
                               << "interval = 0.2\nmax_backoff = 1\ntimeout = 5\n"
                               << extra;
    return edge;
  }

  // The sync settings of an edge's config file, resolved as `edgeocr sync` resolves them.
  static SyncConfig config_of(const Edge& edge) {
    return SyncConfig::from_settings(settings::resolve(settings::specs_named({"sync."}), {{"config", edge.config.string()}},
                                                       [](const char*) -> const char* { return nullptr; }));
  }

  void seed(const Edge& edge, int count, int start = 0, int payload_bytes = 200, int image_every = 0,
            bool outbox_only = false) {
    std::vector<std::string> argv = {kTestBin, "seed", "--data-dir", edge.data_dir.string(), "--count",
                                     std::to_string(count), "--start", std::to_string(start), "--payload-bytes",
                                     std::to_string(payload_bytes), "--image-every", std::to_string(image_every)};
    if (outbox_only) argv.push_back("--outbox-only");
    ExitInfo r = run_process(argv, log("seed"), 60s);
    ASSERT_TRUE(r.exited && r.exit_code == 0) << read_text(log("seed"));
  }

  // Seeds with extra `seed` options (e.g. --image-file, --without-sync).
  void seed_with(const Edge& edge, int count, int start, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {kTestBin, "seed", "--data-dir", edge.data_dir.string(), "--count",
                                     std::to_string(count), "--start", std::to_string(start)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ExitInfo r = run_process(argv, log("seed"), 60s);
    ASSERT_TRUE(r.exited && r.exit_code == 0) << read_text(log("seed"));
  }

  // Runs `sync <subcommand> ... --data-dir D --config C`; returns the exit code, output in log(log_name).
  int sync_command(const Edge& edge, const std::vector<std::string>& args, const std::string& log_name) {
    std::vector<std::string> argv = {kTestBin, "sync"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const std::string& extra : {std::string("--data-dir"), edge.data_dir.string(), std::string("--config"),
                                     edge.config.string()}) {
      argv.push_back(extra);
    }
    ExitInfo r = run_process(argv, log(log_name), 60s);
    return r.exited ? r.exit_code : -1;
  }

  // A statement or single value on the edge's archive database.
  std::string edge_sql(const Edge& edge, const std::string& sql) {
    sqlite3* raw = nullptr;
    if (sqlite3_open(archive_database_file(edge.data_dir).c_str(), &raw) != SQLITE_OK) throw std::runtime_error("open");
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> close(raw, sqlite3_close);
    sqlite3_busy_timeout(raw, 10000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("edge sql: ") + sqlite3_errmsg(raw) + ": " + sql);
    }
    std::string value;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) value = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw std::runtime_error("edge sql failed: " + sql);
    return value;
  }

  int post_batch(const std::string& body) {
    httplib::SSLClient client("127.0.0.1", collector_port_);
    client.set_ca_cert_path(suite->tls.ca_cert.c_str());
    client.enable_server_certificate_verification(true);
    auto res = client.Post("/v1/sync/batches", body, "application/json");
    return res ? res->status : -1;
  }

  ExitInfo sync_once(const Edge& edge, const std::string& log_name = "sync") {
    return run_process({kTestBin, "sync", "--once", "--data-dir", edge.data_dir.string(), "--config", edge.config.string()},
                       log(log_name), 60s);
  }

  nlohmann::json sync_status(const Edge& edge) {
    auto out = shell(kTestBin + " sync status --json --data-dir '" + edge.data_dir.string() + "'");
    return nlohmann::json::parse(out);
  }

  std::unique_ptr<Process> start_collector(const std::map<std::string, std::string>& env = {},
                                           const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> argv = {kTestBin, "collect", "--listen", "127.0.0.1:" + std::to_string(collector_port_),
                                     "--tls-cert", suite->tls.server_cert.string(), "--tls-key",
                                     suite->tls.server_key.string(), "--keys", keys_dir_.string(), "--pg", pg()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    auto process = std::make_unique<Process>(argv, log("collector"), env);
    bool up = false;
    if (std::find(extra_args.begin(), extra_args.end(), "--client-ca") == extra_args.end()) {
      up = wait_for_https(collector_port_, suite->tls.ca_cert, 15s);
    } else {
      std::this_thread::sleep_for(1s);  // mutual TLS: the plain health probe cannot connect
      up = process->running();
    }
    EXPECT_TRUE(up) << read_text(log("collector"));
    return process;
  }

  int64_t count(const std::string& sql) { return std::stoll(pg_value(pg(), sql)); }

  // Every record once, and its fields intact (the text matches its number).
  void expect_exactly_once(const std::string& store_id, int expected) {
    std::string where = " FROM sync_records WHERE store_id = '" + store_id + "'";
    EXPECT_EQ(count("SELECT COUNT(*)" + where), expected);
    EXPECT_EQ(count("SELECT COUNT(DISTINCT record->'result'->>'number')" + where), expected);
    const std::string text = "'TOTAL ' || (record->'result'->>'number') || '.00 EUR ' || U&'\\00e9t\\00e9'";
    EXPECT_EQ(count("SELECT COUNT(*)" + where + " AND record->>'text' = " + text + " AND record->'result'->>'text' = " +
                    text + " AND record->'fields'->>'total' = (record->'result'->>'number') || '.00'" +
                    " AND created_at > now() - interval '1 hour'"),
              expected);
  }

  std::string collector_metrics() {
    httplib::SSLClient client("127.0.0.1", collector_port_);
    client.set_ca_cert_path(suite->tls.ca_cert.c_str());
    client.enable_server_certificate_verification(true);
    auto res = client.Get("/metrics");
    return res ? res->body : "";
  }

  std::string database_;
  std::unique_ptr<TempDir> work_;
  std::filesystem::path keys_dir_;
  int collector_port_ = 0;
};

TEST_F(SyncE2E, HappyPathDeliversEachRecordOnceWithFieldsAndImagesIntact) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-happy", 25, "full");
  seed(edge, 120, 0, 200, 10);
  ExitInfo r = sync_once(edge);
  ASSERT_EQ(r.exit_code, 0) << read_text(log("sync")) << read_text(log("collector"));
  expect_exactly_once("shop-happy", 120);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_batches WHERE store_id = 'shop-happy'"), 5);
  // Full images arrive byte for byte.
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE image IS NOT NULL AND image_kind = 'full' "
                  "AND image_content_type = 'image/jpeg'"),
            12);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE image IS NOT NULL "
                  "AND encode(sha256(image), 'hex') = record->>'image_sha256'"),
            12);
  nlohmann::json status = sync_status(edge);
  EXPECT_EQ(status["pending"], 0);
  EXPECT_EQ(status["delivered_total"], 120);
  EXPECT_FALSE(status["last_success"].is_null());
  EXPECT_NE(collector_metrics().find("edgeocr_collect_records_stored_total 120"), std::string::npos);
  // Nothing left: a second run sends nothing.
  ASSERT_EQ(sync_once(edge).exit_code, 0);
  EXPECT_NE(read_text(log("sync")).find("delivered 0 records"), std::string::npos);
}

TEST_F(SyncE2E, ThumbnailModeSendsSmallJpegs) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-thumb", 10, "thumbnail");
  seed(edge, 4, 0, 50, 1);
  ASSERT_EQ(sync_once(edge).exit_code, 0) << read_text(log("sync"));
  expect_exactly_once("shop-thumb", 4);
  auto rows = pg_query(pg(), "SELECT record->>'image_sha256', length(image), encode(substr(image, 1, 2), 'hex') "
                             "FROM sync_records WHERE image_kind = 'thumbnail'");
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& row : rows) {
    auto original = std::filesystem::file_size(edge.data_dir / "images" / row[0].substr(0, 2) / (row[0] + ".jpg"));
    EXPECT_LT(std::stoul(row[1]), original);
    EXPECT_EQ(row[2], "ffd8");
  }
}

TEST_F(SyncE2E, OutageRecordsCreatedWhileCollectorDownAllArriveOnce) {
  Edge edge = make_edge("shop-outage", 7);
  seed(edge, 60);
  // Collector down: the push fails, nothing is lost, the error is visible.
  ExitInfo down = sync_once(edge);
  EXPECT_EQ(down.exit_code, 1);
  nlohmann::json status = sync_status(edge);
  EXPECT_EQ(status["pending"], 60);
  EXPECT_NE(status["last_error"].get<std::string>().find("cannot reach collector"), std::string::npos) << status.dump();
  // The background worker (as in `serve`) keeps retrying with backoff while more records come in.
  Process worker({kTestBin, "sync", "--watch", "--data-dir", edge.data_dir.string(), "--config", edge.config.string()},
                 log("worker"));
  std::this_thread::sleep_for(1500ms);
  seed(edge, 40, 60);
  EXPECT_EQ(sync_status(edge)["pending"], 100);
  auto collector = start_collector();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && sync_status(edge)["pending"] != 0) {
    std::this_thread::sleep_for(100ms);
  }
  seed(edge, 20, 100);  // created while online: picked up on the next interval
  deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && sync_status(edge)["pending"] != 0) {
    std::this_thread::sleep_for(100ms);
  }
  worker.signal(SIGTERM);
  ExitInfo stopped = worker.wait(10s);
  EXPECT_TRUE(stopped.exited && stopped.exit_code == 0) << read_text(log("worker"));
  expect_exactly_once("shop-outage", 120);
  EXPECT_EQ(sync_status(edge)["pending"], 0);
  EXPECT_TRUE(sync_status(edge)["last_error"].get<std::string>().empty());
}

TEST_F(SyncE2E, CrashEdgeKilledMidSyncThenRestartedDeliversExactlyOnce) {
  auto collector = start_collector({}, {"--fault-delay-ms", "25"});
  Edge edge = make_edge("shop-edgecrash", 10);
  seed(edge, 500);
  Process syncing({kTestBin, "sync", "--once", "--data-dir", edge.data_dir.string(), "--config", edge.config.string()},
                  log("sync"));
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && count("SELECT COUNT(*) FROM sync_records") < 100) {
    std::this_thread::sleep_for(20ms);
  }
  syncing.signal(SIGKILL);
  ExitInfo killed = syncing.wait(10s);
  ASSERT_EQ(killed.signal, SIGKILL) << "the sync must still have been running when killed";
  int64_t partial = count("SELECT COUNT(*) FROM sync_records");
  EXPECT_GE(partial, 100);
  EXPECT_LT(partial, 500);
  ASSERT_EQ(sync_once(edge, "sync2").exit_code, 0) << read_text(log("sync2"));
  expect_exactly_once("shop-edgecrash", 500);
  EXPECT_EQ(sync_status(edge)["pending"], 0);
}

TEST_F(SyncE2E, CrashCollectorKilledBetweenCommitAndAckThenRestartedDeliversExactlyOnce) {
  auto collector = start_collector({}, {"--fault-kill-after-commit", "3"});
  Edge edge = make_edge("shop-ackcrash", 10);
  seed(edge, 100);
  ExitInfo first = sync_once(edge);
  EXPECT_EQ(first.exit_code, 1);
  ExitInfo died = collector->wait(10s);
  ASSERT_EQ(died.signal, SIGKILL) << read_text(log("collector"));
  // Three batches committed, only two acknowledged: the edge still holds the third.
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records"), 30);
  EXPECT_EQ(sync_status(edge)["pending"], 80);
  collector = start_collector();
  ASSERT_EQ(sync_once(edge, "sync2").exit_code, 0) << read_text(log("sync2"));
  expect_exactly_once("shop-ackcrash", 100);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_batches"), 10);
  // The unacknowledged batch was re-sent under the same batch id and stored nothing twice.
  std::string metrics = collector_metrics();
  EXPECT_NE(metrics.find("edgeocr_collect_records_duplicate_total 10"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("edgeocr_collect_records_stored_total 70"), std::string::npos) << metrics;
}

TEST_F(SyncE2E, SecurityForgedTamperedReplayedAndPlaintextBatchesAreRefused) {
  make_store_key("shop-a");
  make_store_key("shop-b");
  auto collector = start_collector();
  StoreKey key_a = load_key_file(keys_dir_ / "shop-a.key");
  StoreKey key_b = load_key_file(keys_dir_ / "shop-b.key");
  auto plaintext = [](const std::string& store, const std::string& batch, const std::string& record_id) {
    return nlohmann::json({{"store_id", store},
                           {"batch_id", batch},
                           {"records", {{{"record_id", record_id}, {"created_at", "2026-11-25T10:00:00Z"},
                                         {"record", {{"text", "secret " + record_id}}}}}}})
        .dump();
  };
  auto post = [&](const std::string& body) {
    httplib::SSLClient client("127.0.0.1", collector_port_);
    client.set_ca_cert_path(suite->tls.ca_cert.c_str());
    client.enable_server_certificate_verification(true);
    auto res = client.Post("/v1/sync/batches", body, "application/json");
    return res ? res->status : -1;
  };

  Envelope genuine = seal(key_a, "shop-a", "batch-a1", plaintext("shop-a", "batch-a1", "rec-a1"));
  ASSERT_EQ(post(envelope_to_json(genuine)), 200);
  EXPECT_EQ(post(envelope_to_json(genuine)), 200) << "a re-delivered batch is acknowledged (idempotent)";

  // A flipped byte in the ciphertext.
  Envelope tampered = seal(key_a, "shop-a", "batch-a2", plaintext("shop-a", "batch-a2", "rec-a2"));
  std::string bytes = *common::base64_decode(tampered.ciphertext_b64);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  tampered.ciphertext_b64 = common::base64_encode(bytes);
  EXPECT_EQ(post(envelope_to_json(tampered)), 422);

  // Encrypted with another store's key, claiming store A (with A's key id, then B's).
  StoreKey b_posing_as_a = key_b;
  b_posing_as_a.key_id = key_a.key_id;
  EXPECT_EQ(post(envelope_to_json(seal(b_posing_as_a, "shop-a", "batch-x1", plaintext("shop-a", "batch-x1", "rec-x1")))), 422);
  EXPECT_EQ(post(envelope_to_json(seal(key_b, "shop-a", "batch-x2", plaintext("shop-a", "batch-x2", "rec-x2")))), 403);

  // Replay of A's old batch into B's stream: relabelled envelope, and B re-using A's batch id.
  Envelope relabelled = genuine;
  relabelled.store_id = "shop-b";
  EXPECT_EQ(post(envelope_to_json(relabelled)), 403);
  relabelled.key_id = key_b.key_id;
  EXPECT_EQ(post(envelope_to_json(relabelled)), 422);
  EXPECT_EQ(post(envelope_to_json(seal(key_b, "shop-b", "batch-a1", plaintext("shop-b", "batch-a1", "rec-b1")))), 409);

  // Plaintext POST, and garbage.
  EXPECT_EQ(post(plaintext("shop-a", "batch-p1", "rec-p1")), 400);
  EXPECT_EQ(post("{\"version\":1,\"store_id\":\"shop-a\"}"), 400);
  EXPECT_EQ(post("\x01\x02 not json"), 400);

  // Only the genuine record is stored.
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records"), 1);
  EXPECT_EQ(pg_value(pg(), "SELECT store_id || '/' || record_id FROM sync_records"), "shop-a/rec-a1");
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_batches"), 1);
  std::string metrics = collector_metrics();
  EXPECT_NE(metrics.find("edgeocr_collect_batches_rejected_total{reason=\"authentication_failed\"} 3"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("edgeocr_collect_batches_rejected_total{reason=\"batch_replay\"} 1"), std::string::npos);
  EXPECT_NE(read_text(log("collector")).find("refused batch=batch-a2"), std::string::npos);

  // The edge refuses a collector whose certificate its sync.ca does not sign.
  Edge edge = make_edge("shop-a", 10, "none");
  std::string text = read_text(edge.config);
  text.replace(text.find(suite->tls.ca_cert.string()), suite->tls.ca_cert.string().size(),
               suite->tls.other_ca_cert.string());
  std::ofstream(edge.config) << text;
  seed(edge, 3);
  EXPECT_EQ(sync_once(edge).exit_code, 1);
  EXPECT_NE(sync_status(edge)["last_error"].get<std::string>().find("certificate"), std::string::npos)
      << sync_status(edge).dump();
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records"), 1);
}

TEST_F(SyncE2E, MutualTlsRequiresTheClientCertificate) {
  auto collector = start_collector({}, {"--client-ca", suite->tls.ca_cert.string()});
  Edge without = make_edge("shop-mtls", 10);
  seed(without, 5);
  EXPECT_EQ(sync_once(without).exit_code, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records"), 0);
  std::ofstream(without.config, std::ios::app) << "client_cert = \"" << suite->tls.client_cert.string() << "\"\n"
                                               << "client_key = \"" << suite->tls.client_key.string() << "\"\n";
  ASSERT_EQ(sync_once(without, "sync2").exit_code, 0) << read_text(log("sync2"));
  expect_exactly_once("shop-mtls", 5);
}

TEST_F(SyncE2E, BackPressureTenThousandQueuedRecordsDrainInBoundedMemory) {
#ifdef EDGEOCR_SANITIZED
  GTEST_SKIP() << "memory bounds are checked by the normal build (ASan keeps freed memory in quarantine)";
#endif
  Edge edge = make_edge("shop-bulk", 200);
  constexpr int kRecords = 10000;
  constexpr int kPayload = 4000;  // ~40 MB of results queued while offline
  seed(edge, kRecords, 0, kPayload, 0, /*outbox_only=*/true);
  EXPECT_EQ(sync_status(edge)["pending"], kRecords);
  // Baseline: the same binary doing no work (libraries, TLS, SQLite).
  ExitInfo idle = run_process({kTestBin, "sync", "status", "--data-dir", edge.data_dir.string()}, log("idle"), 30s);
  auto collector = start_collector();
  ExitInfo drained = sync_once(edge);
  ASSERT_EQ(drained.exit_code, 0) << read_text(log("sync"));
  expect_exactly_once("shop-bulk", kRecords);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_batches"), kRecords / 200);
  long growth_kb = drained.max_rss_kb - idle.max_rss_kb;
  std::cout << "[ back-pressure ] sync peak RSS " << drained.max_rss_kb / 1024 << " MiB, idle " << idle.max_rss_kb / 1024
            << " MiB, queued payload " << (kRecords * static_cast<long>(kPayload)) / (1024 * 1024) << " MiB\n";
  // Batches are read 200 at a time: peak memory must stay far below the queued volume.
  EXPECT_LT(growth_kb, 32 * 1024) << "sync peak RSS grew by " << growth_kb / 1024 << " MiB";
}

TEST_F(SyncE2E, OversizeRecordIsDeadLetteredOthersArriveOnceAndRequeueDeliversIt) {
  // The collector takes at most 1 MiB per batch; record 12 carries a 1.5 MiB incompressible
  // "photo", so any batch holding it is refused with HTTP 413, and on its own too.
  auto collector = start_collector({}, {"--max-body-mb", "1"});
  Edge edge = make_edge("shop-big", 10, "full");
  auto big_image = work_->path() / "big.jpg";
  {
    std::mt19937 rng(42);
    std::string bytes(1536 * 1024, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    bytes[0] = static_cast<char>(0xFF);
    bytes[1] = static_cast<char>(0xD8);
    std::ofstream(big_image, std::ios::binary) << bytes;
  }
  seed(edge, 12, 0, 200, 4);
  seed_with(edge, 1, 12, {"--image-every", "1", "--image-file", big_image.string()});
  seed(edge, 17, 13, 200, 4);
  ASSERT_EQ(sync_status(edge)["pending"], 30);

  ExitInfo r = sync_once(edge);
  ASSERT_EQ(r.exit_code, 0) << read_text(log("sync")) << read_text(log("collector"));
  expect_exactly_once("shop-big", 29);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE record->'result'->>'number' = '12'"), 0);
  EXPECT_NE(read_text(log("sync")).find("dead-letter"), std::string::npos) << read_text(log("sync"));
  nlohmann::json status = sync_status(edge);
  EXPECT_EQ(status["pending"], 0) << status.dump();
  EXPECT_EQ(status["dead_letter"], 1) << status.dump();
  EXPECT_EQ(status["delivered_total"], 29);
  EXPECT_NE(shell(kTestBin + " sync status --data-dir '" + edge.data_dir.string() + "'").find("dead letter:        1"),
            std::string::npos);
  // The refused record is kept whole, with the refusal.
  EXPECT_EQ(edge_sql(edge, "SELECT http_status || ' ' || (instr(error, 'HTTP 413') > 0) || ' ' || "
                           "json_extract(payload_json, '$.result.number') || ' ' || (length(image_path) > 0) "
                           "FROM sync_dead_letter"),
            "413 1 12 1");
  // The serve /metrics gauges (same worker object serve uses).
  {
    SyncWorker worker(config_of(edge), edge.data_dir,
                      archive_database_file(edge.data_dir));
    auto gauges = worker.gauges();
    auto gauge = std::find_if(gauges.begin(), gauges.end(),
                              [](const auto& g) { return g.first == "edgeocr_sync_dead_letter_records"; });
    ASSERT_NE(gauge, gauges.end());
    EXPECT_EQ(gauge->second.second, 1.0);
  }

  // Head office raises its limit; the shop requeues the record and it is delivered, once.
  collector->signal(SIGTERM);
  ASSERT_TRUE(collector->wait(15s).exited);
  collector = start_collector({}, {"--max-body-mb", "8"});
  ASSERT_EQ(sync_command(edge, {"requeue"}, "requeue"), 0) << read_text(log("requeue"));
  EXPECT_NE(read_text(log("requeue")).find("requeued 1 "), std::string::npos) << read_text(log("requeue"));
  status = sync_status(edge);
  EXPECT_EQ(status["dead_letter"], 0);
  EXPECT_EQ(status["pending"], 1);
  ASSERT_EQ(sync_once(edge, "sync2").exit_code, 0) << read_text(log("sync2"));
  expect_exactly_once("shop-big", 30);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE record->'result'->>'number' = '12' "
                  "AND length(image) = 1572864 AND encode(sha256(image), 'hex') = record->>'image_sha256'"),
            1);
  EXPECT_EQ(sync_status(edge)["pending"], 0);
}

TEST_F(SyncE2E, BatchIdTakenByAnotherStoreIsRenamedAndDelivered) {
  make_store_key("shop-first");
  auto collector = start_collector();
  StoreKey first_key = load_key_file(keys_dir_ / "shop-first.key");
  std::string plaintext = nlohmann::json({{"store_id", "shop-first"},
                                          {"batch_id", "cloned-batch-id"},
                                          {"records", {{{"record_id", "first-1"}, {"record", {{"text", "x"}}}}}}})
                              .dump();
  ASSERT_EQ(post_batch(envelope_to_json(seal(first_key, "shop-first", "cloned-batch-id", plaintext))), 200);
  // Another shop's outbox holds a batch under the same id (e.g. a disk image cloned between shops).
  Edge edge = make_edge("shop-second", 10);
  seed(edge, 15);
  edge_sql(edge, "UPDATE sync_outbox SET batch_id = 'cloned-batch-id' WHERE seq IN "
                 "(SELECT seq FROM sync_outbox ORDER BY seq LIMIT 10)");
  ExitInfo r = sync_once(edge);
  ASSERT_EQ(r.exit_code, 0) << read_text(log("sync")) << read_text(log("collector"));
  expect_exactly_once("shop-second", 15);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_batches WHERE store_id = 'shop-second'"), 2);
  EXPECT_EQ(pg_value(pg(), "SELECT store_id FROM sync_batches WHERE batch_id = 'cloned-batch-id'"), "shop-first");
  EXPECT_NE(collector_metrics().find("edgeocr_collect_batches_rejected_total{reason=\"batch_replay\"} 1"),
            std::string::npos);
  EXPECT_EQ(sync_status(edge)["pending"], 0);
  EXPECT_EQ(sync_status(edge)["dead_letter"], 0);
}

TEST_F(SyncE2E, BackfillSendsRecordsArchivedBeforeSyncWasConfiguredExactlyOnce) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-backfill", 8);
  seed_with(edge, 25, 0, {"--without-sync"});  // serve without sync.url: no outbox rows
  EXPECT_EQ(sync_status(edge)["pending"], 0);
  ASSERT_EQ(sync_command(edge, {"backfill"}, "backfill1"), 0) << read_text(log("backfill1"));
  EXPECT_NE(read_text(log("backfill1")).find("enqueued 25 "), std::string::npos) << read_text(log("backfill1"));
  ASSERT_EQ(sync_command(edge, {"backfill"}, "backfill2"), 0);
  EXPECT_NE(read_text(log("backfill2")).find("enqueued 0 "), std::string::npos) << read_text(log("backfill2"));
  EXPECT_EQ(sync_status(edge)["pending"], 25);
  ASSERT_EQ(sync_once(edge, "sync2").exit_code, 0) << read_text(log("sync2"));
  expect_exactly_once("shop-backfill", 25);
  // Delivered records are remembered: nothing to backfill although the outbox is empty.
  ASSERT_EQ(sync_command(edge, {"backfill"}, "backfill3"), 0);
  EXPECT_NE(read_text(log("backfill3")).find("enqueued 0 "), std::string::npos) << read_text(log("backfill3"));

  // Sync configured now (records 25..29 go through the outbox hook), plus 30..34 archived by a
  // second instance still without sync: only those five are backfilled.
  seed(edge, 5, 25);
  seed_with(edge, 5, 30, {"--without-sync"});
  ASSERT_EQ(sync_command(edge, {"backfill", "--since", "2000-01-01"}, "backfill4"), 0);
  EXPECT_NE(read_text(log("backfill4")).find("enqueued 5 "), std::string::npos) << read_text(log("backfill4"));
  ASSERT_EQ(sync_command(edge, {"backfill", "--since", "2999-01-01"}, "backfill5"), 0);
  EXPECT_NE(read_text(log("backfill5")).find("enqueued 0 "), std::string::npos) << read_text(log("backfill5"));
  EXPECT_EQ(sync_command(edge, {"backfill", "--since", "01/02/2026"}, "backfill6"), 1);
  EXPECT_NE(read_text(log("backfill6")).find("YYYY-MM-DD"), std::string::npos) << read_text(log("backfill6"));
  ASSERT_EQ(sync_once(edge, "sync3").exit_code, 0) << read_text(log("sync3"));
  expect_exactly_once("shop-backfill", 35);
  // Without the explicit command: `sync --once` back-fills what was archived while sync was off.
  seed_with(edge, 4, 35, {"--without-sync"});
  ASSERT_EQ(sync_once(edge, "sync4").exit_code, 0) << read_text(log("sync4"));
  EXPECT_NE(read_text(log("sync4")).find("enqueued 4 archived records"), std::string::npos) << read_text(log("sync4"));
  expect_exactly_once("shop-backfill", 39);
  std::string metrics = collector_metrics();
  EXPECT_NE(metrics.find("edgeocr_collect_records_duplicate_total 0"), std::string::npos) << metrics;
  EXPECT_EQ(sync_status(edge)["pending"], 0);
}


TEST_F(SyncE2E, OneSenderPerDataFolderTheSecondSaysSoAndDoesNotSend) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-lock", 10);
  seed(edge, 30);
  SyncWorker first(config_of(edge), edge.data_dir, archive_database_file(edge.data_dir));
  first.start();
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && !first.sending()) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(first.sending());
  // A cron `sync --once` beside the running worker: refused, with the reason.
  ExitInfo second = sync_once(edge, "second");
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(read_text(log("second")).find("already sends from"), std::string::npos) << read_text(log("second"));
  EXPECT_EQ(read_text(log("second")).find("delivered"), std::string::npos);
  // A second worker (another serve on the same folder) waits instead of sending.
  SyncWorker third(config_of(edge), edge.data_dir, archive_database_file(edge.data_dir));
  third.start();
  std::this_thread::sleep_for(600ms);
  EXPECT_FALSE(third.sending());
  deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && sync_status(edge)["pending"] != 0) std::this_thread::sleep_for(100ms);
  first.stop();
  // Once the first is gone the waiting one takes over.
  deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && !third.sending()) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(third.sending());
  seed(edge, 5, 30);
  deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && sync_status(edge)["pending"] != 0) std::this_thread::sleep_for(100ms);
  third.stop();
  expect_exactly_once("shop-lock", 35);
  EXPECT_EQ(sync_status(edge)["delivered_total"], 35);  // counted once, not per syncer
  EXPECT_NE(collector_metrics().find("edgeocr_collect_records_duplicate_total 0"), std::string::npos);
}

TEST_F(SyncE2E, WorkerWaitsAsLongAsTheCollectorsRetryAfterAsks) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-retry-after", 10);  // interval 0.2 s, max_backoff 1 s
  seed(edge, 3);
  // A database failure at head office: the collector answers 503 with Retry-After: 5.
  pg_query(pg(), "ALTER TABLE sync_batches RENAME TO sync_batches_away");
  SyncWorker worker(config_of(edge), edge.data_dir, archive_database_file(edge.data_dir));
  worker.start();
  std::this_thread::sleep_for(3500ms);
  const std::string metrics = collector_metrics();
  worker.stop();
  // Without Retry-After the 1 s backoff cap would have allowed several attempts by now.
  EXPECT_NE(metrics.find("edgeocr_collect_batches_rejected_total{reason=\"database_unavailable\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(sync_status(edge)["pending"], 3);
  SyncConfig config;
  config.max_backoff_s = 1;
  EXPECT_GE(retry_delay_s(1, config, 5), 5.0);
  EXPECT_LE(retry_delay_s(1, config, 0), 1.0);
}

TEST_F(SyncE2E, RetentionPrunesOnlyDeliveredRecordsWhileSyncIsOn) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-retention", 10, "none", "[retention]\nrecords_days = 30\nimages_days = 7\n");
  seed(edge, 3, 0, 200, 1);
  ASSERT_EQ(sync_once(edge).exit_code, 0) << read_text(log("sync"));
  seed(edge, 3, 3, 200, 1);  // not delivered yet
  edge_sql(edge, "UPDATE records SET created_at = '2001-01-01T00:00:00.000Z'");
  std::vector<std::string> prune = {kTestBin, "archive", "prune", "--data-dir", edge.data_dir.string(), "--config",
                                    edge.config.string()};
  ExitInfo r = run_process(prune, log("prune1"), 60s);
  ASSERT_EQ(r.exit_code, 0) << read_text(log("prune1"));
  EXPECT_NE(read_text(log("prune1")).find("pruned 3 records"), std::string::npos) << read_text(log("prune1"));
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM records"), "3");
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM records WHERE image_sha256 != ''"), "3");  // held with their images
  ASSERT_EQ(sync_once(edge, "sync2").exit_code, 0) << read_text(log("sync2"));
  ASSERT_EQ(run_process(prune, log("prune2"), 60s).exit_code, 0);
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM records"), "0");
  int image_files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(edge.data_dir / "images"))
    image_files += entry.is_regular_file() ? 1 : 0;
  EXPECT_EQ(image_files, 0);
  // Retention frees space at the shop only: head office keeps its copies.
  expect_exactly_once("shop-retention", 6);
}
}  // namespace
}  // namespace edgeocr::sync::testing

// The serve integration, wired as `edgeocr serve` wires it when sync.url is set: the archive gets
// the outbox migration + hook, the worker runs beside the server, its gauges are on /metrics.
#include <opencv2/imgcodecs.hpp>

#include "engine/engine.h"
#include "serve/server.h"
#include "serve/engine_factory.h"
#include "sync/archive_link.h"
#include "sync/sync_client.h"

namespace edgeocr::sync::testing {
namespace {

class FakeEngine : public engine::OcrEngine {
 public:
  engine::OcrResponse recognize(const engine::OcrRequest&) override {
    engine::OcrResponse out;
    out.text = "FAKE RECEIPT 42.00";
    return out;
  }
};


// POSTs one image to the running server and returns the record id.
std::string post_receipt(httplib::Client& client, int shade) {
  cv::Mat image(64, 80, CV_8UC3, cv::Scalar(shade, 120, 40));
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", image, jpeg);
  httplib::MultipartFormDataItems files = {{"file", std::string(jpeg.begin(), jpeg.end()), "r.jpg", "image/jpeg"}};
  auto res = client.Post("/v1/ocr", files);
  if (!res || res->status != 200) return "";
  return nlohmann::json::parse(res->body).value("record_id", "");
}

TEST_F(SyncE2E, DeletingARecordStopsItsPendingSendAndDeletesTheDeliveredCopyAtHeadOfficeOnce) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-delete", 50, "full");
  serve::ServerOptions options;
  options.port = 0;
  options.engine_factory = [] { return std::make_unique<FakeEngine>(); };
  options.archive.data_dir = edge.data_dir;
  add_outbox_to(options.archive);
  serve::Server server(std::move(options));
  const int port = server.bind();
  std::thread serving([&server] { server.run(); });
  auto worker = std::make_unique<SyncWorker>(config_of(edge), edge.data_dir,
                                             archive_database_file(edge.data_dir));
  worker->start();
  httplib::Client client("127.0.0.1", port);
  const std::string delivered = post_receipt(client, 10);
  const std::string kept = post_receipt(client, 20);
  ASSERT_FALSE(delivered.empty());
  ASSERT_FALSE(kept.empty());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && sync_status(edge)["delivered_total"] != 2)
    std::this_thread::sleep_for(100ms);
  ASSERT_EQ(count("SELECT COUNT(*) FROM sync_records"), 2);

  // Head office is down: a new record waits in the outbox, then both deletions happen.
  collector.reset();
  const std::string pending = post_receipt(client, 30);
  ASSERT_FALSE(pending.empty());
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM sync_outbox WHERE record_id = '" + pending + "'"), "1");
  for (const std::string& id : {pending, delivered}) {
    auto res = client.Delete(("/v1/records/" + id).c_str());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
  }
  // The pending send is gone with the record (same transaction); the delivered one has a tombstone.
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM sync_outbox WHERE record_id = '" + pending + "'"), "0");
  EXPECT_EQ(edge_sql(edge, "SELECT kind FROM sync_outbox WHERE record_id = '" + delivered + "'"), "tombstone");
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM sync_outbox"), "1");

  collector = start_collector();
  deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && sync_status(edge)["pending"] != 0)
    std::this_thread::sleep_for(100ms);
  worker.reset();
  server.stop();
  serving.join();
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE store_id = 'shop-delete'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE record_id = '" + kept + "'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE record_id IN ('" + pending + "', '" + delivered + "')"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_tombstones WHERE store_id = 'shop-delete' AND record_id = '" +
                  delivered + "'"),
            1);
  EXPECT_EQ(sync_status(edge)["delivered_total"], 2) << "a deletion is not a delivered record";

  // Exactly once: the same tombstone again, and a stale copy of the record (an old batch re-sent),
  // change nothing at head office.
  edge_sql(edge, "INSERT INTO sync_outbox(record_id, created_at, enqueued_unix_ms, payload, kind) VALUES ('" +
                     delivered + "', '2026-01-01T00:00:00.000Z', 0, '{}', 'tombstone')");
  ASSERT_EQ(sync_once(edge, "replay1").exit_code, 0) << read_text(log("replay1"));
  edge_sql(edge, "INSERT INTO sync_outbox(record_id, created_at, enqueued_unix_ms, payload) VALUES ('" + delivered +
                     "', '2026-01-01T00:00:00.000Z', 0, '{\"text\":\"stale\"}')");
  ASSERT_EQ(sync_once(edge, "replay2").exit_code, 0) << read_text(log("replay2"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE record_id = '" + delivered + "'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_tombstones"), 1);
  const std::string metrics = collector_metrics();  // counted since the collector restarted
  EXPECT_NE(metrics.find("edgeocr_collect_tombstones_applied_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("edgeocr_collect_records_deleted_total 1\n"), std::string::npos) << metrics;
}

TEST_F(SyncE2E, ServeAppliesRetentionAtStartButNeverToWhatHeadOfficeHasNotAcknowledged) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-serve-retention", 10);
  seed(edge, 3, 0, 200, 1);
  ASSERT_EQ(sync_once(edge).exit_code, 0) << read_text(log("sync"));
  seed(edge, 3, 3, 200, 1);  // still in the outbox
  const std::string delivered = "id IN (SELECT record_id FROM sync_delivered)";
  ASSERT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM records WHERE " + delivered), "3");
  // Everything is old enough for both limits, except two delivered records only past images_days.
  edge_sql(edge, "UPDATE records SET created_at = '2001-01-01T00:00:00.000Z'");
  edge_sql(edge, "UPDATE records SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 days') WHERE seq IN "
                 "(SELECT seq FROM records WHERE " + delivered + " ORDER BY seq DESC LIMIT 2)");
  serve::ServerOptions options;
  options.port = 0;
  options.engine_factory = [] { return std::make_unique<FakeEngine>(); };
  options.archive.data_dir = edge.data_dir;
  add_outbox_to(options.archive);
  options.retention = {7, 30};  // images_days, records_days
  serve::Server server(std::move(options));
  server.bind();
  std::thread serving([&server] { server.run(); });
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && edge_sql(edge, "SELECT COUNT(*) FROM records") != "5")
    std::this_thread::sleep_for(100ms);
  server.stop();
  serving.join();
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM records"), "5");
  // The two recent delivered records lost their images; the undelivered three kept theirs.
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM records WHERE " + delivered + " AND image_sha256 = ''"), "2");
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM records WHERE NOT " + delivered + " AND image_sha256 != ''"), "3");
  EXPECT_EQ(edge_sql(edge, "SELECT COUNT(*) FROM sync_outbox"), "3");
}

TEST_F(SyncE2E, ServeAcceptsEverySyncKeyThatSyncOnceAccepts) {
  Edge edge = make_edge("shop-keys", 10, "none", "batch_bytes = 65536\n[retention]\nimages_days = 7\n");
  const std::string config = edge.config.string();
  const settings::Settings settings =
      settings::resolve(serve::serve_specs(), {{"config", config}}, [](const char*) -> const char* { return nullptr; });
  const SyncConfig config_from_serve = SyncConfig::from_settings(settings);
  EXPECT_EQ(config_from_serve.max_backoff_s, 1);
  EXPECT_EQ(config_from_serve.timeout_s, 5);
  EXPECT_EQ(config_from_serve.batch_bytes, 65536);
  EXPECT_EQ(settings.get_double("retention.images_days"), 7);
}

TEST_F(SyncE2E, ServeArchivesEachRecordWithItsOutboxRowAndItsWorkerDeliversIt) {
  auto collector = start_collector();
  Edge edge = make_edge("shop-serve", 50, "full");
  seed_with(edge, 3, 100, {"--without-sync"});  // archived while sync was off
  serve::ServerOptions options;
  options.port = 0;
  options.engine_factory = [] { return std::make_unique<FakeEngine>(); };
  options.archive.data_dir = edge.data_dir;
  add_outbox_to(options.archive);
  SyncWorker worker(config_of(edge), edge.data_dir,
                    archive_database_file(edge.data_dir));
  options.extra_gauges = [&worker] { return worker.gauges(); };
  serve::Server server(std::move(options));
  const int port = server.bind();
  std::thread serving([&server] { server.run(); });
  worker.start();

  httplib::Client client("127.0.0.1", port);
  for (int i = 0; i < 5; ++i) {
    cv::Mat image(64, 64 + i, CV_8UC3, cv::Scalar(200, 100 + i, 50));
    std::vector<uint8_t> jpeg;
    cv::imencode(".jpg", image, jpeg);
    httplib::MultipartFormDataItems files = {
        {"file", std::string(jpeg.begin(), jpeg.end()), "image.jpg", "image/jpeg"}};
    auto res = client.Post("/ocr", files);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && count("SELECT COUNT(*) FROM sync_records") < 8) {
    std::this_thread::sleep_for(100ms);
  }
  // The outbox row is deleted only after the acknowledgement, which can trail the collector's
  // commit: wait for the gauge rather than sampling it once.
  std::string metrics;
  deadline = std::chrono::steady_clock::now() + 20s;
  do {
    if (auto res = client.Get("/metrics")) metrics = res->body;
    if (metrics.find("edgeocr_sync_pending_records 0") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  server.stop();
  serving.join();
  worker.stop();

  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE store_id = 'shop-serve' "
                  "AND record->'result'->>'text' = 'FAKE RECEIPT 42.00' "
                  "AND encode(sha256(image), 'hex') = record->>'image_sha256'"),
            5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sync_records WHERE store_id = 'shop-serve'"), 8);  // + the back-filled 3
  EXPECT_NE(metrics.find("edgeocr_sync_pending_records 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("edgeocr_sync_last_success_timestamp_seconds"), std::string::npos);
  EXPECT_NE(metrics.find("edgeocr_sync_oldest_pending_age_seconds"), std::string::npos);
  EXPECT_NE(metrics.find("edgeocr_sync_last_push_failed 0"), std::string::npos);
}

}  // namespace
}  // namespace edgeocr::sync::testing
