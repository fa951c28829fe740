import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { exeName, installHelper } from '../../src/binary';

describe('installHelper', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hubssh-bin-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('copies the bundled helper out of the versioned extension folder, once per content', async () => {
    const v1 = path.join(dir, 'ext-0.1.0', 'bin', exeName);
    await fs.mkdir(path.dirname(v1), { recursive: true });
    await fs.writeFile(v1, 'helper v1');
    const storage = path.join(dir, 'globalStorage');

    const p = await installHelper(v1, storage);
    assert.strictEqual(p, path.join(storage, 'bin', exeName));
    assert.strictEqual(await fs.readFile(p, 'utf8'), 'helper v1');
    if (process.platform !== 'win32') {
      assert.strictEqual((await fs.stat(p)).mode & 0o777, 0o755);
    }
    const inode = (await fs.stat(p)).ino;
    assert.strictEqual(await installHelper(v1, storage), p);
    assert.strictEqual((await fs.stat(p)).ino, inode, 'an identical copy is not rewritten');

    // An update: new folder, new content, same stable path; the old
    // extension folder may be gone by then.
    const v2 = path.join(dir, 'ext-0.2.0', 'bin', exeName);
    await fs.mkdir(path.dirname(v2), { recursive: true });
    await fs.writeFile(v2, 'helper v2');
    await fs.rm(path.join(dir, 'ext-0.1.0'), { recursive: true });
    assert.strictEqual(await installHelper(v2, storage), p);
    assert.strictEqual(await fs.readFile(p, 'utf8'), 'helper v2');
    assert.deepStrictEqual(await fs.readdir(path.join(storage, 'bin')), [exeName], 'no temporary files left');
  });

  it('removes moved-aside copies and abandoned partial copies, not fresh ones', async () => {
    const bundled = path.join(dir, exeName);
    await fs.writeFile(bundled, 'helper');
    const bin = path.join(dir, 'storage', 'bin');
    await fs.mkdir(bin, { recursive: true });
    await fs.writeFile(path.join(bin, `${exeName}.old-1`), 'x');
    await fs.writeFile(path.join(bin, `${exeName}.new-99`), 'abandoned');
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    await fs.utimes(path.join(bin, `${exeName}.new-99`), hourAgo, hourAgo);
    await fs.writeFile(path.join(bin, `${exeName}.new-100`), 'another window copying now');
    await installHelper(bundled, path.join(dir, 'storage'));
    assert.deepStrictEqual((await fs.readdir(bin)).sort(), [exeName, `${exeName}.new-100`].sort());
  });

  it('says what to do when the bundled binary is missing', async () => {
    await assert.rejects(installHelper(path.join(dir, 'nope', exeName), dir), /reinstall the extension, or set hubssh.helperPath/);
  });
});
