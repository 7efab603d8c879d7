/**
 * The workspace page as a product: self-hosted assets only, signing in, live file operations,
 * where people are, the theme, read-only viewers, pair roles and follow mode. Real Chromium,
 * real server process.
 */
import type { Browser, Request, WebSocketRoute } from 'playwright-core';
import { pairWorkspace, personalWorkspace, PASSWORD, signUp } from './helpers/accounts';
import { cursorLabels, editorText, eventually, launchChromium, newUser, openWorkspace, placeCaret, waitForEditor, type User } from './helpers/browser';
import { ServerReader } from './helpers/server-text';
import { startTandemProcess, type TandemProcess } from './helpers/tandem-process';

jest.setTimeout(120_000);

let server: TandemProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTandemProcess(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const fileNames = (user: User) => user.page.locator('[data-testid="file-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));

test('[E2E-5] every request stays on our origin: pages, Monaco, its workers and fonts are self-hosted', async () => {
  const user = await newUser(browser, server.baseUrl, await signUp(server.baseUrl, 'Offline Campus'));
  const requests: string[] = [];
  user.context.on('request', (r: Request) => requests.push(r.url()));
  try {
    // The whole path a teacher takes: dashboard → create → workspace with several languages.
    await user.page.goto('/');
    await user.page.getByTestId('workspace-name-input').fill('Self-hosting check');
    await user.page.getByTestId('create-workspace').click();
    await user.page.waitForURL(/\/w\/[A-Za-z0-9_-]{6,64}/);
    await waitForEditor(user.page);
    expect(await editorText(user.page)).toContain('def greet');
    for (const name of ['app.ts', 'data.json', 'style.css', 'index.html']) {
      await user.page.getByTestId('new-file').click();
      await user.page.getByTestId('file-name-input').fill(name);
      await user.page.getByTestId('file-name-input').press('Enter');
      await user.page.locator(`[data-testid="editor"][data-state="ready"]`).waitFor();
      await user.page.getByTestId('open-file-name').getByText(name, { exact: true }).waitFor();
      await user.page.keyboard.type('x');
    }
    // Language workers start lazily; give them a moment to be requested.
    await eventually(async () => user.page.workers().length, (n) => n >= 2, 15_000, 'Monaco workers to start');

    const origin = new URL(server.baseUrl).origin;
    const foreign = requests.filter((url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin);
    expect(foreign).toEqual([]);
    for (const worker of user.page.workers()) expect(new URL(worker.url()).origin).toBe(origin);
    // Monaco's icon font is bundled and served by us too.
    expect(requests.some((url) => /\.(ttf|woff2?)(\?|$)/.test(url))).toBe(true);
  } finally {
    await user.context.close();
  }
});

test('[E2E-6] a visitor who is not signed in is sent to sign in and back; the partner sees the account name', async () => {
  const pair = await pairWorkspace(server.baseUrl, { names: ['Ada', 'Linus Torvalds'], files: [{ name: 'main.py', content: 'print(1)\n' }] });
  const workspaceId = pair.workspace.id;
  const host = await newUser(browser, server.baseUrl, pair.students[0]!);
  const guest = await newUser(browser, server.baseUrl, null);
  try {
    await openWorkspace(host.page, workspaceId);
    await guest.page.goto(`/w/${workspaceId}`);
    await guest.page.waitForURL(/\/signin\?/);
    expect(new URL(guest.page.url()).searchParams.get('next')).toBe(`/w/${workspaceId}`);
    // A wrong password is refused with the server's message, and nothing else happens.
    await guest.page.getByTestId('email-input').fill(pair.students[1]!.email);
    await guest.page.getByTestId('password-input').fill('not the password');
    await guest.page.getByTestId('signin-submit').click();
    await guest.page.getByTestId('form-error').getByText('Wrong email or password.').waitFor();
    await guest.page.getByTestId('password-input').fill(PASSWORD);
    await guest.page.getByTestId('password-input').press('Enter');
    // Back where they wanted to go, with no name prompt: the account's name is the name.
    await guest.page.waitForURL(new RegExp(`/w/${workspaceId}`));
    await waitForEditor(guest.page);
    await host.page.locator('[data-testid="person"][data-name="Linus Torvalds"]').waitFor({ timeout: 15_000 });
    await placeCaret(guest.page, 'end');
    await guest.page.keyboard.type('# typed after signing in');
    await eventually(() => editorText(host.page), (text) => !!text?.endsWith('# typed after signing in'), 10_000, 'the host to see the edit');

    // Signing out ends the session: back to the sign-in page, the partner sees them leave, and
    // the workspace link asks for a sign-in again.
    await guest.page.getByTestId('account-button').click();
    await guest.page.getByTestId('sign-out').click();
    await guest.page.waitForURL(/\/signin\?reason=signed-out/);
    await host.page.locator('[data-testid="person"][data-name="Linus Torvalds"]').waitFor({ state: 'detached', timeout: 15_000 });
    await guest.page.goto(`/w/${workspaceId}`);
    await guest.page.waitForURL(/\/signin\?/);
  } finally {
    await Promise.all([host.context.close(), guest.context.close()]);
  }
});

test('[E2E-7] creating, renaming and deleting files in one page shows up live in the other', async () => {
  const pair = await pairWorkspace(server.baseUrl, { names: ['Ada', 'Bob'], title: 'Files', files: [{ name: 'main.py', content: 'print(1)\n' }] });
  const workspace = pair.workspace;
  const ada = await newUser(browser, server.baseUrl, pair.students[0]!);
  const bob = await newUser(browser, server.baseUrl, pair.students[1]!);
  try {
    await Promise.all([openWorkspace(ada.page, workspace.id), openWorkspace(bob.page, workspace.id)]);

    // Create: Enter saves, and the new file opens for its creator.
    await ada.page.getByTestId('new-file').click();
    await ada.page.getByTestId('file-name-input').fill('notes.md');
    await ada.page.getByTestId('file-name-input').press('Enter');
    await eventually(() => fileNames(bob), (n) => n.includes('notes.md'), 10_000, 'notes.md in the other page');
    await ada.page.getByTestId('open-file-name').getByText('notes.md').waitFor();
    await expect(ada.page.getByTestId('open-file-language').textContent()).resolves.toBe('Markdown');

    // A duplicate name is refused with a message, and Escape cancels.
    await ada.page.getByTestId('new-file').click();
    await ada.page.getByTestId('file-name-input').fill('main.py');
    await ada.page.getByTestId('file-name-input').press('Enter');
    await ada.page.getByTestId('file-tree-error').getByText('A file named "main.py" already exists.').waitFor();
    await ada.page.getByTestId('file-name-input').press('Escape');
    await ada.page.getByTestId('file-name-input').waitFor({ state: 'detached' });

    // Rename from the keyboard: focus the row, F2, type, Enter.
    await ada.page.locator('[data-testid="file-row"][data-name="notes.md"] .file-button').focus();
    await ada.page.keyboard.press('F2');
    await ada.page.getByTestId('file-name-input').fill('README.md');
    await ada.page.getByTestId('file-name-input').press('Enter');
    await eventually(() => fileNames(bob), (n) => n.includes('README.md') && !n.includes('notes.md'), 10_000, 'the rename in the other page');

    // Delete from the keyboard: Delete, then confirm.
    await ada.page.locator('[data-testid="file-row"][data-name="README.md"] .file-button').focus();
    await ada.page.keyboard.press('Delete');
    await ada.page.getByTestId('confirm-delete').getByText('Delete README.md?').waitFor();
    await ada.page.getByTestId('confirm-delete-button').click();
    await eventually(() => fileNames(bob), (n) => n.length === 1 && n[0] === 'main.py', 10_000, 'the delete in the other page');
    await eventually(() => fileNames(ada), (n) => n.length === 1 && n[0] === 'main.py', 10_000, 'the delete in the deleting page');

    // The server's own error messages reach the user (here a stubbed refusal).
    await ada.page.route('**/api/workspaces/*/files', (route) =>
      route.fulfill({ status: 409, json: { error: { code: 'ERR_TANDEM_CONFLICT', message: 'The server refused this name.' } } }),
    );
    await ada.page.getByTestId('new-file').click();
    await ada.page.getByTestId('file-name-input').fill('other.py');
    await ada.page.getByTestId('file-name-input').press('Enter');
    await ada.page.getByTestId('file-tree-error').getByText('The server refused this name.').waitFor();
    await ada.page.unroute('**/api/workspaces/*/files');
  } finally {
    await Promise.all([ada.context.close(), bob.context.close()]);
  }
});

test('[E2E-7b] a file that finishes loading late does not take the keyboard from the new-file field', async () => {
  const pair = await pairWorkspace(server.baseUrl, {
    names: ['Ada', 'Bob'],
    title: 'Focus',
    files: [
      { name: 'a.py', content: 'a = 1\n' },
      { name: 'b.py', content: 'b = 2\n' },
    ],
  });
  const ada = await newUser(browser, server.baseUrl, pair.students[0]!);
  // Hold what the server sends, to make the slow campus network deterministic: b.py's contents
  // arrive only after Ada has moved on to the new-file field.
  let hold = false;
  const held: Array<string | Buffer> = [];
  let toPage: WebSocketRoute | null = null;
  await ada.page.routeWebSocket(/\/socket\.io\//, (ws) => {
    toPage = ws;
    const upstream = ws.connectToServer();
    upstream.onMessage((message) => (hold ? held.push(message) : ws.send(message)));
  });
  try {
    await openWorkspace(ada.page, pair.workspace.id);
    expect(await editorText(ada.page)).toBe('a = 1\n');
    expect(toPage).not.toBeNull();

    hold = true;
    await ada.page.locator('[data-testid="file-row"][data-name="b.py"] .file-button').click();
    await ada.page.locator('[data-testid="editor"][data-state="loading"]').waitFor();
    await ada.page.getByTestId('new-file').click();
    const input = ada.page.getByTestId('file-name-input');
    await input.waitFor();
    hold = false;
    for (const message of held.splice(0)) toPage!.send(message);

    await waitForEditor(ada.page);
    expect(await editorText(ada.page)).toBe('b = 2\n');
    // The field is still there, still has the keyboard, and still works.
    expect(await input.count()).toBe(1);
    expect(await input.evaluate((el) => el === document.activeElement)).toBe(true);
    await ada.page.keyboard.type('c.py');
    await ada.page.keyboard.press('Enter');
    await ada.page.getByTestId('open-file-name').getByText('c.py', { exact: true }).waitFor();
    await waitForEditor(ada.page);
    // A file opened by the person themselves does take the keyboard: typing goes into it.
    await eventually(() => ada.page.evaluate(() => document.activeElement?.closest('[data-testid="editor"]') != null), (inEditor) => inEditor, 10_000, 'the new file to have the keyboard');
  } finally {
    await ada.context.close();
  }
});

test('[E2E-8] the people list shows which file each person is in, and the open file is deleted under a peer', async () => {
  const pair = await pairWorkspace(server.baseUrl, {
    names: ['Ada', 'Bob'],
    title: 'Presence',
    files: [
      { name: 'a.py', content: 'a = 1\n' },
      { name: 'b.py', content: 'b = 2\n' },
    ],
  });
  const workspace = pair.workspace;
  const fileB = workspace.files.find((f) => f.name === 'b.py')!;
  const ada = await newUser(browser, server.baseUrl, pair.students[0]!);
  const bob = await newUser(browser, server.baseUrl, pair.students[1]!);
  try {
    await Promise.all([openWorkspace(ada.page, workspace.id), openWorkspace(bob.page, workspace.id)]);
    const bobInAda = ada.page.locator('[data-testid="person"][data-name="Bob"] [data-testid="person-file"]');
    await bobInAda.getByText('in a.py', { exact: true }).waitFor({ timeout: 10_000 });

    // Bob moves to b.py: Ada (still in a.py) sees it although she never opened b.py.
    await bob.page.locator('[data-testid="file-row"][data-name="b.py"] .file-button').click();
    await waitForEditor(bob.page);
    expect(await editorText(bob.page)).toBe('b = 2\n');
    await bobInAda.getByText('in b.py', { exact: true }).waitFor({ timeout: 10_000 });

    // And back again (the presence channel changes hands twice in each tab).
    await bob.page.locator('[data-testid="file-row"][data-name="a.py"] .file-button').click();
    await bobInAda.getByText('in a.py', { exact: true }).waitFor({ timeout: 10_000 });
    await eventually(() => cursorLabels(ada.page), (names) => names.includes('Bob'), 10_000, 'Bob’s caret back in a.py');

    // Ada deletes b.py while Bob's URL points at it: Bob lands on another file.
    await bob.page.goto(`/w/${workspace.id}?file=${fileB.id}`);
    await waitForEditor(bob.page);
    const rowB = ada.page.locator('[data-testid="file-row"][data-name="b.py"]');
    await rowB.hover();
    await rowB.getByTestId('delete-file').click();
    await ada.page.getByTestId('confirm-delete-button').click();
    await bob.page.getByTestId('toast').getByText('b.py was deleted.').waitFor({ timeout: 10_000 });
    await bob.page.getByTestId('open-file-name').getByText('a.py', { exact: true }).waitFor();
    await waitForEditor(bob.page);
    expect(await editorText(bob.page)).toBe('a = 1\n');
  } finally {
    await Promise.all([ada.context.close(), bob.context.close()]);
  }
});

test('[E2E-9] the theme follows the system until toggled, then remembers the choice', async () => {
  const owner = await signUp(server.baseUrl, 'Night Owl');
  const workspace = await personalWorkspace(server.baseUrl, owner, { files: [{ name: 'main.py', content: 'print(1)\n' }] });
  const user = await newUser(browser, server.baseUrl, owner, { colorScheme: 'dark' });
  try {
    await openWorkspace(user.page, workspace.id);
    const theme = () => user.page.evaluate(() => document.documentElement.dataset.theme);
    const monacoIsDark = () => user.page.locator('.monaco-editor').first().evaluate((el) => el.classList.contains('vs-dark'));
    expect(await theme()).toBe('dark');
    expect(await monacoIsDark()).toBe(true);
    await user.page.getByTestId('theme-toggle').click();
    expect(await theme()).toBe('light');
    await eventually(monacoIsDark, (dark) => !dark, 5_000, 'Monaco to follow the light theme');
    await user.page.reload();
    await waitForEditor(user.page);
    expect(await theme()).toBe('light');
  } finally {
    await user.context.close();
  }
});

test('[E2E-10] a link to a workspace that does not exist (or is not mine) says so and leads back to the start page', async () => {
  const user = await newUser(browser, server.baseUrl, await signUp(server.baseUrl, 'Lost'));
  const stranger = await signUp(server.baseUrl, 'Stranger');
  const theirs = await personalWorkspace(server.baseUrl, stranger, { files: [{ name: 'secret.py', content: 'SECRET = 42\n' }] });
  try {
    // Someone else's workspace looks exactly like one that does not exist, and shows nothing of it.
    await user.page.goto(`/w/${theirs.id}`);
    await user.page.getByTestId('workspace-missing').getByText('Workspace not found').waitFor({ timeout: 15_000 });
    expect(await user.page.content()).not.toContain('SECRET');
    await user.page.goto('/w/NoSuchWorkspace123');
    await user.page.getByTestId('workspace-missing').getByText('Workspace not found').waitFor({ timeout: 15_000 });
    await user.page.getByRole('link', { name: 'Go to the start page' }).click();
    await user.page.getByTestId('create-workspace').waitFor();
    // A malformed id is caught before any socket is opened.
    await user.page.goto('/w/bad');
    await user.page.getByTestId('workspace-missing').waitFor();
  } finally {
    await user.context.close();
  }
});

test('[E2E-11] the teacher views a pair’s workspace read-only and follows a student’s file and cursor', async () => {
  const long = Array.from({ length: 120 }, (_, i) => `line_${i + 1} = ${i + 1}`).join('\n') + '\n';
  const pair = await pairWorkspace(server.baseUrl, {
    names: ['Ada', 'Bob'],
    files: [
      { name: 'a.py', content: 'a = 1\n' },
      { name: 'long.py', content: long },
    ],
  });
  const teacher = await newUser(browser, server.baseUrl, pair.teacher);
  const ada = await newUser(browser, server.baseUrl, pair.students[0]!);
  try {
    await Promise.all([openWorkspace(teacher.page, pair.workspace.id, pair.fileIds['a.py']), openWorkspace(ada.page, pair.workspace.id, pair.fileIds['a.py'])]);
    await teacher.page.getByTestId('readonly-banner').getByText('Viewing read-only.').waitFor();
    await expect(teacher.page.getByTestId('editor').getAttribute('data-readonly')).resolves.toBe('true');
    await expect(teacher.page.getByTestId('new-file').count()).resolves.toBe(0);
    // Typing does nothing here, in the editor or on the server.
    await placeCaret(teacher.page, 'end');
    await teacher.page.keyboard.type('teacher was here');
    expect(await editorText(teacher.page)).toBe('a = 1\n');
    const reader = new ServerReader(server.baseUrl, pair.students[0]!);
    try {
      expect(await reader.fileText(pair.workspace.id, pair.fileIds['a.py']!)).toBe('a = 1\n');
    } finally {
      reader.close();
    }
    // The student's edits arrive live.
    await placeCaret(ada.page, 'end');
    await ada.page.keyboard.type('b = 2');
    await eventually(() => editorText(teacher.page), (t) => t === 'a = 1\nb = 2', 10_000, 'the student’s edit in the teacher’s view');
    expect(await editorText(ada.page)).toBe('a = 1\nb = 2');

    // Follow Ada: her file switch and her cursor far down a long file come along.
    await teacher.page.locator('[data-testid="person"][data-name="Ada"] [data-testid="follow-person"]').click();
    await teacher.page.getByTestId('follow-banner').getByText('Ada').waitFor();
    await ada.page.locator('[data-testid="file-row"][data-name="long.py"] .file-button').click();
    await waitForEditor(ada.page);
    await eventually(() => teacher.page.evaluate(() => window.__tandem?.openFileName() ?? null), (n) => n === 'long.py', 10_000, 'the teacher to follow into long.py');
    await placeCaret(ada.page, 'end');
    await eventually(
      () => teacher.page.locator('[data-testid="editor"][data-state="ready"]').getAttribute('data-follow-line'),
      (line) => line === '121',
      10_000,
      'the teacher’s editor to reveal Ada’s cursor line',
    );
    await teacher.page.locator('.view-line', { hasText: 'line_120 = 120' }).waitFor({ timeout: 5_000 });
    // Their own key press ends follow mode.
    await teacher.page.locator('[data-testid="editor"] .view-lines').click();
    await teacher.page.keyboard.press('ArrowUp');
    await teacher.page.getByTestId('follow-banner').waitFor({ state: 'detached' });
  } finally {
    await Promise.all([teacher.context.close(), ada.context.close()]);
  }
});

test('[E2E-12] strict roles: only the driver types; a swap hands over the keyboard live', async () => {
  const pair = await pairWorkspace(server.baseUrl, {
    names: ['Dora Driver', 'Ned Navigator'],
    files: [{ name: 'main.py', content: '' }],
    strictRoles: true,
    swapMinutes: 10,
  });
  const dora = await newUser(browser, server.baseUrl, pair.students[0]!);
  const ned = await newUser(browser, server.baseUrl, pair.students[1]!);
  const role = (user: User, name: string) => user.page.locator(`[data-testid="pair-member"]`, { hasText: name }).getAttribute('data-role');
  try {
    await Promise.all([openWorkspace(dora.page, pair.workspace.id), openWorkspace(ned.page, pair.workspace.id)]);
    expect(await role(ned, 'Dora Driver')).toBe('driver');
    expect(await role(ned, 'Ned Navigator')).toBe('navigator');
    await ned.page.getByTestId('navigator-banner').waitFor();
    await expect(ned.page.getByTestId('editor').getAttribute('data-readonly')).resolves.toBe('true');
    await expect(dora.page.getByTestId('editor').getAttribute('data-readonly')).resolves.toBe('false');
    await expect(ned.page.getByTestId('swap-timer').textContent()).resolves.toMatch(/^Swap in (10:00|9:5\d)$/);

    await placeCaret(ned.page, 'end');
    await ned.page.keyboard.type('navigator typing');
    await placeCaret(dora.page, 'end');
    await dora.page.keyboard.type('driver: ');
    await eventually(() => editorText(ned.page), (t) => t === 'driver: ', 10_000, 'the driver’s text at the navigator');
    expect(await editorText(dora.page)).toBe('driver: ');

    // Ned swaps: both pages change roles without a reload, and the keyboard changes hands.
    await ned.page.getByTestId('swap-roles').click();
    await eventually(() => role(dora, 'Ned Navigator'), (r) => r === 'driver', 10_000, 'Dora to see Ned drive');
    await dora.page.getByTestId('navigator-banner').waitFor();
    await ned.page.getByTestId('navigator-banner').waitFor({ state: 'detached' });
    await expect(dora.page.getByTestId('editor').getAttribute('data-readonly')).resolves.toBe('true');
    await placeCaret(ned.page, 'end');
    await ned.page.keyboard.type('ned');
    await eventually(() => editorText(dora.page), (t) => t === 'driver: ned', 10_000, 'the new driver’s text at the new navigator');
  } finally {
    await Promise.all([dora.context.close(), ned.context.close()]);
  }
});
