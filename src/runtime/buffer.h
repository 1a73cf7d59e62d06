// Float buffers for activations: 64-byte aligned (what oneDNN's vector kernels load best),
// obtained from an Allocator, returned to it when the buffer is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace edgeocr::runtime::detail {

class Allocator {
 public:
  virtual ~Allocator() = default;
  // At least `bytes` bytes, aligned to kBufferAlignment; `capacity` receives what was reserved.
  virtual void* allocate(size_t bytes, size_t& capacity) = 0;
  virtual void deallocate(void* p, size_t capacity) noexcept = 0;
};

inline constexpr size_t kBufferAlignment = 64;

// The process heap (aligned operator new). Thread-safe.
Allocator& heap_allocator();

class Buffer {
 public:
  Buffer() = default;
  // `n` uninitialised floats from `allocator` (the heap when null).
  explicit Buffer(size_t n, Allocator* allocator = nullptr);
  Buffer(const float* first, const float* last, Allocator* allocator = nullptr);
  Buffer(const Buffer& other);  // same allocator
  Buffer& operator=(const Buffer& other);
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  ~Buffer();

  float* data() { return data_; }
  const float* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  float& operator[](size_t k) { return data_[k]; }
  const float& operator[](size_t k) const { return data_[k]; }
  float* begin() { return data_; }
  float* end() { return data_ + size_; }
  const float* begin() const { return data_; }
  const float* end() const { return data_ + size_; }

 private:
  void reset() noexcept;
  float* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;  // bytes reserved by the allocator
  Allocator* allocator_ = nullptr;
};

// Rounds a request up to its size class: 64-byte steps up to 4 KiB, then four classes per
// power of two (at most 25 % slack), so buffers of nearby sizes are interchangeable.
size_t size_class(size_t bytes);

// Reuses freed buffers by size class (or a free one of a larger class, up to twice the size), so
// a warm forward pass with the same shapes allocates nothing. Not thread-safe: each execution
// context owns one.
class BufferPool : public Allocator {
 public:
  explicit BufferPool(Allocator& upstream = heap_allocator()) : upstream_(upstream) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  ~BufferPool() override;

  void* allocate(size_t bytes, size_t& capacity) override;
  void deallocate(void* p, size_t capacity) noexcept override;

  // Called when a pass is over: keeps per size class only as many free buffers as the pass
  // used at once (`retain`), or none, so memory follows the current input size.
  void end_pass(bool retain);

  size_t free_bytes() const { return free_bytes_; }
  size_t used_bytes() const { return used_bytes_; }

 private:
  struct SizeClass {
    std::vector<void*> free;
    size_t in_use = 0, peak = 0;  // peak: most held at once since the last end_pass
  };
  Allocator& upstream_;
  std::map<size_t, SizeClass> classes_;
  size_t free_bytes_ = 0, used_bytes_ = 0;
};

// Bytes held free in all pools of the process (for metrics).
int64_t pooled_free_bytes();

}  // namespace edgeocr::runtime::detail
