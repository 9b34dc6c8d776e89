export * from './infra-admin.module';
export { tableChecksums, type TableChecksum } from './data/table-checksum';
