import { PagePool } from './page-pool';

describe('PagePool', () => {
  it('copies a page into a block, and hands out a block again once it is released', () => {
    const pool = new PagePool();
    const first = pool.copy(Buffer.from('one\n'));
    expect(first.toString()).toBe('one\n');
    pool.release(first);
    const second = pool.copy(Buffer.from('two\n'));
    expect(second.toString()).toBe('two\n');
    expect(second.buffer).toBe(first.buffer);
  });

  it('never hands out a block still in use, nor takes back a buffer of its own making', () => {
    const pool = new PagePool();
    const inUse = pool.copy(Buffer.from('a'));
    pool.release(Buffer.from('not from the pool'));
    expect(pool.copy(Buffer.from('b')).buffer).not.toBe(inUse.buffer);
  });

  it('gives a larger page a larger block', () => {
    const pool = new PagePool();
    pool.release(pool.copy(Buffer.from('small')));
    const large = Buffer.alloc(3 * 1024 * 1024, 'x');
    expect(pool.copy(large).equals(large)).toBe(true);
  });
});
