// A throw-away PKI for the local test cluster, made with the `openssl` CLI (node:crypto cannot
// issue X.509 certificates). EC P-256 keys: generated in milliseconds, accepted everywhere.
//
//   ca.crt/ca.key                 cluster CA (signs every cert below; also the client CA)
//   apiserver.crt/key             kube-apiserver serving cert (127.0.0.1, localhost, kubernetes.default.svc...)
//   <user>.crt/key                client certs: admin (system:masters), kube-controller-manager,
//                                 kube-scheduler, kwok
//   front-proxy-ca.crt/key        request-header CA; front-proxy-client.crt/key (aggregation proxy client)
//   sa.key/sa.pub                 service-account token signing key pair
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class PkiError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'PkiError';
  }
}
export const isPkiError = (e) => e instanceof Error && e.name === 'PkiError';

function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', env: { ...process.env, OPENSSL_CONF: '/dev/null' } });
  if (r.error?.code === 'ENOENT') throw new PkiError("the 'openssl' command is missing (apt-get install openssl)", { cause: r.error });
  if (r.status !== 0) throw new PkiError(`openssl ${args.slice(0, 2).join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  return r.stdout;
}

const KEYGEN = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function randomSerial() {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive
  return `0x${b.toString('hex')}`;
}

function subj({ cn, o = [] }) {
  return `${o.map((x) => `/O=${x}`).join('')}/CN=${cn}`;
}

/** Issues <name>.crt/<name>.key signed by <ca>.crt/<ca>.key in `dir`. */
export function issue(dir, name, { cn, o, server = false, client = false, dns = [], ips = [], days = 365, ca = 'ca' }) {
  const ext = [
    '[ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    `extendedKeyUsage = ${[server && 'serverAuth', client && 'clientAuth'].filter(Boolean).join(', ')}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
  ];
  const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)];
  if (san.length) ext.push(`subjectAltName = ${san.join(', ')}`);
  writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
  openssl(['req', '-new', ...KEYGEN, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj({ cn, o })], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', randomSerial(),
    '-days', String(days), '-sha256', '-extfile', `${name}.ext`, '-extensions', 'ext', '-out', `${name}.crt`], dir);
  rmSync(join(dir, `${name}.csr`));
  rmSync(join(dir, `${name}.ext`));
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

function makeCa(dir, name, cn) {
  writeFileSync(join(dir, `${name}.ext`), [
    '[req]', 'distinguished_name = dn', '[dn]', '[ext]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
    'subjectKeyIdentifier = hash',
  ].join('\n') + '\n');
  openssl(['req', '-x509', ...KEYGEN, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '3650', '-sha256',
    '-subj', `/CN=${cn}`, '-config', `${name}.ext`, '-extensions', 'ext', '-set_serial', randomSerial()], dir);
  rmSync(join(dir, `${name}.ext`));
}

/** Client identities of the harness: file name -> subject. */
export const CLIENTS = Object.freeze({
  admin: { cn: 'tapline-admin', o: ['system:masters'] },
  'kube-controller-manager': { cn: 'system:kube-controller-manager' },
  'kube-scheduler': { cn: 'system:kube-scheduler' },
  // kwok plays every kubelet (node status, leases, pod status, pod deletion): the Node authorizer
  // would confine one node identity to one node, so it runs with cluster-admin rights.
  kwok: { cn: 'kwok', o: ['system:masters'] },
});

/**
 * Generates the whole PKI into `dir` (emptied first). `serviceIP` is the first address of the
 * service CIDR (the `kubernetes` Service's ClusterIP), so in-cluster clients would verify too.
 */
export function generatePki(dir, { serviceIP = '10.96.0.1', extraIPs = [] } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  makeCa(dir, 'ca', 'tapline-test-ca');
  makeCa(dir, 'front-proxy-ca', 'tapline-test-front-proxy-ca');

  const out = { dir, caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), clients: {} };
  out.apiserver = issue(dir, 'apiserver', {
    cn: 'kube-apiserver',
    server: true,
    dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: ['127.0.0.1', serviceIP, ...extraIPs],
  });
  // The API server's identity towards kubelets (logs, exec, port-forward): the kubelets' webhook
  // authorizer asks the API server about it, and system:masters may do all of that.
  out.kubeletClient = issue(dir, 'apiserver-kubelet-client', { cn: 'kube-apiserver-kubelet-client', o: ['system:masters'], client: true });
  for (const [name, s] of Object.entries(CLIENTS)) out.clients[name] = issue(dir, name, { ...s, client: true });
  // Request-header (front proxy) authentication, as kubeadm sets it up: lets kube-controller-manager
  // and kube-scheduler delegate authn, and aggregated API servers work.
  out.frontProxyCaCert = join(dir, 'front-proxy-ca.crt');
  out.frontProxyClient = issue(dir, 'front-proxy-client', { cn: 'front-proxy-client', client: true, ca: 'front-proxy-ca' });

  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  out.saKey = join(dir, 'sa.key');
  out.saPub = join(dir, 'sa.pub');
  return out;
}
