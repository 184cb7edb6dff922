/** Driver lookup by name: `sim` is built in, `ovs` is loaded lazily from ./ovs/index.js (`createDriver`). */
import type { Driver, DriverContext, DriverFactory } from '../driver.js';
import { SimDriver } from './sim.js';

/** Names `--driver` accepts. */
export const DRIVER_NAMES = ['sim', 'ovs'] as const;

/** Creates the named driver (no I/O until its start()). */
export async function loadDriver(name: string, context: DriverContext): Promise<Driver> {
  if (name === 'sim') return new SimDriver(context);
  if (name === 'ovs') {
    // A variable specifier keeps the sim-only build independent of the OVS driver's presence.
    const specifier = './ovs/index.js';
    const module = (await import(specifier)) as { createDriver?: DriverFactory };
    if (typeof module.createDriver !== 'function') throw new TypeError('drivers/ovs/index.js does not export createDriver');
    return module.createDriver(context);
  }
  throw new TypeError(`unknown driver "${name}" (expected one of ${DRIVER_NAMES.join(', ')})`);
}
