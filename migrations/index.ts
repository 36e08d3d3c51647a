import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261126000000Initial } from './20261126000000-initial.ts';

/**
 * Every migration, in order. Listed explicitly (not globbed) so they run the same from source
 * under tsx and from a bundle.
 */
export const migrations: MigrationObject[] = [{ name: 'Migration20261126000000Initial', class: Migration20261126000000Initial }];
