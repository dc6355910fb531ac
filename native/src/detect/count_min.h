// Count-min sketch (Cormode & Muthukrishnan) of a fixed width chosen at start:
// kDepth rows of `width` cells; a key adds to one cell per row and its
// estimate is the minimum over the rows (never below the true value; above it
// by at most e/width of the total with probability 1 - e^-kDepth). Cells are
// small structs of counters so one row access updates every metric of a key.
// Two sketches of the same width and seed merge by adding cells.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>

namespace tapline {

template <typename Cell>
class CountMin {
 public:
  static constexpr uint32_t kDepth = 4;

  // `width` must be a power of two (validated with the detector config).
  explicit CountMin(uint32_t width) : mask_(width - 1), cells_(new Cell[static_cast<size_t>(width) * kDepth]) { clear(); }

  uint32_t width() const { return mask_ + 1; }
  size_t memory_bytes() const { return sizeof(Cell) * width() * kDepth; }

  // Row r's cell of a key hashed to `h` (Kirsch-Mitzenmacher: h1 + r * h2).
  Cell& cell(uint64_t h, uint32_t r) { return cells_[r * width() + index(h, r)]; }
  const Cell& cell(uint64_t h, uint32_t r) const { return cells_[r * width() + index(h, r)]; }

  // Every row's cell of a key, as byte offsets into the cell array (the
  // per-packet path: computed once for a key's prefetch and its update, and
  // the same for every sketch of this width, so a tick change in between does
  // not matter). Rows are walked incrementally: the row's base and
  // h1 + r * h2 each grow by one add per row, the same cell as index(h, r)
  // without a multiply. (Offsets fit 32 bits: sketchWidth <= 2^20 cells of
  // at most 32 bytes, four rows.)
  static void offsets(uint64_t h, uint32_t width, uint32_t out[kDepth]) {
    const uint32_t m = width - 1, h2 = static_cast<uint32_t>(h >> 32) | 1u;
    uint32_t x = static_cast<uint32_t>(h), row = 0;
    for (uint32_t r = 0; r < kDepth; ++r, row += width, x += h2) out[r] = (row + (x & m)) * sizeof(Cell);
  }
  Cell& at(uint32_t offset) { return *reinterpret_cast<Cell*>(reinterpret_cast<char*>(cells_.get()) + offset); }
  void prefetch(const uint32_t off[kDepth]) const {
    const char* const base = reinterpret_cast<const char*>(cells_.get());
    for (uint32_t r = 0; r < kDepth; ++r) __builtin_prefetch(base + off[r], 1);
  }

  // Minimum over the rows of one field of the key's cells.
  template <typename Field>
  uint64_t estimate(uint64_t h, Field field) const {
    uint64_t m = field(cell(h, 0));
    for (uint32_t r = 1; r < kDepth; ++r) {
      const uint64_t v = field(cell(h, r));
      m = v < m ? v : m;
    }
    return m;
  }

  void merge(const CountMin& o) {
    const size_t n = static_cast<size_t>(width()) * kDepth;
    for (size_t i = 0; i < n; ++i) cells_[i] += o.cells_[i];
  }
  void clear() { std::memset(static_cast<void*>(cells_.get()), 0, memory_bytes()); }
  // Sum of one field over row 0: the total of everything added.
  template <typename Field>
  uint64_t total(Field field) const {
    uint64_t s = 0;
    for (uint32_t i = 0; i < width(); ++i) s += field(cells_[i]);
    return s;
  }

 private:
  uint32_t index(uint64_t h, uint32_t r) const {
    const uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32) | 1u;
    return (h1 + r * h2) & mask_;
  }

  uint32_t mask_;
  std::unique_ptr<Cell[]> cells_;
};

// Per destination: what it received in a tick or window.
struct DstCell {
  uint64_t packets;
  uint64_t bytes;
  uint32_t syns;         // TCP SYN without ACK
  uint32_t completions;  // handshakes completed towards it
  uint64_t pad;
  DstCell& operator+=(const DstCell& o) {
    packets += o.packets;
    bytes += o.bytes;
    syns += o.syns;
    completions += o.completions;
    return *this;
  }
};
static_assert(sizeof(DstCell) == 32, "two cells per cache line");

// Per source: what it sent (heavy hitters).
struct SrcCell {
  uint64_t packets;
  uint64_t bytes;
  SrcCell& operator+=(const SrcCell& o) {
    packets += o.packets;
    bytes += o.bytes;
    return *this;
  }
};

}  // namespace tapline
