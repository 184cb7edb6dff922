/** Floating IPs as the API shows them, and their inputs. Pure. */

/** The associated port as a floating IP shows it (Neutron's fip-port-details); null when unassociated. */
export interface FloatingIpPortDetails {
  name: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
}

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
