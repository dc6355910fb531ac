// A minimal Kubernetes API client for tests, from a kubeconfig file (current context; certificate
// or token auth; *-data or file references). Kubeconfigs are YAML; this reads the flat subset
// every kubeconfig writer (kubectl, kind, the local harness) produces: block maps, lists of maps,
// plain or quoted scalars.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';

type Node = string | Node[] | { [k: string]: Node };

function unquote(s: string): string {
  const t = s.trim();
  if (t.startsWith('"')) return JSON.parse(t) as string;
  if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  return t;
}

/** Parses block-style YAML of maps, lists and scalars (no anchors, flow style or multi-line strings). */
export function parseSimpleYaml(text: string): Node {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#') && l.trim() !== '---')
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;
  function block(indent: number): Node {
    const first = lines[i];
    if (!first) return {};
    if (first.text.startsWith('- ') || first.text === '-') {
      const list: Node[] = [];
      while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('-')) {
        const rest = lines[i]!.text.replace(/^-\s*/, '');
        if (rest === '') {
          i++;
          list.push(block(lines[i]?.indent ?? indent + 2));
        } else if (/^[^"'][^:]*:(\s|$)/.test(rest)) {
          // "- key: value" starts a map whose other keys sit two columns in.
          lines[i] = { indent: indent + 2, text: rest };
          list.push(block(indent + 2));
        } else {
          i++;
          list.push(unquote(rest));
        }
      }
      return list;
    }
    const map: { [k: string]: Node } = {};
    while (i < lines.length && lines[i]!.indent === indent && !lines[i]!.text.startsWith('- ')) {
      const m = /^([^:]+):(?:\s+(.*))?$/.exec(lines[i]!.text);
      if (!m) throw new Error(`cannot read YAML line: ${lines[i]!.text}`);
      i++;
      const key = unquote(m[1]!);
      if (m[2] !== undefined && m[2] !== '') map[key] = m[2] === '{}' ? {} : m[2] === '[]' ? [] : unquote(m[2]);
      else if (i < lines.length && lines[i]!.indent > indent) map[key] = block(lines[i]!.indent);
      else if (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('-')) map[key] = block(indent);
      else map[key] = '';
    }
    return map;
  }
  return block(lines[0]?.indent ?? 0);
}

export interface KubeApiResponse {
  status: number;
  body: any;
}

export interface KubeApi {
  request(method: string, urlPath: string, body?: unknown, options?: { contentType?: string; accept?: string }): Promise<KubeApiResponse>;
}

function named(list: Node | undefined, name: string, field: string): { [k: string]: Node } {
  const entry = (Array.isArray(list) ? list : []).find((e) => typeof e === 'object' && !Array.isArray(e) && e.name === name);
  const inner = entry && typeof entry === 'object' && !Array.isArray(entry) ? entry[field] : undefined;
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) throw new Error(`kubeconfig has no ${field} named ${name}`);
  return inner;
}

function material(dir: string, obj: { [k: string]: Node }, key: string): Buffer | undefined {
  const data = obj[`${key}-data`];
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
  const file = obj[key];
  if (typeof file === 'string' && file) return readFileSync(path.resolve(dir, file));
  return undefined;
}

export function kubeApiFromKubeconfig(kubeconfigPath: string): KubeApi {
  const cfg = parseSimpleYaml(readFileSync(kubeconfigPath, 'utf8')) as { [k: string]: Node };
  const dir = path.dirname(kubeconfigPath);
  const context = named(cfg.contexts, String(cfg['current-context']), 'context');
  const cluster = named(cfg.clusters, String(context.cluster), 'cluster');
  const user = named(cfg.users, String(context.user), 'user');
  const server = new URL(String(cluster.server));
  const ca = material(dir, cluster, 'certificate-authority');
  const cert = material(dir, user, 'client-certificate');
  const key = material(dir, user, 'client-key');
  const token = typeof user.token === 'string' ? user.token : undefined;
  return {
    request(method, urlPath, body, { contentType = 'application/json', accept = 'application/json' } = {}) {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = request(
          {
            host: server.hostname,
            port: server.port || 443,
            method,
            path: urlPath,
            ca,
            cert,
            key,
            headers: {
              accept,
              ...(payload === undefined ? {} : { 'content-type': contentType }),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            timeout: 30_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                // not JSON: keep the text
              }
              resolve({ status: res.statusCode ?? 0, body: parsed });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
        req.on('error', reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
  };
}
