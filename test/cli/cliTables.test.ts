import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryCommand } from '../../src/cli/commands/inventory.js';
import { startStack, type TestStack } from '../support/stack.js';

/** The CLI uses the app's tables and never creates them: an operator with read rights only can list. */
describe('CLI and the inventory tables', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ settings: { TABLE_PREFIX: 'nevercreated' } });
    Object.assign(process.env, stack.settings);
  });
  afterAll(async () => stack?.close());

  it('a missing table is a clear error that says how to get it (the CLI did not create it)', async () => {
    const run = () =>
      inventoryCommand({ out: () => undefined, err: () => undefined })
        .exitOverride()
        .parseAsync(['list'], { from: 'user' });
    await expect(run()).rejects.toThrow(
      /TableNotFound \(the table does not exist yet: deploy the infrastructure, or start the app once\)/,
    );
  });
});
