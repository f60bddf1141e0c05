// The OpenID Provider of the SSO tests: oidc-provider (a certified implementation) with its
// development interactions (a login form taking any password for a known account, then consent).
// Usage: node provider.mjs PORT REDIRECT_URIS(comma list) CLIENT_ID CLIENT_SECRET ACCOUNTS_JSON
//        [POST_LOGOUT_REDIRECT_URIS(comma list)]
// ACCOUNTS_JSON maps an account id (what the login form takes) to its claims. The post-logout
// redirect URIs are where RP-Initiated Logout (on by default: end_session_endpoint, with its
// "Do you want to sign-out?" confirmation form) may send the browser back. Prints "ready" once
// listening on http://127.0.0.1:PORT (plain http on loopback: test only).
import Provider from 'oidc-provider';

const [port, redirectUris, clientId, clientSecret, accountsJson, postLogoutUris = ''] = process.argv.slice(2);
const accounts = JSON.parse(accountsJson);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris.split(','),
    post_logout_redirect_uris: postLogoutUris.split(',').filter(Boolean),
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'groups'],
  },
  // scope claims in the ID token itself (tandemd reads only the ID token)
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['tandem-test-cookie-key-not-secret'] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
