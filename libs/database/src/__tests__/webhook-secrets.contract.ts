import { ErrorCode } from '@plugboard/contracts';
import { uniqueName } from '@plugboard/testing';
import { SessionRepository } from '../repositories/session.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import type { RepositoryContractContext } from './repositories.contract';

/** A webhook's secret rotation (current + previous with its expiry), on every database plug. */
export function runWebhookSecretsContract(plug: string, ctx: RepositoryContractContext): void {
  describe(`webhook secrets contract (${plug})`, () => {
    let sessions: SessionRepository;
    let webhooks: WebhookRepository;

    beforeEach(({ skip }) => {
      skip(!ctx.available(), `${plug} is unavailable`);
      sessions = new SessionRepository(ctx.orm());
      webhooks = new WebhookRepository(ctx.orm());
    });

    const newWebhook = async (secret: string) => {
      const session = await sessions.create({ name: uniqueName('s'), engine: 'simulator', desiredState: 'running' });
      return webhooks.create({ sessionId: session.id, url: 'https://hooks.example.com/a', events: ['*'], secret, headers: {}, active: true, retryAttempts: 3, retryBackoffMs: 10 });
    };

    it('starts without a previous secret', async () => {
      const webhook = await newWebhook('whsec_first');
      expect(await webhooks.get(webhook.id)).toMatchObject({ secret: 'whsec_first', previousSecret: null, previousSecretExpiresAt: null });
    });

    it('keeps the current secret as the previous one until the given time, and only the last one on a second rotation', async () => {
      const webhook = await newWebhook('whsec_first');
      const until = new Date('2030-01-02T03:04:05.678Z');
      const rotated = await webhooks.rotateSecret(webhook.id, 'whsec_second', until);
      expect(rotated).toMatchObject({ id: webhook.id, secret: 'whsec_second', previousSecret: 'whsec_first' });
      expect(rotated.previousSecretExpiresAt?.toISOString()).toBe(until.toISOString());
      expect(rotated.updatedAt.getTime()).toBeGreaterThanOrEqual(webhook.updatedAt.getTime());

      const later = new Date('2030-02-01T00:00:00.000Z');
      await webhooks.rotateSecret(webhook.id, 'whsec_third', later);
      const read = await webhooks.get(webhook.id);
      expect(read).toMatchObject({ secret: 'whsec_third', previousSecret: 'whsec_second' });
      expect(read?.previousSecretExpiresAt?.toISOString()).toBe(later.toISOString());
      // The other fields are untouched.
      expect(read).toMatchObject({ url: webhook.url, events: ['*'], active: true, retryAttempts: 3, retryBackoffMs: 10 });
    });

    it('keeps no previous secret when rotated without a grace period', async () => {
      const webhook = await newWebhook('whsec_first');
      await webhooks.rotateSecret(webhook.id, 'whsec_second', new Date(Date.now() + 60_000));
      const rotated = await webhooks.rotateSecret(webhook.id, 'whsec_third', null);
      expect(rotated).toMatchObject({ secret: 'whsec_third', previousSecret: null, previousSecretExpiresAt: null });
    });

    it('says NOT_FOUND for a webhook that does not exist', async () => {
      await expect(webhooks.rotateSecret('no-such-webhook', 'whsec_x', null)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    });

    it('leaves exactly one previous secret when two rotations race', async () => {
      const webhook = await newWebhook('whsec_first');
      const other = new WebhookRepository(ctx.other());
      const until = new Date(Date.now() + 60_000);
      await Promise.all([webhooks.rotateSecret(webhook.id, 'whsec_a', until), other.rotateSecret(webhook.id, 'whsec_b', until)]);
      const read = await webhooks.get(webhook.id);
      // Whichever ran second kept the first one's secret as the previous: never the original twice.
      expect([
        ['whsec_a', 'whsec_b'],
        ['whsec_b', 'whsec_a'],
      ]).toContainEqual([read?.secret, read?.previousSecret]);
    });
  });
}
