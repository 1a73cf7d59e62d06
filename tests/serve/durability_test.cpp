// kill -9 during a burst of uploads: every acknowledged record must be in the archive, with its
// image, and the database must pass PRAGMA integrity_check.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "serve_test_support.h"
#include "store/archive.h"

using namespace edgeocr::serve::fixtures;

namespace {

struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

std::string single_value(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return "prepare failed";
  std::string out = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)
                        ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0))
                        : "";
  sqlite3_finalize(st);
  return out;
}

}  // namespace

TEST(Durability, KillDashNineDuringBurstKeepsEveryAcknowledgedRecord) {
  TempDir dir;
  const auto data_dir = dir.path() / "data";
  const auto port_file = dir.path() / "port";
  Child child;
  child.pid = fork();
  ASSERT_GE(child.pid, 0);
  if (child.pid == 0) {
    execl(EDGEOCR_TEST_SERVER_BINARY, EDGEOCR_TEST_SERVER_BINARY, data_dir.c_str(), port_file.c_str(), "3",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 500 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (std::filesystem::exists(port_file)) port = std::stoi(read_file(port_file));
  }
  ASSERT_GT(port, 0) << "server process did not start";

  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port);
      c.set_connection_timeout(2);
      c.set_read_timeout(5);
      for (int i = 0; !stop && i < 100000; ++i) {
        const std::string tag = std::to_string(t) + "-" + std::to_string(i);
        ++sent;
        auto res = c.Post("/ocr", httplib::MultipartFormDataItems{{"file", png_header(8, 8, tag), "a.png", "image/png"}});
        if (!res) break;  // the server is gone
        if (res->status != 200) continue;
        const auto j = nlohmann::json::parse(res->body);
        std::lock_guard lock(mutex);
        acknowledged.push_back(j["record_id"]);
      }
    });
  }
  // Kill once a fair number of records are in, while uploads are still flowing.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mutex);
      if (acknowledged.size() >= 150) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(kill(child.pid, SIGKILL), 0);
  int status = 0;
  waitpid(child.pid, &status, 0);
  child.pid = -1;
  EXPECT_TRUE(WIFSIGNALED(status));
  stop = true;
  for (auto& c : clients) c.join();

  std::vector<std::string> acked;
  {
    std::lock_guard lock(mutex);
    acked = acknowledged;
  }
  ASSERT_GE(acked.size(), 20u) << "too few uploads acknowledged before the kill";
  EXPECT_GT(sent.load(), static_cast<int>(acked.size()));  // some were in flight when it died

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(edgeocr::store::Archive::database_file(data_dir).c_str(), &db), SQLITE_OK);
  EXPECT_EQ(single_value(db, "PRAGMA integrity_check"), "ok");
  size_t missing = 0;
  for (const auto& id : acked)
    if (single_value(db, "SELECT COUNT(*) FROM records WHERE id = '" + id + "'") != "1") ++missing;
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged records";
  sqlite3_close(db);

  // The archive reopens, and every acknowledged record has its image file.
  edgeocr::store::Archive archive({data_dir, {}, {}, {}, {}});
  for (const auto& id : acked) {
    const auto r = archive.get(id);
    ASSERT_TRUE(r);
    EXPECT_TRUE(std::filesystem::exists(archive.image_path(*r))) << id;
  }
}
