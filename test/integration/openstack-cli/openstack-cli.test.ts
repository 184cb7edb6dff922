/**
 * The real `openstack` CLI (Debian python3-openstackclient) driving the controller without Keystone, as an
 * operator would: `--os-auth-type none --os-endpoint <url>`. One compact scenario (each CLI call costs
 * seconds of Python start-up) covering every resource family, asserting on `-f json` output; subnet pools,
 * address scopes and RBAC in a second one.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';
import { missingPrerequisite } from '../../harness/services.js';

const CLI_TIMEOUT_MS = 120_000;

function cliAvailable(): boolean {
  const probe = spawnSync('openstack', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return probe.status === 0;
}

describe('openstack CLI', () => {
  let api: TestApi;
  let home: string;
  before(async () => {
    api = await startTestApi();
    home = mkdtempSync(join(tmpdir(), 'alcor-osc-'));
  });
  after(async () => {
    await api.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs one CLI command; resolves with stdout, rejects with the CLI's stderr on a non-zero exit. */
  const cli = (...args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, OS_AUTH_TYPE: 'none', OS_ENDPOINT: api.url };
      execFile('openstack', args, { env, timeout: CLI_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`openstack ${args.join(' ')} failed: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });
  // The CLI's JSON is arbitrary; the scenario indexes into it freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json = async (...args: string[]): Promise<any> => JSON.parse(await cli(...args, '-f', 'json'));

  test('openstack CLI - network, subnet, port, router, security group, floating IP and quota scenario', { timeout: 30 * 60_000 }, async (t) => {
    if (!cliAvailable()) {
      missingPrerequisite(t, 'openstack CLI not installed (apt-get install python3-openstackclient)', 'ALCOR_TEST_OPENSTACK_CLI');
      return;
    }
    const ext = await json('network', 'create', 'cli-ext', '--external');
    assert.equal(ext['router:external'], true);
    const extSubnet = await json('subnet', 'create', '--network', 'cli-ext', '--subnet-range', '203.0.113.0/24', '--no-dhcp', 'cli-ext-sub');
    assert.equal(extSubnet.gateway_ip, '203.0.113.1');
    const net = await json('network', 'create', 'cli-net');
    const subnet = await json('subnet', 'create', '--network', 'cli-net', '--subnet-range', '10.60.0.0/24', 'cli-sub');
    assert.equal(subnet.network_id, net.id);

    const sg = await json('security', 'group', 'create', 'cli-sg');
    assert.equal(sg.rules.length, 2, 'two egress rules');
    const rule = await json('security', 'group', 'rule', 'create', 'cli-sg', '--protocol', 'tcp', '--dst-port', '22');
    assert.equal(rule.port_range_min, 22);
    assert.equal(rule.security_group_id, sg.id);

    const port = await json(
      'port', 'create', '--network', 'cli-net', '--fixed-ip', 'subnet=cli-sub,ip-address=10.60.0.10',
      '--allowed-address', 'ip-address=10.60.0.100', '--security-group', 'cli-sg', 'cli-port',
    );
    assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.60.0.10' }]);
    assert.equal(port.allowed_address_pairs[0].ip_address, '10.60.0.100');
    assert.deepEqual(port.security_group_ids, [sg.id]);

    await json('router', 'create', 'cli-router');
    await cli('router', 'add', 'subnet', 'cli-router', 'cli-sub');
    await cli('router', 'set', 'cli-router', '--external-gateway', 'cli-ext');
    const router = await json('router', 'show', 'cli-router');
    assert.equal(router.external_gateway_info.network_id, ext.id);
    assert.equal(router.interfaces_info[0].ip_address, '10.60.0.1');

    const fip = await json('floating', 'ip', 'create', 'cli-ext', '--port', 'cli-port');
    assert.equal(fip.fixed_ip_address, '10.60.0.10');
    assert.equal(fip.port_id, port.id);
    assert.equal(fip.router_id, router.id);
    assert.match(fip.floating_ip_address, /^203\.0\.113\./);

    await cli('quota', 'set', '--routers', '7', '--networks', '20', 'admin');
    const quota = (await json('quota', 'list', '--network', '--detail', '--project', 'admin')) as { Resource: string; 'In Use': number; Limit: number }[];
    assert.deepEqual(quota.find((q) => q.Resource === 'routers'), { Resource: 'routers', 'In Use': 1, Reserved: 0, Limit: 7 });
    assert.equal(quota.find((q) => q.Resource === 'networks')?.Limit, 20);

    const networks = (await json('network', 'list')) as { Name: string }[];
    assert.deepEqual(networks.map((n) => n.Name).sort(), ['cli-ext', 'cli-net']);
    const fips = (await json('floating', 'ip', 'list')) as { ID: string; Port: string }[];
    assert.deepEqual(fips.map((f) => [f.ID, f.Port]), [[fip.id, port.id]]);

    await cli('floating', 'ip', 'delete', fip.id);
    await cli('router', 'unset', '--external-gateway', 'cli-router');
    await cli('router', 'remove', 'subnet', 'cli-router', 'cli-sub');
    await cli('router', 'delete', 'cli-router');
    await cli('port', 'delete', 'cli-port');
    await cli('security', 'group', 'delete', 'cli-sg');
    await cli('subnet', 'delete', 'cli-sub');
    await cli('network', 'delete', 'cli-net');
    const left = (await json('network', 'list')) as { Name: string }[];
    assert.deepEqual(left.map((n) => n.Name), ['cli-ext']);
    const routers = await api.request('GET', '/v2.0/routers');
    assert.deepEqual(routers.body.routers, []);
  });

  test('openstack CLI - address scope, subnet pool, a subnet carved from it, and network RBAC', { timeout: 30 * 60_000 }, async (t) => {
    if (!cliAvailable()) {
      missingPrerequisite(t, 'openstack CLI not installed (apt-get install python3-openstackclient)', 'ALCOR_TEST_OPENSTACK_CLI');
      return;
    }
    const scope = await json('address', 'scope', 'create', '--ip-version', '4', 'cli-scope');
    assert.deepEqual([scope.ip_version, scope.shared], [4, false]);
    const pool = await json(
      'subnet', 'pool', 'create', '--pool-prefix', '10.90.0.0/16', '--default-prefix-length', '26', '--address-scope', 'cli-scope',
      '--default-quota', '1024', 'cli-pool',
    );
    assert.deepEqual([pool.prefixes, pool.default_prefixlen, pool.address_scope_id, pool.default_quota], [['10.90.0.0/16'], 26, scope.id, 1024]);
    const net = await json('network', 'create', 'cli-pool-net');
    const subnet = await json('subnet', 'create', '--network', 'cli-pool-net', '--subnet-pool', 'cli-pool', '--prefix-length', '24', 'cli-pool-sub');
    assert.deepEqual([subnet.cidr, subnet.subnetpool_id, subnet.gateway_ip], ['10.90.0.0/24', pool.id, '10.90.0.1']);
    assert.equal((await json('network', 'show', 'cli-pool-net')).ipv4_address_scope, scope.id);

    const rbac = await json('network', 'rbac', 'create', '--target-project', 'cli-guest', '--action', 'access_as_shared', '--type', 'network', 'cli-pool-net');
    assert.deepEqual([rbac.object_id, rbac.target_project_id, rbac.action], [net.id, 'cli-guest', 'access_as_shared']);
    const guest = { project: 'cli-guest', roles: 'member' };
    assert.equal((await api.request('GET', `/v2.0/networks/${net.id}`, guest)).status, 200, 'the target sees the network');
    await cli('network', 'rbac', 'delete', rbac.id);
    assert.equal((await api.request('GET', `/v2.0/networks/${net.id}`, guest)).status, 404, 'and no longer after the delete');

    await cli('subnet', 'delete', 'cli-pool-sub');
    await cli('network', 'delete', 'cli-pool-net');
    await cli('subnet', 'pool', 'delete', 'cli-pool');
    await cli('address', 'scope', 'delete', 'cli-scope');
    assert.deepEqual((await api.request('GET', '/v2.0/subnetpools')).body.subnetpools, []);
  });
});
