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
