// The test harness itself: a JetStream server that keeps its streams across a stop and start on
// the same port, and that enforces the auth it was given.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NATS_BUILD_TIMEOUT_MS, NatsTestServer } from './server.js';

let nats: NatsTestServer;
beforeAll(async () => {
  nats = await NatsTestServer.start();
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => nats?.cleanup());

describe('NatsTestServer', () => {
  it('keeps stream contents across stop and start on the same port', async () => {
    let nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'H', subjects: ['h.>'] });
    await jetstream(nc).publish('h.1', 'one');
    await nc.close();
    const port = nats.port;
    await nats.stop();
    expect(nats.running).toBe(false);
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 1000 })).rejects.toThrow();
    await nats.start();
    expect(nats.port).toBe(port);
    nc = await connect({ servers: nats.url });
    const info = await (await jetstreamManager(nc)).streams.info('H');
    await nc.close();
    expect(info.state.messages).toBe(1);
    expect(info.config.storage).toBe('file');
  });

  it('requires the auth it was started with', async () => {
    const s = await NatsTestServer.start({ auth: { user: 'u', password: 'p' } });
    try {
      await expect(connect({ servers: s.url, reconnect: false })).rejects.toThrow(/Authorization/i);
      const nc = await connect({ servers: s.url, user: 'u', pass: 'p' });
      await nc.close();
    } finally {
      await s.cleanup();
    }
  });
});
