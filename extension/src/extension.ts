// Entry point: wires the helper, the commands, the view and the reopen
// guard. UI only; every decision and network call is the helper's.
import * as vscode from 'vscode';
import { bundledHelper, installHelper } from './binary';
import { Commands, Opener, RemoteSSHOpener } from './commands';
import { Helper } from './helper';
import type { ConnectionParams } from './protocol';
import { ensureServerForAuthority, windowAuthority } from './reopen';
import { ensureReconnectionGrace, resumedShownFor, statusText } from './status';
import { HubsTree, pollWhileVisible } from './tree';

/** What activate returns: for the tests, and for other extensions. */
export interface Api {
  helper(): Promise<Helper>;
  commands: Commands;
  tree: HubsTree;
  /** The reopen guard for any authority (tests; other extensions). */
  ensureServerFor(authority: string): Promise<string>;
}

export async function activate(context: vscode.ExtensionContext): Promise<Api> {
  const log = vscode.window.createOutputChannel('hubssh', { log: true });
  context.subscriptions.push(log);

  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 100);
  status.command = 'hubssh.showLog';
  context.subscriptions.push(status);
  let hideTimer: NodeJS.Timeout | undefined;
  const onConnection = (p: ConnectionParams): void => {
    log.info(`connection ${p.alias} (pid ${p.pid}): ${p.state}: ${p.message}`);
    clearTimeout(hideTimer);
    const shown = statusText(p);
    if (!shown) {
      status.hide();
      return;
    }
    status.text = shown.text;
    status.tooltip = shown.tooltip;
    status.show();
    if (p.state === 'resumed') {
      hideTimer = setTimeout(() => status.hide(), resumedShownFor);
    }
  };
  void ensureReconnectionGrace({
    get: (k) => vscode.workspace.getConfiguration('remote.SSH').get(k),
    update: (k, v, g) => vscode.workspace.getConfiguration('remote.SSH').update(k, v, g),
  }).then(
    (changed) => changed && log.info(changed),
    (err) => log.warn(`remote.SSH.reconnectionGraceTime: ${err}`),
  );

  let running: Promise<Helper> | undefined;
  const helper = (): Promise<Helper> => {
    if (!running) {
      running = startHelper(context, log, onConnection).catch((err) => {
        running = undefined;
        throw err;
      });
    }
    return running.then((h) => {
      if (h.alive) {
        return h;
      }
      running = undefined; // it died: start a new one
      return helper();
    });
  };
  context.subscriptions.push({ dispose: () => void running?.then((h) => h.dispose(), () => undefined) });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('hubssh.helperPath')) {
        void running?.then((h) => h.dispose(), () => undefined);
        running = undefined;
      }
    }),
  );

  const tree = new HubsTree(helper);
  const view = vscode.window.createTreeView('hubssh.hubs', { treeDataProvider: tree, showCollapseAll: false });
  context.subscriptions.push(tree, view, pollWhileVisible(view, tree, 30_000));

  const opener: Opener = new RemoteSSHOpener();
  const commands = new Commands(helper, log, opener, () => tree.refresh());
  context.subscriptions.push(...commands.register());

  // Awaited on purpose: VS Code waits for this activation before Remote-SSH
  // resolves the window (reopen.ts), and returns at once for other windows.
  const outcome = await ensureServerForAuthority(helper, windowAuthority(), log);
  if (outcome !== 'not-hubssh') {
    log.info(`reopen: ${outcome}`);
  }
  return { helper, commands, tree, ensureServerFor: (a) => ensureServerForAuthority(helper, a, log) };
}

export function deactivate(): void {
  // Subscriptions dispose the helper.
}

async function startHelper(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  onConnection: (p: ConnectionParams) => void,
): Promise<Helper> {
  const override = vscode.workspace.getConfiguration('hubssh').get<string>('helperPath', '').trim();
  const path = override || (await installHelper(bundledHelper(context.extensionPath), context.globalStorageUri.fsPath));
  log.info(`starting ${path} serve`);
  const client = `hubssh-vscode ${context.extension.packageJSON.version} (${vscode.env.appName})`;
  const h = await Helper.start({ path, log: (line) => log.info(line), client });
  log.info(`hubssh ${h.info.version}, protocol ${h.info.protocol}`);
  context.subscriptions.push(h.onConnection(onConnection));
  return h;
}
