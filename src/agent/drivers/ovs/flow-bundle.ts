/**
 * Programs flow modifications on the agent's own OpenFlow connection: each modification is encoded as
 * a binary flow-mod (flow-encoder.ts) and the batch goes to OVS as one atomic OpenFlow 1.4 bundle. A
 * modification the encoder cannot express or the switch refuses comes back as FlowRejectedError
 * naming it (in ovs-ofctl syntax, with its owner), and then nothing of the batch was applied.
 */
import type { ByteWriter } from './byte-writer.js';
import { bundleLine, type FlowMod } from './flow.js';
import { writeFlowMod } from './flow-encoder.js';
import { UnsupportedFlowError } from './nxm-fields.js';
import { BundleRejectedError, type OfConnection } from './of-connection.js';
import { OfType } from './openflow.js';

/** One modification of a batch was refused; the batch was not applied. */
export class FlowRejectedError extends Error {
  constructor(
    readonly mod: FlowMod,
    reason: string,
  ) {
    super(`${mod.owner}: ${bundleLine(mod)}: ${reason}`);
    this.name = 'FlowRejectedError';
  }
}

/** Encodes `mods` and applies them in one bundle on `connection`. */
export async function applyFlowMods(connection: OfConnection, mods: readonly FlowMod[]): Promise<void> {
  const encode = (w: ByteWriter, index: number): void => {
    const mod = mods[index]!;
    try {
      writeFlowMod(w, mod);
    } catch (err) {
      if (err instanceof UnsupportedFlowError) throw new FlowRejectedError(mod, err.message);
      throw err;
    }
  };
  try {
    await connection.bundle(OfType.FLOW_MOD, mods.length, encode);
  } catch (err) {
    const mod = err instanceof BundleRejectedError && err.index !== undefined ? mods[err.index] : undefined;
    if (mod) throw new FlowRejectedError(mod, (err as Error).message);
    throw err;
  }
}
