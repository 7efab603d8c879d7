import fs from 'node:fs';
import path from 'node:path';
import type { TestRunResult, TestSpec } from '../../lib/run/run-types';

export interface GraderLike {
  grade(input: { files: Array<{ name: string; text: string }>; tests: TestSpec[] }): Promise<TestRunResult>;
  close(): Promise<void>;
}

/** The grader as built (dist/): its child process is compiled JavaScript, not something ts-jest can run. */
export function builtGrader(options: { timeLimitMs: number; memoryMb: number; loadBudgetMs?: number; onChildStarted?: (pid: number) => void }): GraderLike {
  const built = path.join(__dirname, '..', '..', 'dist', 'server', 'grading', 'grader.js');
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run npm run build:server first (npm test does).`);
  const { Grader } = require(built) as { Grader: new (o: Parameters<typeof builtGrader>[0]) => GraderLike };
  return new Grader(options);
}
