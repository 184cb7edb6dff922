/**
 * The southbound's TLS material: a CA bundle, a certificate and its key, read from PEM files and read
 * again when they change (polled) or when `reload()` is called (the CLIs call it on SIGHUP). Both ends
 * of the Watch stream use it: the controller as its server identity and the CA it trusts for agents,
 * an agent as its client identity and the CA it trusts for the controller. It is a grpc-js certificate
 * provider, so new connections use the newest files while open streams keep theirs.
 *
 * A set of files that does not make a valid context (a key that does not match its certificate, a
 * half-written file during a copy) is reported and the previous one stays in use.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { experimental } from '@grpc/grpc-js';

/** Paths of the PEM files. */
export interface TlsFilePaths {
  /** CA certificate(s) trusted for the other end. */
  ca: string;
  /** This end's certificate (chain). */
  cert: string;
  /** This end's private key. */
  key: string;
}

/** The files' contents. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** Reads the PEM files and checks they make a TLS context; throws a TypeError naming the problem. */
export function readTlsFiles(paths: TlsFilePaths): TlsMaterial {
  const read = (what: keyof TlsFilePaths): Buffer => {
    try {
      return readFileSync(paths[what]);
    } catch (err) {
      throw new TypeError(`TLS ${what} file ${paths[what]}: ${(err as Error).message}`);
    }
  };
  const material = { ca: read('ca'), cert: read('cert'), key: read('key') };
  try {
    createSecureContext(material);
  } catch (err) {
    throw new TypeError(`TLS files ${paths.cert} / ${paths.key} / ${paths.ca}: ${(err as Error).message}`);
  }
  return material;
}

/** A certificate provider over PEM files that follows their changes. */
export class TlsFiles implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  /** Polling listeners by path (unwatching one leaves other watchers of the same file alone). */
  private readonly watchers = new Map<string, (now: Stats, before: Stats) => void>();
  /** Counts successful reloads and rejected ones (tests, logs). */
  readonly counters = { reloads: 0, rejected: 0 };

  /** Reads the files at once: a missing or invalid file fails start-up, not the first connection. */
  constructor(
    readonly paths: TlsFilePaths,
    private readonly onError: (err: Error) => void = () => {},
    private material: TlsMaterial = readTlsFiles(paths),
  ) {}

  /** The current contents. */
  get current(): TlsMaterial {
    return this.material;
  }

  /** Polls the files every `intervalMs` and reloads when one changes. */
  watch(intervalMs = 2000): this {
    if (this.watchers.size > 0) return this;
    for (const path of new Set(Object.values(this.paths))) {
      const listener = (now: Stats, before: Stats) => {
        if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) this.reload();
      };
      this.watchers.set(path, listener);
      watchFile(path, { interval: intervalMs, persistent: false }, listener);
    }
    return this;
  }

  /** Reads the files again; new connections use them. False (and the old files stay) when they are invalid. */
  reload(): boolean {
    let material: TlsMaterial;
    try {
      material = readTlsFiles(this.paths);
    } catch (err) {
      this.counters.rejected++;
      this.onError(err as Error);
      return false;
    }
    this.material = material;
    this.counters.reloads++;
    for (const listener of this.caListeners) listener({ caCertificate: material.ca });
    for (const listener of this.identityListeners) listener({ certificate: material.cert, privateKey: material.key });
    return true;
  }

  /** Stops polling the files. */
  close(): void {
    for (const [path, listener] of this.watchers) unwatchFile(path, listener);
    this.watchers.clear();
  }

  // grpc-js registers its own watcher only after adding these listeners, so the first update is
  // delivered on the next tick (as its file-watcher provider does), not from inside the call.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: this.material.ca });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.identityListeners.has(listener)) listener({ certificate: this.material.cert, privateKey: this.material.key });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

/**
 * nats.js connection options for mutual TLS with these files (read again at every reconnect, so a
 * rotated certificate is used from the next connection on); none without files.
 */
export function natsTlsOptions(paths: TlsFilePaths | undefined): { tls?: { caFile: string; certFile: string; keyFile: string } } {
  return paths ? { tls: { caFile: paths.ca, certFile: paths.cert, keyFile: paths.key } } : {};
}
