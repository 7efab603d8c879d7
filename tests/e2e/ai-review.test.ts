/**
 * Issue 5, the acceptance flow in real Chromium against the real server process, with a local
 * fake OpenAI-compatible server standing in for the model: the pair submits; the teacher's
 * review page shows the AI and static findings as Monaco markers and in the AI review section;
 * the teacher approves, dismisses and releases; the student's workspace shows the approved
 * findings (panel and markers) and nothing that was dismissed. The steps share one pair.
 */
import type { Browser } from 'playwright-core';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { pairWorkspace, type PairFixture } from './helpers/accounts';
import { eventually, launchChromium, newUser, openWorkspace, type User } from './helpers/browser';
import { startTandemProcess, type TandemProcess } from './helpers/tandem-process';

jest.setTimeout(120_000);

const STARTER = ['def total(xs):', '    s = 0', '    for x in xs:', '        s += x', '    return s', '', 'print(totl([1, 2]))', ''].join('\n');
const KEEP = 'Which function did you mean to call on this line?';
const DROP = 'Could the loop on line 3 be written another way?';

let fake: FakeOpenAi;
let server: TandemProcess;
let browser: Browser;
let pair: PairFixture;
let ada: User;
let teacher: User;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  fake.setHandler(() => ({
    json: {
      findings: [
        { file: 'main.py', startLine: 7, endLine: 7, severity: 'error', category: 'correctness', message: KEEP, hint: 'Compare it with the name on line 1.' },
        { file: 'main.py', startLine: 3, endLine: 4, severity: 'info', category: 'design', message: DROP, hint: null },
      ],
      summary: 'A name to check, and a loop to think about.',
    },
  }));
  [server, browser] = await Promise.all([
    startTandemProcess({ AI_PROVIDER: 'openai', AI_BASE_URL: fake.url, AI_MODEL: 'e2e-fake-model', AI_API_KEY: 'sk-e2e' }),
    launchChromium(),
  ]);
  pair = await pairWorkspace(server.baseUrl, { names: ['Ada', 'Brian'], files: [{ name: 'main.py', content: STARTER }], title: 'Lab 5: Sums' });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.close();
});

async function signedIn(account: PairFixture['teacher']): Promise<User> {
  const user = await newUser(browser, server.baseUrl, account);
  user.page.on('pageerror', (err) => console.error(`[${account.displayName}] page error:`, err));
  return user;
}

test('[AI-E2E-1] the student submits; the teacher sees AI and static findings as markers and in the AI review section', async () => {
  ada = await signedIn(pair.students[0]!);
  await openWorkspace(ada.page, pair.workspace.id, pair.fileIds['main.py']);
  await ada.page.getByTestId('submit-button').click();
  await ada.page.getByTestId('last-submission').waitFor();

  teacher = await signedIn(pair.teacher);
  await teacher.page.goto(`/review/${pair.groupId}`);
  const section = teacher.page.getByTestId('ai-review-section');
  await section.waitFor({ timeout: 30_000 });
  // The review arrives by push (or the page's own refresh) a few seconds after the submission.
  const model = section.locator('[data-testid="ai-finding"][data-source="model"]');
  await model.first().waitFor({ timeout: 60_000 });
  await expect(model.count()).resolves.toBe(2);
  await section.locator('[data-testid="ai-finding"][data-source="static"]').first().waitFor();
  await expect(section.locator('[data-testid="ai-finding"][data-state="pending"]').count()).resolves.toBeGreaterThanOrEqual(3);
  // Markers in the submission viewer: Monaco draws error markers as squiggles.
  await teacher.page.locator('[data-testid="submission-viewer"][data-ready="true"]').waitFor({ timeout: 30_000 });
  await teacher.page.locator('[data-testid="submission-viewer"] .squiggly-error').first().waitFor({ timeout: 15_000 });
  expect(fake.requests.length).toBe(1);
  // Nothing is visible to the student before release.
  await expect(ada.page.locator('[data-testid="ai-review-panel"] [data-testid="ai-finding"]').count()).resolves.toBe(0);
});

test('[AI-E2E-2] the teacher approves one finding, dismisses another and releases; the student sees only the approved ones', async () => {
  const section = teacher.page.getByTestId('ai-review-section');
  const keep = section.locator('[data-testid="ai-finding"]', { hasText: KEEP });
  const drop = section.locator('[data-testid="ai-finding"]', { hasText: DROP });
  await keep.getByRole('button', { name: 'Approve' }).click();
  await eventually(() => keep.getAttribute('data-state'), (s) => s === 'approved', 10_000, 'the finding to be approved');
  await drop.getByRole('button', { name: 'Dismiss' }).click();
  await eventually(() => drop.getAttribute('data-state'), (s) => s === 'dismissed', 10_000, 'the finding to be dismissed');
  await section.getByRole('button', { name: 'Release to students' }).first().click();
  await section.getByTestId('ai-released').first().waitFor({ timeout: 10_000 });

  const panel = ada.page.getByTestId('ai-review-panel');
  const seen = panel.locator('[data-testid="ai-finding"]', { hasText: KEEP });
  await seen.waitFor({ timeout: 20_000 });
  await expect(seen.getAttribute('data-source')).resolves.toBe('model');
  await expect(panel.locator('[data-testid="ai-finding"]', { hasText: DROP }).count()).resolves.toBe(0);
  // Static findings were released with the review (pending ones become approved on release).
  await panel.locator('[data-testid="ai-finding"][data-source="static"]').first().waitFor();
  // The approved findings are markers in the student's editor too.
  await ada.page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 15_000 });
  // Model text is plain text: the hint shows as written.
  await expect(seen.textContent()).resolves.toContain('Compare it with the name on line 1.');
  // The student rates it.
  await seen.getByRole('button', { name: 'Helpful', exact: true }).click();
  await eventually(() => seen.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed'), (p) => p === 'true', 10_000, 'the rating to stick');
});
