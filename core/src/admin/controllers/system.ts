import { Get, Response, Route, Security, Tags } from '@tsoa/runtime';
import { CORE_VERSION } from '../../version.ts';
import type { ErrorBody, SystemStatus } from '../types.ts';
import { AdminController } from './base.ts';

@Route('system')
@Tags('system')
@Security('admin')
@Response<ErrorBody>(401, 'Not signed in')
export class SystemController extends AdminController {
  /**
   * Version, uptime, storage modes and whether the database and store answer.
   * @summary Gateway status
   */
  @Get('status')
  public async status(): Promise<SystemStatus> {
    const ready = await this.gw.ready();
    return {
      version: CORE_VERSION,
      uptimeSeconds: Math.max(0, Math.round((Date.now() - this.gw.startedAt.getTime()) / 1000)),
      mode: { db: this.gw.mode.db, store: this.gw.mode.store },
      ready: { db: ready.db.ok, store: ready.store.ok },
    };
  }
}
