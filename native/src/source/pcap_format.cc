// Classic pcap (tcpdump.org "LINKTYPE" file format, draft-ietf-opsawg-pcap):
// a 24-byte file header, then records of a 16-byte header plus caplen bytes.
// Magic 0xa1b2c3d4 = microsecond timestamps, 0xa1b23c4d = nanosecond; the
// byte order of the magic as read is the byte order of every other field.
#include <string>

#include "source/file_stream.h"

namespace tapline {
namespace {

constexpr size_t kFileHeaderBytes = 24;
constexpr size_t kRecordHeaderBytes = 16;
// libpcap's MAXIMUM_SNAPLEN: no real capture has a larger record, and the
// bound keeps a corrupt length from making the reader swallow the file.
constexpr uint32_t kMaxCaplen = 256u << 10;

class PcapReader final : public CaptureFileReader {
 public:
  PcapReader(FileStream&& stream, bool big_endian, bool nanos, uint16_t linktype)
      : s_(std::move(stream)),
        big_endian_(big_endian),
        linktype_(linktype),
        ts_digits_(nanos ? 9 : 6),
        frac_to_ns_(nanos ? 1 : 1000) {
    gz_ = s_.gz();
    file_size_ = s_.file_size();
  }

  bool next(RawPacket& out) override {
    if (end_ != ReadEnd::kNone) return false;
    const uint8_t* p = s_.peek(kRecordHeaderBytes);
    if (p == nullptr) return stop_short(kRecordHeaderBytes, /*in_header=*/true);
    const uint32_t caplen = load_u32(p + 8, big_endian_);
    if (caplen > kMaxCaplen) {
      return stop(ReadEnd::kCorrupt, where() + ": caplen " + std::to_string(caplen) +
                                         " exceeds the " + std::to_string(kMaxCaplen) +
                                         "-byte limit");
    }
    const size_t total = kRecordHeaderBytes + caplen;
    p = s_.peek(total);  // usually the same pointer: the record lies in the chunk
    if (p == nullptr) return stop_short(total, /*in_header=*/false);

    const uint64_t sec = load_u32(p, big_endian_);
    const uint64_t frac = load_u32(p + 4, big_endian_);
    const uint32_t wirelen = load_u32(p + 12, big_endian_);
    out.data = p + kRecordHeaderBytes;
    out.caplen = caplen;
    out.wirelen = wirelen < caplen ? caplen : wirelen;  // keep wirelen >= caplen
    out.ts_ns = sec * 1000000000u + frac * frac_to_ns_;  // < 2^63: no overflow
    out.linktype = linktype_;
    out.ts_digits = ts_digits_;
    s_.consume(total);
    ++records_;
    return true;
  }

 private:
  bool stop(ReadEnd why, std::string message) {
    end_ = why;
    error_ = std::move(message);
    return false;
  }

  // "record 7 at offset 1234": the record being read (1-based).
  std::string where() const {
    return "record " + std::to_string(records_ + 1) + " at offset " + std::to_string(s_.offset());
  }

  // The stream ended or failed before `need` bytes of the current record.
  bool stop_short(size_t need, bool in_header) {
    const size_t have = s_.available();
    switch (s_.state()) {
      case FileStream::State::kError:
        return stop(ReadEnd::kCorrupt, where() + ": " + s_.error());
      case FileStream::State::kEof:
        if (in_header && have == 0) {
          end_ = ReadEnd::kEof;
          return false;
        }
        break;
      case FileStream::State::kCutShort:
        if (in_header && have == 0) {
          return stop(ReadEnd::kTruncated, "gzip stream cut short after record " +
                                               std::to_string(records_) + " (offset " +
                                               std::to_string(s_.offset()) + ")");
        }
        break;
      case FileStream::State::kOk:  // not reached: a short peek sets a state
        break;
    }
    std::string msg = "file ends inside the " + std::string(in_header ? "header" : "data") +
                      " of " + where() + " (" + std::to_string(have) + " of " +
                      std::to_string(need) + " bytes)";
    if (s_.state() == FileStream::State::kCutShort) msg += "; gzip stream cut short";
    return stop(ReadEnd::kTruncated, std::move(msg));
  }

  FileStream s_;
  uint64_t records_ = 0;  // records returned so far
  const bool big_endian_;
  const uint16_t linktype_;
  const uint8_t ts_digits_;
  const uint64_t frac_to_ns_;
};

}  // namespace

std::unique_ptr<CaptureFileReader> make_pcap_reader(FileStream&& stream, uint32_t magic) {
  const bool big_endian = magic == 0xa1b2c3d4 || magic == 0xa1b23c4d;
  const bool nanos = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
  const uint8_t* h = stream.peek(kFileHeaderBytes);
  if (h == nullptr) {
    if (stream.state() == FileStream::State::kError) {
      throw_open_error(stream.path(), stream.error());
    }
    throw_open_error(stream.path(), "truncated pcap file header (" +
                                        std::to_string(stream.available()) + " of " +
                                        std::to_string(kFileHeaderBytes) + " bytes)");
  }
  // The network field's low 16 bits are the link type; the upper bits may
  // carry FCS information, which the engine does not use.
  const uint16_t linktype = static_cast<uint16_t>(load_u32(h + 20, big_endian) & 0xffffu);
  stream.consume(kFileHeaderBytes);
  return std::make_unique<PcapReader>(std::move(stream), big_endian, nanos, linktype);
}

}  // namespace tapline
