#include "pg_cluster.h"

#include <pwd.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

#include <libpq-fe.h>

#include "process_util.h"

namespace edgeocr::sync::testing {
namespace {

const std::filesystem::path kPgBin = "/usr/lib/postgresql/15/bin";

}  // namespace

std::string PgCluster::unavailable_reason() {
  for (const char* tool : {"initdb", "pg_ctl", "postgres"}) {
    if (!std::filesystem::exists(kPgBin / tool)) {
      return "PostgreSQL server binaries not found in " + kPgBin.string() + " (apt-get install postgresql)";
    }
  }
  if (::geteuid() == 0 && !::getpwnam("postgres")) {
    return "running as root and there is no 'postgres' user to run initdb as";
  }
  return "";
}

std::string PgCluster::as_owner(const std::string& command) const {
  // initdb/postgres refuse to run as root: use Debian's postgres user then.
  if (::geteuid() == 0) return "runuser -u postgres -- " + command;
  return command;
}

PgCluster::PgCluster() {
  char pattern[] = "/tmp/edgeocr-pg-XXXXXX";
  if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  if (::geteuid() == 0) {
    passwd* pw = ::getpwnam("postgres");
    if (!pw || ::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown to postgres");
  }
  std::string d = dir_.string();
  shell(as_owner((kPgBin / "initdb").string() + " -D " + d + "/db -A trust -U postgres --no-sync -E UTF8 2>&1"));
  // The port probe and the bind race with other processes; retry a few ports.
  for (int attempt = 0; attempt < 5 && !started_; ++attempt) {
    port_ = free_loopback_port();
    try {
      shell(as_owner((kPgBin / "pg_ctl").string() + " -D " + d + "/db -w -t 30 -l " + d + "/server.log -o \"-p " +
                     std::to_string(port_) + " -k " + d +
                     " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=on\" start 2>&1"));
      started_ = true;
    } catch (const std::exception&) {
    }
  }
  if (!started_) throw std::runtime_error("postgres did not start:\n" + read_text(dir_ / "server.log"));
}

PgCluster::~PgCluster() {
  if (started_) {
    try {
      shell(as_owner((kPgBin / "pg_ctl").string() + " -D " + dir_.string() + "/db -m immediate -w stop 2>&1"));
    } catch (const std::exception&) {
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgCluster::conninfo(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + database + " connect_timeout=5";
}

void PgCluster::create_database(const std::string& name) { pg_query(conninfo(), "CREATE DATABASE " + name); }

std::vector<std::vector<std::string>> pg_query(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(conninfo.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) throw std::runtime_error(std::string("pg: ") + PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, void (*)(PGresult*)> res(PQexec(conn.get(), sql.c_str()), PQclear);
  auto status = PQresultStatus(res.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw std::runtime_error(std::string("pg: ") + PQresultErrorMessage(res.get()) + " in: " + sql);
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < PQnfields(res.get()); ++c) {
      row.push_back(PQgetisnull(res.get(), r, c) ? "<null>" : PQgetvalue(res.get(), r, c));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string pg_value(const std::string& conninfo, const std::string& sql) {
  auto rows = pg_query(conninfo, sql);
  if (rows.size() != 1 || rows[0].size() != 1) throw std::runtime_error("expected one value from: " + sql);
  return rows[0][0];
}

}  // namespace edgeocr::sync::testing
