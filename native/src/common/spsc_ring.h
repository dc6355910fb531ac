// Bounded single-producer/single-consumer ring. Producer and consumer
// indexes live on their own cache lines and each side caches the other's
// index, so a push or pop usually touches no shared line. Never blocks:
// push_bulk returns how many fitted and the caller decides (drop or wait).
//
// A producer that makes many items per burst stages them (stage()) and
// publishes them together (publish()): one store to the shared index per
// burst instead of one per item, so the consumer's reads of that index do not
// pull its cache line back and forth on every item.
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

  // Producer side: writes up to n items and publishes them (with any staged before).
  uint32_t push_bulk(const T* items, uint32_t n) {
    const uint32_t k = stage_bulk(items, n);
    publish();
    return k;
  }
  bool push(const T& item) { return push_bulk(&item, 1) == 1; }

  // Producer side, batched: writes up to n items without making them visible.
  uint32_t stage_bulk(const T* items, uint32_t n) {
    const uint64_t head = prod_.staged;
    if (head - prod_.tail_cache + n > capacity()) prod_.tail_cache = tail_.load(std::memory_order_acquire);
    const uint32_t room = static_cast<uint32_t>(capacity() - (head - prod_.tail_cache));
    const uint32_t k = std::min(n, room);
    for (uint32_t i = 0; i < k; ++i) slots_[(head + i) & mask_] = items[i];
    prod_.staged = head + k;
    return k;
  }
  bool stage(const T& item) { return stage_bulk(&item, 1) == 1; }
  // Makes every staged item visible to the consumer (no store when none is new).
  void publish() {
    if (prod_.staged == prod_.published) return;
    prod_.published = prod_.staged;
    head_.store(prod_.staged, std::memory_order_release);
  }

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
    if (k != 0) tail_.store(tail + k, std::memory_order_release);
    return k;
  }

  // Either side; approximate while the other side runs. Staged items are not counted.
  uint64_t size() const {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }
  size_t memory_bytes() const { return static_cast<size_t>(capacity()) * sizeof(T); }

 private:
  // The producer's own line: written per item, read by nobody else.
  struct alignas(64) Producer {
    uint64_t staged = 0;     // items written
    uint64_t published = 0;  // items made visible (head_)
    uint64_t tail_cache = 0;
  };
  alignas(64) std::atomic<uint64_t> head_{0};  // written once per publish
  Producer prod_;
  alignas(64) std::atomic<uint64_t> tail_{0};
  uint64_t head_cache_ = 0;
  alignas(64) uint32_t mask_;
  std::unique_ptr<T[]> slots_;
};

}  // namespace tapline
