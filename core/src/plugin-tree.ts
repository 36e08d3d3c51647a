import type { PluginInfo } from './app.ts';

/** Render the plugin load tree and the pipeline, in the spirit of avvio's prettyPrint. */
export function formatPluginTree(plugins: readonly PluginInfo[], pipeline: { plugin: string; phase: string; order: string }[]): string {
  const lines = ['plugins (load order)'];
  plugins.forEach((p, i) => {
    const branch = i === plugins.length - 1 ? '└─' : '├─';
    const origin = p.source === 'builtin' ? 'built-in' : `${p.source} ${p.ref}`;
    const parts = [
      p.phases.length ? `phases: ${p.phases.join(', ')}` : '',
      p.providerTypes.length ? `provider types: ${p.providerTypes.join(', ')}` : '',
      p.services.length ? `services: ${p.services.join(', ')}` : '',
      p.dependsOn.length ? `depends on: ${p.dependsOn.join(', ')}` : '',
    ].filter(Boolean);
    lines.push(`${branch} ${p.name}@${p.version} (${origin}) ${p.setupMs.toFixed(2)} ms${parts.length ? ` — ${parts.join('; ')}` : ''}`);
  });
  lines.push('', 'pipeline');
  for (const phase of ['authenticate', 'limit', 'route', 'proxy']) {
    const mws = pipeline.filter((m) => m.phase === phase).map((m) => (m.order === 'normal' ? m.plugin : `${m.plugin}(${m.order})`));
    lines.push(`  ${phase.padEnd(12)} ${mws.length ? mws.join(' → ') : '(core default)'}`);
  }
  lines.push(`  ${'settle'.padEnd(12)} runs once per exchange after the response ended`);
  return lines.join('\n') + '\n';
}
