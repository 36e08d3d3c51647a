/**
 * What each translation leaves out, declared per format so the list for a pair is never an
 * accident: the source format's fields that have no place in the IR, plus the IR features the
 * target format cannot express. At run time `translateRequest` returns the subset it met.
 */
import type { WireFormat } from '../index.ts';

/** Client-side fields with no counterpart in the IR (dropped whatever the target). */
export const DROPPED_FROM: Readonly<Record<WireFormat, readonly string[]>> = {
  'anthropic-messages': [
    'metadata (user_id), service_tier, container, mcp_servers, context_management',
    'cache_control markers',
    'citations; document title and context',
    'server and Anthropic-defined tools (web_search, web_fetch, code_execution, bash, text_editor, computer …) and their blocks',
  ],
  'openai-chat': [
    'user, safety_identifier, metadata, store, service_tier, prompt_cache_key',
    'logprobs, top_logprobs, logit_bias, modalities/audio, prediction, web_search_options, verbosity',
    'message name; image detail',
    'custom tools; allowed_tools tool_choice',
  ],
  'openai-responses': [
    'user, safety_identifier, metadata, service_tier, truncation, prompt_cache_key, text.verbosity, reasoning.summary',
    'image detail',
    'hosted and custom tools (web_search, file_search, code_interpreter, image_generation, mcp, local_shell, custom) and their call/output items',
  ],
  gemini: [
    'safetySettings, labels',
    'generationConfig: responseModalities, speechConfig, mediaResolution, responseLogprobs, logprobs …',
    'googleSearch, codeExecution, urlContext … tools; executableCode / codeExecutionResult parts',
    'function calling mode VALIDATED (as AUTO); allowedFunctionNames beyond one',
    'thought signatures on plain text parts (Gemini does not validate them)',
  ],
};

/** IR features the target format cannot express (dropped, or adjusted as said). */
export const DROPPED_TO: Readonly<Record<WireFormat, readonly string[]>> = {
  'anthropic-messages': [
    'thinking blocks signed by another provider',
    'thinking, when the open tool-call turn has no Anthropic thinking block or max tokens leave no room for 1024 thinking tokens',
    'response format (JSON mode), presence/frequency penalty, seed, tool strict mode',
    'temperature above 1 (clamped); with thinking on: temperature other than 1, top_p below 0.95, top_k',
  ],
  'openai-chat': [
    'thinking blocks in the history (answers carry thinking as reasoning_content)',
    'top_k; stop sequences beyond 4; turning reasoning off; assistant prefill (answered, not continued)',
    'images in tool results (moved to a user message after the tool messages)',
  ],
  'openai-responses': [
    'thinking blocks signed by another provider',
    'stop sequences, top_k, presence/frequency penalty, seed; turning reasoning off; assistant prefill (answered, not continued)',
    'max tokens below 16 (raised to 16)',
  ],
  gemini: [
    'thinking blocks signed by another provider',
    'parallel tool calls off; tool strict mode; turning reasoning off',
    'JSON Schema keywords outside Gemini\'s subset ($schema, additionalProperties, pattern, default, non-string enum …); type unions become anyOf',
    'stop sequences beyond 5',
  ],
};

/** The declared list of what a `from` → `to` request translation can leave out. */
export function droppedFields(from: WireFormat, to: WireFormat): string[] {
  return from === to ? [] : [...DROPPED_FROM[from], ...DROPPED_TO[to]];
}
