export interface LaneItem {
  id: string;
  chatId: string;
}

/**
 * One lane per chat: items of a chat run one after another in the order pushed, items of
 * different chats run at the same time. This is what keeps WhatsApp's per-chat order while
 * a session sends to many chats at once. An item is "held" from push until its work settles.
 */
export class ChatLanes<T extends LaneItem> {
  private readonly lanes = new Map<string, T[]>();
  private readonly held = new Set<string>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly work: (item: T) => Promise<void>,
    private readonly settled: (item: T) => void = () => undefined,
  ) {}

  /** Items held: queued or running. */
  get size(): number {
    return this.held.size;
  }

  /** Ids of the held items (the loop leaves them out of its queries). */
  heldIds(): Iterable<string> {
    return this.held.values();
  }

  has(id: string): boolean {
    return this.held.has(id);
  }

  /** Queues `item` behind the items of its chat; false (and nothing queued) when already held. */
  push(item: T): boolean {
    if (this.held.has(item.id)) return false;
    this.held.add(item.id);
    const lane = this.lanes.get(item.chatId);
    if (lane) {
      lane.push(item);
      return true;
    }
    this.lanes.set(item.chatId, [item]);
    const run = this.run(item.chatId);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return true;
  }

  /** Drops every queued item that has not started; running ones go on. */
  clear(): void {
    for (const lane of this.lanes.values()) {
      for (const item of lane.splice(1)) this.held.delete(item.id);
    }
  }

  /** Resolves once no lane runs. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  private async run(chatId: string): Promise<void> {
    const lane = this.lanes.get(chatId)!;
    while (lane.length) {
      const item = lane[0]!;
      try {
        await this.work(item);
      } catch {
        // The work reports its own failures; a lane never stops on one.
      } finally {
        lane.shift();
        this.held.delete(item.id);
        this.settled(item);
      }
    }
    this.lanes.delete(chatId);
  }
}
