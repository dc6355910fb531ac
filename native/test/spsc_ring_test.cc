// SpscRing: capacity rounding, push/pop order, full and empty, wrap-around,
// partial bulk operations, in-place consumption, staged items published in
// batches, and one producer thread against one consumer.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "common/spsc_ring.h"

namespace tapline {
namespace {

TEST(SpscRing, CapacityIsAPowerOfTwoOfAtLeastTwo) {
  EXPECT_EQ(SpscRing<int>(0).capacity(), 2u);
  EXPECT_EQ(SpscRing<int>(1).capacity(), 2u);
  EXPECT_EQ(SpscRing<int>(2).capacity(), 2u);
  EXPECT_EQ(SpscRing<int>(5).capacity(), 8u);
  EXPECT_EQ(SpscRing<int>(1024).capacity(), 1024u);
  EXPECT_EQ(SpscRing<int>(1025).capacity(), 2048u);
  EXPECT_EQ(SpscRing<uint64_t>(8).memory_bytes(), 64u);
}

TEST(SpscRing, PushUntilFullThenPopInOrder) {
  SpscRing<int> r(4);
  EXPECT_EQ(r.size(), 0u);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(r.push(i * 10));
  EXPECT_FALSE(r.push(99));  // full: refused, not overwritten
  EXPECT_EQ(r.size(), 4u);
  int out[8] = {};
  EXPECT_EQ(r.pop_bulk(out, 8), 4u);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 10);
  EXPECT_EQ(out[2], 20);
  EXPECT_EQ(out[3], 30);
  EXPECT_EQ(r.pop_bulk(out, 8), 0u);  // empty
  EXPECT_EQ(r.size(), 0u);
}

TEST(SpscRing, PartialBulkPushAndPop) {
  SpscRing<int> r(8);
  const int in[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  EXPECT_EQ(r.push_bulk(in, 5), 5u);
  EXPECT_EQ(r.push_bulk(in + 5, 7), 3u);  // only 3 fit
  EXPECT_EQ(r.push_bulk(in, 1), 0u);
  int out[8];
  EXPECT_EQ(r.pop_bulk(out, 3), 3u);
  EXPECT_EQ(out[2], 2);
  EXPECT_EQ(r.push_bulk(in + 8, 4), 3u);  // room for 3 again: 8, 9, 10
  EXPECT_EQ(r.pop_bulk(out, 8), 8u);
  const int want[8] = {3, 4, 5, 6, 7, 8, 9, 10};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], want[i]) << i;
}

TEST(SpscRing, WrapsAroundManyTimes) {
  SpscRing<uint32_t> r(8);
  uint32_t next_in = 0, next_out = 0;
  uint32_t buf[5];
  for (int round = 0; round < 1000; ++round) {
    // Push 5, pop 3..5: the indexes wrap the 8 slots hundreds of times.
    for (uint32_t i = 0; i < 5; ++i) buf[i] = next_in + i;
    const uint32_t pushed = r.push_bulk(buf, 5);
    next_in += pushed;
    const uint32_t popped = r.pop_bulk(buf, 3 + round % 3);
    for (uint32_t i = 0; i < popped; ++i) ASSERT_EQ(buf[i], next_out++);
    ASSERT_LE(r.size(), 8u);
    ASSERT_EQ(r.size(), next_in - next_out);
  }
  EXPECT_GT(next_in, 3000u);
}

TEST(SpscRing, OneProducerOneConsumer) {
  SpscRing<uint64_t> r(64);
  constexpr uint64_t kCount = 200000;
  std::thread producer([&] {
    uint64_t v = 0;
    while (v < kCount) {
      uint64_t batch[16];
      uint32_t n = 0;
      for (; n < 16 && v + n < kCount; ++n) batch[n] = v + n;
      v += r.push_bulk(batch, n);
      if (v < kCount) std::this_thread::yield();
    }
  });
  uint64_t expect = 0, sum = 0, out_of_order = 0;
  uint64_t out[32];
  while (expect < kCount) {  // no ASSERT here: the producer must be joined
    const uint32_t n = r.pop_bulk(out, 32);
    for (uint32_t i = 0; i < n; ++i) {
      out_of_order += out[i] != expect++;
      sum += out[i];
    }
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(sum, kCount * (kCount - 1) / 2);
  EXPECT_EQ(r.size(), 0u);
}

// consume(): the items pop_bulk would give, in order, read where they lie;
// their slots are free only once it returns (the producer sees room then).
TEST(SpscRing, ConsumeReadsInPlaceInOrderAndFreesAfter) {
  SpscRing<uint32_t> r(8);
  uint32_t next_in = 0, next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    while (r.push(next_in)) ++next_in;  // full
    const uint32_t want = 1 + round % 8;
    uint32_t seen = 0;
    const uint32_t got = r.consume(want, [&](const uint32_t& v) {
      ASSERT_EQ(v, next_out + seen);
      ASSERT_EQ(r.size(), 8u);  // nothing freed while the consumer reads
      ++seen;
    });
    ASSERT_EQ(got, want);
    ASSERT_EQ(seen, want);
    next_out += got;
    ASSERT_EQ(r.size(), next_in - next_out);
  }
  for (int i = 0; i < 3; ++i) r.push(next_in++);  // fewer than asked for: consume takes what is there
  const uint64_t left = r.size();
  uint32_t rest = 0;
  EXPECT_EQ(r.consume(100, [&](const uint32_t& v) { EXPECT_EQ(v, next_out + rest++); }), left);
  EXPECT_EQ(rest, left);
  EXPECT_EQ(left, 3u);  // the last round (999 % 8 == 7) took all 8
  EXPECT_EQ(r.consume(100, [](const uint32_t&) { ADD_FAILURE() << "empty ring"; }), 0u);
}

TEST(SpscRing, OneProducerOneConsumerInPlace) {
  SpscRing<uint64_t> r(64);
  constexpr uint64_t kCount = 200000;
  std::thread producer([&] {
    for (uint64_t v = 0; v < kCount;) {
      if (r.push(v)) {
        ++v;
      } else {
        std::this_thread::yield();
      }
    }
  });
  uint64_t expect = 0, sum = 0, out_of_order = 0;
  while (expect < kCount) {
    const uint32_t n = r.consume(32, [&](const uint64_t& v) {
      out_of_order += v != expect++;
      sum += v;
    });
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(sum, kCount * (kCount - 1) / 2);
  EXPECT_EQ(r.size(), 0u);
}

// stage(): written but invisible (size, pop, consume) until publish(); staged
// items take room, push() publishes them with its own, and a publish with
// nothing new staged changes nothing.
TEST(SpscRing, StagedItemsAppearOnlyWhenPublished) {
  SpscRing<int> r(4);
  EXPECT_TRUE(r.stage(1));
  EXPECT_TRUE(r.stage(2));
  EXPECT_EQ(r.size(), 0u);
  int out[8] = {};
  EXPECT_EQ(r.pop_bulk(out, 8), 0u);
  r.publish();
  EXPECT_EQ(r.size(), 2u);
  EXPECT_TRUE(r.stage(3));
  EXPECT_TRUE(r.stage(4));
  EXPECT_FALSE(r.stage(5));  // the staged items hold the last two slots
  EXPECT_FALSE(r.push(5));
  EXPECT_EQ(r.size(), 4u);   // ...and the refused push published them
  EXPECT_EQ(r.pop_bulk(out, 1), 1u);
  EXPECT_EQ(out[0], 1);
  EXPECT_TRUE(r.stage(5));   // the freed slot
  r.publish();
  r.publish();
  EXPECT_EQ(r.pop_bulk(out, 8), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], i + 2) << i;
  EXPECT_EQ(r.size(), 0u);
}

// A producer staging one item at a time and publishing every few items (as a
// worker publishes its records once per burst) against a consumer reading in place.
TEST(SpscRing, StagedBatchesReachAConsumerInOrder) {
  SpscRing<uint64_t> r(64);
  constexpr uint64_t kCount = 200000;
  std::thread producer([&] {
    for (uint64_t v = 0; v < kCount;) {
      const uint64_t batch_end = v + 1 + v % 37 < kCount ? v + 1 + v % 37 : kCount;
      while (v < batch_end) {
        if (r.stage(v)) {
          ++v;
        } else {
          r.publish();  // full: the consumer must see what waits before room appears
          std::this_thread::yield();
        }
      }
      r.publish();
    }
  });
  uint64_t expect = 0, out_of_order = 0;
  while (expect < kCount) {
    const uint32_t n = r.consume(32, [&](const uint64_t& v) { out_of_order += v != expect++; });
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(r.size(), 0u);
}

}  // namespace
}  // namespace tapline
