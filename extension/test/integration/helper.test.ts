// The extension's client code (src/helper.ts, as compiled) driving the
// real hubssh against the real local JupyterHub; the alias it returns is
// then used by the real OpenSSH client.
import * as assert from 'assert';
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { Duplex } from 'stream';
import { Helper, HelperError } from '../../src/helper';
import { PrepareResult, ProgressValue } from '../../src/protocol';
import { hubInfo, hubsshBin, repoRoot, run, stopServer, tempHome } from '../harness';

describe('Helper against the real hub', function () {
  this.timeout(120_000);
  const hub = hubInfo();
  let helper: Helper;
  let env: NodeJS.ProcessEnv;
  let home: string;
  const log: string[] = [];
  let prepared: PrepareResult;

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
    assert.strictEqual(added.tokenStore, 'file');
    const hubs = await helper.hubs();
    assert.strictEqual(hubs.length, 1);
    assert.ok(!JSON.stringify(hubs).includes(hub.tokens.bob), 'hubs/list never returns the token');
  });

  it('prepares a stopped server with the hub\'s progress; ssh to the alias runs a command', async () => {
    await stopServer(hub, 'bob');
    const progress: ProgressValue[] = [];
    const res = await helper.prepare({ hub: hub.url, server: '' }, (v) => progress.push(v));
    prepared = res;
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

  // VSCodium and Positron connect with open-remote-ssh, which reads the ssh
  // config with its own parser (@jeanp413/ssh-config) and runs the
  // ProxyCommand without a shell, through npm ssh2. The parser is given the
  // file alone, as a reader that follows no Include sees it.
  it("open-remote-ssh's reading of the ssh config finds the host, and ssh2 runs a command through it", async () => {
    const { alias, sshConfig } = prepared;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const SSHConfig = require('@jeanp413/ssh-config').default;
    const config = SSHConfig.parse(await fs.readFile(sshConfig, 'utf8'));
    const host = config.compute(alias);
    const argv: string[] = host.ProxyCommand;
    assert.ok(Array.isArray(argv) && argv.length === 3, `ProxyCommand as parsed: ${JSON.stringify(host.ProxyCommand)}`);
    assert.deepStrictEqual(argv.slice(1), ['proxy', alias]);
    const identity = Array.isArray(host.IdentityFile) ? host.IdentityFile[0] : host.IdentityFile;
    const privateKey = await fs.readFile(identity);
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const sock = new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        child.stdin.write(chunk, cb);
      },
      final(cb) {
        child.stdin.end();
        cb();
      },
    });
    child.stdout.on('data', (d) => sock.push(d));
    child.stdout.on('end', () => sock.push(null));
    // The ssh2 release open-remote-ssh bundles (root package.json).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require(path.join(repoRoot, 'node_modules', 'ssh2-1.14'));
    const out = await new Promise<string>((resolve, reject) => {
      const conn = new Client();
      conn
        .on('ready', () =>
          conn.exec('echo open-remote-ssh-ok', (err: Error | undefined, stream: Duplex & { stderr: Duplex }) => {
            if (err) {
              return reject(err);
            }
            let got = '';
            stream.on('data', (d: Buffer) => (got += d));
            stream.on('close', () => {
              conn.end();
              resolve(got);
            });
          }),
        )
        .on('error', reject)
        .connect({ sock, username: 'jovyan', privateKey, strictVendor: false, readyTimeout: 60000 });
    });
    child.kill();
    assert.strictEqual(out, 'open-remote-ssh-ok\n');
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
