import * as assert from 'assert';
import { ensureReconnectionGrace, neededGraceSeconds, statusText } from '../../src/status';
import type { ConnectionParams } from '../../src/protocol';

const base: ConnectionParams = { alias: 'hub-alice', label: "alice's default server", state: 'resuming', retry: 0, since: 31.4, message: 'lost', pid: 7 };

describe('status', () => {
  it('shows a resuming connection with its time and retry, a resumed one, and nothing once the proxy ended', () => {
    assert.deepStrictEqual(statusText(base), { text: "$(sync~spin) hubssh: resuming alice's default server (31 s)", tooltip: 'lost' });
    assert.strictEqual(statusText({ ...base, retry: 3 })?.text, "$(sync~spin) hubssh: resuming alice's default server (31 s, retry 3)");
    assert.strictEqual(statusText({ ...base, state: 'resumed', message: 'back' })?.text, "$(check) hubssh: alice's default server resumed");
    assert.strictEqual(statusText({ ...base, state: 'gone' }), undefined);
  });

  it('raises a reconnection grace below the window, and leaves a longer one alone', async () => {
    const cases: Array<[number | undefined, number | undefined]> = [
      [60, neededGraceSeconds],
      [10800, undefined],
      [undefined, undefined],
    ];
    for (const [set, want] of cases) {
      let wrote: unknown;
      const msg = await ensureReconnectionGrace({
        get: <T>() => set as T | undefined,
        update: async (_k, v, global) => {
          assert.strictEqual(global, true);
          wrote = v;
        },
      });
      assert.strictEqual(wrote, want, `grace ${set}`);
      assert.strictEqual(msg !== undefined, want !== undefined);
    }
  });
});
