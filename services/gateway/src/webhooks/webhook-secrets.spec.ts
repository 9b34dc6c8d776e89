import { createHmac, timingSafeEqual } from 'node:crypto';
import { RotateWebhookSecretSchema } from './webhook-secrets.schemas';
import { generateWebhookSecret, signWebhook, signatureHeader, signingSecrets } from './webhook-signature';

/** What a Standard Webhooks receiver does: any `v1,` entry of the header made with its secret passes. */
function verifies(secret: string, header: string, id: string, timestamp: number, body: string): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64'));
  return header.split(' ').some((entry) => {
    const [version, signature = ''] = entry.split(',');
    const given = Buffer.from(signature);
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

describe('signing with a rotated secret', () => {
  const [current, previous, stranger] = [generateWebhookSecret(), generateWebhookSecret(), generateWebhookSecret()];
  const body = '{"id":"evt_1","type":"message.received"}';
  const now = Date.parse('2026-03-01T12:00:00.000Z');
  const webhook = { secret: current, previousSecret: previous, previousSecretExpiresAt: new Date(now + 1_000) };

  it('signs with both secrets during the grace period, current first, each signature verifiable', () => {
    const secrets = signingSecrets(webhook, now);
    expect(secrets).toEqual([current, previous]);
    const header = signatureHeader(secrets, 'msg_1', 1700000000, body);
    expect(header.split(' ')).toEqual([signWebhook(current, 'msg_1', 1700000000, body), signWebhook(previous, 'msg_1', 1700000000, body)]);
    expect(verifies(current, header, 'msg_1', 1700000000, body)).toBe(true);
    expect(verifies(previous, header, 'msg_1', 1700000000, body)).toBe(true);
    expect(verifies(stranger, header, 'msg_1', 1700000000, body)).toBe(false);
    // Bound to the id, timestamp and body like a single signature.
    expect(verifies(previous, header, 'msg_2', 1700000000, body)).toBe(false);
    expect(verifies(previous, header, 'msg_1', 1700000001, body)).toBe(false);
  });

  it('signs with the current secret alone once the previous one expired', () => {
    for (const at of [now + 1_000, now + 60_000]) {
      const secrets = signingSecrets(webhook, at);
      expect(secrets).toEqual([current]);
      const header = signatureHeader(secrets, 'msg_1', 1700000000, body);
      expect(header).toBe(signWebhook(current, 'msg_1', 1700000000, body));
      expect(verifies(previous, header, 'msg_1', 1700000000, body)).toBe(false);
    }
  });

  it('signs with the current secret alone when there is no previous one, or no expiry for it', () => {
    expect(signingSecrets({ secret: current }, now)).toEqual([current]);
    expect(signingSecrets({ secret: current, previousSecret: null, previousSecretExpiresAt: new Date(now + 1_000) }, now)).toEqual([current]);
    expect(signingSecrets({ secret: current, previousSecret: previous, previousSecretExpiresAt: null }, now)).toEqual([current]);
  });
});

describe('RotateWebhookSecretSchema', () => {
  const issues = (input: unknown) => {
    const result = RotateWebhookSecretSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
  };

  it('takes an empty body: a generated secret, a day of grace', () => {
    expect(RotateWebhookSecretSchema.parse({})).toEqual({ graceSeconds: 86_400 });
  });

  it('takes a whsec_ secret of 24 to 64 bytes and a grace of 0 to 604800 seconds', () => {
    const secret = `whsec_${Buffer.alloc(64, 7).toString('base64')}`;
    expect(RotateWebhookSecretSchema.parse({ secret, graceSeconds: 0 })).toEqual({ secret, graceSeconds: 0 });
    expect(RotateWebhookSecretSchema.parse({ graceSeconds: 604_800 })).toEqual({ graceSeconds: 604_800 });
  });

  it.each([
    [{ secret: 'not-a-secret' }, 'secret'],
    [{ secret: `whsec_${Buffer.alloc(16).toString('base64')}` }, 'secret'],
    [{ secret: `whsec_${Buffer.alloc(65).toString('base64')}` }, 'secret'],
    [{ graceSeconds: -1 }, 'graceSeconds'],
    [{ graceSeconds: 604_801 }, 'graceSeconds'],
    [{ graceSeconds: 1.5 }, 'graceSeconds'],
    [{ graceSeconds: '60' }, 'graceSeconds'],
    [{ grace: 60 }, ''],
  ])('refuses %o (%s)', (input, path) => {
    expect(issues(input)).toEqual([path]);
  });
});
