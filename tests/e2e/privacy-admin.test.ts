/**
 * Privacy, audit and retention in the UI, in real Chromium against the real server process
 * (docs/review.md "Audit", "Privacy", "Op retention"; rules AD-*, PV-*, RT-* in
 * docs/permissions.md): a student downloads their data from the account menu; the teacher sets
 * the class's history retention and marks an assignment's grades final; the administrator reads
 * the audit log (filtered, paged), is refused erasing a class creator, erases the student, and
 * finds the erasure in the log.
 *
 * The steps share one class and run in order.
 */
import fs from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import type { Browser, Locator, Page } from 'playwright-core';
import { http, pairWorkspace, SESSION_COOKIE, signUp, type Account, type PairFixture } from './helpers/accounts';
import { eventually, launchChromium, newUser, type User } from './helpers/browser';
import { startTandemProcess, type TandemProcess } from './helpers/tandem-process';

jest.setTimeout(120_000);

const ADMIN_EMAIL = 'admin@e2e.example.edu';
const ADMIN_PASSWORD = 'e2e admin password 123';
const DAY_MS = 86_400_000;
/** The audit log's page size (app/_components/audit-log.tsx). */
const PAGE = 50;

let server: TandemProcess;
let browser: Browser;
let pair: PairFixture;
let student: Account;
let admin: Account;
let adminUser: User;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTandemProcess({ ADMIN_EMAIL, ADMIN_PASSWORD }), launchChromium()]);
  pair = await pairWorkspace(server.baseUrl, { names: ['Sam', 'Tia'], files: [{ name: 'main.py', content: 'print(1)\n' }], title: 'Lab 3: Loops' });
  student = pair.students[0]!;
  admin = await logIn(ADMIN_EMAIL, ADMIN_PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The first admin (made from ADMIN_EMAIL at boot) signs in through the API. */
async function logIn(email: string, password: string): Promise<Account> {
  const res = await http<{ user: Omit<Account, 'token'> }>(server.baseUrl, null, 'POST', '/api/auth/login', { email, password }, 200);
  const cookie = res.setCookie.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new Error('login set no session cookie');
  return { ...res.body.user, token: cookie.split(';')[0]!.slice(SESSION_COOKIE.length + 1) };
}

async function signedIn(account: Account): Promise<User> {
  const user = await newUser(browser, server.baseUrl, account);
  user.page.on('pageerror', (err) => console.error(`[${account.displayName}] page error:`, err));
  return user;
}

function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

test('[PV-1] a student downloads their data from the account menu, with the keyboard', async () => {
  const sam = await signedIn(student);
  await sam.page.goto('/');
  await sam.page.getByTestId('account-button').click();
  await sam.page.getByTestId('download-my-data').waitFor();
  // The menu opens on its first item, so Enter downloads.
  expect(await focusedTestId(sam.page)).toBe('download-my-data');
  const [download] = await Promise.all([sam.page.waitForEvent('download'), sam.page.keyboard.press('Enter')]);
  expect(download.suggestedFilename()).toMatch(/^tandem-export-.+\.zip$/);
  const zip = unzipSync(new Uint8Array(fs.readFileSync((await download.path())!)));
  expect(Object.keys(zip)).toContain('export.json');
  const data = JSON.parse(strFromU8(zip['export.json']!));
  expect(data.format).toBe('tandem-export/1');
  expect(data.account).toMatchObject({ id: student.id, email: student.email, displayName: 'Sam' });
  expect(data.workspaces.map((w: { id: string }) => w.id)).toContain(pair.workspace.id);
  // The menu closes after the click.
  await sam.page.getByTestId('account-menu').waitFor({ state: 'detached' });
  await sam.context.close();
});

test('[RT-1] the teacher keeps history 30 days after grades are final and marks the grades final', async () => {
  const teacher = await signedIn(pair.teacher);
  const page = teacher.page;
  await page.goto(`/classes/${pair.classId}`);
  const card = page.getByTestId('retention-card');
  const keepDays = card.getByTestId('retention-keep-days');
  // Enabled once the policy has loaded: by default the class keeps history forever.
  await eventually(() => keepDays.isEnabled(), (enabled) => enabled, 15_000, 'the retention policy to load');
  expect(await card.getByTestId('retention-forever').isChecked()).toBe(true);
  await keepDays.check();
  await card.getByTestId('retention-days').fill('30');
  await card.getByTestId('retention-save').click();
  await card.locator('[data-testid="retention-status"]', { hasText: 'Saved.' }).waitFor();
  const policy = (await http(server.baseUrl, pair.teacher, 'GET', `/api/classes/${pair.classId}/retention`, undefined, 200)).body;
  expect(policy).toEqual({ opRetentionDays: 30 });

  // The newest assignment is open: its grades-final control is there for the teacher.
  const row = page.locator(`[data-testid="assignment-row"][data-assignment-id="${pair.assignmentId}"]`);
  const control = row.getByTestId('grades-final');
  // The control reads the saved state from the server: not final yet.
  await row.locator('[data-testid="grades-final"][data-final="false"]').waitFor();
  const before = Date.now();
  await control.getByTestId('grades-final-mark').click();
  const dialog = page.getByTestId('grades-final-dialog');
  await dialog.getByText('After 30 days').waitFor();
  await dialog.getByTestId('grades-final-confirm').click();
  await row.locator('[data-testid="grades-final"][data-final="true"]').waitFor();
  await expect(row.getByTestId('grades-final-note').textContent()).resolves.toContain('will be compacted after');
  const shownCompactAfter = Number(await row.getByTestId('grades-final-note').getAttribute('data-compact-after'));

  // The stored state is the date the UI set, and a reload shows it from the server.
  const state = (await http(server.baseUrl, pair.teacher, 'GET', `/api/assignments/${pair.assignmentId}/grades-final`, undefined, 200)).body;
  await page.reload();
  await row.locator('[data-testid="grades-final"][data-final="true"]').waitFor({ timeout: 20_000 });
  expect((await http(server.baseUrl, pair.teacher, 'PUT', `/api/assignments/${pair.assignmentId}/grades-final`, { final: true }, 200)).body.gradesFinalAt).toBe(state.gradesFinalAt);
  expect(state.gradesFinalAt).toBeGreaterThanOrEqual(before - 1000);
  expect(state.gradesFinalAt).toBeLessThanOrEqual(Date.now());
  expect(state.opsCompactedAt).toBeNull();
  expect(state.compactAfter).toBe(state.gradesFinalAt + 30 * DAY_MS);
  expect(shownCompactAfter).toBe(state.compactAfter);

  // Reopening (possible until compaction) clears it on the server: marking again gets a new date.
  await row.getByTestId('grades-final-reopen').click();
  await row.locator('[data-testid="grades-final"][data-final="false"]').waitFor();
  const again = (await http(server.baseUrl, pair.teacher, 'PUT', `/api/assignments/${pair.assignmentId}/grades-final`, { final: true }, 200)).body;
  expect(again.gradesFinalAt).toBeGreaterThan(state.gradesFinalAt);
  await teacher.context.close();
});

test('[RT-1] a TA sees the retention policy read-only and no grades-final control', async () => {
  const ta = await signUp(server.baseUrl, 'Tomas', pair.joinCode);
  await http(server.baseUrl, pair.teacher, 'PATCH', `/api/classes/${pair.classId}/members/${ta.id}`, { role: 'ta' }, 200);
  const user = await signedIn(ta);
  await user.page.goto(`/classes/${pair.classId}`);
  const readOnly = user.page.getByTestId('retention-readonly');
  await readOnly.waitFor({ timeout: 20_000 });
  await expect(readOnly.getAttribute('data-days')).resolves.toBe('30');
  await expect(readOnly.textContent()).resolves.toContain('30 days after');
  await user.page.locator(`[data-testid="assignment-row"][data-assignment-id="${pair.assignmentId}"]`).waitFor();
  expect(await user.page.getByTestId('retention-save').count()).toBe(0);
  expect(await user.page.getByTestId('grades-final').count()).toBe(0);
  await user.context.close();
});

/** The audit log once it shows rows loaded with `subject` ('' = everyone). */
async function auditLoaded(page: Page, subject: string): Promise<Locator> {
  const log = page.locator(`[data-testid="audit-log"][aria-busy="false"][data-loaded-subject="${subject}"]`);
  await log.waitFor({ timeout: 20_000 });
  return log;
}

function rowIds(log: Locator): Promise<number[]> {
  return log.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
}

/** Press "Load older" until the log has no older rows. */
async function loadAll(log: Locator): Promise<void> {
  const older = log.getByTestId('audit-load-older');
  while ((await older.count()) > 0) {
    const shown = (await rowIds(log)).length;
    await older.click();
    await eventually(() => rowIds(log), (ids) => ids.length > shown, 15_000, 'older rows');
  }
}

test('[AD-2] the admin finds the student’s export in the audit log, filtered by person and paged', async () => {
  // More than a page of rows: each teacher read of the group's review leaves a 'view' row (AD-1).
  for (let i = 0; i < PAGE + 5; i++) await http(server.baseUrl, pair.teacher, 'GET', `/api/groups/${pair.groupId}/review`, undefined, 200);

  adminUser = await signedIn(admin);
  const page = adminUser.page;
  await page.goto('/admin');
  await page.getByTestId('admin-page').waitFor();
  await page.getByTestId('admin-tab-audit').click();
  expect(new URL(page.url()).hash).toBe('#audit');

  // Everyone, newest first, one page; "Load older" fetches the next with before = the last id.
  let log = await auditLoaded(page, '');
  const all = (await http<Array<{ id: number }>>(server.baseUrl, admin, 'GET', '/api/admin/audit?limit=500', undefined, 200)).body;
  expect(all.length).toBeGreaterThan(PAGE);
  expect(await rowIds(log)).toEqual(all.slice(0, PAGE).map((e) => e.id));
  await log.getByTestId('audit-load-older').click();
  await eventually(() => rowIds(log), (ids) => ids.length === all.length, 15_000, 'the older rows');
  expect(await rowIds(log)).toEqual(all.map((e) => e.id));
  expect(await log.getByTestId('audit-load-older').count()).toBe(0);

  // Filtered to the student: only rows about them, their export (older than the views) among them.
  await log.getByTestId('audit-subject').selectOption(student.id);
  log = await auditLoaded(page, student.id);
  await loadAll(log);
  const subjects = await log.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-subject')));
  expect(new Set(subjects)).toEqual(new Set([student.id]));
  const exportRow = log.locator(`[data-testid="audit-row"][data-action="export"][data-actor="${student.id}"]`);
  expect(await exportRow.count()).toBe(1);
  await expect(exportRow.textContent()).resolves.toContain('Sam');
});

test('[PV-2] erasing a class creator is refused in the dialog; erasing the student removes the account and logs it', async () => {
  const page = adminUser.page;
  // With the keyboard: the arrow keys move between the tabs.
  await page.getByTestId('admin-tab-audit').focus();
  await page.keyboard.press('ArrowLeft');
  expect(await focusedTestId(page)).toBe('admin-tab-accounts');
  const accountRow = (email: string) => page.locator(`[data-testid="admin-user"][data-email="${email}"]`);
  await accountRow(student.email).waitFor();

  // The teacher created the class: the server refuses (409) and the dialog says why.
  await accountRow(pair.teacher.email).getByTestId('erase-account').click();
  const dialog = page.getByTestId('erase-dialog');
  const confirm = dialog.getByTestId('erase-confirm-button');
  await dialog.getByTestId('erase-confirm-email').waitFor();
  expect(await focusedTestId(page)).toBe('erase-confirm-email');
  expect(await confirm.isDisabled()).toBe(true);
  await page.keyboard.type(pair.teacher.email);
  expect(await confirm.isEnabled()).toBe(true);
  await page.keyboard.press('Enter');
  await expect(dialog.getByTestId('erase-error').textContent()).resolves.toContain('created a class');
  await page.keyboard.press('Escape');
  await dialog.getByTestId('erase-confirm-email').waitFor({ state: 'detached' });
  expect(await accountRow(pair.teacher.email).count()).toBe(1);

  // The student: a wrong email keeps the button disabled; the right one erases.
  await accountRow(student.email).getByTestId('erase-account').click();
  await dialog.getByText('Work shared with a partner').waitFor();
  await dialog.getByText('The audit log').waitFor();
  await dialog.getByTestId('erase-confirm-email').fill('someone@else.example');
  expect(await confirm.isDisabled()).toBe(true);
  await dialog.getByTestId('erase-confirm-email').fill(student.email.toUpperCase());
  await confirm.click();
  await page.getByTestId('erased-notice').getByText(student.email).waitFor();
  await accountRow(student.email).waitFor({ state: 'detached' });
  expect(await accountRow(pair.students[1]!.email).count()).toBe(1);
  const users = (await http(server.baseUrl, admin, 'GET', '/api/admin/users', undefined, 200)).body.users as Array<{ id: string }>;
  expect(users.map((u) => u.id)).not.toContain(student.id);

  // The log keeps the rows about the erased account and adds the erasure.
  await page.getByTestId('admin-tab-audit').click();
  const log = await auditLoaded(page, '');
  const deleted = log.locator(`[data-testid="audit-row"][data-action="delete"][data-subject="${student.id}"]`);
  await deleted.waitFor();
  expect(await deleted.getAttribute('data-actor')).toBe(admin.id);
  await expect(deleted.textContent()).resolves.toContain('Erased account');
  // Newest first: the erasure is the top row.
  expect((await rowIds(log))[0]).toBe(Number(await deleted.getAttribute('data-id')));
  await loadAll(log);
  expect(await log.locator(`[data-testid="audit-row"][data-action="export"][data-subject="${student.id}"]`).count()).toBe(1);
});
