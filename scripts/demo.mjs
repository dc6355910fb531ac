// `npm run demo`: Tapline's main job on a local default. For now that is
// `tapline analyze` on a capture the project generates (mixed TCP, UDP, DNS,
// ICMP, IPv6, SCTP, VLAN and fragmented traffic over Ethernet, Linux cooked
// and raw-IP interfaces), shown as a table and as JSON records.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { repoRoot, step } from './lib/run.mjs';
import { setup } from './setup.mjs';

try {
  setup();
} catch (err) {
  process.stderr.write(`tapline demo: set-up failed: ${err.message}\n`);
  process.exit(1);
}

const gen = (m) => import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'gen', m)).href);
const { buildMixedCapture } = await gen('scenarios.js');
const { writeCaptureFile } = await gen('capture-writer.js');

const dir = path.join(repoRoot, 'test', '.out', 'demo');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, 'demo.pcapng');
const capture = buildMixedCapture(2026, { linktypes: true, precision: 'ns' });
writeCaptureFile(file, capture.frames, { format: 'pcapng', precision: 'ns' });

const tapline = path.join(repoRoot, 'bin', 'tapline.js');
step(`tapline analyze --format table ${path.relative(repoRoot, file)}  (${capture.frames.length} packets)`);
let r = spawnSync(process.execPath, [tapline, 'analyze', '--format', 'table', '--top', '12', '--workers', '2', file], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

step(`tapline analyze ${path.relative(repoRoot, file)}  (JSON lines; the first three)`);
r = spawnSync(process.execPath, [tapline, 'analyze', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
if (r.status !== 0) process.exit(r.status ?? 1);
process.stdout.write(r.stdout.split('\n').slice(0, 3).join('\n') + '\n');
process.stderr.write(`\nThe capture is at ${file}; try: npx tapline analyze --help\n`);
