import { EngineError, errorMessage } from './engine.errors';

/** The reason a person reads when the browser is not where the config says. */
export function chromiumMissingReason(executablePath: string): string {
  return `Chromium not found at ${executablePath}: install chromium or set PUPPETEER_EXECUTABLE_PATH`;
}

/** Chromium's network errors (`net::ERR_NAME_NOT_RESOLVED`, `net::ERR_CONNECTION_REFUSED`, …). */
const NETWORK_ERROR = /net::ERR_[A-Z_]+/;
/** How puppeteer says the executable could not be started. */
const LAUNCH_MISSING = /ENOENT|Browser was not found|Could not find Chrome|Failed to launch the browser process.*(No such file|not found)/is;

/** Turns a failed whatsapp-web.js start into a reason a person can act on. */
export function startFailureReason(error: unknown, executablePath: string): string {
  const message = errorMessage(error);
  const network = NETWORK_ERROR.exec(message);
  if (network) return `WhatsApp Web (web.whatsapp.com) could not be reached: ${network[0]}`;
  if (LAUNCH_MISSING.test(message)) return chromiumMissingReason(executablePath);
  const firstLine = message.split('\n')[0];
  if (/Failed to launch the browser process/i.test(message)) return `Chromium at ${executablePath} could not start: ${firstLine}`;
  return `whatsapp-web.js failed to start: ${firstLine}`;
}

/** whatsapp-web.js's words for a message id it cannot find: a quote (with ignoreQuoteErrors off) or a malformed id. */
const TARGET_UNKNOWN = /Could not get the quoted message|Invalid serialized message id/i;

/** The message to quote or react to is not in WhatsApp: final, another try finds it no more. */
export function targetUnknown(waMessageId: string): EngineError {
  return EngineError.sendImpossible(`WhatsApp does not know message "${waMessageId}" (the one quoted or reacted to)`);
}

/** A failed whatsapp-web.js send as our error: final when it names a target WhatsApp does not know, else worth another try. */
export function sendFailureOf(error: unknown, targetId: string | undefined): EngineError {
  if (error instanceof EngineError) return error;
  const message = errorMessage(error);
  if (targetId && TARGET_UNKNOWN.test(message)) return targetUnknown(targetId);
  return EngineError.sendFailed(message);
}
