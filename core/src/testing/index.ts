/**
 * @cch/core/testing — helpers for testing the gateway and plugins against real parts:
 * a gateway on a free port with its own database and store prefix, a mock upstream that speaks
 * every provider API with fault injection, and the store conformance suite.
 */
export { createTestGateway, waitForRequestLog, testHubKey, TEST_ADMIN_TOKEN, type TestGateway, type TestGatewayOptions } from './gateway.ts';
export { createTestDatabase, stopTestPostgres, type TestDatabase } from './database.ts';
export { createMockUpstream, MOCK_FAULT_HEADER, MOCK_TOOL_ARGS, type MockUpstream, type MockFault, type MockUpstreamOptions, type RecordedRequest } from './mock-upstream.ts';
export { testStore } from './store-conformance.ts';
export { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded/index.ts';
export { createReplayUpstream, everySplit, type Replay, type ReplayRequest, type ReplayUpstream } from './replay.ts';
export { parseSse, sseEvent } from './sse.ts';
