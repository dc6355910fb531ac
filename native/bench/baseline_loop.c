/* The baseline the engine is measured against (issue: "beat a plain C loop
 * per core"): what a competent engineer writes in an afternoon, in plain C,
 * with the engine's compiler flags. Preload a classic pcap into memory, then
 * replay it `loops` times on one thread:
 *   parse Ethernet, up to two VLAN tags, IPv4 (non-first fragments have no
 *   ports) or IPv6 (no extension headers), TCP/UDP ports;
 *   a canonical, direction-free 5-tuple key (40 bytes, as the engine's);
 *   one CRC32C chain over the key;
 *   an open-addressing table (linear probing, load factor <= 0.5, one
 *   64-byte slot per flow: key, packets, bytes, last timestamp, TCP flags),
 *   with the slots of a 32-packet burst prefetched before they are touched.
 * When the table holds max_flows flows it is emptied at once (the flows
 * counted as exported): the cheapest eviction there is, cheaper than the
 * engine's (stalest flow first, a record per evicted flow).
 * It keeps no timers, no TCP state, no detectors and no records: a lower
 * bound on the work, a fair upper bound on the speed.
 *
 *   tapline_baseline_bench FILE [loops=3] [max_flows=262144]
 * prints {"packets":N,"seconds":S,"mpps":M,"flows":F,"clears":C,"unparsed":U}
 * where flows counts inserts (distinct flows when the table never fills). */
#include <nmmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  uint8_t a[16], b[16];
  uint16_t port_a, port_b, vlan;
  uint8_t proto, version;
} key_t40;

typedef struct {
  key_t40 key;
  uint64_t bytes;
  uint64_t last_ts;
  uint32_t packets;
  uint32_t flags; /* TCP flags seen | 0x100 when the slot is in use */
} slot_t;

_Static_assert(sizeof(key_t40) == 40, "five 64-bit words");
_Static_assert(sizeof(slot_t) == 64, "one cache line per flow");

typedef struct {
  const uint8_t *data;
  uint32_t len;
  uint64_t ts;
} pkt_t;

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Returns 1 and fills the key, IP length and TCP flags, or 0 when there is no 5-tuple. */
static int parse(const uint8_t *p, uint32_t len, key_t40 *k, uint32_t *ip_len, uint8_t *tcp_flags) {
  if (len < 14) return 0;
  uint16_t type = be16(p + 12);
  uint32_t off = 14;
  uint16_t vlan = 0xFFFF;
  for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88A8); ++i) {
    if (len < off + 4) return 0;
    if (vlan == 0xFFFF) vlan = be16(p + off) & 0x0FFF;
    type = be16(p + off + 2);
    off += 4;
  }
  const uint8_t *src, *dst;
  size_t alen;
  uint8_t proto;
  int ports;
  memset(k, 0, sizeof *k);
  if (type == 0x0800) {
    if (len < off + 20 || (p[off] >> 4) != 4) return 0;
    uint32_t ihl = (uint32_t)(p[off] & 15) * 4;
    if (ihl < 20 || len < off + ihl) return 0;
    *ip_len = be16(p + off + 2);
    proto = p[off + 9];
    ports = (be16(p + off + 6) & 0x1FFF) == 0; /* first fragment or none */
    src = p + off + 12;
    dst = p + off + 16;
    alen = 4;
    off += ihl;
    k->version = 4;
  } else if (type == 0x86DD) {
    if (len < off + 40 || (p[off] >> 4) != 6) return 0;
    *ip_len = 40u + be16(p + off + 4);
    proto = p[off + 6];
    ports = 1;
    src = p + off + 8;
    dst = p + off + 24;
    alen = 16;
    off += 40;
    k->version = 6;
  } else {
    return 0;
  }
  uint16_t sport = 0, dport = 0;
  *tcp_flags = 0;
  if (ports && (proto == 6 || proto == 17) && len >= off + (proto == 6 ? 14u : 8u)) {
    sport = be16(p + off);
    dport = be16(p + off + 2);
    if (proto == 6) *tcp_flags = p[off + 13];
  }
  /* Canonical order: the lower (address, port) is side A. */
  int c = memcmp(src, dst, alen);
  int swap = c > 0 || (c == 0 && sport > dport);
  memcpy(k->a, swap ? dst : src, alen);
  memcpy(k->b, swap ? src : dst, alen);
  k->port_a = swap ? dport : sport;
  k->port_b = swap ? sport : dport;
  k->vlan = vlan;
  k->proto = proto;
  return 1;
}

static uint32_t hash_key(const key_t40 *k) {
  uint64_t w[5], h = 0x9E3779B9u;
  memcpy(w, k, sizeof w);
  for (int i = 0; i < 5; ++i) h = _mm_crc32_u64(h, w[i]);
  return (uint32_t)((h * 0x9E3779B97F4A7C15ull) >> 32);
}

static int key_eq(const key_t40 *x, const key_t40 *y) {
  uint64_t a[5], b[5];
  memcpy(a, x, sizeof a);
  memcpy(b, y, sizeof b);
  return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4])) == 0;
}

static uint8_t *load_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

/* Classic little-endian pcap (microsecond or nanosecond), Ethernet link type. */
static pkt_t *index_pcap(const uint8_t *buf, size_t size, size_t *count) {
  uint32_t magic;
  if (size < 24) return NULL;
  memcpy(&magic, buf, 4);
  if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return NULL;
  uint64_t sub = magic == 0xa1b23c4d ? 1 : 1000;
  size_t cap = 1 << 20, n = 0, off = 24;
  pkt_t *pkts = malloc(cap * sizeof *pkts);
  while (pkts && off + 16 <= size) {
    uint32_t h[4];
    memcpy(h, buf + off, 16);
    if (off + 16 + h[2] > size) break;
    if (n == cap) pkts = realloc(pkts, (cap *= 2) * sizeof *pkts);
    if (!pkts) break;
    pkts[n].data = buf + off + 16;
    pkts[n].len = h[2];
    pkts[n].ts = (uint64_t)h[0] * 1000000000ull + h[1] * sub;
    ++n;
    off += 16 + h[2];
  }
  *count = n;
  return pkts;
}

enum { kBurst = 32 };

typedef struct {
  slot_t *table;
  uint64_t mask, slots, max_flows, used, inserts, clears, unparsed, packets;
} table_t;

/* The measured loop (callgrind: --toggle-collect=replay). */
__attribute__((noinline)) static void replay(table_t *t, const pkt_t *pkts, size_t count, int loops) {
  key_t40 keys[kBurst];
  uint32_t hashes[kBurst], ip_len[kBurst];
  uint8_t flags[kBurst], ok[kBurst];
  slot_t *const table = t->table;
  const uint64_t mask = t->mask;
  for (int loop = 0; loop < loops; ++loop) {
    for (size_t base = 0; base < count; base += kBurst) {
      const size_t n = count - base < kBurst ? count - base : kBurst;
      for (size_t i = 0; i < n; ++i) { /* parse the burst, prefetch its slots */
        const pkt_t *pk = &pkts[base + i];
        ok[i] = (uint8_t)parse(pk->data, pk->len, &keys[i], &ip_len[i], &flags[i]);
        if (!ok[i]) continue;
        hashes[i] = hash_key(&keys[i]);
        __builtin_prefetch(&table[hashes[i] & mask], 1);
      }
      for (size_t i = 0; i < n; ++i) {
        if (!ok[i]) {
          ++t->unparsed;
          continue;
        }
        uint64_t at = hashes[i] & mask;
        slot_t *s;
        for (;;) {
          s = &table[at];
          if (!s->flags || key_eq(&s->key, &keys[i])) break;
          at = (at + 1) & mask;
        }
        if (!s->flags) {
          if (t->used == t->max_flows) {
            memset(table, 0, t->slots * sizeof(slot_t));
            t->used = 0;
            ++t->clears;
            s = &table[hashes[i] & mask];
          }
          s->key = keys[i];
          s->packets = 0;
          s->bytes = 0;
          s->flags = 0x100;
          ++t->used;
          ++t->inserts;
        }
        s->packets++;
        s->bytes += ip_len[i];
        s->last_ts = pkts[base + i].ts;
        s->flags |= flags[i];
      }
      t->packets += n;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [loops=3] [max_flows=262144]\n", argv[0]);
    return 2;
  }
  const int loops = argc > 2 ? atoi(argv[2]) : 3;
  const uint64_t max_flows = argc > 3 ? strtoull(argv[3], NULL, 10) : 262144;
  size_t size, count;
  uint8_t *buf = load_file(argv[1], &size);
  pkt_t *pkts = buf ? index_pcap(buf, size, &count) : NULL;
  if (!pkts) {
    fprintf(stderr, "baseline: cannot read %s as a little-endian Ethernet pcap\n", argv[1]);
    return 1;
  }
  uint64_t slots = 1;
  while (slots < 2 * max_flows) slots <<= 1;
  const uint64_t mask = slots - 1;
  slot_t *table = aligned_alloc(64, slots * sizeof(slot_t));
  if (!table) return 1;
  memset(table, 0, slots * sizeof(slot_t));

  table_t t = {table, mask, slots, max_flows, 0, 0, 0, 0, 0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  replay(&t, pkts, count, loops);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"packets\":%llu,\"seconds\":%.6f,\"mpps\":%.3f,\"flows\":%llu,\"clears\":%llu,\"unparsed\":%llu}\n",
         (unsigned long long)t.packets, secs, t.packets / secs / 1e6, (unsigned long long)t.inserts,
         (unsigned long long)t.clears, (unsigned long long)t.unparsed);
  free(table);
  free(pkts);
  free(buf);
  return 0;
}
