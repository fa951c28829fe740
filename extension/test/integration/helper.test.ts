// The extension's client code (src/helper.ts, as compiled) driving the
// real hubssh against the real local JupyterHub; the alias it returns is
// then used by the real OpenSSH client.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import { Helper, HelperError } from '../../src/helper';
import { ProgressValue } from '../../src/protocol';
import { hubInfo, hubsshBin, run, stopServer, tempHome } from '../harness';

describe('Helper against the real hub', function () {
  this.timeout(120_000);
  const hub = hubInfo();
  let helper: Helper;
  let env: NodeJS.ProcessEnv;
  let home: string;
  const log: string[] = [];

  before(async () => {
    ({ home, env } = await tempHome());
    helper = await Helper.start({ path: hubsshBin, env, log: (l) => log.push(l) });
  });
  after(async () => {
    helper?.dispose();
    await fs.rm(home, { recursive: true, force: true });
  });

  it('adds the hub with the token in an RPC call; a wrong token is refused with the fix', async () => {
    await assert.rejects(helper.addHub(hub.url, 'not-a-token'), (e: unknown) => e instanceof HelperError && e.kind === 'auth' && /hub\/token/.test(e.message));
    const added = await helper.addHub(hub.url, hub.tokens.bob);
    assert.strictEqual(added.user, 'bob');
    assert.strictEqual(added.token_store, 'file');
    const hubs = await helper.hubs();
    assert.strictEqual(hubs.length, 1);
    assert.ok(!JSON.stringify(hubs).includes(hub.tokens.bob), 'hubs/list never returns the token');
  });

  it('prepares a stopped server with the hub\'s progress; ssh to the alias runs a command', async () => {
    await stopServer(hub, 'bob');
    const progress: ProgressValue[] = [];
    const res = await helper.prepare({ hub: hub.url, server: '' }, (v) => progress.push(v));
    assert.ok(progress.length >= 2, `progress: ${JSON.stringify(progress)}`);
    assert.ok(progress[progress.length - 1].ready, 'the last progress says ready');
    assert.match(res.alias, /-bob$/);
    const out = await run('ssh', ['-F', res.sshConfig, res.alias, 'echo', 'hubssh-integration-ok', '$HOME'], env);
    assert.strictEqual(out.code, 0, out.stderr);
    assert.strictEqual(out.stdout, `hubssh-integration-ok ${res.folder}\n`);
    const servers = await helper.servers(hub.url);
    assert.deepStrictEqual(
      servers.filter((s) => s.name === '').map((s) => [s.state, s.alias]),
      [['running', res.alias]],
    );
  });

  it('stops the server and says so in servers/list', async () => {
    await helper.stop({ hub: hub.url, server: '' });
    const servers = await helper.servers(hub.url);
    assert.strictEqual(servers.find((s) => s.name === '')?.state, 'stopped');
  });

  it('never logs the token', () => {
    assert.ok(!log.join('\n').includes(hub.tokens.bob));
  });
});
