// A fixed-capacity hash index from an address to a slot number (open
// addressing, linear probing, backward-shift deletion: no tombstones, so it
// never degrades however often keys come and go). Capacity is set at start;
// the index has twice as many buckets as slots, a power of two.
#pragma once
#include <cstdint>
#include <vector>

#include "detect/addr_key.h"

namespace tapline {

class AddrIndex {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  explicit AddrIndex(uint32_t capacity) {
    uint32_t n = 16;
    while (n < 2 * capacity) n <<= 1;
    mask_ = n - 1;
    buckets_.assign(n, Bucket{kNone, 0});
  }

  // The slot of `key` (hashed to h), or kNone. `key_of(slot)` gives a slot's key.
  template <typename KeyOf>
  uint32_t find(const AddrKey& key, uint64_t h, KeyOf key_of) const {
    for (uint32_t b = static_cast<uint32_t>(h) & mask_;; b = (b + 1) & mask_) {
      const Bucket& k = buckets_[b];
      if (k.slot == kNone) return kNone;
      if (k.hash == static_cast<uint32_t>(h) && key_of(k.slot) == key) return k.slot;
    }
  }
  // Adds a key known to be absent (the caller keeps the slot count <= capacity).
  void insert(uint64_t h, uint32_t slot) {
    uint32_t b = static_cast<uint32_t>(h) & mask_;
    while (buckets_[b].slot != kNone) b = (b + 1) & mask_;
    buckets_[b] = Bucket{slot, static_cast<uint32_t>(h)};
  }
  // Removes the entry of `slot` (hashed to h).
  void erase(uint64_t h, uint32_t slot) {
    uint32_t b = static_cast<uint32_t>(h) & mask_;
    while (buckets_[b].slot != slot) b = (b + 1) & mask_;
    // Backward shift: move later entries of the probe run into the hole.
    for (uint32_t next = (b + 1) & mask_;; next = (next + 1) & mask_) {
      const Bucket& n = buckets_[next];
      if (n.slot == kNone) break;
      const uint32_t home = n.hash & mask_;
      // `next` may move to `b` if its home is not in the cyclic range (b, next].
      if (((next - home) & mask_) >= ((next - b) & mask_)) {
        buckets_[b] = n;
        b = next;
      }
    }
    buckets_[b].slot = kNone;
  }
  void clear() { buckets_.assign(buckets_.size(), Bucket{kNone, 0}); }
  size_t memory_bytes() const { return buckets_.size() * sizeof(Bucket); }

 private:
  struct Bucket {
    uint32_t slot;
    uint32_t hash;  // low 32 bits of the key's hash
  };
  uint32_t mask_;
  std::vector<Bucket> buckets_;
};

// A bounded set of addresses (candidates of a window). Full: add() returns false.
class AddrSet {
 public:
  explicit AddrSet(uint32_t capacity) : index_(capacity), capacity_(capacity) { keys_.reserve(capacity); }

  // True when present or added; false when the set is full.
  bool add(const AddrKey& key, uint64_t h) {
    auto key_of = [this](uint32_t s) -> const AddrKey& { return keys_[s]; };
    if (index_.find(key, h, key_of) != AddrIndex::kNone) return true;
    if (keys_.size() == capacity_) return false;
    index_.insert(h, static_cast<uint32_t>(keys_.size()));
    keys_.push_back(key);
    return true;
  }
  const std::vector<AddrKey>& keys() const { return keys_; }
  void clear() {
    if (keys_.empty()) return;
    keys_.clear();
    index_.clear();
  }
  size_t memory_bytes() const { return index_.memory_bytes() + capacity_ * sizeof(AddrKey); }

 private:
  AddrIndex index_;
  std::vector<AddrKey> keys_;
  uint32_t capacity_;
};

}  // namespace tapline
