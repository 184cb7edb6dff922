/** Address scopes as the API shows them, and their inputs. Pure. */
import type { IpVersion } from './ip.js';

/** A Neutron address scope: subnet pools within one scope have unique prefixes and route to each other unNATed. */
export interface AddressScope {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  ip_version: IpVersion;
  shared: boolean;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Body of POST /address-scopes after schema validation. */
export interface AddressScopeCreate {
  name: string;
  ip_version: IpVersion;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  shared?: boolean;
  tags?: string[];
}

/** Body of PUT /address-scopes/{id}. */
export type AddressScopeUpdate = Pick<AddressScopeCreate, 'name' | 'description' | 'shared'>;
