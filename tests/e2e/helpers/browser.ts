import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SESSION_COOKIE, type Account } from './accounts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launch Debian's Chromium headless. One per test file; contexts are the "users". */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}. Install it (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface User {
  context: BrowserContext;
  page: Page;
  /** The signed-in account, or null for a visitor who is not signed in. */
  account: Account | null;
  /** The account's display name ('' when not signed in). */
  name: string;
}

/**
 * A new browser profile (context) signed in as `account`: its session cookie is put into the
 * context, as the sign-in page would. Pass null for a visitor who has not signed in.
 */
export async function newUser(
  browser: Browser,
  baseUrl: string,
  account: Account | null,
  options: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<User> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    colorScheme: options.colorScheme ?? 'light',
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
  if (account) {
    await context.addCookies([{ name: SESSION_COOKIE, value: account.token, url: baseUrl, httpOnly: true, sameSite: 'Lax' }]);
  }
  const page = await context.newPage();
  return { context, page, account, name: account?.displayName ?? '' };
}

/** Open a workspace and wait until the editor holds the open file's text. */
export async function openWorkspace(page: Page, workspaceId: string, fileId?: string): Promise<void> {
  await page.goto(`/w/${workspaceId}${fileId ? `?file=${fileId}` : ''}`);
  await waitForEditor(page);
}

export async function waitForEditor(page: Page): Promise<void> {
  await page.locator('[data-testid="editor"][data-state="ready"]').waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => window.__tandem?.getText() != null);
}

/** The open file's text, read from Monaco's model (its DOM only renders visible lines). */
export function editorText(page: Page, fileName?: string): Promise<string | null> {
  return page.evaluate((name) => window.__tandem?.getText(name) ?? null, fileName);
}

export async function connectionState(page: Page): Promise<{ status: string; unsent: number }> {
  const el = page.getByTestId('connection-status');
  return {
    status: (await el.getAttribute('data-status')) ?? '',
    unsent: Number(await el.getAttribute('data-unsent')),
  };
}

/** Put the caret at the very end (or start) of the document and focus the editor. */
export async function placeCaret(page: Page, where: 'start' | 'end'): Promise<void> {
  await page.locator('[data-testid="editor"] .view-lines').click();
  await page.keyboard.press(where === 'end' ? 'Control+End' : 'Control+Home');
}

/**
 * Names on the peer carets the editor currently renders. The binding draws a label as the
 * `::after` of a `.tandem-label` decoration, so the name lives in computed CSS, not in DOM text.
 */
export function cursorLabels(page: Page): Promise<string[]> {
  return page.locator('[data-testid="editor"] .tandem-label').evaluateAll((elements) =>
    elements
      .filter((el) => el.getBoundingClientRect().height > 0)
      .map((el) => getComputedStyle(el, '::after').content)
      .filter((content) => content && content !== 'none')
      .map((content) => JSON.parse(content) as string),
  );
}

/** Poll `read` until `accept` holds; on timeout fail with the last value, which says why. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

declare global {
  interface Window {
    __tandem?: {
      client: unknown;
      getText(fileName?: string): string | null;
      openFileName(): string | null;
      peers(): Array<{ name: string; color: string; fileName: string | null }>;
    };
  }
}
