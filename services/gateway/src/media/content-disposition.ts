/**
 * `attachment; filename="<ascii>"; filename*=UTF-8''<encoded>` (RFC 6266 / 5987). The ASCII
 * fallback drops quotes, backslashes, controls and path separators, so no header injection
 * and no path can ride in on a stored file name.
 */
export function contentDisposition(filename: string | null, fallback: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = (filename ?? '').replace(/[\u0000-\u001f\u007f-\u009f/\\]/g, '_').trim();
  const name = cleaned === '' || cleaned === '.' || cleaned === '..' ? fallback : cleaned;
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
