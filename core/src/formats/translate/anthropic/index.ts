/** The Anthropic Messages codec. */
import type { FormatCodec } from '../codec.ts';
import { parseAnthropicRequest, renderAnthropicRequest } from './request.ts';
import { parseAnthropicResponse, renderAnthropicResponse } from './response.ts';
import { createAnthropicDecoder, createAnthropicEncoder } from './stream.ts';

export const anthropicCodec: FormatCodec = {
  parseRequest: parseAnthropicRequest,
  renderRequest: renderAnthropicRequest,
  parseResponse: (body) => parseAnthropicResponse(body),
  renderResponse: renderAnthropicResponse,
  createDecoder: () => createAnthropicDecoder(),
  createEncoder: createAnthropicEncoder,
};
