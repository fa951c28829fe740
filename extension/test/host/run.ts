// Runs suite/ in a real VS Code extension host: code-server (installed by
// scripts/setup-vscode-host) with this extension as the development
// extension, opened by headless Chromium through playwright-core (an
// extension host starts only when a browser opens the workbench). When the
// suite says so, it drives the command palette like a user.
// ../../shared/VSCODE-HOST.md has the recipe; env: HUBSSH_CODE_SERVER (the
// code-server package folder), HUBSSH_TEST_HUB_FILE (the hub).
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { format } from 'util';
import { chromium, Page } from 'playwright-core';
import { hubInfo, tempHome } from '../harness';
import { signalEnv, waitSignal } from './marker';

const extensionRoot = path.resolve(__dirname, '..', '..', '..');
const deadlineMs = 5 * 60_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitHealthy(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) {
      throw new Error(`code-server exited with ${proc.exitCode}`);
    }
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('code-server did not answer /healthz in 60 s');
}

/** Waits for the quick input to show a title, or a row, containing text. */
async function waitQuickInput(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) => {
      // Runs in the page: the DOM is there, not in this file's types.
      const w = (globalThis as any).document.querySelector('.quick-input-widget'); // eslint-disable-line @typescript-eslint/no-explicit-any
      return !!w && w.style.display !== 'none' && (w.textContent ?? '').includes(t);
    },
    text,
    { timeout: 60_000 },
  );
}

/** What a user does: palette, command, URL, token, server. */
async function driveConnect(page: Page, hubUrl: string, token: string): Promise<void> {
  await page.keyboard.press('F1');
  await waitQuickInput(page, '>');
  await page.keyboard.type('JupyterHub: Connect to JupyterHub');
  await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="Connect to JupyterHub"]', { timeout: 60_000 });
  await page.keyboard.press('Enter');
  await waitQuickInput(page, 'hub URL');
  await page.keyboard.type(hubUrl);
  await page.keyboard.press('Enter');
  await waitQuickInput(page, 'API token');
  const type = await page.getAttribute('.quick-input-widget input', 'type');
  if (type !== 'password') {
    throw new Error(`the token box is type=${type}, want password`);
  }
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await waitQuickInput(page, 'Default server');
  await page.keyboard.press('Enter');
}

/** Clicks the button labelled label in the notification that shows text. */
async function notificationButton(page: Page, text: string, label: string): Promise<string> {
  const box = page.locator('.notification-toast', { hasText: text });
  await box.waitFor({ timeout: 60_000 });
  const all = (await box.textContent()) ?? '';
  await box.locator('.monaco-button', { hasText: label }).first().click();
  return all;
}

/**
 * What a user of an editor without a remote extension does: Connect, the
 * offered install (which fails: the gallery is a closed port), the dialog
 * that says so, "Continue in a Terminal", the hub and the server.
 */
async function driveWithoutRemote(page: Page): Promise<void> {
  await page.keyboard.press('F1');
  await waitQuickInput(page, '>');
  await page.keyboard.type('JupyterHub: Connect to JupyterHub');
  await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="Connect to JupyterHub"]', { timeout: 60_000 });
  await page.keyboard.press('Enter');
  await notificationButton(page, 'needs an SSH remote extension', 'Install Open Remote - SSH');
  const failed = await notificationButton(page, 'Could not install', 'Continue in a Terminal');
  if (!failed.includes('Could not install Open Remote - SSH: the extension gallery could not be reached (')) {
    throw new Error(`the failed install said: ${failed}`);
  }
  console.log(`  [runner] the failed install said: ${failed.replace(/\s+/g, ' ').slice(0, 300)}`);
  await waitQuickInput(page, 'Add a JupyterHub');
  await page.keyboard.press('Enter');
  await waitQuickInput(page, 'Default server');
  await page.keyboard.press('Enter');
}

async function main(): Promise<number> {
  const cs = process.env.HUBSSH_CODE_SERVER;
  if (!cs) {
    throw new Error('HUBSSH_CODE_SERVER is not set: run scripts/test-extension (it installs code-server)');
  }
  const hub = hubInfo();
  const { home, env } = await tempHome();
  const userData = path.join(home, 'code-user-data');
  const workspace = path.join(home, 'workspace');
  await fs.mkdir(path.join(userData, 'User'), { recursive: true });
  await fs.mkdir(workspace);
  await fs.writeFile(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoUpdate': false,
      'workbench.tips.enabled': false,
    }),
  );
  const extensionsDir = path.join(home, 'code-extensions');
  // With HUBSSH_TEST_VSIX the suite runs against the packaged extension,
  // installed as a user would (bundle, platform helper, manifest);
  // otherwise against this folder (development).
  const vsix = process.env.HUBSSH_TEST_VSIX;
  let devPath = extensionRoot;
  if (vsix) {
    const r = spawnSync(
      process.execPath,
      [path.join(cs, 'out', 'node', 'entry.js'), '--user-data-dir', userData, '--extensions-dir', extensionsDir, '--install-extension', vsix],
      { env, encoding: 'utf8' },
    );
    if (r.status !== 0) {
      throw new Error(`installing ${vsix} failed: ${r.stderr || r.stdout}`);
    }
    const installed = (await fs.readdir(extensionsDir)).filter((d) => d.startsWith('hubssh.hubssh-'));
    if (installed.length !== 1) {
      throw new Error(`after installing ${vsix}: ${installed.length} hubssh folders in ${extensionsDir}`);
    }
    // Tests run only for a development extension: point it at the
    // installed (unpacked VSIX) folder.
    devPath = path.join(extensionsDir, installed[0]);
    console.log(`installed ${path.basename(vsix)} into ${devPath}`);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // HOME is the throwaway one: the helper edits its ssh config, not ours.
  const signal = path.join(home, 'signal');
  // The gallery points at a closed loopback port: no lookup leaves the machine.
  const csEnv = { ...env, [signalEnv]: signal, EXTENSIONS_GALLERY: '{"serviceUrl":"http://127.0.0.1:9/"}', XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share') };
  const proc = spawn(
    process.execPath,
    [
      path.join(cs, 'out', 'node', 'entry.js'),
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--user-data-dir', userData,
      '--extensions-dir', extensionsDir,
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      workspace,
    ],
    { env: csEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const csLog: string[] = [];
  proc.stdout!.on('data', (d) => csLog.push(String(d)));
  proc.stderr!.on('data', (d) => csLog.push(String(d)));
  const browser = await chromium.launch({
    executablePath: process.env.HUBSSH_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--disable-quic'],
  });
  try {
    await waitHealthy(port, proc);
    const page = await browser.newPage();
    // The extension host's console (mocha's report) reaches the page as
    // "%c INFO", a CSS string, then the original format and arguments.
    page.on('console', (m) => {
      void Promise.all(m.args().map((a) => a.jsonValue().catch(() => '?'))).then((args) => {
        if (args[0] === '%c INFO' || args[0] === '%c  ERR') {
          console.log(`  [host] ${format(...args.slice(2))}`);
        } else if (process.env.HUBSSH_HOST_DEBUG) {
          console.log(`  [page ${m.type()}] ${m.text()}`);
        }
      });
    });
    const deadline = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no result in ${deadlineMs / 1000} s`)), deadlineMs).unref(),
    );
    const exit = new Promise<number>((resolve, reject) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
      void page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
        const line = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
        console.log(`  [host] ${line}`);
      });
      deadline.catch(reject);
      waitSignal(signal, 'palette', deadline)
        .then(() => driveConnect(page, hub.url, hub.tokens.alice))
        .then(() => waitSignal(signal, 'no-remote', deadline))
        .then(() => driveWithoutRemote(page))
        .catch((err: Error) => reject(new Error(`driving the palette: ${err.message}`)));
    });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(devPath)],
      ['extensionTestsPath', remote(path.join(extensionRoot, 'out', 'test', 'host', 'suite', 'index.js'))],
    ]);
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
    const code = await exit.catch(async (err: Error) => {
      await page.screenshot({ path: path.join(os.tmpdir(), 'hubssh-host-failure.png') }).catch(() => undefined);
      console.error(`extension host run failed: ${err.message} (screenshot: ${path.join(os.tmpdir(), 'hubssh-host-failure.png')})`);
      return 1;
    });
    return code;
  } catch (err) {
    console.error(csLog.join('').slice(-4000));
    throw err;
  } finally {
    await browser.close().catch(() => undefined);
    // The extension host outlives code-server's main process: end the group.
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await fs.rm(home, { recursive: true, force: true }).catch(() => undefined);
  }
}

main().then(
  (code) => {
    console.log(code === 0 ? 'extension host tests passed' : `extension host tests failed (exit ${code})`);
    process.exit(code);
  },
  (err: Error) => {
    console.error(`extension host tests: ${err.message}`);
    process.exit(1);
  },
);
