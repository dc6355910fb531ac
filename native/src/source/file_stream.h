// Buffered, bounds-checked byte stream over a capture file, plain or gzip
// (zlib's gzread reads both transparently). Internal to src/source/: the
// format readers (pcap_format.cc, pcapng_format.cc) parse records in place
// from its chunk buffer.
//
// Reading model: peek(n) guarantees n contiguous bytes at the cursor (the
// common case is one compare and a pointer return); consume(n) advances. The
// buffer is refilled with one large gzread when a record straddles its end:
// only the unconsumed tail (less than one record) is moved to the front. The
// buffer grows (doubling, as data actually arrives) only when one record is
// larger than it. Bytes returned by peek() stay valid until the next peek(),
// skip() or destruction.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "source/capture_file.h"

namespace tapline {

class FileStream {
 public:
  // Size of the chunk buffer (one gzread fills it) and of zlib's own buffer.
  // The chunk is >= 2x the zlib buffer so zlib inflates straight into it.
  static constexpr size_t kChunkBytes = size_t{1} << 20;
  static constexpr unsigned kGzBufferBytes = 256u << 10;

  // How the underlying stream ended, once a read came up short.
  enum class State {
    kOk,        // more data may follow
    kEof,       // clean end of the file
    kCutShort,  // the gzip stream ends before its trailer (truncated .gz)
    kError,     // read or decompression error, see error()
  };

  // Opens `path` for reading. Throws CaptureFileError naming the path and the
  // reason: "no such file", "permission denied", "a directory", "empty file",
  // or the read error.
  explicit FileStream(const std::string& path);
  ~FileStream();
  FileStream(FileStream&& other) noexcept;
  FileStream(const FileStream&) = delete;
  FileStream& operator=(const FileStream&) = delete;
  FileStream& operator=(FileStream&&) = delete;

  // n contiguous bytes at the cursor, or nullptr when the stream ends (or
  // fails) first; available() then says how many bytes were left.
  const uint8_t* peek(size_t n) {
    if (static_cast<size_t>(end_ - pos_) >= n) return pos_;
    return fill(n);
  }
  // Advances the cursor; n must be <= available().
  void consume(size_t n) { pos_ += n; }
  // Discards n bytes without growing the buffer; false if the stream ends
  // first (the cursor is then at the end of what was there).
  bool skip(uint64_t n);

  size_t available() const { return static_cast<size_t>(end_ - pos_); }
  // Decompressed offset of the cursor from the start of the file.
  uint64_t offset() const { return base_offset_ + static_cast<uint64_t>(pos_ - buf_.get()); }
  State state() const { return state_; }
  const std::string& error() const { return error_; }

  void* gz() const { return gz_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

 private:
  const uint8_t* fill(size_t n);  // slow path of peek()
  void grow();                    // doubles the buffer, keeping its content

  std::string path_;
  void* gz_ = nullptr;  // gzFile
  uint64_t file_size_ = 0;
  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
  const uint8_t* pos_ = nullptr;  // cursor, in [buf_, end_]
  const uint8_t* end_ = nullptr;  // end of valid data, in [buf_, buf_ + cap_]
  uint64_t base_offset_ = 0;      // file offset of buf_[0]
  State state_ = State::kOk;
  std::string error_;
};

// Throws CaptureFileError("cannot open capture file '<path>': <reason>").
[[noreturn]] void throw_open_error(const std::string& path, const std::string& reason);

// Format readers, picked by CaptureFileReader::open() from the first four
// decompressed bytes (`magic`, read big-endian). They take the stream with its
// cursor at offset 0 and throw CaptureFileError if the file header itself is
// unusable.
std::unique_ptr<CaptureFileReader> make_pcap_reader(FileStream&& stream, uint32_t magic);
std::unique_ptr<CaptureFileReader> make_pcapng_reader(FileStream&& stream);

// Bounds-free loads: the caller has peek()ed the bytes.
inline uint16_t load_u16(const uint8_t* p, bool big_endian) {
  return big_endian ? static_cast<uint16_t>(p[0] << 8 | p[1])
                    : static_cast<uint16_t>(p[1] << 8 | p[0]);
}
inline uint32_t load_u32(const uint8_t* p, bool big_endian) {
  return big_endian ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
                    : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
}
inline uint64_t load_u64(const uint8_t* p, bool big_endian) {
  const uint64_t a = load_u32(p, big_endian), b = load_u32(p + 4, big_endian);
  return big_endian ? (a << 32 | b) : (b << 32 | a);
}

}  // namespace tapline
