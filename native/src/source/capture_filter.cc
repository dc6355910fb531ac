#include "source/capture_filter.h"

#include <pcap/pcap.h>

#include <cstring>

namespace tapline {

static_assert(sizeof(BpfInsn) == sizeof(bpf_insn));

namespace {

// LINKTYPE_* (file headers) to the DLT_* libpcap compiles for.
int dlt_of(uint16_t linktype) {
  switch (linktype) {
    case kLinkNull: return DLT_NULL;
    case kLinkEthernet: return DLT_EN10MB;
    case kLinkRaw: return DLT_RAW;
    case kLinkLoop: return DLT_LOOP;
    case kLinkSll: return DLT_LINUX_SLL;
    case kLinkIpv4: return DLT_IPV4;
    case kLinkIpv6: return DLT_IPV6;
    case kLinkSll2: return DLT_LINUX_SLL2;
    default: return -1;
  }
}

}  // namespace

std::vector<BpfInsn> compile_filter(const std::string& expression, uint16_t linktype, uint32_t snaplen) {
  const int dlt = dlt_of(linktype);
  if (dlt < 0) throw FilterError("filter \"" + expression + "\": link type " + std::to_string(linktype) + " is not supported");
  pcap_t* dead = pcap_open_dead(dlt, static_cast<int>(snaplen));
  if (dead == nullptr) throw FilterError("filter \"" + expression + "\": libpcap could not be initialised");
  bpf_program prog{};
  if (pcap_compile(dead, &prog, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    std::string why = pcap_geterr(dead);
    pcap_close(dead);
    throw FilterError("filter \"" + expression + "\" does not compile: " + why);
  }
  std::vector<BpfInsn> out(prog.bf_len);
  if (prog.bf_len != 0) std::memcpy(out.data(), prog.bf_insns, prog.bf_len * sizeof(bpf_insn));
  pcap_freecode(&prog);
  pcap_close(dead);
  return out;
}

CaptureFilter::CaptureFilter(const std::string& expression, uint32_t snaplen)
    : expression_(expression), snaplen_(snaplen) {
  if (expression.empty()) throw FilterError("filter: must not be empty");
  programs_.push_back({kLinkEthernet, true, compile_filter(expression, kLinkEthernet, snaplen)});
}

const CaptureFilter::Program& CaptureFilter::program_for(uint16_t linktype) {
  for (const Program& p : programs_) {
    if (p.linktype == linktype) return p;
  }
  Program p{linktype, false, {}};
  try {
    p.insns = compile_filter(expression_, linktype, snaplen_);
    p.usable = true;
  } catch (const FilterError&) {
    // e.g. "ether host ..." on raw IP: nothing of this link type can match.
  }
  programs_.push_back(std::move(p));
  return programs_.back();
}

bool CaptureFilter::matches(const RawPacket& p) {
  const Program& prog = p.linktype == kLinkEthernet ? programs_.front() : program_for(p.linktype);
  if (!prog.usable) return false;
  return bpf_filter(reinterpret_cast<const bpf_insn*>(prog.insns.data()), p.data, p.wirelen, p.caplen) != 0;
}

bool CaptureFilter::matches_ethernet(const uint8_t* data, uint32_t caplen, uint32_t wirelen) const {
  return bpf_filter(reinterpret_cast<const bpf_insn*>(programs_.front().insns.data()), data, wirelen, caplen) != 0;
}

}  // namespace tapline
