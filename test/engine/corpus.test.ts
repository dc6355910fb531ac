// Every capture of the tcpdump test corpus (real and deliberately malformed
// files, many link types, pcap and pcapng) goes through the engine without a
// crash or a hang, and every packet that joined a flow is in a record.
import { readdirSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { isCaptureFileError } from '../../agent/engine/errors.js';
import { packageRoot } from '../../agent/engine/binding.js';
import { runEngine, sumPackets } from '../support/engine-run.js';

const corpus = path.resolve(packageRoot(), '..', 'shared', 'pcaps', 'tcpdump-tests');
const files = readdirSync(corpus).filter((f) => /\.(pcap|pcapng|cap)(\.gz)?$/i.test(f) || !f.includes('.')).sort();

describe('tcpdump capture corpus', () => {
  it('has the 830 captures', () => {
    expect(files.length).toBeGreaterThanOrEqual(800);
  });

  it('analyzes every file: records account for every flow packet, or a clear file error', async () => {
    const outcomes = { analyzed: 0, rejected: 0, truncated: 0, corrupt: 0 };
    for (const f of files) {
      const file = path.join(corpus, f);
      let run;
      try {
        run = await runEngine(file, { workers: 2, maxFlows: 4096 });
      } catch (err) {
        // Only a file-level problem may stop a file, and it must say which file and why.
        expect(isCaptureFileError(err), `${f}: ${String(err)}`).toBe(true);
        expect((err as Error).message).toContain(file);
        outcomes.rejected++;
        continue;
      }
      outcomes.analyzed++;
      if (run.info.inputTruncated) outcomes.truncated++;
      else if (run.info.inputError) outcomes.corrupt++;
      const { stats, records } = run;
      expect(sumPackets(records), f).toBe(Number(stats.flowPackets));
      expect(records.length, f).toBe(Number(stats.flows.exported));
      expect(stats.ring.drops, f).toBe(0n);
      expect(stats.flowPackets + stats.malformedTotal, f).toBeLessThanOrEqual(stats.packets);
    }
    // Most of the corpus is readable captures; a few are deliberately broken files.
    expect(outcomes.analyzed).toBeGreaterThan(files.length * 0.9);
    console.log(`corpus: ${JSON.stringify(outcomes)}`);
  }, 600_000);
});
