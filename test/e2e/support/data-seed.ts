import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/sqlite';
import {
  ApiKeyEntity,
  AuditLogEntity,
  MediaEntity,
  MessageBatchEntity,
  SessionEntity,
  SimulatorDeviceEntity,
  SimulatorMessageEntity,
  WebhookEntity,
} from '@plugboard/database';

export const SEED_SESSION_IDS = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c'];
export const SEED_WEBHOOK_IDS = ['00000000-0000-4000-8000-0000000000w0', '00000000-0000-4000-8000-0000000000w1'];
/** The previous secret of the first seed webhook (the second has none). */
export const SEED_PREVIOUS_WEBHOOK_SECRET = 'whsec_cHJldmlvdXMtcHJldmlvdXMtcHJldmlvdXMtcHJldmlvdXM=';

/**
 * A few rows in every table but messages, with the value kinds that differ between SQLite and
 * PostgreSQL (dates, JSON, booleans, bigints past 2^32) and secrets.
 */
export async function seedSmallTables(orm: MikroORM): Promise<void> {
  const em = orm.em.fork();
  const at = new Date('2024-05-01T10:00:00.123Z');
  SEED_SESSION_IDS.forEach((id, i) =>
    em.create(SessionEntity, { id, name: `seed-${i}`, engine: 'simulator', status: 'stopped', config: { i, tags: ['a', 'b'] }, connectedAt: at, createdAt: at, updatedAt: at }),
  );
  await em.flush();
  em.create(MessageBatchEntity, { id: '00000000-0000-4000-8000-0000000000b1', sessionId: SEED_SESSION_IDS[0], total: 3, delayMs: 100, createdAt: at, updatedAt: at });
  for (let i = 0; i < 2; i++) {
    em.create(WebhookEntity, {
      id: SEED_WEBHOOK_IDS[i],
      sessionId: SEED_SESSION_IDS[i],
      url: `https://hooks.example.com/${i}`,
      events: ['*'],
      secret: `whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LSR${i}`,
      // The first one was rotated: its previous secret signs until a week after.
      ...(i === 0 ? { previousSecret: SEED_PREVIOUS_WEBHOOK_SECRET, previousSecretExpiresAt: new Date(at.getTime() + 7 * 86_400_000) } : {}),
      headers: { authorization: `Bearer token-${i}` },
      active: i === 0,
      retryAttempts: 5,
      retryBackoffMs: 1000,
      createdAt: at,
      updatedAt: at,
    });
  }
  for (let i = 0; i < 3; i++) {
    em.create(ApiKeyEntity, { name: `key-${i}`, prefix: `pb_k${i}`, hash: `${i}`.repeat(64), role: i === 0 ? 'admin' : 'viewer', sessionIds: i === 2 ? [SEED_SESSION_IDS[0]] : [], createdAt: at });
    em.create(AuditLogEntity, { action: 'key.created', target: `key-${i}`, details: { n: i }, at });
  }
  em.create(MediaEntity, { direction: 'inbound', key: 'media/a.jpg', mimeType: 'image/jpeg', size: 5_000_000_000, sha256: 'a'.repeat(64), sessionId: SEED_SESSION_IDS[0], createdAt: at });
  em.create(SimulatorDeviceEntity, { sessionId: SEED_SESSION_IDS[0], paired: true, phone: '15550001', pairedAt: at, updatedAt: at });
  em.create(SimulatorMessageEntity, { sessionId: SEED_SESSION_IDS[0], waMessageId: 'wa-1', chatId: 'c@c.us', direction: 'out', type: 'text', body: 'hi', ack: 'read', createdAt: at });
  await em.flush();
  const knex = (orm.em.getConnection() as unknown as AbstractSqlConnection).getKnex();
  const sqlite = orm.config.get('dbName')?.toString().endsWith('.sqlite');
  await knex.raw(
    `insert into webhook_deliveries (id, webhook_id, session_id, event_id, event_type, payload, status, round, attempts, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ['d1', SEED_WEBHOOK_IDS[0], SEED_SESSION_IDS[0], 'e1', 'message.received', '{"x":1}', 'delivered', 0, '[]', sqlite ? +at : at, sqlite ? +at : at],
  );
  await knex.raw(`insert into webhook_cursors (stream, last_seq, updated_at) values (?, ?, ?)`, ['EVENTS', 9_007_199_254, sqlite ? +at : at]);
}

/** `count` messages spread over the seed sessions, written by one INSERT … SELECT (not row by row). */
export async function seedMessages(orm: MikroORM, dialect: 'sqlite' | 'postgres', count: number): Promise<void> {
  const knex = (orm.em.getConnection() as unknown as AbstractSqlConnection).getKnex();
  const [a, b, c] = SEED_SESSION_IDS;
  const columns =
    'id, session_id, wa_message_id, chat_id, "from", "to", direction, type, body, payload, status, timeline, created_at, updated_at, sent_at, due_at, lease_generation';
  if (dialect === 'sqlite') {
    await knex.raw(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})
       insert into messages (${columns})
       select printf('00000000-0000-4000-9000-%012d', i), case i % 3 when 0 then '${a}' when 1 then '${b}' else '${c}' end, 'wa-' || i, 'chat-' || (i % 50) || '@c.us',
              'me', 'chat-' || (i % 50), case i % 2 when 0 then 'incoming' else 'outgoing' end, 'text', 'message body number ' || i || ' ✓',
              '{"n":' || i || ',"caption":"é"}', 'sent', '[{"status":"sent","at":"2024-05-01T10:00:00.000Z"}]',
              1714557600000 + i, 1714557600000 + i, case when i % 2 = 1 then 1714557600500 + i else null end, 1714557600000 + i, i % 7
       from n`,
    );
    return;
  }
  await knex.raw(
    `insert into messages (${columns})
     select '00000000-0000-4000-9000-' || lpad(i::text, 12, '0'), case i % 3 when 0 then '${a}' when 1 then '${b}' else '${c}' end, 'wa-' || i, 'chat-' || (i % 50) || '@c.us',
            'me', 'chat-' || (i % 50), case i % 2 when 0 then 'incoming' else 'outgoing' end, 'text', 'message body number ' || i || ' ✓',
            jsonb_build_object('n', i, 'caption', 'é'), 'sent', '[{"status":"sent","at":"2024-05-01T10:00:00.000Z"}]'::jsonb,
            to_timestamp((1714557600000 + i) / 1000.0), to_timestamp((1714557600000 + i) / 1000.0),
            case when i % 2 = 1 then to_timestamp((1714557600500 + i) / 1000.0) else null end, to_timestamp((1714557600000 + i) / 1000.0), i % 7
     from generate_series(1, ${count}) as i`,
  );
}
