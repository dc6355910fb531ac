// The operator's HTTP endpoints: /metrics (Prometheus text), /healthz (the process serves),
// /readyz (every informer has synced; 503 with the ones missing otherwise).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Probes {
  metrics(): string;
  /** Names of what is not ready yet (empty: ready). */
  notReady(): string[];
}

export async function startHttpServer(port: number, host: string, probes: Probes): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(probes.metrics());
    } else if (url === '/healthz' || url === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (url === '/readyz') {
      const missing = probes.notReady();
      if (missing.length) res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${missing.join(', ')}\n`);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
