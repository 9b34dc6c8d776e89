import { Entity, Enum, Index, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const API_KEY_ROLES = ['admin', 'operator', 'viewer'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/**
 * An API key of the HTTP API. Only the SHA-256 of the key is stored (keys are 32 random
 * bytes, so no slow hash is needed); `prefix` is what users see to tell keys apart.
 * Empty `sessionIds` means every session, empty `ipRanges` any client address.
 */
@Entity({ tableName: 'api_keys' })
@Index({ name: 'api_keys_role_index', properties: ['role', 'revokedAt'] })
export class ApiKeyEntity {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string & Opt = randomUUID();

  @Property({ type: 'string' })
  name!: string;

  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Property({ type: 'string', length: 64, unique: true })
  hash!: string;

  @Enum({ items: [...API_KEY_ROLES], type: 'string' })
  role!: ApiKeyRole;

  @Property({ type: 'json' })
  sessionIds: string[] & Opt = [];

  @Property({ type: 'json' })
  ipRanges: string[] & Opt = [];

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();

  /** Id of the key that created this one; null for the master key seeded at boot. */
  @Property({ type: 'string', nullable: true })
  createdBy?: string | null;
}
