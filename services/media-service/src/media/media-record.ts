import type { MediaRecord } from '@plugboard/contracts';
import type { MediaEntity } from '@plugboard/database';

/** The row as the contracts describe it. */
export function toMediaRecord(row: MediaEntity): MediaRecord {
  return {
    id: row.id,
    sessionId: row.sessionId ?? null,
    messageId: row.messageId ?? null,
    direction: row.direction,
    key: row.key,
    mimeType: row.mimeType,
    size: Number(row.size),
    sha256: row.sha256,
    filename: row.filename ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Objects of the media table live under `media/<id>`; imports stage under their own prefix. */
export const MEDIA_KEY_PREFIX = 'media/';
export const STAGING_PREFIX = 'import-staging/';

export function mediaKey(id: string): string {
  return `${MEDIA_KEY_PREFIX}${id}`;
}
