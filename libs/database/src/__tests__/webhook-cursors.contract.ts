import { uniqueName } from '@plugboard/testing';
import { WebhookCursorRepository } from '../repositories/webhook-cursor.repository';
import type { RepositoryContractContext } from './repositories.contract';

/** The webhook fan-out's durable positions in the events stream, on every database plug. */
export function runWebhookCursorsContract(plug: string, ctx: RepositoryContractContext): void {
  describe(`webhook cursors contract (${plug})`, () => {
    let cursors: WebhookCursorRepository;

    beforeEach(({ skip }) => {
      skip(!ctx.available(), `${plug} is unavailable`);
      cursors = new WebhookCursorRepository(ctx.orm());
    });

    it('moves forward only, whichever gateway advances it', async () => {
      const stream = uniqueName('stream');
      expect(await cursors.get(stream)).toBeUndefined();
      await cursors.advance(stream, 10);
      await Promise.all([cursors.advance(stream, 30), new WebhookCursorRepository(ctx.other()).advance(stream, 20)]);
      await cursors.advance(stream, 5);
      expect(await cursors.get(stream)).toBe(30);
    });

    it('starts over at a lower position for a stream that started over, and from nothing', async () => {
      const stream = uniqueName('stream');
      await cursors.advance(stream, 5_000);
      await cursors.startOver(stream, 0);
      expect(await cursors.get(stream)).toBe(0);
      await cursors.advance(stream, 3);
      expect(await cursors.get(stream)).toBe(3);

      const fresh = uniqueName('stream');
      await cursors.startOver(fresh, 7);
      expect(await cursors.get(fresh)).toBe(7);
    });
  });
}
