import type { PipeTransform } from '@nestjs/common';
import { ErrorCode } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { z } from 'zod';

/** One problem of a request, as listed in `error.details.issues`. */
export interface InputIssue {
  path: string;
  code: string;
  message: string;
}

/** A zod error as the issues a client can act on (field path, what was wrong). */
export function inputIssues(error: z.ZodError): InputIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    code: issue.code,
    message: issue.message,
  }));
}

/** Parses `value` with `schema`; 400 VALIDATION_FAILED listing every issue otherwise. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ServiceError(ErrorCode.ValidationFailed, `invalid ${what}`, { issues: inputIssues(result.error) });
}

/** Top-level objects refuse unknown fields; nested objects should be `z.strictObject` too. */
function strict<S extends z.ZodType>(schema: S): S {
  return (schema instanceof z.ZodObject ? schema.strict() : schema) as S;
}

class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    readonly schema: S,
    private readonly what: string,
  ) {}

  transform(value: unknown): z.output<S> {
    return parseInput(this.schema, value, this.what);
  }
}

/**
 * `@Body(zodBody(Schema))`: the body parsed by a strict zod object (unknown fields → 400,
 * wrong types → 400, each issue listed in `details.issues`). A missing body counts as `{}`.
 */
export function zodBody<S extends z.ZodType>(schema: S): PipeTransform<unknown, z.output<S>> {
  const pipe = new ZodPipe(strict(schema), 'request body');
  return { transform: (value: unknown) => pipe.transform(value ?? {}) };
}

/** `@Query(zodQuery(Schema))`: query parameters, strict like bodies (all values arrive as strings). */
export function zodQuery<S extends z.ZodType>(schema: S): PipeTransform<unknown, z.output<S>> {
  return new ZodPipe(strict(schema), 'query parameters');
}

/** `@Param(name, zodParam(Schema))`: one path parameter. */
export function zodParam<S extends z.ZodType>(schema: S): PipeTransform<unknown, z.output<S>> {
  return new ZodPipe(schema, 'path parameter');
}
