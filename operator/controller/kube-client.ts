// The operator's only way to the API server. Every request goes through request() below, which
// reports it (verb, resource, status code, duration) to an observer, so /metrics counts every API
// call the operator makes and a test can prove a steady cluster sees zero writes.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { z } from 'zod';
import {
  ApiTransportError,
  UnexpectedResponseError,
  apiStatusError,
  ResourceExpiredError,
} from './errors.js';
import type { Connection } from './kubeconfig.js';

/** Kubernetes audit verbs; `apply` is a server-side apply PATCH. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete';
export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'apply', 'delete']);

export interface RequestRecord {
  verb: Verb;
  /** The resource path segment(s): configmaps, daemonsets, snifferpolicies/status, leases. */
  resource: string;
  /** HTTP status, or 'error' when no answer came. */
  code: string;
  seconds: number;
}

export type RequestObserver = (r: RequestRecord) => void;

const StatusSchema = z.looseObject({ kind: z.literal('Status'), message: z.string().optional(), reason: z.string().optional(), code: z.int().optional() });

export const ListMetaSchema = z.looseObject({ resourceVersion: z.string(), continue: z.string().optional() });

export const WatchEventSchema = z.object({
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']),
  object: z.looseObject({}),
});
export type WatchEvent = z.output<typeof WatchEventSchema>;

/** `/apis/apps/v1/namespaces/x/daemonsets/y` → `daemonsets`; `.../snifferpolicies/p/status` → `snifferpolicies/status`. */
export function resourceOf(urlPath: string): string {
  const parts = urlPath.split('?')[0]!.split('/').filter(Boolean);
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const afterNs = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  const [resource = 'unknown', , sub] = afterNs;
  return sub ? `${resource}/${sub}` : resource;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface ClientOptions {
  observer?: RequestObserver;
  userAgent?: string;
  /** Limit of a non-watch request (default 30 s). */
  timeoutMs?: number;
}

interface RawResponse {
  status: number;
  body: string;
}

export class KubeClient {
  readonly #conn: Connection;
  readonly #agent: HttpAgent;
  readonly #observer: RequestObserver;
  readonly #userAgent: string;
  readonly #timeoutMs: number;

  constructor(conn: Connection, options: ClientOptions = {}) {
    this.#conn = conn;
    const tls = conn.server.protocol === 'https:';
    this.#agent = tls
      ? new HttpsAgent({
          keepAlive: true,
          ...(conn.ca ? { ca: conn.ca } : {}),
          ...(conn.cert ? { cert: conn.cert } : {}),
          ...(conn.key ? { key: conn.key } : {}),
          rejectUnauthorized: !conn.insecureSkipTlsVerify,
        })
      : new HttpAgent({ keepAlive: true });
    this.#observer = options.observer ?? (() => {});
    this.#userAgent = options.userAgent ?? 'tapline-operator';
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  get namespace(): string | undefined {
    return this.#conn.namespace;
  }

  #open(method: string, urlPath: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal) {
    const token = this.#conn.token?.();
    const opts = {
      method,
      host: this.#conn.server.hostname,
      port: this.#conn.server.port || (this.#conn.server.protocol === 'https:' ? 443 : 80),
      path: urlPath,
      agent: this.#agent,
      headers: {
        accept: 'application/json',
        'user-agent': this.#userAgent,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      timeout: timeoutMs,
      ...(signal ? { signal } : {}),
    };
    return this.#conn.server.protocol === 'https:' ? httpsRequest(opts) : httpRequest(opts);
  }

  async #raw(verb: Verb, method: string, urlPath: string, body?: unknown, contentType = 'application/json'): Promise<RawResponse> {
    const t0 = performance.now();
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    let code = 'error';
    try {
      const res = await new Promise<RawResponse>((resolve, reject) => {
        const req = this.#open(
          method,
          urlPath,
          payload === undefined ? {} : { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) },
          this.#timeoutMs,
        );
        req.on('timeout', () => req.destroy(new Error(`no answer in ${this.#timeoutMs} ms`)));
        req.on('error', reject);
        req.on('response', (r: IncomingMessage) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('error', reject);
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.end(payload);
      }).catch((e: unknown) => {
        throw new ApiTransportError(`${method} ${urlPath}: ${(e as Error).message}`, verb, urlPath, { cause: e });
      });
      code = String(res.status);
      return res;
    } finally {
      this.#observer({ verb, resource: resourceOf(urlPath), code, seconds: (performance.now() - t0) / 1000 });
    }
  }

  /** Sends a request and parses a 2xx body with `schema`; throws the status's ApiStatusError otherwise. */
  async request<S extends z.ZodType>(
    verb: Verb,
    method: string,
    urlPath: string,
    schema: S,
    body?: unknown,
    contentType?: string,
  ): Promise<z.output<S>> {
    const res = await this.#raw(verb, method, urlPath, body, contentType);
    let parsed: unknown;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      const st = StatusSchema.safeParse(parsed);
      throw apiStatusError(
        res.status,
        st.success ? (st.data.message ?? res.body.slice(0, 300)) : res.body.slice(0, 300),
        st.success ? st.data.reason : undefined,
        method,
        urlPath,
      );
    }
    const r = schema.safeParse(parsed);
    if (!r.success) {
      throw new UnexpectedResponseError(`${method} ${urlPath}: unexpected response: ${r.error.message}`, { cause: r.error });
    }
    return r.data;
  }

  get<S extends z.ZodType>(urlPath: string, schema: S): Promise<z.output<S>> {
    return this.request('get', 'GET', urlPath, schema);
  }

  create<S extends z.ZodType>(urlPath: string, obj: unknown, schema: S): Promise<z.output<S>> {
    return this.request('create', 'POST', urlPath, schema, obj);
  }

  update<S extends z.ZodType>(urlPath: string, obj: unknown, schema: S): Promise<z.output<S>> {
    return this.request('update', 'PUT', urlPath, schema, obj);
  }

  /** Server-side apply: the object (JSON is YAML) as `fieldManager`, taking over conflicting fields when `force`. */
  apply<S extends z.ZodType>(urlPath: string, obj: unknown, schema: S, o: { fieldManager: string; force: boolean }): Promise<z.output<S>> {
    return this.request(
      'apply',
      'PATCH',
      `${urlPath}${query({ fieldManager: o.fieldManager, force: o.force, fieldValidation: 'Strict' })}`,
      schema,
      obj,
      'application/apply-patch+yaml',
    );
  }

  /** One page of a list; the caller follows `continue`. */
  list<S extends z.ZodType>(
    collectionPath: string,
    params: { labelSelector?: string; limit?: number; continue?: string; resourceVersion?: string },
    itemSchema: S,
  ): Promise<{ metadata: z.output<typeof ListMetaSchema>; items: z.output<S>[] }> {
    const schema = z.looseObject({ metadata: ListMetaSchema, items: z.array(itemSchema).nullable().transform((i) => i ?? []) });
    return this.request('list', 'GET', `${collectionPath}${query(params)}`, schema);
  }

  /**
   * Watches a collection from `resourceVersion`, calling onEvent for each event, until the server
   * ends the watch (timeoutSeconds), the signal aborts, or an error. A 410 (as HTTP status or as an
   * ERROR event) throws ResourceExpiredError.
   */
  async watch(
    collectionPath: string,
    params: { labelSelector?: string; resourceVersion: string; timeoutSeconds: number },
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const urlPath = `${collectionPath}${query({ ...params, watch: 1, allowWatchBookmarks: true })}`;
    const t0 = performance.now();
    let code = 'error';
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        // The server ends the watch after timeoutSeconds; a little more guards against a dead peer.
        const req = this.#open('GET', urlPath, {}, (params.timeoutSeconds + 30) * 1000, signal);
        req.on('timeout', () => req.destroy(new Error('watch stalled')));
        req.on('error', reject);
        req.on('response', resolve);
        req.end();
      }).catch((e: unknown) => {
        throw new ApiTransportError(`WATCH ${urlPath}: ${(e as Error).message}`, 'watch', urlPath, { cause: e });
      });
      code = String(res.statusCode ?? 0);
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        let st: z.output<typeof StatusSchema> | undefined;
        try {
          st = StatusSchema.parse(JSON.parse(text));
        } catch {
          st = undefined;
        }
        throw apiStatusError(res.statusCode ?? 0, st?.message ?? text.slice(0, 300), st?.reason, 'WATCH', urlPath);
      }
      let buf = '';
      try {
        for await (const chunk of res) {
          buf += (chunk as Buffer).toString('utf8');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) this.#dispatch(line, urlPath, onEvent);
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof ResourceExpiredError || e instanceof UnexpectedResponseError) throw e;
        throw new ApiTransportError(`WATCH ${urlPath}: ${(e as Error).message}`, 'watch', urlPath, { cause: e });
      }
    } finally {
      this.#observer({ verb: 'watch', resource: resourceOf(urlPath), code, seconds: (performance.now() - t0) / 1000 });
    }
  }

  #dispatch(line: string, urlPath: string, onEvent: (e: WatchEvent) => void): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new UnexpectedResponseError(`WATCH ${urlPath}: not JSON: ${line.slice(0, 200)}`, { cause: e });
    }
    const r = WatchEventSchema.safeParse(json);
    if (!r.success) throw new UnexpectedResponseError(`WATCH ${urlPath}: unexpected event: ${r.error.message}`, { cause: r.error });
    if (r.data.type === 'ERROR') {
      const st = StatusSchema.safeParse(r.data.object);
      const status = st.success ? (st.data.code ?? 500) : 500;
      throw apiStatusError(status, st.success ? (st.data.message ?? '') : JSON.stringify(r.data.object), st.success ? st.data.reason : undefined, 'WATCH', urlPath);
    }
    onEvent(r.data);
  }

  close(): void {
    this.#agent.destroy();
  }
}
