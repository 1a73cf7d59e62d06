#include "runtime/buffer.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>

namespace edgeocr::runtime::detail {
namespace {

// Plain malloc with the start moved up to the next alignment boundary (the block's own start is
// kept just below it). Aligned allocation proper (memalign) splits blocks and fragments the heap
// when large buffers of many sizes come and go: measured +260 MB peak over 20 receipts.
class HeapAllocator : public Allocator {
 public:
  void* allocate(size_t bytes, size_t& capacity) override {
    capacity = std::max<size_t>(bytes, kBufferAlignment);
    void* block = std::malloc(capacity + kBufferAlignment);
    if (!block) throw std::bad_alloc();
    const auto start = (reinterpret_cast<std::uintptr_t>(block) + kBufferAlignment) & ~(kBufferAlignment - 1);
    reinterpret_cast<void**>(start)[-1] = block;  // at least 16 bytes lie between block and start
    return reinterpret_cast<void*>(start);
  }
  void deallocate(void* p, size_t) noexcept override {
    if (p) std::free(static_cast<void**>(p)[-1]);
  }
};

std::atomic<int64_t> g_pooled_free_bytes{0};

}  // namespace

Allocator& heap_allocator() {
  // Built once and never destroyed: buffers held by other static objects (a cached pipeline)
  // are freed during exit, after a plain function-local static would already be gone.
  alignas(HeapAllocator) static unsigned char storage[sizeof(HeapAllocator)];
  static Allocator* const heap = ::new (static_cast<void*>(storage)) HeapAllocator();
  return *heap;
}

int64_t pooled_free_bytes() { return g_pooled_free_bytes.load(std::memory_order_relaxed); }

Buffer::Buffer(size_t n, Allocator* allocator) : size_(n), allocator_(allocator ? allocator : &heap_allocator()) {
  if (n) data_ = static_cast<float*>(allocator_->allocate(n * sizeof(float), capacity_));
}

Buffer::Buffer(const float* first, const float* last, Allocator* allocator)
    : Buffer(static_cast<size_t>(last - first), allocator) {
  if (size_) std::memcpy(data_, first, size_ * sizeof(float));
}

Buffer::Buffer(const Buffer& other) : Buffer(other.begin(), other.end(), other.allocator_) {}

Buffer& Buffer::operator=(const Buffer& other) {
  if (this != &other) *this = Buffer(other);
  return *this;
}

Buffer::Buffer(Buffer&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_), allocator_(other.allocator_) {
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    allocator_ = other.allocator_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  return *this;
}

Buffer::~Buffer() { reset(); }

void Buffer::reset() noexcept {
  if (data_) allocator_->deallocate(data_, capacity_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

size_t size_class(size_t bytes) {
  constexpr size_t kSmall = 4096;
  if (bytes <= kSmall) return std::max<size_t>(kBufferAlignment, (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment);
  const size_t top = std::bit_floor(bytes);  // classes top, 1.25, 1.5, 1.75 x top, 2 x top
  const size_t step = top / 4;
  return (bytes + step - 1) / step * step;
}

BufferPool::~BufferPool() { end_pass(false); }

void* BufferPool::allocate(size_t bytes, size_t& capacity) {
  const size_t wanted = size_class(bytes);
  // The smallest free buffer of this class or a larger one up to twice the size: activations
  // shrink through a network, and reusing a freed larger buffer keeps the pass's peak down.
  for (auto it = classes_.lower_bound(wanted); it != classes_.end() && it->first <= 2 * wanted + 4096; ++it) {
    SizeClass& c = it->second;
    if (c.free.empty()) continue;
    capacity = it->first;
    void* p = c.free.back();
    c.free.pop_back();
    free_bytes_ -= capacity;
    g_pooled_free_bytes.fetch_sub(static_cast<int64_t>(capacity), std::memory_order_relaxed);
    c.peak = std::max(c.peak, ++c.in_use);
    used_bytes_ += capacity;
    return p;
  }
  // No fit: the input grew since the last pass. Give back free buffers that are too small,
  // largest first, until as many bytes go back as the new buffer takes: a grown pass needs them
  // less than the new one, and the heap reuses their memory, so stale buffers do not add up.
  size_t returned = 0;
  for (auto it = std::make_reverse_iterator(classes_.lower_bound(wanted)); it != classes_.rend() && returned < wanted; ++it) {
    SizeClass& smaller = it->second;
    while (!smaller.free.empty() && returned < wanted) {
      upstream_.deallocate(smaller.free.back(), it->first);
      smaller.free.pop_back();
      free_bytes_ -= it->first;
      returned += it->first;
      g_pooled_free_bytes.fetch_sub(static_cast<int64_t>(it->first), std::memory_order_relaxed);
    }
  }
  SizeClass& c = classes_[wanted];
  size_t got = 0;
  void* p = upstream_.allocate(wanted, got);
  capacity = wanted;
  c.peak = std::max(c.peak, ++c.in_use);
  used_bytes_ += capacity;
  return p;
}

void BufferPool::deallocate(void* p, size_t capacity) noexcept {
  SizeClass& c = classes_[capacity];
  try {
    c.free.push_back(p);
  } catch (...) {  // no room to remember it: give it back instead
    upstream_.deallocate(p, capacity);
    --c.in_use;
    used_bytes_ -= capacity;
    return;
  }
  --c.in_use;
  used_bytes_ -= capacity;
  free_bytes_ += capacity;
  g_pooled_free_bytes.fetch_add(static_cast<int64_t>(capacity), std::memory_order_relaxed);
}

void BufferPool::end_pass(bool retain) {
  for (auto it = classes_.begin(); it != classes_.end();) {
    SizeClass& c = it->second;
    const size_t keep = retain ? (c.peak > c.in_use ? c.peak - c.in_use : 0) : 0;
    while (c.free.size() > keep) {
      upstream_.deallocate(c.free.back(), it->first);
      c.free.pop_back();
      free_bytes_ -= it->first;
      g_pooled_free_bytes.fetch_sub(static_cast<int64_t>(it->first), std::memory_order_relaxed);
    }
    c.peak = c.in_use;
    if (c.free.empty() && c.in_use == 0) it = classes_.erase(it);
    else ++it;
  }
}

}  // namespace edgeocr::runtime::detail
