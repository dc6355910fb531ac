// The one metrics/health HTTP server of Tapline's processes, used by the agent (agent/run/agent.ts)
// and by the operator (operator/main.ts):
//   /metrics          Prometheus text of a prom-client registry (500 if collecting fails)
//   /healthz, /livez  200 "ok": the process serves
//   /readyz           200 "ok", or 503 "not ready: <why>" while readiness says why not
// Any other path is 404, any method but GET and HEAD is 405.
// It lives with the agent's metrics, where it was first written, and depends on nothing of the
// agent (node:http, a prom-client Registry, a pino Logger), so the operator imports this file
// rather than keeping a copy of its own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface Readiness {
  /** null when ready, else why not. */
  notReady(): string | null;
}

export class MetricsServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async listen(port: number, host: string, registry: Registry, readiness: Readiness, log: Logger): Promise<MetricsServer> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (err: unknown) => {
            log.error({ err }, 'metrics collection failed');
            res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
          },
        );
      } else if (path === '/healthz' || path === '/livez') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const why = readiness.notReady();
        res.writeHead(why ? 503 : 200, { 'content-type': 'text/plain' }).end(why ? `not ready: ${why}\n` : 'ok\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new MetricsServer(server, (server.address() as AddressInfo).port);
  }

  /** Stops listening and ends open connections (a scraper's keep-alive one included). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
