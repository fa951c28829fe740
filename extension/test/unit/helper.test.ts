import * as assert from 'assert';
import * as path from 'path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { Helper, HelperError } from '../../src/helper';
import { ProgressValue } from '../../src/protocol';

// The fake is a Node script; a shell-less launcher keeps Helper.start's
// spawn(path, ['serve']) exactly as in production.
const fake = path.join(__dirname, '..', 'fixtures', 'fake-serve.js');
const launcher = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'fake-serve.sh');

async function start(mode: string, lines: string[] = []): Promise<Helper> {
  return Helper.start({ path: launcher, env: { ...process.env, FAKE_MODE: mode, FAKE_SCRIPT: fake }, log: (l) => lines.push(l), client: 'unit test' });
}

describe('Helper', function () {
  this.timeout(10000);

  it('maps errors to HelperError with code and kind, and logs stderr', async () => {
    const lines: string[] = [];
    const h = await start('ok', lines);
    try {
      await assert.rejects(h.addHub('https://hub.example.org', 'bad'), (err: unknown) => {
        assert.ok(err instanceof HelperError);
        assert.strictEqual(err.code, -32002);
        assert.strictEqual(err.kind, 'auth');
        assert.match(err.message, /create a new one/);
        return true;
      });
      assert.strictEqual((await h.addHub('https://hub.example.org', 'good')).user, 'alice');
      assert.deepStrictEqual(await h.hubs(), []);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(lines.includes('fake: hubs/add https://hub.example.org'), lines.join('\n'));
      assert.ok(!lines.some((l) => l.includes('good')), 'the token is never logged');
    } finally {
      h.dispose();
    }
  });

  it('routes $/progress to the call that asked for it', async () => {
    const h = await start('ok');
    try {
      const seen: ProgressValue[] = [];
      await h.start({ server: 'gpu' }, (v) => seen.push(v));
      assert.deepStrictEqual(
        seen.map((v) => [v.percentage, v.message]),
        [
          [20, 'Pulling image'],
          [50, 'Spawning'],
        ],
      );
    } finally {
      h.dispose();
    }
  });

  it('sends $/cancelRequest when the user cancels', async () => {
    const lines: string[] = [];
    const h = await start('hang', lines);
    try {
      const src = new CancellationTokenSource();
      const p = h.start({ server: 'gpu' }, (v) => v.percentage === 50 && src.cancel(), src.token);
      await assert.rejects(p, (err: unknown) => err instanceof HelperError && err.cancelled);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(lines.includes('fake: cancelled'), 'the helper saw the cancel');
    } finally {
      h.dispose();
    }
  });

  it('offers its protocol versions, and names the side to update when none is shared', async () => {
    const lines: string[] = [];
    const h = await start('ok', lines);
    h.dispose();
    assert.ok(lines.includes('fake: version {"protocols":[2],"client":"unit test"}'), lines.join('\n'));
    await assert.rejects(start('old'), /speaks protocol 1, this extension 2: update hubssh/);
    await assert.rejects(start('newer'), (err: unknown) => {
      assert.ok(err instanceof HelperError);
      assert.strictEqual(err.kind, 'protocol');
      assert.match(err.message, /update test/);
      return true;
    });
  });

  it('hands $/connection notifications to its listener', async () => {
    const h = await start('ok');
    try {
      const seen: string[] = [];
      h.onConnection((p) => seen.push(`${p.alias} ${p.state} ${p.retry}`));
      await h.diagnose();
      await new Promise((r) => setTimeout(r, 50));
      assert.deepStrictEqual(seen, ['hub-alice resuming 1']);
    } finally {
      h.dispose();
    }
  });

  it('reports a helper that exits at once, and one that does not exist', async () => {
    const lines: string[] = [];
    await assert.rejects(start('crash', lines), /did not start/);
    assert.ok(lines.includes('fake: cannot read the config'), lines.join('\n'));
    await assert.rejects(Helper.start({ path: '/nonexistent/hubssh', log: () => undefined }), /did not start/);
  });
});
