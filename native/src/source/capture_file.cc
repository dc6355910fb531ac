// CaptureFileReader::open(): opens the file through zlib (gzip or plain,
// told apart by content), then picks the format reader from the first four
// decompressed bytes. The readers live in pcap_format.cc and pcapng_format.cc.
#include "source/capture_file.h"

#include <zlib.h>

#include <cstdio>

#include "source/file_stream.h"

namespace tapline {
namespace {

// The first four bytes of a file, read big-endian.
constexpr uint32_t kPcapUsBe = 0xa1b2c3d4;  // microsecond pcap, big-endian writer
constexpr uint32_t kPcapUsLe = 0xd4c3b2a1;  // microsecond pcap, little-endian writer
constexpr uint32_t kPcapNsBe = 0xa1b23c4d;  // nanosecond pcap, big-endian writer
constexpr uint32_t kPcapNsLe = 0x4d3cb2a1;  // nanosecond pcap, little-endian writer
constexpr uint32_t kPcapngShb = 0x0a0d0d0a;  // pcapng Section Header Block (palindrome)

}  // namespace

std::unique_ptr<CaptureFileReader> CaptureFileReader::open(const std::string& path) {
  FileStream stream(path);
  const uint8_t* p = stream.peek(4);
  if (p == nullptr) {
    if (stream.state() == FileStream::State::kError) throw_open_error(path, stream.error());
    const size_t have = stream.available();
    if (have == 0) throw_open_error(path, "empty file");
    throw_open_error(path, "not a pcap or pcapng file (only " + std::to_string(have) +
                               (have == 1 ? " byte)" : " bytes)"));
  }
  const uint32_t magic = load_u32(p, /*big_endian=*/true);
  switch (magic) {
    case kPcapUsBe:
    case kPcapUsLe:
    case kPcapNsBe:
    case kPcapNsLe:
      return make_pcap_reader(std::move(stream), magic);
    case kPcapngShb:
      return make_pcapng_reader(std::move(stream));
    default: {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", magic);
      throw_open_error(path, std::string("not a pcap or pcapng file (magic ") + hex + ")");
    }
  }
}

uint64_t CaptureFileReader::bytes_read() const {
  if (gz_ == nullptr) return 0;
  // gzoffset: compressed bytes zlib has consumed (one lseek; not per packet).
  const z_off_t off = gzoffset(static_cast<gzFile>(gz_));
  return off < 0 ? 0 : static_cast<uint64_t>(off);
}

}  // namespace tapline
