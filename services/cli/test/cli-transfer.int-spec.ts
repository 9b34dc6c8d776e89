import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@plugboard/testing';
import { runCli } from '../src/cli';

const KEY = 'pb_cli-stand-in-key';
const MiB = 1024 * 1024;

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bytes: number;
  sha256: string;
}

/**
 * A stand-in gateway on 127.0.0.1 speaking the two data routes as the real one does:
 * `GET /api/infra/export-data` (gzip stream, X-Job-Id) and `POST /api/infra/import-data`.
 */
class StandInGateway {
  readonly received: Received[] = [];
  exportBody = randomBytes(3 * MiB + 17);
  /** Cut the export off after this many bytes. */
  cutExportAt: number | undefined;
  /** Answer imports with this error at once, without reading the upload. */
  importRefusal: { status: number; code: string; message: string } | undefined;
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.route(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.headers['x-api-key'] !== KEY) return json(response, 401, { error: { code: 'UNAUTHORIZED', message: 'a valid API key is required' } });
    const path = new URL(request.url ?? '/', this.base).pathname;
    if (request.method === 'GET' && path === '/api/infra/export-data') {
      this.received.push({ method: 'GET', url: request.url ?? '', headers: request.headers, bytes: 0, sha256: '' });
      response.writeHead(200, { 'content-type': 'application/gzip', 'x-job-id': 'job-export-1' });
      const body = this.exportBody;
      for (let offset = 0; offset < body.length; offset += 256 * 1024) {
        if (this.cutExportAt !== undefined && offset >= this.cutExportAt) {
          response.socket?.destroy();
          return;
        }
        if (!response.write(body.subarray(offset, offset + 256 * 1024))) await new Promise((resolve) => response.once('drain', resolve));
      }
      response.end();
      return;
    }
    if (request.method === 'POST' && path === '/api/infra/import-data') {
      if (this.importRefusal) {
        const { status, code, message } = this.importRefusal;
        return json(response, status, { error: { code, message } });
      }
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of request as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
      }
      this.received.push({ method: 'POST', url: request.url ?? '', headers: request.headers, bytes, sha256: hash.digest('hex') });
      const mode = new URL(request.url ?? '/', this.base).searchParams.get('mode');
      return json(response, 200, { jobId: 'job-import-1', mode, tables: { sessions: 3, messages: 1200 } });
    }
    json(response, 404, { error: { code: 'NOT_FOUND', message: `no route ${request.method} ${path}` } });
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Runs the CLI in this process and captures what it prints. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { isTTY: false, write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('plugboard export and import (against a stand-in gateway)', () => {
  const gateway = new StandInGateway();
  let dir: string;
  let auth: string[];

  beforeAll(async () => {
    await gateway.start();
    auth = ['--url', gateway.base, '--key', KEY];
  });

  afterAll(async () => {
    await gateway.stop();
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-cli-'));
    gateway.received.length = 0;
    gateway.cutExportAt = undefined;
    gateway.importRefusal = undefined;
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('streams the export into the file, sends the passphrase header and prints the job id', async () => {
    const out = join(dir, 'backup.ndjson.gz');
    const result = await cli(['export', '--out', out, '--passphrase', 'correct horse', ...auth]);
    expect(result.code, result.stderr).toBe(0);
    expect(sha256(readFileSync(out))).toBe(sha256(gateway.exportBody));
    expect(gateway.received[0].headers['x-export-passphrase']).toBe('correct horse');
    expect(result.stdout).toContain(`exported ${gateway.exportBody.length} bytes to ${out} (job job-export-1)`);
    // stderr is not a terminal here: plain progress lines, the last one with the total.
    expect(result.stderr).not.toContain('\r');
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^export {2}3\.0 MiB {2}.*\/s {2}in \d+s$/);
    expect(readdirSync(dir)).toEqual(['backup.ndjson.gz']);
  });

  it('takes the URL and key from PLUGBOARD_URL and PLUGBOARD_API_KEY', async () => {
    const out = join(dir, 'env.gz');
    const result = await cli(['export', '--out', out], { PLUGBOARD_URL: gateway.base, PLUGBOARD_API_KEY: KEY });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('leaves no file behind when the export is cut off mid-way, and exits 1', async () => {
    gateway.cutExportAt = MiB;
    const out = join(dir, 'cut.gz');
    writeFileSync(out, 'the previous export');
    const result = await cli(['export', '--out', out, ...auth]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/download to .* failed/);
    // The earlier file under that name is untouched, and no temp file is left.
    expect(readFileSync(out, 'utf8')).toBe('the previous export');
    expect(readdirSync(dir)).toEqual(['cut.gz']);
  });

  it('streams a file into the import route with the mode and stopSessions, and prints the table counts', async () => {
    const file = join(dir, 'in.gz');
    const data = randomBytes(5 * MiB + 3);
    writeFileSync(file, data);
    const result = await cli(['import', file, '--mode', 'replace', '--stop-sessions', '--allow-redacted', '--passphrase', 'p w', ...auth]);
    expect(result.code, result.stderr).toBe(0);
    const [received] = gateway.received;
    expect(received.url).toBe('/api/infra/import-data?mode=replace&stopSessions=true&allowRedacted=true');
    expect(received.headers['x-export-passphrase']).toBe('p w');
    expect(received.headers['content-type']).toBe('application/gzip');
    expect(received.headers['content-length']).toBe(String(data.length));
    expect({ bytes: received.bytes, sha256: received.sha256 }).toEqual({ bytes: data.length, sha256: sha256(data) });
    expect(result.stdout).toContain('imported');
    expect(result.stdout).toMatch(/messages\s+1200/);
    expect(result.stderr).toMatch(/import {2}\[#+\] {2}100% {2}5\.0 MiB \/ 5\.0 MiB/);
  });

  it('imports in merge mode by default', async () => {
    const file = join(dir, 'merge.gz');
    writeFileSync(file, randomBytes(1000));
    const result = await cli(['import', file, ...auth]);
    expect(result.code, result.stderr).toBe(0);
    expect(gateway.received[0].url).toBe('/api/infra/import-data?mode=merge');
  });

  it('prints the server error and exits 1 when the import is refused', async () => {
    gateway.importRefusal = { status: 409, code: 'CONFLICT', message: 'an export or import is already running' };
    const file = join(dir, 'refused.gz');
    writeFileSync(file, randomBytes(2 * MiB));
    const result = await cli(['import', file, ...auth]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CONFLICT: an export or import is already running (HTTP 409)');
    expect(result.stderr).toContain('{"error":{"code":"CONFLICT","message":"an export or import is already running"}}');
  });

  it('exits 1 with the server error for a wrong key', async () => {
    const result = await cli(['export', '--out', join(dir, 'x.gz'), '--url', gateway.base, '--key', 'wrong']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('UNAUTHORIZED');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('exits 1 when nothing listens at the URL', async () => {
    const port = await freePort();
    const result = await cli(['status', '--url', `http://127.0.0.1:${port}`, '--key', KEY]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`GET http://127.0.0.1:${port}/api/infra/status failed: ECONNREFUSED`);
  });

  it.each([
    [['export', ...['--key', KEY]], /--out FILE is required/],
    [['export', '--out'], /argument missing|requires a value|--out/],
    [['import'], /missing FILE/],
    [['import', '/nonexistent/file.gz', '--key', KEY], /cannot read \/nonexistent\/file\.gz/],
    [['import', 'a.gz', '--mode', 'upsert', '--key', KEY], /--mode must be replace or merge/],
    [['status', '--verbose'], /Unknown option '--verbose'/],
    [['drain'], /missing INSTANCE/],
    [['status', 'extra'], /unexpected argument "extra"/],
    [['status'], /an API key is required/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['storage', 'shred'], /unknown command "storage shred"/],
    [[], /usage: plugboard <command>/],
  ])('exits 2 on a wrong command line: %j', async (args, message) => {
    const result = await cli(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(gateway.received).toEqual([]);
  });

  it('has --help for each command, on stdout, exit 0', async () => {
    for (const args of [['--help'], ['export', '--help'], ['import', '-h'], ['migrate', '--help'], ['storage', 'backup', '--help'], ['storage', 'restore', '--help'], ['drain', '--help'], ['status', '--help'], ['storage', '--help']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toMatch(/usage: plugboard/);
    }
  });
});
