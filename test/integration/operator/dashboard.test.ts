// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The operator dashboard in a real browser: playwright-core drives Debian's chromium against a controller
 * with real agents. Created networks and hosts appear, a host whose agent goes away shows as lost, an
 * agent refused by the southbound shows among the recent refusals, and the page logs no console error.
 * Under Keystone the page asks for credentials first. The test leaves a screenshot in .tmp/dashboard.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { KeystoneStandIn } from '../../harness/keystone-stand-in.js';
import { missingPrerequisite } from '../../harness/services.js';
import { waitFor } from '../../harness/wait-for.js';
import { withSouthbound, type SouthboundFixture, type TestStack } from '../southbound/harness.js';

/** Debian's chromium package. */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../../../.tmp/', import.meta.url));

async function created(s: TestStack, collection: string, key: string, body: Record<string, unknown>): Promise<any> {
  const res = await s.request('POST', `/v2.0/${collection}`, { [key]: body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body[key];
}

/** Waits until `selector` matches in the page. */
const shows = (page: Page, selector: string) => page.waitForSelector(selector, { timeout: 15_000 });

/** True when chromium is there; otherwise skips (fails under CI). */
function chromiumAvailable(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  missingPrerequisite(t, `${CHROMIUM} (Debian package chromium) for the browser test`, 'ALCOR_TEST_E2E');
  return false;
}

/** Opens the dashboard of `url` in a new headless chromium; `problems` collects console errors, page errors and failed requests. */
async function openDashboard(f: SouthboundFixture, url: string): Promise<{ page: Page; problems: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  f.defer(() => void browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`${url}/dashboard/`);
  return { page, problems };
}

test('dashboard - topology, host health and refusals in a real browser, no console errors', { timeout: 120_000 }, async (t) => {
  if (!chromiumAvailable(t)) return;
  await withSouthbound(async (f) => {
    const s = await f.stack();
    await f.agent(s.address, 'dash-h1');
    const h2 = await f.agent(s.address, 'dash-h2', { datapathIp: '192.0.2.2' });
    const net = await created(s, 'networks', 'network', { name: 'dash-blue' });
    const subnet = await created(s, 'subnets', 'subnet', { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 });
    const other = await created(s, 'networks', 'network', { name: 'dash-green' });
    const otherSubnet = await created(s, 'subnets', 'subnet', { network_id: other.id, cidr: '10.78.0.0/24', ip_version: 4 });
    const router = await created(s, 'routers', 'router', { name: 'dash-router' });
    for (const id of [subnet.id, otherSubnet.id]) assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: id })).status, 200);
    const p1 = await created(s, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'dash-h1' });
    await created(s, 'ports', 'port', { network_id: other.id, 'binding:host_id': 'dash-h2' });
    await waitFor(async () => (await s.request('GET', `/v2.0/ports/${p1.id}`)).body.port.status === 'ACTIVE', 10_000, 'port ACTIVE');

    const { page, problems } = await openDashboard(f, s.url);
    await shows(page, '#hosts tr[data-host="dash-h1"][data-state="alive"]');
    await shows(page, '#hosts tr[data-host="dash-h2"][data-state="alive"]');
    const networks = await page.textContent('#networks');
    assert.match(networks ?? '', /dash-blue\s*10\.77\.0\.0\/24/);
    assert.match(networks ?? '', /dash-green\s*10\.78\.0\.0\/24/);
    assert.match((await page.textContent(`#networks tr[data-network="${net.id}"]`)) ?? '', /dash-h1/);
    assert.match((await page.textContent('#latency')) ?? '', /p50 \d+ ms/);
    // The topology graph: two networks, the router, two VM ports and their two hosts.
    const graph = await page.getAttribute('#topology', 'data-nodes');
    assert.equal(graph, '7');

    // A host whose agent goes away shows as lost; an impostor claiming a connected host id is refused.
    await h2.agent.close();
    await shows(page, '#hosts tr[data-host="dash-h2"][data-state="lost"]');
    await f.agent(s.address, 'dash-h1', { datapathIp: '198.51.100.9' });
    await waitFor(async () => /agent refused.*host dash-h1 is already connected/s.test((await page.textContent('#events')) ?? ''), 15_000, 'refusal shown');
    assert.match((await page.textContent('#status')) ?? '', /1 alive, 1 lost/);

    // Another project's network is drawn only once that project is chosen.
    const res = await fetch(`${s.url}/v2.0/networks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-project-id': 'dash-other', 'x-roles': 'member' },
      body: JSON.stringify({ network: { name: 'dash-red' } }),
    });
    assert.equal(res.status, 201);
    await waitFor(async () => (await page.$$('#project option')).length === 2, 15_000, 'second project offered');
    assert.doesNotMatch((await page.textContent('#networks')) ?? '', /dash-red/);
    await page.selectOption('#project', 'dash-other');
    await waitFor(async () => /dash-red/.test((await page.textContent('#networks')) ?? ''), 15_000, 'the other project drawn');
    assert.doesNotMatch((await page.textContent('#networks')) ?? '', /dash-blue/);
    assert.equal(await page.getAttribute('#topology', 'data-nodes'), '1');
    await page.selectOption('#project', (await s.request('GET', `/v2.0/networks/${net.id}`)).body.network.project_id);
    await waitFor(async () => (await page.getAttribute('#topology', 'data-nodes')) === '7', 15_000, 'back to the first project');

    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}dashboard.png`, fullPage: true });
    assert.deepEqual(problems, []);
  });
});

test('dashboard - under Keystone it asks for credentials, explains a refusal, then shows the controller with the token', { timeout: 120_000 }, async (t) => {
  if (!chromiumAvailable(t)) return;
  const keystone = new KeystoneStandIn();
  await keystone.start();
  keystone.users.set('neutron', { password: 'secret', roles: ['admin', 'service'] });
  keystone.users.set('ops', { password: 'pw', roles: ['admin'] });
  try {
    await withSouthbound(async (f) => {
      const keystoneSettings = { auth: 'keystone', keystoneUrl: keystone.url, keystoneUsername: 'neutron', keystonePassword: 'secret', keystoneProject: 'service' } as const;
      const s = await f.stack({}, keystoneSettings);
      await f.agent(s.address, 'ks-h1');
      assert.equal((await fetch(`${s.url}/alcor/v1/hosts`)).status, 401, 'the API itself still wants a token');
      const { page, problems } = await openDashboard(f, s.url);
      await shows(page, '#login:not([hidden])');
      assert.equal(await page.inputValue('input[name="authUrl"]'), keystone.url, 'prefilled from WWW-Authenticate');
      await page.fill('input[name="username"]', 'ops');
      await page.fill('input[name="password"]', 'wrong');
      await page.click('#login button[type="submit"]');
      await waitFor(async () => /Keystone refused the credentials \(HTTP 401\)/.test((await page.textContent('#login-error')) ?? ''), 10_000, 'refusal explained');
      await page.fill('input[name="password"]', 'pw');
      await page.click('#login button[type="submit"]');
      await shows(page, '#hosts tr[data-host="ks-h1"][data-state="alive"]');
      assert.equal(await page.isHidden('#login'), true);
      // The 401s that asked for credentials (the controller's, then Keystone's for the wrong password) are the only errors.
      assert.deepEqual(problems.filter((p) => !p.includes('status of 401')), []);
    });
  } finally {
    await keystone.close();
  }
});
