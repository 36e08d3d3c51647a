/** The OpenAI Chat Completions codec. */
import type { FormatCodec } from '../codec.ts';
import { parseChatRequest, renderChatRequest } from './request.ts';
import { parseChatResponse, renderChatResponse } from './response.ts';
import { createChatDecoder, createChatEncoder } from './stream.ts';

export const openaiChatCodec: FormatCodec = {
  parseRequest: parseChatRequest,
  renderRequest: renderChatRequest,
  parseResponse: (body) => parseChatResponse(body),
  renderResponse: renderChatResponse,
  createDecoder: createChatDecoder,
  createEncoder: createChatEncoder,
};
