import { expect } from 'chai';
import { GatewayError } from '../src/errors.ts';
import type { WireFormat } from '../src/formats/index.ts';
import { codecFor, translateRequest, translateResponse, type IrPart, type IrRequest } from '../src/formats/translate/index.ts';
import { toGeminiSchema } from '../src/formats/translate/schema.ts';
import { createDrops } from '../src/formats/translate/shared.ts';
import { FORMATS, PAIRS, fixtureJson, golden, json } from './fixtures/translate/helpers.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Model in the path for Gemini clients; the others name it in the body. */
const opts = (from: WireFormat) => ({ model: from === 'gemini' ? 'gemini-2.5-pro' : undefined, stream: true });

function parse(format: WireFormat, body: Record<string, unknown>): IrRequest {
  return codecFor(format).parseRequest(body, { drops: createDrops(), stream: true, model: 'gemini-2.5-pro' });
}

function describePart(p: IrPart): unknown {
  switch (p.type) {
    case 'text':
      return { text: p.text };
    case 'image':
      return { image: p.source.kind === 'base64' ? p.source.data : p.source.url };
    case 'file':
      return { file: p.source.kind };
    case 'tool_call':
      return { call: p.name, input: p.input };
    case 'tool_result':
      return { result: p.name, text: p.content.map((c) => (c.type === 'text' ? c.text : '[image]')).join('') };
    case 'thinking':
      return { thinking: p.text };
  }
}

/** The conversation as every format must carry it: roles, texts, media, calls and results. */
function conversation(ir: IrRequest) {
  return {
    system: ir.system.join('\n\n'),
    turns: ir.messages.map((m) => ({ role: m.role, parts: m.content.filter((p) => p.type !== 'thinking').map(describePart) })),
    tools: ir.tools.map((t) => ({ name: t.name, description: t.description, params: Object.keys((t.schema.properties as object | undefined) ?? {}) })),
    toolChoice: ir.toolChoice,
    stream: ir.stream,
  };
}

/** Every tool result answers a call made earlier in the conversation, by id. */
function expectLinkedIds(ir: IrRequest): void {
  const ids = new Set<string>();
  let results = 0;
  for (const m of ir.messages) {
    for (const p of m.content) {
      if (p.type === 'tool_call') ids.add(p.id);
      if (p.type === 'tool_result') {
        results++;
        expect(ids.has(p.id), `tool result ${p.id} answers a call`).to.equal(true);
      }
    }
  }
  expect(results).to.be.greaterThan(0);
}

describe('translate: requests', () => {
  describe('golden fixtures, every pair (two-turn tool loop with system, image, tools)', () => {
    for (const [from, to] of PAIRS) {
      it(`${from} → ${to}`, () => {
        const source = fixtureJson(`requests/${from}.json`);
        const out = translateRequest(from, to, source, opts(from));
        golden(`requests/${from}--${to}.json`, json(out));
        expect(out.stream).to.equal(true);
        const before = parse(from, source);
        const after = parse(to, out.body);
        expect(conversation(after)).to.deep.equal(conversation(before));
        expectLinkedIds(after);
        if (before.maxTokens !== undefined) expect(after.maxTokens).to.equal(before.maxTokens);
        if (before.temperature !== undefined) expect(after.temperature).to.equal(before.temperature);
        if (before.topP !== undefined) expect(after.topP).to.equal(before.topP);
        if (to !== 'openai-responses') expect(after.stop).to.deep.equal(before.stop);
        else expect(out.dropped).to.include('stop sequences');
      });
    }
  });

  it('states the stream flag and the upstream endpoint, model and stream in the URL for Gemini', () => {
    const r = translateRequest('openai-chat', 'gemini', fixtureJson('requests/openai-chat.json'), { model: 'gemini-2.5-flash' });
    expect(r.stream).to.equal(true);
    expect(r.body).to.not.have.property('model');
    expect(r.body).to.not.have.property('stream');
    expect(r.upstream.endpoint).to.deep.include({ format: 'gemini', upstreamPath: '/models/gemini-2.5-flash:streamGenerateContent', pathStream: true, pathModel: 'gemini-2.5-flash' });
    expect(r.upstream.query).to.equal('?alt=sse');
    const g = fixtureJson('requests/gemini.json');
    const plain = translateRequest('gemini', 'openai-chat', g, { model: 'gpt-4.1', stream: false });
    expect(plain.stream).to.equal(false);
    expect(plain.body).to.not.have.property('stream');
    expect(plain.body.model).to.equal('gpt-4.1');
    const streamed = translateRequest('gemini', 'openai-chat', g, { model: 'gpt-4.1', stream: true });
    expect(streamed.body).to.deep.include({ stream: true, stream_options: { include_usage: true } });
  });

  it('unwraps a Gemini Code Assist request ({ model, project, request })', () => {
    const envelope = { model: 'gemini-2.5-pro', project: 'proj-1', user_prompt_id: 'p1', request: { ...fixtureJson('requests/gemini.json'), session_id: 's1' } };
    const r = translateRequest('gemini', 'anthropic-messages', envelope, { model: 'claude-sonnet-4-5', stream: true });
    const plain = translateRequest('gemini', 'anthropic-messages', fixtureJson('requests/gemini.json'), { model: 'claude-sonnet-4-5', stream: true });
    expect(r.body).to.deep.equal(plain.body);
    expect(r.dropped).to.deep.equal(plain.dropped);
  });

  it('names what it drops, and unknown fields too', () => {
    const body = { ...fixtureJson('requests/openai-chat.json'), logit_bias: { 50256: -100 } };
    const r = translateRequest('openai-chat', 'anthropic-messages', body, { model: 'claude-sonnet-4-5' });
    expect(r.dropped).to.include.members(['user', 'logit_bias']);
    expect(r.dropped).to.not.include('stream_options');
  });

  describe('Gemini tool-call ids', () => {
    it('synthesizes stable ids and matches results by name, in order, for parallel calls', () => {
      const body = {
        contents: [
          { role: 'user', parts: [{ text: 'read both' }] },
          {
            role: 'model',
            parts: [{ functionCall: { name: 'read_file', args: { path: 'a' } } }, { functionCall: { name: 'read_file', args: { path: 'b' } } }, { functionCall: { name: 'ls', args: {} } }],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { name: 'ls', response: { output: 'a b' } } },
              { functionResponse: { name: 'read_file', response: { output: 'A' } } },
              { functionResponse: { name: 'read_file', response: { error: 'B missing' } } },
            ],
          },
        ],
      };
      const out = translateRequest('gemini', 'anthropic-messages', body, { model: 'claude-sonnet-4-5' }).body as J;
      const calls = out.messages[1].content as J[];
      expect(calls.map((c) => c.id)).to.deep.equal(['call_read_file_0', 'call_read_file_1', 'call_ls_2']);
      const results = out.messages[2].content as J[];
      expect(results.map((r) => [r.tool_use_id, r.content, r.is_error ?? false])).to.deep.equal([
        ['call_ls_2', 'a b', false],
        ['call_read_file_0', 'A', false],
        ['call_read_file_1', 'B missing', true],
      ]);
      // The same history translated again gives the same ids: stable across turns.
      const again = translateRequest('gemini', 'openai-chat', body, { model: 'gpt-4.1' }).body as J;
      expect((again.messages[1].tool_calls as J[]).map((c) => c.id)).to.deep.equal(['call_read_file_0', 'call_read_file_1', 'call_ls_2']);
      expect((again.messages as J[]).slice(2).map((m) => m.tool_call_id)).to.deep.equal(['call_ls_2', 'call_read_file_0', 'call_read_file_1']);
    });

    it('keeps ids a Gemini client already has and sends none to Gemini', () => {
      const body = {
        contents: [
          { role: 'user', parts: [{ text: 'x' }] },
          { role: 'model', parts: [{ functionCall: { id: 'call_abc', name: 'f', args: {} } }] },
          { role: 'user', parts: [{ functionResponse: { id: 'call_abc', name: 'f', response: { output: 'ok' } } }] },
        ],
      };
      const out = translateRequest('gemini', 'openai-chat', body, { model: 'gpt-4.1' }).body as J;
      expect(out.messages[1].tool_calls[0].id).to.equal('call_abc');
      expect(out.messages[2].tool_call_id).to.equal('call_abc');
      const back = translateRequest('openai-chat', 'gemini', out, { model: 'gemini-2.5-pro' }).body as J;
      expect(back.contents[1].parts[0].functionCall).to.deep.equal({ name: 'f', args: {} });
      expect(back.contents[2].parts[0].functionResponse).to.deep.equal({ name: 'f', response: { output: 'ok' } });
    });

    it('gives Gemini 3 function calls from another format the documented placeholder signature', () => {
      const chat = fixtureJson('requests/openai-chat.json');
      const g3 = translateRequest('openai-chat', 'gemini', chat, { model: 'gemini-3-pro-preview' }).body as J;
      expect(g3.contents[1].parts[1].thoughtSignature).to.equal('skip_thought_signature_validator');
      const g25 = translateRequest('openai-chat', 'gemini', chat, { model: 'gemini-2.5-pro' }).body as J;
      expect(g25.contents[1].parts[1]).to.not.have.property('thoughtSignature');
    });
  });

  describe('reasoning', () => {
    it('returns Anthropic thinking through a Responses client to Anthropic with its signature intact', () => {
      const answer = fixtureJson('responses/anthropic-messages.tool.json');
      const signed = { ...answer, content: [{ type: 'thinking', thinking: 'I should read it.', signature: 'EqQBsig==' }, ...(answer.content as J[])] };
      const forCodex = translateResponse('anthropic-messages', 'openai-responses', signed, { model: undefined, requestId: 'r1' });
      const output = forCodex.output as J[];
      expect(output[0]).to.deep.include({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'I should read it.' }], encrypted_content: 'cch:anthropic-messages:EqQBsig==' });
      // Codex replays the items it got, then the tool output, with reasoning on.
      const next = {
        model: 'claude-sonnet-4-5',
        input: [{ role: 'user', content: 'read it' }, ...output, { type: 'function_call_output', call_id: output[2]!.call_id, output: 'hello' }],
        reasoning: { effort: 'high' },
        tools: [{ type: 'function', name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }],
      };
      const r = translateRequest('openai-responses', 'anthropic-messages', next, { model: 'claude-sonnet-4-5' });
      const body = r.body as J;
      expect(body.messages[1].content[0]).to.deep.equal({ type: 'thinking', thinking: 'I should read it.', signature: 'EqQBsig==' });
      expect(body.thinking).to.deep.equal({ type: 'enabled', budget_tokens: 24576 });
      expect(body.max_tokens).to.equal(8192 + 24576);
      expect(r.dropped).to.not.include('thinking (the open tool-call turn carries no Anthropic thinking block)');
      // The same history sent to another provider leaves the foreign signature behind.
      const toGemini = translateRequest('openai-responses', 'gemini', next, { model: 'gemini-2.5-pro' });
      expect(JSON.stringify(toGemini.body)).to.not.include('EqQBsig');
      expect(toGemini.dropped).to.include('thinking from another provider (its signature cannot be verified here)');
    });

    it('returns Gemini signatures through an Anthropic client to Gemini on the right part', () => {
      const answer = translateResponse('gemini', 'anthropic-messages', fixtureJson('responses/gemini.tool.json'), { model: undefined, requestId: 'r2' });
      const content = answer.content as J[];
      expect(content.map((c) => c.type)).to.deep.equal(['text', 'thinking', 'tool_use']);
      expect(content[1]!.signature).to.match(/^cch:gemini\+next:CiQB/);
      const next = {
        model: 'gemini-2.5-pro',
        max_tokens: 1000,
        messages: [
          { role: 'user', content: 'read it' },
          { role: 'assistant', content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: content[2]!.id, content: 'hello' }] },
        ],
      };
      const body = translateRequest('anthropic-messages', 'gemini', next, { model: 'gemini-2.5-pro' }).body as J;
      expect(body.contents[1].parts).to.deep.equal([
        { text: "I'll read the file." },
        { functionCall: { name: 'read_file', args: { path: 'README.md' } }, thoughtSignature: sigOf() },
      ]);
      expect(body.contents[2].parts[0].functionResponse).to.deep.equal({ name: 'read_file', response: { output: 'hello' } });
    });

    it('turns Anthropic thinking off when the open tool loop carries no Anthropic thinking block', () => {
      const body: Record<string, unknown> = { ...fixtureJson('requests/openai-chat.json'), reasoning_effort: 'low' };
      delete body.temperature;
      delete body.top_p;
      const r = translateRequest('openai-chat', 'anthropic-messages', body, { model: 'claude-sonnet-4-5' });
      expect(r.body).to.not.have.property('thinking');
      expect(r.dropped).to.include('thinking (the open tool-call turn carries no Anthropic thinking block)');
      const first = { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'low', max_completion_tokens: 3000, temperature: 0.2 };
      const r1 = translateRequest('openai-chat', 'anthropic-messages', first, { model: 'claude-sonnet-4-5' });
      expect(r1.body.thinking).to.deep.equal({ type: 'enabled', budget_tokens: 2048 });
      expect(r1.body.max_tokens).to.equal(3000);
      expect(r1.body).to.not.have.property('temperature');
      expect(r1.dropped).to.include('temperature (thinking requires the default)');
      const small = translateRequest('openai-chat', 'anthropic-messages', { ...first, max_completion_tokens: 1000 }, { model: 'claude-sonnet-4-5' });
      expect(small.body).to.not.have.property('thinking');
      expect(small.body.max_tokens).to.equal(1000);
    });

    it('maps budgets and efforts between formats', () => {
      const a = { model: 'claude-sonnet-4-5', max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 10000 }, messages: [{ role: 'user', content: 'hi' }] };
      expect(translateRequest('anthropic-messages', 'openai-chat', a, { model: 'o3' }).body.reasoning_effort).to.equal('medium');
      expect(translateRequest('anthropic-messages', 'openai-responses', a, { model: 'o3' }).body).to.deep.include({ reasoning: { effort: 'medium', summary: 'auto' }, include: ['reasoning.encrypted_content'], store: false });
      expect((translateRequest('anthropic-messages', 'gemini', a, { model: 'gemini-2.5-pro' }).body as J).generationConfig.thinkingConfig).to.deep.equal({ thinkingBudget: 10000, includeThoughts: true });
      const g = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } };
      expect(translateRequest('gemini', 'openai-chat', g, { model: 'gpt-5' }).body.reasoning_effort).to.equal('high');
      expect(translateRequest('anthropic-messages', 'openai-chat', { ...a, thinking: undefined }, { model: 'gpt-4.1' }).body).to.not.have.property('reasoning_effort');
    });
  });

  describe('requests that cannot be served faithfully are refused with 400', () => {
    const cases: [string, WireFormat, WireFormat, Record<string, unknown>][] = [
      ['Responses previous_response_id', 'openai-responses', 'anthropic-messages', { model: 'm', input: 'hi', previous_response_id: 'resp_1' }],
      ['Responses item_reference', 'openai-responses', 'gemini', { model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }],
      ['Chat n > 1', 'openai-chat', 'anthropic-messages', { model: 'm', n: 2, messages: [{ role: 'user', content: 'hi' }] }],
      ['Chat legacy functions', 'openai-chat', 'gemini', { model: 'm', functions: [{ name: 'f' }], messages: [{ role: 'user', content: 'hi' }] }],
      ['Chat audio input', 'openai-chat', 'anthropic-messages', { model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }],
      ['Gemini cachedContent', 'gemini', 'openai-chat', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], cachedContent: 'cachedContents/abc' }],
      ['Gemini Files API media', 'gemini', 'anthropic-messages', { contents: [{ role: 'user', parts: [{ fileData: { mimeType: 'application/pdf', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } }] }] }],
      ['Anthropic file_id image', 'anthropic-messages', 'openai-chat', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] }],
      [
        'a web image URL for Gemini',
        'openai-chat',
        'gemini',
        { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] },
      ],
      ['a Word document for Anthropic', 'gemini', 'anthropic-messages', { contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'application/msword', data: 'AAAA' } }] }] }],
    ];
    for (const [name, from, to, body] of cases) {
      it(name, () => {
        let err: unknown;
        try {
          translateRequest(from, to, body, { model: 'gemini-2.5-pro' });
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(GatewayError);
        expect((err as GatewayError).status).to.equal(400);
        expect((err as GatewayError).kind).to.equal('invalid_request');
      });
    }
  });

  describe('content', () => {
    it('passes web image URLs to formats that fetch them and data URLs as base64', () => {
      const chat = { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] };
      const a = translateRequest('openai-chat', 'anthropic-messages', chat, { model: 'c' }).body as J;
      expect(a.messages[0].content[0]).to.deep.equal({ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } });
      const r = translateRequest('openai-chat', 'openai-responses', chat, { model: 'c' }).body as J;
      expect(r.input[0].content[0]).to.deep.equal({ type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' });
      const gs = { contents: [{ role: 'user', parts: [{ fileData: { mimeType: 'image/png', fileUri: 'gs://bucket/cat.png' } }] }] };
      expect(() => translateRequest('gemini', 'openai-chat', gs, { model: 'm' })).to.throw(GatewayError);
    });

    it('moves tool-result images after the tool messages for Chat, keeps them for Anthropic and Gemini', () => {
      const a = {
        model: 'm',
        max_tokens: 100,
        messages: [
          { role: 'user', content: 'shot' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'screenshot', input: {} }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'done' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
              { type: 'text', text: 'what do you see?' },
            ],
          },
        ],
      };
      const chat = translateRequest('anthropic-messages', 'openai-chat', a, { model: 'gpt-4.1' });
      const msgs = chat.body.messages as J[];
      expect(msgs.slice(2)).to.deep.equal([
        { role: 'tool', tool_call_id: 'toolu_1', content: 'done' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'text', text: 'what do you see?' }] },
      ]);
      expect(chat.dropped).to.include('images in tool results (moved to a user message)');
      const g = translateRequest('anthropic-messages', 'gemini', a, { model: 'gemini-2.5-pro' }).body as J;
      expect(g.contents[2].parts).to.deep.equal([
        { functionResponse: { name: 'screenshot', response: { output: 'done' } } },
        { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
        { text: 'what do you see?' },
      ]);
    });

    it('defaults Anthropic max_tokens and clamps temperature', () => {
      const r = translateRequest('openai-chat', 'anthropic-messages', { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 1.5 }, { model: 'claude-sonnet-4-5' });
      expect(r.body).to.deep.include({ max_tokens: 8192, temperature: 1 });
      expect(r.dropped).to.include('temperature above 1 (clamped to 1)');
    });

    it('maps tool_choice in every direction', () => {
      const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }] };
      const forced = { ...base, tool_choice: { type: 'function', function: { name: 'f' } }, parallel_tool_calls: false };
      expect(translateRequest('openai-chat', 'anthropic-messages', forced, { model: 'c' }).body.tool_choice).to.deep.equal({ type: 'tool', name: 'f', disable_parallel_tool_use: true });
      expect(translateRequest('openai-chat', 'openai-responses', forced, { model: 'c' }).body.tool_choice).to.deep.equal({ type: 'function', name: 'f' });
      expect((translateRequest('openai-chat', 'gemini', forced, { model: 'g' }).body as J).toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } });
      expect(translateRequest('openai-chat', 'anthropic-messages', { ...base, tool_choice: 'required' }, { model: 'c' }).body.tool_choice).to.deep.equal({ type: 'any' });
      const g = { contents: [{ role: 'user', parts: [{ text: 'x' }] }], tools: [{ functionDeclarations: [{ name: 'f' }] }], toolConfig: { functionCallingConfig: { mode: 'NONE' } } };
      expect(translateRequest('gemini', 'openai-chat', g, { model: 'c' }).body.tool_choice).to.equal('none');
    });

    it('hoists Responses developer messages and Chat system messages into the system prompt', () => {
      const r = translateRequest('openai-responses', 'gemini', fixtureJson('requests/openai-responses.json'), { model: 'gemini-2.5-pro' }).body as J;
      expect(r.systemInstruction.parts[0].text).to.equal('You are a coding assistant.\n\n<permissions instructions>Sandbox: workspace-write.</permissions instructions>');
    });
  });

  describe('Gemini schema subset', () => {
    it('resolves local $refs, folds nullable unions and strips what Gemini rejects', () => {
      const drops = createDrops();
      const schema = {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: { Point: { type: 'object', properties: { x: { type: 'number', format: 'double' }, y: { type: 'number' } }, required: ['x', 'y'], additionalProperties: false } },
        properties: {
          at: { $ref: '#/$defs/Point', description: 'where' },
          mode: { const: 'fast' },
          tag: { anyOf: [{ type: 'string', format: 'uri', pattern: '^h' }, { type: 'null' }] },
          ids: { type: 'array', items: { type: 'integer', format: 'uint32' }, minItems: 1, uniqueItems: true },
          level: { type: 'integer', enum: [1, 2] },
          mixed: { type: ['string', 'number'] },
          both: { allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'string' } } }] },
          node: { $ref: '#/$defs/Node' },
        },
        required: ['at', 'missing'],
      };
      expect(toGeminiSchema(schema, drops)).to.deep.equal({
        type: 'object',
        properties: {
          at: { description: 'where', type: 'object', properties: { x: { type: 'number', format: 'double' }, y: { type: 'number' } }, required: ['x', 'y'] },
          mode: { type: 'string', enum: ['fast'] },
          tag: { nullable: true, type: 'string' },
          ids: { minItems: 1, type: 'array', items: { type: 'integer' } },
          level: { type: 'integer' },
          mixed: { anyOf: [{ type: 'string' }, { type: 'number' }] },
          both: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'] },
          node: { type: 'object' },
        },
        required: ['at'],
      });
      expect(drops.list()).to.include.members([
        'tool schema: $schema',
        'tool schema: additionalProperties',
        'tool schema: pattern',
        'tool schema: format uri',
        'tool schema: format uint32',
        'tool schema: uniqueItems',
        'tool schema: non-string enum',
        'tool schema: type unions (as anyOf)',
        'tool schema: allOf (merged)',
        'tool schema: unresolvable or recursive $ref (as object)',
      ]);
    });

    it('omits parameters for a tool without arguments and reads Gemini schemas back as JSON Schema', () => {
      expect(toGeminiSchema({ type: 'object', properties: {}, additionalProperties: false }, createDrops())).to.equal(undefined);
      const g = {
        contents: [{ role: 'user', parts: [{ text: 'x' }] }],
        tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: { n: { type: 'INTEGER', nullable: true } }, required: ['n'], propertyOrdering: ['n'] } }] }],
      };
      const out = translateRequest('gemini', 'openai-chat', g, { model: 'm' }).body as J;
      expect(out.tools[0].function.parameters).to.deep.equal({ type: 'object', properties: { n: { type: ['integer', 'null'] } }, required: ['n'] });
    });
  });

  it('every format parses its own fixture without dropping the conversation', () => {
    for (const f of FORMATS) {
      const ir = parse(f, fixtureJson(`requests/${f}.json`));
      expect(ir.messages.map((m) => m.role), f).to.deep.equal(['user', 'assistant', 'user']);
    }
  });
});

function sigOf(): string {
  const parts = (fixtureJson('responses/gemini.tool.json').candidates as J[])[0].content.parts as J[];
  return parts[1]!.thoughtSignature as string;
}
