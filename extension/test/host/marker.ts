// The suite, inside the extension host, tells the runner outside when to
// drive the command palette by writing this file (the host's console
// reaches the page only as unformatted "%s" templates).
import { promises as fs } from 'fs';

export const signalEnv = 'HUBSSH_HOST_SIGNAL';

export async function signalRunner(what: string): Promise<void> {
  const f = process.env[signalEnv];
  if (!f) {
    throw new Error(`${signalEnv} is not set: run this suite with test/host/run.js`);
  }
  await fs.writeFile(f, what);
}

export async function waitSignal(file: string, what: string, deadline: Promise<never>): Promise<void> {
  let stop = false;
  deadline.catch(() => (stop = true));
  while (!stop) {
    if ((await fs.readFile(file, 'utf8').catch(() => '')) === what) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
