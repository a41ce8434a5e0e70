// virtualServerViews (src/daemon/check-view.ts): each real server's checkers found in one walk
// along the engine's list of them, of every kind (a BFD_CHECK and a FILE_CHECK have no probe
// plan), a real server without a checker among them; and in slices, the same views.
import { afterAll, describe, expect, it } from 'vitest';
import { virtualServerViews, virtualServerViewsSliced } from '../../../src/daemon/check-view.js';
import { Bench, rs, tmp, vs } from '../check/harness.js';

afterAll(() => tmp.cleanup());

const text = 'bfd_instance b1 {\n  neighbor_ip 10.0.1.1\n}\ntrack_file tf {\n  file /tmp/kts-none\n}\n'
  + vs(rs('10.0.1.1', 'BFD_CHECK {\n      name b1\n    }\n    TCP_CHECK {\n    }') + rs('10.0.1.2', '') + rs('10.0.1.3', 'FILE_CHECK {\n      track_file tf\n    }'))
  + vs(rs('10.0.2.1', 'HTTP_GET {\n      url {\n        path /\n      }\n    }\n    MISC_CHECK {\n      misc_path /bin/true\n    }'), '', '10.0.0.2 80');

describe('virtualServerViews', () => {
  it("lists each real server's checkers as configured, whatever their kind", () => {
    const b = Bench.of(text);
    b.start();
    const views = virtualServerViews(b.engine);
    expect(views.map((v) => v.realServers.map((r) => [r.address, r.checkers.map((c) => c.type)]))).toEqual([
      [['10.0.1.1', ['BFD_CHECK', 'TCP_CHECK']], ['10.0.1.2', []], ['10.0.1.3', ['FILE_CHECK']]],
      [['10.0.2.1', ['HTTP_GET', 'MISC_CHECK']]],
    ]);
    expect(views[0]!.realServers.map((r) => [r.alive, r.inTable])).toEqual([[true, true], [true, true], [true, true]]);
  });

  it('in slices, the same views; nothing once the asker stopped waiting', async () => {
    const b = Bench.of(text);
    b.start();
    expect(await virtualServerViewsSliced(b.engine, () => Promise.resolve(), () => false)).toEqual(virtualServerViews(b.engine));
    expect(await virtualServerViewsSliced(b.engine, () => Promise.resolve(), () => true)).toBeUndefined();
  });
});
