/** Who is making a request, as the services see it. Pure data; the API's auth plugin fills it. */
export interface RequestContext {
  /** The project the caller acts in (Neutron's tenant). */
  projectId: string;
  /** Lower-cased role names. */
  roles: readonly string[];
  /** True for the `admin` role: sees and changes every project's resources. */
  isAdmin: boolean;
}

/** A context with admin rights, for internal callers (migrations, tests, the CLI). */
export function adminContext(projectId: string): RequestContext {
  return { projectId, roles: ['admin'], isAdmin: true };
}
