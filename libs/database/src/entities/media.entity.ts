import { BigIntType, Entity, Enum, Index, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const MEDIA_ROW_DIRECTIONS = ['inbound', 'outbound'] as const;
export type MediaRowDirection = (typeof MEDIA_ROW_DIRECTIONS)[number];

/**
 * One file of the files socket. The row is the truth about what is stored: size and sha256
 * are what streamed into storage, so backups can write their manifest from this table
 * before reading a single object. `sessionId` is a plain column, not a foreign key: a file
 * outlives nothing but its retention, whatever happens to the session.
 */
@Entity({ tableName: 'media' })
@Index({ name: 'media_session_created_index', properties: ['sessionId', 'createdAt', 'id'] })
@Index({ name: 'media_created_index', properties: ['createdAt', 'id'] })
@Index({ name: 'media_retention_index', properties: ['direction', 'createdAt'] })
export class MediaEntity {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64, nullable: true })
  sessionId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  messageId?: string | null;

  @Enum({ items: [...MEDIA_ROW_DIRECTIONS], type: 'string' })
  direction!: MediaRowDirection;

  @Property({ type: 'string', length: 1024, unique: 'media_key_unique' })
  key!: string;

  @Property({ type: 'string', length: 255 })
  mimeType!: string;

  // Files past 2 GiB are possible; read back as a JS number (exact below 2^53).
  @Property({ type: new BigIntType('number') })
  size!: number;

  @Property({ type: 'string', length: 64 })
  sha256!: string;

  @Property({ type: 'string', length: 255, nullable: true })
  filename?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();
}
