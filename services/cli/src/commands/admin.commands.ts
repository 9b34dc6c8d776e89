import type { MigrateReply, ReplyOf } from '@plugboard/contracts';
import type { Command } from '../command';

/** `plugboard migrate`: applies pending database migrations now. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations (PostgreSQL; SQLite reports its synced version)',
  usage: 'migrate',
  help: [],
  options: {},
  args: [],
  async run(context) {
    const reply = await context.client().json<MigrateReply>('POST', '/api/infra/migrate');
    const applied = reply.applied.length ? `applied ${reply.applied.join(', ')}` : 'nothing to apply';
    context.out(`${reply.databaseType}: schema version ${reply.schemaVersion ?? 'none'}; ${applied}`);
  },
};

/** `plugboard drain INSTANCE`: a session-worker hands its sessions to the others. */
export const drainCommand: Command = {
  name: 'drain',
  summary: 'Make one session-worker release its sessions and take no new ones',
  usage: 'drain INSTANCE',
  help: ['INSTANCE          the instance id of a session-worker, as `plugboard status` lists it'],
  options: {},
  args: ['INSTANCE'],
  async run(context, _values, [instance]) {
    const reply = await context.client().json<ReplyOf<'worker.drain'>>('POST', '/api/infra/drain', { json: { instance } });
    context.out(`drained ${reply.instanceId}: ${reply.released} session(s) released to the other workers`);
  },
};
