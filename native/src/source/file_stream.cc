#include "source/file_stream.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace tapline {
namespace {

// Larger peeks are a caller bug (readers bound records far below this).
constexpr size_t kMaxPeekBytes = size_t{1} << 30;

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string reason_from_errno(int e) {
  switch (e) {
    case ENOENT:
      return "no such file";
    case EACCES:
    case EPERM:
      return "permission denied";
    case EISDIR:
      return "a directory";
    default:
      return lower_first(std::system_category().message(e));
  }
}

gzFile as_gz(void* p) { return static_cast<gzFile>(p); }

}  // namespace

void throw_open_error(const std::string& path, const std::string& reason) {
  throw CaptureFileError("cannot open capture file '" + path + "': " + reason);
}

FileStream::FileStream(const std::string& path) : path_(path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec) throw_open_error(path, reason_from_errno(ec.value()));
  if (fs::is_directory(st)) throw_open_error(path, "a directory");
  if (fs::is_regular_file(st)) {
    const uintmax_t size = fs::file_size(path, ec);
    if (ec) throw_open_error(path, reason_from_errno(ec.value()));
    if (size == 0) throw_open_error(path, "empty file");
    file_size_ = size;
    if (map_plain_file()) return;
  }
  errno = 0;
  // "e": O_CLOEXEC, so a capture file never leaks into a child process.
  gzFile gz = gzopen(path.c_str(), "rbe");
  if (gz == nullptr) {
    throw_open_error(path, errno != 0 ? reason_from_errno(errno) : "out of memory");
  }
  gz_ = gz;
  gzbuffer(gz, kGzBufferBytes);  // before the first read, as zlib requires
  cap_ = kChunkBytes;
  buf_.reset(new uint8_t[cap_]);
  pos_ = end_ = buf_.get();
}

// Maps a plain (not gzip) regular file whole; read-only, so the kernel pages it in
// ahead of the cursor (MADV_SEQUENTIAL) and the readers parse in place.
bool FileStream::map_plain_file() {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // zlib's open reports why
  uint8_t magic[2] = {0, 0};
  const bool gzip = ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  void* m = gzip ? MAP_FAILED : ::mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return false;
  ::madvise(m, file_size_, MADV_SEQUENTIAL);
  map_ = static_cast<const uint8_t*>(m);
  pos_ = end_ = map_;  // fill() opens the mapping window by window
  return true;
}

FileStream::~FileStream() {
  if (gz_ != nullptr) gzclose(as_gz(gz_));
  if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), file_size_);
}

uint64_t FileStream::bytes_read() const {
  if (map_ != nullptr) return offset();
  if (gz_ == nullptr) return 0;
  // gzoffset: compressed bytes zlib has consumed (one lseek; not per packet).
  const z_off_t off = gzoffset(as_gz(gz_));
  return off < 0 ? 0 : static_cast<uint64_t>(off);
}

FileStream::FileStream(FileStream&& o) noexcept
    : path_(std::move(o.path_)),
      gz_(o.gz_),
      file_size_(o.file_size_),
      map_(o.map_),
      buf_(std::move(o.buf_)),
      cap_(o.cap_),
      pos_(o.pos_),
      end_(o.end_),
      base_offset_(o.base_offset_),
      state_(o.state_),
      error_(std::move(o.error_)) {
  o.gz_ = nullptr;
  o.map_ = nullptr;
  o.cap_ = 0;
  o.pos_ = o.end_ = nullptr;
}

void FileStream::grow() {
  const size_t have = available();
  const size_t cap = cap_ * 2;
  std::unique_ptr<uint8_t[]> bigger(new uint8_t[cap]);
  if (have != 0) std::memcpy(bigger.get(), pos_, have);
  base_offset_ += static_cast<uint64_t>(pos_ - buf_.get());
  buf_ = std::move(bigger);
  cap_ = cap;
  pos_ = buf_.get();
  end_ = pos_ + have;
}

const uint8_t* FileStream::fill(size_t n) {
  if (n > kMaxPeekBytes) {
    state_ = State::kError;
    error_ = "internal: read of " + std::to_string(n) + " bytes requested";
    return nullptr;
  }
  if (map_ != nullptr) return fill_mapped(n);
  uint8_t* const buf = buf_.get();
  size_t have = available();
  if (pos_ != buf) {  // keep only the unconsumed tail (part of one record)
    if (have != 0) std::memmove(buf, pos_, have);
    base_offset_ += static_cast<uint64_t>(pos_ - buf);
    pos_ = buf;
    end_ = buf + have;
  }
  while (have < n) {
    if (state_ != State::kOk) return nullptr;
    if (have == cap_) grow();
    const unsigned want = static_cast<unsigned>(cap_ - have);
    uint8_t* const dst = buf_.get() + have;  // == end_ (grow() may have moved the buffer)
    const int got = gzread(as_gz(gz_), dst, want);
    if (got > 0) {
      end_ += got;
      have += static_cast<size_t>(got);
      continue;
    }
    int errnum = Z_OK;
    const char* msg = gzerror(as_gz(gz_), &errnum);
    if (got == 0) {
      // zlib reports a gzip stream without its end as Z_BUF_ERROR.
      state_ = errnum == Z_BUF_ERROR ? State::kCutShort : State::kEof;
      continue;
    }
    state_ = State::kError;
    if (errnum == Z_ERRNO) {
      error_ = "read error: " + reason_from_errno(errno);
    } else {
      std::string m = msg != nullptr ? msg : "unknown error";
      const std::string prefix = path_ + ": ";  // zlib prefixes the path
      if (m.compare(0, prefix.size(), prefix) == 0) m.erase(0, prefix.size());
      error_ = "gzip: " + m;
    }
  }
  return pos_;
}

// The cursor may run up to end_: each window's pages are faulted in with one
// call (MADV_POPULATE_READ) instead of one fault per 4 KiB page, which would cost
// more than framing the packets on them.
const uint8_t* FileStream::fill_mapped(size_t n) {
  const uint8_t* const file_end = map_ + file_size_;
  if (static_cast<size_t>(file_end - pos_) < n) {
    end_ = file_end;
    if (state_ == State::kOk) state_ = State::kEof;
    return nullptr;
  }
  const uint8_t* want = pos_ + n > end_ + kMapWindowBytes ? pos_ + n : end_ + kMapWindowBytes;
  if (want > file_end) want = file_end;
  const uintptr_t page = 4096;
  const uintptr_t from = reinterpret_cast<uintptr_t>(end_) & ~(page - 1);
  ::madvise(reinterpret_cast<void*>(from), reinterpret_cast<uintptr_t>(want) - from, MADV_POPULATE_READ);  // a hint: faults do it otherwise
  end_ = want;
  return pos_;
}

bool FileStream::skip(uint64_t n) {
  for (;;) {
    const size_t have = available();
    if (have >= n) {
      pos_ += n;
      return true;
    }
    n -= have;
    pos_ = end_;
    if (fill(1) == nullptr) return false;
  }
}

}  // namespace tapline
