// The 3-server JetStream cluster harness itself: servers in their own network namespaces with
// routes between them, an R3 stream whose leader can be killed and restarted, and a server cut
// off (its link down) and healed; the stream keeps every message once through both.
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NatsTestCluster } from './cluster.js';
import { NATS_BUILD_TIMEOUT_MS } from './server.js';

let cluster: NatsTestCluster;
beforeAll(async () => {
  cluster = await NatsTestCluster.start();
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => cluster?.cleanup());

async function publish(from: number, n: number): Promise<void> {
  const nc = await cluster.connect();
  try {
    const js = jetstream(nc, { timeout: 5000 });
    for (let i = from; i < from + n; i++) {
      for (let attempt = 0; ; attempt++) {
        try {
          await js.publish('h.x', `m${i}`, { msgID: `id-${i}` });
          break;
        } catch (err) {
          if (attempt > 30) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
  } finally {
    await nc.close();
  }
}

describe('NATS JetStream cluster harness', () => {
  it('three servers in three namespaces, an R3 stream that survives its leader killed and a server cut off', async () => {
    const nc = await cluster.connect();
    await (await jetstreamManager(nc)).streams.add({ name: 'H', subjects: ['h.>'], storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: 3 });
    await nc.close();
    const first = await cluster.waitForStreamLeader('H');
    expect(first.cluster?.replicas).toHaveLength(2);
    await publish(0, 100);

    // the leader killed: another is elected, publishing goes on; back with its store, it catches up
    const leader = cluster.indexOf(first.cluster!.leader!);
    await cluster.kill(leader);
    const second = await cluster.waitForStreamLeader('H', { not: leader, current: false });
    expect(cluster.indexOf(second.cluster!.leader!)).not.toBe(leader);
    await publish(100, 100);
    await cluster.start(leader);
    await cluster.waitForStreamLeader('H');

    // a server cut off (its link down in its namespace), then healed
    const victim = await cluster.leaderOf('H');
    cluster.cut(victim);
    const third = await cluster.waitForStreamLeader('H', { not: victim, current: false });
    expect(cluster.indexOf(third.cluster!.leader!)).not.toBe(victim);
    await publish(200, 100);
    await publish(150, 100); // resends within the duplicate window: dropped
    cluster.heal(victim);
    await cluster.waitForStreamLeader('H');
    // right after the heal the cut-off server may still answer as the leader it was (its stale
    // state); it steps down and catches up: the stream converges to every message once
    let healed = await cluster.streamInfo('H');
    for (const deadline = Date.now() + 30_000; healed.state.messages !== 300 && Date.now() < deadline; healed = await cluster.streamInfo('H')) {
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(healed.state.messages).toBe(300);
    expect(healed.state.first_seq).toBe(1);
    expect(healed.state.last_seq).toBe(300);
  }, 180_000);
});
