export * from './gateway.module';
export * from './auth/admin-key';
export { DataTransferSwitch } from './infra/data-transfer.switch';
export { EventStreams } from './events/event-streams';
