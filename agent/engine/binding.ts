// The one declaration of the native addon's interface (native/binding/),
// and its loader. engine.ts is the only user; everything it gets back
// passes a zod schema there.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeFileSourceOptions {
  kind: 'file' | 'replay';
  path: string;
  /** replay: how many times each worker replays its share of the capture. */
  loops?: number;
}

/** native/src/source/afpacket_config.h */
export interface NativeAfPacketSourceOptions {
  kind: 'afpacket';
  interfaces: string[];
  ringMiB?: number;
  blockKiB?: number;
  blockTimeoutMs?: number;
  fanoutGroup?: number;
  promiscuous?: boolean;
  cores?: string;
}

/** native/src/source/dpdk_config.h */
export interface NativeDpdkSourceOptions {
  kind: 'dpdk';
  pciAddresses?: string[];
  vdevs?: string[];
  cores?: string;
  memoryMiB?: number;
  noHuge?: boolean;
  hugeDir?: string;
  filePrefix?: string;
  inMemory?: boolean;
  rxDescriptors?: number;
  mbufsPerQueue?: number;
}

export type NativeSourceOptions = NativeFileSourceOptions | NativeAfPacketSourceOptions | NativeDpdkSourceOptions;

export interface NativeEngineOptions {
  workers: number;
  maxFlows: number;
  idleTimeoutMs: number;
  activeTimeoutMs: number;
  /** Records per worker export ring. */
  exportRing?: number;
  /** tcpdump-syntax capture filter, compiled once with libpcap. */
  filter?: string;
  /** Live sources: octets kept per packet. */
  snaplen?: number;
  /** Anomaly detectors (detector-options.ts); absent: all off. */
  detectors?: NativeDetectorOptions;
  source: NativeSourceOptions;
}

/** native/binding/js_detect_config.cc (the output of DetectorOptionsSchema). */
export interface NativeDetectorOptions {
  volumetric?: { enabled: boolean; packetsPerSecond?: number | undefined; bytesPerSecond?: number | undefined; windowSeconds: number } | undefined;
  synFlood?: { enabled: boolean; synsPerSecond: number; halfOpenPercent: number; windowSeconds: number } | undefined;
  portScan?: { enabled: boolean; distinctPorts: number; distinctHosts?: number | undefined; windowSeconds: number } | undefined;
  heavyHitters?: { enabled: boolean; topK: number; intervalSeconds: number } | undefined;
  cooldownSeconds: number;
  sketchWidth?: number | undefined;
  alertQueue?: number | undefined;
  maxAttacks?: number | undefined;
  updateEveryWindows?: number | undefined;
}

export type NativeEncoding = 'jsonl' | 'packed';

export interface NativeBatch {
  records: number;
  data: Buffer;
}

export interface NativeEngine {
  start(): void;
  /** A batch (possibly empty after waitMs), or null once the engine is done and drained. */
  drain(maxRecords: number, encoding: NativeEncoding, waitMs: number): Promise<NativeBatch | null>;
  /** Nested object of bigint counters. */
  stats(): unknown;
  info(): unknown;
  stop(): void;
  close(): Promise<void>;
  /** Up to `max` queued alert events (plain objects; never blocks). */
  drainAlerts(max: number): unknown[];
}

export interface NativeEngineClass {
  open(options: NativeEngineOptions): Promise<NativeEngine>;
}

const ADDON = path.join('build', 'Release', 'tapline_native.node');

/** The package root: the nearest directory above this file whose package.json is tapline's. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'tapline') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the tapline package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

let cached: NativeEngineClass | undefined;

export function loadBinding(): NativeEngineClass {
  if (cached) return cached;
  const file = path.join(packageRoot(), ADDON);
  if (!existsSync(file)) {
    throw new Error(`the native addon is not built (${file} is missing): run npm run build`);
  }
  const mod = createRequire(import.meta.url)(file) as { Engine?: NativeEngineClass };
  if (typeof mod.Engine?.open !== 'function') throw new Error(`${file} does not export Engine.open`);
  cached = mod.Engine;
  return cached;
}
