import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  SqliteClassroomStore,
  StorageError,
  type AiFinding,
  type AiReview,
  type AiStore,
  type ClassroomStore,
  type Group,
  type GroupMember,
  type User,
} from '../../prisma-free-db';

/**
 * Contract of the AiStore port (prisma-free-db/ai/ai-store.ts). `runAiStoreContract` takes a
 * harness, so a future adapter (MongoDB) runs the same rules: move it to its own
 * ai-store-contract.ts next to store-contract.ts when that adapter lands. The SQLite-only rules
 * (real competing processes, upgrading a v3 file) follow it.
 *
 * The AI service relies on: a task key is live at most once, a task is held by exactly one
 * worker until its lease runs out, a retried task never stores its review twice, and erasing a
 * user leaves nothing of them in the AI records.
 */

/** An open store: the classroom port (for the records AI reviews hang off) and the AI port. */
export interface AiStoreHandle {
  classroom: ClassroomStore;
  ai: AiStore;
  close(): Promise<void>;
}

/** One empty place to keep data. */
export interface AiStoreLocation {
  /** Open the data here; calling it again while a handle is open gives a second, independent one (like another process). */
  open(): Promise<AiStoreHandle>;
  /** Every stored AI record as table (or collection) → rows, read around the port, to prove erasure. */
  dumpAiRecords(): Promise<Record<string, Record<string, unknown>[]>>;
  dispose(): Promise<void>;
}

export interface AiStoreHarness {
  createLocation(): Promise<AiStoreLocation>;
}

/** Registers the contract's tests; call inside a `describe`. */
export function runAiStoreContract(harness: AiStoreHarness): void {
  let location: AiStoreLocation;
  let handle: AiStoreHandle;
  let classroom: ClassroomStore;
  let ai: AiStore;
  const open: AiStoreHandle[] = [];
  let n = 0;
  const id = (prefix: string) => `${prefix}${String(++n).padStart(8, '0')}`;

  async function openHandle(): Promise<AiStoreHandle> {
    const h = await location.open();
    open.push(h);
    return h;
  }

  beforeEach(async () => {
    location = await harness.createLocation();
    handle = await openHandle();
    classroom = handle.classroom;
    ai = handle.ai;
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
    await location.dispose();
  });

  async function user(role: User['role'] = 'student'): Promise<User> {
    return classroom.createUser({ id: id('user'), email: `${id('u')}@example.edu`, displayName: 'S', role, passwordHash: 'h', createdAt: 1 });
  }

  /** A class with one assignment and `pairs` started groups of two (`solo` more of one). */
  async function setup(pairs: number, solo = 0) {
    const teacher = await user('teacher');
    const classId = id('class');
    await classroom.createClass(
      { id: classId, name: 'C', joinCode: id('JC'), createdBy: teacher.id, createdAt: 1, archivedAt: null, broadcastWorkspaceId: null },
      { classId, userId: teacher.id, role: 'teacher', joinedAt: 1 },
    );
    const assignmentId = await assignment(classId);
    const groups: Group[] = [];
    for (let i = 0; i < pairs + solo; i++) {
      const members: GroupMember[] = [{ userId: (await user()).id, role: 'driver' }];
      if (i < pairs) members.push({ userId: (await user()).id, role: 'navigator' });
      const g = await classroom.addGroup(assignmentId, { id: id('grp'), members }, 3);
      groups.push(await classroom.startGroup(g.id, id('ws'), 4));
    }
    return { teacher, classId, assignmentId, groups };
  }

  async function assignment(classId: string): Promise<string> {
    const assignmentId = id('asg');
    await classroom.createAssignment({
      id: assignmentId,
      classId,
      title: 'A',
      instructions: '',
      language: 'python',
      starterFiles: [],
      deadline: null,
      mode: 'pairs',
      pairing: 'manual',
      strictRoles: false,
      swapMinutes: null,
      publishedAt: 2,
      createdAt: 2,
    });
    return assignmentId;
  }

  const task = (key = id('key'), runAt = 100) => ({
    id: id('task'),
    kind: 'ReviewSubmission' as const,
    key,
    payload: { groupId: 'g', files: ['file0001'] },
    runAt,
    createdAt: runAt,
  });

  function review(classId: string, assignmentId: string, group: Group, over: Partial<AiReview> = {}): AiReview {
    return {
      id: id('rev'),
      taskId: id('task'),
      classId,
      assignmentId,
      groupId: group.id,
      workspaceId: group.workspaceId!,
      submissionId: null,
      trigger: 'submission',
      requestedBy: null,
      files: [{ fileId: 'file0001', name: 'main.py', version: 7 }],
      helpLevel: 'hints',
      approvalRequired: true,
      status: 'done',
      staticOnly: false,
      note: null,
      summary: 'Looks fine.',
      provider: 'ollama',
      model: 'qwen2.5-coder',
      prompt: 'PROMPT',
      reply: 'REPLY',
      createdAt: 1000,
      completedAt: 1005,
      releasedAt: null,
      ...over,
    };
  }

  function finding(reviewId: string, over: Partial<AiFinding> = {}): AiFinding {
    return {
      id: id('fnd'),
      reviewId,
      fileId: 'file0001',
      fileName: 'main.py',
      version: 7,
      startLine: 3,
      endLine: 4,
      severity: 'warning',
      category: 'correctness',
      message: 'Off by one?',
      hint: 'Check the loop bound.',
      source: 'model',
      tool: 'model',
      rule: null,
      state: 'pending',
      editedBy: null,
      ratingUp: 0,
      ratingDown: 0,
      ...over,
    };
  }

  /** Claim until nothing is due, alternating between claimers; returns task id → owner. */
  async function drain(claimers: { ai: AiStore; owner: string }[], now: number): Promise<Map<string, string>> {
    const won = new Map<string, string>();
    for (let idle = 0; idle < claimers.length; ) {
      const results = await Promise.all(claimers.map((c) => c.ai.claimTask(c.owner, now, 60_000)));
      idle = results.filter((t) => t === null).length;
      results.forEach((t, i) => {
        if (!t) return;
        expect(won.has(t.id)).toBe(false);
        won.set(t.id, claimers[i]!.owner);
      });
    }
    return won;
  }

  test('settings: null when unset; stored as given, nulls kept for the caller to inherit', async () => {
    const { classId, assignmentId } = await setup(0);
    expect(await ai.getClassSettings(classId)).toBeNull();
    expect(await ai.getAssignmentSettings(assignmentId)).toBeNull();
    const classSettings = { helpLevel: 'questions' as const, approvalRequired: false, guidance: 'Be kind.', hiddenNotes: 'sol: 42', onDemandPerHour: 3, updatedAt: 10 };
    expect(await ai.putClassSettings(classId, classSettings)).toEqual(classSettings);
    const inherit = { helpLevel: null, approvalRequired: null, guidance: '', hiddenNotes: '', onDemandPerHour: null, updatedAt: 11 };
    expect(await ai.putAssignmentSettings(assignmentId, inherit)).toEqual(inherit);
    expect(await ai.getAssignmentSettings(assignmentId)).toEqual(inherit);
    const replaced = { ...classSettings, helpLevel: 'off' as const, approvalRequired: true, onDemandPerHour: null, updatedAt: 12 };
    await ai.putClassSettings(classId, replaced);
    expect(await ai.getClassSettings(classId)).toEqual(replaced);
    await expect(ai.putClassSettings('ghost000', classSettings)).rejects.toThrow(StorageError);
  });

  test('enqueue is idempotent by key while a task is queued, running or done; a failed key can be queued again', async () => {
    const first = await ai.enqueueTask(task('k1'));
    expect(first.created).toBe(true);
    expect(first.task).toMatchObject({ key: 'k1', status: 'queued', attempts: 0, runAt: 100, leaseOwner: null, leaseUntil: null, lastError: null });
    expect(first.task.payload).toEqual({ groupId: 'g', files: ['file0001'] });
    const again = await ai.enqueueTask(task('k1'));
    expect(again).toEqual({ task: first.task, created: false });

    const claimed = (await ai.claimTask('w1', 100, 1000))!;
    expect(claimed.id).toBe(first.task.id);
    expect((await ai.enqueueTask(task('k1'))).task).toMatchObject({ id: first.task.id, status: 'running' });
    await ai.completeTask(claimed.id, 'w1', 150);
    expect(await ai.enqueueTask(task('k1'))).toMatchObject({ created: false, task: { id: first.task.id, status: 'done' } });

    const doomed = (await ai.enqueueTask(task('k2'))).task;
    await ai.claimTask('w1', 200, 1000);
    await ai.failTask(doomed.id, 'w1', 'model down', null, 210);
    const retry = await ai.enqueueTask(task('k2', 300));
    expect(retry.created).toBe(true);
    expect(retry.task).toMatchObject({ key: 'k2', status: 'queued', attempts: 0, runAt: 300 });
    expect(retry.task.id).not.toBe(doomed.id);
    expect(await ai.enqueueTask(task('k2'))).toMatchObject({ created: false, task: { id: retry.task.id } });
  });

  test('claim takes due tasks oldest runAt first, sets the lease and counts the attempt; future tasks wait', async () => {
    const late = (await ai.enqueueTask(task(id('key'), 300))).task;
    const early = (await ai.enqueueTask(task(id('key'), 100))).task;
    const future = (await ai.enqueueTask(task(id('key'), 5000))).task;
    const a = await ai.claimTask('w1', 400, 1000);
    expect(a).toMatchObject({ id: early.id, status: 'running', attempts: 1, leaseOwner: 'w1', leaseUntil: 1400, updatedAt: 400 });
    expect(await ai.getTask(early.id)).toEqual(a);
    expect((await ai.claimTask('w1', 400, 1000))?.id).toBe(late.id);
    expect(await ai.claimTask('w1', 400, 1000)).toBeNull();
    expect((await ai.getTask(future.id))?.status).toBe('queued');
    expect(await ai.getTask('nope0000')).toBeNull();
  });

  test('each task goes to exactly one of two competing owners', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 12; i++) ids.add((await ai.enqueueTask(task(id('key'), i))).task.id);
    const won = await drain([{ ai, owner: 'w1' }, { ai, owner: 'w2' }], 100);
    expect(new Set(won.keys())).toEqual(ids);
    for (const [taskId, owner] of won) expect((await ai.getTask(taskId))?.leaseOwner).toBe(owner);
  });

  test('each task goes to exactly one owner across two independently opened stores on the same data', async () => {
    const other = await openHandle();
    const ids = new Set<string>();
    for (let i = 0; i < 12; i++) ids.add((await (i % 2 ? ai : other.ai).enqueueTask(task(id('key'), i))).task.id);
    const won = await drain([{ ai, owner: 'p1' }, { ai: other.ai, owner: 'p2' }], 100);
    expect(new Set(won.keys())).toEqual(ids);
    for (const [taskId, owner] of won) expect((await other.ai.getTask(taskId))?.leaseOwner).toBe(owner);
    // The key index is shared too: the other store sees the first store's live key.
    const k = (await ai.enqueueTask(task('shared'))).task;
    expect(await other.ai.enqueueTask(task('shared'))).toEqual({ task: k, created: false });
  });

  test('an expired lease lets another owner take over; then only the new owner can renew, complete or fail', async () => {
    const t = (await ai.enqueueTask(task())).task;
    expect(await ai.claimTask('w1', 1000, 100)).toMatchObject({ id: t.id, attempts: 1, leaseUntil: 1100 });
    expect(await ai.claimTask('w2', 1099, 100)).toBeNull();
    expect(await ai.renewLease(t.id, 'w1', 1150)).toBe(true);
    expect(await ai.claimTask('w2', 1100, 100)).toBeNull();
    const taken = await ai.claimTask('w2', 1150, 100);
    expect(taken).toMatchObject({ id: t.id, status: 'running', attempts: 2, leaseOwner: 'w2', leaseUntil: 1250 });

    expect(await ai.renewLease(t.id, 'w1', 9000)).toBe(false);
    await ai.completeTask(t.id, 'w1', 1160);
    await ai.failTask(t.id, 'w1', 'late', null, 1160);
    await ai.failTask(t.id, 'w1', 'late', 2000, 1160);
    expect(await ai.getTask(t.id)).toEqual(taken);

    expect(await ai.renewLease(t.id, 'w2', 5000)).toBe(true);
    expect((await ai.getTask(t.id))?.leaseUntil).toBe(5000);
    expect(await ai.claimTask('w3', 4999, 100)).toBeNull();
    await ai.completeTask(t.id, 'w2', 1200);
    expect(await ai.getTask(t.id)).toMatchObject({ status: 'done', leaseOwner: null, leaseUntil: null, attempts: 2, updatedAt: 1200 });
    expect(await ai.renewLease(t.id, 'w2', 6000)).toBe(false);
    expect(await ai.claimTask('w3', 10_000, 100)).toBeNull();
  });

  test('failTask with retryAt requeues with backoff; with null it fails for good; countTasks counts each state', async () => {
    const empty = { queued: 0, running: 0, done: 0, failed: 0 };
    expect(await ai.countTasks()).toEqual(empty);
    const t = (await ai.enqueueTask(task(id('key'), 100))).task;
    await ai.enqueueTask(task(id('key'), 10_000));
    await ai.claimTask('w1', 100, 1000);
    expect(await ai.countTasks()).toEqual({ ...empty, queued: 1, running: 1 });
    await ai.failTask(t.id, 'w1', 'timeout', 2000, 150);
    expect(await ai.getTask(t.id)).toMatchObject({ status: 'queued', runAt: 2000, lastError: 'timeout', leaseOwner: null, leaseUntil: null, attempts: 1, updatedAt: 150 });
    expect(await ai.claimTask('w1', 1999, 1000)).toBeNull();
    expect(await ai.claimTask('w2', 2000, 1000)).toMatchObject({ id: t.id, attempts: 2, leaseOwner: 'w2' });
    await ai.failTask(t.id, 'w2', 'timeout again', null, 2100);
    expect(await ai.getTask(t.id)).toMatchObject({ status: 'failed', lastError: 'timeout again', leaseOwner: null, attempts: 2 });
    expect(await ai.claimTask('w1', 5000, 1000)).toBeNull();
    expect(await ai.countTasks()).toEqual({ ...empty, queued: 1, failed: 1 });
    const other = (await ai.claimTask('w1', 10_000, 1000))!;
    await ai.completeTask(other.id, 'w1', 10_001);
    expect(await ai.countTasks()).toEqual({ ...empty, done: 1, failed: 1 });
  });

  test('saveReview stores review and findings once per task; a retry returns the first review unchanged', async () => {
    const { classId, assignmentId, groups } = await setup(1);
    const g = groups[0]!;
    const r = review(classId, assignmentId, g, { submissionId: 'sub00001', note: null, releasedAt: null });
    const f1 = finding(r.id, { startLine: 9, endLine: 9 });
    const f2 = finding(r.id, { source: 'static', tool: 'pyright', rule: 'reportUndefinedVariable', hint: null, severity: 'error', state: 'approved' });
    const saved = await ai.saveReview(r, [f1, f2]);
    expect(saved).toEqual({ review: r, created: true });
    expect(await ai.getReview(r.id)).toEqual(r);
    expect(await ai.listFindings(r.id)).toEqual([f1, f2]);
    expect(await ai.getFinding(f2.id)).toEqual(f2);

    const retry = review(classId, assignmentId, g, { taskId: r.taskId, summary: 'second run' });
    const again = await ai.saveReview(retry, [finding(retry.id), finding(retry.id), finding(retry.id)]);
    expect(again).toEqual({ review: r, created: false });
    expect(await ai.getReview(retry.id)).toBeNull();
    expect((await ai.listFindings(r.id)).map((f) => f.id)).toEqual([f1.id, f2.id]);
    expect(await ai.listFindings(retry.id)).toEqual([]);

    // A failed review without findings or model text is a review too.
    const failed = review(classId, assignmentId, g, { status: 'failed', staticOnly: true, note: 'model unreachable', provider: null, model: null, prompt: null, reply: null });
    expect((await ai.saveReview(failed, [])).review).toEqual(failed);
    await expect(ai.saveReview(review(classId, assignmentId, { ...g, id: 'ghost000' }), [])).rejects.toThrow(StorageError);
    expect(await ai.getReview('nope0000')).toBeNull();
    expect(await ai.getFinding('nope0000')).toBeNull();
  });

  test('a group’s reviews come newest first; an assignment lists the latest review of each group', async () => {
    const { classId, assignmentId, groups } = await setup(3);
    const [g1, g2] = groups as [Group, Group];
    const old = review(classId, assignmentId, g1, { createdAt: 10 });
    const mid = review(classId, assignmentId, g1, { createdAt: 20 });
    const newest = review(classId, assignmentId, g1, { createdAt: 30 });
    const other = review(classId, assignmentId, g2, { createdAt: 15 });
    for (const r of [mid, other, newest, old]) await ai.saveReview(r, []);
    expect((await ai.listGroupReviews(g1.id, 10)).map((r) => r.id)).toEqual([newest.id, mid.id, old.id]);
    expect((await ai.listGroupReviews(g1.id, 2)).map((r) => r.id)).toEqual([newest.id, mid.id]);
    const latest = await ai.listAssignmentReviews(assignmentId);
    expect(latest.map((r) => r.id).sort()).toEqual([newest.id, other.id].sort());
    expect(latest.find((r) => r.id === newest.id)).toEqual(newest);
    expect(await ai.listAssignmentReviews('nope0000')).toEqual([]);
  });

  test('release approves pending findings, keeps dismissed ones, and keeps the first release time; teacher edits stick', async () => {
    const { classId, assignmentId, groups, teacher } = await setup(1);
    const r = review(classId, assignmentId, groups[0]!);
    const pending = finding(r.id);
    const dismissed = finding(r.id, { state: 'dismissed' });
    const edited = finding(r.id);
    await ai.saveReview(r, [pending, dismissed, edited]);

    const change = await ai.updateFinding(edited.id, { message: 'Loop bound is off by one.', hint: null, editedBy: teacher.id });
    expect(change).toEqual({ ...edited, message: 'Loop bound is off by one.', hint: null, editedBy: teacher.id });
    expect(await ai.updateFinding(edited.id, {})).toEqual(change);
    expect(await ai.updateFinding('nope0000', { state: 'approved' })).toBeNull();

    expect(await ai.releaseReview(r.id, 2000)).toEqual({ ...r, releasedAt: 2000 });
    expect((await ai.listFindings(r.id)).map((f) => f.state)).toEqual(['approved', 'dismissed', 'approved']);
    expect((await ai.getFinding(edited.id))?.message).toBe('Loop bound is off by one.');
    await ai.updateFinding(pending.id, { state: 'dismissed' });
    expect((await ai.releaseReview(r.id, 3000))?.releasedAt).toBe(2000);
    expect((await ai.getFinding(pending.id))?.state).toBe('dismissed');
    expect(await ai.releaseReview('nope0000', 3000)).toBeNull();
  });

  test('a student rates a finding once: rating again replaces it, and the totals are counted', async () => {
    const { classId, assignmentId, groups } = await setup(1);
    const r = review(classId, assignmentId, groups[0]!);
    const f = finding(r.id);
    const untouched = finding(r.id);
    await ai.saveReview(r, [f, untouched]);
    await ai.rateFinding(f.id, 'student1', 1, 1);
    await ai.rateFinding(f.id, 'student2', 1, 2);
    expect(await ai.rateFinding(f.id, 'student3', -1, 3)).toMatchObject({ id: f.id, ratingUp: 2, ratingDown: 1 });
    expect(await ai.rateFinding(f.id, 'student1', -1, 4)).toMatchObject({ ratingUp: 1, ratingDown: 2 });
    expect(await ai.rateFinding(f.id, 'student1', -1, 5)).toMatchObject({ ratingUp: 1, ratingDown: 2 });
    expect(await ai.getFinding(f.id)).toMatchObject({ ratingUp: 1, ratingDown: 2 });
    expect((await ai.listFindings(r.id)).map((x) => [x.ratingUp, x.ratingDown])).toEqual([[1, 2], [0, 0]]);
    expect(await ai.rateFinding('nope0000', 'student1', 1, 6)).toBeNull();
  });

  test('on-demand quota: counts only that student’s on-demand reviews of that assignment since a time; resets are kept per student', async () => {
    const { classId, assignmentId, groups } = await setup(1);
    const g = groups[0]!;
    const [ann, ben] = g.members.map((m) => m.userId) as [string, string];
    const otherAssignment = await assignment(classId);
    const onDemand = (by: string, at: number, asg = assignmentId) =>
      ai.saveReview(review(classId, asg, g, { trigger: 'on-demand', requestedBy: by, createdAt: at }), []);
    await onDemand(ann, 10);
    await onDemand(ann, 20);
    await onDemand(ann, 30);
    await onDemand(ben, 25);
    await ai.saveReview(review(classId, assignmentId, g, { trigger: 'submission', requestedBy: ann, createdAt: 26 }), []);
    await onDemand(ann, 27, otherAssignment);
    expect(await ai.countOnDemand(ann, assignmentId, 0)).toBe(3);
    expect(await ai.countOnDemand(ann, assignmentId, 15)).toBe(2);
    expect(await ai.countOnDemand(ann, assignmentId, 30)).toBe(1);
    expect(await ai.countOnDemand(ann, assignmentId, 31)).toBe(0);
    expect(await ai.countOnDemand(ben, assignmentId, 0)).toBe(1);
    expect(await ai.countOnDemand(ann, otherAssignment, 0)).toBe(1);

    expect(await ai.getOnDemandReset(ann, assignmentId)).toBeNull();
    await ai.resetOnDemand(ann, assignmentId, 25);
    expect(await ai.getOnDemandReset(ann, assignmentId)).toBe(25);
    expect(await ai.getOnDemandReset(ben, assignmentId)).toBeNull();
    expect(await ai.getOnDemandReset(ann, otherAssignment)).toBeNull();
    await ai.resetOnDemand(ann, assignmentId, 40);
    expect(await ai.getOnDemandReset(ann, assignmentId)).toBe(40);
  });

  test('a deleted group takes its reviews, findings and their ratings along; other groups keep theirs', async () => {
    const { classId, assignmentId, groups } = await setup(1, 1);
    const [pair, solo] = groups as [Group, Group];
    const gone = review(classId, assignmentId, solo);
    const goneFinding = finding(gone.id);
    const kept = review(classId, assignmentId, pair);
    const keptFinding = finding(kept.id);
    await ai.saveReview(gone, [goneFinding]);
    await ai.saveReview(kept, [keptFinding]);
    await ai.rateFinding(goneFinding.id, pair.members[0]!.userId, 1, 1);
    await ai.rateFinding(keptFinding.id, pair.members[0]!.userId, 1, 1);

    // Erasing the only member of a group deletes the group.
    await classroom.deleteUser(solo.members[0]!.userId);
    expect(await classroom.getGroup(solo.id)).toBeNull();
    expect(await ai.getReview(gone.id)).toBeNull();
    expect(await ai.getFinding(goneFinding.id)).toBeNull();
    expect(await ai.listGroupReviews(solo.id, 10)).toEqual([]);
    const records = JSON.stringify(await location.dumpAiRecords());
    expect(records).not.toContain(gone.id);
    expect(records).not.toContain(goneFinding.id);
    expect(await ai.getFinding(keptFinding.id)).toMatchObject({ ratingUp: 1 });
  });

  test('eraseUser leaves no trace of the user in any AI record, and keeps the group’s reviews', async () => {
    const { classId, assignmentId, groups, teacher } = await setup(1);
    const g = groups[0]!;
    const [ann, ben] = g.members.map((m) => m.userId) as [string, string];
    const r = review(classId, assignmentId, g, { trigger: 'on-demand', requestedBy: ann });
    const f = finding(r.id, { editedBy: teacher.id });
    await ai.saveReview(r, [f]);
    await ai.rateFinding(f.id, ann, 1, 1);
    await ai.rateFinding(f.id, ben, -1, 2);
    await ai.resetOnDemand(ann, assignmentId, 5);
    await ai.resetOnDemand(ben, assignmentId, 6);
    const t = (
      await ai.enqueueTask({ ...task(), kind: 'ReviewWorkspace', payload: { groupId: g.id, requestedBy: ann, seenBy: [ben, ann], byUser: { [ann]: 1, [ben]: 2 } } })
    ).task;
    const before = JSON.stringify(await location.dumpAiRecords());
    expect(before).toContain(ann);
    expect(before).toContain(teacher.id);

    await ai.eraseUser(ann);
    await ai.eraseUser(teacher.id);
    const records = await location.dumpAiRecords();
    for (const [table, rows] of Object.entries(records)) {
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          expect({ table, column, ann: String(value).includes(ann), teacher: String(value).includes(teacher.id) }).toEqual({
            table,
            column,
            ann: false,
            teacher: false,
          });
        }
      }
    }
    expect(await ai.getReview(r.id)).toEqual({ ...r, requestedBy: null });
    expect(await ai.getFinding(f.id)).toMatchObject({ editedBy: null, ratingUp: 0, ratingDown: 1 });
    expect(await ai.getOnDemandReset(ann, assignmentId)).toBeNull();
    expect(await ai.getOnDemandReset(ben, assignmentId)).toBe(6);
    expect(await ai.countOnDemand(ann, assignmentId, 0)).toBe(0);
    expect((await ai.getTask(t.id))?.payload).toEqual({ groupId: g.id, requestedBy: null, seenBy: [ben, null], byUser: { [ben]: 2 } });
  });

  test('deleteWorkspaceTasks removes exactly the tasks of that workspace', async () => {
    const mine = await ai.enqueueTask({ ...task(), payload: { workspaceId: 'ws-gone-0001', files: [] } });
    const other = await ai.enqueueTask({ ...task(), payload: { workspaceId: 'ws-kept-0001', files: [] } });
    expect(await ai.deleteWorkspaceTasks('ws-gone-0001')).toBe(1);
    expect(await ai.getTask(mine.task.id)).toBeNull();
    expect(await ai.getTask(other.task.id)).not.toBeNull();
    expect(await ai.deleteWorkspaceTasks('ws-gone-0001')).toBe(0);
  });

  test('countLiveTasks counts only queued and running tasks of that workspace', async () => {
    await ai.enqueueTask({ ...task(), payload: { workspaceId: 'ws-live-0001' } });
    await ai.enqueueTask({ ...task(), payload: { workspaceId: 'ws-live-0001' } });
    await ai.enqueueTask({ ...task(), payload: { workspaceId: 'ws-other-001' } });
    await ai.enqueueTask({ ...task(), kind: 'GradeSubmission', payload: { workspaceId: 'ws-live-0001' } });
    expect(await ai.countLiveTasks('ws-live-0001')).toBe(3);
    // Filtered by kind: a grading in progress is not a review in progress.
    expect(await ai.countLiveTasks('ws-live-0001', 'ReviewSubmission', 'ReviewWorkspace')).toBe(2);
    expect(await ai.countLiveTasks('ws-live-0001', 'GradeSubmission')).toBe(1);
    expect(await ai.countLiveTasks('ws-none-0001')).toBe(0);
    // Running tasks still count; done ones do not.
    for (let t = await ai.claimTask('owner-1', 1e15, 1000); t; t = await ai.claimTask('owner-1', 1e15, 1000)) {
      if ((t.payload as { workspaceId?: string }).workspaceId === 'ws-live-0001') expect(await ai.countLiveTasks('ws-live-0001')).toBeGreaterThan(0);
      await ai.completeTask(t.id, 'owner-1', 1);
    }
    expect(await ai.countLiveTasks('ws-live-0001')).toBe(0);
  });

  test('a closed store rejects with ERR_STORAGE_CLOSED', async () => {
    await handle.close();
    await expect(ai.getTask('x')).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    await expect(ai.claimTask('w1', 1, 1)).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
  });
}

// ── SQLite ────────────────────────────────────────────────────────────────────────────────

function tempClassroomFile(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-ai-'));
  return { dir, file: path.join(dir, 'classroom.sqlite') };
}

function sqliteHandle(file: string): AiStoreHandle & { classroom: SqliteClassroomStore } {
  const classroom = SqliteClassroomStore.open(file);
  return { classroom, ai: classroom.aiStore(), close: () => classroom.close() };
}

/** Every row of every ai_* table, read with a separate connection. */
function dumpAiTables(file: string): Record<string, Record<string, unknown>[]> {
  const raw = new Database(file, { readonly: true });
  try {
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ai\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(tables.map((t) => [t, raw.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]]));
  } finally {
    raw.close();
  }
}

describe('AiStore contract: SQLite', () => {
  runAiStoreContract({
    createLocation: () => {
      const { dir, file } = tempClassroomFile();
      return Promise.resolve({
        open: () => Promise.resolve(sqliteHandle(file)),
        dumpAiRecords: () => Promise.resolve(dumpAiTables(file)),
        dispose: () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true })),
      });
    },
  });
});

/**
 * Runs in a child node process: opens the classroom file through the real adapter (TypeScript
 * transpiled on the fly, as in fixtures/sqlite-crash-writer.js), says "ready", waits for "go" on
 * stdin, then claims and completes tasks until none is due and prints the ids it won.
 */
const CLAIMING_PROCESS = `
  const fs = require('node:fs');
  const ts = require('typescript');
  require.extensions['.ts'] = (module, filename) => {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    module._compile(outputText, filename);
  };
  const [storeModule, file, owner] = process.argv.slice(1);
  const { SqliteClassroomStore } = require(storeModule);
  const classroom = SqliteClassroomStore.open(file);
  const ai = classroom.aiStore();
  process.stdout.write('ready\\n');
  process.stdin.once('data', async () => {
    const won = [];
    for (let t; (t = await ai.claimTask(owner, Date.now(), 60000)); ) {
      won.push(t.id);
      await new Promise((resolve) => setTimeout(resolve, 2)); // the work, during which the others claim
      await ai.completeTask(t.id, owner, Date.now());
    }
    await classroom.close();
    process.stdout.write('won ' + JSON.stringify(won) + '\\n');
    process.exit(0);
  });
`;

describe('AiStore on SQLite: processes and upgrades', () => {
  let dir: string;
  let file: string;
  beforeEach(() => ({ dir, file } = tempClassroomFile()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('processes sharing the file each claim different tasks, and together claim every task once', async () => {
    const setup = sqliteHandle(file);
    const ids = new Set<string>();
    try {
      for (let i = 0; i < 60; i++) ids.add((await setup.ai.enqueueTask({ id: `task${i}`, kind: 'ReviewSubmission', key: `key${i}`, payload: {}, runAt: 0, createdAt: i })).task.id);
    } finally {
      await setup.close();
    }
    const storeModule = path.join(__dirname, '../../prisma-free-db/classroom/sqlite-classroom-store.ts');
    const children = ['proc1', 'proc2', 'proc3'].map((owner) => {
      const child = spawn(process.execPath, ['-e', CLAIMING_PROCESS, storeModule, file, owner], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const ready = new Promise<void>((resolve) =>
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('ready')) resolve();
        }),
      );
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exit = new Promise<{ code: number | null; stderr: string; won: string[] }>((resolve) =>
        child.on('exit', (code) => resolve({ code, stderr, won: JSON.parse(/^won (.*)$/m.exec(stdout)?.[1] ?? 'null') as string[] })),
      );
      return { owner, child, ready, exit };
    });
    await Promise.race([Promise.all(children.map((c) => c.ready)), Promise.all(children.map((c) => c.exit))]);
    for (const c of children) c.child.stdin.end('go\n');
    const results = await Promise.all(children.map((c) => c.exit));
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const all = results.flatMap((r) => r.won);
    expect(all.length).toBe(ids.size);
    expect(new Set(all)).toEqual(ids);

    const after = sqliteHandle(file);
    try {
      expect(await after.ai.countTasks()).toEqual({ queued: 0, running: 0, done: 60, failed: 0 });
    } finally {
      await after.close();
    }
  }, 60_000);

  test('a version 3 classroom file (before the AI tables) upgrades in place and keeps its data', async () => {
    // Make a v3 file: today's schema minus everything migrations 4 and 5 added.
    let h = sqliteHandle(file);
    const teacher = await h.classroom.createUser({ id: 'teacher01', email: 't@example.edu', displayName: 'T', role: 'teacher', passwordHash: 'h', createdAt: 1 });
    await h.classroom.createClass(
      { id: 'class001', name: 'C', joinCode: 'JOIN01', createdBy: teacher.id, createdAt: 1, archivedAt: null, broadcastWorkspaceId: null },
      { classId: 'class001', userId: teacher.id, role: 'teacher', joinedAt: 1 },
    );
    await h.classroom.createAssignment({
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
    const student = await h.classroom.createUser({ id: 'student1', email: 's@example.edu', displayName: 'S', role: 'student', passwordHash: 'h', createdAt: 1 });
    await h.classroom.addGroup('asg00001', { id: 'group001', members: [{ userId: student.id, role: 'driver' }] }, 3);
    const group = await h.classroom.startGroup('group001', 'ws000001', 4);
    const submission = await h.classroom.reviewStore().createSubmission({
      id: 'sub00001',
      assignmentId: 'asg00001',
      groupId: 'group001',
      workspaceId: 'ws000001',
      files: [{ fileId: 'file0001', name: 'main.py', version: 3 }],
      submittedBy: student.id,
      submittedAt: 5,
      late: false,
    });
    await h.close();
    const raw = new Database(file);
    try {
      const aiObjects = (): string[] => raw.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'ai\\_%' ESCAPE '\\'").pluck().all() as string[];
      expect(aiObjects().length).toBeGreaterThan(0);
      raw.exec(`
        DROP TABLE ai_finding_ratings; DROP TABLE ai_findings; DROP TABLE ai_reviews; DROP TABLE ai_tasks;
        DROP TABLE ai_on_demand_resets; DROP TABLE ai_assignment_settings; DROP TABLE ai_class_settings;
        DROP TABLE run_test_results; DROP TABLE run_tests;
        PRAGMA user_version = 3;
      `);
      expect(aiObjects()).toEqual([]);
    } finally {
      raw.close();
    }

    h = sqliteHandle(file);
    try {
      expect(await h.classroom.getGroup('group001')).toEqual(group);
      expect(await h.classroom.reviewStore().getSubmission('sub00001')).toEqual(submission);
      const saved = await h.ai.saveReview(
        {
          id: 'review01',
          taskId: 'task0001',
          classId: 'class001',
          assignmentId: 'asg00001',
          groupId: 'group001',
          workspaceId: 'ws000001',
          submissionId: submission.id,
          trigger: 'submission',
          requestedBy: null,
          files: submission.files,
          helpLevel: 'hints',
          approvalRequired: true,
          status: 'done',
          staticOnly: true,
          note: 'no model configured',
          summary: '',
          provider: null,
          model: null,
          prompt: null,
          reply: null,
          createdAt: 6,
          completedAt: 7,
          releasedAt: null,
        },
        [],
      );
      expect(saved.created).toBe(true);
      expect((await h.ai.enqueueTask({ id: 'task0002', kind: 'ReviewSubmission', key: 'k', payload: {}, runAt: 0, createdAt: 0 })).created).toBe(true);
    } finally {
      await h.close();
    }

    const check = new Database(file, { readonly: true });
    try {
      // Migrations 4 (AI) and 5 (run-code tests) both ran again.
      expect(check.pragma('user_version', { simple: true })).toBe(5);
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(check.pragma('foreign_key_check')).toEqual([]);
      const tables = check.prepare("SELECT name, strict FROM pragma_table_list WHERE name LIKE 'ai\\_%' ESCAPE '\\' ORDER BY name").all();
      expect(tables).toEqual(
        ['ai_assignment_settings', 'ai_class_settings', 'ai_finding_ratings', 'ai_findings', 'ai_on_demand_resets', 'ai_reviews', 'ai_tasks'].map((name) => ({
          name,
          strict: 1,
        })),
      );
    } finally {
      check.close();
    }
  });
});
