import { chromiumMissingReason, startFailureReason } from './wwebjs-failure';

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
