import { UsageError } from '../cli-errors';
import type { Command } from '../command';
import { uploadSource } from '../file-transfer';

const MODES = ['replace', 'merge'];

interface ImportReply {
  jobId?: string;
  mode?: string;
  tables?: unknown;
}

/** `plugboard import FILE`: streams an export file into the running installation. */
export const importCommand: Command = {
  name: 'import',
  summary: 'Upload a data export file into the database',
  usage: 'import FILE [--mode replace|merge] [--stop-sessions] [--passphrase P] [--allow-redacted]',
  help: [
    'FILE              an export written by `plugboard export`',
    '--mode merge      upsert every row by primary key (default)',
    '--mode replace    replace every table, all or nothing',
    '--stop-sessions   with replace: stop running sessions first instead of refusing',
    '--passphrase P    the passphrase the export was made with, when it holds encrypted secrets',
    '--allow-redacted  accept an export without secrets (webhooks get fresh secrets, keys stay unusable)',
  ],
  options: {
    mode: { type: 'string', default: 'merge' },
    'stop-sessions': { type: 'boolean', default: false },
    passphrase: { type: 'string' },
    'allow-redacted': { type: 'boolean', default: false },
  },
  args: ['FILE'],
  async run(context, values, [file]) {
    const mode = values.mode as string;
    if (!MODES.includes(mode)) throw new UsageError(`--mode must be replace or merge, not "${mode}"`, 'import');
    const source = await uploadSource(file);
    const client = context.client();
    const query = new URLSearchParams({ mode });
    if (values['stop-sessions']) query.set('stopSessions', 'true');
    if (values['allow-redacted']) query.set('allowRedacted', 'true');
    const passphrase = values.passphrase as string | undefined;
    const progress = context.progress('import', source.size);
    let reply: ImportReply;
    try {
      reply = await client.json<ImportReply>('POST', `/api/infra/import-data?${query}`, {
        stream: source.open(progress),
        contentType: 'application/gzip',
        contentLength: source.size,
        // A header, never the query string: URLs end up in access logs.
        headers: passphrase ? { 'x-export-passphrase': passphrase } : {},
      });
    } catch (error) {
      progress.abort();
      throw error;
    }
    progress.finish();
    context.out(`imported ${file} (mode ${reply?.mode ?? mode}${reply?.jobId ? `, job ${reply.jobId}` : ''})`);
    const tables = tableCounts(reply?.tables);
    for (const [table, rows] of tables) context.out(`  ${table.padEnd(24)} ${rows}`);
  },
};

/** `{ sessions: 3 }`, `[{ table, rows }]` or `{ sessions: { rows: 3 } }` as (table, count) pairs. */
function tableCounts(tables: unknown): [string, string][] {
  if (Array.isArray(tables)) {
    return tables.map((entry: Record<string, unknown>) => [String(entry.table ?? entry.name ?? '?'), countText(entry)]);
  }
  if (tables && typeof tables === 'object') return Object.entries(tables).map(([name, value]) => [name, countText(value)]);
  return [];
}

function countText(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const count = v.rows ?? v.count ?? v.imported;
    if (typeof count === 'number') return String(count);
  }
  return JSON.stringify(value);
}
