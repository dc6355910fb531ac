// The detectors' bounded-memory structures: count-min, HyperLogLog, the hash
// index with backward-shift deletion, top-k, and the space-saving scan table.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "detect/addr_index.h"
#include "detect/count_min.h"
#include "detect/hyperloglog.h"
#include "detect/scan_table.h"
#include "detect/top_k.h"

namespace tapline::test {
namespace {

constexpr uint64_t kSeed = 0x1234;

AddrKey v4(uint32_t a) {
  uint8_t b[16] = {};
  b[0] = static_cast<uint8_t>(a >> 24);
  b[1] = static_cast<uint8_t>(a >> 16);
  b[2] = static_cast<uint8_t>(a >> 8);
  b[3] = static_cast<uint8_t>(a);
  return make_addr(b, 4);
}

TEST(CountMin, NeverUnderestimatesAndMergesBySum) {
  CountMin<SrcCell> a(256), b(256);
  std::map<uint32_t, uint64_t> truth;
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const uint32_t k = rng() % 2000;  // many more keys than cells: collisions guaranteed
    const uint64_t h = hash_addr(v4(k), kSeed);
    CountMin<SrcCell>& s = i % 2 ? a : b;
    for (uint32_t r = 0; r < CountMin<SrcCell>::kDepth; ++r) s.cell(h, r).bytes += 10;
    truth[k] += 10;
  }
  a.merge(b);
  uint64_t over = 0;
  for (const auto& [k, v] : truth) {
    const uint64_t e = a.estimate(hash_addr(v4(k), kSeed), [](const SrcCell& c) { return c.bytes; });
    ASSERT_GE(e, v) << k;
    over += e - v;
  }
  EXPECT_EQ(a.total([](const SrcCell& c) { return c.bytes; }), 200000u);
  // Mean error stays within the e/width bound of the total.
  EXPECT_LT(static_cast<double>(over) / truth.size(), 2.72 / 256 * 200000);
}

TEST(CountMin, ExactForAFewKeysAndClears) {
  CountMin<DstCell> s(2048);
  for (uint32_t k = 0; k < 10; ++k) {
    const uint64_t h = hash_addr(v4(k), kSeed);
    for (uint32_t r = 0; r < CountMin<DstCell>::kDepth; ++r) s.cell(h, r).packets += k + 1;
  }
  for (uint32_t k = 0; k < 10; ++k) {
    EXPECT_EQ(s.estimate(hash_addr(v4(k), kSeed), [](const DstCell& c) { return c.packets; }), k + 1);
  }
  s.clear();
  EXPECT_EQ(s.estimate(hash_addr(v4(3), kSeed), [](const DstCell& c) { return c.packets; }), 0u);
}

// The per-packet path reaches cells by offsets computed once per key; they
// must be the cells cell(h, r) names, at the smallest and largest widths the
// config allows (offsets are 32 bits).
TEST(CountMin, OffsetsNameTheRowsCells) {
  std::mt19937_64 rng(11);
  for (uint32_t width : {256u, 1u << 20}) {
    CountMin<DstCell> s(width);
    for (int i = 0; i < 1000; ++i) {
      const uint64_t h = rng();
      uint32_t off[CountMin<DstCell>::kDepth];
      CountMin<DstCell>::offsets(h, width, off);
      for (uint32_t r = 0; r < CountMin<DstCell>::kDepth; ++r) ASSERT_EQ(&s.at(off[r]), &s.cell(h, r)) << width << " " << r;
    }
  }
}

TEST(HyperLogLog, EstimatesWithinItsErrorAndMergesByMax) {
  for (uint64_t n : {5ull, 100ull, 1000ull, 20000ull}) {
    HyperLogLog a, b, all;
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t h = mix64(i * 0x9E3779B97F4A7C15ull + 1);
      (i % 2 ? a : b).add(h);
      all.add(h);
      all.add(h);  // duplicates change nothing
    }
    a.merge(b);
    // Three standard errors (1.04 / sqrt(256) = 6.5%); a handful of items is counted exactly.
    const double tolerance = n <= 10 ? 0.0 : 0.2;
    EXPECT_NEAR(all.estimate(), static_cast<double>(n), tolerance * n + 0.5) << n;
    EXPECT_DOUBLE_EQ(a.estimate(), all.estimate()) << n;
  }
  HyperLogLog empty;
  EXPECT_EQ(empty.estimate(), 0.0);
}

// 50,000 random steps over `keys` keys with 200 slots: a key present is
// erased, a key absent is inserted (while a slot is free); every step first
// checks find() against a map. Then every live key is found, and none after
// clear(). Returns how many keys were live at the end.
template <typename Hash>
size_t churn(uint32_t keys, uint32_t seed, Hash hash) {
  constexpr uint32_t kCap = 200;
  AddrIndex index(kCap);
  std::vector<AddrKey> slots(kCap);
  std::map<uint32_t, uint32_t> live;  // key -> slot
  std::vector<uint32_t> free_slots;
  for (uint32_t i = 0; i < kCap; ++i) free_slots.push_back(i);
  auto key_of = [&](uint32_t s) -> const AddrKey& { return slots[s]; };
  std::mt19937 rng(seed);
  for (int step = 0; step < 50000; ++step) {
    const uint32_t k = rng() % keys;
    const uint64_t h = hash(k);
    const auto it = live.find(k);
    EXPECT_EQ(index.find(v4(k), h, key_of), it == live.end() ? AddrIndex::kNone : it->second) << "step " << step;
    if (it != live.end()) {
      index.erase(h, it->second);
      free_slots.push_back(it->second);
      live.erase(it);
    } else if (!free_slots.empty()) {
      const uint32_t s = free_slots.back();
      free_slots.pop_back();
      slots[s] = v4(k);
      index.insert(h, s);
      live[k] = s;
    }
    if (::testing::Test::HasFailure()) return live.size();
  }
  for (const auto& [k, s] : live) EXPECT_EQ(index.find(v4(k), hash(k), key_of), s);
  index.clear();
  for (const auto& [k, s] : live) EXPECT_EQ(index.find(v4(k), hash(k), key_of), AddrIndex::kNone);
  return live.size();
}

TEST(AddrIndex, FindsEveryKeyThroughInsertsAndErasures) {
  churn(400, 3, [](uint32_t k) { return hash_addr(v4(k), kSeed); });
}

// Hashes chosen so that the keys share three home buckets: most keys live
// past their home, erasures happen in the middle of long runs, and a miss
// must walk every bucket that overflowed.
TEST(AddrIndex, FindsEveryKeyWhenBucketsOverflow) {
  const size_t live = churn(300, 5, [](uint32_t k) { return (hash_addr(v4(k), kSeed) & ~0xFFFFFFFFull) | (k % 3); });
  EXPECT_GT(live, 100u);  // the runs stayed long
}

TEST(TopK, KeepsTheLargestValues) {
  TopK top(5);
  EXPECT_EQ(top.floor(), 0u);
  // Key k's value grows to 10 * k (keys 1..30, interleaved, as per-packet estimates do).
  for (uint64_t v = 1; v <= 300; ++v) {
    for (uint32_t k = 1; k <= 30; ++k) {
      if (v <= 10 * k) top.offer(v4(k), hash_addr(v4(k), kSeed), v);
    }
  }
  std::set<uint64_t> kept;
  for (uint32_t i = 0; i < top.size(); ++i) kept.insert(top.value(i));
  EXPECT_EQ(kept, (std::set<uint64_t>{260, 270, 280, 290, 300}));
  EXPECT_EQ(top.floor(), 260u);
  top.clear();
  EXPECT_EQ(top.size(), 0u);
}

TEST(ScanTable, ASourceWithManyFlowsSurvivesManyLightOnes) {
  ScanTable t(16);
  const AddrKey scanner = v4(0x0a000001);
  const uint64_t hs = hash_addr(scanner, kSeed);
  uint32_t replaced = 0;
  for (uint32_t i = 0; i < 3000; ++i) {
    if (i % 3 == 0) {
      t.add(scanner, hs, hash_addr(v4(0x0a0000ff), kSeed), mix64(i / 3 + 1));  // ports 1..1000
    } else {
      const AddrKey light = v4(0x0b000000 + i);  // each light source begins one flow
      replaced += t.add(light, hash_addr(light, kSeed), hash_addr(v4(1), kSeed), mix64(443)) ? 1 : 0;
    }
  }
  EXPECT_GT(replaced, 1000u);
  bool found = false;
  for (uint32_t i = 0; i < t.size(); ++i) {
    if (t.entry(i).src == scanner) {
      found = true;
      EXPECT_NEAR(t.entry(i).ports.estimate(), 1000.0, 100.0);
      EXPECT_NEAR(t.entry(i).hosts.estimate(), 1.0, 0.5);
    }
  }
  EXPECT_TRUE(found);
}

TEST(HashAddr, RawBytesHashLikeTheKey) {
  uint8_t b[16];
  for (uint32_t i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(i * 37 + 5);
  for (uint8_t version : {4, 6}) {
    EXPECT_EQ(hash_addr_raw(b, version, kSeed), hash_addr(make_addr(b, version), kSeed));
  }
  EXPECT_EQ(hash_addr_raw(v4(0x0a000001).bytes, 4, kSeed), hash_addr(v4(0x0a000001), kSeed));
}

TEST(TopK, FloorFollowsOffersAndClear) {
  TopK top(2);
  top.offer(v4(1), hash_addr(v4(1), kSeed), 5);
  EXPECT_EQ(top.floor(), 0u);  // not full yet
  top.offer(v4(2), hash_addr(v4(2), kSeed), 7);
  EXPECT_EQ(top.floor(), 5u);
  top.offer(v4(1), hash_addr(v4(1), kSeed), 9);  // a kept key grows: the root changes
  EXPECT_EQ(top.floor(), 7u);
  top.offer(v4(3), hash_addr(v4(3), kSeed), 8);  // replaces the smallest
  EXPECT_EQ(top.floor(), 8u);
  top.clear();
  EXPECT_EQ(top.floor(), 0u);
}

TEST(ScanTable, MergesLikeOneSketchPerSourceWhateverItsFlowCount) {
  // Sources with one flow keep it as is; merge_into must give what per-source sketches give.
  ScanTable t(64);
  std::map<uint32_t, std::pair<HyperLogLog, HyperLogLog>> truth;
  std::mt19937 rng(11);
  for (uint32_t i = 0; i < 40; ++i) {
    const uint32_t src = 1 + rng() % 30;
    const uint32_t flows = 1 + (src % 3 == 0 ? 5 : 0);
    for (uint32_t f = 0; f < flows; ++f) {
      const uint64_t ph = mix64(rng()), dh = mix64(rng());
      t.add(v4(src), hash_addr(v4(src), kSeed), dh, ph);
      truth[src].first.add(ph);
      truth[src].second.add(dh);
    }
  }
  ASSERT_EQ(t.size(), truth.size());
  for (uint32_t i = 0; i < t.size(); ++i) {
    HyperLogLog p, h;
    t.entry(i).merge_into(p, h);
    uint32_t key = 0;
    for (const auto& [k, v] : truth) key = v4(k) == t.entry(i).src ? k : key;
    ASSERT_NE(key, 0u);
    EXPECT_DOUBLE_EQ(p.estimate(), truth[key].first.estimate()) << key;
    EXPECT_DOUBLE_EQ(h.estimate(), truth[key].second.estimate()) << key;
  }
}

}  // namespace
}  // namespace tapline::test
