import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ServerProcess, api } from '../helpers/server-process';
import { logIn, type TestUser } from '../helpers/accounts';
import { RedisProcess, describeWithRedis } from '../helpers/redis-server';

/**
 * Campus SSO (server/auth/oidc.ts) against a real OpenID Provider: `oidc-provider` runs in its own
 * process (tests/helpers/oidc-provider.mjs) and a cookie-carrying fetch plays the browser,
 * redirect by redirect, including the IdP's login form.
 */

const IDP_HELPER = path.join(__dirname, '..', 'helpers', 'oidc-provider.mjs');
const CLIENT_ID = 'tandem';
const CLIENT_SECRET = 'tandem-test-secret-0123456789';
const TEACHER_DOMAIN = 'staff.campus.test';
const ADMIN_EMAIL = 'admin@campus.test';
const ADMIN_PASSWORD = 'admin-password-123';

/** The people the IdP knows, by account id (its `sub`), with the claims it releases. */
const ACCOUNTS = {
  ada: { email: 'ada.lovelace@staff.campus.test', email_verified: true, name: 'Ada Lovelace' },
  ben: { email: 'ben@students.campus.test', email_verified: true, name: 'Ben Bitdiddle' },
  cy: { email: 'cy@students.campus.test', email_verified: true, name: 'Cy D. Fect' },
  eve: { email: 'eve@students.campus.test', email_verified: false, name: 'Eve Unverified' },
  fay: { email: 'fay@staff.campus.test', email_verified: true, name: 'Fay Disabled' },
  gil: { email: 'gil@students.campus.test', email_verified: true, name: 'Gil Canceller' },
  nomail: { name: 'No Mail', preferred_username: 'nomail' },
} satisfies Record<string, Record<string, unknown>>;
type AccountId = keyof typeof ACCOUNTS;

interface Me {
  user: { id: string; email: string; displayName: string; role: string };
}
interface AdminUsers {
  users: Array<{ id: string; email: string; role: string; disabled: boolean; sso: boolean }>;
}

describe('campus SSO (OIDC) against a real oidc-provider', () => {
  let idp: IdpProcess;
  let tandem: ServerProcess;
  let admin: TestUser;

  beforeAll(async () => {
    // The IdP must know Tandem's callback before Tandem starts, so Tandem's port is picked first.
    const tandemPort = await freePort();
    const publicUrl = `http://127.0.0.1:${tandemPort}`;
    idp = await IdpProcess.start({ port: 0, redirectUri: `${publicUrl}/api/auth/oidc/callback` });
    tandem = await ServerProcess.start({
      port: tandemPort,
      env: {
        PUBLIC_URL: publicUrl,
        OIDC_ISSUER_URL: idp.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        OIDC_CLIENT_SECRET: CLIENT_SECRET,
        OIDC_TEACHER_DOMAINS: `example.org, ${TEACHER_DOMAIN.toUpperCase()}`,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
      },
    });
    admin = await logIn(tandem.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await tandem?.dispose();
    await idp?.stop();
  });

  const me = (cookie: string) => api<Me>(tandem.url, 'GET', '/api/auth/me', undefined, cookie);
  const accountsWithEmail = async (email: string) =>
    (await api<AdminUsers>(tandem.url, 'GET', '/api/admin/users', undefined, admin.cookie)).body.users.filter((u) => u.email === email);

  /** One sign-in in a fresh browser: Tandem → IdP login form → Tandem's callback. */
  async function signIn(account: AccountId, next = '/dashboard'): Promise<SignInResult> {
    const browser = new Browser();
    const callbackUrl = await browser.throughIdp(tandem.url, account, next);
    return browser.finish(callbackUrl);
  }

  test('first sign-in of a teacher-domain email creates a teacher with the SSO name and lands on `next`', async () => {
    const result = await signIn('ada', '/w/abc?tab=files');
    expect(result.location).toBe('/w/abc?tab=files');
    expect(result.stateCookieCleared).toBe(true);
    const session = await me(result.sessionCookie!);
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email: ACCOUNTS.ada.email, displayName: 'Ada Lovelace', role: 'teacher' });
  });

  test('a second sign-in of the same person reuses the account', async () => {
    const first = await me((await signIn('ada')).sessionCookie!);
    const second = await me((await signIn('ada')).sessionCookie!);
    expect(second.body.user.id).toBe(first.body.user.id);
    const accounts = await accountsWithEmail(ACCOUNTS.ada.email);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]!.sso).toBe(true);
  });

  test('an email outside OIDC_TEACHER_DOMAINS becomes a student; an off-site `next` falls back to /', async () => {
    const result = await signIn('ben', '//evil.example/phish');
    expect(result.location).toBe('/');
    const session = await me(result.sessionCookie!);
    expect(session.body.user).toMatchObject({ email: ACCOUNTS.ben.email, displayName: 'Ben Bitdiddle', role: 'student' });
  });

  test('an existing local account with the same verified email is linked, not duplicated', async () => {
    const signup = await api<Me>(tandem.url, 'POST', '/api/auth/signup', {
      email: ACCOUNTS.cy.email.toUpperCase(),
      password: 'local password 123',
      displayName: 'Cy Local',
    });
    expect(signup.status).toBe(201);
    const localId = signup.body.user.id;

    const viaSso = await me((await signIn('cy')).sessionCookie!);
    // Linking keeps the account as it was: its id, name and role (a teacher here, from sign-up).
    expect(viaSso.body.user).toMatchObject({ id: localId, displayName: 'Cy Local', role: 'teacher' });
    const accounts = await accountsWithEmail(ACCOUNTS.cy.email);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]!.sso).toBe(true);
    // The password still works next to SSO.
    expect((await logIn(tandem.url, ACCOUNTS.cy.email, 'local password 123')).id).toBe(localId);
  });

  test('an unverified email that matches a local account is refused instead of taking it over', async () => {
    const signup = await api(tandem.url, 'POST', '/api/auth/signup', {
      email: ACCOUNTS.eve.email,
      password: 'local password 123',
      displayName: 'Eve Local',
    });
    expect(signup.status).toBe(201);
    const result = await signIn('eve');
    expect(result.location).toBe('/signin?error=sso_email_in_use');
    expect(result.sessionCookie).toBeNull();
    const accounts = await accountsWithEmail(ACCOUNTS.eve.email);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]!.sso).toBe(false);
  });

  test('an identity without an email is refused', async () => {
    const result = await signIn('nomail');
    expect(result.location).toBe('/signin?error=sso_no_email');
    expect(result.sessionCookie).toBeNull();
  });

  test('a disabled account cannot sign in through SSO', async () => {
    const first = await me((await signIn('fay')).sessionCookie!);
    const patched = await api(tandem.url, 'PATCH', `/api/admin/users/${first.body.user.id}`, { disabled: true }, admin.cookie);
    expect(patched.status).toBe(200);
    const again = await signIn('fay');
    expect(again.location).toBe('/signin?error=sso_disabled');
    expect(again.sessionCookie).toBeNull();
  });

  test('cancelling at the IdP (error=access_denied) goes back to /signin', async () => {
    const browser = new Browser();
    const callbackUrl = await browser.throughIdp(tandem.url, 'gil', '/', { cancel: true });
    expect(new URL(callbackUrl).searchParams.get('error')).toBe('access_denied');
    const result = await browser.finish(callbackUrl);
    expect(result.location).toBe('/signin?error=sso_denied');
    expect(result.sessionCookie).toBeNull();
  });

  test('a tampered state is refused and signs nobody in', async () => {
    const browser = new Browser();
    const callbackUrl = new URL(await browser.throughIdp(tandem.url, 'ben'));
    callbackUrl.searchParams.set('state', `${callbackUrl.searchParams.get('state')}x`);
    const result = await browser.finish(callbackUrl.href);
    expect(result.location).toBe('/signin?error=sso_state');
    expect(result.sessionCookie).toBeNull();
  });

  test('a forged authorization code is refused by the IdP and signs nobody in', async () => {
    const browser = new Browser();
    const callbackUrl = new URL(await browser.throughIdp(tandem.url, 'ben'));
    callbackUrl.searchParams.set('code', 'forged-code-0123456789');
    const result = await browser.finish(callbackUrl.href);
    expect(result.location).toBe('/signin?error=sso_failed');
    expect(result.sessionCookie).toBeNull();
  });

  test('a callback without the state cookie is refused (it did not start in this browser)', async () => {
    const callbackUrl = await new Browser().throughIdp(tandem.url, 'ben');
    const result = await new Browser().finish(callbackUrl);
    expect(result.location).toBe('/signin?error=sso_state');
    expect(result.sessionCookie).toBeNull();
  });

  test('a callback URL cannot be replayed, even with the old state cookie', async () => {
    const browser = new Browser();
    const callbackUrl = await browser.throughIdp(tandem.url, 'ben');
    const stateCookie = browser.cookie('tandem_oidc');
    expect(stateCookie).not.toBeNull();
    expect((await browser.finish(callbackUrl)).location).toBe('/dashboard');

    const replay = new Browser();
    replay.setCookie('tandem_oidc', stateCookie!);
    const result = await replay.finish(callbackUrl);
    expect(result.location).toBe('/signin?error=sso_state');
    expect(result.sessionCookie).toBeNull();
  });
});

describe('campus SSO when the IdP is down at start-up', () => {
  let tandem: ServerProcess | undefined;
  let idp: IdpProcess | undefined;

  afterAll(async () => {
    await tandem?.dispose();
    await idp?.stop();
  });

  test('the server starts, /api/auth/oidc/login answers 503 JSON, sign-in recovers once the IdP is up, and an IdP lost mid-sign-in gives sso_unavailable', async () => {
    const idpPort = await freePort();
    const tandemPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    tandem = await ServerProcess.start({
      port: tandemPort,
      env: { OIDC_ISSUER_URL: issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET },
    });
    expect((await api(tandem.url, 'GET', '/healthz')).status).toBe(200);
    const down = await api<{ error: { code: string; message: string } }>(tandem.url, 'GET', '/api/auth/oidc/login');
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('ERR_TANDEM_UNAVAILABLE');
    expect(down.body.error.message).toMatch(/identity provider/);

    idp = await IdpProcess.start({ port: idpPort, redirectUri: `http://127.0.0.1:${tandemPort}/api/auth/oidc/callback` });
    expect(idp.issuer).toBe(issuer);
    // Discovery is retried at most every OIDC_DISCOVERY_RETRY_MS (5 s), so allow a little more.
    const deadline = Date.now() + 15_000;
    let login = await fetch(`${tandem.url}/api/auth/oidc/login`, { redirect: 'manual' });
    while (login.status === 503 && Date.now() < deadline) {
      await login.arrayBuffer();
      await new Promise((r) => setTimeout(r, 250));
      login = await fetch(`${tandem.url}/api/auth/oidc/login`, { redirect: 'manual' });
    }
    await login.arrayBuffer();
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.get('location')!);
    expect(authorize.origin).toBe(issuer);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${tandemPort}/api/auth/oidc/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')).toBe('openid email profile');

    const browser = new Browser();
    const callbackUrl = await browser.throughIdp(tandem.url, 'ben');
    await idp.stop();
    const result = await browser.finish(callbackUrl);
    expect(result.location).toBe('/signin?error=sso_unavailable');
    expect(result.sessionCookie).toBeNull();
    expect(tandem.alive).toBe(true);
  }, 40_000);
});

describeWithRedis('campus SSO with two processes sharing Redis', () => {
  let redis: RedisProcess;
  let idp: IdpProcess;
  let dataDir: string;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    redis = await RedisProcess.start();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-sso-scale-'));
    // The IdP answers to process B's callback, as it would to a balancer's address.
    const ports = [await freePort(), await freePort()];
    const publicUrl = `http://127.0.0.1:${ports[1]}`;
    idp = await IdpProcess.start({ port: 0, redirectUri: `${publicUrl}/api/auth/oidc/callback` });
    for (const port of ports) {
      servers.push(
        await ServerProcess.start({
          port,
          dataDir,
          env: { REDIS_URL: redis.url, PUBLIC_URL: publicUrl, OIDC_ISSUER_URL: idp.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET },
        }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) await s.dispose();
    await idp?.stop();
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a sign-in started on process A completes on process B, once', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const browser = new Browser();
    const callbackUrl = await browser.throughIdp(a.url, 'ben', '/dashboard', { callbackOrigin: new URL(b.url).origin });
    expect(new URL(callbackUrl).origin).toBe(new URL(b.url).origin);
    const stateCookie = browser.cookie('tandem_oidc')!;
    const result = await browser.finish(callbackUrl);
    expect(result.location).toBe('/dashboard');
    const me = await api<Me>(a.url, 'GET', '/api/auth/me', undefined, result.sessionCookie!);
    expect(me.body.user).toMatchObject({ email: ACCOUNTS.ben.email, role: 'student' });

    // The same callback, replayed on A with the old state cookie: used up everywhere.
    const replay = new Browser();
    replay.setCookie('tandem_oidc', stateCookie, '127.0.0.1', '/api/auth/oidc');
    const again = await replay.finish(callbackUrl.replace(new URL(b.url).origin, new URL(a.url).origin));
    expect(again).toMatchObject({ location: '/signin?error=sso_state', sessionCookie: null });
  }, 40_000);
});

// ── test plumbing ──────────────────────────────────────────────────────────────────────────

interface SignInResult {
  /** Where Tandem's callback sent the browser. */
  location: string | null;
  /** `tandem_session=…` when the callback signed the browser in, else null. */
  sessionCookie: string | null;
  stateCookieCleared: boolean;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

/**
 * Just enough of a browser: follows redirects by hand and keeps cookies per host (not per port,
 * as browsers do, so Tandem and the IdP share a jar on 127.0.0.1), honouring Path and expiry.
 */
class Browser {
  private jar = new Map<string, StoredCookie[]>();

  cookie(name: string): string | null {
    for (const cookies of this.jar.values()) {
      const found = cookies.find((c) => c.name === name);
      if (found) return found.value;
    }
    return null;
  }

  setCookie(name: string, value: string, host = '127.0.0.1', cookiePath = '/'): void {
    this.jar.set(host, [...(this.jar.get(host) ?? []).filter((c) => c.name !== name), { name, value, path: cookiePath }]);
  }

  async request(url: string, form?: URLSearchParams): Promise<{ status: number; location: string | null; body: string; setCookie: string[] }> {
    const target = new URL(url);
    const cookies = (this.jar.get(target.hostname) ?? []).filter((c) => target.pathname.startsWith(c.path));
    const headers: Record<string, string> = {};
    if (cookies.length) headers.cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(target, { method: form ? 'POST' : 'GET', headers, body: form?.toString(), redirect: 'manual' });
    const setCookie = res.headers.getSetCookie();
    for (const line of setCookie) this.store(target.hostname, line);
    const location = res.headers.get('location');
    return { status: res.status, location: location && new URL(location, target).href, body: await res.text(), setCookie };
  }

  /**
   * From Tandem's /login through the IdP's login form to the redirect back to Tandem; returns
   * that callback URL without visiting it, so a test can tamper with it first.
   */
  async throughIdp(
    tandemUrl: string,
    account: AccountId,
    next = '/dashboard',
    options: { cancel?: boolean; callbackOrigin?: string } = {},
  ): Promise<string> {
    const tandemOrigin = options.callbackOrigin ?? new URL(tandemUrl).origin;
    let res = await this.request(`${tandemUrl}/api/auth/oidc/login?next=${encodeURIComponent(next)}`);
    if (res.status !== 302 || !res.location) throw new Error(`/login answered ${res.status}: ${res.body}`);
    for (let hop = 0; hop < 10; hop++) {
      const location: string = res.location!;
      if (new URL(location).origin === tandemOrigin) return location;
      res = await this.request(location);
      if (res.status === 200) {
        const action = /<form method="post" action="([^"]+)"/.exec(res.body)?.[1];
        if (!action) throw new Error(`no login form at ${location}: ${res.body.slice(0, 200)}`);
        const form = new URLSearchParams(options.cancel ? { cancel: '1' } : { account });
        res = await this.request(new URL(action, location).href, form);
      }
      if (res.status < 300 || res.status >= 400 || !res.location) throw new Error(`IdP answered ${res.status} at ${location}: ${res.body.slice(0, 300)}`);
    }
    throw new Error('too many redirects at the IdP');
  }

  /** Visit Tandem's callback, as the browser would after the IdP's redirect. */
  async finish(callbackUrl: string): Promise<SignInResult> {
    const res = await this.request(callbackUrl);
    if (res.status !== 302) throw new Error(`callback answered ${res.status}: ${res.body.slice(0, 300)}`);
    const session = res.setCookie.find((c) => c.startsWith('tandem_session=') && !c.startsWith('tandem_session=;'));
    const location = res.location && new URL(res.location);
    return {
      location: location ? `${location.pathname}${location.search}` : null,
      sessionCookie: session ? session.split(';')[0]! : null,
      stateCookieCleared: res.setCookie.some((c) => /^tandem_oidc=;/.test(c) && /Expires=Thu, 01 Jan 1970/i.test(c)),
    };
  }

  private store(host: string, line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let cookiePath = '/';
    let expired = false;
    for (const attribute of attributes) {
      const [key = '', attrValue = ''] = attribute.split('=', 2);
      if (/^path$/i.test(key)) cookiePath = attrValue || '/';
      if (/^max-age$/i.test(key) && Number(attrValue) <= 0) expired = true;
      if (/^expires$/i.test(key) && Date.parse(attrValue) <= Date.now()) expired = true;
    }
    const kept = (this.jar.get(host) ?? []).filter((c) => !(c.name === name && c.path === cookiePath));
    if (!expired) kept.push({ name, value, path: cookiePath });
    this.jar.set(host, kept);
  }
}

/** tests/helpers/oidc-provider.mjs in a child process; its output is kept for failure messages. */
class IdpProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly issuer: string,
  ) {}

  static start(options: { port: number; redirectUri: string }): Promise<IdpProcess> {
    const child = spawn(process.execPath, [IDP_HELPER], {
      env: {
        ...process.env,
        IDP_PORT: String(options.port),
        IDP_CLIENT_ID: CLIENT_ID,
        IDP_CLIENT_SECRET: CLIENT_SECRET,
        IDP_REDIRECT_URI: options.redirectUri,
        IDP_ACCOUNTS: JSON.stringify(ACCOUNTS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('the OIDC provider did not start within 15 s')), 15_000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${err.message}\n--- provider output ---\n${output}`));
      };
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => (output += chunk));
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        output += chunk;
        const line = /^\{"issuer".*\}$/m.exec(output)?.[0];
        if (!line) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(new IdpProcess(child, (JSON.parse(line) as { issuer: string }).issuer));
      });
      child.once('exit', (code) => fail(new Error(`the OIDC provider exited early (code ${code})`)));
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** A port nothing listens on right now (the OS may hand it out again, but rarely this fast). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
