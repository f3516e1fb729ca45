// `@azure/arm-resources`'s ResourceManagementClient, imported statically here: the adapters load this module with `import()` on first use, and
// the bundler hands its named export whatever the package's format (CommonJS or ESM).
export { ResourceManagementClient } from '@azure/arm-resources';
