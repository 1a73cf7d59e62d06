#include "sync/collector.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <httplib.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/prometheus.h"
#include "sync/envelope.h"

namespace edgeocr::sync {
namespace {

// ---- libpq RAII ----
struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConn = std::unique_ptr<PGconn, ConnDeleter>;
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

class PgError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

PgConn connect(const std::string& conninfo) {
  PgConn conn(PQconnectdb(conninfo.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    throw PgError(std::string("cannot connect to PostgreSQL: ") + (conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  PgResult quiet(PQexec(conn.get(), "SET client_min_messages = warning"));
  return conn;
}

PgResult exec(PGconn* conn, const std::string& sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  PgResult result(params.empty() ? PQexec(conn, sql.c_str())
                                 : PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                                values.data(), nullptr, nullptr, 0));
  auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw PgError("PostgreSQL: " + message);
  }
  return result;
}

// Versioned migrations; each runs once, in order, inside one transaction holding an advisory lock
// so that several collectors starting together do not race.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> list = {
      // 1: records and batches
      "CREATE TABLE sync_records ("
      "  store_id text NOT NULL,"
      "  record_id text NOT NULL,"
      "  created_at timestamptz,"
      "  received_at timestamptz NOT NULL DEFAULT now(),"
      "  batch_id text NOT NULL,"
      "  record jsonb NOT NULL,"
      "  image_kind text,"
      "  image_content_type text,"
      "  image bytea,"
      "  PRIMARY KEY (store_id, record_id));"
      "CREATE INDEX sync_records_created ON sync_records (store_id, created_at);"
      "CREATE TABLE sync_batches ("
      "  batch_id text PRIMARY KEY,"
      "  store_id text NOT NULL,"
      "  key_id text NOT NULL,"
      "  record_count integer NOT NULL,"
      "  received_at timestamptz NOT NULL DEFAULT now());",
      // 2: images are already compressed (JPEG/PNG): store them out of line without pglz.
      "ALTER TABLE sync_records ALTER COLUMN image SET STORAGE EXTERNAL;",
      // 3: records deleted at the shop. A tombstone is applied once (its row is the proof) and
      // keeps a late copy of the record (an older batch re-sent) from coming back.
      "CREATE TABLE sync_tombstones ("
      "  store_id text NOT NULL,"
      "  record_id text NOT NULL,"
      "  deleted_at timestamptz,"
      "  received_at timestamptz NOT NULL DEFAULT now(),"
      "  batch_id text NOT NULL,"
      "  PRIMARY KEY (store_id, record_id));",
  };
  return list;
}

// Pool of connections shared by the HTTP worker threads.
class PgPool {
 public:
  explicit PgPool(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  class Lease {
   public:
    Lease(PgPool& pool, PgConn conn) : pool_(pool), conn_(std::move(conn)) {}
    ~Lease() {
      if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) {
        std::lock_guard lock(pool_.mutex_);
        pool_.idle_.push_back(std::move(conn_));
      }
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    PGconn* get() const { return conn_.get(); }

   private:
    PgPool& pool_;
    PgConn conn_;
  };
  Lease acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        PgConn conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(conn));
      }
    }
    return Lease(*this, connect(conninfo_));
  }

 private:
  std::string conninfo_;
  std::mutex mutex_;
  std::vector<PgConn> idle_;
};

struct Counters {
  std::atomic<int64_t> batches_accepted{0};
  std::atomic<int64_t> batches_duplicate{0};
  std::atomic<int64_t> records_stored{0};
  std::atomic<int64_t> records_duplicate{0};
  std::atomic<int64_t> records_deleted{0};     // tombstones that deleted a stored record
  std::atomic<int64_t> tombstones_applied{0};  // tombstones recorded (a replayed one is not)
  std::atomic<int64_t> bytes_received{0};
  std::mutex mutex;
  std::map<std::string, int64_t> rejected;  // by reason
};

struct Rejection {
  int status;
  std::string reason;   // metric label
  std::string message;  // returned to the client and logged
};

void reply_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void reject(httplib::Response& res, Counters& counters, const Rejection& r, const std::string& remote,
            const std::string& store_id, const std::string& batch_id) {
  {
    std::lock_guard lock(counters.mutex);
    ++counters.rejected[r.reason];
  }
  spdlog::warn("collect: refused batch={} store={} from={} status={} reason={}: {}", batch_id.empty() ? "-" : batch_id,
               store_id.empty() ? "-" : store_id, remote, r.status, r.reason, r.message);
  reply_json(res, r.status, {{"error", {{"code", r.reason}, {"message", r.message}}}});
}

// Finds the key for (store, key id): <store>.<key_id>.key, or <store>.key whose fingerprint is key_id.
// Read per request so that adding or rotating a shop's key needs no restart.
std::optional<StoreKey> find_key(const std::filesystem::path& dir, const std::string& store_id,
                                 const std::string& key_id) {
  if (!valid_store_id(key_id)) return std::nullopt;
  std::filesystem::path named = dir / (store_id + "." + key_id + ".key");
  std::error_code ec;
  if (std::filesystem::exists(named, ec)) {
    StoreKey key = load_key_file(named);
    key.key_id = key_id;
    return key;
  }
  std::filesystem::path plain = dir / (store_id + ".key");
  if (std::filesystem::exists(plain, ec)) {
    StoreKey key = load_key_file(plain);
    if (key.key_id == key_id) return key;
  }
  return std::nullopt;
}

bool looks_like_timestamp(const std::string& text) {
  static const std::regex pattern(R"(^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$)");
  return std::regex_match(text, pattern);
}

class Collector {
 public:
  explicit Collector(const CollectorOptions& options) : options_(options), pool_(options.pg) {}

  void handle_batch(const httplib::Request& req, httplib::Response& res) {
    auto started = std::chrono::steady_clock::now();
    counters_.bytes_received += static_cast<int64_t>(req.body.size());
    if (options_.hooks.before_batch) options_.hooks.before_batch();
    Envelope env;
    try {
      env = envelope_from_json(req.body);
    } catch (const EnvelopeError& e) {
      return reject(res, counters_, {400, "malformed_envelope", e.what()}, req.remote_addr, "", "");
    }
    std::optional<StoreKey> key;
    try {
      key = find_key(options_.keys_dir, env.store_id, env.key_id);
    } catch (const std::exception& e) {
      spdlog::error("collect: key for store {}: {}", env.store_id, e.what());
      return reject(res, counters_, {500, "key_error", "the collector cannot read this store's key"}, req.remote_addr,
                    env.store_id, env.batch_id);
    }
    if (!key) {
      return reject(res, counters_, {403, "unknown_key", "no key '" + env.key_id + "' for store '" + env.store_id + "'"},
                    req.remote_addr, env.store_id, env.batch_id);
    }
    nlohmann::json plain;
    try {
      std::string opened = open(*key, env);
      if (env.encoding == "zlib+json") opened = inflate_bytes(opened, 4 * options_.max_body_bytes);
      plain = nlohmann::json::parse(opened, nullptr, false);
    } catch (const EnvelopeError& e) {
      return reject(res, counters_, {422, "authentication_failed", e.what()}, req.remote_addr, env.store_id,
                    env.batch_id);
    }
    if (plain.is_discarded() || !plain.is_object() || plain.value("store_id", std::string()) != env.store_id ||
        plain.value("batch_id", std::string()) != env.batch_id || !plain.contains("records") ||
        !plain["records"].is_array()) {
      return reject(res, counters_, {422, "bad_payload", "decrypted payload does not match the envelope"},
                    req.remote_addr, env.store_id, env.batch_id);
    }
    // Flatten for jsonb_to_recordset: one INSERT for the whole batch.
    nlohmann::json rows = nlohmann::json::array();
    nlohmann::json tombstones = nlohmann::json::array();
    for (const auto& r : plain["records"]) {
      if (!r.is_object() || !r.contains("record_id") || !r["record_id"].is_string() ||
          r["record_id"].get<std::string>().empty()) {
        return reject(res, counters_, {422, "bad_payload", "a record lacks its record_id"}, req.remote_addr,
                      env.store_id, env.batch_id);
      }
      if (r.contains("deleted") && r["deleted"] == true) {
        nlohmann::json tombstone = {{"record_id", r["record_id"]}};
        std::string deleted = r.value("deleted_at", std::string());
        if (looks_like_timestamp(deleted)) tombstone["deleted_at"] = deleted;
        tombstones.push_back(std::move(tombstone));
        continue;
      }
      nlohmann::json row = {{"record_id", r["record_id"]}, {"record", r.value("record", nlohmann::json::object())}};
      std::string created = r.value("created_at", std::string());
      if (looks_like_timestamp(created)) row["created_at"] = created;
      if (r.contains("image") && r["image"].is_object()) {
        row["image_kind"] = r["image"].value("kind", std::string());
        row["image_content_type"] = r["image"].value("content_type", std::string());
        row["image_b64"] = r["image"].value("data", std::string());
      }
      rows.push_back(std::move(row));
    }
    const int64_t total = static_cast<int64_t>(rows.size());
    int64_t stored = 0, tombstones_applied = 0, records_deleted = 0;
    try {
      auto lease = pool_.acquire();
      PGconn* conn = lease.get();
      exec(conn, "BEGIN");
      try {
        exec(conn,
             "INSERT INTO sync_batches(batch_id, store_id, key_id, record_count) VALUES($1, $2, $3, $4) "
             "ON CONFLICT (batch_id) DO NOTHING",
             {env.batch_id, env.store_id, env.key_id, std::to_string(total)});
        auto owner = exec(conn, "SELECT store_id FROM sync_batches WHERE batch_id = $1", {env.batch_id});
        std::string owner_store = PQntuples(owner.get()) == 1 ? PQgetvalue(owner.get(), 0, 0) : "";
        if (owner_store != env.store_id) {
          exec(conn, "ROLLBACK");
          return reject(res, counters_,
                        {409, "batch_replay", "batch id already delivered by another store; replay refused"},
                        req.remote_addr, env.store_id, env.batch_id);
        }
        auto inserted = exec(conn,
                             "INSERT INTO sync_records(store_id, record_id, created_at, batch_id, record, image_kind, "
                             "image_content_type, image) "
                             "SELECT $1, r.record_id, r.created_at::timestamptz, $2, r.record, NULLIF(r.image_kind, ''), "
                             "NULLIF(r.image_content_type, ''), decode(NULLIF(r.image_b64, ''), 'base64') "
                             "FROM jsonb_to_recordset($3::jsonb) AS r(record_id text, created_at text, record jsonb, "
                             "image_kind text, image_content_type text, image_b64 text) "
                             "WHERE NOT EXISTS (SELECT 1 FROM sync_tombstones t WHERE t.store_id = $1 "
                             "AND t.record_id = r.record_id) "
                             "ON CONFLICT (store_id, record_id) DO NOTHING",
                             {env.store_id, env.batch_id, rows.dump()});
        stored = std::atoll(PQcmdTuples(inserted.get()));
        if (!tombstones.empty()) {
          // Only a tombstone recorded now deletes: a replayed batch finds it and changes nothing.
          auto applied = exec(conn,
                              "WITH fresh AS ("
                              "  INSERT INTO sync_tombstones(store_id, record_id, deleted_at, batch_id) "
                              "  SELECT $1, t.record_id, t.deleted_at::timestamptz, $2 "
                              "  FROM jsonb_to_recordset($3::jsonb) AS t(record_id text, deleted_at text) "
                              "  ON CONFLICT (store_id, record_id) DO NOTHING RETURNING record_id), "
                              "gone AS (DELETE FROM sync_records s USING fresh "
                              "  WHERE s.store_id = $1 AND s.record_id = fresh.record_id RETURNING 1) "
                              "SELECT (SELECT COUNT(*) FROM fresh), (SELECT COUNT(*) FROM gone)",
                              {env.store_id, env.batch_id, tombstones.dump()});
          tombstones_applied = std::atoll(PQgetvalue(applied.get(), 0, 0));
          records_deleted = std::atoll(PQgetvalue(applied.get(), 0, 1));
        }
        exec(conn, "COMMIT");
      } catch (...) {
        PgResult rollback(PQexec(conn, "ROLLBACK"));
        throw;
      }
    } catch (const PgError& e) {
      spdlog::error("collect: batch={} store={}: {}", env.batch_id, env.store_id, e.what());
      res.set_header("Retry-After", "5");
      {
        std::lock_guard lock(counters_.mutex);
        ++counters_.rejected["database_unavailable"];
      }
      return reply_json(res, 503, {{"error", {{"code", "database_unavailable"}, {"message", "database error; retry later"}}}});
    }
    if (options_.hooks.after_commit) options_.hooks.after_commit();
    ++counters_.batches_accepted;
    if (stored == 0 && total > 0) ++counters_.batches_duplicate;
    counters_.records_stored += stored;
    counters_.records_duplicate += total - stored;
    counters_.tombstones_applied += tombstones_applied;
    counters_.records_deleted += records_deleted;
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("collect: accepted batch={} store={} records={} stored={} duplicates={} tombstones={} deleted={} "
                 "bytes={} ms={:.1f}",
                 env.batch_id, env.store_id, total, stored, total - stored, tombstones.size(), records_deleted,
                 req.body.size(), ms);
    reply_json(res, 200,
               {{"ack", env.batch_id}, {"stored", stored}, {"duplicates", total - stored}, {"deleted", records_deleted}});
  }

  std::string metrics() {
    common::PrometheusText out;
    const auto counter = [&out](const char* name, const char* help, int64_t value) {
      out.counter(name, help, static_cast<double>(value));
    };
    counter("edgeocr_collect_batches_accepted_total", "Batches stored and acknowledged.", counters_.batches_accepted);
    counter("edgeocr_collect_batches_duplicate_total", "Batches received again (acknowledged, nothing stored).",
            counters_.batches_duplicate);
    counter("edgeocr_collect_records_stored_total", "Records stored.", counters_.records_stored);
    counter("edgeocr_collect_records_duplicate_total", "Records received again (not stored twice).",
            counters_.records_duplicate);
    counter("edgeocr_collect_tombstones_applied_total", "Deletions received from the shops.",
            counters_.tombstones_applied);
    counter("edgeocr_collect_records_deleted_total", "Stored records deleted by a tombstone.", counters_.records_deleted);
    counter("edgeocr_collect_received_bytes_total", "Request body bytes received.", counters_.bytes_received);
    std::lock_guard lock(counters_.mutex);
    for (const auto& [reason, count] : counters_.rejected)
      out.counter("edgeocr_collect_batches_rejected_total", "Batches refused, by reason.", static_cast<double>(count),
                  {{"reason", reason}});
    return out.str();
  }

 private:
  CollectorOptions options_;
  PgPool pool_;
  Counters counters_;
};

}  // namespace

void parse_listen_address(const std::string& text, std::string& host, int& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw std::invalid_argument("--listen must be host:port (got '" + text + "')");
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port < 1 || port > 65535) throw std::invalid_argument("range");
  } catch (const std::exception&) {
    throw std::invalid_argument("--listen has a bad port (got '" + text + "')");
  }
}

void migrate_collector_schema(const std::string& pg_connection) {
  PgConn conn = connect(pg_connection);
  exec(conn.get(), "BEGIN");
  exec(conn.get(), "SELECT pg_advisory_xact_lock(7166937001)");
  exec(conn.get(),
       "CREATE TABLE IF NOT EXISTS edgeocr_collector_schema (version integer PRIMARY KEY, "
       "applied_at timestamptz NOT NULL DEFAULT now())");
  auto current = exec(conn.get(), "SELECT COALESCE(MAX(version), 0) FROM edgeocr_collector_schema");
  int version = std::atoi(PQgetvalue(current.get(), 0, 0));
  const auto& list = migrations();
  if (version > static_cast<int>(list.size())) {
    throw PgError("database schema version " + std::to_string(version) + " is newer than this collector (" +
                  std::to_string(list.size()) + ")");
  }
  for (size_t i = static_cast<size_t>(version); i < list.size(); ++i) {
    exec(conn.get(), list[i]);
    exec(conn.get(), "INSERT INTO edgeocr_collector_schema(version) VALUES($1)", {std::to_string(i + 1)});
    spdlog::info("collect: applied schema migration {}", i + 1);
  }
  exec(conn.get(), "COMMIT");
}

int run_collector(const CollectorOptions& options) {
  if (options.tls_cert.empty() || options.tls_key.empty()) {
    throw std::invalid_argument("--tls-cert and --tls-key are required (batches travel over HTTPS only)");
  }
  if (!std::filesystem::is_directory(options.keys_dir)) {
    throw std::invalid_argument("--keys must be a directory of <store_id>.key files: " + options.keys_dir.string());
  }
  migrate_collector_schema(options.pg);

  // SIGTERM/SIGINT are taken by a watcher thread (sigwait) that stops the server cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR2);  // internal: wakes the watcher when the server stops by itself
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<httplib::SSLServer> server;
  if (options.client_ca.empty()) {
    server = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
  } else {
    server = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str(),
                                                  options.client_ca.c_str());
  }
  if (!server->is_valid()) throw std::invalid_argument("cannot load --tls-cert/--tls-key (or --client-ca)");
  server->set_payload_max_length(options.max_body_bytes);
  server->set_read_timeout(30, 0);
  server->set_write_timeout(30, 0);

  Collector collector(options);
  server->Post("/v1/sync/batches", [&](const httplib::Request& req, httplib::Response& res) {
    collector.handle_batch(req, res);
  });
  server->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  server->Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(collector.metrics(), "text/plain; version=0.0.4");
  });

  if (!server->bind_to_port(options.host, options.port)) {
    throw std::runtime_error("cannot listen on " + options.host + ":" + std::to_string(options.port));
  }
  std::thread watcher([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    if (signal_number != SIGUSR2) spdlog::info("collect: signal {}, shutting down", signal_number);
    server->stop();
  });
  spdlog::info("collect: listening on https://{}:{} (keys {})", options.host, options.port, options.keys_dir.string());
  bool ok = server->listen_after_bind();
  pthread_kill(watcher.native_handle(), SIGUSR2);
  watcher.join();
  return ok ? 0 : 1;
}

}  // namespace edgeocr::sync
