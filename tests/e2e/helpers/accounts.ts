/**
 * Accounts for browser tests, made through the real REST API (the UI flows themselves are
 * tested in classroom.test.ts). A test puts an account's session cookie into a browser context
 * with `newUser` (helpers/browser.ts).
 */

/** Name of the httpOnly session cookie (server/auth/session-cookie.ts). */
export const SESSION_COOKIE = 'tandem_session';
/** Every test account's password; long enough for the server's minimum of 10. */
export const PASSWORD = 'e2e correct horse battery';

export interface Account {
  id: string;
  email: string;
  displayName: string;
  role: string;
  /** The session token (the cookie's value). */
  token: string;
}

let counter = 0;

/** A unique email for a display name, per test process. */
export function uniqueEmail(displayName: string): string {
  return `${displayName.toLowerCase().replace(/[^a-z0-9]/g, '') || 'user'}.${process.pid}.${++counter}@e2e.example.edu`;
}

/** JSON over HTTP as `account` (or anonymous); throws unless the status is `expect` (when given). */
export async function http<T = any>(
  baseUrl: string,
  account: Account | null,
  method: string,
  path: string,
  body?: unknown,
  expect?: number,
): Promise<{ status: number; body: T; setCookie: string[] }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (account) headers.cookie = `${SESSION_COOKIE}=${account.token}`;
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as T) : (undefined as T);
  if (expect !== undefined && res.status !== expect) {
    throw new Error(`${method} ${path} → ${res.status} (expected ${expect}): ${text}`);
  }
  return { status: res.status, body: parsed, setCookie: res.headers.getSetCookie() };
}

/** Sign up: a teacher without a join code, a student of that class with one. */
export async function signUp(baseUrl: string, displayName: string, joinCode?: string): Promise<Account> {
  const email = uniqueEmail(displayName);
  const res = await http<{ user: Omit<Account, 'token'> }>(
    baseUrl,
    null,
    'POST',
    '/api/auth/signup',
    { email, password: PASSWORD, displayName, ...(joinCode ? { joinCode } : {}) },
    201,
  );
  const cookie = res.setCookie.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new Error(`sign-up set no session cookie: ${JSON.stringify(res.setCookie)}`);
  return { ...res.body.user, token: cookie.split(';')[0]!.slice(SESSION_COOKIE.length + 1) };
}

export interface WorkspaceFixture {
  id: string;
  name: string;
  files: Array<{ id: string; name: string; language: string }>;
}

/** A personal workspace of `owner` (only the owner may write; others may not even see it). */
export async function personalWorkspace(
  baseUrl: string,
  owner: Account,
  body: { name?: string; files?: Array<{ name: string; content?: string }> } = {},
): Promise<WorkspaceFixture> {
  return (await http<WorkspaceFixture>(baseUrl, owner, 'POST', '/api/workspaces', body, 201)).body;
}

export interface PairFixture {
  teacher: Account;
  students: Account[];
  classId: string;
  joinCode: string;
  assignmentId: string;
  groupId: string;
  workspace: WorkspaceFixture;
  /** File id by name. */
  fileIds: Record<string, string>;
}

/**
 * Two (or more) people who may edit one workspace: a teacher, a class, a published pairs
 * assignment with `files`, the students paired in one group, and its workspace opened. The first
 * student is the driver.
 */
export async function pairWorkspace(
  baseUrl: string,
  options: {
    names: string[];
    files?: Array<{ name: string; content: string }>;
    title?: string;
    strictRoles?: boolean;
    swapMinutes?: number | null;
    teacherName?: string;
  },
): Promise<PairFixture> {
  const teacher = await signUp(baseUrl, options.teacherName ?? 'Teacher');
  const klass = (await http(baseUrl, teacher, 'POST', '/api/classes', { name: 'CS 101' }, 201)).body;
  const students: Account[] = [];
  for (const name of options.names) students.push(await signUp(baseUrl, name, klass.joinCode));
  const assignment = (
    await http(baseUrl, teacher, 'POST', `/api/classes/${klass.id}/assignments`, {
      title: options.title ?? 'Lab 1',
      instructions: '# Lab 1',
      language: 'python',
      starterFiles: options.files ?? [{ name: 'main.py', content: '' }],
      mode: 'pairs',
      pairing: 'manual',
      strictRoles: options.strictRoles ?? false,
      swapMinutes: options.swapMinutes ?? null,
    }, 201)
  ).body;
  await http(baseUrl, teacher, 'PATCH', `/api/assignments/${assignment.id}`, { published: true }, 200);
  const groups = (await http(baseUrl, teacher, 'PUT', `/api/assignments/${assignment.id}/groups`, { groups: [students.map((s) => s.id)] }, 200)).body;
  const opened = (await http(baseUrl, students[0]!, 'POST', `/api/assignments/${assignment.id}/open`, undefined, 200)).body;
  const workspace = (await http<WorkspaceFixture>(baseUrl, students[0]!, 'GET', `/api/workspaces/${opened.workspaceId}`, undefined, 200)).body;
  const fileIds: Record<string, string> = {};
  for (const f of workspace.files) fileIds[f.name] = f.id;
  return {
    teacher,
    students,
    classId: klass.id,
    joinCode: klass.joinCode,
    assignmentId: assignment.id,
    groupId: groups.groups[0].id,
    workspace,
    fileIds,
  };
}
