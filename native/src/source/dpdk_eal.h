// DPDK's Environment Abstraction Layer, once per process: the arguments built
// from DpdkConfig, checks that turn the usual start-up failures (bad PCI
// address, device not bound to vfio-pci, core list, no hugepages) into one
// message that says what to fix, and clean-up of the runtime files at exit.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "source/dpdk_config.h"

namespace tapline {

// The EAL arguments for `config` with `workers` worker lcores (after checks).
// Throws CaptureError.
std::vector<std::string> eal_arguments(const DpdkConfig& config, uint32_t workers);

// Checks, then rte_eal_init. Throws CaptureError; EAL can be initialised once
// per process (a second call, even after eal_cleanup, fails with a clear message).
void eal_init(const DpdkConfig& config, uint32_t workers);
// rte_eal_cleanup, then removes what EAL left in its runtime directory.
void eal_cleanup();

// "0000:03:00.1" style, the form EAL and sysfs use.
bool is_pci_address(const std::string& s);

}  // namespace tapline
