// DpdkFilter: the capture filter's classic BPF program, converted to eBPF by
// rte_bpf_convert (DPDK built with libpcap), loaded and JIT-compiled.
#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <vector>

#include "source/dpdk_source.h"

// libpcap's layout (pcap/bpf.h), declared here so its BPF_* macros do not meet DPDK's.
struct bpf_insn {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};
struct bpf_program {
  unsigned int bf_len;
  struct bpf_insn* bf_insns;
};

namespace tapline {

DpdkFilter::DpdkFilter(const CaptureFilter& filter) {
  static_assert(sizeof(bpf_insn) == sizeof(BpfInsn));
  std::vector<BpfInsn> insns = filter.ethernet();
  bpf_program prog{static_cast<unsigned int>(insns.size()), reinterpret_cast<bpf_insn*>(insns.data())};
  rte_bpf_prm* prm = rte_bpf_convert(&prog);
  if (prm == nullptr) {
    throw CaptureError(CaptureError::Kind::kSetup, "filter \"" + filter.expression() +
                                                       "\": DPDK could not convert it to eBPF: " + rte_strerror(rte_errno));
  }
  bpf_ = rte_bpf_load(prm);
  const int err = rte_errno;
  rte_free(prm);
  if (bpf_ == nullptr) {
    throw CaptureError(CaptureError::Kind::kSetup,
                       "filter \"" + filter.expression() + "\": DPDK could not load it: " + rte_strerror(err));
  }
  rte_bpf_jit jit{};
  if (rte_bpf_get_jit(bpf_, &jit) == 0 && jit.func != nullptr) jit_ = jit.func;
}

DpdkFilter::~DpdkFilter() {
  if (bpf_ != nullptr) rte_bpf_destroy(bpf_);
}

bool DpdkFilter::matches(rte_mbuf* m) const {
  if (jit_ != nullptr) return jit_(m) != 0;
  void* ctx = m;
  uint64_t rc = 0;
  rte_bpf_exec_burst(bpf_, &ctx, &rc, 1);
  return rc != 0;
}

}  // namespace tapline
