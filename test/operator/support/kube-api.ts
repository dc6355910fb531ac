// A minimal Kubernetes API client for tests, from a kubeconfig file (its current context), read
// by the operator's own loader (operator/controller/kubeconfig.ts: certificates or tokens, inline
// or as files).
import { request } from 'node:https';

import { loadKubeconfig } from '../../../operator/controller/kubeconfig.js';

export interface KubeApiResponse {
  status: number;
  body: any;
}

export interface KubeApi {
  request(method: string, urlPath: string, body?: unknown, options?: { contentType?: string; accept?: string }): Promise<KubeApiResponse>;
}

export function kubeApiFromKubeconfig(kubeconfigPath: string): KubeApi {
  const { server, ca, cert, key, token, insecureSkipTlsVerify } = loadKubeconfig(kubeconfigPath);
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
            rejectUnauthorized: !insecureSkipTlsVerify,
            headers: {
              accept,
              ...(payload === undefined ? {} : { 'content-type': contentType }),
              ...(token ? { authorization: `Bearer ${token()}` } : {}),
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
