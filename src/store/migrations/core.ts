/** Core schema migrations (versions 1-99). */
import type { Migration } from './migration.js';

/** Schema of the core resources: networks, subnets, ports, allocations, tags and the outbox. */
export const CORE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'core: networks, subnets, ports, allocations, tags, outbox',
    statements: [
      `CREATE TABLE networks (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        admin_state_up INTEGER NOT NULL,
        shared INTEGER NOT NULL,
        router_external INTEGER NOT NULL,
        mtu INTEGER NOT NULL,
        port_security_enabled INTEGER NOT NULL,
        network_type TEXT NOT NULL,
        physical_network TEXT NOT NULL,
        segmentation_id {{bigint}},
        status TEXT NOT NULL,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      // One segment per (type, physnet, id): the database itself refuses a duplicate VNI or VLAN.
      `CREATE UNIQUE INDEX networks_segment ON networks (network_type, physical_network, segmentation_id)`,
      `CREATE INDEX networks_project ON networks (project_id)`,
      `CREATE TABLE subnets (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        network_id TEXT NOT NULL REFERENCES networks (id),
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        ip_version INTEGER NOT NULL,
        cidr TEXT NOT NULL,
        gateway_ip TEXT,
        enable_dhcp INTEGER NOT NULL,
        ipv6_ra_mode TEXT,
        ipv6_address_mode TEXT,
        allocation_pools TEXT NOT NULL,
        dns_nameservers TEXT NOT NULL,
        host_routes TEXT NOT NULL,
        ipam_cursor TEXT,
        -- Creation order within the network (timestamps have one-second resolution); Neutron allocates
        -- automatic addresses from the first subnet with room.
        network_position INTEGER NOT NULL DEFAULT 0,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX subnets_network ON subnets (network_id)`,
      `CREATE INDEX subnets_project ON subnets (project_id)`,
      `CREATE TABLE ports (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        network_id TEXT NOT NULL REFERENCES networks (id),
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        mac_address TEXT NOT NULL,
        admin_state_up INTEGER NOT NULL,
        status TEXT NOT NULL,
        device_id TEXT NOT NULL,
        device_owner TEXT NOT NULL,
        port_security_enabled INTEGER NOT NULL,
        binding_host_id TEXT NOT NULL,
        binding_vnic_type TEXT NOT NULL,
        binding_vif_type TEXT NOT NULL,
        binding_profile TEXT NOT NULL,
        allowed_address_pairs TEXT NOT NULL,
        extra_dhcp_opts TEXT NOT NULL,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      // MACs are unique per network, as in Neutron; the index is also the allocator's guard.
      `CREATE UNIQUE INDEX ports_network_mac ON ports (network_id, mac_address)`,
      `CREATE INDEX ports_network ON ports (network_id, id)`,
      `CREATE INDEX ports_project ON ports (project_id)`,
      `CREATE INDEX ports_device ON ports (device_id)`,
      `CREATE INDEX ports_host ON ports (binding_host_id)`,
      // A fixed IP is a row here; the primary key makes double allocation impossible, and the
      // cascade frees it with its port, so a crash can never leak one.
      `CREATE TABLE ip_allocations (
        subnet_id TEXT NOT NULL REFERENCES subnets (id),
        ip_address TEXT NOT NULL,
        port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
        network_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (subnet_id, ip_address)
      )`,
      `CREATE INDEX ip_allocations_port ON ip_allocations (port_id)`,
      `CREATE INDEX ip_allocations_ip ON ip_allocations (ip_address)`,
      `CREATE TABLE tags (
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        tag TEXT NOT NULL,
        PRIMARY KEY (resource_type, resource_id, tag)
      )`,
      `CREATE INDEX tags_tag ON tags (tag)`,
      // Port ↔ security group membership; the groups themselves belong to the security-group area.
      `CREATE TABLE port_security_groups (
        port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
        security_group_id TEXT NOT NULL,
        PRIMARY KEY (port_id, security_group_id)
      )`,
      `CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id)`,
      // Transactional outbox: every API write appends its changes here in the same transaction.
      `CREATE TABLE changes (
        revision {{bigserial}},
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        operation TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
    ],
  },
];
