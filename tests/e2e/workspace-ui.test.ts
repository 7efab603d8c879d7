/**
 * The workspace page as a product: self-hosted assets only, the name prompt, live file
 * operations, where people are, and the theme. Real Chromium, real server process.
 */
import type { Browser, Request } from 'playwright-core';
import { cursorLabels, editorText, eventually, launchChromium, newUser, openWorkspace, placeCaret, waitForEditor, type User } from './helpers/browser';
import { createWorkspace, startTandemProcess, type TandemProcess } from './helpers/tandem-process';

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
  const user = await newUser(browser, server.baseUrl, { name: 'Offline Campus' });
  const requests: string[] = [];
  user.context.on('request', (r: Request) => requests.push(r.url()));
  try {
    // The whole path a teacher takes: landing page → create → workspace with several languages.
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

test('[E2E-6] a first-time visitor is asked for a name, and the partner sees it', async () => {
  const workspace = await createWorkspace(server.baseUrl, { name: 'Names' });
  const host = await newUser(browser, server.baseUrl, { name: 'Teacher' });
  const guest = await newUser(browser, server.baseUrl, { name: null });
  try {
    await openWorkspace(host.page, workspace.id);
    await guest.page.goto(`/w/${workspace.id}`);
    const dialog = guest.page.getByTestId('name-dialog');
    await dialog.waitFor({ state: 'visible' });
    // An empty name is refused with a message; Escape does not dismiss the first prompt.
    await guest.page.getByTestId('display-name-save').click();
    await dialog.getByRole('alert').getByText('Please enter a name.').waitFor();
    await guest.page.keyboard.press('Escape');
    await expect(dialog.isVisible()).resolves.toBe(true);
    await guest.page.getByTestId('display-name-input').fill('  Linus  ');
    await guest.page.getByTestId('display-name-save').click();
    await waitForEditor(guest.page);
    await host.page.locator('[data-testid="person"][data-name="Linus"]').waitFor({ timeout: 15_000 });

    // The name is remembered and can be changed later; the partner sees the new one.
    await guest.page.reload();
    await waitForEditor(guest.page);
    await expect(guest.page.getByTestId('name-dialog').isVisible()).resolves.toBe(false);
    await guest.page.getByTestId('change-name').click();
    await guest.page.getByTestId('display-name-input').fill('Linus T.');
    await guest.page.getByTestId('display-name-save').click();
    await waitForEditor(guest.page);
    await host.page.locator('[data-testid="person"][data-name="Linus T."]').waitFor({ timeout: 15_000 });
    await host.page.locator('[data-testid="person"][data-name="Linus"]').waitFor({ state: 'detached', timeout: 15_000 });
    // The new connection edits for real: the host receives what the renamed guest types.
    await placeCaret(guest.page, 'end');
    await guest.page.keyboard.type('# typed after the rename');
    await eventually(() => editorText(host.page), (text) => !!text?.endsWith('# typed after the rename'), 10_000, 'the host to see the edit');
  } finally {
    await Promise.all([host.context.close(), guest.context.close()]);
  }
});

test('[E2E-7] creating, renaming and deleting files in one page shows up live in the other', async () => {
  const workspace = await createWorkspace(server.baseUrl, { name: 'Files', files: [{ name: 'main.py', content: 'print(1)\n' }] });
  const ada = await newUser(browser, server.baseUrl, { name: 'Ada' });
  const bob = await newUser(browser, server.baseUrl, { name: 'Bob' });
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

test('[E2E-8] the people list shows which file each person is in, and the open file is deleted under a peer', async () => {
  const workspace = await createWorkspace(server.baseUrl, {
    name: 'Presence',
    files: [
      { name: 'a.py', content: 'a = 1\n' },
      { name: 'b.py', content: 'b = 2\n' },
    ],
  });
  const fileB = workspace.files.find((f) => f.name === 'b.py')!;
  const ada = await newUser(browser, server.baseUrl, { name: 'Ada' });
  const bob = await newUser(browser, server.baseUrl, { name: 'Bob' });
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
  const workspace = await createWorkspace(server.baseUrl, {});
  const user = await newUser(browser, server.baseUrl, { name: 'Night Owl', colorScheme: 'dark' });
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

test('[E2E-10] a link to a workspace that does not exist says so and leads back to the start page', async () => {
  const user = await newUser(browser, server.baseUrl, { name: 'Lost' });
  try {
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
