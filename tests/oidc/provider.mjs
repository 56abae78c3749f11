// A real OpenID Connect provider (npm oidc-provider) for the single sign-on
// tests, on 127.0.0.1 only:
//   node tests/oidc/provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Its development sign-in page takes any name: the account's email address
// is the name typed (verified), so a test signs in as whoever it needs.
// Prints "provider listening on http://127.0.0.1:PORT" when ready.

import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!port || !clientId || !clientSecret || !redirectUri) {
  console.error('usage: provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !id.startsWith('unverified') };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-provider-cookie-key'] },
});
provider.on('server_error', (_ctx, error) => console.error('provider error:', error));

const server = provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`provider listening on ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
