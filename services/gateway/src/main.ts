import 'reflect-metadata';
import { runServiceMain } from '@plugboard/service-kit';
import { GatewayModule } from './gateway.module';

void runServiceMain('gateway', GatewayModule);
