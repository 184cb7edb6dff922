/**
 * Certificates for the southbound, made with the `openssl` binary (node:crypto cannot sign X.509): a
 * CA, the controller's certificate (server and client use: it is also the controller's NATS identity)
 * and one certificate per host whose CN and DNS name are the host id. Keys are ECDSA P-256, written
 * mode 0600. `alcor pki` is the command-line face of these functions; docs/southbound.md lists the
 * equivalent openssl commands.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files of one certificate. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/** What a leaf certificate says. */
export interface LeafRequest {
  /** Subject CN; for a host, its host id. */
  name: string;
  /** DNS SANs besides `name` (which is always one). @default [] */
  dns?: readonly string[];
  /** IP SANs; on a host certificate they are the only datapath addresses it may register. @default [] */
  ips?: readonly string[];
  /** Validity in days; negative makes an already expired certificate (tests). @default 825 */
  days?: number;
  /** Base name of the files. @default name */
  file?: string;
}

function openssl(args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new TypeError(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`);
  }
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** Makes a CA certificate and key in `dir` (`<file>.crt`, `<file>.key`). */
export function makeCa(dir: string, name = 'alcor-southbound-ca', days = 3650, file = 'ca'): CertificateFiles {
  mkdirSync(dir, { recursive: true });
  const files = { cert: join(dir, `${file}.crt`), key: join(dir, `${file}.key`) };
  openssl([
    'req', '-x509', ...KEY, '-keyout', files.key, '-out', files.cert, '-days', String(days), '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  chmodSync(files.key, 0o600);
  return files;
}

/** Makes a certificate signed by `ca` for `request.name`, usable as TLS server and client, in `dir`. */
export function makeCertificate(dir: string, ca: CertificateFiles, request: LeafRequest): CertificateFiles {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/.test(request.name)) throw new TypeError(`"${request.name}" is not a valid host or controller name`);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, request.file ?? request.name);
  const files = { cert: `${base}.crt`, key: `${base}.key` };
  const csr = `${base}.csr`;
  const ext = `${base}.ext`;
  const sans = [...new Set([request.name, ...(request.dns ?? [])])].map((d) => `DNS:${d}`).concat((request.ips ?? []).map((ip) => `IP:${ip}`));
  writeFileSync(ext, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
    `subjectAltName=${sans.join(',')}`,
  ].join('\n'));
  try {
    openssl(['req', '-new', ...KEY, '-keyout', files.key, '-out', csr, '-subj', `/CN=${request.name}`]);
    openssl([
      'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', files.cert,
      '-days', String(request.days ?? 825), '-extfile', ext,
    ]);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
  chmodSync(files.key, 0o600);
  return files;
}
