#include "engine/file_blocks.h"

#include <cstring>

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

FileBlock* FileBlocks::acquire(uint64_t seq, const std::atomic<bool>& stop) {
  FileBlock& b = slot(seq);
  const uint64_t previous = seq >= slots_.size() ? seq - slots_.size() + 1 : 0;
  bool waited = false;
  for (uint32_t spins = 0;; ++spins) {
    const uint32_t seen = epoch();
    if (b.released_seq.load(std::memory_order_acquire) == previous) break;
    // A stop lets the workers go on through the published blocks; their releases wake this.
    if (stop.load(std::memory_order_relaxed)) return nullptr;
    waited = true;
    if (spins < 4) {
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
  b.framed_seq.store(seq + 1, std::memory_order_release);
  bump();
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
