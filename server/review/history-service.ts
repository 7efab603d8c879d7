import { codePointLength } from '../../lib/text/offsets';
import { blame, contributions } from '../../lib/review/blame';
import { findPasteSignals } from '../../lib/review/paste-signals';
import type { BlameView, FileAtVersion, FileHistory, PasteSignalView } from '../../lib/review/review-api';
import type { User } from '../../prisma-free-db';
import { ErrorCode } from '../../lib/protocol';
import { TandemError } from '../errors';
import type { WorkspaceService } from '../services/workspace-service';
import { opSize, type FileHistoryReader, type FileLog } from './file-history';
import { notFound, type ReviewContext } from './review-context';

/**
 * How the code was written: a file's op history and its text at any version (playback), who wrote
 * each character (blame) and large pastes from outside the workspace (paste signals). Everything
 * is rebuilt from the op log; staff reads are audited (AD-1).
 */
export class HistoryService {
  constructor(
    private readonly ctx: ReviewContext,
    private readonly history: FileHistoryReader,
    private readonly workspaces: WorkspaceService,
    private readonly pasteSignalMinChars: number,
  ) {}

  /** HS-1: the op list of a file, without content, for the playback scrubber. */
  async fileHistory(user: User, workspaceId: string, fileId: string): Promise<FileHistory> {
    await this.ctx.requireRead(user, workspaceId);
    const log = await this.fileLog(workspaceId, fileId);
    await this.ctx.auditIfOthersWork(user, workspaceId, `file:${workspaceId}:${fileId}`, { what: 'history' });
    const entries = log.ops.map((o) => {
      const size = o.kind === 'create' ? { inserted: codePointLength(o.initial ?? ''), deleted: 0 } : opSize(o.op);
      return { v: o.v, author: o.author, source: o.source, ts: o.ts, ...size };
    });
    const authorIds = [...new Set(log.ops.map((o) => o.author).filter((a): a is string => a !== null && !a.startsWith('server:')))];
    return {
      workspaceId,
      fileId,
      version: log.version,
      firstVersion: log.retainedFrom,
      keptVersions: log.keptVersions,
      authors: await this.ctx.people(authorIds),
      entries,
    };
  }

  /** HS-2: the text after `version` ops. Not audited per call: the history read is. */
  async fileAtVersion(user: User, workspaceId: string, fileId: string, version: number): Promise<FileAtVersion> {
    await this.ctx.requireRead(user, workspaceId);
    // One scrubber step: from the nearest milestone, not a replay of the whole log.
    const at = await this.history.textAt(workspaceId, fileId, version);
    if (!at) throw notFound('file');
    if (at.text === null) {
      throw new TandemError(
        ErrorCode.NotFound,
        version < at.retainedFrom ? `Version ${version} is older than the history this class keeps.` : `The file has no version ${version}.`,
      );
    }
    return { fileId, version, text: at.text };
  }

  /** BL-1: who wrote each character of the current text. */
  async blame(user: User, workspaceId: string, fileId: string): Promise<BlameView> {
    await this.ctx.requireRead(user, workspaceId);
    const log = await this.fileLog(workspaceId, fileId);
    await this.ctx.auditIfOthersWork(user, workspaceId, `file:${workspaceId}:${fileId}`, { what: 'blame' });
    const { initial, fromStarter, edits } = log.edits();
    const spans = blame(initial, null, edits);
    const authorIds = [...new Set(edits.map((o) => o.author).filter((a): a is string => a !== null && !a.startsWith('server:')))];
    // Text that predates the kept history has no author: starter code, or compacted history.
    const unattributed = fromStarter ? 'starter' : 'compacted';
    return {
      fileId,
      version: log.version,
      text: log.textAt(log.version) ?? '',
      spans: spans.map((s) => (s.v === null ? { ...s, source: s.source ?? unattributed } : s)),
      authors: await this.ctx.people(authorIds),
      contributions: contributions(spans, edits),
    };
  }

  /** PS-1: large inserts that did not come from within the workspace, for staff only. */
  async pasteSignals(user: User, workspaceId: string): Promise<PasteSignalView[]> {
    const group = await this.ctx.contextOfWorkspace(user, workspaceId);
    if (!group.staff) throw new TandemError(ErrorCode.Forbidden, 'Only teachers and TAs see paste signals.');
    await this.ctx.auditView(user, group, `workspace:${workspaceId}`, { what: 'paste-signals' });
    const summary = await this.workspaces.getWorkspace(workspaceId);
    const logs = new Map<string, FileLog>();
    for (const f of summary.files) {
      const log = await this.history.read(workspaceId, f.id);
      if (log) logs.set(f.id, log);
    }
    const out: PasteSignalView[] = [];
    for (const f of summary.files) {
      const log = logs.get(f.id);
      if (!log) continue;
      const { initial, edits } = log.edits();
      const tsOf = new Map(edits.map((e) => [e.v, e.ts ?? 0]));
      let signals = findPasteSignals(edits, initial, {
        minChars: this.pasteSignalMinChars,
        // Other files as they were when the paste happened: text moved between files is not a signal.
        workspaceTextBefore: (v) => {
          const ts = tsOf.get(v) ?? 0;
          const texts: string[] = [];
          for (const [otherId, other] of logs) {
            if (otherId === f.id) continue;
            const before = other.ops.filter((o) => (o.ts ?? 0) <= ts);
            const last = before[before.length - 1];
            if (last) texts.push(other.textAt(last.v + 1) ?? '');
          }
          return texts;
        },
      });
      // An op declared as typed that is large is keystrokes composed while offline or waiting
      // for an ack (ShareDB composes pending ops), not a paste: the editor says how (P-OP-PROV).
      signals = signals.filter((s) => s.source !== 'typed');
      const people = new Map((await this.ctx.people(signals.map((s) => s.author).filter((a): a is string => a !== null))).map((p) => [p.id, p]));
      for (const s of signals) {
        out.push({ fileId: f.id, fileName: f.name, v: s.v, author: s.author ? (people.get(s.author) ?? null) : null, source: s.source, ts: s.ts, at: s.at, length: s.length, preview: s.preview });
      }
    }
    return out.sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  }

  private async fileLog(workspaceId: string, fileId: string): Promise<FileLog> {
    const log = await this.history.read(workspaceId, fileId);
    if (!log) throw notFound('file');
    return log;
  }
}
