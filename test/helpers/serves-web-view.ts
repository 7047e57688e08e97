import { expect } from 'vitest';

/** The web view's login page and script come from the build itself: nothing beside it is read. */
export async function expectServesWebView(baseUrl: string): Promise<void> {
  const script = await fetch(`${baseUrl}/ui/assets/app.js`);
  expect(script.status).toBe(200);
  expect(await script.text()).toContain('new EventSource(');
  const login = await fetch(`${baseUrl}/ui/login`);
  expect(login.status).toBe(200);
  expect(await login.text()).toContain('name="token"');
}
