import { Body, Delete, Get, Patch, Path, Post, Response, Route, Security, SuccessResponse, Tags } from '@tsoa/runtime';
import { createKey, createUser, deleteUser, listUsers, updateUser } from '../manage.ts';
import type { CreatedKey, ErrorBody, KeyInput, UserInput, UserSummary, UserUpdate } from '../types.ts';
import { AdminController } from './base.ts';

@Route('users')
@Tags('users')
@Security('admin')
@Response<ErrorBody>(401, 'Not signed in')
export class UsersController extends AdminController {
  /**
   * Users with their keys (hints only: a key's plaintext is shown once, when it is created).
   * @summary List users
   */
  @Get()
  public async list(): Promise<UserSummary[]> {
    return listUsers(this.gw);
  }

  /**
   * @summary Create a user
   */
  @Post()
  @SuccessResponse(201, 'Created')
  @Response<ErrorBody>(400, 'Invalid fields, or no such group')
  @Response<ErrorBody>(409, 'The name is taken')
  public async create(@Body() body: UserInput): Promise<UserSummary> {
    const out = await createUser(this.gw, body);
    this.setStatus(201);
    return out;
  }

  /**
   * Change a user created here (disable, move to another group, limits, expiry). Users declared in
   * the YAML are read-only (409). A disabled user's keys are refused by this instance once this
   * returns, and by the others as soon as the store's change notice reaches them (milliseconds).
   * @summary Update a user
   * @isInt id
   */
  @Patch('{id}')
  @Response<ErrorBody>(400, 'Invalid fields, or no such group')
  @Response<ErrorBody>(404, 'No such user')
  @Response<ErrorBody>(409, 'Managed by config, or the new name is taken')
  public async update(@Path() id: number, @Body() body: UserUpdate): Promise<UserSummary> {
    return updateUser(this.gw, id, body);
  }

  /**
   * Remove a user created here and all of their keys. Their request log stays.
   * @summary Delete a user
   * @isInt id
   */
  @Delete('{id}')
  @SuccessResponse(204, 'Deleted')
  @Response<ErrorBody>(404, 'No such user')
  @Response<ErrorBody>(409, 'Managed by config')
  public async remove(@Path() id: number): Promise<void> {
    await deleteUser(this.gw, id);
    this.setStatus(204);
  }

  /**
   * Create a hub key for a user (also for users declared in the YAML). The response is the only
   * time the plaintext key is shown; only its SHA-256 is stored.
   * @summary Create a key
   * @isInt id
   */
  @Post('{id}/keys')
  @SuccessResponse(201, 'Created')
  @Response<ErrorBody>(400, 'Invalid fields')
  @Response<ErrorBody>(404, 'No such user')
  @Response<ErrorBody>(409, 'The user already has a key with this name')
  public async createKey(@Path() id: number, @Body() body: KeyInput): Promise<CreatedKey> {
    const out = await createKey(this.gw, id, body);
    this.setStatus(201);
    return out;
  }
}
