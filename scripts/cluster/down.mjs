#!/usr/bin/env node
// Stops every process recorded in test/.cluster/state.json and removes test/.cluster.
//
//   node scripts/cluster/down.mjs [--keep-logs]
import { parseArgs } from 'node:util';
import { stopCluster } from './cluster.mjs';

const { values } = parseArgs({ options: { 'keep-logs': { type: 'boolean', default: false } } });
try {
  await stopCluster({ keepLogs: values['keep-logs'] });
} catch (e) {
  process.stderr.write(`cluster down: ${e.message}\n`);
  process.exit(1);
}
