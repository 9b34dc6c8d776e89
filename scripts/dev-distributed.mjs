#!/usr/bin/env node
// Runs the four services as separate processes on the local NATS and Redis, each line of
// output prefixed by its service. Ctrl-C stops them all (SIGTERM, so they drain first).
import { spawn } from 'node:child_process';

const services = [
  { name: 'gateway', env: {} },
  { name: 'session-worker', env: { HTTP_PORT: '3001' } },
  { name: 'media-service', env: { HTTP_PORT: '3002' } },
  { name: 'infra-admin', env: { HTTP_PORT: '3003' } },
];

const shared = {
  BUS_TYPE: 'nats',
  NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  QUEUE_TYPE: 'bullmq',
  REDIS_HOST: process.env.REDIS_HOST ?? '127.0.0.1',
  REDIS_PORT: process.env.REDIS_PORT ?? '6379',
};

const children = services.map(({ name, env }) => {
  const child = spawn(process.execPath, [`dist/services/${name}/src/main.js`], {
    env: { ...shared, ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}]`.padEnd(17);
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) console.log(prefix, line);
    });
  }
  child.on('exit', (code, signal) => console.log(prefix, `exited (${signal ?? code})`));
  return child;
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
  });
}
await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
