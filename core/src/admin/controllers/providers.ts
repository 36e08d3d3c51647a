import { Get, Response, Route, Security, Tags } from '@tsoa/runtime';
import { credentialHint } from '../../secrets.ts';
import type { ErrorBody, ProviderSummary } from '../types.ts';
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
    return this.gw.providers.list().map((p) => ({
      id: p.id,
      name: p.name,
      type: p.type,
      url: p.url,
      weight: p.weight,
      priority: p.priority,
      groups: [...p.groups],
      models: [...p.models],
      enabled: p.enabled,
      managedBy: p.managedBy,
      keyHint: credentialHint(p.key),
    }));
  }
}
