// Runs inside a real VS Code extension host (code-server 4.100.3). The
// runner (../run.ts) drives the workbench like a user: it opens the command
// palette, runs "JupyterHub: Connect to JupyterHub", types the hub URL and
// the token into the extension's input boxes and picks the server. This
// suite waits for the Remote-SSH window the extension would open (a web
// workbench cannot open one) and checks it against the real hub and ssh.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Api } from '../../../src/extension';
import type { PrepareResult } from '../../../src/protocol';
import { run } from '../../harness';
import { signalRunner } from '../marker';

describe('hubssh in a real extension host', () => {
  let api: Api;
  let opened: { uri: vscode.Uri; prepared: PrepareResult };

  before(async () => {
    const ext = vscode.extensions.getExtension<Api>('hubssh.hubssh');
    assert.ok(ext, 'the extension is loaded');
    api = await ext.activate();
  });

  it('"Connect to JupyterHub" from the palette: token typed in the box, server started, Remote-SSH URI built', async () => {
    const cmds = await vscode.commands.getCommands(true);
    for (const c of ['hubssh.connect', 'hubssh.addHub', 'hubssh.signOut', 'hubssh.startServer', 'hubssh.stopServer', 'hubssh.diagnose', 'hubssh.showLog']) {
      assert.ok(cmds.includes(c), `command ${c} registered`);
    }
    // No ssh-remote extension can run in a web workbench, and opening a
    // window would end this page: capture what would be opened instead.
    const wouldOpen = new Promise<{ uri: vscode.Uri; prepared: PrepareResult }>((resolve) => {
      api.commands.opener.ready = async () => 'window';
      api.commands.opener.open = async (uri, prepared) => resolve({ uri, prepared });
    });
    await signalRunner('palette');
    opened = await wouldOpen;
    assert.strictEqual(opened.uri.scheme, 'vscode-remote');
    assert.strictEqual(opened.uri.authority, `ssh-remote+${opened.prepared.alias}`);
    assert.match(opened.prepared.alias, /-alice$/);
    assert.strictEqual(opened.uri.path, opened.prepared.folder);
    assert.ok((await vscode.workspace.fs.stat(vscode.Uri.file(opened.prepared.folder))).type & vscode.FileType.Directory);
  });

  it('ssh to the alias works, through the helper copied out of the extension folder', async () => {
    const { alias, sshConfig, folder } = opened.prepared;
    const out = await run('ssh', ['-F', sshConfig, alias, 'echo', 'hubssh-host-ok', '$HOME']);
    assert.strictEqual(out.code, 0, out.stderr);
    assert.strictEqual(out.stdout, `hubssh-host-ok ${folder}\n`);
    const g = await run('ssh', ['-F', sshConfig, '-G', alias]);
    const proxy = g.stdout.split('\n').find((l) => l.startsWith('proxycommand ')) ?? '';
    const ext = vscode.extensions.getExtension('hubssh.hubssh')!;
    assert.ok(!proxy.includes(ext.extensionPath), `ProxyCommand must not point into the versioned extension folder: ${proxy}`);
    assert.match(proxy, /globalStorage\/hubssh\.hubssh\/bin\/hubssh" proxy /);
  });

  it('the view lists the hub and the running server', async () => {
    const hubs = await api.tree.getChildren();
    assert.strictEqual(hubs.length, 1);
    const servers = await api.tree.getChildren(hubs[0]);
    const item = api.tree.getTreeItem(servers[0]);
    assert.deepStrictEqual([item.label, item.description, item.contextValue], ['Default server', 'running', 'server-running']);
  });

  it('reopening the window after the culler stopped the server starts it first', async () => {
    const h = await api.helper();
    await h.stop({ server: '' });
    assert.strictEqual((await h.servers(opened.prepared.hub)).find((s) => s.name === '')?.state, 'stopped');
    assert.strictEqual(await api.ensureServerFor(opened.uri.authority), 'started');
    assert.strictEqual((await h.servers(opened.prepared.hub)).find((s) => s.name === '')?.state, 'running');
    assert.strictEqual(await api.ensureServerFor(opened.uri.authority), 'running');
    assert.strictEqual(await api.ensureServerFor('ssh-remote+some-other-host'), 'not-hubssh');
  });

  it('"Diagnose Connection" opens a readable report with every check passing', async () => {
    await vscode.commands.executeCommand('hubssh.diagnose');
    const doc = vscode.workspace.textDocuments.find((d) => d.getText().startsWith('# hubssh diagnosis'));
    assert.ok(doc, 'a diagnosis document is open');
    const text = doc.getText();
    assert.match(text, /All \d+ checks passed\./, text);
    assert.ok(!text.includes('❌'), text);
  });

  // code-server has no Remote-SSH, and its gallery here is a closed port:
  // the runner clicks the offered install, reads the failure, and goes on
  // in a terminal, which must really connect.
  it('without a remote extension: a failed install says why, and "Continue in a Terminal" opens ssh on the alias', async () => {
    const o = api.commands.opener as unknown as Record<string, unknown>;
    delete o.ready; // the real RemoteSSHOpener's methods again
    delete o.open;
    const { alias, sshConfig, folder } = opened.prepared;
    const marker = path.join(folder, 'hubssh-terminal-ok');
    await fs.rm(marker, { force: true });
    const term = new Promise<vscode.Terminal>((resolve) => {
      const d = vscode.window.onDidOpenTerminal((t) => {
        d.dispose();
        resolve(t);
      });
    });
    await signalRunner('no-remote');
    const t = await term;
    const opts = t.creationOptions as vscode.TerminalOptions;
    assert.strictEqual(t.name, `JupyterHub: ${alias}`);
    assert.deepStrictEqual([opts.shellPath, opts.shellArgs], ['ssh', ['-F', sshConfig, alias]]);
    // Typed into the remote shell: the file appears in the server's home.
    t.sendText('echo "terminal-ok $JUPYTERHUB_USER" > ~/hubssh-terminal-ok; exit');
    let got = '';
    for (let i = 0; i < 600 && !got; i++) {
      got = await fs.readFile(marker, 'utf8').catch(() => '');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.strictEqual(got, 'terminal-ok alice\n');
  });
});
