import { contentDisposition } from './content-disposition';

const ID = '3f1c5a2e-1111-4111-8111-111111111111';

describe('contentDisposition', () => {
  it('gives a plain name as both filename and filename*', () => {
    expect(contentDisposition('report.pdf', ID)).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
  });

  it('keeps non-ASCII names in filename* and replaces them in the ASCII fallback', () => {
    expect(contentDisposition('résumé €.txt', ID)).toBe(`attachment; filename="r_sum_ _.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC.txt`);
  });

  it('cannot be used to inject headers or parameters', () => {
    const header = contentDisposition('evil"\r\nSet-Cookie: a=b; x=%41.txt', ID);
    expect(header).not.toMatch(/[\r\n]/);
    const ascii = /filename="([^"]*)"/.exec(header)?.[1];
    expect(ascii).toBe('evil___Set-Cookie: a=b_ x=_41.txt');
    expect(header.split(';')).toHaveLength(3);
    expect(header).toContain(`filename*=UTF-8''evil%22__Set-Cookie%3A%20a%3Db%3B%20x%3D%2541.txt`);
  });

  it('drops path separators so no path rides in on the name', () => {
    expect(contentDisposition('../../etc/passwd', ID)).toMatch(/^attachment; filename="\.\._\.\._etc_passwd";/);
    expect(contentDisposition('C:\\Windows\\win.ini', ID)).toMatch(/^attachment; filename="C:_Windows_win\.ini";/);
  });

  it("encodes the characters encodeURIComponent leaves alone but RFC 5987 does not allow", () => {
    expect(contentDisposition("it's (1)*.txt", ID)).toContain(`filename*=UTF-8''it%27s%20%281%29%2A.txt`);
  });

  it.each([[null], [''], ['   '], ['.'], ['..']])('falls back to the id for %j', (name) => {
    expect(contentDisposition(name, ID)).toBe(`attachment; filename="${ID}"; filename*=UTF-8''${ID}`);
  });

  it('turns control characters into `_` rather than dropping the name', () => {
    expect(contentDisposition('\u0000', ID)).toBe(`attachment; filename="_"; filename*=UTF-8''_`);
  });
});
