import { Body, Delete, Get, Patch, Path, Post, Response, Route, Security, SuccessResponse, Tags } from '@tsoa/runtime';
import { createProvider, deleteProvider, providerSummary, testSavedProvider, testUnsavedProvider, updateProvider } from '../manage.ts';
import type { ErrorBody, ProviderInput, ProviderSummary, ProviderTestInput, ProviderTestRequest, ProviderTestResult, ProviderUpdate } from '../types.ts';
import { AdminController } from './base.ts';

@Route('providers')
@Tags('providers')
@Security('admin')
@Response<ErrorBody>(401, 'Not signed in')
export class ProvidersController extends AdminController {
  /**
   * Upstream providers as the gateway currently routes to them. Credentials are never returned;
   * `keyHint` shows the last characters only.
   * @summary List providers
   */
  @Get()
  public async list(): Promise<ProviderSummary[]> {
    return this.gw.providers.list().map(providerSummary);
  }

  /**
   * Add a provider. The same fields and rules as under `providers:` in the YAML; the credential is
   * stored encrypted (CCH_SECRET) and never returned. This instance routes to it once this returns, the others as soon as
   * the store's change notice reaches them.
   * @summary Create a provider
   */
  @Post()
  @SuccessResponse(201, 'Created')
  @Response<ErrorBody>(400, 'Invalid fields, or a provider type no loaded plugin handles')
  @Response<ErrorBody>(409, 'The name is taken')
  public async create(@Body() body: ProviderInput): Promise<ProviderSummary> {
    const out = await createProvider(this.gw, body);
    this.setStatus(201);
    return out;
  }

  /**
   * Change a provider created here. Absent fields stay; send `key` only to replace the credential.
   * Providers declared in the YAML are read-only (409).
   * @summary Update a provider
   * @isInt id
   */
  @Patch('{id}')
  @Response<ErrorBody>(400, 'Invalid fields')
  @Response<ErrorBody>(404, 'No such provider')
  @Response<ErrorBody>(409, 'Managed by config, or the new name is taken')
  public async update(@Path() id: number, @Body() body: ProviderUpdate): Promise<ProviderSummary> {
    return updateProvider(this.gw, id, body);
  }

  /**
   * Send one small request to a saved provider with its stored credential and report whether it
   * works: status, latency, error class and the provider's error message (never its raw answer or
   * the credential). Loopback, private and link-local addresses are refused unless
   * `settings.providerTests.allowPrivateNetworks` is set (SSRF); bounded by API_TEST_TIMEOUT_MS.
   * @summary Test a provider
   * @isInt id
   */
  @Post('{id}/test')
  @Response<ErrorBody>(404, 'No such provider')
  public async test(@Path() id: number, @Body() body: ProviderTestRequest = {}): Promise<ProviderTestResult> {
    return testSavedProvider(this.gw, id, body ?? {});
  }

  /**
   * Test settings before saving them (same rules and safeguards as testing a saved provider).
   * @summary Test unsaved provider settings
   */
  @Post('test')
  @Response<ErrorBody>(400, 'Invalid fields, or a provider type no loaded plugin handles')
  public async testUnsaved(@Body() body: ProviderTestInput): Promise<ProviderTestResult> {
    return testUnsavedProvider(this.gw, body);
  }

  /**
   * Remove a provider created here; sessions bound to it move on at their next request.
   * @summary Delete a provider
   * @isInt id
   */
  @Delete('{id}')
  @SuccessResponse(204, 'Deleted')
  @Response<ErrorBody>(404, 'No such provider')
  @Response<ErrorBody>(409, 'Managed by config')
  public async remove(@Path() id: number): Promise<void> {
    await deleteProvider(this.gw, id);
    this.setStatus(204);
  }
}
