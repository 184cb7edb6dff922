/** Floating IPs as the API shows them, and their inputs. Pure. */
import type { Port } from './port.js';

/** The attributes of the associated port a floating IP shows (Neutron's fip-port-details). */
export const PORT_DETAILS = ['name', 'network_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner'] as const;

/** The associated port as a floating IP shows it; null when unassociated. */
export type FloatingIpPortDetails = Pick<Port, (typeof PORT_DETAILS)[number]>;

/** A Neutron floating IP. */
export interface FloatingIp {
  id: string;
  project_id: string;
  tenant_id: string;
  description: string;
  floating_network_id: string;
  floating_ip_address: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: 'ACTIVE' | 'DOWN';
  dns_domain: string;
  dns_name: string;
  port_forwardings: never[];
  port_details: FloatingIpPortDetails | null;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Body of POST /floatingips. */
export interface FloatingIpCreate {
  floating_network_id: string;
  floating_ip_address?: string;
  subnet_id?: string;
  port_id?: string | null;
  fixed_ip_address?: string | null;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  tags?: string[];
}

/** Body of PUT /floatingips/{id}. */
export interface FloatingIpUpdate {
  port_id?: string | null;
  fixed_ip_address?: string | null;
  description?: string;
}
