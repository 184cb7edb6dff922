/** Real `alcor-agent --driver ovs` processes, one per testbed host, for the suites that run a controller. */
import { AgentProcess } from '../../../src/testbed/agent-process.js';
import type { OvsHost } from '../../../src/testbed/ovs-host.js';
import type { Testbed } from '../../../src/testbed/testbed.js';
import { waitFor } from '../../harness/wait-for.js';
import type { E2eController } from './controller.js';

/** Options of one agent's start. */
type StartOptions = Parameters<AgentProcess['start']>[0];

/** Starts an agent per host (with `options(host)` if given) and waits until all are connected. */
export async function startAgents(testbed: Testbed, controller: E2eController, options?: (host: OvsHost) => Promise<StartOptions>): Promise<Map<string, AgentProcess>> {
  const agents = new Map<string, AgentProcess>();
  for (const host of testbed.hosts) {
    const agent = new AgentProcess(host, testbed, controller.southboundAddress);
    agent.start(options ? await options(host) : {});
    agents.set(host.name, agent);
  }
  await waitFor(async () => (await controller.connectedHosts()).length === testbed.hosts.length, 30_000, 'every agent connected');
  return agents;
}

/** Kills the agents; prints the end of their logs first when the run failed. */
export async function stopAgents(agents: Iterable<AgentProcess>): Promise<void> {
  const list = [...agents];
  if (process.exitCode) for (const a of list) process.stderr.write(`--- agent ${a.host.name}\n${a.logTail()}\n`);
  for (const a of list) await a.kill();
}
