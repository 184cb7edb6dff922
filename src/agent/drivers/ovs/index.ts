/** Entry of the OVS driver, loaded lazily by drivers/registry.ts. */
import type { DriverFactory } from '../../driver.js';
import { OvsDriver } from './ovs-driver.js';

/** Creates the OVS driver (no I/O until start()). */
export const createDriver: DriverFactory = (context) => new OvsDriver(context);

export { OvsDriver };
