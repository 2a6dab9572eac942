// A real OpenID provider for the console's OIDC tests: the certified `oidc-provider` package, on loopback only.
//
// It runs with the package's defaults where they matter: `conformIdTokenClaims` (OpenID Connect Core 5.4: when an
// access token is issued, the ID token carries only `sub` and the scope's claims come from the userinfo endpoint),
// authorization code + PKCE S256, client_secret_basic, RS256 ID tokens signed with a key made at start.
//
// What a test controls (loopback only, JSON bodies):
//   PUT /_peer/client  {"client_id", "client_secret", "redirect_uris": [...]}  registers (or replaces) the client
//   PUT /_peer/user    {"claims": {"sub", "email", "email_verified", "preferred_username", ...},
//                       "userinfo_sub": null | "other"}  who the next sign-in approves at once; a userinfo_sub makes
//                       the userinfo endpoint name another subject (a misbehaving provider)
// The login interaction approves that user without a form and grants the requested scopes (no consent page).
// Started as `node provider.mjs`; listens on 127.0.0.1 (PEER_PORT, default a free port) and, once it answers,
// writes {"issuer": ...} to PEER_READY_FILE (or prints it when that is not set).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

const clients = new Map();
const accounts = new Map();
let current = { claims: { sub: 'alice-sub' }, userinfoSub: null };

// The Client model reads registrations from here, so a test can register its redirect URI after the console
// started (the console's port is known only then); every other model keeps the package's memory adapter.
class ClientRegistry {
  async find(id) {
    return clients.get(id);
  }

  async upsert() {}

  async destroy() {}
}

function body(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString() || '{}'));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

function answer(res, status, payload) {
  const data = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

async function control(req, res) {
  const path = new URL(req.url, 'http://peer').pathname;
  if (req.method !== 'PUT') return answer(res, 405, { error: 'PUT only' });
  const given = await body(req);
  if (path === '/_peer/client') {
    clients.set(given.client_id, {
      client_id: given.client_id,
      client_secret: given.client_secret,
      redirect_uris: given.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    return answer(res, 200, { ok: true });
  }
  if (path === '/_peer/user') {
    if (typeof given.claims?.sub !== 'string') return answer(res, 400, { error: 'claims.sub is required' });
    current = { claims: given.claims, userinfoSub: given.userinfo_sub ?? null };
    return answer(res, 200, { ok: true });
  }
  return answer(res, 404, { error: 'not found' });
}

const server = createServer();
server.listen(Number(process.env.PEER_PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-key', use: 'sig', alg: 'RS256' };
  const memory = createMemoryAdapter();

  const provider = new Provider(issuer, {
    adapter: (model) => (model === 'Client' ? new ClientRegistry() : memory(model)),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'name'],
    },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const claims = accounts.get(id);
      if (claims === undefined) return undefined;
      // The package always answers userinfo with the account's id as `sub`: a misbehaving provider is one whose
      // account lookup for userinfo comes back with somebody else.
      const accountId = ctx?.oidc?.route === 'userinfo' && current.userinfoSub !== null ? current.userinfoSub : id;
      return { accountId, claims: async () => ({ ...claims, sub: accountId }) };
    },
    // A first-party client: grant what it asks for once the user is signed in (no consent page).
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (!session.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (_ctx, error) => console.error('oidc peer server_error:', error));

  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/_peer/')) {
      control(req, res).catch((error) => answer(res, 400, { error: String(error) }));
      return;
    }
    if (req.url.startsWith('/interaction/')) {
      // The login page a person would fill in: approve the chosen user at once.
      (async () => {
        const { prompt } = await provider.interactionDetails(req, res);
        if (prompt.name !== 'login') throw new Error(`unexpected prompt ${prompt.name}`);
        accounts.set(current.claims.sub, current.claims);
        await provider.interactionFinished(req, res, { login: { accountId: current.claims.sub } });
      })().catch((error) => answer(res, 500, { error: String(error) }));
      return;
    }
    handle(req, res);
  });
  const ready = `${JSON.stringify({ issuer })}\n`;
  if (process.env.PEER_READY_FILE) {
    writeFileSync(`${process.env.PEER_READY_FILE}.tmp`, ready);
    renameSync(`${process.env.PEER_READY_FILE}.tmp`, process.env.PEER_READY_FILE);
  } else {
    process.stdout.write(ready);
  }
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
