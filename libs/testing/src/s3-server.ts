import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, tcpProbe } from './backends';
import { childServer } from './child-server';

export interface S3ServerOptions {
  /** Listen here instead of a free port. */
  port?: number;
  /** Keep the objects here instead of a fresh temp directory (which is then not deleted). */
  directory?: string;
}

export interface S3ServerHandle {
  /** `http://127.0.0.1:<port>`: use path-style requests, there is no DNS name. */
  endpoint: string;
  port: number;
  accessKey: 'S3RVER';
  secretKey: 'S3RVER';
  /** Stops the process; the directory stays so `restart()` brings the same objects back. */
  stop(): Promise<void>;
  /** Starts again (stopping first if running) on the same port with the same directory. */
  restart(): Promise<void>;
  /** Stops and deletes the temp directory it created. */
  dispose(): Promise<void>;
}

// Runs the s3rver CLI (argv[1]) and leaves when the parent's end of stdin closes.
const EXIT_WITH_PARENT = "process.stdin.on('close', () => process.exit(0)).resume(); require(process.argv[1]);";

/**
 * A private s3rver on 127.0.0.1 in a child process, so a test can stop and restart it and
 * its memory is not the test's. Resolves once it accepts connections. s3rver has no
 * multipart upload and does not check signatures.
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3ServerHandle> {
  const port = options.port ?? (await freePort());
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'plugboard-s3rver-'));
  const cli = require.resolve('s3rver/bin/s3rver.js');
  // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider.
  // The server also exits when its stdin closes, so it dies with a test worker that was killed outright.
  const args = ['--openssl-legacy-provider', '-e', EXIT_WITH_PARENT, cli, '-d', directory, '-a', '127.0.0.1', '-p', String(port), '--silent'];
  const server = childServer(
    `s3rver on port ${port}`,
    () => spawn(process.execPath, args, { stdio: ['pipe', 'ignore', 'pipe'] }),
    () => tcpProbe('127.0.0.1', port, 500),
  );
  // A test that crashes must not leave the server's files behind either.
  const removeDirectoryOnExit = () => {
    if (ownDirectory) rmSync(directory, { recursive: true, force: true });
  };
  process.once('exit', removeDirectoryOnExit);

  await server.start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    stop: server.stop,
    restart: server.restart,
    dispose: async () => {
      await server.dispose();
      process.removeListener('exit', removeDirectoryOnExit);
      removeDirectoryOnExit();
    },
  };
}
