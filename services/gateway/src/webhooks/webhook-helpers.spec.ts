import { createHmac } from 'node:crypto';
import { isRetryable, MAX_RETRY_DELAY_MS, retryDelayMs } from './webhook-retry';
import { webhookMatches } from './webhook-filter';
import { generateWebhookSecret, isValidWebhookSecret, signWebhook, webhookDeliveryId } from './webhook-signature';
import { CreateWebhookSchema } from './webhook.schemas';

describe('signWebhook (Standard Webhooks)', () => {
  it('matches a vector computed independently from the spec', () => {
    // Key bytes 0x00..0x17, written out by hand as the secret.
    const keyBytes = Buffer.from(Array.from({ length: 24 }, (_, i) => i));
    const secret = `whsec_${keyBytes.toString('base64')}`;
    expect(secret).toBe('whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX');
    const body = '{"id":"evt_1","type":"message.received"}';
    const expected = createHmac('sha256', keyBytes).update(`msg_abc.1700000000.${body}`).digest('base64');
    expect(signWebhook(secret, 'msg_abc', 1700000000, body)).toBe(`v1,${expected}`);
  });

  it('generates whsec_ secrets of 24 bytes that validate', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(isValidWebhookSecret(secret)).toBe(true);
    expect(isValidWebhookSecret('whsec_c2hvcnQ=')).toBe(false);
    expect(isValidWebhookSecret('secret')).toBe(false);
  });

  it('derives the same delivery id for the same webhook and event, a different one otherwise', () => {
    expect(webhookDeliveryId('w1', 'e1')).toBe(webhookDeliveryId('w1', 'e1'));
    expect(webhookDeliveryId('w1', 'e1')).not.toBe(webhookDeliveryId('w1', 'e2'));
    expect(webhookDeliveryId('w1', 'e1')).not.toBe(webhookDeliveryId('w2', 'e1'));
    expect(webhookDeliveryId('w1', 'e1')).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
  });
});

describe('webhookMatches', () => {
  const hook = { sessionId: 's1', events: ['message.received'], active: true };
  it.each([
    [hook, { sessionId: 's1', type: 'message.received' as const }, true],
    [hook, { sessionId: 's1', type: 'message.sent' as const }, false],
    [hook, { sessionId: 's2', type: 'message.received' as const }, false],
    [{ ...hook, events: ['*'] }, { sessionId: 's1', type: 'session.qr' as const }, true],
    [{ ...hook, active: false }, { sessionId: 's1', type: 'message.received' as const }, false],
  ])('%o gets %o: %s', (webhook, event, expected) => {
    expect(webhookMatches(webhook, event)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  it('doubles per try, with jitter inside [base/2, base]', () => {
    for (let attempt = 2; attempt <= 10; attempt++) {
      const base = 1000 * 2 ** (attempt - 2);
      expect(retryDelayMs(1000, attempt, () => 0)).toBe(base / 2);
      expect(retryDelayMs(1000, attempt, () => 0.999999)).toBeLessThanOrEqual(base);
      for (let i = 0; i < 50; i++) {
        const delay = retryDelayMs(1000, attempt);
        expect(delay).toBeGreaterThanOrEqual(base / 2);
        expect(delay).toBeLessThanOrEqual(base);
      }
    }
  });

  it('never exceeds the cap', () => {
    expect(retryDelayMs(1000, 40, () => 1)).toBe(MAX_RETRY_DELAY_MS);
  });
});

describe('isRetryable', () => {
  it.each([
    [null, true],
    [500, true],
    [503, true],
    [408, true],
    [429, true],
    [400, false],
    [401, false],
    [404, false],
    [410, false],
    [301, false],
  ])('status %s: %s', (status, expected) => {
    expect(isRetryable(status)).toBe(expected);
  });
});

describe('CreateWebhookSchema', () => {
  it('applies the defaults', () => {
    expect(CreateWebhookSchema.parse({ url: 'https://example.com/hook', events: ['*'] })).toEqual({
      url: 'https://example.com/hook',
      events: ['*'],
      headers: {},
      active: true,
      retry: { attempts: 8, backoffMs: 1000 },
    });
  });

  // Custom headers: webhook.schemas.spec.ts.
  it('refuses unknown event types and non-http URLs', () => {
    expect(CreateWebhookSchema.safeParse({ url: 'https://e.com/', events: ['nope'] }).success).toBe(false);
    expect(CreateWebhookSchema.safeParse({ url: 'ftp://e.com/', events: ['*'] }).success).toBe(false);
  });
});
