import { RUN_LIMITS } from './run-types';

/**
 * A run worker's output, batched: a program printing in a tight loop would otherwise post
 * hundreds of thousands of messages and bury the page's main thread before the page could stop
 * it. Text goes out when a batch is large or old (checked on every write, since a busy program
 * never yields to a timer), before the program waits for input, and at the end; past the output
 * cap nothing more is sent (the page stops the run when it sees the cap passed).
 */
export class OutputBatcher {
  private stream: 'stdout' | 'stderr' = 'stdout';
  private buffer = '';
  private since = 0;
  private sent = 0;

  constructor(
    private readonly post: (stream: 'stdout' | 'stderr', text: string) => void,
    private readonly limits: { maxBatchChars: number; maxBatchMs: number; capChars: number } = { maxBatchChars: 16_384, maxBatchMs: 40, capChars: RUN_LIMITS.outputChars },
  ) {}

  write(stream: 'stdout' | 'stderr', text: string): void {
    if (!text || this.sent > this.limits.capChars) return;
    if (stream !== this.stream) this.flush();
    if (!this.buffer) this.since = Date.now();
    this.stream = stream;
    this.buffer += text;
    if (this.buffer.length >= this.limits.maxBatchChars || Date.now() - this.since >= this.limits.maxBatchMs) this.flush();
  }

  /** A new run in the same worker (Python keeps its interpreter): the cap counts afresh. */
  reset(): void {
    this.buffer = '';
    this.sent = 0;
  }

  flush(): void {
    if (!this.buffer) return;
    // One character past the cap is enough for the page to know.
    const room = this.limits.capChars + 1 - this.sent;
    const text = this.buffer.length > room ? this.buffer.slice(0, room) : this.buffer;
    this.buffer = '';
    if (text.length === 0) return;
    this.sent += text.length;
    this.post(this.stream, text);
  }
}
