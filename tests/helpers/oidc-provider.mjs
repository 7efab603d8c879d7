// A real OpenID Provider (the `oidc-provider` library) for the SSO integration test, run as a
// child process because oidc-provider is ESM-only and jest on Node 20 cannot load ESM.
//
// Environment:
//   IDP_PORT          port to listen on (0: any free port)
//   IDP_CLIENT_ID     the one confidential client (Tandem)
//   IDP_CLIENT_SECRET its secret (client_secret_basic)
//   IDP_REDIRECT_URI  Tandem's callback, the only redirect_uri the client may use
//   IDP_ACCOUNTS      JSON {accountId: claims}; each claim set is released as-is for scopes
//                     email/profile, so a test can leave out email or mark it unverified
//
// Prints one JSON line `{"issuer": "http://127.0.0.1:<port>"}` on stdout once it listens.
//
// Its login page is a plain form (no JavaScript), driven by the test the way a browser would:
// GET /interaction/:uid shows it, POST /interaction/:uid/login with `account=<id>` signs that
// account in, and `cancel=1` answers access_denied to Tandem.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.IDP_PORT ?? '0');
const clientId = required('IDP_CLIENT_ID');
const clientSecret = required('IDP_CLIENT_SECRET');
const redirectUri = required('IDP_REDIRECT_URI');
const accounts = JSON.parse(required('IDP_ACCOUNTS'));

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

// The issuer must contain the port, which is only known after listening: bind first, then build
// the provider and hand it the requests.
let providerCallback = null;
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://idp.invalid');
  const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(url.pathname);
  if (interaction) {
    handleInteraction(req, res, interaction[1], Boolean(interaction[2])).catch((err) => {
      res.statusCode = 500;
      res.end(`interaction failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    return;
  }
  providerCallback(req, res);
});

await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // A fresh signing key per run instead of oidc-provider's shared development key.
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  async findAccount(_ctx, accountId) {
    const claims = accounts[accountId];
    if (!claims) return undefined;
    return { accountId, claims: async () => ({ sub: accountId, ...claims }) };
  },
  // Tandem is a first-party client of a campus IdP: the grant is given without a consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
providerCallback = provider.callback();

async function handleInteraction(req, res, uid, submitted) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid || details.prompt.name !== 'login') {
    res.statusCode = 400;
    res.end(`unexpected interaction ${details.prompt.name}`);
    return;
  }
  if (!submitted) {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><form method="post" action="/interaction/${uid}/login">` +
        '<input name="account"><button>Sign in</button><button name="cancel" value="1">Cancel</button></form>',
    );
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  if (form.get('cancel')) {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' });
    return;
  }
  const accountId = form.get('account') ?? '';
  if (!Object.hasOwn(accounts, accountId)) {
    res.statusCode = 400;
    res.end(`unknown account ${JSON.stringify(accountId)}`);
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
}

async function readBody(req) {
  let body = '';
  req.setEncoding('utf8');
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return body;
}

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
