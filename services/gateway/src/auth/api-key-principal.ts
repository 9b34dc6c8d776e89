import type { Role } from './roles';

/** Who made an authenticated request: set on `request.apiKey` by the API key guard. */
export interface ApiKeyPrincipal {
  id: string;
  name: string;
  role: Role;
  /** Sessions the key may touch; empty means every session. */
  sessionIds: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The key that authenticated this request, when it was authenticated. */
    apiKey?: ApiKeyPrincipal;
  }
}
