// A fixed-capacity hash index from an address to a slot number. Buckets of
// eight (tag, slot) pairs fill one cache line; a lookup compares a bucket's
// eight tags at once (SSE). A key lives in its home bucket or, when that was
// full, in the next bucket with room (bucketized linear probing); each bucket
// counts the entries that passed it full (`overflow_`), so a lookup stops at
// the first bucket nobody passed, and an erase clears its pair and lowers the
// counts on its way (no shifting, no tombstones: it never degrades however
// often keys come and go). At most half of the pairs are ever used, so a
// bucket is rarely full and the loops' exits are predictable. That matters
// in a flood of new sources, where the port-scan table does a find, an erase
// and an insert per packet: the index this replaced (single pairs, linear
// probing, backward-shift erase) ended its probe loops after a number of
// steps that varied from key to key and mispredicted about four branches
// per flood packet.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/match8.h"
#include "detect/addr_key.h"

namespace tapline {

class AddrIndex {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  explicit AddrIndex(uint32_t capacity) {
    uint32_t n = 2;
    while (n * 8 < 2 * static_cast<uint64_t>(capacity)) n <<= 1;
    mask_ = n - 1;
    buckets_.resize(n);
    overflow_.resize(n);
    clear();
  }

  // The slot of `key` (hashed to h), or kNone. `key_of(slot)` gives a slot's key.
  template <typename KeyOf>
  uint32_t find(const AddrKey& key, uint64_t h, KeyOf key_of) const {
    const uint32_t tag = tag_of(h);
    for (uint32_t b = home(h);; b = (b + 1) & mask_) {
      const Bucket& k = buckets_[b];
      for (uint32_t m = match8(k.tag, tag); m != 0; m &= m - 1) {
        const uint32_t s = k.slot[__builtin_ctz(m)];
        if (key_of(s) == key) return s;
      }
      if (overflow_[b] == 0) return kNone;
    }
  }
  // Adds a key known to be absent (the caller keeps the slot count <= capacity).
  void insert(uint64_t h, uint32_t slot) {
    uint32_t b = home(h);
    for (;;) {
      const uint32_t m = match8(buckets_[b].tag, kEmpty);
      if (m != 0) {
        const uint32_t i = __builtin_ctz(m);
        buckets_[b].tag[i] = tag_of(h);
        buckets_[b].slot[i] = slot;
        return;
      }
      overflow_[b] += 1;
      b = (b + 1) & mask_;
    }
  }
  // Removes the entry of `slot` (hashed to h).
  void erase(uint64_t h, uint32_t slot) {
    uint32_t b = home(h);
    for (uint32_t m;; b = (b + 1) & mask_) {
      if ((m = match8(buckets_[b].slot, slot)) != 0) {
        const uint32_t i = __builtin_ctz(m);
        buckets_[b].tag[i] = kEmpty;
        buckets_[b].slot[i] = kNone;
        break;
      }
    }
    for (uint32_t x = home(h); x != b; x = (x + 1) & mask_) overflow_[x] -= 1;
  }
  void clear() {
    for (Bucket& b : buckets_) {
      std::memset(b.tag, 0, sizeof b.tag);  // kEmpty
      std::memset(b.slot, 0xFF, sizeof b.slot);  // kNone
    }
    std::memset(overflow_.data(), 0, overflow_.size() * sizeof(uint32_t));
  }
  size_t memory_bytes() const { return buckets_.size() * (sizeof(Bucket) + sizeof(uint32_t)); }

 private:
  static constexpr uint32_t kEmpty = 0;  // no key's tag (tags have their low bit set)
  struct alignas(64) Bucket {
    uint32_t tag[8];  // high 32 bits of the key's hash, low bit set; kEmpty: free pair
    uint32_t slot[8];
  };
  uint32_t home(uint64_t h) const { return static_cast<uint32_t>(h) & mask_; }
  static uint32_t tag_of(uint64_t h) { return static_cast<uint32_t>(h >> 32) | 1u; }

  uint32_t mask_;
  std::vector<Bucket> buckets_;
  std::vector<uint32_t> overflow_;  // entries stored past this bucket because it was full
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
