import type { z } from 'zod';

/** `true` only when A and B are the same type: assignable both ways is not enough (an extra optional field would pass). */
type SameType<A, B> = (<T>() => T extends Flat<A> ? 1 : 2) extends <T>() => T extends Flat<B> ? 1 : 2 ? true : false;
/** `A & B` and the object listing both are the same type to a reader, not to SameType. */
type Flat<T> = T extends object ? { [K in keyof T]: T[K] } : T;

/**
 * The zod schema documenting a response whose type is written in TypeScript (a view function's
 * return type): it does not compile unless what the schema parses is exactly that type, so the
 * document cannot drift from what the route returns. `schemaFor<WebhookView>()(z.object({ … }))`.
 */
export function schemaFor<T>() {
  return <S extends z.ZodType>(schema: S & (SameType<z.output<S>, T> extends true ? unknown : { schemaDiffersFrom: T })): S => schema;
}
