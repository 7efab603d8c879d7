import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { AiWorkspaceReviews } from '../../lib/ai/ai-api';
import { ServerProcess } from '../helpers/server-process';
import { call, pairWorkspace } from '../helpers/accounts';
import { metric } from '../helpers/ops';

const PYTHON = ['def total(xs):', '    return sum(xs)', '', 'print(totl([1, 2]))', ''].join('\n');

/**
 * Reviews run at idle CPU priority (SCHED_IDLE on Linux), which the kernel may starve outright
 * while normal threads keep every core busy. A review must still finish: the pool sees the
 * review host's heartbeat stop and moves the work to normal priority (review-pool.ts).
 */
const canStarve = process.platform === 'linux' && fs.existsSync('/usr/bin/chrt');
if (!canStarve) console.log('ai-review-starvation: skipped — needs Linux with /usr/bin/chrt (SCHED_IDLE)');
const maybe = canStarve ? describe : describe.skip;

maybe('AI review on a saturated machine', () => {
  let server: ServerProcess | null = null;
  const hogs: ChildProcess[] = [];

  afterAll(async () => {
    for (const hog of hogs) hog.kill('SIGKILL');
    await server?.dispose();
  });

  test('[AI-1] a review held back by idle priority moves to normal priority and finishes; the metric counts it', async () => {
    server = await ServerProcess.start({ env: { AI_STARVATION_SECONDS: '1' } });
    const pair = await pairWorkspace(server.url, [{ name: 'main.py', content: PYTHON }]);
    // One busy loop more than there are cores, at normal priority: a SCHED_IDLE process gets nothing.
    for (let i = 0; i <= os.availableParallelism(); i++) {
      hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    }
    await call(server.url, pair.students[0]!, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);

    const deadline = Date.now() + 50_000;
    let list: AiWorkspaceReviews;
    for (;;) {
      list = await call<AiWorkspaceReviews>(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/ai-reviews`, undefined, 200);
      if (list.reviews.length > 0 && list.pending === 0) break;
      if (Date.now() > deadline) throw new Error(`the review never finished: ${JSON.stringify(list)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const review = list.reviews[0]!;
    expect(review.status).toBe('done');
    expect(review.findings.find((f) => f.tool === 'pyright' && f.rule === 'reportUndefinedVariable')).toMatchObject({ fileName: 'main.py', startLine: 4 });

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metric(text, 'tandem_ai_reviews_starved_total')).toBeGreaterThanOrEqual(1);
    expect(server.alive).toBe(true);
  }, 60_000);
});
