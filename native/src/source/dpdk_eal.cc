#include "source/dpdk_eal.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "source/live_source.h"

namespace tapline {

namespace {

constexpr int64_t kHugetlbfsMagic = 0x958458f6;
std::mutex g_eal_mu;
enum class EalState { kNone, kUp, kDown } g_eal_state = EalState::kNone;
std::string g_runtime_dir;

CaptureError setup_error(const std::string& m) { return CaptureError(CaptureError::Kind::kSetup, m); }

std::string read_link_name(const std::string& path) {
  char buf[PATH_MAX];
  const ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = 0;
  return std::filesystem::path(buf).filename().string();
}

void check_pci(const std::string& addr) {
  if (!is_pci_address(addr)) {
    throw CaptureError(CaptureError::Kind::kDevice,
                       "PCI address \"" + addr + "\" is malformed: expected DDDD:BB:DD.F, e.g. 0000:3b:02.1 (see lspci -D)");
  }
  const std::string dev = "/sys/bus/pci/devices/" + addr;
  if (!std::filesystem::exists(dev)) {
    throw CaptureError(CaptureError::Kind::kDevice,
                       "PCI device " + addr + " does not exist on this node (see lspci -D; with SR-IOV, check the VFs were created)");
  }
  const std::string driver = read_link_name(dev + "/driver");
  const bool dpdk_driver = driver == "vfio-pci" || driver == "uio_pci_generic" || driver == "igb_uio";
  const bool bifurcated = driver == "mlx5_core" || driver == "mlx4_core";  // Mellanox PMDs work beside the kernel driver
  if (!dpdk_driver && !bifurcated) {
    throw CaptureError(CaptureError::Kind::kDevice,
                       "PCI device " + addr + " is bound to " + (driver.empty() ? std::string("no driver") : driver) +
                           ", not vfio-pci: bind it (dpdk-devbind.py --bind=vfio-pci " + addr +
                           ") or let the SR-IOV device plugin allocate a vfio-pci VF");
  }
  if (driver == "vfio-pci" && access("/dev/vfio", R_OK | W_OK) != 0) {
    throw CaptureError(CaptureError::Kind::kPermission,
                       "PCI device " + addr + ": /dev/vfio is not accessible: mount /dev/vfio into the pod and run with IPC_LOCK");
  }
}

uint64_t free_hugepages() {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    std::ifstream f(e.path() / "free_hugepages");
    uint64_t n = 0;
    if (f >> n) total += n;
  }
  return total;
}

std::vector<uint32_t> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<uint32_t> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (uint32_t c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) out.push_back(c);
  }
  return out;
}

std::string join_cpus(const std::vector<uint32_t>& cpus) {
  std::string s;
  for (uint32_t c : cpus) {
    if (!s.empty()) s += ',';
    s += std::to_string(c);
  }
  return s;
}

}  // namespace

bool is_pci_address(const std::string& s) {
  // DDDD:BB:DD.F (domain, bus, device 00-1f, function 0-7)
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return false;
  for (size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return (s[8] == '0' || s[8] == '1') && s[11] >= '0' && s[11] <= '7';
}

std::vector<std::string> eal_arguments(const DpdkConfig& c, uint32_t workers) {
  if (c.pci_addresses.empty() && c.vdevs.empty()) {
    throw setup_error("dpdk: no ports: give PCI addresses (pciAddresses, or the SR-IOV device plugin's PCIDEVICE_* variable) or vdevs");
  }
  for (const std::string& a : c.pci_addresses) check_pci(a);
  for (const std::string& v : c.vdevs) {
    if (v.rfind("net_", 0) != 0 || v.find_first_of(" \t\n") != std::string::npos) {
      throw CaptureError(CaptureError::Kind::kDevice,
                         "vdev \"" + v + "\": expected a DPDK virtual device like net_pcap0,rx_pcap=FILE or net_af_packet0,iface=eth0");
    }
  }
  const std::string prefix = c.file_prefix.empty() ? "tapline-" + std::to_string(getpid()) : c.file_prefix;
  for (char ch : prefix) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') {
      throw setup_error("filePrefix: \"" + prefix + "\" may only hold letters, digits, - and _");
    }
  }
  std::vector<std::string> args{"tapline", "--file-prefix", prefix, "--no-telemetry", "--log-level", "4"};
  const std::vector<uint32_t> allowed = allowed_cpus();
  if (c.cores.empty()) {
    // Every lcore (main + one per worker) may run on any CPU this process has: for tests and small nodes.
    args.push_back("--lcores");
    args.push_back("(0-" + std::to_string(workers) + ")@(" + join_cpus(allowed) + ")");
  } else {
    const std::vector<uint32_t> cores = parse_core_list(c.cores, "cores");
    for (uint32_t core : cores) {
      bool ok = false;
      for (uint32_t a : allowed) ok = ok || a == core;
      if (!ok) {
        throw setup_error("cores: CPU " + std::to_string(core) + " is not one this process may use (allowed: " +
                          join_cpus(allowed) + "); fix the core list or the pod's cpuset");
      }
    }
    if (cores.size() < workers + 1) {
      throw setup_error("cores: \"" + c.cores + "\" names " + std::to_string(cores.size()) + " CPU(s); DPDK needs " +
                        std::to_string(workers + 1) + " (one main lcore plus one per worker)");
    }
    args.push_back("-l");
    args.push_back(c.cores);
  }
  if (c.no_huge) {
    args.push_back("--no-huge");
    args.push_back("-m");
    args.push_back(std::to_string(c.memory_mib == 0 ? 256 : c.memory_mib));
  } else {
    if (free_hugepages() == 0) {
      throw CaptureError(CaptureError::Kind::kPermission,
                         "no free hugepages on this node: reserve some (e.g. echo 1024 > "
                         "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages, mount hugetlbfs, request hugepages-2Mi "
                         "in the pod) or run with --no-huge");
    }
    if (!c.huge_dir.empty()) {
      struct statfs fs{};
      if (statfs(c.huge_dir.c_str(), &fs) != 0 || static_cast<int64_t>(fs.f_type) != kHugetlbfsMagic) {
        throw setup_error("hugeDir: " + c.huge_dir + " is not a hugetlbfs mount (mount -t hugetlbfs nodev " + c.huge_dir + ")");
      }
      args.push_back("--huge-dir");
      args.push_back(c.huge_dir);
    }
    if (c.memory_mib != 0) {
      args.push_back("-m");
      args.push_back(std::to_string(c.memory_mib));
    }
    // Hugepage files are unlinked once mapped: a crash leaves nothing in hugetlbfs.
    if (!c.in_memory) args.push_back("--huge-unlink");
  }
  // --no-huge implies legacy memory, which EAL refuses with --in-memory; with
  // no hugepages there are no hugepage files to avoid anyway.
  if (c.in_memory && !c.no_huge) args.push_back("--in-memory");
  if (c.pci_addresses.empty()) {
    args.push_back("--no-pci");
  } else {
    for (const std::string& a : c.pci_addresses) {
      args.push_back("-a");
      args.push_back(a);
    }
  }
  for (const std::string& v : c.vdevs) {
    args.push_back("--vdev");
    args.push_back(v);
  }
  return args;
}

void eal_init(const DpdkConfig& config, uint32_t workers) {
  std::lock_guard<std::mutex> lock(g_eal_mu);
  if (g_eal_state != EalState::kNone) {
    throw setup_error("DPDK's EAL was already initialised in this process (it can be once): run one DPDK capture per process");
  }
  std::vector<std::string> args = eal_arguments(config, workers);
  const std::string prefix = args[2];
  std::vector<char*> argv;
  static std::vector<std::string> keep;  // EAL may keep pointers into argv
  keep = args;
  for (std::string& a : keep) argv.push_back(a.data());
  argv.push_back(nullptr);
  // rte_eal_init pins the calling thread to the main lcore's CPUs; this is a
  // Node.js thread-pool thread, so give it its CPUs back afterwards.
  cpu_set_t before;
  const bool saved = pthread_getaffinity_np(pthread_self(), sizeof before, &before) == 0;
  const int rc = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
  const int err = rte_errno;
  if (saved) pthread_setaffinity_np(pthread_self(), sizeof before, &before);
  g_runtime_dir = (getuid() == 0 || getenv("XDG_RUNTIME_DIR") == nullptr ? std::string("/var/run") : std::string(getenv("XDG_RUNTIME_DIR"))) +
                  "/dpdk/" + prefix;
  if (rc < 0) {
    g_eal_state = EalState::kDown;
    std::error_code ec;
    std::filesystem::remove_all(g_runtime_dir, ec);
    std::string hint;
    if (err == EACCES || err == EPERM) hint = " (run as root, or with IPC_LOCK and access to /dev/vfio and the hugepages)";
    if (err == ENOMEM) hint = " (not enough memory: raise the hugepage reservation or -m)";
    if (err == EALREADY) hint = " (already initialised)";
    throw CaptureError(err == EACCES || err == EPERM ? CaptureError::Kind::kPermission : CaptureError::Kind::kSetup,
                       "DPDK EAL initialisation failed: " + std::string(rte_strerror(err)) + hint +
                           "; the EAL's own messages above say more");
  }
  g_eal_state = EalState::kUp;
}

void eal_cleanup() {
  std::lock_guard<std::mutex> lock(g_eal_mu);
  if (g_eal_state != EalState::kUp) return;
  rte_eal_cleanup();
  g_eal_state = EalState::kDown;
  // The runtime directory (config, fbarray files, mp socket) of this prefix only.
  std::error_code ec;
  if (!g_runtime_dir.empty()) std::filesystem::remove_all(g_runtime_dir, ec);
}

}  // namespace tapline
