// A minimal Kubernetes API client over node:https with client-certificate auth. Enough for the
// harness and its smoke check; the operator has its own client.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
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

export class KubeClient {
  /** @param {{server: string, caFile: string, certFile: string, keyFile: string}} opts */
  constructor({ server, caFile, certFile, keyFile }) {
    this.server = new URL(server);
    this.tls = { ca: readFileSync(caFile), cert: readFileSync(certFile), key: readFileSync(keyFile) };
  }

  /** Raw request; resolves { status, body(text) } for any status. */
  raw(method, path, { body, contentType = 'application/json', timeoutMs = 30_000 } = {}) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = httpsRequest({
        host: this.server.hostname,
        port: this.server.port,
        method,
        path,
        ...this.tls,
        headers: {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: timeoutMs,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new KubeApiError(`${method} ${path}: no answer in ${timeoutMs} ms`, { method, path })));
      req.on('error', (e) => reject(isKubeApiError(e) ? e : new KubeApiError(`${method} ${path}: ${e.message}`, { method, path, cause: e })));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
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
