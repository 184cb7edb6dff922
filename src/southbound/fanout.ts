/**
 * Delivers each compiled batch to the agent sessions, a slice of sessions per event-loop turn.
 *
 * Why slices: HTTP/2 in Node sends what a turn wrote only once the turn ends, so writing 1,000 streams
 * in one turn holds every byte back until the last write is queued. Written a slice per turn, the
 * first hosts receive and apply the change while the controller is still writing to the rest, and the
 * acks of the first slices are taken in between instead of after the whole fan-out.
 *
 * Order: a batch goes to the sessions subscribed when it was published (a session that subscribes
 * later got that revision in its resume or snapshot), and a batch starts only after the previous one
 * reached every one of its sessions, so each stream still sees batches in revision order.
 */
import type { CompiledBatch, DataPlaneManager } from '../dataplane/manager.js';

/** What the fan-out needs of a session. */
export interface BatchReceiver {
  onBatch(batch: CompiledBatch): void;
}

interface Pending {
  batch: CompiledBatch;
  targets: BatchReceiver[];
  next: number;
}

/** Per-batch fan-out to subscribed sessions. */
export class BatchFanOut {
  private readonly receivers = new Set<BatchReceiver>();
  private readonly queue: Pending[] = [];
  private readonly unsubscribe: () => void;
  private scheduled = false;

  constructor(
    manager: DataPlaneManager,
    /** Sessions written per event-loop turn. */
    private readonly sliceSize: number,
    private readonly onError: (err: unknown) => void,
  ) {
    if (!(sliceSize >= 1)) throw new RangeError(`fan-out slice size must be >= 1, got ${sliceSize}`);
    this.unsubscribe = manager.subscribe((batch) => this.enqueue(batch));
  }

  /** `receiver` gets every batch published from now on. */
  add(receiver: BatchReceiver): void {
    this.receivers.add(receiver);
  }

  delete(receiver: BatchReceiver): void {
    this.receivers.delete(receiver);
  }

  close(): void {
    this.unsubscribe();
    this.queue.length = 0;
    this.receivers.clear();
  }

  private enqueue(batch: CompiledBatch): void {
    if (this.receivers.size === 0) return;
    this.queue.push({ batch, targets: [...this.receivers], next: 0 });
    // The first slice goes out in the publishing turn; the rest follow turn by turn.
    if (!this.scheduled) this.deliverSlice();
  }

  private deliverSlice(): void {
    this.scheduled = false;
    let budget = this.sliceSize;
    while (budget > 0 && this.queue.length > 0) {
      const head = this.queue[0] as Pending;
      const end = Math.min(head.targets.length, head.next + budget);
      budget -= end - head.next;
      while (head.next < end) {
        const receiver = head.targets[head.next++] as BatchReceiver;
        try {
          receiver.onBatch(head.batch);
        } catch (err) {
          this.onError(err);
        }
      }
      if (head.next >= head.targets.length) this.queue.shift();
    }
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.deliverSlice());
    }
  }
}
