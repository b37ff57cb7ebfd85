/** The demo API's login (src/demo/demo-api.ts); the api_orchestration example signs in with it. */
export const DEMO_CREDENTIALS = { username: "demo", password: "demo" } as const;
