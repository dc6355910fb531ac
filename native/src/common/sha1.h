// SHA-1, for Community ID flow hashes only (not for security).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tapline {

void sha1(const uint8_t* data, size_t len, uint8_t digest[20]);

// Standard base64 with padding; `out` must hold 4 * ceil(len / 3) bytes. Returns bytes written.
size_t base64_encode(const uint8_t* data, size_t len, char* out);

}  // namespace tapline
