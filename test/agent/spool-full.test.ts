// NATS away and the spool full: the configured rule decides which batches go, every dropped
// record is counted, and once NATS is back the stream holds exactly the others, once each.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Exporter } from '../../agent/export/exporter.js';
import { FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { capturingLogger, testSettings } from './support/export-settings.js';

let nats: NatsTestServer;
beforeAll(async () => {
  nats = await NatsTestServer.start();
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => nats?.cleanup());

/** One engine-like batch of `n` records whose srcPort numbers them from `first`. */
function records(first: number, n: number): Buffer {
  let s = '';
  for (let i = first; i < first + n; i++) {
    s += `{"srcAddr":"10.0.0.1","dstAddr":"10.0.0.2","srcPort":${i % 65536},"dstPort":${Math.floor(i / 65536)},"proto":17,"ipVersion":4,"vlan":null,"packets":1,"bytes":${100 + (i % 1000)},"revPackets":0,"revBytes":0,"tcpFlags":0,"revTcpFlags":0,"start":"2024-01-01T00:00:00Z","end":"2024-01-01T00:00:00Z","endReason":"idle","communityId":"1:AAAAAAAAAAAAAAAAAAAAAAAAAAA="}\n`;
  }
  return Buffer.from(s);
}
const index = (r: { srcPort: number; dstPort: number }) => r.dstPort * 65536 + r.srcPort;

describe.each(['dropOldest', 'dropNewest'] as const)('spool full, %s', (onFull) => {
  it('drops by the rule, counts every dropped record, delivers the rest exactly once', async () => {
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.delete('TAPLINE').catch(() => undefined);
    await nc.close();
    const { log } = capturingLogger('warn');
    const x = await Exporter.open(
      testSettings(nats.url, { batchMaxRecords: 500, ackTimeoutMs: 500, spool: { memoryBytes: 1 << 20, diskBytes: 0, onFull } }),
      log,
    );
    await nats.stop();
    await new Promise((r) => setTimeout(r, 300)); // the client notices
    const total = 20_000; // ~7 MB of records into a 1 MiB spool
    for (let i = 0; i < total; i += 1000) x.publishFlows(records(i, 1000));
    const during = x.stats();
    expect(during.connected).toBe(false);
    expect(during.droppedRecords.flows).toBeGreaterThan(0);
    expect(during.spool.memoryBytes).toBeLessThanOrEqual(1 << 20);

    await nats.start();
    const flushed = await x.flush(30_000);
    await x.close();
    expect(flushed.delivered).toBe(true);
    const s = x.stats();
    const got = (await readStream(nats.url, 'TAPLINE')).map((m) => FlowBatchSchema.parse(m.json()));
    const ids = got.flatMap((b) => b.records.map(index)).sort((a, b) => a - b);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length + s.droppedRecords.flows).toBe(total);
    expect(s.publishedRecords.flows).toBe(ids.length);
    // the kept ones are a contiguous run: the newest (dropOldest) or the oldest (dropNewest),
    // up to what was in flight when NATS went away
    const kept = ids.length;
    if (onFull === 'dropNewest') expect(ids).toEqual(Array.from({ length: kept }, (_, i) => i));
    else expect(ids.slice(-Math.min(kept, 1000))).toEqual(Array.from({ length: Math.min(kept, 1000) }, (_, i) => total - Math.min(kept, 1000) + i));
  });
});
