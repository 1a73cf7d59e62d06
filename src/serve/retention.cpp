#include "serve/retention.h"

#include <spdlog/spdlog.h>

namespace edgeocr::serve {

RetentionWorker::RetentionWorker(store::Archive& archive, store::RetentionPolicy policy,
                                 std::chrono::milliseconds period) {
  if (policy.images_days == 0 && policy.records_days == 0) return;  // keep everything
  thread_ = std::thread([this, &archive, policy, period] {
    std::unique_lock lock(mutex_);
    do {
      try {
        const store::PruneResult r = archive.prune(policy);
        if (r.records_removed + r.images_cleared > 0)
          spdlog::info("retention: removed {} records and the images of {} more ({} files)", r.records_removed,
                       r.images_cleared, r.files_removed);
      } catch (const std::exception& e) {
        spdlog::error("retention: {}", e.what());
      }
    } while (!wake_.wait_for(lock, period, [this] { return stop_; }));
  });
}

RetentionWorker::~RetentionWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace edgeocr::serve
