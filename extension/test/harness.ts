// What the integration and extension-host tests share: the local hub
// started by scripts/test-extension (devhub serve --ready-file) and a
// throwaway home for the helper, so no test touches the real ~/.ssh.
import { execFile } from 'child_process';
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface HubInfo {
  url: string;
  dir: string;
  admin: string;
  tokens: Record<string, string>;
}

/** The hub the runner started; fails loudly when run without one. */
export function hubInfo(): HubInfo {
  const f = process.env.HUBSSH_TEST_HUB_FILE;
  if (!f) {
    throw new Error('HUBSSH_TEST_HUB_FILE is not set: run these tests with scripts/test-extension');
  }
  return JSON.parse(readFileSync(f, 'utf8')) as HubInfo;
}

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const hubsshBin = path.join(repoRoot, 'bin', process.platform === 'win32' ? 'hubssh.exe' : 'hubssh');

/** A fresh HOME and hubssh config dir, with the file token store. */
export async function tempHome(): Promise<{ home: string; env: NodeJS.ProcessEnv }> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'hubssh-ext-home-'));
  await fs.mkdir(path.join(home, '.ssh'), { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    HUBSSH_CONFIG_DIR: path.join(home, '.config', 'hubssh'),
    HUBSSH_NO_KEYRING: '1',
  };
  delete env.HUBSSH_TOKEN;
  return { home, env };
}

/** Runs a program without a shell; resolves with its output and exit code. */
export function run(
  prog: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(prog, args, { env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A call to the hub's REST API with the harness's admin token. */
export async function hubApi(hub: HubInfo, method: string, apiPath: string): Promise<unknown> {
  const res = await fetch(new URL(`hub/api/${apiPath}`, hub.url), {
    method,
    headers: { Authorization: `token ${hub.admin}` },
  });
  if (res.status >= 400) {
    throw new Error(`${method} ${apiPath}: HTTP ${res.status}`);
  }
  return res.status === 204 ? undefined : res.json().catch(() => undefined);
}

/** Waits until the user's server is stopped (the API returns 202 first). */
export async function stopServer(hub: HubInfo, user: string): Promise<void> {
  await hubApi(hub, 'DELETE', `users/${user}/server`).catch(() => undefined);
  for (let i = 0; i < 300; i++) {
    const u = (await hubApi(hub, 'GET', `users/${user}`)) as { servers: Record<string, unknown> };
    if (!u.servers || !u.servers['']) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${user}'s server did not stop in 30 s`);
}
