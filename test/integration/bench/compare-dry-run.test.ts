/**
 * `alcor bench compare` without installing Neutron: the baseline is a small fake Neutron-API server in this
 * file (just the calls the workload makes, with Neutron's answers), the contender a
 * real alcor-server on SQLite spawned by the command. The command runs as a subprocess, as a user would.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CompareResult } from '../../../src/bench/compare.js';
import { runAlcor } from '../../harness/alcor-cli.js';

interface FakePort {
  id: string;
  name: string;
  network_id: string;
}

/** The Neutron calls of the benchmark workload, answered from memory. */
class FakeNeutron {
  readonly networks = new Map<string, { id: string; subnets: number }>();
  readonly ports: FakePort[] = [];
  readonly calls = new Map<string, number>();
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = `${req.method} ${url.pathname.replace(/[0-9a-f-]{36}|project-[a-z]+/g, ':id')}`;
    this.calls.set(route, (this.calls.get(route) ?? 0) + 1);
    const [status, answer] = this.answer(route, url, body);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(answer === undefined ? '' : JSON.stringify(answer));
  }

  private port(spec: { network_id: string; name: string }): FakePort {
    const port = { id: randomUUID(), name: spec.name, network_id: spec.network_id };
    this.ports.push(port);
    return port;
  }

  private answer(route: string, url: URL, body: Record<string, unknown>): [number, unknown] {
    const id = url.pathname.split('/').at(-1) ?? '';
    switch (route) {
      case 'GET /v2.0/networks':
        return [200, { networks: [...this.networks.values()].slice(0, Number(url.searchParams.get('limit') ?? 1000)) }];
      case 'POST /v2.0/networks': {
        const network = { id: randomUUID(), project_id: 'project-fake', subnets: 0 };
        this.networks.set(network.id, network);
        return [201, { network }];
      }
      case 'GET /v2.0/quotas/:id':
        return [200, { quota: { port: 500 } }];
      case 'PUT /v2.0/quotas/:id':
        return [200, { quota: body.quota }];
      case 'POST /v2.0/subnets':
        return [201, { subnet: { id: randomUUID(), ...(body.subnet as object) } }];
      case 'POST /v2.0/ports':
        if (Array.isArray(body.ports)) return [201, { ports: body.ports.map((p: { network_id: string; name: string }) => this.port(p)) }];
        return [201, { port: this.port(body.port as FakePort) }];
      case 'GET /v2.0/ports': {
        const onNetwork = this.ports.filter((p) => p.network_id === url.searchParams.get('network_id')).sort((a, b) => a.id.localeCompare(b.id));
        const marker = url.searchParams.get('marker');
        const from = marker ? onNetwork.findIndex((p) => p.id === marker) + 1 : 0;
        return [200, { ports: onNetwork.slice(from, from + Number(url.searchParams.get('limit') ?? 1000)) }];
      }
      case 'DELETE /v2.0/ports/:id': {
        const index = this.ports.findIndex((p) => p.id === id);
        if (index < 0) return [404, { NeutronError: { type: 'PortNotFound', message: id, detail: '' } }];
        this.ports.splice(index, 1);
        return [204, undefined];
      }
      case 'DELETE /v2.0/networks/:id':
        if (this.ports.some((p) => p.network_id === id)) return [409, { NeutronError: { type: 'NetworkInUse', message: id, detail: '' } }];
        return this.networks.delete(id) ? [204, undefined] : [404, { NeutronError: { type: 'NetworkNotFound', message: id, detail: '' } }];
      default:
        return [404, { NeutronError: { type: 'HTTPNotFound', message: route, detail: '' } }];
    }
  }
}

describe('bench compare', () => {
  let neutron: FakeNeutron;
  let out: string;
  before(async () => {
    neutron = new FakeNeutron();
    await neutron.start();
    out = mkdtempSync(join(tmpdir(), 'alcor-compare-test-'));
  });
  after(async () => {
    await neutron.close();
    rmSync(out, { recursive: true, force: true });
  });

  test('bench - alcor bench compare runs the workload against a Neutron endpoint and a spawned Alcor, and writes JSON, Markdown and SVG', async () => {
    const run = await runAlcor(['bench', 'compare', '--neutron-url', neutron.url, '--engines', 'sqlite', '--stored', '1000', '--bulk-size', '30', '--samples', '240', '--neutron-samples', '20', '--concurrency', '4', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /\[neutron\] single creates at \d+ stored, 4 in flight/, 'progress is shown per target');
    assert.match(run.stderr, /\[alcor-sqlite\] alcor: alcor-server pid \d+/);

    const result = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as CompareResult;
    assert.deepEqual(result.runs.map((r) => [r.name, r.role]), [['neutron', 'baseline'], ['alcor-sqlite', 'contender']]);
    const [fake, alcor] = result.runs;
    assert.ok(fake && alcor);
    assert.deepEqual(fake.result.single.map((s) => [s.level, s.concurrency, s.count]), [[0, 1, 20], [0, 4, 50], [1000, 1, 20], [1000, 4, 50]]);
    assert.deepEqual(alcor.result.single.map((s) => [s.level, s.concurrency, s.count]), [[0, 1, 60], [0, 4, 240], [1000, 1, 60], [1000, 4, 240]]);
    assert.equal(fake.result.bulk.size, 30);
    assert.equal(fake.result.networks.network.count, 10);
    assert.ok((alcor.result.memory.rssMb ?? 0) > 0, 'the spawned server\'s memory is read');
    assert.equal(fake.result.memory.rssMb, null, 'no pid was given for the endpoint');

    // What the fake saw: the whole workload, then the cleanup of everything it created.
    assert.equal(neutron.calls.get('POST /v2.0/networks'), 11, 'the benchmark network and ten measured ones');
    assert.equal(neutron.calls.get('POST /v2.0/subnets'), 11);
    assert.ok((neutron.calls.get('GET /v2.0/ports') ?? 0) >= 5);
    assert.equal(neutron.ports.length, 0, 'its ports were deleted');
    assert.equal(neutron.networks.size, 0, 'its networks were deleted');

    const markdown = readFileSync(join(out, 'compare.md'), 'utf8');
    assert.equal(run.stdout, markdown, 'the table is printed too');
    assert.match(markdown, /\| metric \| neutron \| alcor-sqlite \| alcor-sqlite × \| goal \|/);
    assert.match(markdown, /\| single port create, c = 4, 1,000 stored \(ports\/s\) \| [\d.,]+ \| [\d.,]+ \| [\d.,]+× \| ≥ 200× \|/);
    assert.match(markdown, /- (pass|MISS): Alcor \(SQLite\), paged list ≥ 10× at 1,000 ports: [\d.,]+×/);
    assert.match(markdown, /!\[.*\]\(compare\.svg\)/);
    const svg = readFileSync(join(out, 'compare.svg'), 'utf8');
    assert.match(svg, /^<svg /);
    assert.match(svg, /times better than Neutron/);
    assert.match(svg, /Alcor \(SQLite\)/);
  });

  test('bench - alcor bench compare fails with the endpoint\'s answer when a call fails, and writes nothing', async () => {
    const broken = join(out, 'broken');
    const run = await runAlcor(['bench', 'compare', '--neutron-url', 'http://127.0.0.1:9/none', '--engines', 'sqlite', '--out', broken]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ECONNREFUSED/);
    assert.throws(() => readFileSync(join(broken, 'compare.json')), /ENOENT/);
  });

  test('bench - alcor bench compare rejects an unknown engine before starting anything', async () => {
    const run = await runAlcor(['bench', 'compare', '--neutron-url', neutron.url, '--engines', 'sqlite,mysql']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--engines: "mysql" is neither sqlite nor postgres/);
  });
});
