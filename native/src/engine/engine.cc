#include "engine/engine.h"

#include <algorithm>
#include <thread>

#include "common/clock.h"
#include "engine/live_source_factory.h"
#include "engine/replay_feed.h"
#include "flow/flow_hash.h"

namespace tapline {

namespace {
constexpr uint32_t kMaxWorkers = 64;

void validate(const EngineConfig& c) {
  if (c.workers == 0 || c.workers > kMaxWorkers) {
    throw EngineConfigError("workers: must be between 1 and " + std::to_string(kMaxWorkers) + ", got " +
                            std::to_string(c.workers));
  }
  if (c.max_flows < c.workers || c.max_flows > (1ull << 31)) {
    throw EngineConfigError("maxFlows: must be between the worker count and 2^31, got " +
                            std::to_string(c.max_flows));
  }
  if (c.timeouts.idle_ns == 0) throw EngineConfigError("idleTimeout: must be greater than zero");
  if (c.timeouts.active_ns == 0) throw EngineConfigError("activeTimeout: must be greater than zero");
  if (c.export_ring < 64) throw EngineConfigError("exportRing: must be at least 64 records");
}
}  // namespace

Engine::Engine(const EngineConfig& config, const SourceConfig& source) : config_(config), source_(source) {
  validate(config_);
  if (source_.kind == SourceConfig::Kind::kReplay && source_.loops == 0) {
    throw EngineConfigError("loops: must be at least 1");
  }
  if (!source_.filter.empty()) filter_ = std::make_unique<CaptureFilter>(source_.filter, source_.snaplen);
  if (config_.detect.any_enabled()) {
    validate_detect_config(config_.detect);
    detect_ = std::make_unique<DetectCollector>(config_.detect, config_.workers, !source_.live(), abandon_);
  }
  ParserConfig pc;
  pc.hash_seed = config_.hash_seed;
  const uint32_t per_worker = static_cast<uint32_t>((config_.max_flows + config_.workers - 1) / config_.workers);
  for (uint32_t i = 0; i < config_.workers; ++i) {
    WorkerConfig wc;
    wc.id = static_cast<uint8_t>(i);
    wc.flow_capacity = per_worker;
    wc.timeouts = config_.timeouts;
    wc.export_ring = config_.export_ring;
    // Files and replay can pause; live sources cannot, so a full export ring drops (counted).
    wc.export_policy = source_.live() ? ExportPolicy::kDrop : ExportPolicy::kWait;
    wc.parser = pc;
    // Files: any thread parses a block, and every worker resolves every fragment (file_blocks.h).
    wc.parser.defer_fragments = source_.kind == SourceConfig::Kind::kFile;
    wc.detect = detect_ ? &detect_->worker(i) : nullptr;
    workers_.push_back(std::make_unique<Worker>(wc, stop_, abandon_));
  }
  if (source_.live()) {
    live_ = open_live_source(source_, config_.workers, filter_.get());
  } else if (source_.kind == SourceConfig::Kind::kFile) {
    reader_ = CaptureFileReader::open(source_.path);
    ParserConfig helper = pc;
    helper.defer_fragments = true;
    reader_parser_ = std::make_unique<Parser>(helper);  // parses blocks while the workers are behind
    // Enough blocks for every thread to parse one while the workers account the ones
    // before, and for the reader to frame and parse well ahead of a single worker
    // (one worker with the detectors on: 1.19x the replay with 4 blocks, 1.51x with 16).
    blocks_ = std::make_unique<FileBlocks>(config_.workers, 2 * config_.workers + 14);
  } else {
    load_replay(source_.path, source_.loops);
  }
}

Engine::~Engine() {
  abandon();
  join();
}

void Engine::load_replay(const std::string& path, uint32_t loops) {
  auto reader = CaptureFileReader::open(path);
  ParserConfig pc;
  pc.hash_seed = config_.hash_seed;
  Parser splitter(pc);
  std::vector<ReplayFeed*> feeds;
  for (size_t i = 0; i < workers_.size(); ++i) {
    auto feed = std::make_unique<ReplayFeed>(loops);
    feeds.push_back(feed.get());
    feeds_.push_back(std::move(feed));
  }
  RawPacket raw;
  ParsedPacket parsed;
  uint64_t first = UINT64_MAX, last = 0;
  while (reader->next(raw)) {
    if (filter_ && !filter_->matches(raw)) {
      filter_rejected_.add();
      continue;
    }
    // Split as a NIC's symmetric RSS would; packets without a flow go to worker 0.
    const uint32_t w = splitter.parse(raw, parsed) ? worker_of(parsed.hash, workers()) : 0;
    feeds[w]->add(raw);
    first = std::min(first, raw.ts_ns);
    last = std::max(last, raw.ts_ns);
  }
  if (reader->end() == ReadEnd::kCorrupt) throw CaptureFileError(path + ": " + reader->error());
  const uint64_t span = first == UINT64_MAX ? 0 : last - first + 1000;
  for (ReplayFeed* f : feeds) f->seal(span);
  input_end_ns_.store(last + (loops - 1) * span);
}

void Engine::start() {
  if (started_) return;
  started_ = true;
  start_ns_ = monotonic_ns();
  if (detect_) detect_->start();
  if (live_) {
    // One worker per RX queue or ring, on the source's own thread or lcore.
    live_->launch([this](uint32_t i) {
      Worker& worker = *workers_[i];
      worker.run_feed(live_->feed(i));
      worker.finish(EndReason::kShutdown, realtime_ns());
    });
  } else if (source_.kind == SourceConfig::Kind::kFile) {
    for (auto& w : workers_) {
      threads_.emplace_back([this, worker = w.get()] {
        worker->run_blocks(*blocks_);
        const bool stopped = stop_.load();
        worker->finish(stopped ? EndReason::kShutdown : EndReason::kEof, input_end_ns_.load());
      });
    }
    threads_.emplace_back([this] { run_reader(); });
  } else {
    for (size_t i = 0; i < workers_.size(); ++i) {
      threads_.emplace_back([this, worker = workers_[i].get(), feed = feeds_[i].get()] {
        worker->run_feed(*feed);
        // Stopped: live flows end at this worker's clock (its last packet), not at the
        // planned end of all loops, which is past every flow's idle deadline.
        const bool stopped = stop_.load();
        worker->finish(stopped ? EndReason::kShutdown : EndReason::kEof, stopped ? 0 : input_end_ns_.load());
      });
    }
  }
}

// Frames records into blocks; parses some only while the workers are behind (file_blocks.h).
void Engine::run_reader() {
  uint64_t seq = 0, last_ts = 0;
  FileBlock* block = blocks_->acquire(seq, stop_, *reader_parser_);
  RawPacket raw;
  uint32_t since_progress = 0;
  while (block != nullptr && !stop_.load(std::memory_order_relaxed) && reader_->next(raw)) {
    last_ts = std::max(last_ts, raw.ts_ns);
    if (++since_progress == 4096) {  // progress for stats(): the reader alone touches zlib
      since_progress = 0;
      input_bytes_read_.store(reader_->bytes_read(), std::memory_order_relaxed);
    }
    if (filter_ && !filter_->matches(raw)) {
      filter_rejected_.add();
    } else if (!block->add(raw)) {
      blocks_->publish_framed(*block, seq++);
      block = blocks_->acquire(seq, stop_, *reader_parser_);
      if (block == nullptr) break;
      block->add(raw);  // an empty block takes any packet
    }
    block->clock_ns = last_ts;
  }
  if (block != nullptr && block->framed != 0) blocks_->publish_framed(*block, seq++);
  input_bytes_read_.store(reader_->bytes_read(), std::memory_order_relaxed);
  input_end_ns_.store(last_ts);
  blocks_->end(seq);
  input_done_.store(true, std::memory_order_release);
}

void Engine::request_stop() { stop_.store(true); }

void Engine::abandon() {
  abandon_.store(true);
  stop_.store(true);
}

void Engine::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  if (live_) {
    live_->join();
    live_->close();  // devices released now, not when JavaScript collects the engine
  }
  if (detect_) detect_->join();  // ends once every worker has finished (or on abandon)
  if (started_ && end_ns_.load() == 0) end_ns_.store(monotonic_ns());
}

uint32_t Engine::drain(FlowRecord* out, uint32_t max) {
  uint32_t got = 0;
  return drain_each(max, [out, &got](const FlowRecord& r) { out[got++] = r; });
}

bool Engine::done() const {
  for (const auto& w : workers_) {
    if (!w->finished() || w->output().size() != 0) return false;
  }
  return !detect_ || detect_->finished();
}

size_t Engine::memory_bytes() const {
  size_t m = 0;
  for (const auto& w : workers_) m += w->memory_bytes();
  for (const auto& f : feeds_) m += f->memory_bytes();
  if (live_) m += live_->memory_bytes();
  if (blocks_) m += blocks_->memory_bytes();
  if (detect_) m += detect_->memory_bytes();
  return m;
}

std::string Engine::input_error() const {
  if (!reader_ || !input_done_.load()) return "";
  return reader_->end() == ReadEnd::kCorrupt || reader_->end() == ReadEnd::kTruncated ? reader_->error() : "";
}

bool Engine::input_truncated() const {
  return reader_ && input_done_.load() && reader_->end() == ReadEnd::kTruncated;
}

}  // namespace tapline
