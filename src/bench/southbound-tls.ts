/**
 * Certificates of `alcor bench southbound --tls`: a CA, the controller's certificate and one per
 * simulated host (CN = host id), made with openssl as an operator would (src/southbound/pki.ts).
 */
import { join } from 'node:path';
import { makeCa, makeCertificate } from '../southbound/pki.js';
import type { TlsFilePaths } from '../proto/tls-files.js';

/** Where the benchmark's certificates are. */
export interface BenchPki {
  /** The controller's files. */
  controller: TlsFilePaths;
  /** CA and directory of the host certificates (`<dir>/<host>.crt`, `.key`), for the workers. */
  hosts: { ca: string; dir: string };
}

/** Makes the CA, the controller's certificate and certificates for hosts `<prefix>-0` … `<prefix>-<count - 1>`. */
export function makeBenchPki(dir: string, prefix: string, count: number): BenchPki {
  const ca = makeCa(dir);
  const controller = makeCertificate(dir, ca, { name: 'alcor-controller', dns: ['localhost'], ips: ['127.0.0.1'] });
  const hostDir = join(dir, 'hosts');
  for (let i = 0; i < count; i++) makeCertificate(hostDir, ca, { name: `${prefix}-${i}` });
  return { controller: { ca: ca.cert, ...controller }, hosts: { ca: ca.cert, dir: hostDir } };
}

/** The TLS files of one simulated host. */
export function hostTlsFiles(hosts: BenchPki['hosts'], host: string): TlsFilePaths {
  return { ca: hosts.ca, cert: join(hosts.dir, `${host}.crt`), key: join(hosts.dir, `${host}.key`) };
}
