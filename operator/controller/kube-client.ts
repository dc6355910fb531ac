// The operator's way to the API server, on @kubernetes/client-node: its KubeConfig authenticates
// and sets up TLS for every request (certificates, tokens, exec and auth-provider plugins), its
// HTTP library sends them, its Watch streams watches. What is ours is thin: JSON in and out,
// parsed with zod at this boundary (house rule 3), and the failures as the classes of errors.ts.
//
// Every request is counted, in one place: the client-node Configuration this client sends
// through has countingHttpLibrary() below as its `httpApi`, so every request made with it (ours,
// or a client-node API built on `client.configuration`) reports verb, resource, status code and
// duration to the observer; client-node's Watch opens its stream without that Configuration, so
// watch() reports its watch to the same observer. /metrics counts every API call the operator
// makes, and a test can prove a steady cluster sees zero writes.
//
// Why not client-node's typed APIs (CoreV1Api, AppsV1Api, ...) or KubernetesObjectApi for the
// objects themselves: their ObjectSerializer turns objects into model classes, with timestamps
// as Date (a Lease's MicroTime loses its microseconds) and fields unknown to the 1.4 models
// dropped, and KubernetesObjectApi discovers REST paths with extra requests and cannot address
// the status subresource. Server-side apply is a PATCH with the apply content type, fieldManager
// and force, sent through client-node here.
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  ServerConfiguration,
  Watch,
  createConfiguration,
  wrapHttpLibrary,
  type Configuration,
  type HttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';
import { z } from 'zod';
import {
  ApiTransportError,
  KubeconfigError,
  StatusSchema,
  UnexpectedResponseError,
  isKubeconfigError,
  kubeError,
  statusError,
} from './errors.js';
import { contextNamespace, serverOf } from './kubeconfig.js';

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

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const MERGE_PATCH = 'application/merge-patch+json';

export const ListMetaSchema = z.looseObject({ resourceVersion: z.string(), continue: z.string().optional() });

export const WatchEventSchema = z.object({
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']),
  object: z.looseObject({}),
});
export type WatchEvent = z.output<typeof WatchEventSchema>;

/** The parts of an API path after /api/v1 or /apis/group/version, without namespaces/<ns>. */
function resourceParts(urlPath: string): string[] {
  const parts = urlPath.split('?')[0]!.split('/').filter(Boolean);
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  return rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
}

/** `/apis/apps/v1/namespaces/x/daemonsets/y` → `daemonsets`; `.../snifferpolicies/p/status` → `snifferpolicies/status`. */
export function resourceOf(urlPath: string): string {
  const [resource = 'unknown', , sub] = resourceParts(urlPath);
  return sub ? `${resource}/${sub}` : resource;
}

/** The audit verb of a request: GET of a collection is list (watch with ?watch), PATCH as apply-patch is apply. */
export function verbOf(method: string, url: URL, contentType: string | undefined): Verb {
  switch (method.toUpperCase()) {
    case 'GET': {
      const w = url.searchParams.get('watch');
      if (w === 'true' || w === '1') return 'watch';
      return resourceParts(url.pathname).length >= 2 ? 'get' : 'list';
    }
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return contentType?.split(';')[0]?.trim() === APPLY_PATCH ? 'apply' : 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'get';
  }
}

function header(ctx: RequestContext, name: string): string | undefined {
  const want = name.toLowerCase();
  return Object.entries(ctx.getHeaders()).find(([k]) => k.toLowerCase() === want)?.[1];
}

/**
 * client-node's HTTP library (node-fetch), counting each request it sends: verb, resource, status
 * code ('error' when no answer came) and duration go to `observer`. A request without an abort
 * signal of its own gets one that ends it after `timeoutMs`.
 */
export function countingHttpLibrary(observer: RequestObserver, timeoutMs: number, inner: HttpLibrary = new IsomorphicFetchHttpLibrary()): HttpLibrary {
  return wrapHttpLibrary({
    async send(ctx) {
      if (!ctx.getSignal()) ctx.setSignal(AbortSignal.timeout(timeoutMs));
      const url = new URL(ctx.getUrl());
      const verb = verbOf(ctx.getHttpMethod(), url, header(ctx, 'content-type'));
      const t0 = performance.now();
      let code = 'error';
      try {
        const res = await inner.send(ctx).toPromise();
        code = String(res.httpStatusCode);
        return res;
      } finally {
        observer({ verb, resource: resourceOf(url.pathname), code, seconds: (performance.now() - t0) / 1000 });
      }
    },
  });
}

export interface ClientOptions {
  observer?: RequestObserver;
  userAgent?: string;
  /** Limit of a non-watch request (default 30 s). */
  timeoutMs?: number;
}

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  /** The client-node Configuration every request goes through (counted): client-node APIs built on it are counted too. */
  readonly configuration: Configuration;
  readonly #observer: RequestObserver;
  readonly #userAgent: string;
  readonly #watch: Watch;

  constructor(kubeConfig: KubeConfig, options: ClientOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.#observer = options.observer ?? (() => {});
    this.#userAgent = options.userAgent ?? 'tapline-operator';
    this.configuration = createConfiguration({
      baseServer: new ServerConfiguration(this.server.href.replace(/\/+$/, ''), {}),
      authMethods: { default: kubeConfig },
      httpApi: countingHttpLibrary(this.#observer, options.timeoutMs ?? 30_000),
    });
    this.#watch = new Watch(kubeConfig);
  }

  /** The API server of the current context. */
  get server(): URL {
    return serverOf(this.kubeConfig);
  }

  /** The namespace of the context (or of the ServiceAccount in a cluster). */
  get namespace(): string | undefined {
    return contextNamespace(this.kubeConfig);
  }

  /** Sends a request; resolves with the status and body text for any status. */
  async raw(method: string, urlPath: string, o: { body?: unknown; contentType?: string; accept?: string } = {}): Promise<{ status: number; text: string }> {
    const ctx = this.configuration.baseServer.makeRequestContext(urlPath, method.toUpperCase() as HttpMethod);
    ctx.setHeaderParam('Accept', o.accept ?? 'application/json');
    ctx.setHeaderParam('User-Agent', this.#userAgent);
    if (o.body !== undefined) {
      ctx.setHeaderParam('Content-Type', o.contentType ?? 'application/json');
      ctx.setBody(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
    }
    try {
      await this.kubeConfig.applySecurityAuthentication(ctx);
    } catch (e) {
      if (isKubeconfigError(e)) throw e;
      throw new KubeconfigError(`${method} ${urlPath}: cannot get credentials: ${(e as Error).message}`, { cause: e });
    }
    try {
      const res = await this.configuration.httpApi.send(ctx).toPromise();
      return { status: res.httpStatusCode, text: await res.body.text() };
    } catch (e) {
      throw new ApiTransportError(`${method} ${urlPath}: ${(e as Error).message}`, method, urlPath, { cause: e });
    }
  }

  /** Sends a request and parses a 2xx body with `schema`; throws the status's ApiStatusError otherwise. */
  async request<S extends z.ZodType>(method: string, urlPath: string, schema: S, body?: unknown, contentType?: string): Promise<z.output<S>> {
    const res = await this.raw(method, urlPath, { body, ...(contentType ? { contentType } : {}) });
    if (res.status < 200 || res.status >= 300) throw statusError(res.status, res.text, method, urlPath);
    let parsed: unknown;
    try {
      parsed = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      parsed = undefined;
    }
    const r = schema.safeParse(parsed);
    if (!r.success) {
      throw new UnexpectedResponseError(`${method} ${urlPath}: unexpected response: ${r.error.message}`, { cause: r.error });
    }
    return r.data;
  }

  get<S extends z.ZodType>(urlPath: string, schema: S): Promise<z.output<S>> {
    return this.request('GET', urlPath, schema);
  }

  create<S extends z.ZodType>(urlPath: string, obj: unknown, schema: S): Promise<z.output<S>> {
    return this.request('POST', urlPath, schema, obj);
  }

  update<S extends z.ZodType>(urlPath: string, obj: unknown, schema: S): Promise<z.output<S>> {
    return this.request('PUT', urlPath, schema, obj);
  }

  /** A JSON merge patch (RFC 7386). */
  mergePatch<S extends z.ZodType>(urlPath: string, patch: unknown, schema: S): Promise<z.output<S>> {
    return this.request('PATCH', urlPath, schema, patch, MERGE_PATCH);
  }

  delete<S extends z.ZodType>(urlPath: string, schema: S): Promise<z.output<S>> {
    return this.request('DELETE', urlPath, schema);
  }

  /** Server-side apply: the object (JSON is YAML) as `fieldManager`, taking over conflicting fields when `force`. */
  apply<S extends z.ZodType>(urlPath: string, obj: unknown, schema: S, o: { fieldManager: string; force: boolean }): Promise<z.output<S>> {
    const q = new URLSearchParams({ fieldManager: o.fieldManager, force: String(o.force), fieldValidation: 'Strict' });
    return this.request('PATCH', `${urlPath}?${q}`, schema, obj, APPLY_PATCH);
  }

  /** One page of a list; the caller follows `continue`. */
  list<S extends z.ZodType>(
    collectionPath: string,
    params: { labelSelector?: string; limit?: number; continue?: string; resourceVersion?: string },
    itemSchema: S,
  ): Promise<{ metadata: z.output<typeof ListMetaSchema>; items: z.output<S>[] }> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
    const schema = z.looseObject({ metadata: ListMetaSchema, items: z.array(itemSchema).nullable().transform((i) => i ?? []) });
    return this.request('GET', q.size ? `${collectionPath}?${q}` : collectionPath, schema);
  }

  /**
   * Watches a collection from `resourceVersion` with client-node's Watch (bookmarks on), calling
   * onEvent for each event, until the server ends the watch (timeoutSeconds), the signal aborts, or
   * an error. A 410 (as HTTP status or as an ERROR event) throws ResourceExpiredError.
   */
  async watch(
    collectionPath: string,
    params: { labelSelector?: string; resourceVersion: string; timeoutSeconds: number },
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const t0 = performance.now();
    let code = 'error';
    let failure: Error | undefined;
    let ended: { err: unknown } | undefined;
    let onEnd: () => void = () => {};
    const end = new Promise<void>((resolve) => (onEnd = resolve));
    let controller: AbortController | undefined;
    const fail = (e: Error) => {
      failure ??= e;
      controller?.abort();
    };
    try {
      try {
        controller = await this.#watch.watch(
          collectionPath,
          { ...params, allowWatchBookmarks: true },
          (type: string, object: unknown) => {
            if (failure || ended) return;
            // client-node swallows what a callback throws: failures are kept and end the watch.
            try {
              const r = WatchEventSchema.safeParse({ type, object });
              if (!r.success) return fail(new UnexpectedResponseError(`WATCH ${collectionPath}: unexpected event: ${r.error.message}`, { cause: r.error }));
              if (r.data.type === 'ERROR') {
                const st = StatusSchema.safeParse(r.data.object);
                return fail(statusError(st.success ? (st.data.code ?? 500) : 500, r.data.object, 'WATCH', collectionPath));
              }
              onEvent(r.data);
            } catch (e) {
              fail(kubeError(e, 'WATCH', collectionPath));
            }
          },
          (err: unknown) => {
            ended ??= { err };
            onEnd();
          },
        );
      } catch (e) {
        // Before any request: the credentials could not be had (an exec plugin failed, ...).
        if (isKubeconfigError(e)) throw e;
        throw new KubeconfigError(`WATCH ${collectionPath}: cannot get credentials: ${(e as Error).message}`, { cause: e });
      }
      // Watch resolves once the response has come (or failed, calling done first).
      const status = (ended?.err as { statusCode?: unknown } | undefined)?.statusCode;
      code = ended?.err ? (typeof status === 'number' ? String(status) : 'error') : '200';
      const stop = () => controller?.abort();
      signal.addEventListener('abort', stop, { once: true });
      if (signal.aborted) stop();
      // The server ends the watch after timeoutSeconds; a little more guards against a dead peer.
      const stall = setTimeout(
        () => fail(new ApiTransportError(`WATCH ${collectionPath}: watch stalled`, 'watch', collectionPath)),
        (params.timeoutSeconds + 30) * 1000,
      );
      try {
        await end;
      } finally {
        clearTimeout(stall);
        signal.removeEventListener('abort', stop);
      }
      if (signal.aborted) return;
      if (failure) throw failure;
      if (ended?.err) throw kubeError(ended.err, 'WATCH', collectionPath);
    } finally {
      this.#observer({ verb: 'watch', resource: resourceOf(collectionPath), code, seconds: (performance.now() - t0) / 1000 });
    }
  }
}
