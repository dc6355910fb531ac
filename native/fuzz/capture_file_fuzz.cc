// libFuzzer harness: arbitrary bytes as a capture file (pcap or pcapng,
// plain or gzip) opened with CaptureFileReader::open from a memfd, every
// packet read and parsed. An open failure must be a CaptureFileError with
// the documented prefix; reading must end in a known state; every packet
// must lie within what the reader returned (ASan checks the reads).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "parse/parser.h"
#include "source/capture_file.h"

using namespace tapline;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

// One memfd for the whole run, rewritten per input; opened by path so the
// reader goes through exactly what it does for a real file.
const std::string& memfd_path() {
  static const std::string path = [] {
    const int fd = memfd_create("tapline-capture-fuzz", 0);
    check(fd >= 0);
    return "/proc/self/fd/" + std::to_string(fd);
  }();
  return path;
}
int memfd() { return std::stoi(memfd_path().substr(std::strlen("/proc/self/fd/"))); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = memfd_path();
  const int fd = memfd();
  check(ftruncate(fd, 0) == 0);
  size_t done = 0;
  while (done < size) {
    const ssize_t w = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    check(w > 0);
    done += static_cast<size_t>(w);
  }
  std::unique_ptr<CaptureFileReader> reader;
  try {
    reader = CaptureFileReader::open(path);
  } catch (const CaptureFileError& e) {
    check(std::string(e.what()).rfind("cannot open capture file '" + path + "': ", 0) == 0);
    return 0;
  }
  ParserConfig cfg;
  cfg.fragment_sets = 4;
  Parser parser(cfg);
  RawPacket raw;
  uint64_t packets = 0;
  while (reader->next(raw)) {
    check(reader->end() == ReadEnd::kNone);
    check(raw.caplen <= raw.wirelen);
    check(raw.ts_digits <= 9);
    ParsedPacket out;
    parser.parse(raw, out);
    ++packets;
  }
  check(reader->end() != ReadEnd::kNone);
  check((reader->end() == ReadEnd::kEof) == reader->error().empty());
  RawPacket again;
  check(!reader->next(again));  // stays ended
  check(parser.stats().packets.get() == packets);
  return 0;
}
