import { Worker } from 'node:worker_threads';
import { formatArgs, formatValue } from '../../lib/run/format-value';
import { createStdinBuffer, StdinReader, StdinWriter } from '../../lib/run/stdin-channel';
import { RUN_LIMITS } from '../../lib/run/run-types';
import { OutputBatcher } from '../../lib/run/output-batcher';

describe('console value formatting', () => {
  test('strings are bare at the top level and quoted inside structures', () => {
    expect(formatArgs(['sum:', 3, [1, 'a'], { x: 'y', 'a b': null }])).toBe("sum: 3 [ 1, 'a' ] { x: 'y', 'a b': null }");
  });
  test('cycles, depth, maps, sets, errors and class instances', () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    expect(formatValue(a)).toBe('{ n: 1, self: [Circular] }');
    expect(formatValue({ a: { b: { c: { d: 1 } } } })).toBe('{ a: { b: { c: [Object] } } }');
    expect(formatValue(new Map([['k', 1]]))).toBe("Map(1) { 'k' => 1 }");
    expect(formatValue(new Set([1, 2]))).toBe('Set(2) { 1, 2 }');
    expect(formatValue(new TypeError('bad'))).toMatch(/^TypeError: bad/);
    class Point {
      constructor(public x: number) {}
    }
    expect(formatValue(new Point(2))).toBe('Point { x: 2 }');
    expect(formatValue(Array.from({ length: 150 }, (_, i) => i))).toMatch(/\.\.\. 50 more \]$/);
    expect(formatValue(-0)).toBe('-0');
    expect(formatValue(10n)).toBe('10n');
  });
});

describe('stdin channel', () => {
  test('a line written before the read is returned; end of input is sticky', () => {
    const buffer = createStdinBuffer();
    const writer = new StdinWriter(buffer);
    const reader = new StdinReader(buffer);
    expect(writer.write('héllo 😀\nignored')).toBe('héllo 😀');
    expect(reader.read()).toBe('héllo 😀');
    writer.end();
    expect(reader.read()).toBeNull();
    expect(reader.read()).toBeNull();
  });

  test('an over-long line is cut to the limit', () => {
    const buffer = createStdinBuffer();
    const sent = new StdinWriter(buffer).write('x'.repeat(RUN_LIMITS.inputLineChars + 50));
    expect(sent.length).toBe(RUN_LIMITS.inputLineChars);
    expect(new StdinReader(buffer).read()).toHaveLength(RUN_LIMITS.inputLineChars);
  });

  test('a reader in another thread blocks until the line arrives', async () => {
    const buffer = createStdinBuffer();
    // The same layout read with Atomics.wait in a real second thread (the worker cannot load TS).
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const control = new Int32Array(workerData, 0, 2);
       parentPort.postMessage('waiting');
       Atomics.wait(control, 0, 0);
       const bytes = new Uint8Array(workerData, 8).slice(0, Atomics.load(control, 1));
       parentPort.postMessage(new TextDecoder().decode(bytes));`,
      { eval: true, workerData: buffer },
    );
    const messages: string[] = [];
    const done = new Promise<void>((resolve) => worker.on('message', (m: string) => {
      messages.push(m);
      if (messages.length === 2) resolve();
    }));
    await new Promise((r) => setTimeout(r, 200));
    expect(messages).toEqual(['waiting']);
    new StdinWriter(buffer).write('42');
    await done;
    expect(messages).toEqual(['waiting', '42']);
    await worker.terminate();
  });
});

describe('output batching in the worker', () => {
  test('a tight loop of writes becomes a few large messages, and nothing past the cap', () => {
    const posts: Array<[string, string]> = [];
    const batcher = new OutputBatcher((stream, text) => posts.push([stream, text]), { maxBatchChars: 1000, maxBatchMs: 60_000, capChars: 5000 });
    for (let i = 0; i < 100_000; i++) batcher.write('stdout', 'x'.repeat(10) + '\n');
    batcher.flush();
    expect(posts.length).toBeLessThanOrEqual(6);
    expect(posts.reduce((n, [, t]) => n + t.length, 0)).toBe(5001);
  });

  test('streams keep their order; a flush sends what is pending', () => {
    const posts: Array<[string, string]> = [];
    const batcher = new OutputBatcher((stream, text) => posts.push([stream, text]));
    batcher.write('stdout', 'a');
    batcher.write('stdout', 'b');
    batcher.write('stderr', 'oops');
    batcher.write('stdout', 'c');
    batcher.flush();
    expect(posts).toEqual([
      ['stdout', 'ab'],
      ['stderr', 'oops'],
      ['stdout', 'c'],
    ]);
  });
});
