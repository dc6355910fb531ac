// Reader for capture files: pcap (micro- and nanosecond, either byte order)
// and pcapng (any number of sections and interfaces, if_tsresol honoured),
// plain or gzip-compressed (detected from the content, not the name).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/raw_packet.h"

namespace tapline {

// The file cannot be opened, is not a capture, or is corrupt beyond recovery.
class CaptureFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How reading ended, after next() returned false.
enum class ReadEnd {
  kNone,       // still reading
  kEof,        // clean end of file
  kTruncated,  // the file ends inside a record: every complete packet was returned
  kCorrupt,    // a record is malformed (absurd length, bad block); reading stopped there
};

class CaptureFileReader {
 public:
  // Opens `path`. Throws CaptureFileError naming the path and the reason
  // (missing, unreadable, empty, not a pcap/pcapng file).
  static std::unique_ptr<CaptureFileReader> open(const std::string& path);

  virtual ~CaptureFileReader() = default;

  // Fills `out` with the next packet and returns true, or returns false at the
  // end (see end()/error()). out.data stays valid until the next call.
  virtual bool next(RawPacket& out) = 0;

  ReadEnd end() const { return end_; }
  // Human-readable reason for kTruncated/kCorrupt ("" otherwise), without the path.
  const std::string& error() const { return error_; }
  // Compressed bytes consumed so far and the file size, for progress reporting.
  uint64_t bytes_read() const;
  uint64_t file_size() const { return file_size_; }

 protected:
  CaptureFileReader() = default;
  ReadEnd end_ = ReadEnd::kNone;
  std::string error_;
  uint64_t file_size_ = 0;
  void* gz_ = nullptr;  // gzFile, owned by the concrete reader's base stream
};

}  // namespace tapline
