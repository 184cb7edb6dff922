/**
 * The Nova stand-in the tests use: it lives with the benchmarks (`alcor bench nova` measures against it
 * too), so the contract it enforces is one piece of code.
 */
export { NovaStandIn, type AcceptedEvent, type RefusedRequest, type TokenValidator } from '../../src/bench/nova-stand-in.js';
