import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { Role } from './roles';

export const REQUIRED_ROLE = 'plugboard:required-role';
export const PUBLIC_ROUTE = 'plugboard:public-route';

/** Security scheme names of the OpenAPI document. */
export const API_KEY_SCHEME = 'ApiKey';
export const BEARER_SCHEME = 'bearer';

/**
 * Marks a route (or controller) as needing an API key of at least `role`. The global API key
 * guard enforces it; routes under /api without it need an admin key (deny by default).
 */
export function RequireRole(role: Role): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    ApiSecurity(API_KEY_SCHEME),
    ApiBearerAuth(BEARER_SCHEME),
    ApiExtension('x-required-role', role),
  );
}

/** Opts a route under /api out of authentication (it is still rate limited per IP). */
export function PublicRoute(): MethodDecorator & ClassDecorator {
  return SetMetadata(PUBLIC_ROUTE, true);
}
