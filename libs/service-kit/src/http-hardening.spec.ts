import Fastify from 'fastify';
import { containsNul, hardenHttp } from './http-hardening';

describe('containsNul', () => {
  it('finds NUL in strings and keys at any depth, nothing else', () => {
    expect(containsNul({ a: [{ b: 'x\0' }] })).toBe(true);
    expect(containsNul({ ['k\0']: 1 })).toBe(true);
    expect(containsNul({ a: ['x', 1, null, true, { b: '\\u0000' }] })).toBe(false);
  });
});

describe('hardenHttp', () => {
  it('refuses a URL holding a NUL byte before any route runs', async () => {
    const app = Fastify();
    hardenHttp(app, 1024);
    let ran = 0;
    app.get('/echo/:id', async () => ({ ran: ++ran }));
    app.setErrorHandler((error: Error, _request, reply) => reply.status(400).send({ message: error.message }));
    const refused = await app.inject({ method: 'GET', url: '/echo/a%00b' });
    expect(refused.json()).toEqual({ message: 'NUL bytes are not allowed in the URL' });
    expect(ran).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/echo/ab' })).json()).toEqual({ ran: 1 });
    await app.close();
  });
});
