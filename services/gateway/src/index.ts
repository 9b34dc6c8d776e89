export * from './gateway.module';
export * from './auth/admin-key';
export { MediaStreamsSwitch } from './media/media-streams.switch';
