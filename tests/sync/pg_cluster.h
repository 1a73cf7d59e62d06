// A throwaway PostgreSQL cluster for tests: initdb into a temp dir, postgres on a free loopback
// port (unix socket in the temp dir), stopped and removed at the end.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace edgeocr::sync::testing {

class PgCluster {
 public:
  // Empty when the server binaries are installed, otherwise why not (for GTEST_SKIP).
  static std::string unavailable_reason();
  PgCluster();   // throws std::runtime_error with the server log on failure
  ~PgCluster();  // pg_ctl stop -m immediate, remove the folder
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  std::string conninfo(const std::string& database = "postgres") const;
  void create_database(const std::string& name);
  int port() const { return port_; }

 private:
  std::string as_owner(const std::string& command) const;
  std::filesystem::path dir_;
  int port_ = 0;
  bool started_ = false;
};

// Runs `sql` and returns the rows (text values; NULL as "<null>"). Throws on error.
std::vector<std::vector<std::string>> pg_query(const std::string& conninfo, const std::string& sql);
// Single value of a single-row query.
std::string pg_value(const std::string& conninfo, const std::string& sql);

}  // namespace edgeocr::sync::testing
