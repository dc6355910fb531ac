// The file engine's packets in flight: a window of blocks the reader frames,
// any thread parses, and every worker accounts, so no one thread parses every packet.
//
//   reader:        frames records and copies them into block k (no parsing);
//                  when the workers are behind, it parses blocks too
//   any thread:    claims the next framed block, parses it, notes each packet's
//                  owner (its flow's worker)
//   every worker:  walks the blocks in order and accounts the packets it owns
//
// Each worker takes its packets in capture order, as a single parser would
// hand them out. IP fragments are owned by everyone (kEveryWorker): each
// worker resolves them in order against its own fragment table, which keeps
// every table the one a single parser would have, and the fragment's flow
// owner accounts it (Parser::resolve_fragment).
//
// Parsing a claimed block never waits on anything, and a block is parsed whole
// before anyone accounts it: a worker accounting block i (maybe waiting on the
// detectors' collector) holds no claim, and every block up to i is parsed, so
// the others can always reach i and move their detector clocks past it.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/raw_packet.h"
#include "parse/flow_key.h"
#include "parse/parser.h"

namespace tapline {

struct FileBlock {
  static constexpr uint32_t kMaxPackets = 1024;
  static constexpr size_t kBytes = size_t{512} << 10;  // grows for one larger packet
  static constexpr uint8_t kEveryWorker = 0xFF;      // owner of a deferred IP fragment

  std::vector<uint8_t> bytes;      // packet data, copied by the reader
  size_t used = 0;
  std::vector<RawPacket> raw;      // framed packets; data points into bytes
  uint32_t framed = 0;
  std::vector<ParsedPacket> parsed;  // written by the block's parser
  std::vector<uint8_t> owner;        // worker of each parsed packet
  uint32_t parsed_count = 0;
  uint64_t clock_ns = 0;  // latest timestamp read up to the end of this block

  // Reader side: copies the packet in; false when it does not fit (the block is full).
  bool add(const RawPacket& pkt);

  // Published state, each a block number + 1 (0: none yet).
  alignas(64) std::atomic<uint64_t> parsed_seq{0};
  std::atomic<uint64_t> released_seq{0};  // every worker has accounted it: the reader may reuse it
  std::atomic<uint32_t> readers_left{0};
};

class FileBlocks {
 public:
  FileBlocks(uint32_t workers, uint32_t slots);

  uint32_t workers() const { return workers_; }

  // Reader: the block for number `seq`, once its slot's previous block is released
  // (nullptr if `stop` is raised while waiting). Counts waits; while it waits it
  // parses blocks with `helper`.
  FileBlock* acquire(uint64_t seq, const std::atomic<bool>& stop, Parser& helper);
  void publish_framed(FileBlock& b, uint64_t seq);
  // The reader is done: `blocks` blocks were published.
  void end(uint64_t blocks) {
    total_.store(blocks, std::memory_order_release);
    bump();
  }
  uint64_t reader_waits() const { return reader_waits_.load(std::memory_order_relaxed); }

  // Workers. total(): blocks in the file, UINT64_MAX while the reader runs.
  uint64_t total() const { return total_.load(std::memory_order_acquire); }
  // Any thread: claims the oldest framed block nobody parses yet and parses it
  // with `parser` (which must defer fragments); false if there is none.
  bool parse_next(Parser& parser);
  FileBlock* parsed(uint64_t seq) { return ready(slot(seq).parsed_seq, seq); }
  // A worker has accounted its packets of block `seq`.
  void release(FileBlock& b, uint64_t seq);

  // Waiting, for the reader and the workers: read epoch() before looking at the
  // blocks; if there was nothing to do, wait(seen) returns once anything was
  // published or released since (a futex wait: no spinning where threads outnumber cores).
  uint32_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  void wait(uint32_t seen) const { epoch_.wait(seen, std::memory_order_acquire); }

  size_t memory_bytes() const;

 private:
  FileBlock& slot(uint64_t seq) { return *slots_[seq % slots_.size()]; }
  void bump() {
    epoch_.fetch_add(1, std::memory_order_release);
    epoch_.notify_all();  // no system call when nobody waits
  }
  FileBlock* ready(const std::atomic<uint64_t>& published, uint64_t seq) {
    return published.load(std::memory_order_acquire) == seq + 1 ? &slot(seq) : nullptr;
  }

  const uint32_t workers_;
  std::vector<std::unique_ptr<FileBlock>> slots_;
  alignas(64) std::atomic<uint64_t> total_{UINT64_MAX};
  std::atomic<uint64_t> framed_{0};   // blocks published by the reader
  alignas(64) std::atomic<uint64_t> claimed_{0};  // blocks claimed for parsing
  std::atomic<uint64_t> reader_waits_{0};
  alignas(64) std::atomic<uint32_t> epoch_{0};
};

}  // namespace tapline
