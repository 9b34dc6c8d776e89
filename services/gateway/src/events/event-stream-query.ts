import { ErrorCode, EVENT_TYPES, EVENTS_SUBJECT_ALL, type EventType, SessionIdSchema, eventSubject } from '@plugboard/contracts';
import { ServiceError } from '@plugboard/service-kit';
import { z } from 'zod';

/** What one SSE client asked for. */
export interface EventStreamQuery {
  /** Only these sessions; undefined for every session. */
  sessionIds?: ReadonlySet<string>;
  /** Only these event types; undefined for every type. */
  types?: ReadonlySet<EventType>;
  /** Resume after this stream sequence (`Last-Event-ID`); undefined for new events only. */
  lastEventId?: number;
}

const TYPES = new Set<string>(EVENT_TYPES);
const SequenceSchema = z.string().regex(/^\d{1,15}$/, 'a stream sequence (digits)').transform(Number);

/**
 * Parses `sessionId` (repeatable, or a comma list), `types` (comma list of event types) and
 * the resume point: the `Last-Event-ID` header, or `lastEventId` for EventSource polyfills
 * that cannot set headers. Anything malformed or unknown is 400 VALIDATION_FAILED.
 */
export function parseEventStreamQuery(query: Record<string, unknown>, lastEventIdHeader: string | undefined): EventStreamQuery {
  const issues: { path: string; message: string }[] = [];
  const unknownKeys = Object.keys(query).filter((key) => !['sessionId', 'types', 'lastEventId'].includes(key));
  for (const key of unknownKeys) issues.push({ path: key, message: 'unknown query parameter' });

  const sessionIds = list(query.sessionId);
  for (const id of sessionIds) {
    if (!SessionIdSchema.safeParse(id).success) issues.push({ path: 'sessionId', message: `"${id}" is not a session id` });
  }
  const types = list(query.types);
  for (const type of types) {
    if (!TYPES.has(type)) issues.push({ path: 'types', message: `"${type}" is not an event type (${EVENT_TYPES.join(', ')})` });
  }
  const rawResume = lastEventIdHeader ?? (typeof query.lastEventId === 'string' ? query.lastEventId : undefined);
  const resume = rawResume === undefined || rawResume === '' ? undefined : SequenceSchema.safeParse(rawResume.trim());
  if (resume && !resume.success) issues.push({ path: lastEventIdHeader !== undefined ? 'Last-Event-ID' : 'lastEventId', message: 'must be a stream sequence (digits)' });

  if (issues.length > 0) throw new ServiceError(ErrorCode.ValidationFailed, 'invalid event stream query', { issues });
  return {
    ...(sessionIds.length > 0 ? { sessionIds: new Set(sessionIds) } : {}),
    ...(types.length > 0 ? { types: new Set(types as EventType[]) } : {}),
    ...(resume?.success ? { lastEventId: resume.data } : {}),
  };
}

/**
 * The narrowest single subject filter covering the query (the stream takes one): exact for
 * one session and one type, else a wildcard; the connection filters the rest itself.
 */
export function subjectFilter(query: EventStreamQuery): string {
  const session = query.sessionIds?.size === 1 ? [...query.sessionIds][0] : '*';
  const type = query.types?.size === 1 ? [...query.types][0] : undefined;
  if (type) return eventSubject(session, type);
  // Types hold a dot (`message.sent`): every type of one session needs `>`, not `*`.
  return session === '*' ? EVENTS_SUBJECT_ALL : `${EVENTS_SUBJECT_ALL.slice(0, -1)}${session}.>`;
}

function list(value: unknown): string[] {
  const raw = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return raw
    .flatMap((item) => String(item).split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
