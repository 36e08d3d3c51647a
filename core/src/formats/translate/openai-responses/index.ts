/** The OpenAI Responses API codec. */
import type { FormatCodec } from '../codec.ts';
import { parseResponsesRequest, renderResponsesRequest } from './request.ts';
import { parseResponsesResponse, renderResponsesResponse } from './response.ts';
import { createResponsesDecoder, createResponsesEncoder } from './stream.ts';

export const openaiResponsesCodec: FormatCodec = {
  parseRequest: parseResponsesRequest,
  renderRequest: renderResponsesRequest,
  parseResponse: (body) => parseResponsesResponse(body),
  renderResponse: renderResponsesResponse,
  createDecoder: () => createResponsesDecoder(),
  createEncoder: createResponsesEncoder,
};
