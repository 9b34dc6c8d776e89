import { type DataExport, type DataExportRequest, type DataImportRequest, type DataImportResult, DataTransfer } from '@plugboard/contracts';

/**
 * The gateway's DataTransfer: the HTTP plug by default (separate processes); the embedded
 * launcher switches it to infra-admin's in-process plug with `use()`.
 */
export class DataTransferSwitch extends DataTransfer {
  constructor(private current: DataTransfer) {
    super();
  }

  get plug(): string {
    return this.current.plug;
  }

  /** From now on every call goes to `transfer`. */
  use(transfer: DataTransfer): void {
    this.current = transfer;
  }

  exportData(request: DataExportRequest): Promise<DataExport> {
    return this.current.exportData(request);
  }

  importData(request: DataImportRequest): Promise<DataImportResult> {
    return this.current.importData(request);
  }
}
