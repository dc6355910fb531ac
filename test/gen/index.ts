// Traffic generator for Tapline's tests and benchmarks.
//
//   import { buildMixedCapture, expectFlows, writeCapture } from '../gen/index.js';
//   const cap = buildMixedCapture(7);                    // frames + what the parser sees in each
//   writeCapture(cap, '/tmp/mixed.pcap');                // pcap (or { format: 'pcapng', gzip: true })
//   const expected = expectFlows(cap, { idleSec: 15 });  // the exact records the engine must export
//   // run the engine on the file, then: expect(diffRecords(actual, expected)).toEqual([])
//
// Benchmarks: writeBenchMix / writeBenchFlood (bench.ts), or `node dist/test/gen/cli.js`.
import { writeCaptureFile, type CaptureFormat } from './capture-writer.js';
import { type Capture } from './scenario.js';

export * from './bench.js';
export * from './capture-reader.js';
export * from './capture-writer.js';
export * from './checksum.js';
export * from './community-id.js';
export * from './flow-model.js';
export * from './headers.js';
export * from './ip-addr.js';
export * from './packets.js';
export * from './prng.js';
export * from './scenario.js';
export * from './scenarios.js';
export * from './time.js';

export interface WriteScenarioCaptureOptions {
  /** Default 'pcap' (needs a single link type); 'pcapng' mixes link types. */
  format?: CaptureFormat;
  gzip?: boolean;
}

/** Writes a built capture with its own precision and snaplen. Returns the file size. */
export function writeCapture(capture: Capture, path: string, opts: WriteScenarioCaptureOptions = {}): number {
  return writeCaptureFile(path, capture.frames, {
    format: opts.format ?? 'pcap',
    precision: capture.precision,
    gzip: opts.gzip ?? false,
    ...(capture.snaplen !== undefined ? { snaplen: capture.snaplen } : {}),
  });
}
