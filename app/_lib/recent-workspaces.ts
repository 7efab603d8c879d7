import { ID_PATTERN } from '../../lib/protocol';

/** A workspace this browser opened, for the landing page's "Recent" list. */
export interface RecentWorkspace {
  id: string;
  name: string;
  openedAt: number;
}

const STORAGE_KEY = 'tandem.recent';
const MAX_RECENT = 8;

export function loadRecentWorkspaces(): RecentWorkspace[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    if (!Array.isArray(value)) return [];
    return value.filter(
      (r): r is RecentWorkspace =>
        !!r && typeof r.id === 'string' && ID_PATTERN.test(r.id) && typeof r.name === 'string' && typeof r.openedAt === 'number',
    );
  } catch {
    return [];
  }
}

export function rememberWorkspace(id: string, name: string): void {
  const list = [{ id, name, openedAt: Date.now() }, ...loadRecentWorkspaces().filter((r) => r.id !== id)].slice(0, MAX_RECENT);
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(list));
  } catch {
    // Nice to have only.
  }
}

export function forgetWorkspace(id: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(loadRecentWorkspaces().filter((r) => r.id !== id)));
  } catch {
    // Nice to have only.
  }
}

/**
 * The workspace id in what someone pasted: a full link (`https://host/w/<id>?file=…`), a path
 * (`/w/<id>`) or a bare id. Null when there is none.
 */
export function workspaceIdFromInput(input: string): string | null {
  const text = input.trim();
  if (ID_PATTERN.test(text)) return text;
  const match = /(?:^|\/)w\/([A-Za-z0-9_-]{6,64})(?:[/?#]|$)/.exec(text);
  return match ? match[1]! : null;
}
