// A capture filter in tcpdump syntax, compiled once with libpcap into classic
// BPF. The same program runs wherever the packets are: attached in the kernel
// (AF_PACKET), converted to eBPF by rte_bpf (DPDK), or interpreted here by
// libpcap's bpf_filter (capture files, replay), so one filter string selects
// the same packets on every source.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/counter.h"
#include "common/raw_packet.h"

namespace tapline {

// The filter does not compile (message names the filter and libpcap's reason).
class FilterError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// One classic BPF instruction; the layout of both libpcap's bpf_insn and
// Linux's sock_filter (so either header's users can cast to it).
struct BpfInsn {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};

class CaptureFilter {
 public:
  // Compiles `expression` for Ethernet with `snaplen` as the accept value.
  // Throws FilterError when it does not compile.
  CaptureFilter(const std::string& expression, uint32_t snaplen);

  const std::string& expression() const { return expression_; }
  uint32_t snaplen() const { return snaplen_; }
  // The program for Ethernet frames (what AF_PACKET and DPDK see).
  const std::vector<BpfInsn>& ethernet() const { return programs_.front().insns; }

  // True when the packet passes. Other link types (capture files) compile on
  // first sight; a filter that cannot apply to a link type rejects its packets.
  // Not thread-safe (one reader thread per filter); ethernet() is immutable.
  bool matches(const RawPacket& p);
  // The Ethernet program only; safe from any thread.
  bool matches_ethernet(const uint8_t* data, uint32_t caplen, uint32_t wirelen) const;

 private:
  struct Program {
    uint16_t linktype;
    bool usable;
    std::vector<BpfInsn> insns;
  };
  const Program& program_for(uint16_t linktype);

  std::string expression_;
  uint32_t snaplen_;
  std::vector<Program> programs_;  // [0] is Ethernet
};

// Compiles `expression` for `linktype` (tcpdump.org LINKTYPE_*). Throws FilterError.
std::vector<BpfInsn> compile_filter(const std::string& expression, uint16_t linktype, uint32_t snaplen);

}  // namespace tapline
