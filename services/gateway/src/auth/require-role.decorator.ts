import { SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { AdminKeyGuard } from './admin-key.guard';
import type { Role } from './roles';

export const REQUIRED_ROLE = 'plugboard:required-role';

/**
 * Marks a route (or controller) as needing an API key of at least `role`. Every protected
 * route says so through this one decorator, so the key checks live in one guard.
 */
export function RequireRole(role: Role): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(REQUIRED_ROLE, role), UseGuards(AdminKeyGuard));
}
