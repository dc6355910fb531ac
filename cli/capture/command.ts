// `tapline capture`: live capture from an interface (AF_PACKET) or DPDK ports,
// writing flow records like `tapline analyze` does for files, until
// --duration passes or SIGINT/SIGTERM; then every live flow is flushed and
// the summary (with the source's own drop counters) goes to stderr.
import { Engine, type EngineOptions, type EngineStats } from '../../agent/index.js';
import { summary } from '../analyze/summary.js';
import { byteSize, thousands } from '../format.js';
import { AlertReport } from '../output/alert-report.js';
import { DETECT_USAGE } from '../output/detect-options.js';
import { flowOutput, writeFlows } from '../output/flow-output.js';
import { natsOutputUsage, withNatsOutput, type NatsOutput } from '../output/nats-output.js';
import { OutputClosed, writeStdout } from '../output/stdout.js';
import { parseCaptureArgs, type CaptureOptions } from './options.js';

export const CAPTURE_USAGE = `usage: tapline capture --backend afpacket --iface NAME [options]
       tapline capture --backend dpdk (--pci ADDR | --pci-from-env VAR | --vdev SPEC | --iface NAME) [options]

Captures live and writes one flow record per flow, like analyze does for a
file, until --duration passes or SIGINT/SIGTERM arrives; then every live flow
is exported (end reason "shutdown") and a summary with the source's drop
counters goes to stderr.

source:
  -b, --backend afpacket|dpdk  AF_PACKET (TPACKET_V3 rings, fanout) or DPDK (EAL, one RX queue per worker)
  -i, --iface NAME         interface (repeatable); with dpdk: through net_af_packet
      --pci ADDR           dpdk: PCI address of a port bound to vfio-pci (repeatable)
      --pci-from-env VAR   dpdk: the PCI addresses in VAR (PCIDEVICE_*, set by the SR-IOV device plugin)
      --vdev SPEC          dpdk: a virtual device, e.g. net_pcap0,rx_pcap=FILE (repeatable)
  -w, --workers N          worker threads / RX queues (default 1)
      --filter EXPR        capture filter in tcpdump syntax
  -s, --snaplen N          octets kept per packet (default 65535)
  -d, --duration S         stop after S seconds (default: until SIGINT/SIGTERM)
      --cores LIST         CPUs (afpacket: one per worker; dpdk: main lcore + one per worker)
      --ring-mib N         afpacket: ring memory per worker and interface (default 32)
      --no-huge            dpdk: no hugepages (anonymous memory; tests, nodes without hugepages)
      --memory MiB         dpdk: EAL memory (-m), taken at start (default: as needed)
      --huge-dir DIR       dpdk: take the hugepages as files in this hugetlbfs mount, unlinked once
                           mapped (default: --in-memory, pages from the kernel, no mount needed)
      --file-prefix NAME   dpdk: EAL file prefix (default tapline-PID)
      --mbufs N            dpdk: packet buffers per RX queue (net_pcap infinite_rx needs one per packet)

output (as analyze):
  -f, --format jsonl|table output format (default: table on a terminal, else jsonl)
      --idle-timeout S     end a flow after S seconds without packets (default 15)
      --active-timeout S   export a long flow every S seconds (default 1800)
      --max-flows N        flow-table capacity over all workers (default 1048576)
      --top N              rows of the table format (default 20)
${natsOutputUsage('capture')}${DETECT_USAGE}  -h, --help               this help

exit status: 0 after a clean stop, 1 if the capture cannot start (the message
says what to fix) or (with --nats) a record or alert was not delivered, 2 for
a bad command line.
`;

export async function runCapture(args: string[]): Promise<number> {
  const opts = parseCaptureArgs(args, process.stdout.isTTY === true);
  if (opts === 'help') {
    process.stdout.write(CAPTURE_USAGE);
    return 0;
  }
  return capture(opts);
}

/** The engine options a command line stands for. */
export function captureEngineOptions(o: CaptureOptions): EngineOptions {
  const base = {
    workers: o.workers,
    maxFlows: o.maxFlows,
    idleTimeoutMs: Math.round(o.idleTimeout * 1000),
    activeTimeoutMs: Math.round(o.activeTimeout * 1000),
    snaplen: o.snaplen,
    ...(o.filter !== undefined ? { filter: o.filter } : {}),
    ...(o.detectors !== undefined ? { detectors: o.detectors } : {}),
  };
  if (o.backend === 'afpacket') {
    return {
      ...base,
      source: {
        kind: 'afpacket',
        interfaces: o.ifaces,
        ...(o.ringMiB !== undefined ? { ringMiB: o.ringMiB } : {}),
        ...(o.cores !== undefined ? { cores: o.cores } : {}),
      },
    };
  }
  // An interface through DPDK: net_af_packet with one queue pair per worker (its
  // queues are one kernel fanout group, so flows stay whole per worker).
  const ifaceVdevs = o.ifaces.map((name, i) => `net_af_packet${i},iface=${name},qpairs=${o.workers}`);
  return {
    ...base,
    source: {
      kind: 'dpdk',
      pciAddresses: o.pcis,
      vdevs: [...o.vdevs, ...ifaceVdevs],
      noHuge: o.noHuge,
      // One capture per process: nothing to share with secondary processes. Without --huge-dir,
      // --in-memory: the EAL takes its hugepages from the kernel (memfd), no mount and no files.
      // With --huge-dir, the pages are files in that mount (as DPDK users expect of the flag),
      // unlinked once mapped (--huge-unlink) so that a crash leaves none; the runtime directory
      // is removed at exit.
      inMemory: o.hugeDir === undefined,
      ...(o.memoryMiB !== undefined ? { memoryMiB: o.memoryMiB } : {}),
      ...(o.cores !== undefined ? { cores: o.cores } : {}),
      ...(o.filePrefix !== undefined ? { filePrefix: o.filePrefix } : {}),
      ...(o.hugeDir !== undefined ? { hugeDir: o.hugeDir } : {}),
      ...(o.mbufs !== undefined ? { mbufsPerQueue: o.mbufs } : {}),
    },
  };
}

function describeSource(o: CaptureOptions): string {
  const devs = [...o.ifaces, ...o.pcis, ...o.vdevs.map((v) => v.split(',')[0] ?? v)];
  return `${o.backend} on ${devs.join(', ')}`;
}

async function capture(opts: CaptureOptions): Promise<number> {
  return withNatsOutput(opts.output, 'capture', (nats) => captureTo(opts, nats));
}

async function captureTo(opts: CaptureOptions, nats: NatsOutput | undefined): Promise<number> {
  const engine = await Engine.open(captureEngineOptions(opts));
  const alerts = AlertReport.forRun(opts.detectors !== undefined, nats);
  let stopping = false;
  let interrupted = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    engine.stop(); // live flows are flushed with end reason "shutdown"
  };
  const onSignal = () => {
    if (interrupted) process.exit(130); // a second ^C: leave now
    interrupted = true;
    stop();
  };
  const stdoutErrors = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', stdoutErrors);
  const timer = opts.duration !== undefined ? setTimeout(stop, opts.duration * 1000) : undefined;
  const t0 = process.hrtime.bigint();
  try {
    const info = engine.info();
    process.stderr.write(
      `tapline capture: ${describeSource(opts)}: ${info.workers} worker${info.workers === 1 ? '' : 's'}` +
        `${opts.filter ? `, filter "${opts.filter}"` : ''}, ${byteSize(info.memoryBytes)} allocated; listening` +
        `${opts.duration !== undefined ? ` for ${opts.duration} s` : ' until SIGINT/SIGTERM'}\n`,
    );
    engine.start();
    alerts?.watch(engine);
    // A live source cannot wait: what the NATS spool cannot hold is counted (and fails the run).
    const out = flowOutput(nats, false, opts.format, opts.top);
    try {
      await writeFlows(engine, out);
    } catch (err) {
      if (!(err instanceof OutputClosed)) throw err;
      stop();
    }
    if (out.kind === 'table') await writeStdout(out.top.render()).catch(() => undefined);
    await engine.close();
    alerts?.finish();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const stats = engine.stats();
    process.stderr.write(summary(stats, wall));
    if (alerts) process.stderr.write(alerts.summaryLine(stats));
    process.stderr.write(captureLine(stats));
    if (interrupted) process.stderr.write('tapline capture: interrupted: live flows were exported with end reason "shutdown"\n');
    return 0;
  } finally {
    alerts?.stop();
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', stdoutErrors);
    await engine.close();
  }
}

/** The source's own counters: what it received, and what it dropped before the engine saw it. */
export function captureLine(stats: EngineStats): string {
  const c = stats.capture;
  if (!c) return '';
  const extra: string[] = [];
  for (const k of ['kernelDrops', 'freezes', 'imissed', 'ierrors', 'rxNombuf', 'ifaceDrops'] as const) {
    const v = c[k];
    if (typeof v === 'bigint') extra.push(`${k} ${thousands(v)}`);
  }
  const queues = c.queues ? Object.entries(c.queues).map(([q, s]) => `q${q} ${thousands(s.packets)}`) : [];
  const workers = Object.entries(stats.workers).map(([w, s]) => `w${w} ${thousands(s.packets)}`);
  return (
    `  capture     received ${thousands(c.received)}, dropped ${thousands(c.drops)}` +
    `${extra.length > 0 ? ` (${extra.join(', ')})` : ''}, filter rejected ${thousands(c.filterRejected)}` +
    `${queues.length > 0 ? `; per queue ${queues.join(', ')}` : ''}\n` +
    `  workers     packets ${workers.join(', ')}\n` +
    `  export      ring drops ${thousands(stats.ring.drops)}\n`
  );
}
