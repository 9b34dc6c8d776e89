import 'reflect-metadata';
import { runServiceMain } from '@plugboard/service-kit';
import { InfraAdminModule } from './infra-admin.module';

void runServiceMain('infra-admin', InfraAdminModule);
