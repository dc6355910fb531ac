// The live sources' options (agent/engine/engine.ts EngineOptionsSchema:
// source.kind "afpacket" | "dpdk", plus the top-level filter and snaplen),
// re-checked here because a native boundary trusts nothing.
#include <cmath>
#include <string>
#include <vector>

#include "js_config.h"

namespace tapline::binding {

namespace {

uint64_t uint_field(const Napi::Object& o, const std::string& field, const char* name, uint64_t lo, uint64_t hi,
                    uint64_t fallback) {
  const Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    throw EngineConfigError(field + ": must be a whole number between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return static_cast<uint64_t>(d);
}

std::string string_field(const Napi::Object& o, const std::string& field, const char* name) {
  const Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return "";
  if (!v.IsString()) throw EngineConfigError(field + ": must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool bool_field(const Napi::Object& o, const std::string& field, const char* name, bool fallback) {
  const Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throw EngineConfigError(field + ": must be true or false");
  return v.As<Napi::Boolean>().Value();
}

std::vector<std::string> strings_field(const Napi::Object& o, const std::string& field, const char* name) {
  std::vector<std::string> out;
  const Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) throw EngineConfigError(field + ": must be an array of strings");
  const Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > 64) throw EngineConfigError(field + ": at most 64 entries");
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value e = a.Get(i);
    if (!e.IsString() || e.As<Napi::String>().Utf8Value().empty()) {
      throw EngineConfigError(field + "." + std::to_string(i) + ": must be a non-empty string");
    }
    out.push_back(e.As<Napi::String>().Utf8Value());
  }
  return out;
}

}  // namespace

void read_capture_options(const Napi::Object& o, SourceConfig& out) {
  out.filter = string_field(o, "filter", "filter");
  out.snaplen = static_cast<uint32_t>(uint_field(o, "snaplen", "snaplen", 64, 262144, out.snaplen));
}

bool read_live_source(const Napi::Object& s, const std::string& kind, SourceConfig& out) {
  if (kind == "afpacket") {
    out.kind = SourceConfig::Kind::kAfPacket;
    AfPacketConfig& a = out.afpacket;
    a.interfaces = strings_field(s, "source.interfaces", "interfaces");
    if (a.interfaces.empty()) throw EngineConfigError("source.interfaces: at least one interface is needed");
    a.ring_mib = static_cast<uint32_t>(uint_field(s, "source.ringMiB", "ringMiB", 1, 4096, a.ring_mib));
    a.block_kib = static_cast<uint32_t>(uint_field(s, "source.blockKiB", "blockKiB", 4, 65536, a.block_kib));
    a.block_timeout_ms = static_cast<uint32_t>(uint_field(s, "source.blockTimeoutMs", "blockTimeoutMs", 1, 1000, a.block_timeout_ms));
    a.fanout_group = static_cast<int32_t>(uint_field(s, "source.fanoutGroup", "fanoutGroup", 0, 65535, 0) );
    if (s.Get("fanoutGroup").IsUndefined()) a.fanout_group = -1;
    a.promiscuous = bool_field(s, "source.promiscuous", "promiscuous", a.promiscuous);
    a.cores = string_field(s, "source.cores", "cores");
    return true;
  }
  if (kind == "dpdk") {
    out.kind = SourceConfig::Kind::kDpdk;
    DpdkConfig& d = out.dpdk;
    d.pci_addresses = strings_field(s, "source.pciAddresses", "pciAddresses");
    d.vdevs = strings_field(s, "source.vdevs", "vdevs");
    if (d.pci_addresses.empty() && d.vdevs.empty()) throw EngineConfigError("source.pciAddresses: give PCI addresses or vdevs");
    d.cores = string_field(s, "source.cores", "cores");
    d.memory_mib = static_cast<uint32_t>(uint_field(s, "source.memoryMiB", "memoryMiB", 0, 1u << 20, 0));
    d.no_huge = bool_field(s, "source.noHuge", "noHuge", false);
    d.huge_dir = string_field(s, "source.hugeDir", "hugeDir");
    d.file_prefix = string_field(s, "source.filePrefix", "filePrefix");
    d.in_memory = bool_field(s, "source.inMemory", "inMemory", false);
    d.rx_descriptors = static_cast<uint32_t>(uint_field(s, "source.rxDescriptors", "rxDescriptors", 64, 32768, d.rx_descriptors));
    d.mbufs_per_queue = static_cast<uint32_t>(uint_field(s, "source.mbufsPerQueue", "mbufsPerQueue", 0, 1u << 20, 0));
    return true;
  }
  return false;
}

}  // namespace tapline::binding
