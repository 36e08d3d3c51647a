import { expect } from 'chai';
import { runSmoke, smokeProblems } from '../smoke.ts';
import { checkTargets, toMarkdown } from '../report.ts';

describe('bench smoke: every scenario starts and produces numbers', function () {
  this.timeout(180_000);

  it('measures direct, bare proxy, minimal and everything-on hub, streams, memory and soak', async () => {
    const lines: string[] = [];
    const r = await runSmoke({ log: (l) => lines.push(l) });
    const problems = smokeProblems(r);
    expect(problems, `${problems.join('\n')}\n--- log ---\n${lines.join('\n')}`).to.deep.equal([]);
    // Ratios exist for the hub against the bare proxy; their values are reported, not asserted.
    const targets = checkTargets(r);
    expect(targets.find((t) => t.name.includes('req/s'))?.actual).to.match(/c=8: \d+%/);
    expect(toMarkdown(r)).to.include('### Non-streaming JSON');
  });
});
