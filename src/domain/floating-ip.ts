/** Floating IPs as the API shows them, and their inputs. Pure. */

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
