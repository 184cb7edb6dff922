/**
 * The one error catalog of the controller. Services throw these; the API's error handler turns each into
 * Neutron's fault body `{"NeutronError": {"type", "message", "detail"}}` with the status given here.
 * The `type` strings are Neutron's exception names, which clients (openstacksdk, Nova) match on.
 * It lives in `domain` (not `api`) because services throw these and may not import `api`.
 */

/** Base class: an error a client can act on, with Neutron's type name and HTTP status. */
export class AlcorError extends Error {
  /** Stable code for logs and metrics (`ALCOR_ERR_<TYPE>`). */
  readonly code: string;
  constructor(
    /** Neutron's fault type, e.g. `NetworkNotFound`. */
    readonly type: string,
    /** HTTP status the API answers with. */
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = type;
    this.code = `ALCOR_ERR_${type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
  }
}

type ErrorClass = new (message: string, options?: { cause?: unknown }) => AlcorError;

function define(type: string, status: number): ErrorClass {
  const cls = class extends AlcorError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(type, status, message, options);
    }
  };
  Object.defineProperty(cls, 'name', { value: type });
  return cls;
}

// 400: the request is malformed or its values are invalid.
/** Malformed body, wrong types, unknown attributes, bad filters (Neutron's generic webob 400). */
export const BadRequest = define('HTTPBadRequest', 400);
/** A value is well-formed but not acceptable (bad CIDR, pool outside subnet, ...). */
export const InvalidInput = define('InvalidInput', 400);
/** A requested fixed IP is not inside the named subnet. */
export const InvalidIpForSubnet = define('InvalidIpForSubnet', 400);
/** A requested fixed IP matches no subnet of the port's network. */
export const InvalidIpForNetwork = define('InvalidIpForNetwork', 400);
/** A fixed IP requested on a SLAAC / stateless DHCPv6 subnet, whose addresses are the hosts' own (EUI-64). */
export const AllocationOnAutoAddressSubnet = define('AllocationOnAutoAddressSubnet', 400);
/** A subnet named in fixed_ips does not belong to the port's network. */
export const InvalidSubnetForNetwork = define('InvalidInput', 400);

// 401/403: who is asking.
/** No or invalid credentials. */
export const Unauthorized = define('HTTPUnauthorized', 401);
/** The caller's role may not do this (admin-only attribute or action). */
export const PolicyNotAuthorized = define('PolicyNotAuthorized', 403);

// 404: the resource or route does not exist (or is not visible to the caller).
/** No such route. */
export const RouteNotFound = define('HTTPNotFound', 404);
/** No such network, or not visible. */
export const NetworkNotFound = define('NetworkNotFound', 404);
/** No such subnet, or not visible. */
export const SubnetNotFound = define('SubnetNotFound', 404);
/** No such port, or not visible. */
export const PortNotFound = define('PortNotFound', 404);
/** No such tag on the resource. */
export const TagNotFound = define('TagNotFound', 404);
/** No such extension alias. */
export const ExtensionNotFound = define('ExtensionNotFound', 404);

/** Method not supported on this path. */
export const MethodNotAllowed = define('HTTPMethodNotAllowed', 405);

// 409: the request conflicts with current state.
/** A network still has ports owned by devices. */
export const NetworkInUse = define('NetworkInUse', 409);
/** A subnet still has allocated IPs. */
export const SubnetInUse = define('SubnetInUse', 409);
/** A requested fixed IP is taken. */
export const IpAddressAlreadyAllocated = define('IpAddressAlreadyAllocated', 409);
/** No free address left in the subnet's pools. */
export const IpAddressGenerationFailure = define('IpAddressGenerationFailure', 409);
/** The MAC address is already used on this network. */
export const MacAddressInUse = define('MacAddressInUse', 409);
/** No MAC address could be generated. */
export const MacAddressGenerationFailure = define('MacAddressGenerationFailure', 409);

/** `If-Match: revision_number=N` did not match. */
export const RevisionNumberConstraintFailed = define('RevisionNumberConstraintFailed', 412);
/** The body exceeds the configured limit. */
export const RequestEntityTooLarge = define('HTTPRequestEntityTooLarge', 413);
/** The body is not JSON. */
export const UnsupportedMediaType = define('HTTPUnsupportedMediaType', 415);

/** Anything unexpected: a bug, never a client's fault. */
export const InternalServerError = define('HTTPInternalServerError', 500);

/** The requested VNI is taken by another network. */
export const TunnelIdInUse = define('TunnelIdInUse', 409);
/** The requested VLAN id is taken on that physical network. */
export const VlanIdInUse = define('VlanIdInUse', 409);
/** A flat network already uses that physical network. */
export const FlatNetworkInUse = define('FlatNetworkInUse', 409);
/** The segmentation id range of a network type is exhausted. */
export const NoNetworkAvailable = define('NoNetworkAvailable', 409);
/** A port owned by a router or floating IP cannot be deleted through the port API. */
export const ServicePortInUse = define('ServicePortInUse', 409);
/** Allowed address pairs need port security. */
export const AddressPairAndPortSecurityRequired = define('AddressPairAndPortSecurityRequired', 409);
/** An allowed address pair is given twice. */
export const DuplicateAddressPairInRequest = define('DuplicateAddressPairInRequest', 400);

// Security groups, routers, floating IPs and quotas.
/** Neutron's own generic bad request (`n_exc.BadRequest`), distinct from webob's HTTPBadRequest. */
export const NeutronBadRequest = define('BadRequest', 400);
/** Creating (or renaming to) a group called `default`. */
export const SecurityGroupDefaultAlreadyExists = define('SecurityGroupDefaultAlreadyExists', 409);
/** Renaming the default group. */
export const SecurityGroupCannotUpdateDefault = define('SecurityGroupCannotUpdateDefault', 409);
/** Deleting the default group (non-admin). */
export const SecurityGroupCannotRemoveDefault = define('SecurityGroupCannotRemoveDefault', 409);
/** No such security group, or not visible. */
export const SecurityGroupNotFound = define('SecurityGroupNotFound', 404);
/** No such security group rule, or not visible. */
export const SecurityGroupRuleNotFound = define('SecurityGroupRuleNotFound', 404);
/** A port still uses the group. */
export const SecurityGroupInUse = define('SecurityGroupInUse', 409);
/** An equal rule exists in the group. */
export const SecurityGroupRuleExists = define('SecurityGroupRuleExists', 409);
/** Protocol is neither a known name nor a number 0-255. */
export const SecurityGroupRuleInvalidProtocol = define('SecurityGroupRuleInvalidProtocol', 400);
/** Ethertype is neither IPv4 nor IPv6. */
export const SecurityGroupRuleInvalidEtherType = define('SecurityGroupRuleInvalidEtherType', 400);
/** port_range_min > port_range_max. */
export const SecurityGroupInvalidPortRange = define('SecurityGroupInvalidPortRange', 400);
/** A port outside 1-65535. */
export const SecurityGroupInvalidPortValue = define('SecurityGroupInvalidPortValue', 400);
/** ICMP type or code outside 0-255. */
export const SecurityGroupInvalidIcmpValue = define('SecurityGroupInvalidIcmpValue', 400);
/** ICMP code without type. */
export const SecurityGroupMissingIcmpType = define('SecurityGroupMissingIcmpType', 400);
/** Port range without a protocol. */
export const SecurityGroupProtocolRequiredWithPorts = define('SecurityGroupProtocolRequiredWithPorts', 400);
/** Port range on a protocol without ports. */
export const SecurityGroupInvalidProtocolForPort = define('SecurityGroupInvalidProtocolForPort', 400);
/** The same rule twice in one bulk create. */
export const DuplicateSecurityGroupRuleInPost = define('DuplicateSecurityGroupRuleInPost', 409);
/** remote_group_id and remote_ip_prefix together. */
export const SecurityGroupRemoteGroupAndRemoteIpPrefix = define('SecurityGroupRemoteGroupAndRemoteIpPrefix', 400);
/** remote_ip_prefix of the other IP version than ethertype. */
export const SecurityGroupRuleParameterConflict = define('SecurityGroupRuleParameterConflict', 400);
/** ICMPv6 with IPv4 (or the reverse). */
export const SecurityGroupEthertypeConflictWithProtocol = define('SecurityGroupEthertypeConflictWithProtocol', 400);
/** Security groups on a port without port security. */
export const PortSecurityAndIPRequiredForSecurityGroups = define('PortSecurityAndIPRequiredForSecurityGroups', 400);
/** The project's quota for a resource would be exceeded. */
export const OverQuota = define('OverQuota', 409);
/** No such router, or not visible. */
export const RouterNotFound = define('RouterNotFound', 404);
/** The router still has interfaces. */
export const RouterInUse = define('RouterInUse', 409);
/** The router has no interface on that port. */
export const RouterInterfaceNotFound = define('RouterInterfaceNotFound', 404);
/** The router has no interface on that subnet. */
export const RouterInterfaceNotFoundForSubnet = define('RouterInterfaceNotFoundForSubnet', 404);
/** A floating IP still needs this router interface. */
export const RouterInterfaceInUseByFloatingIP = define('RouterInterfaceInUseByFloatingIP', 409);
/** A floating IP still needs this router's gateway. */
export const RouterExternalGatewayInUseByFloatingIp = define('RouterExternalGatewayInUseByFloatingIp', 409);
/** Extra routes invalid (nexthop not on an attached subnet, bad destination). */
export const InvalidRoutes = define('InvalidRoutes', 400);
/** A route still uses a nexthop on the interface being removed. */
export const RouterInterfaceInUseByRoute = define('RouterInterfaceInUseByRoute', 409);
/** The port is owned by a device already. */
export const PortInUse = define('PortInUse', 409);
/** No such floating IP, or not visible. */
export const FloatingIPNotFound = define('FloatingIPNotFound', 404);
/** No router connects the port's subnet to the floating network. */
export const ExternalGatewayForFloatingIPNotFound = define('ExternalGatewayForFloatingIPNotFound', 404);
/** The fixed IP already has a floating IP. */
export const FloatingIPPortAlreadyAssociated = define('FloatingIPPortAlreadyAssociated', 409);
/** Keystone could not be reached to validate a token. */
export const AuthServiceUnavailable = define('HTTPServiceUnavailable', 503);
/** The port's MAC cannot change while it is bound to a host. */
export const PortBound = define('PortBound', 409);
/** A network create gives both `segments` and provider attributes. */
export const SegmentsSetInConjunctionWithProviders = define('SegmentsSetInConjunctionWithProviders', 400);
/** An availability_zone_hints entry names a zone no host reports. */
export const AvailabilityZoneNotFound = define('AvailabilityZoneNotFound', 404);
/** No such agent (host registry, GET /v2.0/agents/{id}). */
export const AgentNotFound = define('AgentNotFound', 404);
/** The replica is not ready (a dependency is unreachable, or it is draining for shutdown): GET /readyz. */
export const ServiceUnavailable = define('ServiceUnavailable', 503);

// Subnet pools, address scopes and RBAC policies.
/** No such subnet pool, or not visible. */
export const SubnetPoolNotFound = define('SubnetPoolNotFound', 404);
/** No such address scope, or not visible. */
export const AddressScopeNotFound = define('AddressScopeNotFound', 404);
/** No such RBAC policy, or not visible. */
export const RbacPolicyNotFound = define('RbacPolicyNotFound', 404);
/** Subnets were allocated from the pool (Neutron answers 400 here). */
export const SubnetPoolDeleteError = define('SubnetPoolDeleteError', 400);
/** A pool needs at least one prefix. */
export const EmptySubnetPoolPrefixList = define('EmptySubnetPoolPrefixList', 400);
/** A pool's prefixes are of one IP version. */
export const PrefixVersionMismatch = define('PrefixVersionMismatch', 400);
/** A subnet asked of a pool is larger than its min_prefixlen allows. */
export const MinPrefixSubnetAllocationError = define('MinPrefixSubnetAllocationError', 400);
/** A subnet asked of a pool is smaller than its max_prefixlen allows. */
export const MaxPrefixSubnetAllocationError = define('MaxPrefixSubnetAllocationError', 400);
/** Subnet pools are associated with the address scope. */
export const AddressScopeInUse = define('AddressScopeInUse', 409);
/** The pool has no free prefix of the requested size (Neutron answers 500 here; it is the pool's state, not a bug). */
export const SubnetAllocationError = define('SubnetAllocationError', 409);
/** The project's share of a pool (`default_quota`) would be exceeded. */
export const SubnetPoolQuotaExceeded = define('SubnetPoolQuotaExceeded', 409);
/** A pool's prefix lengths out of order or out of range. */
export const IllegalSubnetPoolPrefixBounds = define('IllegalSubnetPoolPrefixBounds', 400);
/** An update would drop prefixes, or a removed prefix still holds subnets. */
export const IllegalSubnetPoolPrefixUpdate = define('IllegalSubnetPoolPrefixUpdate', 400);
/** Pools in one address scope must not overlap; the pool's prefixes collide with another's. */
export const AddressScopePrefixConflict = define('AddressScopePrefixConflict', 409);
/** Pool and address scope are of different IP versions. */
export const IllegalSubnetPoolIpVersionAssociationToAddressScope = define('IllegalSubnetPoolIpVersionAssociationToAddressScope', 400);
/** The address scope is neither the pool owner's nor shared with it. */
export const IllegalSubnetPoolAssociationToAddressScope = define('IllegalSubnetPoolAssociationToAddressScope', 400);
/** Subnets of one IP version on a network must come from the same pool (or none). */
export const NetworkSubnetPoolAffinityError = define('NetworkSubnetPoolAffinityError', 400);
/** Subnets of one IP version on a network must belong to the same address scope. */
export const NetworkAddressScopeAffinityError = define('NetworkAddressScopeAffinityError', 400);
/** An equal RBAC entry exists. */
export const DuplicateRbacPolicy = define('DuplicateRbacPolicy', 409);
/** The action does not apply to the object type (access_as_external on a security group). */
export const InvalidActionForType = define('InvalidActionForType', 400);
/** Removing the entry would strand another project's ports, subnets or pools on the object. */
export const RbacPolicyInUse = define('RbacPolicyInUse', 409);
/** A shared address scope cannot be unshared. */
export const AddressScopeUpdateError = define('AddressScopeUpdateError', 400);
/** Unsharing a network other projects still use. */
export const InvalidSharedSetting = define('InvalidSharedSetting', 409);

// Multiple port bindings (binding-extended), with Neutron's exception names.
/** The port already has a binding (active or inactive) for the host. */
export const PortBindingAlreadyExists = define('PortBindingAlreadyExists', 409);
/** The binding to activate is the active one already. */
export const PortBindingAlreadyActive = define('PortBindingAlreadyActive', 409);
/** No inactive binding of the port for the host (or no such binding to show). */
export const PortBindingNotFound = define('PortBindingNotFound', 404);
/**
 * The port cannot be bound to the host: no live agent there, or a vnic_type the OVS agent does not serve.
 * Neutron answers this as a server error; it is the caller's request that cannot be met, hence 409 here.
 */
export const PortBindingError = define('PortBindingError', 409);
