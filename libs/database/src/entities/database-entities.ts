import { ApiKeyEntity } from './api-key.entity';
import { AuditLogEntity } from './audit-log.entity';
import { MediaEntity } from './media.entity';
import { MessageBatchEntity } from './message-batch.entity';
import { MessageEntity } from './message.entity';
import { SchemaInfoEntity } from './schema-info.entity';
import { SessionEntity } from './session.entity';
import { SimulatorDeviceEntity } from './simulator-device.entity';
import { SimulatorMessageEntity } from './simulator-message.entity';
import { WebhookCursorEntity } from './webhook-cursor.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEntity } from './webhook.entity';

/** Every entity of the database socket, registered explicitly: the build has no .ts files to glob. */
export const DATABASE_ENTITIES = [SessionEntity, MessageEntity, MessageBatchEntity, SchemaInfoEntity, ApiKeyEntity, AuditLogEntity, SimulatorDeviceEntity, SimulatorMessageEntity, MediaEntity, WebhookEntity, WebhookDeliveryEntity, WebhookCursorEntity];
