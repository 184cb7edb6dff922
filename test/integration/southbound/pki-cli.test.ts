/** `alcor pki`: the CA, certificates that openssl verifies with the names asked for, and the NATS users. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ALCOR = fileURLToPath(new URL('../../../src/cli/alcor.js', import.meta.url));
const alcor = (...args: string[]) => execFileSync(process.execPath, [ALCOR, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('pki - alcor pki makes a CA and certificates openssl verifies, refuses to replace a CA, and prints NATS users', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-pki-cli-'));
  try {
    assert.deepEqual(alcor('pki', 'ca', '--dir', dir).trim().split('\n'), [join(dir, 'ca.crt'), join(dir, 'ca.key')]);
    assert.throws(() => alcor('pki', 'ca', '--dir', dir), /refusing to replace a CA/);
    alcor('pki', 'cert', 'compute-1', '--dir', dir, '--ip', '192.0.2.11');
    alcor('pki', 'cert', 'alcor-controller', '--dir', dir, '--dns', 'alcor.example.com');
    for (const name of ['compute-1', 'alcor-controller']) {
      assert.match(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, `${name}.crt`)], { encoding: 'utf8' }), /: OK/);
      assert.equal(statSync(join(dir, `${name}.key`)).mode & 0o077, 0, `${name}.key is private`);
    }
    const text = execFileSync('openssl', ['x509', '-in', join(dir, 'compute-1.crt'), '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage'], { encoding: 'utf8' });
    assert.match(text, /CN ?= ?compute-1/);
    assert.match(text, /DNS:compute-1, IP Address:192\.0\.2\.11/);
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.throws(() => alcor('pki', 'cert', 'bad name', '--dir', dir), /not a valid host or controller name/);
    const users = alcor('pki', 'nats-config', '--hosts', 'compute-1,compute-2', '--prefix', 'p1');
    assert.match(users, /user: "alcor-controller"/);
    assert.match(users, /user: "compute-2", permissions: \{ publish: \{ allow: \["p1\.ack\.compute-2"/);
    assert.match(users, /subscribe: \{ allow: \["p1\.live\.vpc\.>", "_INBOX_compute-2\.>"\] \}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
