import 'reflect-metadata';
import { runServiceMain } from '@plugboard/service-kit';
import { SessionWorkerModule } from './session-worker.module';

void runServiceMain('session-worker', SessionWorkerModule);
