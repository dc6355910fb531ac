// Builds the libFuzzer seed corpora from a directory of real capture files
// (the tcpdump test captures): nothing is copied into the repository, the
// seeds are written under the fuzz build directory at run time.
//
//   parser: one packet per seed, in the fuzz_input.h framing
//   flow:   the first packets of each capture, framed, with their clock steps
//   file:   the capture files themselves, when small enough
//
// Usable as a module (seedCorpora) or directly:
//   node native/fuzz/seed-corpus.mjs <capture dir> <output dir>
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

// Keep in sync with kLinkTypes in fuzz_input.h: a seed's first byte is the index.
export const LINK_TYPES = [1, 113, 276, 101, 228, 229, 0, 108, 105];

const PCAP_MAGICS = new Map([
  [0xa1b2c3d4, { le: false, nanos: false }],
  [0xa1b23c4d, { le: false, nanos: true }],
  [0xd4c3b2a1, { le: true, nanos: false }],
  [0x4d3cb2a1, { le: true, nanos: true }],
]);

function decompress(buf) {
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf;
  try {
    // Sync flush: a cut .gz still yields what it has.
    return zlib.gunzipSync(buf, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

// Up to `limit` packets { linktype, data, tsUs } of a pcap; stops at the first bad record.
function pcapPackets(b, limit) {
  if (b.length < 24) return [];
  const fmt = PCAP_MAGICS.get(b.readUInt32BE(0));
  const u32 = (o) => (fmt.le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  const out = [];
  for (let o = 24; o + 16 <= b.length && out.length < limit; ) {
    const caplen = u32(o + 8);
    if (caplen > 262144 || o + 16 + caplen > b.length) break;
    const tsUs = u32(o) * 1e6 + (fmt.nanos ? Math.floor(u32(o + 4) / 1000) : u32(o + 4));
    out.push({ linktype, data: b.subarray(o + 16, o + 16 + caplen), tsUs });
    o += 16 + caplen;
  }
  return out;
}

// Up to `limit` packets of a pcapng (EPB and SPB; timestamps in the default microseconds).
function pcapngPackets(b, limit) {
  const out = [];
  let le = true;
  let ifaces = [];
  for (let o = 0; o + 12 <= b.length && out.length < limit; ) {
    if (b.readUInt32LE(o) === 0x0a0d0d0a) {
      const bom = b.readUInt32LE(o + 8);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else break;
      ifaces = [];
    }
    const u32 = (x) => (le ? b.readUInt32LE(x) : b.readUInt32BE(x));
    const u16 = (x) => (le ? b.readUInt16LE(x) : b.readUInt16BE(x));
    const type = u32(o);
    const len = u32(o + 4);
    if (len < 12 || len % 4 !== 0 || o + len > b.length) break;
    if (type === 1 && len >= 20) {
      ifaces.push(u16(o + 8));
    } else if (type === 6 && len >= 32) {
      const id = u32(o + 8);
      const caplen = u32(o + 20);
      if (id < ifaces.length && 28 + caplen <= len - 4) {
        const tsUs = (u32(o + 12) * 2 ** 32 + u32(o + 16));
        out.push({ linktype: ifaces[id], data: b.subarray(o + 28, o + 28 + caplen), tsUs });
      }
    } else if (type === 3 && len >= 16 && ifaces.length > 0) {
      const caplen = Math.min(u32(o + 8), len - 16);
      out.push({ linktype: ifaces[0], data: b.subarray(o + 12, o + 12 + caplen), tsUs: 0 });
    }
    o += len;
  }
  return out;
}

export function capturePackets(raw, limit) {
  const b = decompress(raw);
  if (b.length < 4) return [];
  if (PCAP_MAGICS.has(b.readUInt32BE(0))) return pcapPackets(b, limit);
  if (b.readUInt32BE(0) === 0x0a0d0d0a) return pcapngPackets(b, limit);
  return [];
}

// One framed record: [link index][flags][length u16 BE][bytes], the bytes cut to fit `room`.
function record(linkIndex, flags, data, room) {
  let bytes = data;
  if (bytes.length > room - 4) {
    bytes = bytes.subarray(0, Math.max(0, room - 4));
    flags |= 0x80; // cut: as if by a snaplen
  }
  const head = Buffer.from([linkIndex, flags, bytes.length >> 8, bytes.length & 0xff]);
  return Buffer.concat([head, bytes]);
}

// fuzz_input.h clock step: 0 = none, k = 4^k microseconds.
function clockStep(dtUs) {
  if (!(dtUs > 0)) return 0;
  return Math.min(14, Math.max(1, Math.ceil(Math.log(dtUs) / Math.log(4))));
}

function writeSeed(dir, data, seen) {
  const name = createHash('sha1').update(data).digest('hex');
  if (seen.has(name)) return false;
  seen.add(name);
  fs.writeFileSync(path.join(dir, name), data);
  return true;
}

/**
 * Writes <outDir>/parser, <outDir>/flow and <outDir>/file (recreated).
 * Returns the number of seeds in each.
 */
export function seedCorpora({
  captureDir,
  outDir,
  maxLen = { parser: 2048, flow: 16384, file: 16384 },
  packetsPerFile = 8,
  flowPacketsPerFile = 64,
  maxParserSeeds = 4000,
}) {
  const dirs = {};
  for (const kind of ['parser', 'flow', 'file']) {
    dirs[kind] = path.join(outDir, kind);
    fs.rmSync(dirs[kind], { recursive: true, force: true });
    fs.mkdirSync(dirs[kind], { recursive: true });
  }
  const counts = { parser: 0, flow: 0, file: 0, captures: 0 };
  if (!fs.existsSync(captureDir)) return counts;
  const seen = new Set();
  const files = fs
    .readdirSync(captureDir, { recursive: true })
    .map((f) => path.join(captureDir, String(f)))
    .filter((f) => /\.(pcap|pcapng|cap)(\.gz)?$/i.test(f) && fs.statSync(f).isFile())
    .sort();
  for (const file of files) {
    const raw = fs.readFileSync(file);
    counts.captures += 1;
    if (raw.length <= maxLen.file && writeSeed(dirs.file, raw, seen)) counts.file += 1;
    let packets;
    try {
      packets = capturePackets(raw, Math.max(packetsPerFile, flowPacketsPerFile));
    } catch {
      continue; // a malformed capture: its bytes are still a file seed
    }
    const framed = [];
    let size = 0;
    let prevUs;
    for (const [i, p] of packets.entries()) {
      const link = LINK_TYPES.indexOf(p.linktype);
      if (link < 0) continue;
      if (i < packetsPerFile && counts.parser < maxParserSeeds) {
        if (writeSeed(dirs.parser, record(link, 0, p.data, maxLen.parser), seen)) counts.parser += 1;
      }
      const step = prevUs === undefined ? 0 : clockStep(p.tsUs - prevUs);
      prevUs = p.tsUs;
      const r = record(link, step, p.data, Math.min(maxLen.parser, maxLen.flow - size));
      if (size + r.length > maxLen.flow || r.length <= 4) break;
      framed.push(r);
      size += r.length;
    }
    if (framed.length > 1 && writeSeed(dirs.flow, Buffer.concat(framed), seen)) counts.flow += 1;
  }
  return counts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [captureDir, outDir] = process.argv.slice(2);
  if (!captureDir || !outDir) {
    console.error('usage: node native/fuzz/seed-corpus.mjs <capture dir> <output dir>');
    process.exit(2);
  }
  console.log(JSON.stringify(seedCorpora({ captureDir, outDir })));
}
