/**
 * Plugboard drives the system's Chromium (PUPPETEER_EXECUTABLE_PATH, default /usr/bin/chromium);
 * puppeteer must never download a browser of its own at install.
 */
module.exports = { skipDownload: true };
