import { Body, Delete, Get, Patch, Path, Post, Response, Route, Security, SuccessResponse, Tags } from '@tsoa/runtime';
import { createGroup, deleteGroup, listGroups, updateGroup } from '../manage.ts';
import type { ErrorBody, GroupInput, GroupSummary, GroupUpdate } from '../types.ts';
import { AdminController } from './base.ts';

@Route('groups')
@Tags('groups')
@Security('admin')
@Response<ErrorBody>(401, 'Not signed in')
export class GroupsController extends AdminController {
  /**
   * User groups: the provider groups their users may use and the limits they share by default.
   * @summary List groups
   */
  @Get()
  public async list(): Promise<GroupSummary[]> {
    return listGroups(this.gw);
  }

  /**
   * @summary Create a group
   */
  @Post()
  @SuccessResponse(201, 'Created')
  @Response<ErrorBody>(400, 'Invalid fields')
  @Response<ErrorBody>(409, 'The name is taken')
  public async create(@Body() body: GroupInput): Promise<GroupSummary> {
    const out = await createGroup(this.gw, body);
    this.setStatus(201);
    return out;
  }

  /**
   * Change a group created here; renaming moves its users along. Groups declared in the YAML are
   * read-only (409).
   * @summary Update a group
   * @isInt id
   */
  @Patch('{id}')
  @Response<ErrorBody>(400, 'Invalid fields')
  @Response<ErrorBody>(404, 'No such group')
  @Response<ErrorBody>(409, 'Managed by config, or the new name is taken')
  public async update(@Path() id: number, @Body() body: GroupUpdate): Promise<GroupSummary> {
    return updateGroup(this.gw, id, body);
  }

  /**
   * Remove a group created here that has no users left.
   * @summary Delete a group
   * @isInt id
   */
  @Delete('{id}')
  @SuccessResponse(204, 'Deleted')
  @Response<ErrorBody>(404, 'No such group')
  @Response<ErrorBody>(409, 'Managed by config, or users are still in it')
  public async remove(@Path() id: number): Promise<void> {
    await deleteGroup(this.gw, id);
    this.setStatus(204);
  }
}
