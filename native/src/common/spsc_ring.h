// Bounded single-producer/single-consumer ring. Producer and consumer
// indexes live on their own cache lines and each side caches the other's
// index, so a push or pop usually touches no shared line. Never blocks:
// push_bulk returns how many fitted and the caller decides (drop or wait).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>

namespace tapline {

template <typename T>
class SpscRing {
 public:
  explicit SpscRing(uint32_t capacity) {
    uint32_t n = 2;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    slots_ = std::make_unique<T[]>(n);
  }

  uint32_t capacity() const { return mask_ + 1; }

  // Producer side.
  uint32_t push_bulk(const T* items, uint32_t n) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ + n > capacity()) tail_cache_ = tail_.load(std::memory_order_acquire);
    const uint32_t room = static_cast<uint32_t>(capacity() - (head - tail_cache_));
    const uint32_t k = std::min(n, room);
    for (uint32_t i = 0; i < k; ++i) slots_[(head + i) & mask_] = items[i];
    head_.store(head + k, std::memory_order_release);
    return k;
  }
  bool push(const T& item) { return push_bulk(&item, 1) == 1; }

  // Consumer side: copies up to n items out.
  uint32_t pop_bulk(T* out, uint32_t n) {
    uint32_t i = 0;
    return consume(n, [out, &i](const T& item) { out[i++] = item; });
  }

  // Consumer side, in place: calls f(item) on up to n items where they lie,
  // then frees their slots (a consumer that reads each item once saves
  // pop_bulk's copy). f must not touch the ring.
  template <typename F>
  uint32_t consume(uint32_t n, F&& f) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (head_cache_ - tail < n) head_cache_ = head_.load(std::memory_order_acquire);
    const uint32_t k = static_cast<uint32_t>(std::min<uint64_t>(n, head_cache_ - tail));
    for (uint32_t i = 0; i < k; ++i) f(static_cast<const T&>(slots_[(tail + i) & mask_]));
    tail_.store(tail + k, std::memory_order_release);
    return k;
  }

  // Either side; approximate while the other side runs.
  uint64_t size() const {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }
  size_t memory_bytes() const { return static_cast<size_t>(capacity()) * sizeof(T); }

 private:
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;
  alignas(64) std::atomic<uint64_t> tail_{0};
  uint64_t head_cache_ = 0;
  alignas(64) uint32_t mask_;
  std::unique_ptr<T[]> slots_;
};

}  // namespace tapline
