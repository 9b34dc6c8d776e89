import 'reflect-metadata';
import { runServiceMain } from '@plugboard/service-kit';
import { MediaServiceModule } from './media-service.module';

void runServiceMain('media-service', MediaServiceModule);
