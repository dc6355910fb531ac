// Subjects the agent publishes to, and NATS subject matching (for checking that a stream's
// subjects capture ours).
import { subjectToken } from '../config/schema.js';

export interface ExportSubjects {
  flows: string;
  alerts: string;
}

/** `<flows>.<node>` and `<alerts>.<node>`, the node made safe as one subject token. */
export function nodeSubjects(base: ExportSubjects, node: string): ExportSubjects {
  const n = subjectToken(node);
  return { flows: `${base.flows}.${n}`, alerts: `${base.alerts}.${n}` };
}

/** `<prefix>.<namespace>.<policy>.flows` / `.alerts`, as the operator renders them. */
export function policySubjects(prefix: string, namespace: string, policy: string): ExportSubjects {
  const base = `${prefix}.${subjectToken(namespace)}.${subjectToken(policy)}`;
  return { flows: `${base}.flows`, alerts: `${base}.alerts` };
}

/** Whether a subject filter (tokens, `*` for one token, `>` for the rest) matches a concrete subject. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const t = f[i];
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return f.length === s.length;
}
