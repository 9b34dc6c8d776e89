import { Body, Controller, Delete, Get, Param, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RequireRole } from '../auth/require-role.decorator';
import { apiBody, apiResponse } from '../openapi/api-schema.decorators';
import { zodBody, zodParam } from '../validation/zod-pipe';
import {
  type CreateKeyBody,
  CreateKeyBodySchema,
  type CreatedKey,
  CreatedKeySchema,
  KeyIdSchema,
  type KeyList,
  KeyListSchema,
  type KeyView,
  KeyViewSchema,
} from './keys.schemas';
import { KeysService } from './keys.service';

/** API keys with roles and scopes; admin only. */
@ApiTags('keys')
@Controller('api/keys')
@RequireRole('admin')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  /** 201 with the plain key, shown this once. */
  @Post()
  @apiBody(CreateKeyBodySchema)
  @apiResponse(201, CreatedKeySchema)
  create(@Req() request: FastifyRequest, @Body(zodBody(CreateKeyBodySchema)) body: CreateKeyBody): Promise<CreatedKey> {
    return this.keys.create(request, body);
  }

  /** Every key, revoked ones included; never a hash or a plain key. */
  @Get()
  @apiResponse(200, KeyListSchema)
  async list(): Promise<KeyList> {
    return { items: await this.keys.list() };
  }

  /** Revokes the key (kept for the audit trail); 409 for the last active admin key. */
  @Delete(':id')
  @apiResponse(200, KeyViewSchema)
  revoke(@Req() request: FastifyRequest, @Param('id', zodParam(KeyIdSchema)) id: string): Promise<KeyView> {
    return this.keys.revoke(request, id);
  }
}
