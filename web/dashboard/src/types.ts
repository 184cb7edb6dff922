/**
 * The wire shapes the dashboard reads: the operator view's are the controller's own (src/domain), the
 * Neutron resources' are the fields it asks for.
 */
export type { HostView, OperatorEvent, OperatorStatus, ProgrammingLatency } from '../../../src/domain/operator.js';

export interface Network {
  id: string;
  name: string;
  project_id: string;
  status: string;
  'router:external'?: boolean;
}

export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  project_id: string;
}

export interface Router {
  id: string;
  name: string;
  project_id: string;
  status: string;
  external_gateway_info: { network_id: string } | null;
}

export interface Port {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  status: string;
  device_owner: string;
  device_id: string;
  'binding:host_id': string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
}
