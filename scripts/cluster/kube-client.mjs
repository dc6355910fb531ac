// The cluster harness's Kubernetes API client (start-up checks, kwok nodes, the smoke check, the
// admin requests of the demo and the tests), on @kubernetes/client-node: a KubeConfig for the
// harness's admin client certificate, and each request sent through client-node's HTTP library
// with it. It is a module of its own, not the operator's client (operator/controller/kube-client.ts),
// because the harness is plain JavaScript that runs before TypeScript is compiled (scripts/test.mjs
// and scripts/demo.mjs start clusters after `npm ci`, which installs client-node, and do not need
// tsc); what is here is only the harness's interface (raw/request/get/create/delete/apply, errors
// with the status, waitFor) over client-node.
import { IsomorphicFetchHttpLibrary, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { sleep } from './util.mjs';

export class KubeApiError extends Error {
  constructor(message, { status, body, method, path, cause } = {}) {
    super(message, { cause });
    this.name = 'KubeApiError';
    this.status = status;
    this.body = body;
    this.method = method;
    this.path = path;
  }
}
export const isKubeApiError = (e) => e instanceof Error && e.name === 'KubeApiError';
export const isNotFound = (e) => isKubeApiError(e) && e.status === 404;
export const isConflict = (e) => isKubeApiError(e) && e.status === 409;

export class WaitTimeoutError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'WaitTimeoutError';
  }
}
export const isWaitTimeoutError = (e) => e instanceof Error && e.name === 'WaitTimeoutError';

/**
 * `await waitFor('nodes Ready', async () => value || undefined, { timeoutMs })` polls until the
 * function returns a truthy value and returns it; on timeout, throws naming `what` and the last
 * error or observation (`describe()`). `abortIf()` runs before each try and may throw to give up
 * at once (e.g. the process being waited for has died).
 */
export async function waitFor(what, fn, { timeoutMs = 60_000, intervalMs = 250, describe, abortIf } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    abortIf?.();
    try {
      const v = await fn();
      if (v) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      let detail = lastError ? `last error: ${lastError.message}` : '';
      if (describe) {
        try { detail = `${detail}${detail ? '; ' : ''}${await describe()}`; } catch { /* best effort */ }
      }
      throw new WaitTimeoutError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${detail ? ` (${detail})` : ''}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

const http = new IsomorphicFetchHttpLibrary();

export class KubeClient {
  /** @param {{server: string, caFile: string, certFile: string, keyFile: string}} opts */
  constructor({ server, caFile, certFile, keyFile }) {
    this.server = new URL(server);
    this.kubeConfig = new KubeConfig();
    this.kubeConfig.loadFromOptions({
      clusters: [{ name: 'tapline', server: this.server.origin, caFile, skipTLSVerify: false }],
      users: [{ name: 'tapline-admin', certFile, keyFile }],
      contexts: [{ name: 'tapline', cluster: 'tapline', user: 'tapline-admin' }],
      currentContext: 'tapline',
    });
  }

  /** Raw request; resolves { status, body(text) } for any status. */
  async raw(method, path, { body, contentType = 'application/json', timeoutMs = 30_000 } = {}) {
    const ctx = new RequestContext(`${this.server.origin}${path}`, method);
    ctx.setHeaderParam('Accept', 'application/json');
    if (body !== undefined) {
      ctx.setHeaderParam('Content-Type', contentType);
      ctx.setBody(typeof body === 'string' ? body : JSON.stringify(body));
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    ctx.setSignal(timeout);
    try {
      await this.kubeConfig.applySecurityAuthentication(ctx);
      const res = await http.send(ctx).toPromise();
      return { status: res.httpStatusCode, body: await res.body.text() };
    } catch (e) {
      const why = timeout.aborted ? `no answer in ${timeoutMs} ms` : e.message;
      throw new KubeApiError(`${method} ${path}: ${why}`, { method, path, cause: e });
    }
  }

  /** JSON request; throws KubeApiError on a non-2xx status. */
  async request(method, path, body, opts = {}) {
    const res = await this.raw(method, path, { body, ...opts });
    let parsed;
    try { parsed = res.body ? JSON.parse(res.body) : undefined; } catch { parsed = res.body; }
    if (res.status < 200 || res.status >= 300) {
      const msg = typeof parsed === 'object' && parsed?.message ? parsed.message : res.body.slice(0, 500);
      throw new KubeApiError(`${method} ${path}: ${res.status} ${msg}`, { status: res.status, body: parsed, method, path });
    }
    return parsed;
  }

  get(path) { return this.request('GET', path); }
  create(path, obj) { return this.request('POST', path, obj); }
  delete(path, body) { return this.request('DELETE', path, body); }
  /** Server-side apply (fieldManager required). */
  apply(path, obj, fieldManager = 'tapline-harness') {
    return this.request('PATCH', `${path}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`, obj, { contentType: 'application/apply-patch+yaml' });
  }

  /** GET that returns undefined on 404. */
  async getOrUndefined(path) {
    try {
      return await this.get(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}
