// An OpenID Connect provider for rrd-server's tests: npm's oidc-provider
// with one confidential client, PKCE required, and the development login
// form (any name logs in). The account's email is the login name when it
// has an @, else NAME@example.com; names starting with "unverified" get
// email_verified: false. Like real providers, the email is in the userinfo
// response, not in the ID token.
//
// usage: node provider.mjs PORT REDIRECT_URI
import Provider from 'oidc-provider';

const [port, redirect] = process.argv.slice(2);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'rrd-server',
    client_secret: 'rrd-server-test-secret',
    redirect_uris: [redirect],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  cookies: { keys: ['rrd-server-test-cookie-key'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id.includes('@') ? id : `${id}@example.com`, email_verified: !id.startsWith('unverified') };
      },
    };
  },
});
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
