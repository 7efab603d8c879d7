import { strToU8, zipSync } from 'fflate';
import type { AiStore, ClassroomStore, ReviewStore, RunStore, Store, User } from '../../prisma-free-db';
import { COLLECTIONS, ErrorCode } from '../../lib/protocol';
import { TandemError } from '../errors';
import type { ClassroomService } from '../classroom/classroom-service';
import type { WorkspaceService } from '../services/workspace-service';
import type { FileHistoryReader } from '../review/file-history';
import { safeName } from '../review/zip-names';

/** What an erased account is called where its work stays (a partner's workspace, the op log). */
export const ERASED_AUTHOR = 'erased-account';

export interface PrivacyServiceOptions {
  classroom: ClassroomStore;
  reviews: ReviewStore;
  /** AI reviews: who asked for one and their ratings go too. */
  ai: AiStore;
  store: Store;
  history: FileHistoryReader;
  workspaces: WorkspaceService;
  classrooms: ClassroomService;
  runs: RunStore;
}

export interface ErasureReport {
  workspacesErased: number;
  opsAnonymised: number;
}

/**
 * A person's data as a whole: download everything they produced (PV-1), and erase an account on
 * request (PV-2). Both leave an audit row (AD-1). What stays after erasure, and why, is in
 * docs/review.md ("Privacy").
 */
export class PrivacyService {
  constructor(private readonly o: PrivacyServiceOptions) {}

  /**
   * PV-1: a zip with `export.json` (account, classes, workspaces with per-file history summary,
   * submissions, feedback they can see, their comments, grades released to them, released AI
   * feedback, test results, help requests)
   * and the current text of every file of every workspace they own or share.
   */
  async exportFor(user: User): Promise<{ fileName: string; data: Uint8Array }> {
    const { classroom, reviews } = this.o;
    const classes = await classroom.listClassesForUser(user.id);
    const memberships = await Promise.all(classes.map((c) => classroom.getMembership(c.id, user.id)));
    const personal = await classroom.listPersonalWorkspaces(user.id);
    const groups = await classroom.listGroupsOfUser(user.id);
    const entries: Record<string, Uint8Array> = {};
    const workspaces = [];
    const submissions = [];
    const comments = [];
    const grades = [];
    const aiReviews = [];
    const testResults = [];

    const targets: Array<{ workspaceId: string; kind: 'personal' | 'group'; assignment: { id: string; title: string } | null }> = personal.map(
      (p) => ({ workspaceId: p.workspaceId, kind: 'personal' as const, assignment: null }),
    );
    for (const g of groups) {
      const assignment = await classroom.getAssignment(g.assignmentId);
      if (g.workspaceId) targets.push({ workspaceId: g.workspaceId, kind: 'group', assignment: assignment ? { id: assignment.id, title: assignment.title } : null });
      for (const s of await reviews.listGroupSubmissions(g.id)) {
        submissions.push({ ...s, submittedByMe: s.submittedBy === user.id, submittedAt: iso(s.submittedAt) });
      }
      for (const c of await reviews.listComments(g.id)) {
        if (c.releasedAt === null && c.authorId !== user.id) continue;
        comments.push({ id: c.id, workspaceId: c.workspaceId, fileId: c.fileId, version: c.version, from: c.from, to: c.to, quote: c.quote, body: c.body, byMe: c.authorId === user.id, parentId: c.parentId, createdAt: iso(c.createdAt) });
      }
      // AI feedback the student could see: released reviews, approved findings (never the prompt).
      for (const r of await this.o.ai.listGroupReviews(g.id, 1000)) {
        if (r.releasedAt === null || r.status !== 'done') continue;
        const findings = (await this.o.ai.listFindings(r.id)).filter((f) => f.state === 'approved');
        aiReviews.push({
          id: r.id,
          workspaceId: r.workspaceId,
          trigger: r.trigger,
          askedByMe: r.requestedBy === user.id,
          staticOnly: r.staticOnly,
          summary: r.summary,
          releasedAt: iso(r.releasedAt),
          findings: findings.map((f) => ({ file: f.fileName, version: f.version, startLine: f.startLine, endLine: f.endLine, severity: f.severity, message: f.message, hint: f.hint, source: f.source, tool: f.tool })),
        });
      }
      // Test results of the group's work (issue 7): counts and the cases a student could see.
      for (const source of ['browser', 'server'] as const) {
        const r = await this.o.runs.latestResult(g.id, source);
        if (!r) continue;
        testResults.push({
          workspaceId: r.workspaceId,
          source,
          submissionId: r.submissionId,
          ranByMe: r.ranBy === user.id,
          passed: r.passed,
          failed: r.failed,
          error: r.error,
          cases: r.cases.filter((c) => !c.hidden).map(({ name, passed, message, file }) => ({ name, passed, message, file })),
          at: iso(r.createdAt),
        });
      }
      const grade = await reviews.getGrade(g.id);
      if (grade?.releasedAt != null) grades.push({ groupId: g.id, assignment: assignment?.title ?? null, scores: grade.scores, summary: grade.summary, releasedAt: iso(grade.releasedAt) });
    }

    const usedFolders = new Set<string>();
    for (const t of targets) {
      let summary;
      try {
        summary = await this.o.workspaces.getWorkspace(t.workspaceId);
      } catch {
        continue; // created but never written: nothing to export
      }
      let folder = `workspaces/${safeName(summary.name)}-${t.workspaceId.slice(0, 8)}`;
      while (usedFolders.has(folder)) folder += '_';
      usedFolders.add(folder);
      const files = [];
      for (const f of summary.files) {
        const log = await this.o.history.read(t.workspaceId, f.id);
        const ops = log?.ops ?? [];
        const version = log?.version ?? 0;
        const mine = ops.filter((o) => o.author === user.id);
        entries[`${folder}/${safeName(f.name)}`] = strToU8(log?.textAt(version) ?? '');
        files.push({
          id: f.id,
          name: f.name,
          path: `${folder}/${safeName(f.name)}`,
          version,
          history: {
            ops: ops.length,
            myOps: mine.length,
            firstEdit: iso(ops.find((o) => o.ts !== null)?.ts ?? null),
            lastEdit: iso([...ops].reverse().find((o) => o.ts !== null)?.ts ?? null),
          },
        });
      }
      workspaces.push({ id: t.workspaceId, name: summary.name, kind: t.kind, assignment: t.assignment, createdAt: iso(summary.createdAt), files });
    }

    const data = {
      format: 'tandem-export/1',
      exportedAt: iso(Date.now()),
      account: { id: user.id, email: user.email, displayName: user.displayName, role: user.role, createdAt: iso(user.createdAt), sso: user.oidcSubject !== null },
      classes: classes.map((c, i) => ({ id: c.id, name: c.name, role: c.role, joinedAt: iso(memberships[i]?.joinedAt ?? null), archived: c.archivedAt !== null })),
      workspaces,
      submissions,
      comments,
      grades,
      aiReviews,
      testResults,
      helpRequests: (await classroom.listHelpRequestsOfUser(user.id)).map((h) => ({ classId: h.classId, note: h.note, raisedAt: iso(h.createdAt), resolvedAt: iso(h.resolvedAt) })),
    };
    entries['export.json'] = strToU8(JSON.stringify(data, null, 2));
    await reviews.appendAudit({ at: Date.now(), actorId: user.id, action: 'export', subjectUserId: user.id, target: `user:${user.id}`, detail: { workspaces: workspaces.length } });
    return { fileName: `tandem-export-${safeName(user.displayName)}.zip`, data: zipSync(entries, { level: 6 }) };
  }

  /**
   * PV-2: an administrator erases an account. Sockets close first; then the account and what was
   * only theirs go (personal and solo workspaces with every op, snapshot and milestone; their
   * comments); in work shared with a partner their name is replaced by ERASED_AUTHOR. The audit
   * log keeps its rows: it is the record that the erasure happened (AD-2).
   */
  async eraseAccount(admin: User, userId: string): Promise<ErasureReport> {
    if (admin.role !== 'admin') throw new TandemError(ErrorCode.Forbidden, 'Administrators only.');
    if (admin.id === userId) throw new TandemError(ErrorCode.Conflict, 'You cannot erase your own account.');
    const target = await this.o.classroom.getUser(userId);
    if (!target) throw new TandemError(ErrorCode.NotFound, 'No such account.');
    if ((await this.o.classroom.listClassesForUser(userId)).some((c) => c.createdBy === userId)) {
      throw new TandemError(ErrorCode.Conflict, 'This account created a class; erasing a class creator is not supported yet (disable the account instead).');
    }
    // Disable first so no new session or op gets in while the rest is erased.
    await this.o.classroom.updateUser(userId, { disabledAt: Date.now() });
    await this.o.classroom.deleteUserSessions(userId);
    this.o.classrooms.accessChanged(userId);
    const { orphanedWorkspaces } = await this.o.classroom.deleteUser(userId);
    this.o.classrooms.accessChanged(userId);
    let erased = 0;
    for (const ws of orphanedWorkspaces) {
      await this.o.ai.deleteWorkspaceTasks(ws);
      await this.o.store.purgeDocs(COLLECTIONS.files, { idPrefix: `${ws}:` });
      erased += await this.o.store.purgeDocs(COLLECTIONS.workspaces, { ids: [ws] });
    }
    const opsAnonymised = await this.o.store.scrubOpAuthor(userId, ERASED_AUTHOR);
    await this.o.reviews.eraseAuthor(userId, ERASED_AUTHOR);
    await this.o.ai.eraseUser(userId);
    await this.o.runs.eraseUser(userId);
    await this.o.reviews.appendAudit({
      at: Date.now(),
      actorId: admin.id,
      action: 'delete',
      subjectUserId: userId,
      target: `user:${userId}`,
      detail: { workspacesErased: erased, opsAnonymised },
    });
    return { workspacesErased: erased, opsAnonymised };
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
