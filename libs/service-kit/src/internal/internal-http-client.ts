import { ErrorCode } from '@plugboard/contracts';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';
import { ServiceError, isErrorCode } from '../service-kit.errors';
import { INTERNAL_TOKEN_HEADER } from './internal-token.guard';

export interface InternalHttpClientOptions {
  /** The peer's internal address (MEDIA_SERVICE_URL, INFRA_ADMIN_URL). */
  baseUrl: string;
  /** INTERNAL_TOKEN, sent as X-Internal-Token. */
  token?: string;
  /** The peer's name, for errors a person reads. */
  peer: string;
}

export interface InternalCall {
  method: 'GET' | 'POST';
  body?: Readable;
  headers?: Record<string, string>;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Calls to another service's internal HTTP port (byte streams that never travel on NATS).
 * Bodies stream both ways; the peer's coded errors come back as the same codes, and an
 * unreachable peer is SERVICE_UNAVAILABLE.
 */
export class InternalHttpClient {
  // No body or headers timeout: a large transfer, or an import answering after its commit, may take its time.
  private readonly agent = new Agent({ bodyTimeout: 0, headersTimeout: 0, keepAliveTimeout: 10_000 });

  constructor(private readonly options: InternalHttpClientOptions) {}

  /** The response when its status is one of `expected`; otherwise the peer's error, thrown. */
  async call(path: string, call: InternalCall, expected: number[]): Promise<Dispatcher.ResponseData> {
    const headers = { ...call.headers, ...(this.options.token ? { [INTERNAL_TOKEN_HEADER]: this.options.token } : {}) };
    let response: Dispatcher.ResponseData;
    try {
      response = await request(new URL(path, this.options.baseUrl), { ...call, headers, dispatcher: this.agent });
    } catch (error) {
      if (UNREACHABLE.has((error as { code?: string }).code ?? '')) {
        throw new ServiceError(ErrorCode.ServiceUnavailable, `${this.options.peer} unreachable at ${this.options.baseUrl}`);
      }
      throw error;
    }
    if (expected.includes(response.statusCode)) return response;
    throw await this.remoteError(response);
  }

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.agent.close();
  }

  private async remoteError(response: Dispatcher.ResponseData): Promise<ServiceError> {
    const text = await response.body.text().catch(() => '');
    try {
      const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
      if (error && isErrorCode(error.code) && typeof error.message === 'string') return new ServiceError(error.code, error.message, error.details);
    } catch {
      // Not our error shape: reported below.
    }
    return new ServiceError(ErrorCode.Internal, `${this.options.peer} answered ${response.statusCode}`);
  }
}
