import * as assert from 'assert';
import {
  aliasOfAuthority,
  findFlavour,
  recommendedFlavour,
  remoteAuthority,
  resolveFolder,
  tokenPage,
} from '../../src/remote';

describe('remote', () => {
  it('finds the installed ssh-remote flavour, known ids first, then any resolver', () => {
    const resolver = { activationEvents: ['onResolveRemoteAuthority:ssh-remote'] };
    const cases: Array<{ name: string; installed: Array<{ id: string; packageJSON?: object }>; want?: string }> = [
      { name: 'none', installed: [{ id: 'ms-python.python' }] },
      { name: 'Microsoft', installed: [{ id: 'ms-vscode-remote.remote-ssh' }], want: 'ms-vscode-remote.remote-ssh' },
      { name: 'open-remote-ssh (VSCodium, Positron)', installed: [{ id: 'jeanp413.open-remote-ssh' }], want: 'jeanp413.open-remote-ssh' },
      { name: 'Cursor', installed: [{ id: 'anysphere.remote-ssh' }], want: 'anysphere.remote-ssh' },
      { name: 'Windsurf', installed: [{ id: 'codeium.windsurf-remote-openssh' }], want: 'codeium.windsurf-remote-openssh' },
      {
        name: 'both: Microsoft wins',
        installed: [{ id: 'jeanp413.open-remote-ssh' }, { id: 'ms-vscode-remote.remote-ssh' }],
        want: 'ms-vscode-remote.remote-ssh',
      },
      { name: 'an unknown fork that resolves ssh-remote', installed: [{ id: 'acme.ssh', packageJSON: resolver }], want: 'acme.ssh' },
      { name: 'hubssh itself does not count', installed: [{ id: 'hubssh.hubssh', packageJSON: resolver }] },
      { name: 'id case', installed: [{ id: 'MS-vscode-remote.Remote-SSH' }], want: 'ms-vscode-remote.remote-ssh' },
    ];
    for (const c of cases) {
      assert.strictEqual(findFlavour(c.installed)?.id, c.want, c.name);
    }
  });

  it('recommends the flavour of the editor', () => {
    const cases: Array<[string, string]> = [
      ['Visual Studio Code', 'ms-vscode-remote.remote-ssh'],
      ['Visual Studio Code - Insiders', 'ms-vscode-remote.remote-ssh'],
      ['VSCodium', 'jeanp413.open-remote-ssh'],
      ['Positron', 'jeanp413.open-remote-ssh'],
      ['code-server', 'jeanp413.open-remote-ssh'],
      ['Cursor', 'anysphere.remote-ssh'],
      ['Windsurf', 'codeium.windsurf-remote-openssh'],
    ];
    for (const [app, id] of cases) {
      assert.strictEqual(recommendedFlavour(app).id, id, app);
    }
  });

  it('builds authorities both flavours read, and reads them back', () => {
    const cases: Array<[string, string]> = [
      ['hub.example.org-alice', 'ssh-remote+hub.example.org-alice'],
      ['127.0.0.1-alice-gpu', 'ssh-remote+127.0.0.1-alice-gpu'],
      // Uppercase, "@" and "+" go hex-encoded as {"hostName": …}.
      ['hub.example.org-Alice', 'ssh-remote+7b22686f73744e616d65223a226875622e6578616d706c652e6f72672d416c696365227d'],
      ['hub-a@b', `ssh-remote+${Buffer.from('{"hostName":"hub-a@b"}').toString('hex')}`],
    ];
    for (const [alias, want] of cases) {
      assert.strictEqual(remoteAuthority(alias), want, alias);
      assert.strictEqual(aliasOfAuthority(want), alias, want);
    }
    assert.strictEqual(aliasOfAuthority(undefined), undefined);
    assert.strictEqual(aliasOfAuthority('wsl+Ubuntu'), undefined);
    assert.strictEqual(aliasOfAuthority('ssh-remote+abcd'), 'abcd', 'hex that is not JSON stays a host');
    assert.strictEqual(aliasOfAuthority('ssh-remote+user%40host'), 'user@host');
  });

  it('resolves the folder setting against the home', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['/home/jovyan', undefined, '/home/jovyan'],
      ['/home/jovyan', '', '/home/jovyan'],
      ['/home/jovyan', '~', '/home/jovyan'],
      ['/home/jovyan', '~/work', '/home/jovyan/work'],
      ['/home/jovyan', 'work/project/', '/home/jovyan/work/project/'],
      ['/home/jovyan', '/srv/data', '/srv/data'],
      ['/home/jovyan', '/srv/../data', '/data'],
      ['', '', '/'],
    ];
    for (const [home, setting, want] of cases) {
      assert.strictEqual(resolveFolder(home, setting), want, `${home} ${setting}`);
    }
  });

  it('finds the token page from what users type', () => {
    const cases: Array<[string, string | undefined]> = [
      ['hub.example.org', 'https://hub.example.org/hub/token'],
      ['https://hub.example.org/', 'https://hub.example.org/hub/token'],
      ['https://hub.example.org/hub/home', 'https://hub.example.org/hub/token'],
      ['https://hub.example.org/user/alice/lab/tree/x.ipynb', 'https://hub.example.org/hub/token'],
      ['https://example.org/jupyter/hub/login?next=%2F', 'https://example.org/jupyter/hub/token'],
      ['https://example.org/jupyter', 'https://example.org/jupyter/hub/token'],
      ['http://127.0.0.1:8000', 'http://127.0.0.1:8000/hub/token'],
      ['  ', undefined],
      ['ftp://hub.example.org', undefined],
      ['https://', undefined],
    ];
    for (const [input, want] of cases) {
      assert.strictEqual(tokenPage(input), want, input);
    }
  });
});
