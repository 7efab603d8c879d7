import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteClassroomStore, StorageError, type TestResult } from '../../prisma-free-db';

/**
 * The RunStore port (prisma-free-db/run/run-store.ts) on SQLite: a test set is replaced as a whole,
 * browser results are pruned to the newest few, a server grade is one per submission, and the
 * grid's "newest per group and source" query returns exactly those.
 */
describe('RunStore (SQLite)', () => {
  let dir: string;
  let classroom: SqliteClassroomStore;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-run-store-'));
    classroom = SqliteClassroomStore.open(path.join(dir, 'classroom.sqlite'));
    const teacher = await classroom.createUser({ id: 'teacher1', email: 't@example.edu', displayName: 'T', role: 'teacher', passwordHash: 'h', createdAt: 1 });
    await classroom.createClass(
      { id: 'class001', name: 'C', joinCode: 'JOIN0001', createdBy: teacher.id, createdAt: 1, archivedAt: null, broadcastWorkspaceId: null },
      { classId: 'class001', userId: teacher.id, role: 'teacher', joinedAt: 1 },
    );
    await classroom.createAssignment({
      id: 'asg00001',
      classId: 'class001',
      title: 'A',
      instructions: '',
      language: 'python',
      starterFiles: [],
      deadline: null,
      mode: 'solo',
      pairing: 'manual',
      strictRoles: false,
      swapMinutes: null,
      publishedAt: 2,
      createdAt: 2,
    });
    for (const n of [1, 2]) {
      const student = await classroom.createUser({ id: `student${n}`, email: `s${n}@example.edu`, displayName: 'S', role: 'student', passwordHash: 'h', createdAt: 1 });
      await classroom.addGroup('asg00001', { id: `group00${n}`, members: [{ userId: student.id, role: 'driver' }] }, 3);
      await classroom.startGroup(`group00${n}`, `ws00000${n}`, 4);
    }
  });

  afterEach(async () => {
    await classroom.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const result = (over: Partial<TestResult> = {}): TestResult => ({
    id: `res${Math.random().toString(36).slice(2, 10)}`,
    groupId: 'group001',
    workspaceId: 'ws000001',
    source: 'browser',
    submissionId: null,
    versions: [{ fileId: 'file0001', version: 3 }],
    testsHash: 'h1',
    passed: 2,
    failed: 1,
    error: null,
    cases: [{ name: 'test_a', passed: true, message: null, file: 'test_main.py', hidden: false }],
    durationMs: 12,
    ranBy: 'student1',
    createdAt: 10,
    ...over,
  });

  test('tests are replaced as a whole and listed by file name', async () => {
    const runs = classroom.runStore();
    const t = (fileName: string, hidden = false) => ({ fileName, language: 'python' as const, code: `# ${fileName}`, hidden, updatedAt: 5, updatedBy: 'teacher1' });
    await runs.replaceTests('asg00001', [t('test_b.py'), t('test_a.py', true)]);
    expect((await runs.listTests('asg00001')).map((x) => [x.fileName, x.hidden])).toEqual([
      ['test_a.py', true],
      ['test_b.py', false],
    ]);
    await runs.replaceTests('asg00001', [t('test_c.py')]);
    expect((await runs.listTests('asg00001')).map((x) => x.fileName)).toEqual(['test_c.py']);
    await expect(runs.replaceTests('nope0001', [t('x.py')])).rejects.toBeInstanceOf(StorageError);
    // The failed replace changed nothing.
    expect((await runs.listTests('asg00001')).map((x) => x.fileName)).toEqual(['test_c.py']);
  });

  test('browser results keep the newest few per group; the latest is per source', async () => {
    const runs = classroom.runStore();
    for (let i = 1; i <= 5; i++) await runs.saveResult(result({ id: `brw0000${i}`, createdAt: i, passed: i }), 3);
    const raw = await runs.latestResult('group001', 'browser');
    expect(raw).toMatchObject({ id: 'brw00005', passed: 5, versions: [{ fileId: 'file0001', version: 3 }] });
    expect(raw!.cases[0]).toEqual({ name: 'test_a', passed: true, message: null, file: 'test_main.py', hidden: false });
    expect(await runs.latestResult('group001', 'server')).toBeNull();
  });

  test('a server grade is one per submission: grading again replaces it', async () => {
    const runs = classroom.runStore();
    await classroom.reviewStore().createSubmission({
      id: 'sub00001',
      assignmentId: 'asg00001',
      groupId: 'group001',
      workspaceId: 'ws000001',
      files: [{ fileId: 'file0001', name: 'main.py', version: 3 }],
      submittedBy: 'student1',
      submittedAt: 5,
      late: false,
    });
    await runs.saveResult(result({ id: 'srv00001', source: 'server', submissionId: 'sub00001', passed: 1, failed: 2 }), 3);
    const again = await runs.saveResult(result({ id: 'srv00002', source: 'server', submissionId: 'sub00001', passed: 3, failed: 0, createdAt: 20 }), 3);
    expect(again).toMatchObject({ id: 'srv00001', passed: 3, failed: 0, createdAt: 20 });
    expect(await runs.resultOfSubmission('sub00001')).toMatchObject({ passed: 3, failed: 0 });
    await expect(runs.saveResult(result({ source: 'server', submissionId: 'missing1' }), 3)).rejects.toBeInstanceOf(StorageError);
  });

  test('the grid query returns the newest result per group and source', async () => {
    const runs = classroom.runStore();
    await runs.saveResult(result({ id: 'a1', createdAt: 1, passed: 1 }), 5);
    await runs.saveResult(result({ id: 'a2', createdAt: 2, passed: 2 }), 5);
    await runs.saveResult(result({ id: 'b1', groupId: 'group002', workspaceId: 'ws000002', createdAt: 3, passed: 7 }), 5);
    const latest = await runs.latestResultsOfAssignment('asg00001');
    expect(latest.map((r) => [r.groupId, r.source, r.passed]).sort()).toEqual([
      ['group001', 'browser', 2],
      ['group002', 'browser', 7],
    ]);
    expect(await runs.latestResultsOfAssignment('nope0001')).toEqual([]);
  });

  test('erasure leaves no trace of who ran or changed anything', async () => {
    const runs = classroom.runStore();
    await runs.replaceTests('asg00001', [{ fileName: 'test_a.py', language: 'python', code: '', hidden: false, updatedAt: 1, updatedBy: 'student1' }]);
    await runs.saveResult(result({ id: 'e1', ranBy: 'student1' }), 5);
    await runs.saveResult(result({ id: 'e2', ranBy: 'student2', groupId: 'group002', workspaceId: 'ws000002' }), 5);
    await runs.eraseUser('student1');
    expect((await runs.latestResult('group001', 'browser'))?.ranBy).toBeNull();
    expect((await runs.latestResult('group002', 'browser'))?.ranBy).toBe('student2');
    expect((await runs.listTests('asg00001'))[0]?.updatedBy).toBeNull();
  });
});
