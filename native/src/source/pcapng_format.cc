// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each
//   type:u32 | total_length:u32 | body | total_length:u32
// in the byte order of the enclosing Section Header Block. Each section
// starts over with its own byte order and interfaces. Packets come from
// Enhanced (6), Simple (3) and the obsolete Packet (2) blocks; Interface
// Description Blocks (1) give each interface's link type, snaplen and
// timestamp resolution; every other block is skipped by its length.
#include <cstdio>
#include <string>
#include <vector>

#include "source/file_stream.h"

namespace tapline {
namespace {

constexpr uint32_t kShb = 0x0a0d0d0a;
constexpr uint32_t kIdb = 1;
constexpr uint32_t kOpb = 2;
constexpr uint32_t kSpb = 3;
constexpr uint32_t kEpb = 6;
constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;

constexpr uint32_t kMaxBlockBytes = 64u << 20;
constexpr size_t kMaxInterfaces = 65536;  // per section
constexpr uint16_t kOptEnd = 0, kOptTsresol = 9, kOptTsoffset = 14;

// Smallest legal total length of each block type (header, fixed fields, trailer).
uint32_t min_block_bytes(uint32_t type) {
  switch (type) {
    case kShb: return 28;
    case kIdb: return 20;
    case kOpb: return 32;
    case kSpb: return 16;
    case kEpb: return 32;
    default: return 12;
  }
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Timestamp units of one interface and their conversion to nanoseconds,
// exact and in 64-bit arithmetic (unsigned, so absurd values wrap, never UB).
struct Interface {
  enum class Unit : uint8_t { kMul10, kDiv10, kPow2 };
  uint16_t linktype = 0;
  uint32_t snaplen = 0;
  Unit unit = Unit::kMul10;
  uint8_t pow2 = 0;               // kPow2: ticks are 2^-pow2 s
  uint8_t ts_digits = 6;
  uint64_t factor = 1000;         // kMul10: ns per tick; kDiv10: ticks per ns
  uint64_t offset_ns = 0;         // if_tsoffset, in ns

  // if_tsresol: MSB clear = 10^-v, set = 2^-v. False if not representable.
  bool set_resolution(uint8_t r) {
    const unsigned v = r & 0x7fu;
    if ((r & 0x80u) == 0) {
      if (v > 19) return false;  // 10^20 ticks/s does not fit in 64 bits
      uint64_t p = 1;
      for (unsigned i = 0; i < (v <= 9 ? 9 - v : v - 9); ++i) p *= 10;
      unit = v <= 9 ? Unit::kMul10 : Unit::kDiv10;
      factor = p;
      ts_digits = static_cast<uint8_t>(v <= 9 ? v : 9);
      return true;
    }
    if (v > 63) return false;
    unit = Unit::kPow2;
    pow2 = static_cast<uint8_t>(v);
    // Smallest d with 10^d >= 2^v: enough decimal digits to tell ticks apart.
    uint8_t d = 0;
    for (uint64_t p = 1; p < (uint64_t{1} << v) && d < 9; p *= 10) ++d;
    ts_digits = d;
    return true;
  }

  uint64_t to_ns(uint64_t ts) const {
    switch (unit) {
      case Unit::kMul10: return ts * factor + offset_ns;
      case Unit::kDiv10: return ts / factor + offset_ns;
      case Unit::kPow2: break;
    }
    const unsigned v = pow2;
    const uint64_t sec = ts >> v;
    const uint64_t frac = ts & ((uint64_t{1} << v) - 1);
    uint64_t frac_ns;
    if (v < 32) {
      frac_ns = (frac * 1000000000u) >> v;  // frac < 2^31: product < 2^61
    } else {
      // frac * 1e9 as (hi * 1e9) * 2^32 + lo * 1e9, both parts < 2^62; the
      // low 32 bits of the sum cannot change floor(.. / 2^v) for v >= 32.
      const uint64_t hi = (frac >> 32) * 1000000000u;
      const uint64_t lo = (frac & 0xffffffffu) * 1000000000u;
      frac_ns = (hi + (lo >> 32)) >> (v - 32);
    }
    return sec * 1000000000u + frac_ns + offset_ns;
  }
};

class PcapngReader final : public CaptureFileReader {
 public:
  explicit PcapngReader(FileStream&& stream) : s_(std::move(stream)) {
    gz_ = s_.gz();
    file_size_ = s_.file_size();
  }

  // Reads the first Section Header Block; on failure `why` says what is wrong.
  bool start(std::string& why) {
    block_off_ = s_.offset();
    if (section_header()) return true;
    why = error_;
    return false;
  }

  bool next(RawPacket& out) override {
    if (end_ != ReadEnd::kNone) return false;
    // Bounded: every pass consumes a block of >= 12 bytes or ends reading.
    for (;;) {
      block_off_ = s_.offset();
      const uint8_t* p = s_.peek(8);
      if (p == nullptr) return stop_short(8, /*in_header=*/true, 0, 0);
      const uint32_t type = load_u32(p, be_);
      if (type == kShb) {
        if (!section_header()) return false;
        continue;
      }
      const uint32_t len = load_u32(p + 4, be_);
      if (!check_length(type, len)) return false;
      if (type != kIdb && type != kEpb && type != kSpb && type != kOpb) {
        if (!skip_block(type, len)) return false;
        continue;
      }
      p = s_.peek(len);
      if (p == nullptr) return stop_short(len, /*in_header=*/false, type, len);
      if (!check_trailer(type, len, p + len - 4)) return false;
      if (type == kIdb) {
        if (!interface_description(p, len)) return false;
        finish_block(len);
        continue;
      }
      if (!packet(type, p, len, out)) return false;
      finish_block(len);
      return true;
    }
  }

 private:
  bool stop(ReadEnd why, std::string message) {
    end_ = why;
    error_ = std::move(message);
    return false;
  }
  bool corrupt(const std::string& what) { return stop(ReadEnd::kCorrupt, where() + ": " + what); }
  void finish_block(uint32_t len) {
    s_.consume(len);
    ++blocks_;
  }

  // "block 7 at offset 1234": the block being read (1-based, whole file).
  std::string where() const {
    return "block " + std::to_string(blocks_ + 1) + " at offset " + std::to_string(block_off_);
  }

  bool check_length(uint32_t type, uint32_t len) {
    const uint32_t min = min_block_bytes(type);
    std::string what;
    if (len < min) {
      what = "is below the " + std::to_string(min) + "-byte minimum";
    } else if (len > kMaxBlockBytes) {
      what = "exceeds the " + std::to_string(kMaxBlockBytes) + "-byte limit";
    } else if (len % 4 != 0) {
      what = "is not a multiple of 4";
    } else {
      return true;
    }
    return corrupt("block type " + hex32(type) + " length " + std::to_string(len) + " " + what);
  }

  bool check_trailer(uint32_t type, uint32_t len, const uint8_t* trailer) {
    const uint32_t trailing = load_u32(trailer, be_);
    if (trailing == len) return true;
    return corrupt("block type " + hex32(type) + " trailing length " + std::to_string(trailing) +
                   " differs from its leading length " + std::to_string(len));
  }

  // Unknown or unused block: skipped in place, or streamed past if it is
  // larger than the chunk buffer (so it never makes the buffer grow).
  bool skip_block(uint32_t type, uint32_t len) {
    const uint8_t* p;
    if (len <= FileStream::kChunkBytes) {
      p = s_.peek(len);
      if (p == nullptr) return stop_short(len, /*in_header=*/false, type, len);
      if (!check_trailer(type, len, p + len - 4)) return false;
      finish_block(len);
      return true;
    }
    if (!s_.skip(len - 4) || (p = s_.peek(4)) == nullptr) {
      return stop_short(len, /*in_header=*/false, type, len);
    }
    if (!check_trailer(type, len, p)) return false;
    s_.consume(4);
    ++blocks_;
    return true;
  }

  bool section_header() {
    const uint8_t* p = s_.peek(12);
    if (p == nullptr) return stop_short(12, /*in_header=*/true, kShb, 0);
    const uint32_t bom = load_u32(p + 8, /*big_endian=*/true);
    bool be;
    if (bom == kByteOrderMagic) {
      be = true;
    } else if (bom == 0x4d3c2b1a) {  // written little-endian
      be = false;
    } else {
      return corrupt("section header has a bad byte-order magic " + hex32(bom));
    }
    be_ = be;
    const uint32_t len = load_u32(p + 4, be);
    if (!check_length(kShb, len)) return false;
    p = s_.peek(len);
    if (p == nullptr) return stop_short(len, /*in_header=*/false, kShb, len);
    if (!check_trailer(kShb, len, p + len - 4)) return false;
    const uint16_t major = load_u16(p + 12, be), minor = load_u16(p + 14, be);
    if (major != 1) {
      return corrupt("unsupported pcapng version " + std::to_string(major) + "." +
                     std::to_string(minor));
    }
    ifaces_.clear();  // a new section starts over with its own interfaces
    finish_block(len);
    return true;
  }

  bool interface_description(const uint8_t* p, uint32_t len) {
    if (ifaces_.size() >= kMaxInterfaces) {
      return corrupt("more than " + std::to_string(kMaxInterfaces) + " interfaces in a section");
    }
    Interface ifc;
    ifc.linktype = load_u16(p + 8, be_);
    ifc.snaplen = load_u32(p + 12, be_);
    // Options: code:u16 | length:u16 | value padded to 4. Bounded by the body.
    const uint8_t* q = p + 16;
    const uint8_t* const end = p + len - 4;
    while (end - q >= 4) {
      const uint16_t code = load_u16(q, be_), olen = load_u16(q + 2, be_);
      if (code == kOptEnd) break;
      const size_t padded = (size_t{olen} + 3) & ~size_t{3};
      if (padded > static_cast<size_t>(end - q - 4)) {
        return corrupt("interface option " + std::to_string(code) + " (length " +
                       std::to_string(olen) + ") runs past the end of the block");
      }
      const uint8_t* v = q + 4;
      if (code == kOptTsresol) {
        if (olen != 1) return corrupt("if_tsresol option length " + std::to_string(olen) + " != 1");
        if (!ifc.set_resolution(v[0])) {
          return corrupt("unsupported if_tsresol " + std::string((v[0] & 0x80) ? "2^-" : "10^-") +
                         std::to_string(v[0] & 0x7f));
        }
      } else if (code == kOptTsoffset) {
        if (olen != 8) return corrupt("if_tsoffset option length " + std::to_string(olen) + " != 8");
        ifc.offset_ns = load_u64(v, be_) * 1000000000u;  // signed seconds; wraps like two's complement
      }
      q += 4 + padded;
    }
    ifaces_.push_back(ifc);
    return true;
  }

  bool packet(uint32_t type, const uint8_t* p, uint32_t len, RawPacket& out) {
    const uint32_t body = len - 12;  // after type, length; before the trailer
    uint32_t ifid, caplen, origlen;
    uint64_t ticks = 0;
    const uint8_t* data;
    if (type == kSpb) {
      if (ifaces_.empty()) return corrupt("simple packet block before any interface description");
      ifid = 0;
      origlen = load_u32(p + 8, be_);
      caplen = origlen < body - 4 ? origlen : body - 4;
      const uint32_t snaplen = ifaces_[0].snaplen;
      if (snaplen != 0 && caplen > snaplen) caplen = snaplen;
      data = p + 12;
    } else {  // EPB and OPB share the layout after the interface id
      ifid = type == kEpb ? load_u32(p + 8, be_) : load_u16(p + 8, be_);
      ticks = uint64_t{load_u32(p + 12, be_)} << 32 | load_u32(p + 16, be_);
      caplen = load_u32(p + 20, be_);
      origlen = load_u32(p + 24, be_);
      data = p + 28;
      if (caplen > body - 20) {
        return corrupt((type == kEpb ? "enhanced" : "obsolete") + std::string(" packet caplen ") +
                       std::to_string(caplen) + " exceeds the block's " +
                       std::to_string(body - 20) + " data bytes");
      }
      if (ifid >= ifaces_.size()) {
        return corrupt("packet refers to interface " + std::to_string(ifid) +
                       " but the section has " + std::to_string(ifaces_.size()));
      }
    }
    const Interface& ifc = ifaces_[ifid];
    out.data = data;
    out.caplen = caplen;
    out.wirelen = origlen < caplen ? caplen : origlen;
    out.ts_ns = type == kSpb ? 0 : ifc.to_ns(ticks);
    out.linktype = ifc.linktype;
    out.ts_digits = ifc.ts_digits;
    return true;
  }

  // The stream ended or failed before `need` bytes of the current block.
  bool stop_short(size_t need, bool in_header, uint32_t type, uint32_t len) {
    const size_t have = s_.available();
    const bool boundary = in_header && have == 0 && s_.offset() == block_off_;
    switch (s_.state()) {
      case FileStream::State::kError:
        return corrupt(s_.error());
      case FileStream::State::kEof:
        if (boundary) {
          end_ = ReadEnd::kEof;
          return false;
        }
        break;
      case FileStream::State::kCutShort:
        if (boundary) {
          return stop(ReadEnd::kTruncated, "gzip stream cut short after block " +
                                               std::to_string(blocks_) + " (offset " +
                                               std::to_string(block_off_) + ")");
        }
        break;
      case FileStream::State::kOk:  // not reached: a short read sets a state
        break;
    }
    std::string msg = "file ends inside ";
    if (in_header) {
      msg += "the header of " + where() + " (" + std::to_string(have) + " of " +
             std::to_string(need) + " bytes)";
    } else {
      msg += where() + " (type " + hex32(type) + ", " + std::to_string(len) + " bytes; " +
             std::to_string(s_.offset() - block_off_ + have) + " present)";
    }
    if (s_.state() == FileStream::State::kCutShort) msg += "; gzip stream cut short";
    return stop(ReadEnd::kTruncated, std::move(msg));
  }

  FileStream s_;
  bool be_ = false;                 // byte order of the current section
  std::vector<Interface> ifaces_;   // of the current section
  uint64_t blocks_ = 0;             // blocks fully read
  uint64_t block_off_ = 0;          // file offset of the block being read
};

}  // namespace

std::unique_ptr<CaptureFileReader> make_pcapng_reader(FileStream&& stream) {
  const std::string path = stream.path();
  auto reader = std::make_unique<PcapngReader>(std::move(stream));
  std::string why;
  if (!reader->start(why)) throw_open_error(path, "pcapng " + why);
  return reader;
}

}  // namespace tapline
