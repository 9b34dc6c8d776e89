import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import type { z } from 'zod';

/** Parses a body, param or query; a mismatch is 400 VALIDATION_FAILED listing every issue. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new ServiceError(ErrorCode.ValidationFailed, `invalid ${what}`, { issues });
}
