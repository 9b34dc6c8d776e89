import { ErrorCode } from '@plugboard/contracts';
import { EngineError } from './engine.errors';
import { chromiumMissingReason, sendFailureOf, startFailureReason, targetUnknown } from './wwebjs-failure';

describe('startFailureReason', () => {
  const path = '/usr/bin/chromium';

  it('names WhatsApp Web and the network error when the page cannot load', () => {
    expect(startFailureReason(new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/'), path)).toBe(
      'WhatsApp Web (web.whatsapp.com) could not be reached: net::ERR_NAME_NOT_RESOLVED',
    );
    expect(startFailureReason(new Error('net::ERR_CONNECTION_REFUSED at https://web.whatsapp.com/'), path)).toMatch(/ERR_CONNECTION_REFUSED$/);
  });

  it('says how to fix a missing browser', () => {
    const spawn = new Error('Failed to launch the browser process! spawn /opt/chrome ENOENT');
    expect(startFailureReason(spawn, '/opt/chrome')).toBe(chromiumMissingReason('/opt/chrome'));
    expect(chromiumMissingReason('/opt/chrome')).toBe('Chromium not found at /opt/chrome: install chromium or set PUPPETEER_EXECUTABLE_PATH');
  });

  it('keeps the first line of other launch failures', () => {
    const crash = new Error('Failed to launch the browser process!\n[123:ERROR] Missing X server\nTROUBLESHOOTING: ...');
    expect(startFailureReason(crash, path)).toBe(`Chromium at ${path} could not start: Failed to launch the browser process!`);
    expect(startFailureReason('boom', path)).toBe('whatsapp-web.js failed to start: boom');
  });
});

describe('sendFailureOf', () => {
  const target = 'true_4915123456789@c.us_3EB0GONE';

  it('makes a quote or reaction target WhatsApp does not know a final failure', () => {
    for (const error of [new Error('Could not get the quoted message.'), new Error('Evaluation failed: Error: Invalid serialized message id specified')]) {
      const failure = sendFailureOf(error, target);
      expect(failure).toMatchObject({ final: true, code: ErrorCode.SendFailed });
      expect(failure.message).toBe(`send failed: WhatsApp does not know message "${target}" (the one quoted or reacted to)`);
    }
    expect(targetUnknown(target).final).toBe(true);
  });

  it('keeps other failures worth another try, and our own errors as they are', () => {
    expect(sendFailureOf(new Error('Protocol error: Target closed'), target)).toMatchObject({ final: false, message: 'send failed: Protocol error: Target closed' });
    expect(sendFailureOf(new Error('Could not get the quoted message.'), undefined).final).toBe(false);
    const own = EngineError.sendImpossible('a location message needs a location');
    expect(sendFailureOf(own, target)).toBe(own);
  });
});
