// Seeded CRC32C hashing (SSE4.2) of flow keys. Two independent 32-bit hashes
// per key: one picks the worker and primary bucket, the other is the bucket
// signature and picks the alternate bucket. The key is canonical, so the hash
// is symmetric: both directions of a flow land on the same worker.
#pragma once
#include <nmmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "parse/flow_key.h"

namespace tapline {

inline uint32_t crc32c_bytes(const void* data, size_t len, uint32_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = seed;
  while (len >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = _mm_crc32_u64(h, w);
    p += 8;
    len -= 8;
  }
  uint32_t h32 = static_cast<uint32_t>(h);
  while (len--) h32 = _mm_crc32_u8(h32, *p++);
  return h32;
}

struct FlowHashes {
  uint32_t hash;
  uint32_t sig;
};

inline FlowHashes hash_flow_key(const FlowKey& key, uint64_t seed) {
  uint64_t w[5];
  std::memcpy(w, &key, sizeof(w));
  uint64_t h1 = static_cast<uint32_t>(seed);
  uint64_t h2 = static_cast<uint32_t>(seed >> 32) ^ 0x9E3779B9u;
  for (int i = 0; i < 5; ++i) {  // two independent chains: the CPU overlaps them
    h1 = _mm_crc32_u64(h1, w[i]);
    h2 = _mm_crc32_u64(h2, w[i] ^ 0x5bd1e9955bd1e995ull);
  }
  // CRC is linear; a final multiply-xorshift spreads the low bits the bucket index uses.
  auto mix = [](uint64_t x) {
    x *= 0x9E3779B97F4A7C15ull;
    return static_cast<uint32_t>(x >> 32);
  };
  return {mix(h1), mix(h2) | 1u};  // sig 0 is reserved for empty bucket slots
}

// Worker for a hash among n workers: uses the high bits, the bucket index the low ones.
inline uint32_t worker_of(uint32_t hash, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(hash) * n) >> 32);
}

}  // namespace tapline
