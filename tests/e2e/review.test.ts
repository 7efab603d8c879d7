/**
 * Issue "Submissions and review", the acceptance flow in real Chromium against the real server
 * process: a pair types in their workspace and submits; the teacher finds the row on the
 * Submissions page, opens Review, comments on a selected line, scores it and releases; the
 * students' editor shows the comment as a decoration and the Feedback panel shows its text; the
 * history scrubber moved back shows the earlier text; blame names the author.
 *
 * The steps share one pair and run in order.
 */
import type { Browser, Page } from 'playwright-core';
import { http, pairWorkspace, type PairFixture } from './helpers/accounts';
import { editorText, eventually, launchChromium, newUser, openWorkspace, placeCaret, type User } from './helpers/browser';
import { ServerReader } from './helpers/server-text';
import { startTandemProcess, type TandemProcess } from './helpers/tandem-process';

jest.setTimeout(120_000);

const STARTER = 'def add(a, b):\n    return 0\n';
const TYPED = 'print(add(2, 3))';
const FINAL = `${STARTER}${TYPED}`;
const COMMENT = 'Return the sum, not a constant.';

let server: TandemProcess;
let browser: Browser;
let pair: PairFixture;
let ada: User;
let brian: User;
let teacher: User;
let mainId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTandemProcess(), launchChromium()]);
  pair = await pairWorkspace(server.baseUrl, { names: ['Ada', 'Brian'], files: [{ name: 'main.py', content: STARTER }], title: 'Lab 2: Adding' });
  mainId = pair.fileIds['main.py']!;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

declare global {
  interface Window {
    /** Set by app/_components/code-viewer.tsx. */
    __tandemViewers?: Record<string, () => string | null>;
  }
}

/** A browser profile for `account` whose page errors fail loudly in the log. */
async function signedIn(account: PairFixture['teacher']): Promise<User> {
  const user = await newUser(browser, server.baseUrl, account);
  user.page.on('pageerror', (err) => console.error(`[${account.displayName}] page error:`, err));
  return user;
}

/** The text a mounted read-only viewer shows (Monaco renders only visible lines). */
function viewerText(page: Page, testId: string): Promise<string | null> {
  return page.evaluate((id) => window.__tandemViewers?.[id]?.() ?? null, testId);
}

test('[RV-E2E-1] the pair types and submits; the Submit button shows the submission', async () => {
  [ada, brian] = await Promise.all([signedIn(pair.students[0]!), signedIn(pair.students[1]!)]);
  await Promise.all([openWorkspace(ada.page, pair.workspace.id, mainId), openWorkspace(brian.page, pair.workspace.id, mainId)]);
  await placeCaret(ada.page, 'end');
  await ada.page.keyboard.type(TYPED, { delay: 15 });
  await eventually(() => editorText(brian.page), (t) => t === FINAL, 15_000, 'Brian to see what Ada typed');
  const reader = new ServerReader(server.baseUrl, pair.teacher);
  try {
    await eventually(() => reader.fileText(pair.workspace.id, mainId), (t) => t === FINAL, 10_000, 'the server to hold the typed text');
  } finally {
    reader.close();
  }

  const submit = ada.page.getByTestId('submit-button');
  await expect(submit.textContent()).resolves.toBe('Submit');
  await submit.click();
  await ada.page.getByTestId('last-submission').waitFor();
  await expect(ada.page.getByTestId('last-submission').getAttribute('data-number')).resolves.toBe('1');
  await expect(submit.textContent()).resolves.toBe('Resubmit');
  // No deadline: not late.
  await expect(ada.page.getByTestId('late-badge').count()).resolves.toBe(0);
});

test('[RV-E2E-2] the teacher finds the submitted row on the Submissions page and downloads the zip', async () => {
  teacher = await signedIn(pair.teacher);
  await teacher.page.goto(`/classes/${pair.classId}`);
  const row = teacher.page.locator(`[data-testid="assignment-row"][data-assignment-id="${pair.assignmentId}"]`);
  await row.getByTestId('submissions-link').click();
  await teacher.page.waitForURL(new RegExp(`/assignments/${pair.assignmentId}/submissions$`));
  const submitted = teacher.page.locator(`[data-testid="submission-row"][data-group-id="${pair.groupId}"]`);
  await submitted.waitFor({ timeout: 20_000 });
  await expect(submitted.getAttribute('data-status')).resolves.toBe('submitted');
  await expect(submitted.textContent()).resolves.toContain('Ada & Brian');

  // The filters ask the server: the group is not missing.
  await teacher.page.getByTestId('filter-missing').click();
  await teacher.page.getByTestId('no-submissions').waitFor();
  await teacher.page.getByTestId('filter-all').click();
  await submitted.waitFor();

  const href = await teacher.page.getByTestId('download-zip').getAttribute('href');
  const zip = await teacher.context.request.get(href!);
  expect(zip.status()).toBe(200);
  expect(zip.headers()['content-type']).toContain('application/zip');
  expect((await zip.body()).subarray(0, 2).toString('latin1')).toBe('PK');
});

test('[RV-E2E-3] Review: the submitted text, a comment on a selected line, a rubric score, release', async () => {
  const page = teacher.page;
  await page.locator(`[data-testid="submission-row"][data-group-id="${pair.groupId}"] [data-testid="review-link"]`).click();
  await page.waitForURL(new RegExp(`/review/${pair.groupId}$`));
  await page.locator('[data-testid="submission-viewer"][data-ready="true"]').waitFor({ timeout: 30_000 });
  expect(await viewerText(page, 'submission-viewer')).toBe(FINAL);

  // Diff against the starter: Monaco's diff editor, read-only.
  await page.getByTestId('diff-starter').click();
  await page.locator('[data-testid="diff-viewer"] .monaco-diff-editor').waitFor();
  await page.getByTestId('diff-none').click();
  await page.locator('[data-testid="submission-viewer"][data-ready="true"]').waitFor();

  // Select line 2 ("    return 0") with the keyboard and comment on it.
  await page.locator('[data-testid="submission-viewer"] .view-lines').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Home');
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  const commentButton = page.getByTestId('comment-button');
  await eventually(() => commentButton.isEnabled(), (enabled) => enabled, 5_000, 'the Comment button to be enabled by a selection');
  await commentButton.click();
  await page.getByTestId('new-comment-body').fill(COMMENT);
  await page.getByTestId('new-comment-save').click();
  const thread = page.getByTestId('comment-thread');
  await thread.getByText(COMMENT).waitFor();
  await thread.getByTestId('draft-badge').waitFor();
  // The comment is drawn in the viewer too.
  await page.locator('[data-testid="submission-viewer"] .note-range-draft').first().waitFor();

  const review = (await http(server.baseUrl, pair.teacher, 'GET', `/api/groups/${pair.groupId}/review`, undefined, 200)).body;
  expect(review.comments).toHaveLength(1);
  expect(review.comments[0]).toMatchObject({ fileId: mainId, quote: '    return 0', body: COMMENT, releasedAt: null });
  // Students see nothing before the release.
  const before = (await http(server.baseUrl, pair.students[0]!, 'GET', `/api/workspaces/${pair.workspace.id}/feedback`, undefined, 200)).body;
  expect(before.comments).toEqual([]);

  // The rubric starts empty: add a criterion, score it.
  await page.getByTestId('add-criterion').click();
  await page.getByTestId('criterion-title').fill('Correctness');
  await page.getByTestId('criterion-points').fill('10');
  await page.getByTestId('save-rubric').click();
  const score = page.locator('[data-testid="score-input"][data-criterion="Correctness"]');
  await score.waitFor();
  await score.fill('7');
  await page.getByTestId('grade-summary').fill('Good start.');
  await expect(page.getByTestId('grade-total').textContent()).resolves.toBe('7 / 10');

  await page.getByTestId('release-feedback').click();
  await eventually(() => page.getByTestId('release-state').textContent(), (t) => !!t?.startsWith('Released'), 10_000, 'the release to be confirmed');
  await eventually(() => thread.getByTestId('draft-badge').count(), (n) => n === 0, 10_000, 'the draft badge to go');
});

test('[RV-E2E-4] the students see the released comment as an editor decoration and in the Feedback panel', async () => {
  for (const user of [ada, brian]) {
    // Released feedback is pushed to open workspaces: no reload.
    const panel = user.page.getByTestId('feedback-panel');
    await panel.waitFor({ timeout: 15_000 });
    await panel.getByText(COMMENT).waitFor();
    await expect(panel.getByTestId('feedback-total').textContent()).resolves.toContain('7 / 10');
    await user.page.locator('[data-testid="editor"] .note-line-released').first().waitFor({ timeout: 10_000 });
    await expect(user.page.locator('[data-testid="editor"] .note-range-released').count()).resolves.toBeGreaterThan(0);
    await expect(user.page.locator('[data-testid="editor"] .note-glyph').count()).resolves.toBeGreaterThan(0);
  }
  // A reply from a student is released at once and reaches the teacher.
  await ada.page.getByTestId('feedback-panel').getByTestId('reply-button').click();
  await ada.page.getByTestId('reply-form-body').fill('Fixed, thanks!');
  await ada.page.getByTestId('reply-form-save').click();
  // The saved reply's body, not the form: React mirrors a controlled textarea's value into its
  // text, so a plain getByText matched the form before the reply was stored (a CI race).
  await ada.page.getByTestId('feedback-panel').getByTestId('comment-body').filter({ hasText: 'Fixed, thanks!' }).waitFor();
  const review = (await http(server.baseUrl, pair.teacher, 'GET', `/api/groups/${pair.groupId}/review`, undefined, 200)).body;
  expect(review.comments.map((c: { body: string }) => c.body).sort()).toEqual([COMMENT, 'Fixed, thanks!'].sort());
});

test('[RV-E2E-5] History: the scrubber moved back shows the earlier text; Blame names the author', async () => {
  const page = teacher.page;
  await page.getByTestId('view-history').click();
  const history = page.getByTestId('history');
  await history.waitFor();
  const slider = page.getByTestId('history-slider');
  const max = Number(await history.getAttribute('data-max-version'));
  expect(max).toBeGreaterThan(1);
  await eventually(() => viewerText(page, 'history-viewer'), (t) => t === FINAL, 15_000, 'the newest version to show');

  // Keyboard on the range input: Home is before the file existed, one step on is the starter.
  await slider.focus();
  await page.keyboard.press('Home');
  await eventually(() => history.getAttribute('data-shown-version'), (v) => v === '0', 10_000, 'version 0 to show');
  expect(await viewerText(page, 'history-viewer')).toBe('');
  await page.keyboard.press('ArrowRight');
  await eventually(() => history.getAttribute('data-shown-version'), (v) => v === '1', 10_000, 'version 1 to show');
  expect(await viewerText(page, 'history-viewer')).toBe(STARTER);
  // The newest version is Ada's last op; one step back is part of the way through her typing
  // (not always a prefix of the final text: Monaco closes brackets as she types them).
  await page.keyboard.press('End');
  await eventually(() => history.getAttribute('data-shown-version'), (v) => v === String(max), 10_000, 'the newest version to show again');
  expect(await viewerText(page, 'history-viewer')).toBe(FINAL);
  await expect(page.getByTestId('history-op').textContent()).resolves.toContain('Ada');
  await page.keyboard.press('ArrowLeft');
  await eventually(() => history.getAttribute('data-shown-version'), (v) => v === String(max - 1), 10_000, 'the version before to show');
  const earlier = (await viewerText(page, 'history-viewer'))!;
  expect(earlier.startsWith(STARTER)).toBe(true);
  expect(earlier).not.toBe(FINAL);

  await page.getByTestId('view-blame').click();
  const legend = page.getByTestId('blame-legend');
  await legend.waitFor({ timeout: 10_000 });
  await legend.getByText('Ada').waitFor();
  await expect(page.getByTestId('blame-code').textContent()).resolves.toContain('print(add(2, 3))');
});
