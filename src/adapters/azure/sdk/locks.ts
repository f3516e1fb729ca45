// `@azure/arm-locks`'s ManagementLockClient, imported statically here: the adapters load this module with `import()` on first use, and
// the bundler hands its named export whatever the package's format (CommonJS or ESM).
export { ManagementLockClient } from '@azure/arm-locks';
