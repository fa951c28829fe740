// The commands of the palette and the view. Each one: ask what is
// missing, call the helper, show progress, render the result or the error.
import * as vscode from 'vscode';
import { Helper } from './helper';
import { addHub, hubLabel, pickHub, pickServer, serverLabel } from './pick';
import { Hub, PrepareResult } from './protocol';
import { findFlavour, Flavour, recommendedFlavour, remoteAuthority, resolveFolder } from './remote';
import { Node } from './tree';
import { Cmd, renderChecks, showError, withHubProgress } from './ui';

/**
 * How Connect opens a server: a Remote-SSH window, or, in an editor without
 * a remote extension (code-server, an air-gapped site), an integrated
 * terminal running `ssh ALIAS`.
 */
export type OpenMode = 'window' | 'terminal';

/** Opens the server; tests replace it (no window opens there). */
export interface Opener {
  /**
   * How the server can be opened here; offers to install a remote
   * extension when none is. Undefined: the user cancelled.
   */
  ready(): Promise<OpenMode | undefined>;
  open(uri: vscode.Uri, prepared: PrepareResult): Promise<void>;
  openTerminal(prepared: PrepareResult): Promise<void>;
}

export interface Settings {
  defaultFolder: string;
  sshOptions: Record<string, string>;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('hubssh');
  return {
    defaultFolder: c.get<string>('defaultFolder', ''),
    sshOptions: c.get<Record<string, string>>('sshOptions', {}),
  };
}

export class Commands {
  constructor(
    private readonly helper: () => Promise<Helper>,
    private readonly log: vscode.LogOutputChannel,
    readonly opener: Opener,
    private readonly changed: () => void,
  ) {}

  register(): vscode.Disposable[] {
    const wrap = (what: string, f: (node?: Node) => Promise<unknown>) => async (node?: Node) => {
      try {
        return await f(node);
      } catch (err) {
        showError(what, err, this.log);
        return undefined;
      }
    };
    return [
      vscode.commands.registerCommand(Cmd.connect, wrap('Connect to JupyterHub', (n) => this.connect(n))),
      vscode.commands.registerCommand(Cmd.addHub, wrap('Add Hub', () => this.addHub())),
      vscode.commands.registerCommand(Cmd.signOut, wrap('Sign Out', (n) => this.signOut(n))),
      vscode.commands.registerCommand(Cmd.startServer, wrap('Start Server', (n) => this.start(n))),
      vscode.commands.registerCommand(Cmd.stopServer, wrap('Stop Server', (n) => this.stop(n))),
      vscode.commands.registerCommand(Cmd.diagnose, wrap('Diagnose Connection', (n) => this.diagnose(n))),
      vscode.commands.registerCommand(Cmd.showLog, () => this.log.show()),
      vscode.commands.registerCommand(Cmd.refresh, () => this.changed()),
    ];
  }

  /**
   * Connect to JupyterHub: hub → server → start it with progress → key,
   * host key and ssh config (all the helper's) → a Remote-SSH window on
   * the server's home. Resolves to the URI opened, for tests.
   */
  async connect(node?: Node): Promise<vscode.Uri | undefined> {
    const title = 'Connect to JupyterHub';
    const mode = await this.opener.ready();
    if (!mode) {
      return undefined;
    }
    const h = await this.helper();
    const hub = node && node.kind !== 'message' ? node.hub : await pickHub(h, title);
    if (!hub) {
      return undefined;
    }
    this.changed();
    const server = node?.kind === 'server' ? node.server.name : await pickServer(h, hub, title, { allowNew: true });
    if (server === undefined) {
      return undefined;
    }
    const settings = readSettings();
    const what = `${serverLabel(server)} on ${hubLabel(hub)}`;
    const res = await withHubProgress(`Connecting to ${what}`, (onProgress, token) =>
      h.prepare({ hub: hub.url, server, sshOptions: settings.sshOptions }, onProgress, token),
    );
    this.changed();
    if (!res) {
      this.cancelled(hub, server);
      return undefined;
    }
    if (mode === 'terminal') {
      this.log.info(`opening a terminal: ssh -F ${res.sshConfig} ${res.alias}`);
      await this.opener.openTerminal(res);
      return undefined;
    }
    const folder = resolveFolder(res.folder, settings.defaultFolder);
    const uri = vscode.Uri.from({ scheme: 'vscode-remote', authority: remoteAuthority(res.alias), path: folder });
    this.log.info(`opening ${uri.toString()} (ssh ${res.alias}, config ${res.sshConfig})`);
    await this.opener.open(uri, res);
    return uri;
  }

  private cancelled(hub: Hub, server: string): void {
    // The hub goes on spawning after a cancel; say how to stop it.
    void vscode.window
      .showInformationMessage(`Cancelled. The hub may still be starting ${serverLabel(server)}.`, 'Stop Server')
      .then((picked) => {
        if (picked) {
          void vscode.commands.executeCommand(Cmd.stopServer, { kind: 'server', hub, server: { name: server, state: 'spawn pending' } });
        }
      });
  }

  async addHub(): Promise<void> {
    const hub = await addHub(await this.helper());
    this.changed();
    if (hub) {
      void vscode.window.showInformationMessage(`Signed in to ${hubLabel(hub)} as ${hub.user}.`);
    }
  }

  private async hubOf(node: Node | undefined, title: string): Promise<Hub | undefined> {
    if (node && node.kind !== 'message') {
      return node.hub;
    }
    const h = await this.helper();
    const hubs = await h.hubs();
    if (hubs.length === 0) {
      void vscode.window.showInformationMessage('No JupyterHub yet: run "JupyterHub: Connect to JupyterHub" first.');
      return undefined;
    }
    return hubs.length === 1 ? hubs[0] : pickHub(h, title);
  }

  async signOut(node?: Node): Promise<void> {
    const hub = await this.hubOf(node, 'Sign Out');
    if (!hub) {
      return;
    }
    const ok = await vscode.window.showWarningMessage(
      `Sign out of ${hubLabel(hub)}?`,
      { modal: true, detail: 'hubssh forgets the token and removes its ssh entries for this hub. Your servers keep running.' },
      'Sign Out',
    );
    if (ok !== 'Sign Out') {
      return;
    }
    await (await this.helper()).removeHub(hub.url);
    this.changed();
  }

  /**
   * The hub and server a Start/Stop acts on: the view's node, or asked for
   * (the only hub is taken without asking). Undefined if dismissed.
   */
  private async serverOf(
    node: Node | undefined,
    title: string,
    opts: Parameters<typeof pickServer>[3],
  ): Promise<{ h: Helper; hub: Hub; server: string } | undefined> {
    const hub = await this.hubOf(node, title);
    if (!hub) {
      return undefined;
    }
    const h = await this.helper();
    const server = node?.kind === 'server' ? node.server.name : await pickServer(h, hub, title, opts);
    return server === undefined ? undefined : { h, hub, server };
  }

  async start(node?: Node): Promise<void> {
    const t = await this.serverOf(node, 'Start Server', { only: (s) => s.state !== 'running', allowNew: true });
    if (!t) {
      return;
    }
    const { h, hub, server } = t;
    const done = await withHubProgress(`Starting ${serverLabel(server)} on ${hubLabel(hub)}`, async (onProgress, token) => {
      await h.start({ hub: hub.url, server }, onProgress, token);
      return true;
    });
    this.changed();
    if (done) {
      void vscode.window.showInformationMessage(`${serverLabel(server)} on ${hubLabel(hub)} is running.`);
    }
  }

  async stop(node?: Node): Promise<void> {
    const t = await this.serverOf(node, 'Stop Server', { only: (s) => s.state !== 'stopped' });
    if (!t) {
      return;
    }
    const { h, hub, server } = t;
    const actions = server === '' ? ['Stop'] : ['Stop', 'Stop and Delete'];
    const picked = await vscode.window.showWarningMessage(
      `Stop ${serverLabel(server)} on ${hubLabel(hub)}?`,
      { modal: true, detail: 'Its kernels, terminals and ssh sessions end. Files in your home stay.' },
      ...actions,
    );
    if (!picked) {
      return;
    }
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Stopping ${serverLabel(server)}…` },
      () => h.stop({ hub: hub.url, server, remove: picked === 'Stop and Delete' }),
    );
    this.changed();
  }

  /** Diagnose Connection: the helper's doctor, as a Markdown document. */
  async diagnose(node?: Node): Promise<vscode.TextDocument | undefined> {
    const h = await this.helper();
    const hubs = await h.hubs();
    const hub = node && node.kind !== 'message' ? node.hub : hubs.length > 1 ? await pickHub(h, 'Diagnose Connection') : hubs[0];
    if (hubs.length > 1 && !hub) {
      return undefined;
    }
    const checks = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Diagnosing the connection…' },
      () => h.diagnose(hub?.url),
    );
    const title = `hubssh diagnosis${hub ? ` of ${hubLabel(hub)}` : ''}`;
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: renderChecks(title, checks) });
    await vscode.window.showTextDocument(doc, { preview: false });
    const failed = checks.filter((c) => c.status === 'fail');
    if (failed.length > 0) {
      const c = failed[0];
      void vscode.window.showWarningMessage(`${c.name}: ${c.detail}${c.fix ? ` Fix: ${c.fix}` : ''}`);
    }
    return doc;
  }
}

const continueInTerminal = 'Continue in a Terminal';

/**
 * The real opener: a Remote-SSH window through whichever flavour is
 * installed, or a terminal when there is none and the user goes on without.
 */
export class RemoteSSHOpener implements Opener {
  async ready(): Promise<OpenMode | undefined> {
    if (findFlavour(vscode.extensions.all)) {
      return 'window';
    }
    const rec = recommendedFlavour(vscode.env.appName);
    const install = `Install ${rec.label}`;
    // Notifications, not modal dialogs: a notification stays put while the
    // user reads it, and VS Code's test hosts refuse modals.
    const picked = await vscode.window.showWarningMessage(
      `Opening a JupyterHub server in a window needs an SSH remote extension; ${rec.label} (${rec.id}) works with hubssh. ` +
        'Without it, hubssh still signs you in, starts the server and writes the ssh config, then opens a terminal running "ssh ALIAS".',
      install,
      continueInTerminal,
    );
    if (picked === continueInTerminal) {
      return 'terminal';
    }
    if (picked !== install) {
      return undefined;
    }
    try {
      await vscode.commands.executeCommand('workbench.extensions.installExtension', rec.id);
    } catch (err) {
      return this.installFailed(rec, installCause(err));
    }
    if (findFlavour(vscode.extensions.all)) {
      return 'window';
    }
    return this.installFailed(rec, 'it is not active yet; reload the window, then connect again');
  }

  /** Says what failed and the two ways on; the terminal way if picked. */
  private async installFailed(rec: Flavour, cause: string): Promise<OpenMode | undefined> {
    const picked = await vscode.window.showErrorMessage(
      `Could not install ${rec.label}: ${cause}. Install ${rec.id} by hand (Extensions view, or "Extensions: Install from VSIX…" ` +
        'with a file downloaded elsewhere) and connect again, or continue now in a terminal running "ssh ALIAS".',
      continueInTerminal,
    );
    return picked === continueInTerminal ? 'terminal' : undefined;
  }

  async open(uri: vscode.Uri): Promise<void> {
    // Reuse an empty window, as Remote-SSH's own "Connect to Host" does.
    const empty = !vscode.workspace.workspaceFolders?.length && !vscode.workspace.workspaceFile;
    await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: !empty });
  }

  async openTerminal(p: PrepareResult): Promise<void> {
    // -F: the file hubssh wrote, whatever the editor's idea of HOME (ssh
    // itself reads ~ from the password database).
    const t = vscode.window.createTerminal({ name: `JupyterHub: ${p.alias}`, shellPath: 'ssh', shellArgs: ['-F', p.sshConfig, p.alias] });
    t.show();
    void vscode.window.showInformationMessage(`Connected in a terminal. From any terminal: ssh ${p.alias}`, 'Copy Alias').then((picked) => {
      if (picked) {
        void vscode.env.clipboard.writeText(p.alias);
      }
    });
  }
}

/**
 * One clause for a failed install: an unreachable gallery (offline, a
 * blocked marketplace, an air-gapped site) said as such, with the error.
 */
export function installCause(err: unknown): string {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim();
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|ECONNRESET|getaddrinfo|Failed to fetch|offline/i.test(msg)) {
    return `the extension gallery could not be reached (${msg})`;
  }
  return msg || 'the editor gave no reason';
}
