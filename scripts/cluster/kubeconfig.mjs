// Writes self-contained kubeconfig files (certificates embedded as *-data).
import { readFileSync, writeFileSync } from 'node:fs';

const b64 = (path) => readFileSync(path).toString('base64');

/**
 * @param {string} path      where to write (mode 0600)
 * @param {{server: string, caFile: string, certFile: string, keyFile: string, user: string, context?: string}} o
 */
export function writeKubeconfig(path, { server, caFile, certFile, keyFile, user, context = 'tapline-test' }) {
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: ${context}
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(caFile)}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(certFile)}
    client-key-data: ${b64(keyFile)}
contexts:
- name: ${context}
  context:
    cluster: ${context}
    user: ${user}
current-context: ${context}
preferences: {}
`;
  writeFileSync(path, yaml, { mode: 0o600 });
  return path;
}
