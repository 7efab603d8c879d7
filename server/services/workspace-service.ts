import { randomBytes } from 'node:crypto';
import type { Connection, Doc } from 'sharedb/lib/client';
import { COLLECTIONS, ErrorCode, TEXT_TYPE_URI, fileDocId } from '../../lib/protocol';
import { MAX_FILES_PER_WORKSPACE, MAX_FILE_BYTES } from '../../lib/limits';
import { normalizeLineEndings } from '../../lib/text/line-endings';
import { fileNameProblem, languageForFileName, type FileEntry, type WorkspaceData } from '../../lib/workspace';
import { TandemError } from '../errors';

export interface NewFile {
  name: string;
  content?: string;
}

export interface FileSummary extends FileEntry {
  id: string;
}

export interface WorkspaceSummary {
  id: string;
  name: string;
  createdAt: number;
  files: FileSummary[];
}

/** 16 random bytes → 22 URL-safe characters: unguessable, so a link is the capability for now. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Workspace and file lifecycle, done with ShareDB ops on a server connection so every open
 * editor sees the change live and the op log records it. Ordering keeps the list honest: a file
 * doc exists before it is listed, and is unlisted before it is deleted.
 */
export class WorkspaceService {
  /** Requests using each cached Doc; a Doc is destroyed only when its last user is done. */
  private readonly docUsers = new Map<string, number>();

  constructor(private readonly connection: Connection) {}

  async createWorkspace(name: string, files: NewFile[]): Promise<WorkspaceSummary> {
    if (files.length > MAX_FILES_PER_WORKSPACE) {
      throw new TandemError(ErrorCode.TooManyFiles, `A workspace holds at most ${MAX_FILES_PER_WORKSPACE} files.`);
    }
    const seen = new Set<string>();
    for (const f of files) {
      assertFileName(f.name);
      if (seen.has(f.name)) throw new TandemError(ErrorCode.Conflict, `Two files are named "${f.name}".`);
      seen.add(f.name);
    }
    const id = newId();
    const now = Date.now();
    const entries: Record<string, FileEntry> = {};
    for (const f of files) {
      const fileId = newId();
      await this.createFileDoc(id, fileId, f.content ?? '', 'starter');
      entries[fileId] = { name: f.name, language: languageForFileName(f.name), createdAt: now };
    }
    const data: WorkspaceData = { name, createdAt: now, files: entries };
    await this.useDoc(COLLECTIONS.workspaces, id, (doc) => promisify((cb) => doc.create(data, 'json0', cb)));
    return summarize(id, data);
  }

  async getWorkspace(id: string): Promise<WorkspaceSummary> {
    return this.withWorkspace(id, async (doc) => summarize(id, doc.data as WorkspaceData));
  }

  async createFile(workspaceId: string, file: NewFile): Promise<FileSummary> {
    assertFileName(file.name);
    return this.withWorkspace(workspaceId, async (doc) => {
      const data = doc.data as WorkspaceData;
      if (Object.keys(data.files).length >= MAX_FILES_PER_WORKSPACE) {
        throw new TandemError(ErrorCode.TooManyFiles, `A workspace holds at most ${MAX_FILES_PER_WORKSPACE} files.`);
      }
      assertNameFree(data, file.name);
      const fileId = newId();
      await this.createFileDoc(workspaceId, fileId, file.content ?? '', 'server');
      const entry: FileEntry = { name: file.name, language: languageForFileName(file.name), createdAt: Date.now() };
      await submit(doc, [{ p: ['files', fileId], oi: entry }]);
      return { id: fileId, ...entry };
    });
  }

  async renameFile(workspaceId: string, fileId: string, name: string): Promise<FileSummary> {
    assertFileName(name);
    return this.withWorkspace(workspaceId, async (doc) => {
      const data = doc.data as WorkspaceData;
      const entry = data.files[fileId];
      if (!entry) throw new TandemError(ErrorCode.NotFound, 'No such file in this workspace.');
      if (entry.name === name) return { id: fileId, ...entry };
      assertNameFree(data, name);
      const language = languageForFileName(name);
      await submit(doc, [
        { p: ['files', fileId, 'name'], od: entry.name, oi: name },
        { p: ['files', fileId, 'language'], od: entry.language, oi: language },
      ]);
      return { id: fileId, ...(doc.data as WorkspaceData).files[fileId]! };
    });
  }

  async deleteFile(workspaceId: string, fileId: string): Promise<void> {
    await this.withWorkspace(workspaceId, async (doc) => {
      const data = doc.data as WorkspaceData;
      const entry = data.files[fileId];
      if (!entry) throw new TandemError(ErrorCode.NotFound, 'No such file in this workspace.');
      await submit(doc, [{ p: ['files', fileId], od: entry }]);
    });
    // The op log keeps the file's history; only the current snapshot goes away.
    await this.useDoc(COLLECTIONS.files, fileDocId(workspaceId, fileId), async (fileDoc) => {
      await promisify((cb) => fileDoc.fetch(cb));
      if (fileDoc.type) await promisify((cb) => fileDoc.del(cb));
    });
  }

  /**
   * `source` is the op provenance the create is stored with (P-OP-PROV): `starter` for the files a
   * workspace starts with (an assignment's starter code), `server` for files added later.
   */
  private async createFileDoc(workspaceId: string, fileId: string, content: string, source: 'starter' | 'server'): Promise<void> {
    const text = normalizeLineEndings(content);
    if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
      throw new TandemError(ErrorCode.FileTooLarge, `A file may be at most ${MAX_FILE_BYTES / 1024 / 1024} MB.`);
    }
    await this.useDoc(COLLECTIONS.files, fileDocId(workspaceId, fileId), (doc) => {
      doc.submitSource = true;
      return promisify((cb) => doc.create(text, TEXT_TYPE_URI, { source: { kind: source } }, cb));
    });
  }

  private async withWorkspace<T>(id: string, fn: (doc: Doc) => Promise<T>): Promise<T> {
    return this.useDoc(COLLECTIONS.workspaces, id, async (doc) => {
      await promisify((cb) => doc.fetch(cb));
      if (!doc.type) throw new TandemError(ErrorCode.NotFound, 'No such workspace.');
      return fn(doc);
    });
  }

  /** Run `fn` with the connection's Doc, releasing it (so its text is not cached forever) after. */
  private async useDoc<T>(collection: string, id: string, fn: (doc: Doc) => Promise<T>): Promise<T> {
    const key = `${collection}/${id}`;
    this.docUsers.set(key, (this.docUsers.get(key) ?? 0) + 1);
    const doc = this.connection.get(collection, id);
    try {
      return await fn(doc);
    } finally {
      const left = (this.docUsers.get(key) ?? 1) - 1;
      if (left === 0) {
        this.docUsers.delete(key);
        doc.destroy();
      } else {
        this.docUsers.set(key, left);
      }
    }
  }
}

function assertFileName(name: string): void {
  const problem = fileNameProblem(name);
  if (problem) throw new TandemError(ErrorCode.InvalidRequest, problem);
}

function assertNameFree(data: WorkspaceData, name: string): void {
  if (Object.values(data.files).some((f) => f.name === name)) {
    throw new TandemError(ErrorCode.Conflict, `A file named "${name}" already exists.`);
  }
}

function summarize(id: string, data: WorkspaceData): WorkspaceSummary {
  const files = Object.entries(data.files)
    .map(([fileId, f]) => ({ id: fileId, ...f }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { id, name: data.name, createdAt: data.createdAt, files };
}

function submit(doc: Doc, op: unknown[]): Promise<void> {
  return promisify((cb) => doc.submitOp(op, {}, cb));
}

/** ShareDB's client API is callback-based; its errors carry `{code, message}`. */
function promisify(run: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    run((err) => (err ? reject(err) : resolve()));
  });
}
