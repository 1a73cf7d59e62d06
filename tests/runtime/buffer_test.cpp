// The activation allocator: aligned buffers, size classes, and a pool that reuses buffers and
// gives back what a pass no longer needs.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "runtime/buffer.h"

using namespace edgeocr::runtime::detail;

namespace {

// Counts what reaches the heap through it.
class CountingAllocator : public Allocator {
 public:
  void* allocate(size_t bytes, size_t& capacity) override {
    ++allocations;
    live += 1;
    return heap_allocator().allocate(bytes, capacity);
  }
  void deallocate(void* p, size_t capacity) noexcept override {
    live -= 1;
    heap_allocator().deallocate(p, capacity);
  }
  int allocations = 0, live = 0;
};

bool aligned(const float* p) { return reinterpret_cast<std::uintptr_t>(p) % kBufferAlignment == 0; }

}  // namespace

TEST(RuntimeBuffer, SizeClassesCoverTheRequestWithBoundedSlack) {
  size_t previous = 0;
  for (size_t bytes = 1; bytes < (64u << 20); bytes = bytes * 9 / 8 + 1) {
    const size_t c = size_class(bytes);
    EXPECT_GE(c, bytes);
    EXPECT_EQ(c % kBufferAlignment, 0u);
    if (bytes > 4096) {
      EXPECT_LE(c, bytes + bytes / 4) << bytes;
    }
    EXPECT_GE(c, previous);  // monotonic
    EXPECT_EQ(size_class(c), c);  // a class is its own class
    previous = c;
  }
}

TEST(RuntimeBuffer, BuffersAreAlignedCopyableAndMovable) {
  Buffer a(1000);
  EXPECT_TRUE(aligned(a.data()));
  for (size_t k = 0; k < a.size(); ++k) a[k] = static_cast<float>(k);
  Buffer b = a;
  EXPECT_NE(b.data(), a.data());
  EXPECT_EQ(std::vector<float>(b.begin(), b.end()), std::vector<float>(a.begin(), a.end()));
  const float* p = b.data();
  Buffer c = std::move(b);
  EXPECT_EQ(c.data(), p);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(Buffer().empty());
}

TEST(RuntimeBuffer, PoolReusesBuffersOfTheSameSizeClass) {
  CountingAllocator heap;
  BufferPool pool(heap);
  const float* first;
  {
    Buffer a(10000, &pool);
    first = a.data();
    EXPECT_TRUE(aligned(first));
  }
  EXPECT_EQ(pool.free_bytes(), size_class(10000 * sizeof(float)));
  Buffer b(10001, &pool);  // same class: the freed buffer comes back
  EXPECT_EQ(b.data(), first);
  EXPECT_EQ(heap.allocations, 1);
  Buffer c(40000, &pool);  // another class: a new allocation
  EXPECT_EQ(heap.allocations, 2);
  EXPECT_EQ(pool.used_bytes(), size_class(10001 * sizeof(float)) + size_class(40000 * sizeof(float)));
}

TEST(RuntimeBuffer, PoolServesASmallerRequestFromAFreedLargerBuffer) {
  CountingAllocator heap;
  BufferPool pool(heap);
  const float* big_data;
  {
    Buffer big(30000, &pool);
    big_data = big.data();
  }
  Buffer smaller(20000, &pool);  // up to half the size: the freed buffer is reused
  EXPECT_EQ(smaller.data(), big_data);
  Buffer tiny(1000, &pool);  // far smaller: its own allocation
  EXPECT_EQ(heap.allocations, 2);
}

TEST(RuntimeBuffer, AGrownRequestGivesBackAStaleSmallerBuffer) {
  CountingAllocator heap;
  BufferPool pool(heap);
  { Buffer small(1000, &pool); }
  EXPECT_EQ(heap.live, 1);
  Buffer grown(100000, &pool);  // no fit: the free smaller buffer is given back first
  EXPECT_EQ(heap.live, 1);
  EXPECT_EQ(pool.free_bytes(), 0u);
}

TEST(RuntimeBuffer, AGrownRequestGivesBackStaleBuffersUntilTheyCoverIt) {
  CountingAllocator heap;
  BufferPool pool(heap);
  {  // a narrower pass left two mid-sized buffers and a small one
    Buffer a(4096, &pool), b(4096, &pool), small(100, &pool);
  }
  EXPECT_EQ(heap.live, 3);
  Buffer grown(5000, &pool);  // fits none: both mid-sized ones go back (one alone is too few bytes)
  EXPECT_EQ(heap.live, 2);
  EXPECT_EQ(pool.free_bytes(), size_class(100 * sizeof(float)));  // the small one stays for later
}

TEST(RuntimeBuffer, EndOfPassKeepsOnlyWhatThePassUsedAtOnce) {
  CountingAllocator heap;
  BufferPool pool(heap);
  {  // a large pass: three big buffers at once
    std::vector<Buffer> held;
    for (int k = 0; k < 3; ++k) held.emplace_back(1 << 20, &pool);
  }
  pool.end_pass(true);
  EXPECT_EQ(heap.live, 3);  // kept for the next pass of the same shape
  {  // a smaller pass: one big buffer and one small
    Buffer big(1 << 20, &pool), small(100, &pool);
  }
  EXPECT_EQ(heap.allocations, 4);  // only the small one was new
  pool.end_pass(true);
  EXPECT_EQ(heap.live, 2);  // two of the three big buffers were not used: given back
  pool.end_pass(false);
  EXPECT_EQ(heap.live, 0);
  EXPECT_EQ(pool.free_bytes(), 0u);
}

TEST(RuntimeBuffer, BuffersStillHeldSurviveEndOfPass) {
  CountingAllocator heap;
  BufferPool pool(heap);
  Buffer kept(5000, &pool);
  kept[0] = 42.f;
  pool.end_pass(false);
  EXPECT_EQ(heap.live, 1);
  EXPECT_EQ(kept[0], 42.f);
}
