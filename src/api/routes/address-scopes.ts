/** /v2.0/address-scopes: the standard collection routes. */
import type { FastifyPluginAsync } from 'fastify';
import type { AddressScopeService } from '../../services/address-scopes.js';
import { AddressScope, AddressScopeCreate, AddressScopeUpdate } from '../schemas/address-scope.js';
import { registerCollectionRoutes } from './resource-routes.js';

/** Routes of the address scope resource family. */
export const addressScopeRoutes: FastifyPluginAsync<{ addressScopes: AddressScopeService }> = async (app, { addressScopes }) => {
  registerCollectionRoutes(
    app,
    { one: 'address_scope', many: 'address_scopes', path: 'address-scopes', create: AddressScopeCreate, update: AddressScopeUpdate, resource: AddressScope },
    addressScopes,
  );
};
