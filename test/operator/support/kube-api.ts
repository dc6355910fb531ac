// The tests' Kubernetes API client, on @kubernetes/client-node: the kubeconfig (its current
// context) is client-node's KubeConfig, and each request goes through client-node's HTTP library
// with that kubeconfig's authentication (certificates, tokens, exec plugins). It answers with the
// status and the body (parsed when it is JSON) for any status: tests assert on both. Independent
// of the operator's own client (operator/controller/kube-client.ts), which is under test.
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext } from '@kubernetes/client-node';

export interface KubeApiResponse {
  status: number;
  body: any;
}

export interface KubeApi {
  request(method: string, urlPath: string, body?: unknown, options?: { contentType?: string; accept?: string }): Promise<KubeApiResponse>;
  /** The kubeconfig, for client-node's own APIs (KubernetesObjectApi, ...). */
  readonly kubeConfig: KubeConfig;
}

export function kubeApiFromKubeconfig(kubeconfigPath: string): KubeApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${kubeconfigPath}: no current context`);
  const server = cluster.server.replace(/\/+$/, '');
  const http = new IsomorphicFetchHttpLibrary();
  return {
    kubeConfig: kc,
    async request(method, urlPath, body, { contentType = 'application/json', accept = 'application/json' } = {}) {
      const ctx = new RequestContext(`${server}${urlPath}`, method.toUpperCase() as HttpMethod);
      ctx.setHeaderParam('Accept', accept);
      if (body !== undefined) {
        ctx.setHeaderParam('Content-Type', contentType);
        ctx.setBody(typeof body === 'string' ? body : JSON.stringify(body));
      }
      ctx.setSignal(AbortSignal.timeout(30_000));
      await kc.applySecurityAuthentication(ctx);
      const res = await http.send(ctx).toPromise();
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.httpStatusCode, body: parsed };
    },
  };
}
