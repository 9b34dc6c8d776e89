import type { MediaImportSummary } from '@plugboard/contracts';
import { UsageError } from '../cli-errors';
import type { Command } from '../command';
import { contentLengthOf, downloadToFile, uploadSource } from '../file-transfer';

/** `plugboard storage backup`: every media file with its metadata as one `.tar.gz`. */
export const storageBackupCommand: Command = {
  name: 'storage backup',
  summary: 'Download every media file as a .tar.gz backup',
  usage: 'storage backup --out FILE',
  help: ['--out FILE        where to write the archive; written to a temp file and renamed when complete'],
  options: { out: { type: 'string', short: 'o' } },
  args: [],
  async run(context, values) {
    const out = values.out as string | undefined;
    if (!out) throw new UsageError('--out FILE is required', 'storage backup');
    const response = await context.client().request('GET', '/api/infra/storage/export');
    const bytes = await downloadToFile(response, out, context.progress('backup', contentLengthOf(response)));
    context.out(`media backup: ${bytes} bytes written to ${out}`);
  },
};

/** `plugboard storage restore FILE`: puts the files of a backup back, all or nothing. */
export const storageRestoreCommand: Command = {
  name: 'storage restore',
  summary: 'Upload a media backup (.tar.gz) and restore its files',
  usage: 'storage restore FILE',
  help: ['FILE              an archive written by `plugboard storage backup`; files already present (same sha256) are skipped'],
  options: {},
  args: ['FILE'],
  async run(context, _values, [file]) {
    const source = await uploadSource(file);
    const client = context.client();
    const progress = context.progress('restore', source.size);
    let summary: MediaImportSummary;
    try {
      summary = await client.json<MediaImportSummary>('POST', '/api/infra/storage/import', {
        stream: source.open(progress),
        contentType: 'application/gzip',
        contentLength: source.size,
      });
    } catch (error) {
      progress.abort();
      throw error;
    }
    progress.finish();
    context.out(`media restore: ${summary.imported} imported, ${summary.skipped} already present, ${summary.failed} failed (${summary.bytes} bytes)`);
  },
};
