// Which of eight 32-bit words equal a value: bit i of the result for word i.
// Two SSE compares; `words` must be 16-byte aligned (a bucket's array).
#pragma once
#include <emmintrin.h>

#include <cstdint>

namespace tapline {

inline uint32_t match8(const uint32_t* words, uint32_t value) {
  const __m128i v = _mm_set1_epi32(static_cast<int>(value));
  const __m128i lo = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(words)), v);
  const __m128i hi = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(words + 4)), v);
  return static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(lo)) | (_mm_movemask_ps(_mm_castsi128_ps(hi)) << 4));
}

}  // namespace tapline
