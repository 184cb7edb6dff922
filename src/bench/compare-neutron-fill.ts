/**
 * Stores ports in neutron-server's PostgreSQL database directly, to reach 10k ports in seconds rather
 * than the half hour its bulk create would take (about 5 ports/s on these machines). Every new port
 * copies one port the API created on the same network, row for row in each table an API-created port
 * has in this configuration (no mechanism driver): standardattributes, ports, ipallocations,
 * ipamallocations, ml2_port_bindings, portsecuritybindings, securitygroupportbindings. Addresses are the
 * lowest free ones of the template's subnet; MACs use the fa:16:3f prefix, which Neutron's own
 * allocator (fa:16:3e) never hands out. Names continue the benchmark's `bench-<n>` sequence.
 */
import { psql, type PostgresServer } from './compare-host.js';

/** Where to add how many ports. */
export interface NeutronTopUp {
  postgres: PostgresServer;
  database: string;
  networkId: string;
  /** Name index of the first new port (`bench-<firstIndex>`). */
  firstIndex: number;
  count: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The SQL of one top-up (one transaction). Values are validated, so they can be written inline. */
export function topUpSql(networkId: string, firstIndex: number, count: number): string {
  if (!UUID.test(networkId)) throw new RangeError(`network id ${networkId}: expected a UUID`);
  if (!Number.isInteger(firstIndex) || firstIndex < 0 || firstIndex + count > 0xffffff) throw new RangeError(`first index ${firstIndex}: out of range`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count ${count}: expected a positive integer`);
  return `
BEGIN;
CREATE TEMP TABLE fill_template ON COMMIT DROP AS
  SELECT p.id AS port_id, p.project_id, p.network_id, p.admin_state_up, p.status, p.device_id, p.device_owner,
         p.ip_allocation, a.subnet_id, s.cidr::inet AS cidr, i.id AS ipam_subnet_id
  FROM ports p
  JOIN ipallocations a ON a.port_id = p.id
  JOIN subnets s ON s.id = a.subnet_id
  JOIN ipamsubnets i ON i.neutron_subnet_id = a.subnet_id
  WHERE p.network_id = '${networkId}' AND p.name LIKE 'bench-%'
  ORDER BY p.id LIMIT 1;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM fill_template) THEN RAISE EXCEPTION 'no API-created bench- port on network ${networkId} to copy'; END IF;
END $$;
-- The lowest free host addresses: scanning (count + already allocated) addresses past the gateway finds them.
CREATE TEMP TABLE fill_new ON COMMIT DROP AS
  WITH t AS (SELECT * FROM fill_template),
  candidate AS (
    SELECT network(t.cidr) + g AS addr
    FROM t, generate_series(2::bigint, LEAST(${count} + 2 + (SELECT count(*) FROM ipallocations a, t WHERE a.subnet_id = t.subnet_id),
                                             (2::numeric ^ (32 - masklen(t.cidr)))::bigint - 2)) g
  ),
  free AS (
    SELECT host(c.addr) AS ip FROM candidate c
    WHERE NOT EXISTS (SELECT 1 FROM ipallocations a, t WHERE a.subnet_id = t.subnet_id AND a.ip_address = host(c.addr))
    ORDER BY c.addr LIMIT ${count}
  )
  SELECT ${firstIndex} - 1 + row_number() OVER (ORDER BY ip::inet) AS n, ip, gen_random_uuid()::text AS id FROM free;
ALTER TABLE fill_new ADD COLUMN sa_id bigint;
UPDATE fill_new SET sa_id = nextval('standardattributes_id_seq');
DO $$ BEGIN
  IF (SELECT count(*) FROM fill_new) < ${count} THEN RAISE EXCEPTION 'the subnet has fewer than ${count} free addresses'; END IF;
END $$;
INSERT INTO standardattributes (id, resource_type, created_at, updated_at, description, revision_number)
  SELECT sa_id, 'ports', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc', '', 1 FROM fill_new;
INSERT INTO ports (project_id, id, name, network_id, mac_address, admin_state_up, status, device_id, device_owner, standard_attr_id, ip_allocation)
  SELECT t.project_id, f.id, 'bench-' || f.n, t.network_id,
         'fa:16:3f:' || substr(lpad(to_hex(f.n), 6, '0'), 1, 2) || ':' || substr(lpad(to_hex(f.n), 6, '0'), 3, 2) || ':' || substr(lpad(to_hex(f.n), 6, '0'), 5, 2),
         t.admin_state_up, t.status, t.device_id, t.device_owner, f.sa_id, t.ip_allocation
  FROM fill_new f, fill_template t;
INSERT INTO ipallocations (port_id, ip_address, subnet_id, network_id)
  SELECT f.id, f.ip, t.subnet_id, t.network_id FROM fill_new f, fill_template t;
INSERT INTO ipamallocations (ip_address, status, ipam_subnet_id)
  SELECT f.ip, 'ALLOCATED', t.ipam_subnet_id FROM fill_new f, fill_template t;
INSERT INTO ml2_port_bindings (port_id, host, vif_type, vnic_type, profile, vif_details, status)
  SELECT f.id, b.host, b.vif_type, b.vnic_type, b.profile, b.vif_details, b.status
  FROM fill_new f, fill_template t JOIN ml2_port_bindings b ON b.port_id = t.port_id;
INSERT INTO portsecuritybindings (port_id, port_security_enabled)
  SELECT f.id, b.port_security_enabled FROM fill_new f, fill_template t JOIN portsecuritybindings b ON b.port_id = t.port_id;
INSERT INTO securitygroupportbindings (port_id, security_group_id)
  SELECT f.id, b.security_group_id FROM fill_new f, fill_template t JOIN securitygroupportbindings b ON b.port_id = t.port_id;
COMMIT;
ANALYZE;
`;
}

/** Adds `count` ports to the benchmark network in neutron-server's database. */
export async function topUpNeutronPorts(fill: NeutronTopUp): Promise<void> {
  await psql(fill.postgres, fill.database, { command: topUpSql(fill.networkId, fill.firstIndex, fill.count) });
}
