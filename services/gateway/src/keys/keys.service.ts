import { Injectable } from '@nestjs/common';
import { type ApiKeyEntity, ApiKeyRepository, apiKeyActive } from '@plugboard/database';
import type { FastifyRequest } from 'fastify';
import { ApiKeyStore } from '../auth/api-key-store';
import { generateApiKey } from '../auth/api-key-secret';
import { AuditService } from '../audit/audit.service';
import type { CreateKeyBody, CreatedKey, KeyView } from './keys.schemas';

/** Creating, listing and revoking API keys, each change audited. */
@Injectable()
export class KeysService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly store: ApiKeyStore,
    private readonly audit: AuditService,
  ) {}

  /** The plain key is returned here and never again; only its hash is stored. */
  async create(request: FastifyRequest, body: CreateKeyBody): Promise<CreatedKey> {
    const { key, prefix, hash } = generateApiKey();
    const row = await this.keys.create({
      name: body.name,
      role: body.role,
      prefix,
      hash,
      sessionIds: body.sessionIds,
      ipRanges: body.ipRanges,
      expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
      createdBy: request.apiKey?.id ?? null,
    });
    this.store.invalidate();
    await this.audit.record(request, 'key.created', row.id, { name: row.name, role: row.role });
    return { ...keyView(row), key };
  }

  async list(): Promise<KeyView[]> {
    return (await this.keys.list()).map((row) => keyView(row));
  }

  /** NOT_FOUND for an unknown id, CONFLICT for the last active admin key. */
  async revoke(request: FastifyRequest, id: string): Promise<KeyView> {
    const row = await this.keys.revoke(id);
    this.store.invalidate();
    await this.audit.record(request, 'key.revoked', id, { name: row.name, role: row.role });
    return keyView(row);
  }
}

/** What clients see of a key: never the hash. */
export function keyView(row: ApiKeyEntity, now = new Date()): KeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    sessionIds: [...row.sessionIds],
    ipRanges: [...row.ipRanges],
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy ?? null,
    active: apiKeyActive(row, now),
  };
}
