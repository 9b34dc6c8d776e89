import { z } from 'zod';
import { schemaFor } from './schema-for-type';

interface View {
  id: string;
  retry: { attempts: number };
  deliveredAt: string | null;
  note?: string;
}

// The checks are the compiler's: each @ts-expect-error fails typecheck if that schema were accepted.
describe('schemaFor', () => {
  it('takes a schema that parses exactly the type, and returns it unchanged', () => {
    const schema = z.object({ id: z.string(), retry: z.object({ attempts: z.number() }), deliveredAt: z.string().nullable(), note: z.string().optional() });
    expect(schemaFor<View>()(schema)).toBe(schema);
    expect(schemaFor<View & { secret: string }>()(schema.extend({ secret: z.string() }))).toBeDefined();
  });

  it('refuses a missing, an extra (even optional), a nested extra and a wrongly nullable field', () => {
    const base = { id: z.string(), retry: z.object({ attempts: z.number() }), deliveredAt: z.string().nullable(), note: z.string().optional() };
    // @ts-expect-error deliveredAt is missing
    schemaFor<View>()(z.object({ id: base.id, retry: base.retry, note: base.note }));
    // @ts-expect-error the type has no `secret`
    schemaFor<View>()(z.object({ ...base, secret: z.string().optional() }));
    // @ts-expect-error retry has no `backoffMs`
    schemaFor<View>()(z.object({ ...base, retry: z.object({ attempts: z.number(), backoffMs: z.number().optional() }) }));
    // @ts-expect-error deliveredAt may be null
    schemaFor<View>()(z.object({ ...base, deliveredAt: z.string() }));
  });
});
