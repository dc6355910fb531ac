#include "engine/file_blocks.h"

#include <cstring>

#include "flow/flow_hash.h"
#include "flow/flow_table.h"

namespace tapline {

bool FileBlock::add(const RawPacket& pkt) {
  if (framed == kMaxPackets) return false;
  if (used + pkt.caplen > bytes.size()) {
    if (framed != 0) return false;
    bytes.resize(pkt.caplen > kBytes ? pkt.caplen : kBytes);  // an empty block takes any packet
  }
  std::memcpy(bytes.data() + used, pkt.data, pkt.caplen);
  RawPacket& r = raw[framed++];
  r = pkt;
  r.data = bytes.data() + used;
  used += pkt.caplen;
  return true;
}

FileBlocks::FileBlocks(uint32_t workers, uint32_t slots) : workers_(workers) {
  for (uint32_t i = 0; i < slots; ++i) {
    auto b = std::make_unique<FileBlock>();
    b->bytes.resize(FileBlock::kBytes);
    b->raw.resize(FileBlock::kMaxPackets);
    b->parsed.resize(FileBlock::kMaxPackets);
    b->owner.resize(FileBlock::kMaxPackets);
    slots_.push_back(std::move(b));
  }
}

FileBlock* FileBlocks::acquire(uint64_t seq, const std::atomic<bool>& stop, Parser& helper) {
  FileBlock& b = slot(seq);
  const uint64_t previous = seq >= slots_.size() ? seq - slots_.size() + 1 : 0;
  bool waited = false;
  for (uint32_t spins = 0;; ++spins) {
    const uint32_t seen = epoch();
    if (b.released_seq.load(std::memory_order_acquire) == previous) break;
    // A stop lets the workers go on through the published blocks; their releases wake this.
    if (stop.load(std::memory_order_relaxed)) return nullptr;
    waited = true;
    if (parse_next(helper)) {  // the workers are behind: one fewer block for them to parse
      spins = 0;
    } else if (spins < 4) {
      std::this_thread::yield();
    } else {
      wait(seen);
    }
  }
  if (waited) reader_waits_.fetch_add(1, std::memory_order_relaxed);
  b.used = 0;
  b.framed = 0;
  b.parsed_count = 0;
  return &b;
}

void FileBlocks::publish_framed(FileBlock& b, uint64_t seq) {
  b.readers_left.store(workers_, std::memory_order_relaxed);
  framed_.store(seq + 1, std::memory_order_release);
  bump();
}

bool FileBlocks::parse_next(Parser& parser) {
  uint64_t seq = claimed_.load(std::memory_order_relaxed);
  do {
    if (seq >= framed_.load(std::memory_order_acquire)) return false;
  } while (!claimed_.compare_exchange_weak(seq, seq + 1, std::memory_order_acq_rel, std::memory_order_relaxed));
  FileBlock& b = slot(seq);  // framed and not yet released: nobody else writes it
  uint32_t k = 0;
  for (uint32_t base = 0; base < b.framed; base += FlowTable::kBurst) {
    const uint32_t end = base + FlowTable::kBurst < b.framed ? base + FlowTable::kBurst : b.framed;
    const uint32_t got = parser.parse_burst(&b.raw[base], end - base, &b.parsed[k]);
    for (const uint32_t last = k + got; k < last; ++k) {
      const ParsedPacket& p = b.parsed[k];
      b.owner[k] = p.fragment != kNotDeferred ? FileBlock::kEveryWorker : static_cast<uint8_t>(worker_of(p.hash, workers_));
    }
  }
  b.parsed_count = k;
  b.parsed_seq.store(seq + 1, std::memory_order_release);
  bump();
  return true;
}

void FileBlocks::release(FileBlock& b, uint64_t seq) {
  if (b.readers_left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    b.released_seq.store(seq + 1, std::memory_order_release);
    bump();
  }
}

size_t FileBlocks::memory_bytes() const {
  size_t m = 0;
  for (const auto& b : slots_) {
    m += b->bytes.capacity() + b->raw.capacity() * sizeof(RawPacket) +
         b->parsed.capacity() * sizeof(ParsedPacket) + b->owner.capacity();
  }
  return m;
}

}  // namespace tapline
