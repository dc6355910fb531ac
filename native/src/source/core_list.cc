// cpuset lists ("0-3,8"): the workers' CPUs (AF_PACKET) and the EAL core list (DPDK).
#include <cstdlib>

#include "source/live_source.h"

namespace tapline {

std::vector<uint32_t> parse_core_list(const std::string& list, const char* field) {
  constexpr uint32_t kMaxCpu = 4095;
  auto bad = [&](const std::string& why) {
    return CaptureError(CaptureError::Kind::kSetup,
                        std::string(field) + ": \"" + list + "\" is not a core list (" + why + "); use e.g. 2-5,8");
  };
  std::vector<uint32_t> out;
  size_t i = 0;
  auto number = [&]() -> uint32_t {
    size_t start = i;
    uint32_t v = 0;
    while (i < list.size() && list[i] >= '0' && list[i] <= '9' && i - start < 5) v = v * 10 + (list[i++] - '0');
    if (i == start) throw bad("expected a CPU number at position " + std::to_string(start + 1));
    if (v > kMaxCpu) throw bad("CPU " + std::to_string(v) + " is above " + std::to_string(kMaxCpu));
    return v;
  };
  if (list.empty()) throw bad("empty");
  while (i < list.size()) {
    const uint32_t lo = number();
    uint32_t hi = lo;
    if (i < list.size() && list[i] == '-') {
      ++i;
      hi = number();
      if (hi < lo) throw bad("range " + std::to_string(lo) + "-" + std::to_string(hi) + " goes down");
    }
    for (uint32_t c = lo; c <= hi; ++c) {
      for (uint32_t seen : out) {
        if (seen == c) throw bad("CPU " + std::to_string(c) + " is listed twice");
      }
      out.push_back(c);
    }
    if (i < list.size()) {
      if (list[i] != ',') throw bad(std::string("unexpected '") + list[i] + "'");
      ++i;
      if (i == list.size()) throw bad("trailing comma");
    }
  }
  return out;
}

}  // namespace tapline
