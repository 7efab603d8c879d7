import { MAX_FILE_NAME_LENGTH } from './limits';

/** One entry of a workspace's file list. */
export interface FileEntry {
  name: string;
  /** Monaco language id derived from the extension when the file was created or renamed. */
  language: string;
  createdAt: number;
}

/** The json0 snapshot of a workspace doc (collection `workspaces`). */
export interface WorkspaceData {
  name: string;
  createdAt: number;
  files: Record<string, FileEntry>;
}

const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  py: 'python',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'typescript',
  tsx: 'typescript',
  java: 'java',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cc: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  go: 'go',
  rs: 'rust',
  rb: 'ruby',
  php: 'php',
  kt: 'kotlin',
  swift: 'swift',
  html: 'html',
  htm: 'html',
  css: 'css',
  scss: 'scss',
  json: 'json',
  md: 'markdown',
  sql: 'sql',
  sh: 'shell',
  yml: 'yaml',
  yaml: 'yaml',
  xml: 'xml',
  txt: 'plaintext',
};

/** Monaco language id for a file name, from its extension; `plaintext` when unknown. */
export function languageForFileName(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return 'plaintext';
  return LANGUAGE_BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? 'plaintext';
}

/**
 * Why a file name is unacceptable, or null when it is fine. Names are flat (no folders yet), so
 * slashes are refused, as are names that mean something to a file system when a workspace is
 * exported (`.`, `..`) and control characters.
 */
export function fileNameProblem(name: string): string | null {
  if (name.length === 0) return 'File name is empty.';
  if ([...name].length > MAX_FILE_NAME_LENGTH) return `File name is longer than ${MAX_FILE_NAME_LENGTH} characters.`;
  if (name.trim() !== name) return 'File name starts or ends with white space.';
  if (name === '.' || name === '..') return 'File name cannot be "." or "..".';
  if (/[/\\]/.test(name)) return 'File name cannot contain a slash.';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'File name contains a control character.';
  return null;
}

/** File ids sorted by name, the order the file tree shows. */
export function sortedFileIds(files: Record<string, FileEntry>): string[] {
  return Object.keys(files).sort((a, b) => {
    const fa = files[a]!;
    const fb = files[b]!;
    return fa.name.localeCompare(fb.name) || a.localeCompare(b);
  });
}
