// Options of the DPDK source (agent config: capture.backend "dpdk").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tapline {

struct DpdkConfig {
  std::vector<std::string> pci_addresses;  // -a DDDD:BB:DD.F (SR-IOV VFs bound to vfio-pci)
  std::vector<std::string> vdevs;          // --vdev SPEC (net_pcap0,rx_pcap=FILE; net_af_packet0,iface=X,qpairs=N)
  // EAL lcores: the first is the main lcore, then one per worker ("" = every
  // lcore may float over the CPUs this process may use; for tests).
  std::string cores;
  uint32_t memory_mib = 0;     // -m (0: 256 MiB with no_huge, else EAL's default)
  bool no_huge = false;        // --no-huge: anonymous memory, for tests and nodes without hugepages
  std::string huge_dir;        // --huge-dir (hugetlbfs mount of the page size wanted)
  std::string file_prefix;     // --file-prefix, unique per policy so two agents never share files
  bool in_memory = false;      // --in-memory: no shared config or hugepage files at all
  uint32_t rx_descriptors = 1024;  // per RX queue
  uint32_t mbufs_per_queue = 0;    // 0: derived from the descriptors and the burst size
};

}  // namespace tapline
