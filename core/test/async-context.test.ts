import { expect } from 'chai';
import { RequestContext, TransactionContext } from '@mikro-orm/core';
import { createTestGateway } from '../src/testing/index.ts';
import { createKey } from '../src/keys.ts';

/** Node 20 keeps promise hooks on (a cost on every request) while any AsyncLocalStorage is enabled. */
const enabled = (cls: object): boolean => Boolean((cls as { storage?: { enabled?: boolean } }).storage?.enabled);

describe('async context after boot', function () {
  this.timeout(30_000);

  it('leaves MikroORM\'s AsyncLocalStorages disabled once the YAML is synced, and again after a key is created', async () => {
    const t = await createTestGateway({
      yaml: `
plugins:
  - name: auth
  - name: provider-claude
providers:
  - { name: p, type: claude, url: http://127.0.0.1:9, key: sk-ant-x }
users:
  - name: ann
`,
    });
    try {
      // The sync ran a transaction and flushes: both storages were enabled during boot.
      expect(enabled(TransactionContext), 'TransactionContext storage').to.equal(false);
      expect(enabled(RequestContext), 'RequestContext storage').to.equal(false);
      await createKey(t.gw.db, 'ann', 'laptop');
      expect(enabled(TransactionContext)).to.equal(false);
    } finally {
      await t.close();
    }
  });
});
