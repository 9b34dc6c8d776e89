import { Injectable } from '@nestjs/common';
import { type DataExport, type DataExportRequest, type DataImportRequest, type DataImportResult, DataTransfer } from '@plugboard/contracts';
import { DataExporter } from './data-exporter';
import { DataImporter } from './data-importer';

/**
 * DataTransfer by direct calls, for a gateway in the same process (embedded mode): the
 * launcher takes this from infra-admin and hands it to the gateway.
 */
@Injectable()
export class InProcessDataTransfer extends DataTransfer {
  readonly plug = 'in-process';

  constructor(
    private readonly exporter: DataExporter,
    private readonly importer: DataImporter,
  ) {
    super();
  }

  exportData(request: DataExportRequest): Promise<DataExport> {
    return this.exporter.export(request);
  }

  importData(request: DataImportRequest): Promise<DataImportResult> {
    return this.importer.import(request);
  }
}
