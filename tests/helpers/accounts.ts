import { api } from './server-process';

/** A signed-in account in a test: its cookie goes on REST calls and socket handshakes. */
export interface TestUser {
  id: string;
  email: string;
  displayName: string;
  role: string;
  cookie: string;
}

let counter = 0;
const PASSWORD = 'correct horse battery';

function cookieFrom(setCookie: string[]): string {
  const session = setCookie.find((c) => c.startsWith('tandem_session='));
  if (!session) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return session.split(';')[0]!;
}

/** Sign up through the real API: a teacher without a join code, a student of that class with one. */
export async function signUp(base: string, displayName: string, joinCode?: string): Promise<TestUser> {
  const email = `${displayName.toLowerCase().replace(/[^a-z0-9]/g, '') || 'user'}.${process.pid}.${++counter}@example.edu`;
  const res = await api<{ user: Omit<TestUser, 'cookie'> }>(base, 'POST', '/api/auth/signup', {
    email,
    password: PASSWORD,
    displayName,
    ...(joinCode ? { joinCode } : {}),
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body.user, cookie: cookieFrom(res.setCookie) };
}

export async function logIn(base: string, email: string, password = PASSWORD): Promise<TestUser> {
  const res = await api<{ user: Omit<TestUser, 'cookie'> }>(base, 'POST', '/api/auth/login', { email, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body.user, cookie: cookieFrom(res.setCookie) };
}

/** Call the API as `user`, expecting `status`; returns the body. */
export async function call<T = any>(base: string, user: TestUser | null, method: string, path: string, body?: unknown, status?: number): Promise<T> {
  const res = await api<T>(base, method, path, body, user?.cookie);
  if (status !== undefined && res.status !== status) {
    throw new Error(`${method} ${path} → ${res.status} (expected ${status}): ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

export interface PairFixture {
  teacher: TestUser;
  students: TestUser[];
  classId: string;
  joinCode: string;
  assignmentId: string;
  workspaceId: string;
  groupId: string;
  fileIds: Record<string, string>;
}

/**
 * The common shape of a test: a teacher, a class, a published pairs assignment with `files`,
 * `names.length` students paired in one group, and that group's workspace opened.
 */
export async function pairWorkspace(
  base: string,
  files: Array<{ name: string; content: string }> = [{ name: 'main.py', content: '' }],
  names: string[] = ['Ada', 'Brian'],
  options: { strictRoles?: boolean } = {},
): Promise<PairFixture> {
  const teacher = await signUp(base, 'Teacher');
  const klass = await call(base, teacher, 'POST', '/api/classes', { name: 'CS 101' }, 201);
  const students = [];
  for (const n of names) students.push(await signUp(base, n, klass.joinCode));
  const assignment = await call(base, teacher, 'POST', `/api/classes/${klass.id}/assignments`, {
    title: 'Lab 1',
    instructions: '# Lab 1',
    language: 'python',
    starterFiles: files,
    mode: names.length === 1 ? 'solo' : 'pairs',
    pairing: 'manual',
    strictRoles: options.strictRoles ?? false,
  }, 201);
  await call(base, teacher, 'PATCH', `/api/assignments/${assignment.id}`, { published: true }, 200);
  const groups = await call(base, teacher, 'PUT', `/api/assignments/${assignment.id}/groups`, { groups: [students.map((s) => s.id)] }, 200);
  const opened = await call(base, students[0]!, 'POST', `/api/assignments/${assignment.id}/open`, undefined, 200);
  const ws = await call(base, students[0]!, 'GET', `/api/workspaces/${opened.workspaceId}`, undefined, 200);
  const fileIds: Record<string, string> = {};
  for (const f of ws.files) fileIds[f.name] = f.id;
  return {
    teacher,
    students,
    classId: klass.id,
    joinCode: klass.joinCode,
    assignmentId: assignment.id,
    workspaceId: opened.workspaceId,
    groupId: groups.groups[0].id,
    fileIds,
  };
}
