import { UsageError } from '../cli-errors';
import type { Command } from '../command';
import { contentLengthOf, downloadToFile } from '../file-transfer';

/** `plugboard export`: every user table as gzip-compressed NDJSON, streamed into a file. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'Download a data export (every table, gzip NDJSON) into a file',
  usage: 'export --out FILE [--passphrase P]',
  help: [
    '--out FILE        where to write the export; written to a temp file and renamed when complete',
    '--passphrase P    include secrets (webhook secrets, key hashes), encrypted with P; without it they are redacted',
  ],
  options: { out: { type: 'string', short: 'o' }, passphrase: { type: 'string' } },
  args: [],
  async run(context, values) {
    const out = values.out as string | undefined;
    if (!out) throw new UsageError('--out FILE is required', 'export');
    const passphrase = values.passphrase as string | undefined;
    const response = await context
      .client()
      .request('GET', '/api/infra/export-data', { headers: passphrase ? { 'x-export-passphrase': passphrase } : {} });
    const bytes = await downloadToFile(response, out, context.progress('export', contentLengthOf(response)));
    const job = response.headers.get('x-job-id');
    context.out(`exported ${bytes} bytes to ${out}${job ? ` (job ${job})` : ''}`);
  },
};
