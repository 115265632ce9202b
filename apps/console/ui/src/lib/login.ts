import { consoleClient } from './console-client';

/** The development accounts the seed creates; the helpers exist for local use only. */
export const demoUser = { email: 'demo@switchboard.local', password: 'switchboard-demo' };
export const adminUser = { email: 'admin@switchboard.local', password: 'switchboard-admin' };

/**
 * Logs in through the explorer's Invoke (auth's Login), as any other call
 * would go, and returns the access token.
 */
export async function logIn(account: { email: string; password: string }): Promise<string> {
  let failure = 'Login answered nothing';
  for await (const res of consoleClient.invoke({
    service: 'switchboard.auth.v1.AuthService',
    method: 'Login',
    requestJson: JSON.stringify(account),
  })) {
    if (res.result.case === 'messageJson') {
      const token = (JSON.parse(res.result.value) as { accessToken?: string }).accessToken;
      if (token) return token;
      failure = 'Login answered without an accessToken';
    } else if (res.result.case === 'status' && res.result.value.code !== 0) {
      failure = `${res.result.value.codeName}: ${res.result.value.message}`;
    }
  }
  throw new Error(failure);
}
