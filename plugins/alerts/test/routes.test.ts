import { expect } from 'chai';
import { createTestGateway, TEST_ADMIN_TOKEN, type TestGateway } from '@cch/core/testing';

/** GET /api/v1/plugins/alerts/recent. */
describe('alerts: admin routes', function () {
  this.timeout(60_000);
  let hub: TestGateway;

  before(async () => {
    // No webhook URL: alerts are listed only, delivery `disabled`.
    hub = await createTestGateway({ yaml: `plugins: [{ name: accounting }, { name: alerts, options: { spoolRows: 0, recentSize: 3 } }]` });
  });
  after(async () => {
    await hub?.close();
  });

  const get = (query = '', auth = true) =>
    fetch(`${hub.url}/api/v1/plugins/alerts/recent${query}`, { headers: auth ? { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } : {} });

  it('answers 401 without admin authentication', async () => {
    const res = await get('', false);
    expect(res.status).to.equal(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).to.be.a('string');
  });

  it('lists recent alerts newest first, bounded by limit and recentSize', async () => {
    let res = await get();
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ items: [] });

    const alerts = hub.gw.services.alerts!;
    for (const n of [1, 2, 3, 4]) await alerts.emit({ message: `alert ${n}`, severity: 'info', data: { n } });

    res = await get();
    const body = (await res.json()) as { items: { id: string; type: string; severity: string; at: string; message: string; data: unknown; delivery: { status: string } }[] };
    expect(body.items.map((a) => a.message)).to.deep.equal(['alert 4', 'alert 3', 'alert 2']);
    expect(body.items[0]).to.include({ type: 'custom', severity: 'info' });
    expect(body.items[0]!.data).to.deep.equal({ n: 4 });
    expect(body.items[0]!.delivery.status).to.equal('disabled');
    expect(Date.parse(body.items[0]!.at)).to.be.closeTo(Date.now(), 60_000);

    const one = (await (await get('?limit=1')).json()) as { items: { message: string }[] };
    expect(one.items.map((a) => a.message)).to.deep.equal(['alert 4']);
  });

  it('answers 400 for a bad limit', async () => {
    for (const q of ['?limit=0', '?limit=-2', '?limit=x', '?limit=1&limit=2', '?limit=100000']) {
      const res = await get(q);
      expect(res.status, q).to.equal(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.match(/limit/);
    }
  });
});
