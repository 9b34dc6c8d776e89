import { ArgumentsHost, Catch, ExceptionFilter, HttpException, LoggerService } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { ErrorBody, ErrorCode, ErrorResponse } from '@plugboard/contracts';
import type { FastifyReply } from 'fastify';
import { Observable, throwError } from 'rxjs';
import { errorCodeOfStatus, httpStatusOf, isErrorCode } from './service-kit.errors';

/**
 * The one filter for every error, mapping codes to HTTP statuses and to bus replies:
 * - HTTP: `{ error: { code, message, details? } }` for our coded errors, Nest's (unknown route
 *   → 404 NOT_FOUND) and Fastify's (bad JSON, body too large);
 * - bus: `{ code, message, details? }`, which the bus transport replies with.
 * Anything uncoded is logged here with its stack and answered as INTERNAL without it.
 */
@Catch()
export class CodedExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: LoggerService) {}

  /** Answers the HTTP request, or errors the bus handler's stream. */
  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return throwError(() => this.toRpcBody(exception));
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = this.toHttpResponse(exception);
    void reply.status(status).send(body);
  }

  private toRpcBody(exception: unknown): ErrorBody {
    const raw = exception instanceof RpcException ? exception.getError() : exception;
    const coded = codedBody(raw);
    if (coded) return coded;
    this.logUnexpected(exception);
    return { code: ErrorCode.Internal, message: 'internal error' };
  }

  private toHttpResponse(exception: unknown): { status: number; body: ErrorResponse } {
    const coded = codedBody(exception);
    if (coded) return { status: httpStatusOf(coded.code as ErrorCode), body: { error: coded } };
    const { statusCode } = (exception ?? {}) as { statusCode?: unknown };
    const status = exception instanceof HttpException ? exception.getStatus() : typeof statusCode === 'number' ? statusCode : 500;
    if (status >= 500) {
      this.logUnexpected(exception);
      return { status, body: { error: { code: ErrorCode.Internal, message: 'Internal server error' } } };
    }
    const message = exception instanceof Error ? exception.message : 'Bad request';
    return { status, body: { error: { code: errorCodeOfStatus(status), message } } };
  }

  private logUnexpected(exception: unknown): void {
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception), 'Errors');
  }
}

/** `{ code, message, details? }` when the error carries one of our codes, else undefined. */
function codedBody(error: unknown): ErrorBody | undefined {
  const { code, message, details } = (error ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
  if (!isErrorCode(code) || typeof message !== 'string') return undefined;
  return details === undefined ? { code, message } : { code, message, details };
}
