import { ChatLanes } from './chat-lanes';

interface Item {
  id: string;
  chatId: string;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function setup() {
  const started: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred>>();
  const settled: string[] = [];
  const lanes = new ChatLanes<Item>(
    async (item) => {
      started.push(item.id);
      const gate = deferred();
      gates.set(item.id, gate);
      await gate.promise;
    },
    (item) => settled.push(item.id),
  );
  const finish = async (id: string) => {
    gates.get(id)!.resolve();
    await new Promise((r) => setImmediate(r));
  };
  return { sut: lanes, mocks: { started, settled, finish } };
}

describe('ChatLanes', () => {
  it('runs one item per chat at a time, in push order, and chats side by side', async () => {
    const { sut, mocks } = setup();
    for (const [id, chatId] of [['a1', 'a'], ['b1', 'b'], ['a2', 'a'], ['a3', 'a'], ['b2', 'b']]) sut.push({ id: id!, chatId: chatId! });
    expect(mocks.started).toEqual(['a1', 'b1']);
    await mocks.finish('a1');
    expect(mocks.started).toEqual(['a1', 'b1', 'a2']);
    await mocks.finish('a2');
    await mocks.finish('b1');
    await mocks.finish('a3');
    await mocks.finish('b2');
    expect(mocks.started).toEqual(['a1', 'b1', 'a2', 'a3', 'b2']);
    expect(mocks.settled).toEqual(['a1', 'a2', 'b1', 'a3', 'b2']);
    await sut.idle();
    expect(sut.size).toBe(0);
  });

  it('holds an item from push until it settles, and refuses it twice meanwhile', async () => {
    const { sut, mocks } = setup();
    expect(sut.push({ id: 'x', chatId: 'c' })).toBe(true);
    expect(sut.push({ id: 'x', chatId: 'c' })).toBe(false);
    expect([...sut.heldIds()]).toEqual(['x']);
    await mocks.finish('x');
    expect(sut.has('x')).toBe(false);
    expect(sut.push({ id: 'x', chatId: 'c' })).toBe(true);
  });

  it('keeps going after a failing item, and clear drops only what has not started', async () => {
    const failing = new ChatLanes<Item>(async (item) => {
      if (item.id === 'bad') throw new Error('boom');
    });
    failing.push({ id: 'bad', chatId: 'c' });
    failing.push({ id: 'good', chatId: 'c' });
    await failing.idle();
    expect(failing.size).toBe(0);

    const { sut, mocks } = setup();
    sut.push({ id: 'r', chatId: 'c' });
    sut.push({ id: 'q', chatId: 'c' });
    sut.clear();
    expect([...sut.heldIds()]).toEqual(['r']);
    await mocks.finish('r');
    await sut.idle();
    expect(mocks.started).toEqual(['r']);
  });
});
