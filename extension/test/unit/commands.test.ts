import * as assert from 'assert';
import { Commands, installCause, Opener, OpenMode, RemoteSSHOpener } from '../../src/commands';
import { Helper, HelperError } from '../../src/helper';
import { Hub, PrepareParams, PrepareResult, ProgressValue, ServerInfo } from '../../src/protocol';
import { ensureServerForAuthority } from '../../src/reopen';
import { FakeInput, mock, Uri } from './vscode-mock';
import * as vscode from 'vscode';

const hubA: Hub = { url: 'https://hub.example.org/', user: 'alice', tokenStore: 'keyring', added: '', servers: [] };

/** The helper as the UI sees it, with scripted answers and a call log. */
class FakeHelper {
  hubsList: Hub[] = [];
  serversList: ServerInfo[] = [{ name: '', state: 'stopped' }];
  calls: string[] = [];
  prepareResult: PrepareResult = {
    hub: hubA.url,
    user: 'alice',
    server: '',
    alias: 'hub.example.org-alice',
    folder: '/home/alice',
    sshConfig: '/home/me/.ssh/config',
  };
  prepareError?: Error;
  lastPrepare?: PrepareParams;
  alive = true;
  async hubs() {
    this.calls.push('hubs');
    return this.hubsList;
  }
  async addHub(url: string, token: string) {
    this.calls.push(`addHub ${url}`);
    if (token !== 'good-token') {
      throw new HelperError('the hub rejected the token (it may have expired or been revoked): create a new one', -32002, 'auth');
    }
    const hub = { ...hubA, url };
    this.hubsList.push(hub);
    return hub;
  }
  async servers(hub: string, user?: string) {
    this.calls.push(`servers ${hub}${user ? ' ' + user : ''}`);
    return this.serversList;
  }
  async prepare(p: PrepareParams, onProgress: (v: ProgressValue) => void, token: vscode.CancellationToken) {
    this.calls.push(`prepare ${p.server}`);
    this.lastPrepare = p;
    onProgress({ percentage: 0, message: 'Server requested' });
    onProgress({ percentage: 50, message: 'Spawning server...' });
    if (this.prepareError) {
      throw this.prepareError;
    }
    if (this.hang) {
      await new Promise<void>((resolve) => token.onCancellationRequested(() => resolve()));
      throw new HelperError('cancelled', -32800);
    }
    onProgress({ percentage: 100, message: 'ready', ready: true });
    return this.prepareResult;
  }
  hang = false;
  async start(p: { server?: string; user?: string }, onProgress: (v: ProgressValue) => void) {
    this.calls.push(`start ${p.user ?? ''}/${p.server}`);
    onProgress({ percentage: 100, message: 'ready', ready: true });
  }
  async stop(p: { server?: string; remove?: boolean }) {
    this.calls.push(`stop ${p.server}${p.remove ? ' remove' : ''}`);
  }
  async removeHub(hub: string) {
    this.calls.push(`removeHub ${hub}`);
  }
  async diagnose() {
    return [
      { name: 'ssh client', status: 'ok', detail: 'OpenSSH_9.2p1' },
      { name: 'server: sshd', status: 'fail', detail: 'refused', fix: 'install hubsshd' },
    ];
  }
}

class FakeOpener implements Opener {
  mode: OpenMode | undefined = 'window';
  opened: Array<{ uri: string; alias: string }> = [];
  terminals: string[] = [];
  async ready() {
    return this.mode;
  }
  async open(uri: vscode.Uri, p: PrepareResult) {
    this.opened.push({ uri: uri.toString(), alias: p.alias });
  }
  async openTerminal(p: PrepareResult) {
    this.terminals.push(p.alias);
  }
}

function setup() {
  mock.reset();
  const helper = new FakeHelper();
  const opener = new FakeOpener();
  const log = vscode.window.createOutputChannel('hubssh', { log: true });
  let refreshed = 0;
  const cmds = new Commands(async () => helper as unknown as Helper, log, opener, () => refreshed++);
  cmds.register();
  return { helper, opener, cmds, refreshed: () => refreshed };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Connect to JupyterHub', () => {
  it('adds a first hub (token retried after a rejection), picks the server, shows progress, opens the home folder', async () => {
    const { helper, opener, cmds } = setup();
    const done = cmds.connect();

    const url: FakeInput = await mock.next();
    assert.match(url.title!, /hub URL/);
    url.type('ftp://x');
    assert.ok(url.validationMessage, 'a non-http address is flagged while typing');
    url.type('hub.example.org');
    url.accept();

    const token = await mock.next();
    assert.strictEqual(token.password, true, 'the token box hides what is typed');
    assert.match(token.prompt!, /https:\/\/hub\.example\.org\/hub\/token/);
    token.press('Open token page');
    assert.deepStrictEqual(mock.opened, ['https://hub.example.org/hub/token']);
    token.type('stale-token');
    token.accept();
    await tick();
    assert.match(token.validationMessage!, /rejected the token/);
    assert.ok(token.visible, 'the box stays open for another try');
    token.type('good-token');
    token.accept();

    const server = await mock.next();
    assert.strictEqual(server.kind, 'quickpick');
    await tick();
    assert.deepStrictEqual(
      server.items.map((i) => i.label),
      ['$(vm-outline) Default server', '$(add) New named server…'],
    );
    server.pick((i) => i.description === 'stopped');

    const uri = await done;
    assert.strictEqual(uri?.toString(), 'vscode-remote://ssh-remote+hub.example.org-alice/home/alice');
    assert.deepStrictEqual(opener.opened, [{ uri: uri!.toString(), alias: 'hub.example.org-alice' }]);
    assert.deepStrictEqual(helper.calls, ['hubs', 'addHub hub.example.org', 'addHub hub.example.org', 'servers hub.example.org', 'prepare ']);
    const p = mock.progress[0];
    assert.match(p.title, /Connecting to Default server on hub\.example\.org/);
    assert.deepStrictEqual(
      p.reports.map((r) => [r.increment, r.message]),
      [
        [0, 'Server requested'],
        [50, 'Spawning server...'],
        [50, 'ready'],
      ],
    );
  });

  it('passes the settings: default folder, extra ssh options; hex authority for an alias with uppercase', async () => {
    const { helper, opener, cmds } = setup();
    helper.hubsList = [hubA];
    mock.config['hubssh.defaultFolder'] = '~/work';
    mock.config['hubssh.sshOptions'] = { ForwardAgent: 'yes' };
    helper.prepareResult = { ...helper.prepareResult, alias: 'hub.example.org-Alice', folder: '/home/Alice' };
    const done = cmds.connect();
    (await mock.next()).pick((i) => i.hub);
    const server = await mock.next();
    await tick();
    server.pick((i) => i.label.includes('New named server'));
    const name = await mock.next();
    name.type('has space');
    name.accept();
    assert.match(name.validationMessage!, /letters, digits/);
    name.type('gpu');
    name.accept();
    await done;
    assert.deepStrictEqual(helper.lastPrepare, { hub: hubA.url, server: 'gpu', sshOptions: { ForwardAgent: 'yes' } });
    const hex = Buffer.from('{"hostName":"hub.example.org-Alice"}').toString('hex');
    assert.strictEqual(opener.opened[0].uri, `vscode-remote://ssh-remote+${hex}/home/Alice/work`);
  });

  it('stops before anything when no ssh-remote extension is there and the user cancels', async () => {
    const { helper, opener, cmds } = setup();
    opener.mode = undefined;
    assert.strictEqual(await cmds.connect(), undefined);
    assert.deepStrictEqual(helper.calls, []);
  });

  it('without a remote extension, goes all the way and opens a terminal on the alias', async () => {
    const { helper, opener, cmds } = setup();
    opener.mode = 'terminal';
    helper.hubsList = [hubA];
    assert.strictEqual(await cmds.connect({ kind: 'server', hub: hubA, server: { name: '', state: 'stopped' } }), undefined);
    assert.ok(helper.calls.some((c) => c.startsWith('prepare')), helper.calls.join(', '));
    assert.deepStrictEqual(opener.terminals, ['hub.example.org-alice']);
    assert.deepStrictEqual(opener.opened, []);
  });

  it('on cancel, opens nothing and offers to stop the spawn', async () => {
    const { helper, opener, cmds } = setup();
    helper.hubsList = [hubA];
    helper.hang = true;
    const done = cmds.connect({ kind: 'server', hub: hubA, server: { name: 'gpu', state: 'stopped' } });
    while (mock.progress.length === 0) {
      await tick();
    }
    mock.progress[0].cancel();
    assert.strictEqual(await done, undefined);
    assert.deepStrictEqual(opener.opened, []);
    const info = mock.messages.find((m) => m.level === 'info');
    assert.match(info!.text, /may still be starting gpu/);
    assert.deepStrictEqual(info!.items, ['Stop Server']);
  });

  it('renders helper errors as one line with the action that fixes them', async () => {
    const cases: Array<{ err: Error; want: RegExp; actions: string[] }> = [
      { err: new HelperError('the hub rejected the token: create a new one at X', -32002, 'auth'), want: /^Connect to JupyterHub: the hub rejected/, actions: ['Add Token Again', 'Show Log'] },
      { err: new HelperError('connection refused: is the hub up?', -32004, 'network'), want: /refused/, actions: ['Diagnose Connection', 'Show Log'] },
      { err: new HelperError('spawn failed: image pull failed', -32003, 'server'), want: /image pull failed/, actions: ['Diagnose Connection', 'Show Log'] },
      { err: new HelperError('cannot edit ~/.ssh/config safely', -32006, 'config'), want: /safely/, actions: ['Show Log'] },
      { err: new Error('boom'), want: /boom/, actions: ['Show Log'] },
    ];
    for (const c of cases) {
      const { helper } = setup();
      helper.hubsList = [hubA];
      helper.prepareError = c.err;
      let answered = false;
      mock.answer = (m) => {
        answered = m.level === 'error';
        return m.items[0];
      };
      await mock.commands.get('hubssh.connect')!({ kind: 'server', hub: hubA, server: { name: '', state: 'running' } });
      const e = mock.messages.find((m) => m.level === 'error');
      assert.ok(e && answered, `${c.err.message}: no error shown`);
      assert.match(e.text, c.want);
      assert.ok(!e.text.includes('\n'), 'one line');
      assert.deepStrictEqual(e.items, c.actions, c.err.message);
      await tick();
      const ran = mock.executed.map((x) => x.command);
      const expect = { 'Add Token Again': 'hubssh.addHub', 'Diagnose Connection': 'hubssh.diagnose', 'Show Log': 'hubssh.showLog' }[c.actions[0]];
      assert.ok(ran.includes(expect!), `${c.actions[0]} ran ${expect}: ${ran}`);
    }
  });
});

describe('the other commands', () => {
  it('Sign Out asks first, then removes the hub', async () => {
    const { helper, cmds } = setup();
    helper.hubsList = [hubA];
    mock.answer = () => undefined;
    await cmds.signOut();
    assert.ok(!helper.calls.some((c) => c.startsWith('removeHub')), 'declined: nothing removed');
    mock.answer = (m) => (m.modal ? 'Sign Out' : undefined);
    await cmds.signOut();
    assert.ok(helper.calls.includes('removeHub https://hub.example.org/'));
  });

  it('Stop Server offers Stop and Delete only for named servers', async () => {
    const { helper, cmds } = setup();
    helper.hubsList = [hubA];
    let asked: string[] = [];
    mock.answer = (m) => {
      asked = m.items;
      return m.items[m.items.length - 1];
    };
    await cmds.stop({ kind: 'server', hub: hubA, server: { name: '', state: 'running' } });
    assert.deepStrictEqual(asked, ['Stop']);
    await cmds.stop({ kind: 'server', hub: hubA, server: { name: 'gpu', state: 'running' } });
    assert.deepStrictEqual(asked, ['Stop', 'Stop and Delete']);
    assert.deepStrictEqual(helper.calls.filter((c) => c.startsWith('stop')), ['stop ', 'stop gpu remove']);
  });

  it('Start Server lists only servers that are not running', async () => {
    const { helper, cmds } = setup();
    helper.hubsList = [hubA];
    helper.serversList = [
      { name: '', state: 'running' },
      { name: 'gpu', state: 'stopped' },
    ];
    const done = cmds.start();
    const qp = await mock.next();
    await tick();
    assert.deepStrictEqual(qp.items.map((i) => i.server), ['gpu', undefined]);
    qp.pick((i) => i.server === 'gpu');
    await done;
    assert.ok(helper.calls.includes('start /gpu'));
  });

  it('Diagnose Connection opens a readable report, failures first, and warns', async () => {
    const { cmds } = setup();
    const doc = await cmds.diagnose();
    const text = doc!.getText();
    assert.ok(text.indexOf('❌ **server: sshd**') < text.indexOf('✅ **ssh client**'), text);
    assert.match(text, /Fix: install hubsshd/);
    assert.match(mock.messages[0].text, /server: sshd: refused Fix: install hubsshd/);
  });
});

describe('reopening a window whose server was culled', () => {
  const known: Hub = { ...hubA, servers: [{ user: 'alice', name: 'gpu', alias: 'hub.example.org-alice-gpu' }] };
  const cases: Array<{ name: string; authority?: string; state?: ServerInfo['state']; want: string; starts: boolean }> = [
    { name: 'a local window', authority: undefined, want: 'not-hubssh', starts: false },
    { name: 'another ssh host', authority: 'ssh-remote+work', want: 'not-hubssh', starts: false },
    { name: 'running', authority: 'ssh-remote+hub.example.org-alice-gpu', state: 'running', want: 'running', starts: false },
    { name: 'culled', authority: 'ssh-remote+hub.example.org-alice-gpu', state: 'stopped', want: 'started', starts: true },
    {
      name: 'culled, hex authority',
      authority: 'ssh-remote+' + Buffer.from('{"hostName":"hub.example.org-alice-gpu"}').toString('hex'),
      state: 'stopped',
      want: 'started',
      starts: true,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { helper } = setup();
      helper.hubsList = [known];
      helper.serversList = c.state ? [{ name: 'gpu', state: c.state }] : [];
      const log = vscode.window.createOutputChannel('hubssh', { log: true });
      const got = await ensureServerForAuthority(async () => helper as unknown as Helper, c.authority, log);
      assert.strictEqual(got, c.want);
      assert.strictEqual(helper.calls.includes('start alice/gpu'), c.starts, helper.calls.join(', '));
      if (c.starts) {
        assert.match(mock.progress[0].title, /Starting gpu for hub\.example\.org-alice-gpu/);
      }
    });
  }

  it('a failure is reported and does not block Remote-SSH', async () => {
    mock.reset();
    const log = vscode.window.createOutputChannel('hubssh', { log: true });
    const got = await ensureServerForAuthority(
      async () => {
        throw new HelperError('the hub rejected the token', -32002, 'auth');
      },
      'ssh-remote+hub.example.org-alice',
      log,
    );
    assert.strictEqual(got, 'failed');
    assert.match(mock.messages[0].text, /Starting the server for hub\.example\.org-alice: the hub rejected the token/);
  });
});

describe('Uri mock', () => {
  it('prints like vscode.Uri for the paths we open', () => {
    assert.strictEqual(Uri.from({ scheme: 'vscode-remote', authority: 'ssh-remote+h', path: '/home/a b' }).toString(), 'vscode-remote://ssh-remote+h/home/a%20b');
  });
});

describe('RemoteSSHOpener', () => {
  const uri = Uri.from({ scheme: 'vscode-remote', authority: 'ssh-remote+hub.example.org-alice', path: '/home/alice' });
  const flavours = ['ms-vscode-remote.remote-ssh', 'jeanp413.open-remote-ssh', 'anysphere.remote-ssh', 'codeium.windsurf-remote-openssh'];

  for (const id of flavours) {
    it(`opens the same URI through ${id}, asking nothing`, async () => {
      mock.reset();
      mock.extensions = [{ id }];
      const o = new RemoteSSHOpener();
      assert.strictEqual(await o.ready(), 'window');
      assert.deepStrictEqual(mock.messages, []);
      await o.open(uri as unknown as vscode.Uri);
      assert.deepStrictEqual(mock.opened, ['vscode-remote://ssh-remote+hub.example.org-alice/home/alice']);
      assert.deepStrictEqual(mock.executed[0].args[1], { forceNewWindow: false }, 'an empty window is reused');
    });
  }

  it('opens a new window when this one has a folder', async () => {
    mock.reset();
    mock.workspaceFolders = [{ uri: Uri.from({ scheme: 'file', path: '/src/project' }) }];
    await new RemoteSSHOpener().open(uri as unknown as vscode.Uri);
    assert.deepStrictEqual(mock.executed[0].args[1], { forceNewWindow: true });
  });

  const offers: Array<[string, string]> = [
    ['Visual Studio Code', 'ms-vscode-remote.remote-ssh'],
    ['VSCodium', 'jeanp413.open-remote-ssh'],
    ['Positron', 'jeanp413.open-remote-ssh'],
    ['Cursor', 'anysphere.remote-ssh'],
  ];
  for (const [app, id] of offers) {
    it(`offers ${id} in ${app} when no ssh-remote extension is installed`, async () => {
      mock.reset();
      mock.appName = app;
      mock.answer = (m) => m.items.find((i) => i.startsWith('Install '));
      // What the editor's install command does: the extension appears.
      mock.commands.set('workbench.extensions.installExtension', (x: string) => mock.extensions.push({ id: x }));
      assert.strictEqual(await new RemoteSSHOpener().ready(), 'window');
      assert.match(mock.messages[0].text, new RegExp(id.replace(/\./g, '\\.')));
      assert.deepStrictEqual(mock.executed.map((e) => [e.command, e.args[0]]), [['workbench.extensions.installExtension', id]]);
    });
  }

  it('dismissing the offer stops the connect', async () => {
    mock.reset();
    mock.answer = () => undefined;
    assert.strictEqual(await new RemoteSSHOpener().ready(), undefined);
    assert.deepStrictEqual(mock.executed, []);
  });

  it('"Continue in a Terminal" goes on without a remote extension', async () => {
    mock.reset();
    mock.answer = (m) => (m.items.includes('Continue in a Terminal') ? 'Continue in a Terminal' : undefined);
    assert.strictEqual(await new RemoteSSHOpener().ready(), 'terminal');
    assert.deepStrictEqual(mock.messages[0].items, ['Install Remote - SSH (Microsoft)', 'Continue in a Terminal']);
    assert.deepStrictEqual(mock.executed, []);
  });

  it('a failed install is one sentence with the ways on, and the terminal way works', async () => {
    mock.reset();
    mock.appName = 'code-server';
    mock.commands.set('workbench.extensions.installExtension', () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    });
    mock.answer = (m) => (m.level === 'warning' ? m.items[0] : 'Continue in a Terminal');
    assert.strictEqual(await new RemoteSSHOpener().ready(), 'terminal');
    const err = mock.messages[1];
    assert.ok(
      err.text.startsWith('Could not install Open Remote - SSH: the extension gallery could not be reached (connect ECONNREFUSED 127.0.0.1:9). Install jeanp413.open-remote-ssh by hand'),
      err.text,
    );
    assert.strictEqual(err.level, 'error');
    assert.deepStrictEqual(err.items, ['Continue in a Terminal']);
  });

  it('the terminal runs ssh on the alias with the config hubssh wrote, and offers the alias', async () => {
    mock.reset();
    mock.answer = (m) => m.items[0];
    await new RemoteSSHOpener().openTerminal({ hub: '', user: 'alice', server: '', alias: 'hub-alice', folder: '/home/alice', sshConfig: '/home/me/.ssh/config' });
    assert.deepStrictEqual(mock.terminals, [{ name: 'JupyterHub: hub-alice', shellPath: 'ssh', shellArgs: ['-F', '/home/me/.ssh/config', 'hub-alice'], shown: true }]);
    await tick();
    assert.strictEqual(mock.clipboard, 'hub-alice');
  });

  it('installCause', () => {
    const cases: Array<[unknown, string]> = [
      [new Error('getaddrinfo ENOTFOUND open-vsx.org'), 'the extension gallery could not be reached (getaddrinfo ENOTFOUND open-vsx.org)'],
      [new Error('Extension is not compatible\nwith this version'), 'Extension is not compatible'],
      ['', 'the editor gave no reason'],
    ];
    for (const [err, want] of cases) {
      assert.strictEqual(installCause(err), want);
    }
  });
});
