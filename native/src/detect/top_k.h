// The k addresses with the largest values seen so far (values only grow: they
// are a count-min estimate of the key, refreshed on each of its packets). An
// indexed binary min-heap: the smallest kept value is at the root, so a key
// whose estimate does not beat it costs one compare; a kept key is found by
// the hash index and sifted down. Fixed capacity, no allocation after start.
#pragma once
#include <cstdint>
#include <vector>

#include "detect/addr_index.h"

namespace tapline {

class TopK {
 public:
  explicit TopK(uint32_t k) : k_(k), index_(k), entries_(k), heap_(k), pos_(k) {}

  // The value a key must exceed to enter (0 until full).
  // Kept up to date by offer() and clear(): the per-packet compare is one load.
  uint64_t floor() const { return floor_; }

  void offer(const AddrKey& key, uint64_t h, uint64_t value) {
    offer_heap(key, h, value);
    floor_ = size_ < k_ ? 0 : at(0);
  }

 private:
  void offer_heap(const AddrKey& key, uint64_t h, uint64_t value) {
    auto key_of = [this](uint32_t e) -> const AddrKey& { return entries_[e].key; };
    uint32_t e = index_.find(key, h, key_of);
    if (e != AddrIndex::kNone) {
      if (value > entries_[e].value) {
        entries_[e].value = value;
        sift_down(pos_[e]);
      }
      return;
    }
    if (size_ < k_) {
      e = size_++;
      entries_[e] = Entry{key, h, value};
      heap_[e] = e;
      pos_[e] = e;
      index_.insert(h, e);
      sift_up(e);
      return;
    }
    if (value <= entries_[heap_[0]].value) return;
    e = heap_[0];  // replace the smallest
    index_.erase(entries_[e].hash, e);
    entries_[e] = Entry{key, h, value};
    index_.insert(h, e);
    sift_down(0);
  }

 public:
  uint32_t size() const { return size_; }
  const AddrKey& key(uint32_t i) const { return entries_[i].key; }
  uint64_t hash(uint32_t i) const { return entries_[i].hash; }
  uint64_t value(uint32_t i) const { return entries_[i].value; }
  void clear() {
    if (size_ == 0) return;
    size_ = 0;
    floor_ = 0;
    index_.clear();
  }
  size_t memory_bytes() const {
    return index_.memory_bytes() + k_ * (sizeof(Entry) + 2 * sizeof(uint32_t));
  }

 private:
  struct Entry {
    AddrKey key;
    uint64_t hash;
    uint64_t value;
  };
  uint64_t at(uint32_t heap_pos) const { return entries_[heap_[heap_pos]].value; }
  void swap(uint32_t a, uint32_t b) {
    std::swap(heap_[a], heap_[b]);
    pos_[heap_[a]] = a;
    pos_[heap_[b]] = b;
  }
  void sift_up(uint32_t i) {
    while (i > 0 && at((i - 1) / 2) > at(i)) {
      swap(i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
  }
  void sift_down(uint32_t i) {
    for (;;) {
      const uint32_t l = 2 * i + 1, r = l + 1;
      uint32_t m = i;
      if (l < size_ && at(l) < at(m)) m = l;
      if (r < size_ && at(r) < at(m)) m = r;
      if (m == i) return;
      swap(i, m);
      i = m;
    }
  }

  uint32_t k_;
  uint32_t size_ = 0;
  uint64_t floor_ = 0;  // the root's value once full, else 0
  AddrIndex index_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> heap_;  // heap position -> entry
  std::vector<uint32_t> pos_;   // entry -> heap position
};

}  // namespace tapline
