/** The Gemini generateContent codec. */
import type { FormatCodec } from '../codec.ts';
import { parseGeminiRequest, renderGeminiRequest } from './request.ts';
import { parseGeminiResponse, renderGeminiResponse } from './response.ts';
import { createGeminiDecoder, createGeminiEncoder } from './stream.ts';

export const geminiCodec: FormatCodec = {
  parseRequest: parseGeminiRequest,
  renderRequest: renderGeminiRequest,
  parseResponse: parseGeminiResponse,
  renderResponse: renderGeminiResponse,
  createDecoder: createGeminiDecoder,
  createEncoder: createGeminiEncoder,
};
