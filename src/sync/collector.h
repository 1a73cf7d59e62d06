// Head-office collector: receives sealed batches over HTTPS, checks and decrypts them with the
// store's key, and writes the records into PostgreSQL idempotently (primary key store id +
// record id). A batch is acknowledged only after its PostgreSQL transaction committed.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

namespace edgeocr::sync {

// Calls at the collector's critical points, for tests that inject faults there (a delay that
// makes a sync observable mid-way, a crash between a batch's COMMIT and its acknowledgement).
// The product sets none.
struct CollectorHooks {
  std::function<void()> before_batch;  // a batch arrived, before it is read
  std::function<void()> after_commit;  // its PostgreSQL transaction committed, before the reply
};

struct CollectorOptions {
  std::string host = "127.0.0.1";
  int port = 9443;
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;               // optional: require client certificates signed by this CA
  std::filesystem::path keys_dir;      // <store_id>.key (key id = fingerprint) or <store_id>.<key_id>.key
  std::string pg;                      // libpq connection string or URI
  size_t max_body_bytes = 256u << 20;  // a batch of full images can be large
  CollectorHooks hooks;
};

// Parses "host:port" ("[::1]:9443" too). Throws std::invalid_argument.
void parse_listen_address(const std::string& text, std::string& host, int& port);

// Creates or migrates the collector's schema. Throws std::runtime_error with libpq's message.
void migrate_collector_schema(const std::string& pg_connection);

// Runs until SIGTERM/SIGINT. Returns the process exit code.
int run_collector(const CollectorOptions& options);

}  // namespace edgeocr::sync
