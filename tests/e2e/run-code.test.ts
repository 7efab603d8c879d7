/**
 * Issue 7 in real Chromium against the real server: Python (Pyodide from our own origin) and
 * JavaScript/TypeScript run in Web Workers of the page, with typed input, the time limit, Stop,
 * imports between the workspace's files, and the shared console the partner sees live. Every
 * request to anything but our own origin is blocked and recorded: the feature must not need one.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { http, pairWorkspace, type PairFixture } from './helpers/accounts';
import { eventually, launchChromium, newUser, openWorkspace, type User } from './helpers/browser';
import { startTandemProcess, type TandemProcess } from './helpers/tandem-process';

jest.setTimeout(120_000);

const FILES = [
  { name: 'main.py', content: ['a = int(input("First number: "))', 'b = int(input("Second number: "))', 'print("Sum:", a + b)', ''].join('\n') },
  { name: 'loop.py', content: ['n = 0', 'while True:', '    n += 1', ''].join('\n') },
  { name: 'shapes.py', content: ['def area(w, h):', '    return w * h', ''].join('\n') },
  { name: 'uses.py', content: ['from shapes import area', 'print("area", area(2, 3))', 'print(undefined_name)', ''].join('\n') },
  { name: 'util.js', content: ['exports.area = (w, h) => w * h;', ''].join('\n') },
  { name: 'app.js', content: ["const { area } = require('./util');", "console.log('area', area(2, 3), { w: 2, tags: ['a'] });", "console.error('careful');", ''].join('\n') },
  { name: 'spam.js', content: ["for (;;) console.log('x'.repeat(1000));", ''].join('\n') },
  { name: 'net.py', content: ['import js', "print('py fetch', getattr(js, 'fetch', None))", ''].join('\n') },
  { name: 'greet.ts', content: ["import { area } from './util';", 'const name: string = "TS";', 'console.log(`hello ${name}`, area(3, 4));', ''].join('\n') },
];

let server: TandemProcess;
let browser: Browser;
let pair: PairFixture;
let ada: User;
let brian: User;
const external: string[] = [];

async function signedIn(account: PairFixture['teacher']): Promise<User> {
  const user = await newUser(browser, server.baseUrl, account);
  await blockOtherOrigins(user.context);
  user.page.on('pageerror', (err) => console.error(`[${account.displayName}] page error:`, err));
  return user;
}

/** The campus with no egress: anything not from our server fails, and is recorded. */
async function blockOtherOrigins(context: BrowserContext): Promise<void> {
  const own = new URL(server.baseUrl).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(own) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    external.push(url);
    return route.abort('internetdisconnected');
  });
}

async function status(user: User): Promise<{ outcome: string; phase: string; text: string }> {
  const el = user.page.getByTestId('run-status');
  if ((await el.count()) === 0) return { outcome: '', phase: '', text: '' };
  return {
    outcome: (await el.getAttribute('data-outcome')) ?? '',
    phase: (await el.getAttribute('data-phase')) ?? '',
    text: (await el.textContent()) ?? '',
  };
}

const output = (user: User) => user.page.getByTestId('run-output').innerText();

async function openFile(user: User, name: string): Promise<void> {
  await openWorkspace(user.page, pair.workspace.id, pair.fileIds[name]);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTandemProcess(), launchChromium()]);
  pair = await pairWorkspace(server.baseUrl, { names: ['Ada', 'Brian'], files: FILES, title: 'Lab 7: Run it' });
  ada = await signedIn(pair.students[0]!);
  brian = await signedIn(pair.students[1]!);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

test('[RUN-E2E-1] a Python program reads two typed lines and prints their sum; the partner sees the run live, with who ran it', async () => {
  await Promise.all([openFile(ada, 'main.py'), openFile(brian, 'main.py')]);
  await ada.page.getByTestId('run-button').click();
  // Pyodide loads from /pyodide on our origin the first time (a few seconds).
  await eventually(() => status(ada), (s) => s.phase === 'input', 60_000, 'the program to ask for input');
  expect(await output(ada)).toContain('First number:');
  await ada.page.getByTestId('run-input').fill('2');
  await ada.page.getByTestId('run-input').press('Enter');
  await eventually(() => output(ada), (t) => t.includes('Second number:'), 15_000, 'the second prompt');
  await ada.page.getByTestId('run-input').fill('40');
  await ada.page.getByTestId('run-input').press('Enter');
  await eventually(() => status(ada), (s) => s.outcome === 'ok', 15_000, 'the run to finish');
  expect(await output(ada)).toMatch(/First number: 2\s+Second number: 40\s+Sum: 42/);

  // Brian pressed nothing: the same output reached him through the room, with the runner's name.
  await eventually(() => output(brian), (t) => t.includes('Sum: 42'), 15_000, "the partner's console");
  expect(await output(brian)).toMatch(/First number: 2\s+Second number: 40\s+Sum: 42/);
  expect(await brian.page.getByTestId('run-header').innerText()).toMatch(/^Ada ran main\.py at /);
  await eventually(() => status(brian), (s) => s.outcome === 'ok', 10_000, "the partner's status");
});

test('[RUN-E2E-2] an endless loop is stopped by the time limit and the tab stays responsive; Stop ends a run at once', async () => {
  await openFile(ada, 'loop.py');
  await ada.page.keyboard.press('Control+Enter');
  await eventually(() => status(ada), (s) => s.phase === 'running', 30_000, 'the loop to start');
  // The page answers while the worker spins: a round trip and a click on the file tree.
  const t0 = Date.now();
  await ada.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  expect(Date.now() - t0).toBeLessThan(1000);
  await ada.page.getByTestId('run-stop').waitFor();
  const ended = await eventually(() => status(ada), (s) => s.outcome !== '', 30_000, 'the time limit');
  expect(ended.outcome).toBe('timeout');
  expect(ended.text).toMatch(/time limit/);
  await eventually(() => status(brian), (s) => s.outcome === 'timeout', 10_000, 'the partner to see the timeout');

  // Again, stopped by hand this time.
  await ada.page.getByTestId('run-button').click();
  await eventually(() => status(ada), (s) => s.phase === 'running', 30_000, 'the loop to start again');
  await ada.page.getByTestId('run-stop').click();
  await eventually(() => status(ada), (s) => s.outcome === 'stopped', 5000, 'Stop');
  // And Python still works after its worker was killed.
  await openFile(ada, 'uses.py');
  await ada.page.getByTestId('run-button').click();
  await eventually(() => status(ada), (s) => s.outcome === 'error', 60_000, 'the import run');
  const text = await output(ada);
  expect(text).toContain('area 6');
  expect(text).toMatch(/NameError: name 'undefined_name' is not defined/);
  expect(text).toContain('uses.py", line 3');
  expect(text).not.toContain('/home/pyodide');
});

test('[RUN-E2E-3] JavaScript and TypeScript: console output appears, require/import between files works', async () => {
  await openFile(ada, 'app.js');
  await ada.page.getByTestId('run-button').click();
  await eventually(() => status(ada), (s) => s.outcome === 'ok', 30_000, 'the JS run');
  const text = await output(ada);
  expect(text).toContain("area 6 { w: 2, tags: [ 'a' ] }");
  expect(text).toContain('careful');
  expect(await ada.page.locator('.run-stderr').innerText()).toContain('careful');

  await openFile(ada, 'greet.ts');
  await ada.page.keyboard.press('Control+Enter');
  await eventually(() => status(ada), (s) => s.outcome === 'ok', 30_000, 'the TS run');
  expect(await output(ada)).toContain('hello TS 12');
  await eventually(() => output(brian), (t) => t.includes('hello TS 12'), 10_000, 'the partner to see the TS output');

  // A program that prints without end is stopped at the output cap, and the page is fine.
  await openFile(ada, 'spam.js');
  await ada.page.getByTestId('run-button').click();
  const capped = await eventually(() => status(ada), (s) => s.outcome !== '', 30_000, 'the output cap');
  expect(capped.outcome).toBe('truncated');
  expect(capped.text).toMatch(/output passed 200,000 characters/);
  expect((await output(ada)).length).toBeLessThanOrEqual(200_000 + 1000);
});

test('[RUN-E2E-4] the program has no network, and nothing was fetched from anywhere but our origin', async () => {
  await openFile(ada, 'app.js');
  // Appended to the shared file through the page's own ShareDB doc, as typing would.
  const probe = [
    "console.log('fetch', typeof fetch, 'xhr', typeof XMLHttpRequest, 'ws', typeof WebSocket, 'import', typeof importScripts, 'worker', typeof Worker);",
    '',
  ].join('\n');
  const fileId = pair.fileIds['app.js']!;
  await ada.page.evaluate(
    async ({ workspaceId, fileId, probe }) => {
      type Doc = { data: string; submitOp(op: unknown, options: unknown, cb: (e?: unknown) => void): void };
      const client = (window.__tandem as unknown as { client: { connection: { get(c: string, id: string): Doc } } }).client;
      const doc = client.connection.get('files', `${workspaceId}:${fileId}`);
      await new Promise<void>((resolve, reject) =>
        doc.submitOp([doc.data.length, probe], { source: { binding: 'e2e-probe', kind: 'typed' } }, (e) => (e ? reject(e) : resolve())),
      );
    },
    { workspaceId: pair.workspace.id, fileId, probe },
  );
  await ada.page.getByTestId('run-button').click();
  await eventually(() => status(ada), (s) => s.outcome === 'ok', 30_000, 'the probe run');
  expect(await output(ada)).toContain('fetch undefined xhr undefined ws undefined import undefined worker undefined');

  await openFile(ada, 'net.py');
  await ada.page.getByTestId('run-button').click();
  await eventually(() => status(ada), (s) => s.outcome !== '' && s.phase === 'ended', 60_000, 'the Python probe');
  expect(await output(ada)).toContain('py fetch None');
  expect(external).toEqual([]);
});

test('[RUN-E2E-5] teacher tests: the teacher writes them in the assignment editor; the student runs the visible ones in the browser; a submission is graded on the server with the hidden ones; the grid and the review page show the counts', async () => {
  const visible = ['from shapes import area', '', 'def test_area():', '    assert area(2, 3) == 6', '', 'def test_square():', '    assert area(3, 3) == 10, "3 by 3"', ''].join('\n');
  const hidden = ['from shapes import area', '', 'def test_zero():', '    assert area(0, 5) == 0', ''].join('\n');
  // The teacher writes the tests in the assignment editor.
  const teacher = await signedIn(pair.teacher);
  await teacher.page.goto(`/classes/${pair.classId}`);
  const row = teacher.page.locator(`[data-testid="assignment-row"][data-assignment-id="${pair.assignmentId}"]`);
  await row.waitFor({ timeout: 30_000 });
  await row.getByTestId('edit-assignment').click();
  const form = teacher.page.getByTestId('assignment-form');
  const testsSection = form.getByTestId('assignment-tests');
  await testsSection.getByTestId('add-test-file').click();
  await testsSection.getByTestId('add-test-file').click();
  const files = testsSection.getByTestId('test-file');
  await files.nth(0).getByTestId('test-name').fill('test_shapes.py');
  await files.nth(0).getByTestId('test-code').fill(visible);
  await files.nth(1).getByTestId('test-name').fill('test_hidden.py');
  await files.nth(1).getByTestId('test-code').fill(hidden);
  await files.nth(1).getByTestId('test-hidden').check();
  await form.getByTestId('assignment-save').click();
  await form.waitFor({ state: 'detached', timeout: 15_000 });
  const saved = (await http(server.baseUrl, pair.teacher, 'GET', `/api/assignments/${pair.assignmentId}/tests`, undefined, 200)).body as { tests: Array<{ fileName: string; hidden: boolean }> };
  expect(saved.tests.map((t) => [t.fileName, t.hidden])).toEqual([
    ['test_hidden.py', true],
    ['test_shapes.py', false],
  ]);

  await openFile(ada, 'shapes.py');
  const panel = ada.page.getByTestId('tests-panel');
  await panel.waitFor();
  expect(await panel.innerText()).toContain('plus 1 hidden');
  await panel.getByTestId('run-tests').click();
  const browserResult = panel.getByTestId('tests-browser');
  await browserResult.waitFor({ timeout: 60_000 });
  expect(await browserResult.getAttribute('data-passed')).toBe('1');
  expect(await browserResult.getAttribute('data-failed')).toBe('1');
  expect(await browserResult.innerText()).toMatch(/AssertionError: 3 by 3/);

  await ada.page.getByTestId('submit-button').click();
  const serverResult = panel.getByTestId('tests-server');
  // Pushed when the server has graded (Pyodide starts in a child process: seconds).
  await serverResult.waitFor({ timeout: 90_000 });
  expect(await serverResult.getAttribute('data-passed')).toBe('2');
  expect(await serverResult.getAttribute('data-failed')).toBe('1');
  expect(await serverResult.innerText()).toContain('1 hidden test counted above');
  await eventually(() => brian.page.getByTestId('tests-server').count(), (n) => n === 1, 15_000, "the partner's panel");

  await row.getByTestId('tab-live').click();
  const counts = row.getByTestId('grid-tests');
  await counts.waitFor({ timeout: 15_000 });
  expect(await counts.getAttribute('data-server-passed')).toBe('2');
  expect(await counts.innerText()).toMatch(/Tests 2\/3 on submission · 1\/2 in the browser/);

  await teacher.page.goto(`/review/${pair.groupId}`);
  const review = teacher.page.getByTestId('submission-test-result');
  await review.waitFor({ timeout: 30_000 });
  // Staff see the hidden case too.
  expect(await review.innerText()).toContain('test_zero');
  await teacher.context.close();
});
