import type { SocketHealth } from '@plugboard/contracts';
import { type ByteRange, type GetResult, type ListedObject, type ObjectStat, type PutOptions, type PutResult, StoragePort } from '@plugboard/storage';
import type { Readable } from 'node:stream';

/**
 * The media-service's files socket behind one level of indirection, so a storage migration
 * can move every later call to the new plug at once, without a restart. Calls already in
 * flight finish on the plug they started on.
 */
export class SwitchableStorage extends StoragePort {
  constructor(private current: StoragePort) {
    super();
  }

  get plug(): string {
    return this.current.plug;
  }

  /** The plug calls go to now. */
  get active(): StoragePort {
    return this.current;
  }

  /** From now on every call goes to `next` (already opened); returns the previous plug, still open. */
  use(next: StoragePort): StoragePort {
    const previous = this.current;
    this.current = next;
    return previous;
  }

  open(): Promise<void> {
    return this.current.open();
  }

  put(key: string, stream: Readable, options?: PutOptions): Promise<PutResult> {
    return this.current.put(key, stream, options);
  }

  get(key: string, range?: ByteRange): Promise<GetResult> {
    return this.current.get(key, range);
  }

  stat(key: string): Promise<ObjectStat | null> {
    return this.current.stat(key);
  }

  delete(key: string): Promise<void> {
    return this.current.delete(key);
  }

  override move(from: string, to: string): Promise<void> {
    return this.current.move(from, to);
  }

  list(prefix: string): AsyncIterable<ListedObject> {
    return this.current.list(prefix);
  }

  health(): Promise<SocketHealth> {
    return this.current.health();
  }

  close(): Promise<void> {
    return this.current.close();
  }
}
