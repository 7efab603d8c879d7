import { RUN_LIMITS } from './run-types';

/**
 * Typed input for a program running in a Web Worker (issue 7 §2). `input()` and `prompt()` are
 * synchronous in the student's program, so the worker blocks on a SharedArrayBuffer with
 * `Atomics.wait` until the page writes a line (or end of input). Layout: Int32 [state, byteLength],
 * then the UTF-8 bytes of one line. State: 0 = nothing yet, 1 = a line is ready, 2 = end of input
 * (sticky: every later read gets it too).
 */
const HEADER_BYTES = 8;
const STATE = 0;
const LENGTH = 1;
const EMPTY = 0;
const LINE = 1;
const EOF = 2;

/** Room for the longest allowed line in UTF-8 (up to 4 bytes a character). */
export const STDIN_BUFFER_BYTES = HEADER_BYTES + RUN_LIMITS.inputLineChars * 4;

export function createStdinBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(STDIN_BUFFER_BYTES);
}

/** The page's end: hands one line to a waiting program. */
export class StdinWriter {
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.control = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** The line without its newline; longer lines are cut to the limit. Returns what was sent. */
  write(line: string): string {
    const text = [...line.replace(/\r?\n[\s\S]*$/, '')].slice(0, RUN_LIMITS.inputLineChars).join('');
    const encoded = new TextEncoder().encode(text);
    this.bytes.set(encoded.subarray(0, this.bytes.length));
    Atomics.store(this.control, LENGTH, Math.min(encoded.length, this.bytes.length));
    Atomics.store(this.control, STATE, LINE);
    Atomics.notify(this.control, STATE);
    return text;
  }

  /** Ctrl+D, or the run is over: reads return null from now on. */
  end(): void {
    Atomics.store(this.control, STATE, EOF);
    Atomics.notify(this.control, STATE);
  }
}

/** The worker's end: blocks until the page answers. */
export class StdinReader {
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.control = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** One line (without newline), or null at end of input. Blocks the calling thread. */
  read(): string | null {
    Atomics.wait(this.control, STATE, EMPTY);
    if (Atomics.load(this.control, STATE) === EOF) return null;
    const length = Atomics.load(this.control, LENGTH);
    // TextDecoder refuses views of shared memory: copy first.
    const line = new TextDecoder().decode(this.bytes.slice(0, length));
    Atomics.store(this.control, STATE, EMPTY);
    return line;
  }
}
