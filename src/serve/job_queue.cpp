#include "serve/job_queue.h"

#include <stdexcept>

namespace edgeocr::serve {

using engine::ApiError;
using engine::EngineFactory;
using engine::OcrEngine;
using engine::OcrRequest;

JobQueue::JobQueue(EngineFactory factory, int workers, int capacity)
    : factory_(std::move(factory)), capacity_(capacity) {
  if (workers < 1) throw std::invalid_argument("at least one worker is needed");
  if (capacity < 1) throw std::invalid_argument("queue length must be at least 1");
  std::vector<std::future<void>> ready;
  for (int i = 0; i < workers; ++i) {
    std::promise<void> promise;
    ready.push_back(promise.get_future());
    threads_.emplace_back(&JobQueue::work, this, std::move(promise));
  }
  // Engines load their models on their own thread; report the first failure here.
  try {
    for (auto& f : ready) f.get();
  } catch (...) {
    shutdown();
    throw;
  }
}

JobQueue::~JobQueue() { shutdown(); }

void JobQueue::drop_waiting() {
  std::deque<Job> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(jobs_);
  }
  wake_.notify_all();
  for (auto& job : dropped) {
    JobOutcome outcome;
    outcome.error = std::make_exception_ptr(ApiError(503, "shutting_down", "the server is shutting down"));
    job.promise.set_value(std::move(outcome));
  }
}

void JobQueue::shutdown() {
  drop_waiting();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

int JobQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(jobs_.size());
}

std::optional<JobQueue::Ticket> JobQueue::submit(OcrRequest request) {
  Ticket ticket;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw ApiError(503, "shutting_down", "the server is shutting down");
    if (static_cast<int>(jobs_.size()) >= capacity_) return std::nullopt;
    Job job{std::move(request), {}, std::make_shared<std::atomic<bool>>(false), std::chrono::steady_clock::now()};
    ticket.outcome = job.promise.get_future();
    ticket.abandoned = job.abandoned;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return ticket;
}

void JobQueue::work(std::promise<void> ready) {
  std::unique_ptr<OcrEngine> engine;
  try {
    engine = factory_();
    if (!engine) throw std::runtime_error("engine factory returned nothing");
    ready.set_value();
  } catch (...) {
    ready.set_exception(std::current_exception());
    return;
  }
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (job.abandoned->load()) continue;  // the client timed out before we got to it
      ++running_;
    }
    JobOutcome outcome;
    const auto start = std::chrono::steady_clock::now();
    outcome.queue_ms = std::chrono::duration<double, std::milli>(start - job.queued_at).count();
    try {
      outcome.result = engine->recognize(job.request);
    } catch (...) {
      outcome.error = std::current_exception();
    }
    outcome.run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    --running_;
    job.promise.set_value(std::move(outcome));
  }
}

}  // namespace edgeocr::serve
