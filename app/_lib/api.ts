import type { ErrorCode } from '../../lib/protocol';

/** A file as the REST API describes it. */
export interface FileSummary {
  id: string;
  name: string;
  language: string;
  createdAt: number;
}

export interface WorkspaceSummary {
  id: string;
  name: string;
  createdAt: number;
  files: FileSummary[];
}

/** A failed API call, with a message written for people (the server's, when it sent one). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: ErrorCode | 'NETWORK' | 'UNKNOWN',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('Could not reach the Tandem server. Check your connection and try again.', 0, 'NETWORK');
  }
  if (response.status === 204) return undefined as T;
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON (a proxy's error page): fall through to the generic message.
  }
  if (!response.ok) {
    const error = (payload as { error?: { code?: ErrorCode; message?: string } } | null)?.error;
    throw new ApiError(
      error?.message ?? `The server answered ${response.status}. Please try again.`,
      response.status,
      error?.code ?? 'UNKNOWN',
    );
  }
  return payload as T;
}

export const api = {
  createWorkspace(body: { name?: string; files?: Array<{ name: string; content?: string }> }) {
    return request<WorkspaceSummary>('POST', '/api/workspaces', body);
  },
  getWorkspace(id: string) {
    return request<WorkspaceSummary>('GET', `/api/workspaces/${encodeURIComponent(id)}`);
  },
  createFile(workspaceId: string, name: string, content?: string) {
    return request<FileSummary>('POST', `/api/workspaces/${encodeURIComponent(workspaceId)}/files`, { name, content });
  },
  renameFile(workspaceId: string, fileId: string, name: string) {
    return request<FileSummary>(
      'PATCH',
      `/api/workspaces/${encodeURIComponent(workspaceId)}/files/${encodeURIComponent(fileId)}`,
      { name },
    );
  },
  deleteFile(workspaceId: string, fileId: string) {
    return request<void>('DELETE', `/api/workspaces/${encodeURIComponent(workspaceId)}/files/${encodeURIComponent(fileId)}`);
  },
};

/** The message to show for anything thrown by an API call. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Please try again.';
}
