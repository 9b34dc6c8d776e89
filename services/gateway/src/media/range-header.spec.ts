import { parseRangeHeader } from './range-header';

describe('parseRangeHeader', () => {
  it.each([
    ['bytes=0-499', { start: 0, end: 499 }],
    ['bytes=500-', { start: 500, end: undefined }],
    ['bytes=-200', { suffix: 200 }],
    ['bytes=-0', { suffix: 0 }],
    ['  bytes=7-7  ', { start: 7, end: 7 }],
  ])('reads %j', (header, expected) => {
    expect(parseRangeHeader(header)).toEqual(expected);
  });

  it.each([
    [undefined],
    [''],
    ['bytes=-'],
    ['bytes=5-2'],
    ['bytes=0-1,4-5'],
    ['items=0-10'],
    ['bytes=a-b'],
    ['bytes=-1-2'],
    ['bytes= 0-1'],
    [`bytes=${'9'.repeat(30)}-`],
    [`bytes=0-${'9'.repeat(30)}`],
  ])('ignores %j (the whole file is served)', (header) => {
    expect(parseRangeHeader(header)).toBeUndefined();
  });
});
