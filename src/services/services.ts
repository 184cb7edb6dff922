/** Wires every service over one store: the single object the API and the CLI are given. */
import type { ServerConfig } from '../config.js';
import type { Store } from '../store/store.js';
import { createNetworkService, type NetworkService } from './networks.js';

/** All services of the controller. */
export interface Services {
  networks: NetworkService;
}

/** Builds the services over a store. */
export function createServices(store: Store, config: ServerConfig): Services {
  return {
    networks: createNetworkService(store, config),
  };
}
