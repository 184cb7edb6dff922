/**
 * Gate of the end-to-end suites: they need root, ALCOR_TEST_E2E=1 and the OVS/VM tools. Locally a
 * missing piece skips loudly; under CI (`.ci/run` sets ALCOR_TEST_E2E=1 and CI=true) it fails.
 */
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { missingPrerequisite } from '../../harness/services.js';

const TOOLS = ['ovs-vswitchd', 'ovsdb-server', 'ovs-vsctl', 'ovs-ofctl', 'ovsdb-client', 'busybox', 'ping', 'ip', 'ethtool', 'nc'];

/** Why the e2e suites cannot run here, or undefined when they can. */
export function e2eUnavailable(): string | undefined {
  if (process.env.ALCOR_TEST_E2E !== '1') return 'end-to-end OVS tests need ALCOR_TEST_E2E=1 (and root)';
  if (process.getuid?.() !== 0) return 'end-to-end OVS tests need root (network namespaces)';
  const missing = TOOLS.filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) return `end-to-end OVS tests need ${missing.join(', ')} (apt-get install openvswitch-switch iputils-ping busybox netcat-openbsd ethtool iproute2)`;
  return undefined;
}

/** True when the suite may run; otherwise skips (locally) or throws (CI). */
export function requireE2e(t: TestContext): boolean {
  const reason = e2eUnavailable();
  if (reason === undefined) return true;
  return missingPrerequisite(t, reason, 'ALCOR_TEST_E2E');
}
