import fs from 'node:fs';
import { expect } from 'chai';
import { CONSOLE_TYPES_FILE, SPEC_FILE, consoleTypes } from '../src/admin/console-types.ts';

describe('console types generated from the OpenAPI document', () => {
  it('console/src/api-types.ts matches the committed spec (run `npm run api:generate` after changing admin types)', () => {
    const spec = JSON.parse(fs.readFileSync(SPEC_FILE, 'utf8')) as Parameters<typeof consoleTypes>[0];
    expect(fs.readFileSync(CONSOLE_TYPES_FILE, 'utf8')).to.equal(consoleTypes(spec));
  });

  it('renders objects, nullables, enums, unions, records and references', () => {
    const out = consoleTypes({
      components: {
        schemas: {
          Thing: {
            description: 'A thing.',
            type: 'object',
            required: ['id', 'kind'],
            properties: {
              id: { type: 'integer' },
              kind: { type: 'string', enum: ['a', "b'c"] },
              note: { type: 'string', nullable: true, description: 'Free text.' },
              tags: { type: 'array', items: { type: 'string' } },
              either: { anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string' } }] },
              map: { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
              other: { $ref: '#/components/schemas/Other' },
            },
          },
          Other: { type: 'object', properties: {} },
        },
      },
    } as never);
    expect(out).to.include('export type Other = Record<string, unknown>;');
    expect(out).to.include('/** A thing. */\nexport interface Thing {');
    expect(out).to.include("  kind: 'a' | 'b\\'c';");
    expect(out).to.include('  /** Free text. */\n  note?: string | null;');
    expect(out).to.include('  either?: boolean | string[];');
    expect(out).to.include('  map?: { [key: string]: string };');
    expect(out).to.include('  other?: Other;');
    expect(out).to.include('  id: number;');
  });
});
