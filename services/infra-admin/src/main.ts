import 'reflect-metadata';
import { runServiceMain } from '@plugboard/service-kit';
import { InfraAdminModule } from './infra-admin.module';
import { runMigrateCommand } from './migrate-command';

// `main.js` runs the service; `main.js migrate` is the one-shot migration (a Kubernetes Job).
const command = process.argv[2];
if (command === 'migrate') void runMigrateCommand();
else if (command === undefined) void runServiceMain('infra-admin', InfraAdminModule);
else {
  process.stderr.write(`unknown command "${command}": expected no argument (run the service) or "migrate"\n`);
  process.exit(2);
}
