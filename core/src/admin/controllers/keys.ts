import { Body, Delete, Patch, Path, Response, Route, Security, SuccessResponse, Tags } from '@tsoa/runtime';
import { deleteKey, updateKey } from '../manage.ts';
import type { ErrorBody, KeySummary, KeyUpdate } from '../types.ts';
import { AdminController } from './base.ts';

@Route('keys')
@Tags('users')
@Security('admin')
@Response<ErrorBody>(401, 'Not signed in')
export class KeysController extends AdminController {
  /**
   * Change a key created here: disable it, set an expiry, limits or allowed models. Keys declared
   * in the YAML are read-only (409). This instance applies the change before answering, the others
   * as soon as the store's change notice reaches them (milliseconds).
   * @summary Update a key
   * @isInt id
   */
  @Patch('{id}')
  @Response<ErrorBody>(400, 'Invalid fields')
  @Response<ErrorBody>(404, 'No such key')
  @Response<ErrorBody>(409, 'Managed by config, or the new name is taken')
  public async update(@Path() id: number, @Body() body: KeyUpdate): Promise<KeySummary> {
    return updateKey(this.gw, id, body);
  }

  /**
   * Revoke a key created here: requests with it are refused (401) here once this returns, and on
   * every other instance as soon as the change notice reaches it.
   * @summary Delete a key
   * @isInt id
   */
  @Delete('{id}')
  @SuccessResponse(204, 'Deleted')
  @Response<ErrorBody>(404, 'No such key')
  @Response<ErrorBody>(409, 'Managed by config')
  public async remove(@Path() id: number): Promise<void> {
    await deleteKey(this.gw, id);
    this.setStatus(204);
  }
}
