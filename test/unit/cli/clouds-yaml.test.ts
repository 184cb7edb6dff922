/** clouds.yaml for the `alcor` commands: where it is looked for, what a cloud gives, what overrides it. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cloudsYamlPaths, loadCloud } from '../../../src/cli/clouds-yaml.js';
import { authOf } from '../../../src/cli/os-auth.js';

const CLOUDS = `
clouds:
  lab:
    auth:
      auth_url: http://keystone.example:5000/v3
      username: ops
      password: secret
      project_name: admin
      domain_name: Lab
    region_name: RegionOne
  tokened:
    auth_type: token
    auth:
      auth_url: http://keystone.example:5000/v3
      token: gAAAA-token
`;

function withClouds(body: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-clouds-'));
  const file = join(dir, 'clouds.yaml');
  writeFileSync(file, CLOUDS);
  const saved = process.env.OS_CLIENT_CONFIG_FILE;
  process.env.OS_CLIENT_CONFIG_FILE = file;
  try {
    body(file);
  } finally {
    if (saved === undefined) delete process.env.OS_CLIENT_CONFIG_FILE;
    else process.env.OS_CLIENT_CONFIG_FILE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('clouds.yaml - searched where the openstack CLI looks, OS_CLIENT_CONFIG_FILE first', () => {
  const paths = cloudsYamlPaths({ XDG_CONFIG_HOME: '/cfg' });
  assert.deepEqual(paths, [join(process.cwd(), 'clouds.yaml'), '/cfg/openstack/clouds.yaml', '/etc/openstack/clouds.yaml']);
  assert.deepEqual(cloudsYamlPaths({ OS_CLIENT_CONFIG_FILE: '/x/clouds.yaml' }), ['/x/clouds.yaml']);
});

test('clouds.yaml - a cloud gives Keystone password credentials (domain_name for both domains) or a token', () => {
  withClouds(() => {
    assert.deepEqual(authOf({ osCloud: 'lab' }), {
      kind: 'keystone',
      credentials: { authUrl: 'http://keystone.example:5000/v3', username: 'ops', password: 'secret', projectName: 'admin', userDomainName: 'Lab', projectDomainName: 'Lab' },
    });
    assert.deepEqual(authOf({ osCloud: 'tokened' }), { kind: 'token', token: 'gAAAA-token' });
  });
});

test('clouds.yaml - flags and OS_* variables override the cloud; without --os-cloud it is not read', () => {
  withClouds(() => {
    const auth = authOf({ osCloud: 'lab', osUsername: 'other', osProjectDomainName: 'Default' });
    assert.equal(auth.kind, 'keystone');
    assert.equal(auth.kind === 'keystone' && auth.credentials.username, 'other');
    assert.equal(auth.kind === 'keystone' && auth.credentials.projectDomainName, 'Default');
    assert.equal(auth.kind === 'keystone' && auth.credentials.password, 'secret');
    assert.deepEqual(authOf({ osCloud: 'lab', token: 'explicit' }), { kind: 'token', token: 'explicit' });
    assert.deepEqual(authOf({}), { kind: 'none' });
  });
});

test('clouds.yaml - an unknown cloud, a missing file and bad YAML are explained', () => {
  withClouds((file) => {
    assert.throws(() => authOf({ osCloud: 'nope' }), { message: `--os-cloud nope: no cloud "nope" in ${file} (it has: lab, tokened)` });
    writeFileSync(file, 'clouds: [unclosed');
    assert.throws(() => loadCloud('lab'), /clouds\.yaml: not valid YAML/);
  });
  assert.throws(() => loadCloud('lab', ['/nonexistent/clouds.yaml']), { message: '--os-cloud lab: no clouds.yaml (looked for /nonexistent/clouds.yaml)' });
});
