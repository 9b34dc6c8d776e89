import { containsNul } from './http-hardening';

describe('containsNul', () => {
  it('finds NUL in strings and keys at any depth, nothing else', () => {
    expect(containsNul({ a: [{ b: 'x\0' }] })).toBe(true);
    expect(containsNul({ ['k\0']: 1 })).toBe(true);
    expect(containsNul({ a: ['x', 1, null, true, { b: '\\u0000' }] })).toBe(false);
  });
});
