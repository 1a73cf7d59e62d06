// The retention policy (store::RetentionPolicy) applied by a running server: once at start, then
// every hour, in the background, until destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/archive.h"

namespace edgeocr::serve {

class RetentionWorker {
 public:
  // Starts nothing when the policy keeps everything. `archive` must outlive the worker.
  RetentionWorker(store::Archive& archive, store::RetentionPolicy policy,
                  std::chrono::milliseconds period = std::chrono::hours(1));
  ~RetentionWorker();  // stops and joins
  RetentionWorker(const RetentionWorker&) = delete;
  RetentionWorker& operator=(const RetentionWorker&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace edgeocr::serve
