import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  CreateSessionRequestSchema,
  type ReplyOf,
  SessionIdSchema,
  type SessionQr,
  SessionQrSchema,
  SessionSubjects,
  type SessionView,
  SessionViewSchema,
  SimulatorInboundRequestSchema,
  SimulatorSubjects,
} from '@plugboard/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toBuffer } from 'qrcode';
import { AuditService } from '../audit/audit.service';
import { RequireRole } from '../auth/require-role.decorator';
import { allowedSessionIds, assertAllSessionsAllowed } from '../auth/session-scope';
import { apiJsonOrBinaryResponse } from '../openapi/api-content.decorators';
import { apiBody, apiResponse } from '../openapi/api-schema.decorators';
import { SessionReadCache } from './session-read-cache';
import { parseInput } from './session-request';
import type { SessionStats } from './session-stats';
import { SessionStatsService } from './session-stats.service';
import { type SessionStatusBody, SessionStatusCache } from './session-status-cache';
import { SessionsClient } from './sessions.client';
import { SessionStatsSchema, SessionStatusBodySchema, SimulatorInboundBodySchema } from './sessions.schemas';

/**
 * WhatsApp sessions: create, list, start/stop/logout, status, QR, and the simulator's controls.
 * Reads go through the caches; a change made here drops what it touched, so the caller reads its own write.
 */
@ApiTags('sessions')
@Controller('api/sessions')
export class SessionsController {
  constructor(
    private readonly client: SessionsClient,
    private readonly statusCache: SessionStatusCache,
    private readonly readCache: SessionReadCache,
    private readonly sessionStats: SessionStatsService,
    private readonly audit: AuditService,
  ) {}

  /** 201 with the new session; it starts at once unless `start: false`. Not for a key limited to some sessions. */
  @Post()
  @RequireRole('operator')
  @apiBody(CreateSessionRequestSchema)
  @apiResponse(201, SessionViewSchema)
  async create(@Req() request: FastifyRequest, @Body() body: unknown): Promise<SessionView> {
    assertAllSessionsAllowed(request, 'create sessions');
    const view = await this.client.request('sessions.create', parseInput(CreateSessionRequestSchema, body ?? {}, 'session'));
    await this.readCache.listChanged();
    await this.audit.record(request, 'session.created', view.id, { name: view.name, engine: view.engine });
    return view;
  }

  /** Only the sessions the key is scoped to, when it is; the cached list holds all of them. */
  @Get()
  @RequireRole('viewer')
  @apiResponse(200, SessionSubjects['sessions.list'].reply)
  async list(@Req() request: FastifyRequest): Promise<ReplyOf<'sessions.list'>> {
    const { sessions } = await this.readCache.list(() => this.client.request('sessions.list', {}));
    const allowed = allowedSessionIds(request);
    return { sessions: allowed ? sessions.filter((s) => allowed.includes(s.id)) : sessions };
  }

  /** Sessions and their message counts of the last 24 h. A static path: matched before `:id`, and no session id to the scope guard. */
  @Get('stats')
  @RequireRole('viewer')
  @apiResponse(200, SessionStatsSchema)
  stats(@Req() request: FastifyRequest): Promise<SessionStats> {
    return this.sessionStats.get(allowedSessionIds(request));
  }

  @Get(':id')
  @RequireRole('viewer')
  @apiResponse(200, SessionViewSchema)
  get(@Param('id') id: string): Promise<SessionView> {
    const valid = sessionId(id);
    return this.readCache.info(valid, () => this.client.request('sessions.get', { id: valid }));
  }

  /** Stops the session on its worker, then deletes it with its messages. */
  @Delete(':id')
  @RequireRole('operator')
  @apiResponse(200, SessionSubjects['sessions.delete'].reply)
  async delete(@Req() request: FastifyRequest, @Param('id') id: string): Promise<ReplyOf<'sessions.delete'>> {
    const valid = sessionId(id);
    const reply = await this.forgetAfter(valid, this.client.request('sessions.delete', { id: valid }));
    await this.audit.record(request, 'session.deleted', id);
    return reply;
  }

  @Post(':id/start')
  @HttpCode(200)
  @RequireRole('operator')
  @apiResponse(200, SessionViewSchema)
  start(@Param('id') id: string): Promise<SessionView> {
    const valid = sessionId(id);
    return this.forgetAfter(valid, this.client.request('sessions.start', { id: valid }));
  }

  @Post(':id/stop')
  @HttpCode(200)
  @RequireRole('operator')
  @apiResponse(200, SessionViewSchema)
  stop(@Param('id') id: string): Promise<SessionView> {
    const valid = sessionId(id);
    return this.forgetAfter(valid, this.client.request('sessions.stop', { id: valid }));
  }

  /** Logs out from WhatsApp (the next start needs a new QR scan) and stops the session. */
  @Post(':id/logout')
  @HttpCode(200)
  @RequireRole('operator')
  @apiResponse(200, SessionViewSchema)
  logout(@Param('id') id: string): Promise<SessionView> {
    const valid = sessionId(id);
    return this.forgetAfter(valid, this.client.command(valid, 'wa.session.logout', {}));
  }

  /** Served from the cache, which `session.status` events keep current. */
  @Get(':id/status')
  @RequireRole('viewer')
  @apiResponse(200, SessionStatusBodySchema)
  status(@Param('id') id: string): Promise<SessionStatusBody> {
    const valid = sessionId(id);
    return this.statusCache.get(valid, async () => {
      const session = await this.client.request('sessions.get', { id: valid });
      return { id: session.id, status: session.status };
    });
  }

  /** `{ qr, expiresAt }`, or the QR as a PNG image with `Accept: image/png`; 409 unless qr_ready. */
  @Get(':id/qr')
  @RequireRole('viewer')
  @apiJsonOrBinaryResponse(200, SessionQrSchema, 'image/png', '`{ qr, expiresAt }` while the session is qr_ready (409 otherwise); with `Accept: image/png`, the QR code as a PNG image', {
    'x-qr-expires-at': 'PNG only: when the QR code stops being valid (the `expiresAt` of the JSON answer)',
  })
  async qr(
    @Param('id') id: string,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionQr | Buffer> {
    const valid = sessionId(id);
    // Replaced by each `session.qr` event, dropped on a status change, never kept past its `expiresAt`.
    const qr = await this.readCache.qr(valid, () => this.client.command(valid, 'wa.session.qr', {}));
    if (!accept?.includes('image/png')) return qr;
    void reply.header('content-type', 'image/png').header('x-qr-expires-at', qr.expiresAt);
    return toBuffer(qr.qr, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
  }

  /** Simulator only: pairs the simulated phone as if the QR had been scanned. */
  @Post(':id/simulator/pair')
  @HttpCode(200)
  @RequireRole('admin')
  @apiResponse(200, SimulatorSubjects['wa.session.simulator.pair'].reply)
  pair(@Param('id') id: string): Promise<ReplyOf<'wa.session.simulator.pair'>> {
    const valid = sessionId(id);
    return this.client.command(valid, 'wa.session.simulator.pair', { sessionId: valid });
  }

  /** Simulator only: delivers a message as if a contact had sent it. */
  @Post(':id/simulator/inbound')
  @HttpCode(200)
  @RequireRole('admin')
  @apiBody(SimulatorInboundBodySchema)
  @apiResponse(200, SimulatorSubjects['wa.session.simulator.inbound'].reply)
  inbound(@Param('id') id: string, @Body() body: unknown): Promise<ReplyOf<'wa.session.simulator.inbound'>> {
    const valid = sessionId(id);
    const request = parseInput(SimulatorInboundRequestSchema, { ...(isObject(body) ? body : {}), sessionId: valid }, 'inbound message');
    return this.client.command(valid, 'wa.session.simulator.inbound', request);
  }

  /** `change`'s outcome, once everything cached about the session is dropped; also on failure, as a timed-out change may still have happened. */
  private async forgetAfter<T>(id: string, change: Promise<T>): Promise<T> {
    try {
      return await change;
    } finally {
      await this.readCache.forget(id);
    }
  }
}

function sessionId(raw: string): string {
  return parseInput(SessionIdSchema, raw, 'session id');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
