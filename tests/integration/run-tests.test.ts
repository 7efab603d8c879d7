import type { AssignmentTestsView, GroupTestSummary, TestResultView, WorkspaceTestResults } from '../../lib/run/test-api';
import { ServerProcess, api } from '../helpers/server-process';
import { newClient, subscribeFile, whenAcked } from '../helpers/clients';
import { call, signUp, pairWorkspace, type PairFixture, type TestUser } from '../helpers/accounts';

/**
 * Issue 7 §4 through a real server process: teachers write tests per assignment (RUN-1), members
 * report browser runs (RUN-2), and every submission is graded on the server against all tests —
 * hidden ones too — in an isolated worker (RUN-3), including submissions that read files, open
 * sockets or never stop. The grader's own sandbox tests are tests/integration/grader.test.ts.
 */
jest.setTimeout(120_000);

const MAIN = ['def total(xs):', '    return sum(xs)', '', 'def mean(xs):', '    return total(xs) // len(xs)', ''].join('\n');
const VISIBLE = [
  'from main import total, mean',
  '',
  'def test_total():',
  '    assert total([1, 2, 3]) == 6',
  '',
  'def test_mean():',
  '    assert mean([1, 2]) == 1.5, "mean of 1 and 2 is 1.5"',
  '',
].join('\n');
const HIDDEN = ['from main import total', '', 'def test_empty():', '    assert total([]) == 0', ''].join('\n');

describe('teacher tests and server grading', () => {
  let server: ServerProcess;
  let pair: PairFixture;
  let ada: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    server = await ServerProcess.start({ env: { GRADE_TIME_LIMIT_SECONDS: '8' } });
    pair = await pairWorkspace(server.url, [{ name: 'main.py', content: MAIN }]);
    ada = pair.students[0]!;
    outsider = await signUp(server.url, 'Eve');
  });
  afterAll(async () => {
    await server?.dispose();
  });

  async function putTests(tests: Array<{ fileName: string; code: string; hidden: boolean }>): Promise<AssignmentTestsView> {
    return call<AssignmentTestsView>(server.url, pair.teacher, 'PUT', `/api/assignments/${pair.assignmentId}/tests`, { tests }, 200);
  }

  async function setMain(text: string): Promise<void> {
    const client = newClient(server.url, ada);
    try {
      const doc = await subscribeFile(client, pair.workspaceId, pair.fileIds['main.py']!);
      const current = doc.data as unknown as string;
      doc.submitOp([{ d: [...current].length }, text] as never);
      await whenAcked(doc);
    } finally {
      client.close();
    }
  }

  async function submitAndGrade(): Promise<WorkspaceTestResults> {
    const before = (await call<WorkspaceTestResults>(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/test-results`, undefined, 200)).server;
    await call(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await call<WorkspaceTestResults>(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/test-results`, undefined, 200);
      if (r.server && r.server.id !== before?.id && !r.grading) return r;
      if (r.server && before && r.server.createdAt > before.createdAt && !r.grading) return r;
      if (Date.now() > deadline) throw new Error(`no grade: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 300));
    }
  }

  test('[RUN-1] staff write tests; students see visible code only; outsiders get 404; bad input changes nothing', async () => {
    const saved = await putTests([
      { fileName: 'test_main.py', code: VISIBLE, hidden: false },
      { fileName: 'test_hidden.py', code: HIDDEN, hidden: true },
    ]);
    expect(saved.canEdit).toBe(true);
    expect(saved.tests.map((t) => [t.fileName, t.hidden, t.code !== null])).toEqual([
      ['test_hidden.py', true, true],
      ['test_main.py', false, true],
    ]);
    const seen = await call<AssignmentTestsView>(server.url, ada, 'GET', `/api/assignments/${pair.assignmentId}/tests`, undefined, 200);
    expect(seen.canEdit).toBe(false);
    expect(seen.testsHash).toBe(saved.testsHash);
    expect(seen.tests.find((t) => t.fileName === 'test_hidden.py')).toMatchObject({ hidden: true, code: null });
    expect(seen.tests.find((t) => t.fileName === 'test_main.py')?.code).toBe(VISIBLE);
    await call(server.url, outsider, 'GET', `/api/assignments/${pair.assignmentId}/tests`, undefined, 404);
    await call(server.url, ada, 'PUT', `/api/assignments/${pair.assignmentId}/tests`, { tests: [] }, 403);

    for (const bad of [
      { tests: [{ fileName: '../evil.py', code: '', hidden: false }] },
      { tests: [{ fileName: 'test.rb', code: '', hidden: false }] },
      { tests: [{ fileName: 'test_a.py', code: 'x', hidden: 'yes' }] },
      { tests: [{ fileName: 'test_a.py', code: 'x', hidden: false, extra: 1 }] },
      { tests: [{ fileName: 'a.py', code: '', hidden: false }, { fileName: 'A.py', code: '', hidden: false }] },
      { tests: 'nope' },
    ]) {
      const res = await api<{ error: string }>(server.url, 'PUT', `/api/assignments/${pair.assignmentId}/tests`, bad, pair.teacher.cookie);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/tests|file|twice|name/i);
    }
    const after = await call<AssignmentTestsView>(server.url, pair.teacher, 'GET', `/api/assignments/${pair.assignmentId}/tests`, undefined, 200);
    expect(after.testsHash).toBe(saved.testsHash);
  });

  test('[RUN-2] a member reports a browser run; its counts must agree and name visible files only', async () => {
    const tests = await call<AssignmentTestsView>(server.url, ada, 'GET', `/api/assignments/${pair.assignmentId}/tests`, undefined, 200);
    const report = {
      versions: [{ fileId: pair.fileIds['main.py']!, version: 1 }],
      testsHash: tests.testsHash,
      passed: 1,
      failed: 1,
      error: null,
      cases: [
        { name: 'test_total', passed: true, message: null, file: 'test_main.py' },
        { name: 'test_mean', passed: false, message: 'AssertionError: mean of 1 and 2 is 1.5', file: 'test_main.py' },
      ],
      durationMs: 40,
    };
    const stored = await call<TestResultView>(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/test-results`, report, 201);
    expect(stored).toMatchObject({ source: 'browser', passed: 1, failed: 1, stale: false, ranBy: { id: ada.id } });
    await call(server.url, pair.teacher, 'POST', `/api/workspaces/${pair.workspaceId}/test-results`, report, 403);
    await call(server.url, outsider, 'POST', `/api/workspaces/${pair.workspaceId}/test-results`, report, 404);
    for (const bad of [
      { ...report, passed: 2 },
      { ...report, cases: [{ ...report.cases[0]!, file: 'test_hidden.py' }], passed: 1, failed: 0 },
      { ...report, testsHash: 'x' },
      { ...report, extra: true },
    ]) {
      expect((await api(server.url, 'POST', `/api/workspaces/${pair.workspaceId}/test-results`, bad, ada.cookie)).status).toBe(400);
    }
    const latest = await call<WorkspaceTestResults>(server.url, pair.students[1]!, 'GET', `/api/workspaces/${pair.workspaceId}/test-results`, undefined, 200);
    expect(latest.browser?.id).toBe(stored.id);
  });

  test('[RUN-3] a submission is graded on the server with hidden tests; members see counts, staff see every case; the grid has it', async () => {
    const graded = await submitAndGrade();
    expect(graded.server).toMatchObject({ source: 'server', passed: 2, failed: 1, error: null, hiddenCases: 0 });
    expect(graded.server!.cases.map((c) => [c.file, c.name, c.passed]).sort()).toEqual([
      ['test_hidden.py', 'test_empty', true],
      ['test_main.py', 'test_mean', false],
      ['test_main.py', 'test_total', true],
    ]);
    expect(graded.server!.cases.find((c) => c.name === 'test_mean')?.message).toMatch(/mean of 1 and 2 is 1\.5/);
    const mine = await call<WorkspaceTestResults>(server.url, ada, 'GET', `/api/workspaces/${pair.workspaceId}/test-results`, undefined, 200);
    expect(mine.server).toMatchObject({ passed: 2, failed: 1, hiddenCases: 1 });
    expect(mine.server!.cases.map((c) => c.file)).not.toContain('test_hidden.py');

    const summary = await call<GroupTestSummary[]>(server.url, pair.teacher, 'GET', `/api/assignments/${pair.assignmentId}/test-summary`, undefined, 200);
    expect(summary).toEqual([expect.objectContaining({ groupId: pair.groupId, server: expect.objectContaining({ passed: 2, failed: 1 }) })]);
    await call(server.url, ada, 'GET', `/api/assignments/${pair.assignmentId}/test-summary`, undefined, 403);
    const sub = await call<{ result: TestResultView | null }>(server.url, pair.teacher, 'GET', `/api/submissions/${graded.server!.submissionId}/test-result`, undefined, 200);
    expect(sub.result).toMatchObject({ passed: 2, failed: 1 });

    // Fixed: all pass.
    await setMain(MAIN.replace('total(xs) // len(xs)', 'total(xs) / len(xs)'));
    const fixed = await submitAndGrade();
    expect(fixed.server).toMatchObject({ passed: 3, failed: 0, error: null });
  });

  test('[RUN-3] submissions that read server files, open sockets or never stop are contained and reported; the server keeps going', async () => {
    await setMain(['import os', "open('/etc/passwd').read()", 'def total(xs):', '    return sum(xs)', 'def mean(xs):', '    return 0', ''].join('\n'));
    const reading = await submitAndGrade();
    expect(reading.server!.passed).toBe(0);
    expect(JSON.stringify(reading.server)).not.toMatch(/root:x:0:0/);

    await setMain(['import socket', "socket.create_connection(('127.0.0.1', 80), timeout=1)", 'def total(xs):', '    return sum(xs)', 'def mean(xs):', '    return 0', ''].join('\n'));
    const net = await submitAndGrade();
    expect(net.server!.passed).toBe(0);

    await setMain(['while True:', '    pass', ''].join('\n'));
    const started = Date.now();
    const loop = await submitAndGrade();
    expect(loop.server!.error).toMatch(/time limit/i);
    // Loading Pyodide, then the CPU-time limit (8 s here) at nice 10 on a machine running other suites.
    expect(Date.now() - started).toBeLessThan(100_000);
    expect(server.alive).toBe(true);
    expect((await api(server.url, 'GET', '/healthz')).status).toBe(200);
  });

  test('[RUN-3] a server stopped mid-grading grades the submission after its restart; no interrupted grade is stored', async () => {
    await setMain(MAIN.replace('total(xs) // len(xs)', 'total(xs) / len(xs)'));
    const before = (await call<WorkspaceTestResults>(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/test-results`, undefined, 200)).server;
    const submission = await call<{ id: string }>(server.url, ada, 'POST', `/api/workspaces/${pair.workspaceId}/submit`, undefined, 201);
    // Stop while the grading child is starting Pyodide (seconds), with the task running.
    const deadline = Date.now() + 30_000;
    while (!(await call<WorkspaceTestResults>(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/test-results`, undefined, 200)).grading) {
      if (Date.now() > deadline) throw new Error('the grading never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.stop();
    await server.restart();
    const graded = await (async () => {
      const until = Date.now() + 90_000;
      for (;;) {
        const r = await call<WorkspaceTestResults>(server.url, pair.teacher, 'GET', `/api/workspaces/${pair.workspaceId}/test-results`, undefined, 200);
        if (r.server && r.server.id !== before?.id && r.server.createdAt > (before?.createdAt ?? 0) && !r.grading) return r.server;
        if (Date.now() > until) throw new Error(`no grade after the restart: ${JSON.stringify(r)}`);
        await new Promise((res) => setTimeout(res, 300));
      }
    })();
    expect(graded).toMatchObject({ passed: 3, failed: 0, error: null });
    const sub = await call<{ result: TestResultView | null }>(server.url, pair.teacher, 'GET', `/api/submissions/${graded.submissionId}/test-result`, undefined, 200);
    expect(sub.result).toMatchObject({ passed: 3, failed: 0, error: null });
    expect(graded.submissionId).toBe(submission.id);
  });
});
