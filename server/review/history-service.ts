import { codePointLength } from '../../lib/text/offsets';
import { blame, contributions } from '../../lib/review/blame';
import { findPasteSignals } from '../../lib/review/paste-signals';
import type { BlameView, FileAtVersion, FileHistory, PasteSignalView } from '../../lib/review/review-api';
import type { User } from '../../prisma-free-db';
import { ErrorCode } from '../../lib/protocol';
import { TandemError } from '../errors';
import type { WorkspaceService } from '../services/workspace-service';
import { opSize, textAtVersion, type FileHistoryReader, type FileOp } from './file-history';
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
    const ops = await this.fileOps(workspaceId, fileId);
    await this.ctx.auditIfOthersWork(user, workspaceId, `file:${workspaceId}:${fileId}`, { what: 'history' });
    const entries = ops.map((o) => {
      const size = o.kind === 'create' ? { inserted: codePointLength(o.initial ?? ''), deleted: 0 } : opSize(o.op);
      return { v: o.v, author: o.author, source: o.source, ts: o.ts, ...size };
    });
    const authorIds = [...new Set(ops.map((o) => o.author).filter((a): a is string => a !== null && !a.startsWith('server:')))];
    return {
      workspaceId,
      fileId,
      version: ops[ops.length - 1]!.v + 1,
      firstVersion: ops[0]!.v,
      authors: await this.ctx.people(authorIds),
      entries,
    };
  }

  /** HS-2: the text after `version` ops. Not audited per call: the history read is. */
  async fileAtVersion(user: User, workspaceId: string, fileId: string, version: number): Promise<FileAtVersion> {
    await this.ctx.requireRead(user, workspaceId);
    const ops = await this.fileOps(workspaceId, fileId);
    const text = textAtVersion(ops, version);
    if (text === null) throw new TandemError(ErrorCode.NotFound, `The file has no version ${version}.`);
    return { fileId, version, text };
  }

  /** BL-1: who wrote each character of the current text. */
  async blame(user: User, workspaceId: string, fileId: string): Promise<BlameView> {
    await this.ctx.requireRead(user, workspaceId);
    const ops = await this.fileOps(workspaceId, fileId);
    await this.ctx.auditIfOthersWork(user, workspaceId, `file:${workspaceId}:${fileId}`, { what: 'blame' });
    const { initial, edits } = splitCreate(ops);
    const spans = blame(initial, null, edits);
    const version = ops[ops.length - 1]!.v + 1;
    const authorIds = [...new Set(edits.map((o) => o.author).filter((a): a is string => a !== null && !a.startsWith('server:')))];
    return {
      fileId,
      version,
      text: textAtVersion(ops, version) ?? '',
      spans: spans.map((s) => (s.v === null ? { ...s, source: s.source ?? 'starter' } : s)),
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
    const logs = new Map<string, FileOp[]>();
    for (const f of summary.files) logs.set(f.id, await this.history.ops(workspaceId, f.id));
    const out: PasteSignalView[] = [];
    for (const f of summary.files) {
      const ops = logs.get(f.id)!;
      const { initial, edits } = splitCreate(ops);
      const tsOf = new Map(edits.map((e) => [e.v, e.ts ?? 0]));
      let signals = findPasteSignals(edits, initial, {
        minChars: this.pasteSignalMinChars,
        // Other files as they were when the paste happened: text moved between files is not a signal.
        workspaceTextBefore: (v) => {
          const ts = tsOf.get(v) ?? 0;
          const texts: string[] = [];
          for (const [otherId, otherOps] of logs) {
            if (otherId === f.id) continue;
            const before = otherOps.filter((o) => (o.ts ?? 0) <= ts);
            const last = before[before.length - 1];
            if (last) texts.push(textAtVersion(otherOps, last.v + 1) ?? '');
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

  private async fileOps(workspaceId: string, fileId: string): Promise<FileOp[]> {
    const ops = await this.history.ops(workspaceId, fileId);
    if (ops.length === 0) throw notFound('file');
    return ops;
  }
}

function splitCreate(ops: FileOp[]): { initial: string; edits: Array<{ op: NonNullable<FileOp['op']>; v: number; author: string | null; source?: string; ts?: number }> } {
  let initial = '';
  const edits = [];
  for (const o of ops) {
    if (o.kind === 'create') initial = o.initial ?? '';
    else if (o.kind === 'edit' && o.op) {
      edits.push({ op: o.op, v: o.v, author: o.author, ...(o.source ? { source: o.source } : {}), ...(o.ts !== null ? { ts: o.ts } : {}) });
    }
  }
  return { initial, edits };
}

