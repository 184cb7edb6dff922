/**
 * The whole system for an end-to-end suite: a testbed, a controller in this process and one
 * `alcor-agent --driver ovs` process per testbed host, all connected.
 */
import { AgentProcess } from '../../../src/testbed/agent-process.js';
import { cleanupStale, Testbed } from '../../../src/testbed/testbed.js';
import { waitFor } from '../../harness/wait-for.js';
import { startE2eController, type E2eController } from './controller.js';

/** A running stack. */
export interface E2eStack {
  testbed: Testbed;
  controller: E2eController;
  agents: AgentProcess[];
  /** Stops everything; prints the agents' logs when the suite failed. */
  close(): Promise<void>;
}

/** Starts a testbed of `hosts` hosts, a controller, and an agent on each host; resolves once all are connected. */
export async function startE2eStack(hosts: number): Promise<E2eStack> {
  await cleanupStale();
  const testbed = await Testbed.create({ hosts });
  let controller: E2eController | undefined;
  const agents: AgentProcess[] = [];
  const close = async () => {
    if (process.exitCode) for (const a of agents) process.stderr.write(`--- agent ${a.host.name}\n${a.logTail()}\n`);
    for (const a of agents) await a.kill();
    await controller?.close();
    await testbed.destroy();
  };
  try {
    const started = await startE2eController();
    controller = started;
    for (const host of testbed.hosts) {
      const agent = new AgentProcess(host, testbed, started.southboundAddress);
      agent.start();
      agents.push(agent);
    }
    await waitFor(async () => (await started.connectedHosts()).length === hosts, 30_000, `the ${hosts} agents connected`);
    return { testbed, controller: started, agents, close };
  } catch (err) {
    await close();
    throw err;
  }
}
