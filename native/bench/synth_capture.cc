#include "synth_capture.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

namespace tapline::bench {
namespace {

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kPsh = 0x08;

struct File {
  explicit File(const std::string& path) : f(std::fopen(path.c_str(), "wb")) {
    if (f == nullptr) throw std::runtime_error("cannot write " + path);
    const uint32_t header[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};  // pcap 2.4, µs, Ethernet
    put(header, sizeof header);
  }
  ~File() {
    if (f != nullptr) std::fclose(f);
  }
  void put(const void* p, size_t n) {
    if (std::fwrite(p, 1, n, f) != n) throw std::runtime_error("short write");
  }
  void packet(uint64_t ts_us, const uint8_t* frame, uint32_t len) {
    const uint32_t rec[4] = {static_cast<uint32_t>(ts_us / 1000000), static_cast<uint32_t>(ts_us % 1000000), len, len};
    put(rec, sizeof rec);
    put(frame, len);
  }
  std::FILE* f;
};

void be16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void be32(uint8_t* p, uint32_t v) {
  be16(p, v >> 16);
  be16(p + 2, v);
}

struct Endpoint {
  uint8_t addr[16];
  uint16_t port;
};

// One frame: Ethernet, IPv4 or IPv6, TCP or UDP, `payload` bytes of zeros. Returns its length.
uint32_t frame(uint8_t* out, bool v6, bool tcp, const Endpoint& s, const Endpoint& d, uint8_t flags, uint32_t seq,
               uint32_t ack, uint32_t payload, uint16_t ip_id) {
  std::memset(out, 0, 14);
  out[5] = 1;
  out[11] = 2;
  const uint32_t l4len = (tcp ? 20 : 8) + payload;
  uint8_t* ip = out + 14;
  uint32_t iplen;
  if (!v6) {
    be16(out + 12, 0x0800);
    iplen = 20;
    std::memset(ip, 0, 20);
    ip[0] = 0x45;
    be16(ip + 2, 20 + l4len);
    be16(ip + 4, ip_id);
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    std::memcpy(ip + 12, s.addr, 4);
    std::memcpy(ip + 16, d.addr, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    be16(ip + 10, ~sum & 0xFFFF);
  } else {
    be16(out + 12, 0x86dd);
    iplen = 40;
    std::memset(ip, 0, 8);
    ip[0] = 0x60;
    be16(ip + 4, l4len);
    ip[6] = tcp ? 6 : 17;
    ip[7] = 64;
    std::memcpy(ip + 8, s.addr, 16);
    std::memcpy(ip + 24, d.addr, 16);
  }
  uint8_t* l4 = ip + iplen;
  std::memset(l4, 0, l4len);
  be16(l4, s.port);
  be16(l4 + 2, d.port);
  if (tcp) {
    be32(l4 + 4, seq);
    be32(l4 + 8, ack);
    l4[12] = 5 << 4;
    l4[13] = flags;
    be16(l4 + 14, 65535);
  } else {
    be16(l4 + 4, l4len);
  }
  const uint32_t len = 14 + iplen + l4len;
  if (len < 60) {
    std::memset(out + len, 0, 60 - len);
    return 60;
  }
  return len;
}

struct Flow {
  Endpoint client, server;
  bool v6, tcp;
  uint32_t left;  // packets still to send
  uint32_t sent;
  uint32_t seq[2];
  uint16_t ip_id[2];
};

class Mix {
 public:
  Mix(uint32_t flows, uint64_t seed) : rng_(seed), flows_(flows) {
    for (Flow& f : flows_) begin(f);
  }
  // Flows with at least one packet written (a slot refilled at the end may have none yet).
  uint64_t begun() const {
    uint64_t unsent = 0;
    for (const Flow& f : flows_) unsent += f.sent == 0;
    return begun_ - unsent;
  }
  uint32_t next(uint8_t* out) {
    Flow& f = flows_[rng_() % flows_.size()];
    const uint32_t len = emit(f, out);
    if (f.left == 0) begin(f);
    return len;
  }

 private:
  void begin(Flow& f) {
    const uint64_t n = begun_++;
    f.v6 = uniform() < 0.1;
    f.tcp = uniform() >= 0.3;
    std::memset(&f.client, 0, sizeof f.client);
    std::memset(&f.server, 0, sizeof f.server);
    if (f.v6) {
      f.client.addr[0] = 0xfd;
      f.server.addr[0] = 0xfd;
      f.server.addr[1] = 1;
      be32(f.client.addr + 12, static_cast<uint32_t>(n));  // unique per flow
      be16(f.server.addr + 14, static_cast<uint32_t>(rng_() % 4096));
    } else {
      be32(f.client.addr, 0x0A000000u | static_cast<uint32_t>(n % 0xFFFFFF));  // 10.x.y.z
      be32(f.server.addr, 0xAC100000u | static_cast<uint32_t>(rng_() % 4096));  // 172.16.x.y
    }
    f.client.port = static_cast<uint16_t>(1024 + (n / 0xFFFFFF + rng_()) % 60000);
    f.server.port = f.tcp ? (rng_() % 2 ? 443 : 80) : 53;
    const double mean = uniform() < 0.02 ? 800.0 : 40.0;
    f.left = 2 + static_cast<uint32_t>(-std::log(1.0 - uniform()) * mean);
    if (f.tcp && f.left < 5) f.left = 5;
    f.sent = 0;
    f.seq[0] = static_cast<uint32_t>(rng_());
    f.seq[1] = static_cast<uint32_t>(rng_());
    f.ip_id[0] = f.ip_id[1] = 0;
  }
  uint32_t emit(Flow& f, uint8_t* out) {
    uint32_t dir = rng_() % 2, payload = 0;  // 0: client to server
    uint8_t flags = kAck;
    if (f.tcp) {
      if (f.sent < 3) {  // SYN, SYN-ACK, ACK
        dir = f.sent == 1 ? 1 : 0;
        flags = f.sent == 0 ? kSyn : f.sent == 1 ? (kSyn | kAck) : kAck;
      } else if (f.left <= 2) {  // FIN from the client, then from the server
        dir = f.left == 2 ? 0 : 1;
        flags = kFin | kAck;
      } else {
        payload = rng_() % 2 ? 1 + rng_() % 1400 : 0;  // half data, half pure ACKs
        flags = payload != 0 ? (kPsh | kAck) : kAck;
      }
    } else {
      payload = 16 + rng_() % 500;
    }
    const Endpoint& s = dir == 0 ? f.client : f.server;
    const Endpoint& d = dir == 0 ? f.server : f.client;
    const uint32_t len = frame(out, f.v6, f.tcp, s, d, flags, f.seq[dir], f.seq[dir ^ 1], payload, f.ip_id[dir]++);
    f.seq[dir] += payload + ((flags & (kSyn | kFin)) ? 1 : 0);
    f.sent += 1;
    f.left -= 1;
    return len;
  }

  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::vector<Flow> flows_;
  uint64_t begun_ = 0;
  double uniform() { return uniform_(rng_); }
};

}  // namespace

uint64_t write_synth_capture(const std::string& shape, uint64_t packets, uint32_t flows, uint64_t seed,
                             const std::string& path) {
  if (shape != "mix" && shape != "flood") throw std::runtime_error("--synth: shape must be mix or flood, got " + shape);
  File file(path);
  std::vector<uint8_t> buf(1600);
  uint64_t ts = 1700000000ull * 1000000ull;
  if (shape == "mix") {
    if (flows == 0) throw std::runtime_error("--synth: mix needs at least one flow");
    Mix mix(flows, seed);
    for (uint64_t i = 0; i < packets; ++i) file.packet(ts++, buf.data(), mix.next(buf.data()));
    return mix.begun();
  }
  std::mt19937_64 rng(seed);
  Endpoint victim{};
  be32(victim.addr, 0xC0000250u);  // 192.0.2.80
  uint64_t begun = 0;
  for (uint64_t i = 0; i < packets; ++i) {
    Endpoint src{};
    be32(src.addr, static_cast<uint32_t>(rng()) | 0x01000000u);  // never 0.x.x.x
    src.port = static_cast<uint16_t>(1024 + rng() % 64000);
    victim.port = rng() % 2 ? 443 : 80;
    const uint32_t seq = static_cast<uint32_t>(rng());
    file.packet(ts++, buf.data(), frame(buf.data(), false, true, src, victim, kSyn, seq, 0, 0, 0));
    ++begun;
    if (rng() % 50 == 0 && ++i < packets) {  // 2% answered
      file.packet(ts++, buf.data(), frame(buf.data(), false, true, victim, src, kSyn | kAck, 7, seq + 1, 0, 0));
    }
  }
  return begun;
}

}  // namespace tapline::bench
