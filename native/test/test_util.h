// Shared helpers for the native unit tests: raw-byte packet builders (every
// length field computed from what follows, overridable to build malformed
// packets), a parse harness that hands the parser an exactly-sized heap copy
// of each frame (so ASan reports any read past caplen), counter snapshots,
// capture-file writers (pcap, pcapng, gzip) and a temporary directory.
#pragma once
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/raw_packet.h"
#include "flow/flow_table.h"
#include "parse/parser.h"
#include "source/capture_file.h"

namespace tapline::test {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kSec = 1000000000ull;
constexpr uint64_t kT0 = 1700000000ull * kSec;  // 2023-11-14T22:13:20Z

// ---- byte assembly ---------------------------------------------------------

inline void put8(Bytes& b, uint8_t v) { b.push_back(v); }
inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline void put16le(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
inline void put32le(Bytes& b, uint32_t v) {
  put16le(b, static_cast<uint16_t>(v));
  put16le(b, static_cast<uint16_t>(v >> 16));
}
inline void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
inline Bytes operator+(Bytes a, const Bytes& b) {
  append(a, b);
  return a;
}
// n bytes 0, 1, 2, ... (mod 256): recognisable payload.
inline Bytes pattern(size_t n, uint8_t start = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(start + i);
  return b;
}
inline Bytes prefix(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + static_cast<long>(n)); }

// An IPv4 or IPv6 address in network order.
struct Addr {
  uint8_t b[16] = {};
  int len = 0;  // 4 or 16
};
inline Addr ip(const char* text) {
  Addr a;
  if (std::strchr(text, ':') != nullptr) {
    a.len = 16;
    if (inet_pton(AF_INET6, text, a.b) != 1) ADD_FAILURE() << "bad IPv6 literal " << text;
  } else {
    a.len = 4;
    if (inet_pton(AF_INET, text, a.b) != 1) ADD_FAILURE() << "bad IPv4 literal " << text;
  }
  return a;
}
inline Bytes addr_bytes(const Addr& a) { return Bytes(a.b, a.b + a.len); }

// ---- transport -------------------------------------------------------------

namespace tcpf {
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

// TCP header of `data_offset_words` 32-bit words (options are NOPs) plus payload.
inline Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, size_t payload = 0,
                 uint8_t data_offset_words = 5) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, 0x01020304);  // seq
  put32(b, 0);           // ack
  put8(b, static_cast<uint8_t>(data_offset_words << 4));
  put8(b, flags);
  put16(b, 65535);  // window
  put16(b, 0);      // checksum (not verified)
  put16(b, 0);      // urgent
  while (b.size() < static_cast<size_t>(data_offset_words) * 4) put8(b, 1);  // NOP options
  append(b, pattern(payload));
  return b;
}
// A TCP segment with the given sequence and acknowledgment numbers.
inline Bytes tcp_seq(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, size_t payload = 0) {
  Bytes b = tcp(sport, dport, flags, payload);
  for (int i = 0; i < 4; ++i) {
    b[4 + i] = static_cast<uint8_t>(seq >> (24 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(ack >> (24 - 8 * i));
  }
  return b;
}
inline Bytes udp(uint16_t sport, uint16_t dport, size_t payload = 0) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(8 + payload));
  put16(b, 0);
  append(b, pattern(payload));
  return b;
}
// ICMP/ICMPv6 header (type, code, checksum) + 4 bytes rest-of-header + payload.
inline Bytes icmp(uint8_t type, uint8_t code, size_t payload = 0) {
  Bytes b{type, code, 0, 0, 0x12, 0x34, 0x00, 0x01};
  append(b, pattern(payload));
  return b;
}
// SCTP common header (ports, verification tag, checksum) + chunk bytes.
inline Bytes sctp(uint16_t sport, uint16_t dport, size_t payload = 0) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, 0xdeadbeef);
  put32(b, 0);
  append(b, pattern(payload));
  return b;
}

// ---- network ---------------------------------------------------------------

struct Ipv4Opts {
  Bytes options;                 // appended to the 20-byte header; IHL follows (pad to 4 yourself)
  uint16_t id = 0x1234;
  uint16_t frag = 0;             // flags (0x2000 = MF) | 13-bit offset in 8-byte units
  std::optional<uint16_t> total;  // override the total-length field
  std::optional<uint8_t> ihl;     // override the IHL nibble (32-bit words)
  uint8_t version = 4;
};
inline Bytes ipv4(const Addr& src, const Addr& dst, uint8_t proto, const Bytes& payload,
                  const Ipv4Opts& o = {}) {
  const size_t hlen = 20 + o.options.size();
  Bytes b;
  put8(b, static_cast<uint8_t>(o.version << 4 | (o.ihl ? *o.ihl : hlen / 4)));
  put8(b, 0);  // DSCP/ECN
  put16(b, o.total ? *o.total : static_cast<uint16_t>(hlen + payload.size()));
  put16(b, o.id);
  put16(b, o.frag);
  put8(b, 64);  // TTL
  put8(b, proto);
  put16(b, 0);  // checksum (not verified)
  append(b, addr_bytes(src));
  append(b, addr_bytes(dst));
  append(b, o.options);
  append(b, payload);
  return b;
}
inline Bytes ipv6(const Addr& src, const Addr& dst, uint8_t next, const Bytes& payload,
                  std::optional<uint16_t> payload_len = std::nullopt, uint8_t version = 6) {
  Bytes b;
  put32(b, static_cast<uint32_t>(version) << 28);
  put16(b, payload_len ? *payload_len : static_cast<uint16_t>(payload.size()));
  put8(b, next);
  put8(b, 64);  // hop limit
  append(b, addr_bytes(src));
  append(b, addr_bytes(dst));
  append(b, payload);
  return b;
}
// Generic IPv6 extension header (hop-by-hop, routing, destination options):
// next header, length in 8-octet units beyond the first, padded with zeros.
inline Bytes ext6(uint8_t next, uint8_t len_units = 0) {
  Bytes b{next, len_units};
  b.resize((static_cast<size_t>(len_units) + 1) * 8, 0);
  return b;
}
// IPv6 Fragment header; `offset` in 8-octet units.
inline Bytes frag6(uint8_t next, uint16_t offset, bool more, uint32_t id) {
  Bytes b{next, 0};
  put16(b, static_cast<uint16_t>(offset << 3 | (more ? 1 : 0)));
  put32(b, id);
  return b;
}

// ---- link ------------------------------------------------------------------

inline Bytes eth(uint16_t type, const Bytes& payload) {
  Bytes b{0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa};
  put16(b, type);
  append(b, payload);
  return b;
}
// One 802.1Q/802.1ad tag body (TCI, inner EtherType): goes after an EtherType of 0x8100/0x88a8.
inline Bytes vlan_tag(uint16_t tci, uint16_t inner_type, const Bytes& payload) {
  Bytes b;
  put16(b, tci);
  put16(b, inner_type);
  append(b, payload);
  return b;
}
inline Bytes sll(uint16_t proto, const Bytes& payload) {
  Bytes b;
  put16(b, 0);  // packet type: to us
  put16(b, 1);  // ARPHRD_ETHER
  put16(b, 6);
  append(b, Bytes{0x02, 0, 0, 0, 0, 0xaa, 0, 0});
  put16(b, proto);
  append(b, payload);
  return b;
}
inline Bytes sll2(uint16_t proto, const Bytes& payload) {
  Bytes b;
  put16(b, proto);
  put16(b, 0);   // reserved
  put32(b, 2);   // interface index
  put16(b, 1);   // ARPHRD_ETHER
  put8(b, 0);    // packet type
  put8(b, 6);    // address length
  append(b, Bytes{0x02, 0, 0, 0, 0, 0xaa, 0, 0});
  append(b, payload);
  return b;
}
// BSD NULL (host order) / LOOP (network order) header: 4-byte address family.
inline Bytes loopback(uint32_t family, bool big_endian, const Bytes& payload) {
  Bytes b;
  if (big_endian) {
    put32(b, family);
  } else {
    put32le(b, family);
  }
  append(b, payload);
  return b;
}

// Common frames: Ethernet + IPv4/IPv6 + transport.
inline Bytes eth_ip(const Addr& src, const Addr& dst, uint8_t proto, const Bytes& l4) {
  return src.len == 4 ? eth(0x0800, ipv4(src, dst, proto, l4)) : eth(0x86dd, ipv6(src, dst, proto, l4));
}
inline Bytes tcp_frame(const char* src, uint16_t sport, const char* dst, uint16_t dport, uint8_t flags,
                       size_t payload = 0) {
  return eth_ip(ip(src), ip(dst), 6, tcp(sport, dport, flags, payload));
}
inline Bytes udp_frame(const char* src, uint16_t sport, const char* dst, uint16_t dport, size_t payload = 0) {
  return eth_ip(ip(src), ip(dst), 17, udp(sport, dport, payload));
}

// ---- parsing ---------------------------------------------------------------

// Counter values by field name; only the non-zero ones, so maps compare exactly.
inline std::map<std::string, uint64_t> malformed_counts(const ParseStats& s) {
  std::map<std::string, uint64_t> m;
#define TAPLINE_TEST_GET(f, n) \
  if (s.malformed.f.get() != 0) m[#f] = s.malformed.f.get();
  TAPLINE_MALFORMED_REASONS(TAPLINE_TEST_GET)
#undef TAPLINE_TEST_GET
  return m;
}
inline std::map<std::string, uint64_t> protocol_counts(const ParseStats& s) {
  std::map<std::string, uint64_t> m;
#define TAPLINE_TEST_GET(f, n) \
  if (s.proto.f.get() != 0) m[#f] = s.proto.f.get();
  TAPLINE_PROTOCOL_COUNTERS(TAPLINE_TEST_GET)
#undef TAPLINE_TEST_GET
  return m;
}
using Counts = std::map<std::string, uint64_t>;

// Owns a Parser and feeds it frames from exactly-sized heap buffers.
struct ParseHarness {
  explicit ParseHarness(const ParserConfig& config = {}) : parser(config) {}

  // wirelen 0 = same as the frame (not truncated by a snaplen).
  bool parse(const Bytes& frame, uint16_t linktype = kLinkEthernet, uint32_t wirelen = 0,
             uint64_t ts_ns = kT0) {
    std::unique_ptr<uint8_t[]> copy(new uint8_t[frame.empty() ? 1 : frame.size()]);
    if (!frame.empty()) std::memcpy(copy.get(), frame.data(), frame.size());
    RawPacket raw;
    // An empty frame still gets a pointer one past a 0-byte region (ASan: any read is reported).
    raw.data = frame.empty() ? copy.get() + 1 : copy.get();
    raw.caplen = static_cast<uint32_t>(frame.size());
    raw.wirelen = wirelen != 0 ? wirelen : raw.caplen;
    raw.ts_ns = ts_ns;
    raw.linktype = linktype;
    raw.ts_digits = 6;
    std::memset(&out, 0xA5, sizeof(out));  // stale bytes must not leak into a result
    return parser.parse(raw, out);
  }
  Counts malformed() const { return malformed_counts(parser.stats()); }
  Counts protocols() const { return protocol_counts(parser.stats()); }

  Parser parser;
  ParsedPacket out;
};

// The frame must be rejected and exactly `reason` (a ParseStats::malformed
// field name) must go up by one, every other malformed counter unchanged.
inline ::testing::AssertionResult RejectedAs(ParseHarness& h, const Bytes& frame, uint16_t linktype,
                                             const std::string& reason, uint32_t wirelen = 0) {
  Counts want = h.malformed();
  want[reason] += 1;
  if (h.parse(frame, linktype, wirelen)) {
    return ::testing::AssertionFailure() << "accepted a frame expected to be " << reason << " (" << frame.size()
                                         << " bytes)";
  }
  const Counts got = h.malformed();
  if (got != want) {
    std::string g;
    for (const auto& [k, v] : got) g += k + "=" + std::to_string(v) + " ";
    return ::testing::AssertionFailure() << "expected " << reason << " +1, malformed counters are: " << g;
  }
  return ::testing::AssertionSuccess();
}

inline std::string key_addr(const uint8_t* a, int version) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(version == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf);
  return buf;
}

// Parses `frame` (which must parse) and returns the ParsedPacket.
inline ParsedPacket must_parse(Parser& p, const Bytes& frame, uint64_t ts_ns, uint16_t linktype = kLinkEthernet) {
  RawPacket raw;
  raw.data = frame.data();
  raw.caplen = raw.wirelen = static_cast<uint32_t>(frame.size());
  raw.ts_ns = ts_ns;
  raw.linktype = linktype;
  ParsedPacket out{};
  EXPECT_TRUE(p.parse(raw, out)) << "frame of " << frame.size() << " bytes did not parse";
  return out;
}

// ---- flow table ------------------------------------------------------------

struct CollectingSink : RecordSink {
  void emit(const FlowRecord& r) override { records.push_back(r); }
  std::vector<FlowRecord> records;
};

// ---- capture files ---------------------------------------------------------

// Classic pcap in either byte order, micro- or nanosecond magic.
class PcapWriter {
 public:
  PcapWriter(bool big_endian, bool nanos, uint32_t network, uint32_t snaplen = 65535) : be_(big_endian) {
    u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4);
    u16(2);
    u16(4);
    u32(0);  // thiszone
    u32(0);  // sigfigs
    u32(snaplen);
    u32(network);
  }
  // Record header with explicit caplen/wirelen (caplen may lie: corrupt files).
  void record_header(uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t wirelen) {
    u32(sec);
    u32(frac);
    u32(caplen);
    u32(wirelen);
  }
  void add(uint32_t sec, uint32_t frac, const Bytes& pkt, uint32_t wirelen = 0) {
    record_header(sec, frac, static_cast<uint32_t>(pkt.size()), wirelen != 0 ? wirelen : static_cast<uint32_t>(pkt.size()));
    append(data, pkt);
  }
  Bytes data;

 private:
  void u16(uint16_t v) { be_ ? put16(data, v) : put16le(data, v); }
  void u32(uint32_t v) { be_ ? put32(data, v) : put32le(data, v); }
  bool be_;
};

// pcapng blocks in the byte order of the current section.
class PcapngWriter {
 public:
  void section(bool big_endian) {
    be_ = big_endian;
    Bytes body;
    b32(body, 0x1a2b3c4d);
    b16(body, 1);
    b16(body, 0);
    b32(body, 0xffffffff);  // section length: unknown
    b32(body, 0xffffffff);
    block(0x0a0d0d0a, body);
  }
  // Interface Description Block; tsresol/tsoffset options when given.
  void interface(uint16_t linktype, uint32_t snaplen = 0, std::optional<uint8_t> tsresol = std::nullopt,
                 std::optional<int64_t> tsoffset_s = std::nullopt) {
    Bytes body;
    b16(body, linktype);
    b16(body, 0);
    b32(body, snaplen);
    if (tsresol) {
      b16(body, 9);
      b16(body, 1);
      body.push_back(*tsresol);
      body.resize(body.size() + 3, 0);
    }
    if (tsoffset_s) {
      b16(body, 14);
      b16(body, 8);
      const uint64_t v = static_cast<uint64_t>(*tsoffset_s);
      if (be_) {
        b32(body, static_cast<uint32_t>(v >> 32));
        b32(body, static_cast<uint32_t>(v));
      } else {
        b32(body, static_cast<uint32_t>(v));
        b32(body, static_cast<uint32_t>(v >> 32));
      }
    }
    if (tsresol || tsoffset_s) {
      b16(body, 0);  // opt_endofopt
      b16(body, 0);
    }
    block(1, body);
  }
  void enhanced(uint32_t ifid, uint64_t ticks, const Bytes& pkt, uint32_t origlen = 0) {
    Bytes body;
    b32(body, ifid);
    b32(body, static_cast<uint32_t>(ticks >> 32));
    b32(body, static_cast<uint32_t>(ticks));
    b32(body, static_cast<uint32_t>(pkt.size()));
    b32(body, origlen != 0 ? origlen : static_cast<uint32_t>(pkt.size()));
    append(body, pkt);
    block(6, pad4(body));
  }
  void simple(const Bytes& pkt, uint32_t origlen = 0) {
    Bytes body;
    b32(body, origlen != 0 ? origlen : static_cast<uint32_t>(pkt.size()));
    append(body, pkt);
    block(3, pad4(body));
  }
  // Any block: type, total length, body, total length (body padded by the caller).
  void block(uint32_t type, const Bytes& body) {
    b32(data, type);
    b32(data, static_cast<uint32_t>(body.size() + 12));
    append(data, body);
    b32(data, static_cast<uint32_t>(body.size() + 12));
  }
  void b16(Bytes& b, uint16_t v) const { be_ ? put16(b, v) : put16le(b, v); }
  void b32(Bytes& b, uint32_t v) const { be_ ? put32(b, v) : put32le(b, v); }
  static Bytes pad4(Bytes b) {
    b.resize((b.size() + 3) & ~size_t{3}, 0);
    return b;
  }
  Bytes data;

 private:
  bool be_ = false;
};

// A fresh directory under the system temp dir, removed with its content.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tapline-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  ASSERT_TRUE(f.good()) << "writing " << path;
}
// gzip-compressed bytes (a complete stream with trailer).
inline Bytes gzip(const Bytes& b) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&z, b.size()) + 64);
  z.next_in = const_cast<Bytef*>(b.data());
  z.avail_in = static_cast<uInt>(b.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct ReadPacket {
  Bytes data;
  uint32_t wirelen;
  uint64_t ts_ns;
  uint16_t linktype;
  uint8_t ts_digits;
};
// Every packet the reader returns until next() says false.
inline std::vector<ReadPacket> read_all(CaptureFileReader& r) {
  std::vector<ReadPacket> v;
  RawPacket p;
  while (r.next(p)) v.push_back({Bytes(p.data, p.data + p.caplen), p.wirelen, p.ts_ns, p.linktype, p.ts_digits});
  return v;
}

// The message of the CaptureFileError thrown by open(path), or "" if none.
inline std::string open_error(const std::string& path) {
  try {
    CaptureFileReader::open(path);
  } catch (const CaptureFileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace tapline::test
