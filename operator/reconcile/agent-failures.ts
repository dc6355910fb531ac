// Agents that cannot start or keep exiting, read from the states of their pods (what the kubelet
// and the scheduler report), for Degraded=True AgentFailing and status.agentFailures.
//
// What is written must stay the same while the failure is the same (a steady cluster gets no
// status writes, even one with a crash-looping agent): no restart counts, no times, and one
// reason for each kind of failure whatever phase of its cycle the pod is seen in —
//   - a crash loop shows as waiting CrashLoopBackOff, then running (not ready) for a moment, then
//     terminated: all three are CrashLoopBackOff with the agent's last termination message and
//     exit code (running counts while it is not ready and started less than CRASH_LOOP_WINDOW_MS
//     ago, the time after which the kubelet forgets the back-off);
//   - an image that cannot be pulled alternates ErrImagePull / ImagePullBackOff: both are
//     ImagePullBackOff, with the image (the kubelet's messages alternate too);
//   - a pod Pending with PodScheduled=False Unschedulable counts after UNSCHEDULABLE_GRACE_MS (a
//     rolling update or a preemption can leave one so for a moment); the caller re-checks then.
import type { AgentFailure } from '../api/status.js';
import { AGENT_CONTAINER } from '../render/daemonset.js';
import type { ObservedContainerStatus, ObservedPod } from './observed.js';

export const AGENT_FAILING = 'AgentFailing';
export const UNSCHEDULABLE_GRACE_MS = 30_000;
export const CRASH_LOOP_WINDOW_MS = 10 * 60_000;
export const MAX_LISTED_FAILURES = 64;
const MAX_DETAIL = 256;
const MESSAGE_GROUPS = 8;
const MESSAGE_NODES_PER_GROUP = 5;

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff']);
/** Waiting reasons of a container that will not start by itself (ContainerCreating and PodInitializing will). */
const FAILING_WAITING = new Set([
  'CrashLoopBackOff',
  ...IMAGE_PULL,
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export interface AgentFailureView {
  /** Failing agents sorted by node, at most MAX_LISTED_FAILURES. */
  listed: AgentFailure[];
  /** How many agents fail in all. */
  total: number;
  /** The Degraded message: each failing node with its reason (nodes with the same failure grouped). */
  message: string;
  /** When a pod's state becomes a failure by time alone (Unschedulable) or stops being one (crash window). */
  recheckInMs?: number;
}

/** The node of an agent pod: where it is bound, or where the DaemonSet controller meant it to go. */
export function podNode(pod: ObservedPod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

function cut(s: string): string {
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s;
}

/**
 * One line from a termination message: the agent's own one-line message, or with
 * FallbackToLogsOnError the last line of its log (a pino JSON line gives its `msg`).
 */
export function oneLine(text: string | undefined): string | undefined {
  const lines = (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  let line = lines.at(-1);
  if (!line) return undefined;
  if (line.startsWith('{')) {
    try {
      const j = JSON.parse(line) as { msg?: unknown };
      if (typeof j.msg === 'string' && j.msg) line = j.msg;
    } catch {
      // not JSON: the line as it is
    }
  }
  return cut(line);
}

function crash(nodeName: string, pod: string, t: NonNullable<NonNullable<ObservedContainerStatus['state']>['terminated']>): AgentFailure {
  const message = oneLine(t.message) ?? (t.reason && t.reason !== 'Error' ? t.reason : undefined);
  return { nodeName, pod, reason: 'CrashLoopBackOff', ...(message ? { message } : {}), exitCode: t.exitCode };
}

function since(ts: string | null | undefined, now: Date): number {
  const t = ts ? Date.parse(ts) : NaN;
  return Number.isNaN(t) ? 0 : now.getTime() - t;
}

/** The failure of one agent pod, if it has one now (and when to look again). */
export function podFailure(pod: ObservedPod, now: Date, container = AGENT_CONTAINER): { failure?: AgentFailure; recheckInMs?: number } {
  const nodeName = podNode(pod) ?? '(no node)';
  const name = pod.metadata.name;
  const st = pod.status;
  const statuses = st?.containerStatuses ?? [];
  const cs = statuses.find((c) => c.name === container) ?? statuses[0];
  if (cs) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason && FAILING_WAITING.has(waiting.reason)) {
      if (waiting.reason === 'CrashLoopBackOff') {
        // The kubelet's own message names the back-off delay, which grows: not written.
        return { failure: cs.lastState?.terminated ? crash(nodeName, name, cs.lastState.terminated) : { nodeName, pod: name, reason: 'CrashLoopBackOff' } };
      }
      if (IMAGE_PULL.has(waiting.reason)) {
        return { failure: { nodeName, pod: name, reason: 'ImagePullBackOff', ...(cs.image ? { message: cut(`cannot pull image "${cs.image}"`) } : {}) } };
      }
      const message = oneLine(waiting.message);
      return { failure: { nodeName, pod: name, reason: waiting.reason, ...(message ? { message } : {}) } };
    }
    const term = cs.state?.terminated;
    if (term && term.exitCode !== 0) return { failure: crash(nodeName, name, term) };
    const last = cs.lastState?.terminated;
    if (cs.state?.running && !cs.ready && last && last.exitCode !== 0 && (cs.restartCount ?? 0) > 0) {
      const age = since(cs.state.running.startedAt, now);
      if (age < CRASH_LOOP_WINDOW_MS) return { failure: crash(nodeName, name, last), recheckInMs: CRASH_LOOP_WINDOW_MS - age };
    }
    return {};
  }
  const scheduled = st?.conditions?.find((c) => c.type === 'PodScheduled');
  if (!pod.spec?.nodeName && scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const age = since(scheduled.lastTransitionTime, now);
    if (age < UNSCHEDULABLE_GRACE_MS) return { recheckInMs: UNSCHEDULABLE_GRACE_MS - age };
    // The scheduler's message, without its preemption report (which repeats the counts).
    const message = oneLine(scheduled.message?.replace(/\s*preemption:.*$/s, ''));
    return { failure: { nodeName, pod: name, reason: 'Unschedulable', ...(message ? { message } : {}) } };
  }
  return {};
}

function describe(f: AgentFailure): string {
  return `${f.reason}${f.message ? `: ${f.message}` : ''}${f.exitCode !== undefined ? ` (exit ${f.exitCode})` : ''}`;
}

/** The Degraded message: `node-a: CrashLoopBackOff: <agent's message> (exit 1); node-b: ImagePullBackOff: ...`. */
export function failureMessage(failures: AgentFailure[], total = failures.length): string {
  const groups = new Map<string, string[]>();
  for (const f of failures) {
    const d = describe(f);
    const g = groups.get(d);
    if (g) g.push(f.nodeName);
    else groups.set(d, [f.nodeName]);
  }
  const parts = [...groups].slice(0, MESSAGE_GROUPS).map(([d, nodes]) => {
    const named = nodes.slice(0, MESSAGE_NODES_PER_GROUP).join(', ');
    const more = nodes.length > MESSAGE_NODES_PER_GROUP ? ` and ${nodes.length - MESSAGE_NODES_PER_GROUP} more` : '';
    return `${named}${more}: ${d}`;
  });
  const shown = [...groups.values()].slice(0, MESSAGE_GROUPS).reduce((n, g) => n + g.length, 0);
  if (total > shown) parts.push(`${total - shown} more failing agent(s) (see status.agentFailures)`);
  return parts.join('; ');
}

/** The failing agents among the pods of one DaemonSet (pods being deleted, or done, are left out). */
export function agentFailures(pods: ObservedPod[], now: Date, container = AGENT_CONTAINER): AgentFailureView {
  const all: AgentFailure[] = [];
  let recheckInMs: number | undefined;
  const seen = new Set<string>();
  const live = pods
    .filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  for (const pod of live) {
    const r = podFailure(pod, now, container);
    if (r.recheckInMs !== undefined) recheckInMs = Math.min(recheckInMs ?? Infinity, r.recheckInMs);
    if (!r.failure || seen.has(r.failure.nodeName)) continue;
    seen.add(r.failure.nodeName);
    all.push(r.failure);
  }
  all.sort((a, b) => (a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0));
  return {
    listed: all.slice(0, MAX_LISTED_FAILURES),
    total: all.length,
    message: failureMessage(all),
    ...(recheckInMs !== undefined ? { recheckInMs: Math.max(1000, Math.ceil(recheckInMs)) } : {}),
  };
}
