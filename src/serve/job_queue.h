// A bounded queue of OCR jobs in front of a fixed pool of workers, each owning its own engine.
// submit() never blocks: when the queue is full it refuses, and the server answers 503.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "engine/engine.h"

namespace edgeocr::serve {

struct JobOutcome {
  engine::OcrResponse result;     // valid when error is null
  std::exception_ptr error;       // what the engine threw
  double queue_ms = 0;            // time spent waiting for a worker
  double run_ms = 0;
};

class JobQueue {
 public:
  // Starts `workers` threads; each calls `factory` once. Throws if an engine cannot be built.
  JobQueue(engine::EngineFactory factory, int workers, int capacity);
  ~JobQueue();  // finishes the running jobs, drops the queued ones (they get an error)
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  struct Ticket {
    std::future<JobOutcome> outcome;
    std::shared_ptr<std::atomic<bool>> abandoned;  // set when the client gave up: skip if not started
  };
  // nullopt when `capacity` jobs are already waiting (back-pressure).
  std::optional<Ticket> submit(engine::OcrRequest request);

  int waiting() const;  // queued, not yet running
  int running() const { return running_.load(); }
  int capacity() const { return capacity_; }
  // Refuses new jobs and fails the waiting ones with 503 (their clients are told to retry);
  // running jobs finish. Thread-safe; used when the server starts shutting down.
  void drop_waiting();
  void shutdown();  // drop_waiting() + join the workers; call from one thread

 private:
  struct Job {
    engine::OcrRequest request;
    std::promise<JobOutcome> promise;
    std::shared_ptr<std::atomic<bool>> abandoned;
    std::chrono::steady_clock::time_point queued_at;
  };
  void work(std::promise<void> ready);

  engine::EngineFactory factory_;
  int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::atomic<int> running_{0};
  std::vector<std::thread> threads_;
};

}  // namespace edgeocr::serve
