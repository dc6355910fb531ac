#include "source/file_stream.h"

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

FileStream::~FileStream() {
  if (gz_ != nullptr) gzclose(as_gz(gz_));
}

FileStream::FileStream(FileStream&& o) noexcept
    : path_(std::move(o.path_)),
      gz_(o.gz_),
      file_size_(o.file_size_),
      buf_(std::move(o.buf_)),
      cap_(o.cap_),
      pos_(o.pos_),
      end_(o.end_),
      base_offset_(o.base_offset_),
      state_(o.state_),
      error_(std::move(o.error_)) {
  o.gz_ = nullptr;
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
